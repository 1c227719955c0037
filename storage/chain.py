"""Hash chains over the event log and the audit log (tamper evidence, issue 17).

Each row carries `prev_hash` (the `hash` of the row before it in its chain, NULL for the first)
and `hash` = SHA-256 over `prev_hash` and a canonical encoding of the row's meaningful columns.
An edit of a row, a row taken out or slipped in then no longer lines up (services/integrity/verify.py).

Chains: one per candidate for `event`, in `seq` order (appends already conflict per candidate,
so no writer waits for another candidate's); one for `audit_log`, in `id` order, whose head
(`chain_head`) is row-locked by each writer so concurrent writers link to a consistent row.

The encoding is a contract (stored hashes depend on it): change it only with a migration.
Values are encoded as they read back from either backend: dates as ISO text, timestamps as
naive UTC "YYYY-MM-DD HH:MM:SS.ffffff", JSON with sorted keys (PostgreSQL's JSONB does not keep
key order), booleans as true/false.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from hashlib import sha256
from typing import Any

import orjson

from .db import _iso_default

AUDIT_CHAIN = "audit"


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, compact, UTF-8: equal for a value and its read-back."""
    return orjson.dumps(value, default=_iso_default, option=orjson.OPT_SORT_KEYS)


def timestamp_text(value: datetime) -> str:
    """A timestamp as the chain encodes it (naive UTC, microseconds): SQLite's stored text too."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _digest(prev_hash: str | None, head: bytes, body: bytes) -> str:
    """SHA-256 of prev_hash, head and body joined by a unit separator (0x1f)."""
    return sha256(b"%s\x1f%s\x1f%s" % ((prev_hash or "").encode(), head, body)).hexdigest()


def event_hash(prev_hash: str | None, candidate_id: int, seq: int, kind: str, step: str | None, occurred_on: str,
               recorded_at: str, actor: str, evidence_json: bytes, supersedes: int | None, reason: str | None,
               late: bool, definition_key: str) -> str:
    """The hash of an event row. `occurred_on`: ISO date text; `recorded_at`: `timestamp_text`;
    `evidence_json`: `canonical_json(evidence)` (a bulk writer encodes a shared dict once).

    `supersedes` is the *seq* of the record a correction or void replaces (the column holds that
    row's id): ids are not hashed, so renumbering rows would otherwise move a correction onto
    another record unseen. A pointer that leads to no earlier record of the candidate hashes as -1."""
    head = orjson.dumps((candidate_id, seq, kind, step, occurred_on, recorded_at, actor, supersedes, reason,
                         bool(late), definition_key))
    return _digest(prev_hash, head, evidence_json)


def event_row_hash(prev_hash: str | None, row, seq_of: dict[int, int] | None = None) -> str:
    """The hash an `EventRow` (as read back) should carry; `seq_of`: event id -> seq of the
    candidate's earlier rows (what a correction's `supersedes` id leads to)."""
    return event_hash(prev_hash, row.candidate_id, row.seq, row.kind, row.step, _date_text(row.occurred_on),
                      timestamp_text(row.recorded_at), row.actor, canonical_json(row.evidence),
                      superseded_seq(row.supersedes, seq_of or {}), row.reason, row.late, row.definition_key)


def superseded_seq(supersedes: int | None, seq_of: dict[int, int]) -> int | None:
    """The seq a `supersedes` id leads to among the candidate's earlier rows (-1: none)."""
    return None if supersedes is None else seq_of.get(supersedes, -1)


def audit_hash(prev_hash: str | None, at: datetime, user_id: int | None, username: str, action: str,
               target_kind: str | None, target_id: str | None, detail: Any) -> str:
    """The hash of an audit row (its id is not part of it: the chain orders the rows)."""
    head = orjson.dumps((timestamp_text(at), user_id, username, action, target_kind,
                         None if target_id is None else str(target_id)))
    return _digest(prev_hash, head, canonical_json(detail))


def _date_text(value: date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()
