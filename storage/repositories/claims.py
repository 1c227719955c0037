"""The keys a registration claims for a person's open application (`application_claim`): the
database's guard behind the service's duplicate check (docs/storage.md "Open applications")."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..tables import application_claim
from .base import Repository

_c = application_claim.c


class KeyClaimed(Exception):
    """Another transaction holds (or has just committed) one of the keys: a registration of the same
    person raced this one. The transaction is unusable on PostgreSQL; the caller rolls it back."""


class ClaimRepo(Repository):
    __slots__ = ()

    def holders(self, keys: Iterable[str]) -> dict[str, int]:
        """{key: candidate id} of the keys already claimed (committed ones)."""
        keys = list(keys)
        return dict(self.conn.execute(select(_c.key, _c.candidate_id).where(_c.key.in_(keys))).all()) if keys else {}

    def release(self, key: str, candidate_id: int) -> None:
        """Free `key` if `candidate_id` still holds it (a stale claim another registration takes over)."""
        self.conn.execute(delete(application_claim).where(_c.key == key, _c.candidate_id == candidate_id))

    def claim(self, keys: Iterable[str], candidate_id: int) -> None:
        """Insert the keys one by one in sorted order (two registrations wait on the same first key,
        never on each other's); `KeyClaimed` if one is taken."""
        try:
            for key in sorted(set(keys)):
                self.conn.execute(insert(application_claim).values(key=key, candidate_id=candidate_id))
        except IntegrityError as e:
            raise KeyClaimed(str(e.orig)) from None
