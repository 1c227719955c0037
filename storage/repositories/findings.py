"""Compliance findings: history that broke a rule, recorded as found (never refused, never hidden)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from ..tables import candidate, finding, organisation, person
from .base import Repository
from .hot import CODECS, HotStatement, execute_many

_f = finding.c
FINDING_COLUMNS = ("candidate_id", "branch_id", "import_id", "source", "step", "rule", "article", "message",
                   "occurred_on", "found_at")
_insert = HotStatement(insert(finding).values({n: bindparam(n) for n in FINDING_COLUMNS}))


class FindingRepo(Repository):
    __slots__ = ()

    def add_many(self, rows: list[Mapping[str, Any]]) -> None:
        """Insert findings ({FINDING_COLUMNS}) in one driver call."""
        if not rows:
            return
        codec = CODECS[self.conn.dialect.name]
        out = []
        for r in rows:
            d = dict(r)
            d["occurred_on"] = codec.date_in(d["occurred_on"])
            d["found_at"] = codec.dt_in(d["found_at"])
            out.append(d)
        execute_many(self.conn, _insert, out)

    def list(self, branch_ids: Iterable[int] | None, start: date | None = None, end: date | None = None,
             import_id: int | None = None) -> list:
        """Findings (with the person's and branch's names) in scope, by date of the act."""
        stmt = (
            select(_f.id, _f.candidate_id, _f.branch_id, _f.import_id, _f.source, _f.step, _f.rule, _f.article,
                   _f.message, _f.occurred_on, _f.found_at, person.c.name.label("person_name"),
                   organisation.c.name.label("branch_name"), candidate.c.definition_key)
            .select_from(finding.join(candidate, candidate.c.id == _f.candidate_id)
                         .join(person, person.c.id == candidate.c.person_id)
                         .join(organisation, organisation.c.id == _f.branch_id))
            .order_by(_f.occurred_on, _f.candidate_id, _f.id)
        )
        if branch_ids is not None:
            stmt = stmt.where(_f.branch_id.in_(list(branch_ids)))
        if start is not None:
            stmt = stmt.where(_f.occurred_on >= start)
        if end is not None:
            stmt = stmt.where(_f.occurred_on <= end)
        if import_id is not None:
            stmt = stmt.where(_f.import_id == import_id)
        return list(self.conn.execute(stmt))

    def for_candidate(self, candidate_id: int, limit: int) -> list:
        """One candidate's findings, oldest act first, at most `limit` (its page shows a few)."""
        stmt = (select(_f.source, _f.step, _f.rule, _f.article, _f.message, _f.occurred_on)
                .where(_f.candidate_id == candidate_id).order_by(_f.occurred_on, _f.id).limit(limit))
        return list(self.conn.execute(stmt))

    def count_for_candidate(self, candidate_id: int) -> int:
        return self.conn.execute(select(func.count()).select_from(finding)
                                 .where(_f.candidate_id == candidate_id)).scalar_one()
