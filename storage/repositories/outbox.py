"""The notification outbox: rows written with the scan, claimed, sent and marked by dispatchers.

Exactly-once creation comes from the UNIQUE `key` (INSERT … ON CONFLICT DO NOTHING). Sending is
at-least-once with a short window: a dispatcher claims rows with a lease (`claimed_by`,
`claimed_until`), sends, then marks them sent; if it dies in between, the lease runs out and
another dispatcher sends again. On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so several
dispatchers never wait on or take each other's rows; on SQLite the write lock (BEGIN IMMEDIATE)
serialises claims.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, text, true, update

from ..tables import outbox
from .base import Repository
from .on_conflict import insert_ignore
from .rows import OutboxRow

_o = outbox.c
_COLS = (
    _o.id, _o.key, _o.kind, _o.candidate_id, _o.step, _o.due_on, _o.created_on, _o.channel, _o.address,
    _o.recipient_name, _o.org_id, _o.payload, _o.status, _o.attempts, _o.next_attempt_at, _o.claimed_by,
    _o.claimed_until, _o.last_error, _o.created_at, _o.sent_at,
)


class OutboxRepo(Repository):
    __slots__ = ()

    def add_many(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows whose key is new; returns how many were new (existing keys are skipped)."""
        if not rows:
            return 0
        existing: set[str] = set()
        keys = [r["key"] for r in rows]
        for i in range(0, len(keys), 5000):  # a daily rescan finds most keys already there: skip them cheaply
            chunk = keys[i:i + 5000]
            existing.update(k for (k,) in self.conn.execute(select(_o.key).where(_o.key.in_(chunk))))
        fresh = [r for r in rows if r["key"] not in existing]
        stmt = insert_ignore(self.conn, outbox, ["key"])  # still ON CONFLICT: another process may race us
        new = 0
        for i in range(0, len(fresh), 500):
            result = self.conn.execute(stmt, fresh[i:i + 500])
            new += len(result.all())
        return new

    def _due(self, now: datetime, channel: str | None = None, address: str | None = None):
        """The predicate of a claimable row at `now`: pending, due, not held by a live lease, and
        no older row of the same recipient waiting to retry or in flight (per-recipient order).
        `channel` / `address` narrow it to one channel or recipient (in-app delivery on demand)."""
        older = outbox.alias("older")
        waiting_ahead = (
            select(older.c.id)
            .where(older.c.channel == _o.channel, older.c.address == _o.address, older.c.status == "pending",
                   older.c.id < _o.id,
                   # waiting to retry, or held by a dispatcher that is sending it right now
                   or_(older.c.next_attempt_at > now, older.c.claimed_until >= now))
            .exists()
        )
        narrow = []
        if channel is not None:
            narrow.append(_o.channel == channel)
        if address is not None:
            narrow.append(_o.address == address)
        return and_(
            *narrow,
            _o.status == "pending",
            _o.next_attempt_at <= now,
            or_(_o.claimed_until.is_(None), _o.claimed_until < now),
            ~waiting_ahead,  # a recipient's notices go out in order: none overtakes one waiting to retry
        )

    def claimable(self, now: datetime, limit: int, channel: str | None = None,
                  address: str | None = None) -> list[OutboxRow]:
        """The rows a claim at `now` would take (oldest first), without taking them: the dry run."""
        stmt = select(*_COLS).where(self._due(now, channel, address)).order_by(_o.id).limit(limit)
        return [OutboxRow(*r) for r in self.conn.execute(stmt)]

    def claim(self, worker: str, now: datetime, lease_until: datetime, limit: int, channel: str | None = None,
              address: str | None = None) -> list[OutboxRow]:
        """Take up to `limit` due pending rows (oldest first) for `worker` until `lease_until`."""
        pick = select(_o.id).where(self._due(now, channel, address)).order_by(_o.id).limit(limit)
        if self.conn.dialect.name == "postgresql":
            # Claims are short: serialise them so one claim sees the other's (committed) leases —
            # per-recipient order needs that; SQLite's BEGIN IMMEDIATE does the same there.
            self.conn.execute(text("SELECT pg_advisory_xact_lock(727374)"))
            pick = pick.with_for_update(skip_locked=True)
        ids = [r[0] for r in self.conn.execute(pick)]
        if not ids:
            return []
        self.conn.execute(
            update(outbox).where(_o.id.in_(ids)).values(claimed_by=worker, claimed_until=lease_until)
        )
        return self.get_many(ids)

    def get_many(self, ids: Iterable[int]) -> list[OutboxRow]:
        stmt = select(*_COLS).where(_o.id.in_(list(ids))).order_by(_o.id)
        return [OutboxRow(*r) for r in self.conn.execute(stmt)]

    def renew(self, ids: Sequence[int], worker: str, lease_until: datetime) -> bool:
        """Extend this worker's lease just before sending; False if any row was taken over or
        settled meanwhile (then the worker must not send: someone else owns them)."""
        result = self.conn.execute(
            update(outbox)
            .where(_o.id.in_(list(ids)), _o.claimed_by == worker, _o.status == "pending")
            .values(claimed_until=lease_until)
        )
        return result.rowcount == len(ids)

    def mark_sent(self, ids: Sequence[int], worker: str, now: datetime) -> int:
        """Mark sent — only rows this worker still holds (a lost lease means someone else has them)."""
        result = self.conn.execute(
            update(outbox)
            .where(_o.id.in_(list(ids)), _o.claimed_by == worker, _o.status == "pending")
            .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None, last_error=None)
        )
        return result.rowcount

    def mark_failed(self, ids: Sequence[int], worker: str, error: str, now: datetime, *, dead: bool = False,
                    max_attempts: int | None = None,
                    backoff: Callable[[int], timedelta] | None = None) -> dict[str, int]:
        """Record a failed send at `now`, per row — only rows this worker still holds.

        Each row counts its own attempts: it goes dead when `attempts + 1 >= max_attempts` (or at
        once with `dead`, a permanent error), else waits `backoff(attempts + 1)` from `now`. A fresh
        notice sent together with an old failing one therefore keeps its own retries.
        Returns {"failed": n, "dead": n} — the rows now waiting to retry and the rows now dead.
        """
        attempts = _o.attempts + 1
        if dead or max_attempts is None:
            status: Any = "dead" if dead else "pending"
        else:
            status = case((attempts >= max_attempts, "dead"), else_="pending")
        next_at: Any = now
        if backoff is not None and not dead:
            # one branch per attempt count until the backoff stops growing (a dozen at most)
            whens, n = [], 0
            while n < 64 and (not whens or backoff(n + 1) != backoff(n)):
                whens.append((_o.attempts == n, literal(now + backoff(n + 1), _o.next_attempt_at.type)))
                n += 1
            next_at = case(*whens, else_=literal(now + backoff(n + 1), _o.next_attempt_at.type))
        result = self.conn.execute(
            update(outbox)
            .where(_o.id.in_(list(ids)), _o.claimed_by == worker, _o.status == "pending")
            .values(attempts=attempts, last_error=error[:2000], next_attempt_at=next_at,
                    claimed_by=None, claimed_until=None, status=status)
            .returning(_o.status)
        )
        out = {"failed": 0, "dead": 0}
        for (s,) in result:
            out["dead" if s == "dead" else "failed"] += 1
        return out

    def retry(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Put dead rows (all, or the given ids) back in the queue."""
        stmt = update(outbox).where(_o.status == "dead")
        if ids is not None:
            stmt = stmt.where(_o.id.in_(list(ids)))
        return self.conn.execute(
            stmt.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None)
        ).rowcount

    def list(self, status: str | None = None, limit: int = 200) -> list[OutboxRow]:
        stmt = select(*_COLS).order_by(_o.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(_o.status == status)
        return [OutboxRow(*r) for r in self.conn.execute(stmt)]

    def has_pending(self, channel: str, address: str, now: datetime) -> bool:
        """Whether a recipient has rows due by `now` (an index seek on (channel, address, status))."""
        stmt = select(_o.id).where(_o.channel == channel, _o.address == address, _o.status == "pending",
                                   _o.next_attempt_at <= now).limit(1)
        return self.conn.execute(stmt).first() is not None

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute(select(_o.status, func.count()).group_by(_o.status)).all())

    # ---------------------------------------------------------------- the delivery log (web)

    def _log_where(self, state: str | None, org_ids: Iterable[int] | None):
        """`state`: pending (not tried yet), retrying (failed, waiting for its next try), sent,
        retried (sent after failed tries), dead; None = all. `org_ids`: recipients' organisations
        (None = everywhere)."""
        conds = []
        if org_ids is not None:
            conds.append(_o.org_id.in_(list(org_ids)))
        if state == "pending":
            conds += [_o.status == "pending", _o.attempts == 0]
        elif state == "retrying":
            conds += [_o.status == "pending", _o.attempts > 0]
        elif state == "retried":
            conds += [_o.status == "sent", _o.attempts > 0]
        elif state is not None:
            conds.append(_o.status == state)
        return and_(true(), *conds)

    def log_page(self, state: str | None, org_ids: Iterable[int] | None, limit: int, offset: int) -> list[OutboxRow]:
        """Rows for the delivery log, newest first."""
        stmt = (select(*_COLS).where(self._log_where(state, org_ids)).order_by(_o.id.desc())
                .limit(limit).offset(offset))
        return [OutboxRow(*r) for r in self.conn.execute(stmt)]

    def log_count(self, state: str | None, org_ids: Iterable[int] | None) -> int:
        stmt = select(func.count()).select_from(outbox).where(self._log_where(state, org_ids))
        return self.conn.execute(stmt).scalar_one()

    def retry_in(self, ids: Sequence[int], org_ids: Iterable[int] | None, now: datetime) -> int:
        """`retry` limited to rows of the given recipients' organisations (a scoped web user)."""
        stmt = update(outbox).where(_o.status == "dead", _o.id.in_(list(ids)))
        if org_ids is not None:
            stmt = stmt.where(_o.org_id.in_(list(org_ids)))
        return self.conn.execute(
            stmt.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None)
        ).rowcount
