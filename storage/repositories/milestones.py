"""Milestones: the narrow per-candidate row of the dates reports count (engine/milestones.py).

Written only when a milestone changes (about six of 25 steps), so the step path pays for it
rarely; reports aggregate it with SQL, `verify` streams it against the replay.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from ..tables import candidate, milestone, person, person_profile
from .base import Repository
from .hot import CODECS, HotStatement, execute, execute_many, stream
from .profiles import Profile, ProfileRepo, profile_of

_m = milestone.c
COLUMNS = (
    "branch_id", "applied_on", "activist_on", "target_on", "admitted_on", "probation_from", "full_on",
    "extended_on", "ended_on", "end_stage", "first_on", "closed_on",
)  # = engine.Milestones' fields
_NAMES = tuple(c.name for c in milestone.c)
_DATES = frozenset(COLUMNS) - {"branch_id", "end_stage"} | {"birth_date", "held_from"}
_PERSON = ("profile_id", "birth_date")  # copied from the person when the row is made (again if it is corrected)
_all = HotStatement(select(*(c for c in milestone.c if c.name not in _PERSON)).order_by(_m.candidate_id))
_insert = HotStatement(insert(milestone).values(
    {n: bindparam(n) for n in ("candidate_id", "person_id", *COLUMNS, *_PERSON)}))
_p = person.c
_f = person_profile.c
_copies = HotStatement(
    select(_m.candidate_id, _m.birth_date, _p.birth_date, _f.gender, _f.education, _f.ethnicity, _f.occupation,
           _f.tags, _p.gender, _p.education, _p.ethnicity, _p.occupation, _p.tags)
    .select_from(milestone.join(person, _p.id == _m.person_id).join(person_profile, _f.id == _m.profile_id))
    .order_by(_m.candidate_id))
_person = HotStatement(select(_p.gender, _p.education, _p.ethnicity, _p.occupation, _p.tags, _p.birth_date).where(
    _p.id == bindparam("b_id")))
_UPDATES: dict[tuple[str, ...], HotStatement] = {}
# the day a person became a full member, as one of their own candidacies shows it (step path: sponsors, mentors)
_full_since = HotStatement(
    select(func.min(_m.full_on)).select_from(candidate.join(milestone, _m.candidate_id == candidate.c.id))
    .where(candidate.c.person_id == bindparam("b_person_id")))


def _update(columns: tuple[str, ...]) -> HotStatement:
    """UPDATE of these columns only: branch_id and admitted_on are indexed, and SQLite rewrites an
    index entry whenever its column is SET, even to the same value. A step moves one or two
    milestones, so there are a few such statements, each compiled once."""
    stmt = _UPDATES.get(columns)
    if stmt is None:
        stmt = _UPDATES[columns] = HotStatement(
            update(milestone).where(_m.candidate_id == bindparam("b_cid"))
            .values({n: bindparam(f"b_{n}", type_=_m[n].type) for n in columns}))
    return stmt


def _plain(values, names=_NAMES) -> dict[str, Any]:
    """A row as {column: value} with dates as `date` on both backends."""
    out = dict(zip(names, values))
    for k in _DATES:
        v = out.get(k)
        if isinstance(v, str):
            out[k] = date.fromisoformat(v)
    return out


class MilestoneRepo(Repository):
    __slots__ = ()

    def _params(self, values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
        date_in = CODECS[self.conn.dialect.name].date_in
        return {f"{prefix}{k}": (date_in(v) if k in _DATES and v is not None else v) for k, v in values.items()}

    def put(self, candidate_id: int, person_id: int, values: Mapping[str, Any],
            was: Mapping[str, Any] | None = None) -> None:
        """Overwrite the candidate's milestone row (insert it if missing). A hot statement: it runs
        on the step path whenever a milestone changes. `was`: the row's values before (as the
        engine derives them), so only the columns that moved are written."""
        if was is not None:
            moved = {k: v for k, v in values.items() if k not in was or was[k] != v}
            if not moved:
                return
        else:
            moved = {"person_id": person_id, **values}
        params = self._params(moved, "b_")
        params["b_cid"] = candidate_id
        if execute(self.conn, _update(tuple(moved)), params).rowcount == 0:
            codec = CODECS[self.conn.dialect.name]
            gender, education, ethnicity, occupation, tags, birth = execute(
                self.conn, _person, {"b_id": person_id}).fetchone()
            profile = Profile.of(gender, education, ethnicity, occupation, codec.json_out(tags))
            self.add_many([{"candidate_id": candidate_id, "person_id": person_id, **values,
                            "profile_id": ProfileRepo(self.conn).id_for(profile),
                            "birth_date": codec.date_out(birth)}])

    def add_new(self, candidate_id: int, person: Any, values: Mapping[str, Any]) -> None:
        """The row of a candidate registered just now, from its person row already in hand (no
        probing UPDATE, no second read of the person)."""
        self.add_many([{"candidate_id": candidate_id, "person_id": person.id, **values,
                        "profile_id": ProfileRepo(self.conn).id_for(profile_of(person)), "birth_date": person.birth_date}])

    def add_many(self, rows: list[Mapping[str, Any]]) -> None:
        """Insert new rows ({candidate_id, person_id, *COLUMNS, profile_id, birth_date}) in one
        driver call."""
        execute_many(self.conn, _insert, [self._params(r) for r in rows])

    def get(self, candidate_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(milestone).where(_m.candidate_id == candidate_id)).first()
        return _plain(row) if row is not None else None

    def full_since(self, person_ids: list[int]) -> dict[int, date]:
        """The date each of these people became a full member, where one of their own candidacies
        shows it (people recorded as members without one are absent: their date is not known)."""
        out = {}
        date_out = CODECS[self.conn.dialect.name].date_out
        for pid in person_ids:  # one or two people (sponsors, mentors): a compiled statement each
            on = execute(self.conn, _full_since, {"b_person_id": pid}).fetchone()[0]
            if on is not None:
                out[pid] = date_out(on)
        return out

    def set_person_copies(self, person_id: int, profile_id: int, birth_date: date) -> int:
        """After a person's profile or birth date was corrected: their rows carry the new copies
        (so reports count the corrected values and `verify` agrees). Returns the rows changed."""
        own = select(candidate.c.id).where(candidate.c.person_id == person_id)  # by index, not a scan
        return self.conn.execute(update(milestone).where(_m.candidate_id.in_(own))
                                 .values(profile_id=profile_id, birth_date=birth_date)).rowcount

    def delete_for(self, candidate_ids: list[int]) -> None:
        self.conn.execute(delete(milestone).where(_m.candidate_id.in_(candidate_ids)))

    def iter_all(self, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row (without the person's copied values) ordered by candidate_id, streamed (for
        verify's merge with the log)."""
        names = [n for n in _NAMES if n not in _PERSON]
        for row in stream(self.conn, _all, {}, batch):
            yield _plain(row, names)

    def iter_person_mismatches(self, batch: int = 2000) -> Iterator[tuple[int, str]]:
        """(candidate_id, what differs) for each row whose copied profile or birth date no longer
        matches its person (verify)."""
        codec = CODECS[self.conn.dialect.name]
        for cid, m_birth, p_birth, *values in stream(self.conn, _copies, {}, batch):
            if codec.date_out(m_birth) != codec.date_out(p_birth):
                yield cid, "出生日期"
            elif Profile(*values[:5]) != Profile.of(*values[5:9], codec.json_out(values[9])):
                yield cid, "人员信息（性别、学历、民族、职业、类别）"
