"""Per-process caches behind services/worklist/reads.py: each candidate's open steps, and each scope's live
candidates kept up to date from the event log, so that a worklist or queue request costs in
proportion to what changed since the previous one, not to the number of candidates.

Three layers, all per `App` (one per server process), under one lock:

- `outlooks`: candidate id -> (version, open steps, branch of the state). A candidate's open steps
  depend only on its state (a new version on every write) and the holiday calendar.
- `scopes`: (branch ids or None, stages) -> the scope's live candidates (those whose stage lets a
  step of the wanted side be open) with their open steps; loaded once from the `candidate`
  (branch_id, stage) index, then patched.
- `feed`: the change feed. Every write of a candidate appends an `event` row in the same
  transaction (services/casework/candidates.py `_persist`, the ledger import), and event ids only grow
  (autoincrement). Each request first runs one primary-key range read, `event.id > floor`
  (usually no row), and re-reads only the candidates those events name: a candidate moved to
  another branch (a transfer) leaves one scope and enters another, a registration enters.

Changes that come without an event drop every scope (they reload on next use): an import undone
(`import_batch`: count and latest `undone_at`, read with the feed), other holiday years (the
calendar fingerprint, which also drops the open steps) and another set of definitions. Too many
events at once (a ledger import: more than `FEED_LIMIT`) also drops the scopes rather than
patching thousands of candidates.

PostgreSQL allocates an id at INSERT but shows the row at COMMIT: a transaction that commits later
may carry a smaller id than rows already seen (or none at all: rolled back). So the floor is not
"the highest id seen". Each feed read runs in one statement with `pg_current_snapshot()`; when it
sees new rows it leaves a checkpoint (highest id seen, the snapshot's xmax). A later read whose
snapshot xmin is at least that xmax moves the floor to the checkpoint's id, after taking the rows
it sees. Why that is exact, with no timing: every writer of an event has written its candidate row
first (services/casework/candidates.py `_persist`, registration, the ledger import), so it holds a
transaction id (xid) *before* it draws an event id. An id at or below the checkpoint's was drawn
before the checkpoint's snapshot (the sequence only grows), so its writer's xid is below that
xmax; once xmin has passed it, that writer has committed or aborted and this very read sees its
row. Ids above the floor are read again on every request until then and skipped by `seen`; the
window is the events of writers still running at the last checkpoint. When the feed starts (or
restarts after an overflow) it cannot know which older ids are still in flight: scopes loaded
before that first barrier settles (the same xmin test) are loaded again once it has. SQLite has one
writer and allocates ids under the write lock, so id order is commit order and the floor is simply
the highest id seen.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Any, NamedTuple

from sqlalchemy import func, select, text

from storage.tables import candidate, event, import_batch

CACHE_SIZE = 500_000  # candidates' open steps kept per process (a few hundred bytes each)
MAX_SCOPES = 512  # scopes (a secretary's branches, a township) kept per process
FEED_LIMIT = 2_000  # more new events than this in one read: drop the scopes instead of patching


class LiveRow(NamedTuple):
    """The candidate columns the worklist needs (row-like, as `select(...)` rows were)."""

    id: int
    person_id: int
    branch_id: int
    version: int
    definition_key: str
    stage: str


class Scope:
    """Live candidates of some branches (None: all) in some stages: cid -> (row, steps, branch)."""

    __slots__ = ("branches", "stages", "members", "gen", "derived", "provisional")

    def __init__(self, branches: frozenset[int] | None, stages: frozenset[str], provisional: bool) -> None:
        self.branches = branches
        self.stages = stages
        self.members: dict[int, tuple[LiveRow, tuple, int]] = {}
        self.gen = 0  # bumped on every change of members: derived values are keyed by it
        self.derived: dict[Any, tuple[Any, Any]] = {}  # name -> (key incl. gen, value)
        self.provisional = provisional

    def wants(self, row: LiveRow) -> bool:
        return row.stage in self.stages and (self.branches is None or row.branch_id in self.branches)

    def memo(self, name: str, key: Any, compute):
        got = self.derived.get(name)
        full = (self.gen, key)
        if got is not None and got[0] == full:
            return got[1]
        value = compute()
        self.derived[name] = (full, value)
        return value


class ChangeFeed:
    """Which candidates have new events since the last read (see the module docstring)."""

    def __init__(self) -> None:
        self.floor: int | None = None  # every event id <= floor has been applied or never will be
        self.seen: set[int] = set()  # ids above the floor already applied
        self.top = 0  # highest id seen
        self.checkpoints: deque[tuple[int, int]] = deque()  # (top, xmax) — PostgreSQL
        self.barrier: int | None = None  # the snapshot xmax at the start, until settled

    def reset(self) -> None:
        self.__init__()

    def read(self, conn) -> tuple[list[tuple[int, int]] | None, bool]:
        """(new (event id, candidate id) rows, or None on first use / overflow; whether the start
        barrier settled in this read)."""
        pg = conn.dialect.name == "postgresql"
        if self.floor is None:
            if pg:
                row = conn.execute(text(
                    "SELECT (SELECT coalesce(max(id), 0) FROM event), "
                    "pg_snapshot_xmax(pg_current_snapshot())::text::bigint")).one()
                self.floor = self.top = int(row[0])
                self.barrier = int(row[1])
            else:
                self.floor = self.top = conn.execute(select(func.coalesce(func.max(event.c.id), 0))).scalar_one()
            return None, False
        if pg:
            got = conn.execute(text(
                "SELECT s.xmin, s.xmax, e.id, e.candidate_id FROM (SELECT "
                "pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin, "
                "pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) s "
                "LEFT JOIN LATERAL (SELECT id, candidate_id FROM event WHERE id > :floor ORDER BY id "
                "LIMIT :n) e ON true"), {"floor": self.floor, "n": FEED_LIMIT + len(self.seen) + 1}).all()
            xmin, xmax = got[0][0], got[0][1]
            rows = [(r[2], r[3]) for r in got if r[2] is not None]
        else:
            xmin = xmax = 0
            rows = [tuple(r) for r in conn.execute(
                select(event.c.id, event.c.candidate_id).where(event.c.id > self.floor).order_by(event.c.id)
                .limit(FEED_LIMIT + 1))]
        new = [r for r in rows if r[0] not in self.seen]
        if len(new) > FEED_LIMIT:
            self.reset()
            return self.read(conn)
        if not pg:
            if rows:
                self.floor = self.top = rows[-1][0]
            return new, False
        if new:
            self.seen.update(r[0] for r in new)
            self.top = max(self.top, new[-1][0])
            self.checkpoints.append((self.top, xmax))
        settled = False
        while self.checkpoints and xmin >= self.checkpoints[0][1]:
            self.floor = max(self.floor, self.checkpoints.popleft()[0])
        if self.seen:
            self.seen = {i for i in self.seen if i > self.floor}
        if self.barrier is not None and xmin >= self.barrier:
            self.barrier, settled = None, True
        return new, settled


class WorklistCache:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.data: OrderedDict[int, tuple] = OrderedDict()  # cid -> (version, steps, state's branch)
        self.calendar: Any = None
        self.fingerprint: frozenset | None = None
        self.scopes: OrderedDict[tuple, Scope] = OrderedDict()
        self.feed = ChangeFeed()
        self.undone: tuple | None = None
        self.registry_keys: tuple | None = None

    # -- invalidation ---------------------------------------------------------------------------
    def check_calendar(self, cal) -> None:
        if cal is self.calendar:
            return
        fp = frozenset(getattr(cal, "_schedules", {}).values())
        with self.lock:
            if fp != self.fingerprint:
                self.data.clear()
                self.scopes.clear()
            self.calendar, self.fingerprint = cal, fp

    def _check_registry(self, keys: tuple) -> None:
        if keys != self.registry_keys:
            self.scopes.clear()
            self.registry_keys = keys

    def _check_undone(self, conn) -> None:
        b = import_batch.c
        fp = tuple(conn.execute(select(func.count(b.undone_at), func.max(b.undone_at))).one())
        if fp != self.undone:
            if self.undone is not None:  # candidates were deleted: their ids may come back (SQLite)
                self.data.clear()
                self.scopes.clear()
            self.undone = fp

    # -- open steps -----------------------------------------------------------------------------
    def _fill(self, conn, rows, compute) -> dict[int, tuple[LiveRow, tuple, int]]:
        """(row, steps, branch) of the candidate rows, from `data` where the version is known, else
        computed from the state (read for those only; `compute(state dict) -> (steps, branch)`)."""
        out: dict[int, tuple[LiveRow, tuple, int]] = {}
        data = self.data
        stale = []
        for r in rows:
            hit = data.get(r[0])
            if hit is not None and hit[0] == r[3]:
                out[r[0]] = (LiveRow(*r), hit[1], hit[2] or r[2])
            else:
                stale.append(r)
        c = candidate.c
        for i in range(0, len(stale), 500):
            chunk = stale[i:i + 500]
            states = dict(conn.execute(select(c.id, c.state).where(c.id.in_([r[0] for r in chunk]))).all())
            for r in chunk:
                if r[0] in states:  # (deleted meanwhile: left out)
                    hit = self._put(r[0], r[3], states[r[0]], compute)
                    out[r[0]] = (LiveRow(*r), hit[1], hit[2] or r[2])
        return out

    def _put(self, cid: int, version: int, state, compute) -> tuple:
        steps, branch = compute(state)
        entry = (version, steps, branch)
        self.data[cid] = entry
        self.data.move_to_end(cid)
        while len(self.data) > CACHE_SIZE:
            self.data.popitem(last=False)
        return entry

    def derive(self, scope: Scope, name: str, key: Any, compute):
        """A value computed from the scope's members, kept until they change (or `key` does)."""
        with self.lock:
            return scope.memo(name, key, compute)

    # -- scopes ---------------------------------------------------------------------------------
    def scope(self, engine_read, branch_ids: list[int] | None, stages: list[str], registry_keys: tuple,
              compute) -> Scope:
        """The scope's live candidates, brought up to date with the event log first."""
        key = (None if branch_ids is None else tuple(branch_ids), tuple(stages))
        return self._cached(engine_read, registry_keys, compute, self.scopes, key,
                            lambda conn: self._load(conn, key, compute))

    def _cached(self, engine_read, registry_keys: tuple, compute, store, key, load):
        """`store[key]` after the event log's changes are applied; loaded on a miss (LRU order)."""
        # the connection first, then the lock: a thread holding the lock never waits for the pool
        # (20 users at once emptied it and every request timed out after 30 s). The transaction's
        # snapshot is still taken under the lock: SQLite's BEGIN DEFERRED and PostgreSQL take it at
        # the first statement, the feed read below.
        with engine_read() as uow, self.lock:
            self._check_registry(registry_keys)
            conn = uow.connection
            self._sync(conn, compute)
            got = store.get(key)
            if got is None:
                got = load(conn)
            else:
                store.move_to_end(key)
            return got

    def start(self, engine_read) -> None:
        """Read the change feed once, before any scope: on PostgreSQL the start barrier is then set
        at start-up and has usually settled when the first user comes, so the first scope loaded
        is kept instead of being loaded twice (web/warmup.py)."""
        with engine_read() as uow, self.lock:
            if self.feed.floor is None:
                self._sync(uow.connection, None)

    def _sync(self, conn, compute) -> None:
        """Apply what the event log says changed to every scope (under the lock)."""
        self._check_undone(conn)
        new, settled = self.feed.read(conn)
        if new is None:
            self.scopes.clear()
        elif new:
            self._apply(conn, {cid for _id, cid in new}, compute)
        if settled:
            for k in [k for k, s in self.scopes.items() if s.provisional]:
                del self.scopes[k]

    def _load(self, conn, key, compute) -> Scope:
        branches, stages = key
        s = Scope(None if branches is None else frozenset(branches), frozenset(stages),
                  provisional=self.feed.barrier is not None)
        c = candidate.c
        stmt = select(c.id, c.person_id, c.branch_id, c.version, c.definition_key, c.stage).where(
            c.stage.in_(stages))
        if branches is not None:
            stmt = stmt.where(c.branch_id.in_(branches))
        rows = conn.execute(stmt).all()
        got = self._fill(conn, rows, compute)
        for r in rows:  # in the index's order
            e = got.get(r[0])
            if e is not None:
                s.members[r[0]] = e
        self.scopes[key] = s
        while len(self.scopes) > MAX_SCOPES:
            self.scopes.popitem(last=False)
        return s

    def _apply(self, conn, cids: set[int], compute) -> None:
        """Re-read the candidates with new events and move them in or out of every scope."""
        if not self.scopes:
            return
        c = candidate.c
        ids = sorted(cids)
        rows = []
        for i in range(0, len(ids), 500):
            rows += conn.execute(select(c.id, c.person_id, c.branch_id, c.version, c.definition_key, c.stage)
                                 .where(c.id.in_(ids[i:i + 500]))).all()
        got = self._fill(conn, rows, compute)
        for s in self.scopes.values():
            for cid in cids:
                e = got.get(cid)
                if e is not None and s.wants(e[0]):
                    old = s.members.get(cid)
                    if old is None or old[0] != e[0] or old[1] is not e[1]:
                        s.members[cid] = e
                        s.gen += 1
                elif s.members.pop(cid, None) is not None:
                    s.gen += 1
