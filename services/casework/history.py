"""A candidate's log read as engine events.

Its own module, apart from services.casework.candidates (the write commands and the engine's decisions):
reading a candidate (`partyflow show`, the case file) needs the log, not the decision machinery
(issue 19, CLI start).
"""
from __future__ import annotations

from typing import Mapping

from engine.state import Event
from storage.unit_of_work import UnitOfWork


def load_log(uow: UnitOfWork, candidate_id: int) -> tuple[list[Event], dict[int, int]]:
    """The candidate's log as engine events (supersedes mapped from row ids to seqs), and the
    row id of each seq (what a new correction's `supersedes` column names)."""
    rows = uow.events.list_for(candidate_id)
    seq_of = {r.id: r.seq for r in rows}
    return [to_event(r, seq_of) for r in rows], {r.seq: r.id for r in rows}


def load_history(uow: UnitOfWork, candidate_id: int) -> list[Event]:
    """The candidate's log as engine events (supersedes mapped from row ids to seqs)."""
    return load_log(uow, candidate_id)[0]


def to_event(r, seq_of: Mapping[int, int]) -> Event:
    return Event(
        seq=r.seq, kind=r.kind, occurred_on=r.occurred_on, recorded_at=r.recorded_at, actor=r.actor,
        step=r.step, evidence=r.evidence or {}, supersedes=seq_of.get(r.supersedes) if r.supersedes else None,
        reason=r.reason, late=r.late, definition_key=r.definition_key,
    )
