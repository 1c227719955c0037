"""The keys a registration claims for a person's open application (`application_claim`): the
database's guard behind the service's duplicate check (docs/storage.md "Open applications").

Precompiled statements on the driver connection (`hot`), as on the step path: a registration
claims one to three keys, and a Core statement here would also open SQLAlchemy's transaction on
top of SQLite's (~1 ms a registration). The claim is INSERT … ON CONFLICT DO NOTHING: a taken key
answers with no row instead of a failed statement (which would abort a PostgreSQL transaction),
so the caller can look at its holder and take over a stale one in the same transaction.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..tables import application_claim
from .base import Repository
from .hot import HotStatement, execute

_c = application_claim.c
_VALUES = {"key": bindparam("b_key"), "candidate_id": bindparam("b_cid")}
_holder = HotStatement(select(_c.candidate_id).where(_c.key == bindparam("b_key")))
_release = HotStatement(delete(application_claim).where(_c.key == bindparam("b_key"), _c.candidate_id == bindparam("b_cid")))
_insert = HotStatement(insert(application_claim).values(_VALUES))
_try: dict[str, HotStatement] = {}  # per dialect: INSERT … ON CONFLICT (key) DO NOTHING RETURNING key


def _try_insert(dialect_name: str) -> HotStatement:
    hot = _try.get(dialect_name)
    if hot is None:
        if dialect_name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        hot = _try[dialect_name] = HotStatement(
            dialect_insert(application_claim).values(_VALUES).on_conflict_do_nothing(index_elements=["key"])
            .returning(_c.key))
    return hot


class KeyClaimed(Exception):
    """Another registration of the same person holds one of the keys (or has just committed it):
    the caller rolls back and runs its check again."""


class ClaimRepo(Repository):
    __slots__ = ()

    def claim(self, keys: Iterable[str], candidate_id: int, stale: Callable[[str, int], bool] = lambda k, c: False) -> None:
        """Claim every key for `candidate_id`, in sorted order (two registrations wait on the same
        first key, never on each other's). A key already held is taken over if `stale(key, holder)`
        says its holder no longer needs it, else `KeyClaimed`. On PostgreSQL a key another open
        transaction has just inserted makes this wait for it: committed, it is held; rolled back, ours."""
        conn = self.conn
        attempt = _try_insert(conn.dialect.name)
        for key in sorted(set(keys)):
            if execute(conn, attempt, {"b_key": key, "b_cid": candidate_id}).fetchone() is not None:
                continue
            row = execute(conn, _holder, {"b_key": key}).fetchone()
            if row is not None and not stale(key, row[0]):
                raise KeyClaimed(key)
            if row is not None:
                execute(conn, _release, {"b_key": key, "b_cid": row[0]})
            try:  # a second taker of the same stale key waited on our DELETE's row lock, then fails here
                execute(conn, _insert, {"b_key": key, "b_cid": candidate_id})
            except IntegrityError:
                raise KeyClaimed(key) from None

    def holders(self, keys: Iterable[str]) -> dict[str, int]:
        """{key: candidate id} of the keys claimed (tests, and `verify`-like reads)."""
        return {k: row[0] for k in keys if (row := execute(self.conn, _holder, {"b_key": k}).fetchone()) is not None}
