"""People: applicants, candidates and members (introducers, mentors, branch members).

get / by_ids run on steps that name mentors or sponsors, so the point lookup is a hot statement.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, update

from ..errors import NotFound
from ..tables import candidate, person
from .base import Repository, in_branches
from .hot import CODECS, Codec, HotStatement, execute
from .rows import PersonRow

_p = person.c
_COLUMNS = tuple(person.c)  # PersonRow's fields follow the table's column order
_FIELDS = frozenset(c.name for c in person.c) - {"id"}
_get = HotStatement(select(*_COLUMNS).where(_p.id == bindparam("b_id")))
_BY_IDS_LOOP_MAX = 16  # up to this many ids, point lookups beat a freshly expanded IN list
_by_ids = select(*_COLUMNS).where(_p.id.in_(bindparam("b_ids", expanding=True)))
_by_name = select(*_COLUMNS).where(_p.name == bindparam("b_name")).order_by(_p.id)
_insert = insert(person)
# admission and conversion (twice per candidate): hot statements
_set_status_core = update(person).where(_p.id == bindparam("b_id")).values(party_status=bindparam("b_status"))
_set_status = HotStatement(_set_status_core)
_set_status_and_branch = HotStatement(_set_status_core.values(branch_id=bindparam("b_branch_id")))


def _decode(codec: Codec, r) -> PersonRow:
    return PersonRow(r[0], r[1], r[2], codec.date_out(r[3]), r[4], r[5], r[6], codec.json_out(r[7]), r[8], r[9],
                     r[10], bool(r[11]), r[12], codec.dt_out(r[13]))


class PersonRepo(Repository):
    """People: applicants, candidates, members (introducers, branch members)."""

    __slots__ = ()

    def add(self, **fields: Any) -> int:
        """Insert a person; name, gender and birth_date are required, the rest have defaults."""
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"unknown person fields: {sorted(unknown)}")
        return self.conn.execute(_insert, fields).inserted_primary_key[0]

    def get(self, person_id: int) -> PersonRow | None:
        row = execute(self.conn, _get, {"b_id": person_id}).fetchone()
        return None if row is None else _decode(CODECS[self.conn.dialect.name], row)

    def by_ids(self, ids: Iterable[int]) -> dict[int, PersonRow]:
        """{id: row} for the ids that exist, in the order asked."""
        ids = list(dict.fromkeys(ids))
        if len(ids) <= _BY_IDS_LOOP_MAX:  # the usual case: a step's mentors / sponsors
            found = {}
            for person_id in ids:
                row = self.get(person_id)
                if row is not None:
                    found[person_id] = row
            return found
        rows = {r.id: PersonRow(*r) for r in self.conn.execute(_by_ids, {"b_ids": ids})}
        return {person_id: rows[person_id] for person_id in ids if person_id in rows}  # caller's order

    def find_by_name(self, name: str) -> list[PersonRow]:
        """Exact name match (names repeat, so a list)."""
        return [PersonRow(*r) for r in self.conn.execute(_by_name, {"b_name": name})]

    def list(self, branch_ids: Iterable[int] | None = None) -> list[PersonRow]:
        """Everyone by id; with `branch_ids`, only the members of those branches.

        A person without a branch (an applicant who is not a member) is listed only when
        `branch_ids` is None.
        """
        stmt = in_branches(select(*_COLUMNS), _p.branch_id, branch_ids).order_by(_p.id)
        return [PersonRow(*r) for r in self.conn.execute(stmt)]

    def search(self, branch_ids: Iterable[int] | None, *, status: str | None = None, name: str = "",
               limit: int = 50, offset: int = 0) -> tuple[list[tuple[PersonRow, int | None]], int]:
        """([(person, branch id), …], total) of the people of these branches (None: everyone), by
        name then id. A person's branch: a party member's own, else that of their latest candidacy
        (an applicant entered before they had a branch on record), else their own."""
        c = candidate.c
        latest = (select(c.branch_id).where(c.person_id == _p.id).order_by(c.id.desc()).limit(1)
                  .correlate(person).scalar_subquery())
        branch = case((_p.party_status != "none", func.coalesce(_p.branch_id, latest)),
                      else_=func.coalesce(latest, _p.branch_id)).label("effective_branch")
        where = []
        if branch_ids is not None:
            where.append(branch.in_(list(branch_ids)))
        if status:
            where.append(_p.party_status == status)
        if name:
            where.append(_p.name.contains(name, autoescape=True))
        total = self.conn.execute(select(func.count()).select_from(person).where(*where)).scalar_one()
        stmt = select(*_COLUMNS, branch).where(*where).order_by(_p.name, _p.id).limit(limit).offset(offset)
        return [(PersonRow(*r[:-1]), r[-1]) for r in self.conn.execute(stmt)], total

    def branch_of(self, row: PersonRow) -> int | None:
        """The person's branch as `search` reads it."""
        c = candidate.c
        latest = self.conn.execute(select(c.branch_id).where(c.person_id == row.id).order_by(c.id.desc())
                                   .limit(1)).scalar()
        if row.party_status != "none":
            return row.branch_id if row.branch_id is not None else latest
        return latest if latest is not None else row.branch_id

    def update_profile(self, person_id: int, **fields: Any) -> None:
        """Change a person's own fields (name, gender, birth date, ethnicity, education, occupation,
        tags, phone); the caller keeps the milestone copies in step (MilestoneRepo.set_person_copies)."""
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"unknown person fields: {sorted(unknown)}")
        if self.conn.execute(update(person).where(_p.id == person_id).values(**fields)).rowcount != 1:
            raise NotFound("人员", person_id)

    def set_rights_suspended(self, person_id: int, suspended: bool) -> None:
        """Record (or lift) 留党察看 / suspension of a member's rights: they cannot sponsor or mentor."""
        result = self.conn.execute(update(person).where(_p.id == person_id).values(rights_suspended=suspended))
        if result.rowcount != 1:
            raise NotFound("人员", person_id)

    def set_party_status(self, person_id: int, status: str, branch_id: int | None = None) -> None:
        """Record admission / full membership; `branch_id=None` keeps the current branch."""
        if branch_id is None:
            result = execute(self.conn, _set_status, {"b_id": person_id, "b_status": status})
        else:
            result = execute(self.conn, _set_status_and_branch,
                             {"b_id": person_id, "b_status": status, "b_branch_id": branch_id})
        if result.rowcount != 1:
            raise NotFound("人员", person_id)
