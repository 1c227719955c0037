"""Person profiles: the distinct combinations of the values reports break down by.

A report over a county groups ~300k picked candidates; SQLite has no hash aggregation, so grouping
by five text columns sorts five strings per row. Each milestone row instead carries the small
integer of its person's profile, and the report maps the few thousand profile ids back to their
values afterwards (reports/query.py). Profiles are immutable and never deleted, so an id, once
read, stays true; they are created on demand (get-or-create, safe against a concurrent writer).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select

from ..tables import person_profile
from .base import Repository
from .hot import HotStatement, execute
from .on_conflict import insert_ignore

_f = person_profile.c
_by_key = HotStatement(select(_f.id).where(_f.key == bindparam("b_key")))
_by_keys = select(_f.key, _f.id).where(_f.key.in_(bindparam("b_keys", expanding=True)))
_all = select(_f.id, _f.gender, _f.education, _f.ethnicity, _f.occupation, _f.tags)
_by_ids = _all.where(_f.id.in_(bindparam("b_ids", expanding=True)))


class Profile(NamedTuple):
    """The reportable values of a person, normalised: blanks are '', tags the canonical JSON text."""

    gender: str
    education: str
    ethnicity: str
    occupation: str
    tags: str

    @classmethod
    def of(cls, gender: str, education: str | None, ethnicity: str | None, occupation: str | None,
           tags: Any) -> "Profile":
        return cls(gender.strip(), _text(education), _text(ethnicity), _text(occupation), canonical_tags(tags))

    @property
    def key(self) -> str:
        return json.dumps(list(self), ensure_ascii=False, separators=(",", ":"))


def _text(value: str | None) -> str:
    return (value or "").strip()


def canonical_tags(tags: Any) -> str:
    """A tag list (or its JSON text) as the JSON text of its sorted distinct non-blank tags."""
    if isinstance(tags, str):
        try:
            tags = json.loads(tags) if tags.strip() else []
        except ValueError:
            tags = [tags]
        if isinstance(tags, str):  # double-encoded by some writer
            return canonical_tags(tags)
    clean = sorted({str(t).strip() for t in tags or () if str(t).strip()})
    return json.dumps(clean, ensure_ascii=False)


def profile_of(row: Any) -> Profile:
    """The profile of a person row (anything with gender, education, ethnicity, occupation, tags)."""
    return Profile.of(row.gender, row.education, row.ethnicity, row.occupation, row.tags)


class ProfileRepo(Repository):
    __slots__ = ()

    def id_for(self, profile: Profile) -> int:
        """The profile's id, created if new (one indexed lookup on the usual path)."""
        row = execute(self.conn, _by_key, {"b_key": profile.key}).fetchone()
        if row is not None:
            return row[0]
        return self.ids_for([profile])[profile]

    def ids_for(self, profiles: Iterable[Profile]) -> dict[Profile, int]:
        """{profile: id} for many (a ledger import, a migration): one lookup, inserts for the new."""
        wanted = {p.key: p for p in profiles}
        found: dict[str, int] = {}
        keys = list(wanted)
        for i in range(0, len(keys), 500):
            found.update(self.conn.execute(_by_keys, {"b_keys": keys[i:i + 500]}).all())
        missing = [k for k in keys if k not in found]
        if missing:
            stmt = insert_ignore(self.conn, person_profile, ["key"])
            for k in missing:  # a concurrent writer may win a key: then it is read below
                self.conn.execute(stmt, {"key": k, **wanted[k]._asdict()})
            for i in range(0, len(missing), 500):
                found.update(self.conn.execute(_by_keys, {"b_keys": missing[i:i + 500]}).all())
        return {p: found[k] for k, p in wanted.items()}

    def by_ids(self, ids: Sequence[int]) -> dict[int, Profile]:
        """{id: profile} for the ids asked (a county report's few thousand). Many ids: one read of
        the whole (small) table beats expanding thousands of bound parameters (5,090 ids on
        PostgreSQL: ~80 ms in batches of 1,000, ~25 ms for the table)."""
        ids = list(ids)
        if len(ids) > 500:
            wanted = set(ids)
            return {pid: Profile(*values) for pid, *values in self.conn.execute(_all) if pid in wanted}
        return {pid: Profile(*values) for pid, *values in self.conn.execute(_by_ids, {"b_ids": ids})}
