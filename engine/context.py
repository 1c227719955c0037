"""What a command needs to know about the world, passed in (the engine reads no clock, no database)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Mapping

from engine.calendar import WorkdayCalendar

if TYPE_CHECKING:
    from engine.materials import MaterialFacts


@dataclass(slots=True, unsafe_hash=True)  # per referenced person and step: treat as immutable
class PersonFacts:
    """The facts about a referenced person (a sponsor, a mentor) that rules check."""

    id: int
    name: str
    party_status: str  # "none" | "probationary" | "full_member"
    rights_suspended: bool = False  # e.g. 留党察看: cannot act as a sponsor
    # the date they became a full member, when the log shows it (their own candidacy); None: not
    # known (recorded as a member), taken as before any step date
    full_since: date | None = None


@dataclass(frozen=True, slots=True)
class Roll:
    """A branch's roll on a meeting date, as the service found it (the vote's 应到 is checked
    against it, 第二十条). Full membership is dated by the member's own conversion where the log
    has one; 留党察看 and 停止党员权利 are known only as they stand today."""

    on: date
    voters: tuple[str, ...] = ()  # names of the full members with voting rights on `on`
    probationary: tuple[str, ...] = ()  # names of the probationary members on `on` (no vote)
    recorded: bool = True  # False: the branch has no members recorded at all (nothing to check)


@dataclass(slots=True)  # one per command (slots, no frozen __setattr__): treat as immutable
class Context:
    today: date  # the day the command is entered (steps may not happen after it)
    now: datetime  # entry timestamp stored with the event (recorded_at)
    calendar: WorkdayCalendar
    birth_date: date | None = None  # the candidate's, for the age rule
    people: Mapping[int, PersonFacts] = field(default_factory=dict)
    roll: Roll | None = None  # the branch's roll on a vote's date; None: not looked up (no check)
    # the candidate's material list and what is on file; None: not looked up (no material check)
    materials: "MaterialFacts | None" = None
