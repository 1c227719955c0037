"""The dataclasses repositories return (and the two deadline values they take and give).

Plain values, never ORM objects, so nothing lazy-loads after the unit of work has closed. Field
order equals the column order of the matching SELECT, so rows map positionally (fast). They are
frozen, except the rows read on every step (candidate, event, person, organisation), which are
slotted values without frozen's `__setattr__` (3× faster to build) and are never changed either.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(slots=True, unsafe_hash=True)
class CandidateRow:
    id: int
    person_id: int
    branch_id: int
    definition_key: str
    stage: str
    state: dict
    version: int
    applied_on: date
    updated_at: datetime


@dataclass(slots=True, unsafe_hash=True)
class EventRow:
    id: int
    candidate_id: int
    seq: int
    kind: str
    step: str | None
    occurred_on: date
    recorded_at: datetime
    actor: str
    evidence: Any
    supersedes: int | None
    reason: str | None
    late: bool
    definition_key: str


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    candidate_id: int
    branch_id: int
    step: str
    kind: str
    due_on: date
    provisional: bool
    article: str | None


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """What the engine computes for one deadline; input to `DeadlineRepo.replace`."""

    step: str
    kind: str  # 'due' | 'earliest' | 'recurring'
    due_on: date
    provisional: bool = False
    article: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineDiff:
    inserted: int
    updated: int
    deleted: int


@dataclass(frozen=True, slots=True)
class OverdueRow:
    candidate_id: int
    branch_id: int
    step: str
    kind: str
    due_on: date
    provisional: bool
    article: str | None
    stage: str
    person_id: int
    person_name: str
    definition_key: str  # the candidate's (follows migrations), to name the step without a lookup


@dataclass(slots=True, unsafe_hash=True)
class OrgRow:
    id: int
    code: str
    name: str
    level: str
    kind: str | None
    parent_id: int | None
    workflow_variant: str | None
    created_at: datetime


@dataclass(slots=True, unsafe_hash=True)
class PersonRow:
    id: int
    name: str
    gender: str
    birth_date: date
    ethnicity: str
    education: str | None
    occupation: str | None
    tags: list
    phone: str | None
    email: str | None
    party_status: str
    rights_suspended: bool
    branch_id: int | None
    created_at: datetime
    import_id: int | None = None  # the ledger import that created it


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    key: str
    sha256: str
    body: dict
    loaded_at: datetime


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    org_id: int
    role: str
    name: str
    email: str | None
    webhook_url: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    candidate_id: int | None
    step: str | None
    due_on: date | None
    created_on: date
    channel: str
    address: str
    recipient_name: str
    org_id: int
    payload: dict
    status: str
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScanRow:
    """A due or overdue deadline as the reminder scan needs it."""

    candidate_id: int
    branch_id: int
    step: str
    kind: str
    due_on: date
    provisional: bool
    article: str | None
    definition_key: str
    person_name: str
