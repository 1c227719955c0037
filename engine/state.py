"""A candidate's state and the events it is folded from.

The state is a projection: `replay(events)` must always give the same state as the one stored
(the `verify` command checks it). It is kept small and JSON-serialisable so storage can persist it
as a snapshot and the hot path never re-reads the whole log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

NEW = "new"  # the machine's state before the application is recorded

# Event kinds besides "step" (a completed step of the definition).
EXCEPTIONAL_KINDS = (
    "withdraw",
    "not_selected",
    "disqualify",
    "reconsider",
    "cancel_probation",
    "transfer",
    "transfer_out",
    "death",
)
CORRECTION_KINDS = ("correct", "void")
REVIEW_KINDS = ("submit", "return")  # the branch's 报送 and the higher committee's 退回 (engine/review.py)
EVENT_KINDS = ("step", *EXCEPTIONAL_KINDS, *CORRECTION_KINDS, "migrate", *REVIEW_KINDS)


@dataclass(slots=True)  # one per step, ~25 per replayed candidate (slots, no frozen __setattr__: 3× faster
# to build); an event is a fact: never change one, a correction is a new event
class Event:
    """One fact in a candidate's append-only log.

    `occurred_on` is the real date (the meeting date), `recorded_at` when it was entered.
    A correction ("correct"/"void") names the `supersedes` seq of the event it replaces.
    """

    seq: int
    kind: str
    occurred_on: date
    recorded_at: datetime
    actor: str
    step: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    supersedes: int | None = None
    reason: str | None = None
    late: bool = False
    definition_key: str = ""


@dataclass(frozen=True)
class Resolution:
    """A branch meeting's resolution that takes effect only when the higher committee approves it:
    `decision` is the resolving step's choice (convert / extend / cancel), `months` an extension's
    length, `on` the meeting date."""

    step: str
    decision: str
    on: date
    months: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "decision": self.decision, "on": self.on.isoformat(), "months": self.months}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Resolution":
        return cls(str(d["step"]), str(d["decision"]), date.fromisoformat(str(d["on"])), int(d.get("months") or 0))


@dataclass
class CandidateState:
    definition_key: str
    branch_id: int
    stage: str = NEW
    done: dict[str, date] = field(default_factory=dict)  # step -> date it (positively) happened
    entries: dict[str, int] = field(default_factory=dict)  # repeatable step -> number of entries
    late: dict[str, date] = field(default_factory=dict)  # step -> the due date it missed
    extension_months: int = 0
    extensions: int = 0
    seq: int = 0  # last event seq applied
    ended_on: date | None = None  # date of reaching an end state
    applied_on: date | None = None
    extended_on: date | None = None  # the branch meeting that extended probation (reports count it)
    # the review loop (engine/review.py): higher-level step -> date the branch sent it / it was returned
    submitted: dict[str, date] = field(default_factory=dict)
    returned: dict[str, date] = field(default_factory=dict)
    # a resolution waiting for the higher committee (cpc_2014@2: 党章第七条): the step that
    # resolved, what it resolved, the months of an extension and the date — see engine/resolution.py
    pending: Resolution | None = None

    # -- serialisation (snapshot column) -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        iso = date.isoformat
        return {
            "definition_key": self.definition_key,
            "branch_id": self.branch_id,
            "stage": self.stage,
            "done": dict(zip(self.done, map(iso, self.done.values()))),
            "entries": dict(self.entries),
            "late": dict(zip(self.late, map(iso, self.late.values()))),
            "extension_months": self.extension_months,
            "extensions": self.extensions,
            "seq": self.seq,
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "applied_on": self.applied_on.isoformat() if self.applied_on else None,
            # only when set: snapshots written before the field existed stay equal to their replay
            **({"extended_on": self.extended_on.isoformat()} if self.extended_on else {}),
            **({"submitted": dict(zip(self.submitted, map(iso, self.submitted.values())))} if self.submitted else {}),
            **({"returned": dict(zip(self.returned, map(iso, self.returned.values())))} if self.returned else {}),
            **({"pending": self.pending.to_dict()} if self.pending else {}),
        }

    def snapshot(self) -> dict[str, Any]:
        """`to_dict()` for a JSON encoder that writes dates as ISO text itself (orjson, the storage
        encoder): the same JSON without ~30 `isoformat` calls a step. It shares this state's
        dicts, so encode it before the state changes."""
        snap = {
            "definition_key": self.definition_key,
            "branch_id": self.branch_id,
            "stage": self.stage,
            "done": self.done,
            "entries": self.entries,
            "late": self.late,
            "extension_months": self.extension_months,
            "extensions": self.extensions,
            "seq": self.seq,
            "ended_on": self.ended_on,
            "applied_on": self.applied_on,
        }
        if self.extended_on:
            snap["extended_on"] = self.extended_on
        if self.submitted:
            snap["submitted"] = self.submitted
        if self.returned:
            snap["returned"] = self.returned
        if self.pending:
            snap["pending"] = self.pending.to_dict()
        return snap

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CandidateState":
        iso = date.fromisoformat
        done = d.get("done") or {}
        late = d.get("late") or {}
        get = d.get
        return cls(
            d["definition_key"],
            d["branch_id"],
            d["stage"],
            dict(zip(done, map(iso, done.values()))),
            dict(get("entries") or {}),
            dict(zip(late, map(iso, late.values()))),
            get("extension_months", 0),
            get("extensions", 0),
            get("seq", 0),
            iso(d["ended_on"]) if get("ended_on") else None,
            iso(d["applied_on"]) if get("applied_on") else None,
            iso(d["extended_on"]) if get("extended_on") else None,
            _dates(get("submitted")),
            _dates(get("returned")),
            Resolution.from_dict(get("pending")) if get("pending") else None,
        )

    def copy(self) -> "CandidateState":
        """A copy whose dicts can be changed freely (positional: this runs once per step)."""
        return CandidateState(
            self.definition_key, self.branch_id, self.stage, dict(self.done), dict(self.entries), dict(self.late),
            self.extension_months, self.extensions, self.seq, self.ended_on, self.applied_on, self.extended_on,
            dict(self.submitted) if self.submitted else {}, dict(self.returned) if self.returned else {},
            self.pending,
        )


def _dates(d: Mapping[str, str] | None) -> dict[str, date]:
    return {k: date.fromisoformat(v) for k, v in d.items()} if d else {}
