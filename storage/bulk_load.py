"""The bulk write of a confirmed ledger import (storage side): plain tuples straight to the driver.

An import writes ~20 event rows per candidate (≈ 2 M for a 100k-candidate ledger) plus a
candidate, a person, a milestone row and a few deadline rows each. Through per-row dicts and
SQLAlchemy's parameter handling that cost more than folding the rows; here each row is one tuple
in the table's column order, built once, and handed to the driver inside the caller's
transaction (the unit of work's connection):

- SQLite: `cursor.executemany` of a fixed INSERT over a generator of tuples (dates and
  timestamps as the text SQLAlchemy's SQLite types write, JSON as its text);
- PostgreSQL: `COPY … FROM STDIN` (psycopg `cursor.copy()`, `write_row`), the same transaction,
  so a failure still leaves nothing.

The values are those `storage/repositories` would write (the same codecs: `hot.CODECS`, the same
JSON encoder), so Core reads these rows unchanged and `verify` replays them as any other. Event
rows get their hash-chain columns here (`BulkWriter._chained`, storage/chain.py): an import writes
whole new chains, one per candidate.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from .chain import canonical_json, event_hash, timestamp_text
from .db import json_loads
from .repositories.hot import CODECS, _as_sqlalchemy_error, _driver_connection  # storage-internal
from .tables import candidate, deadline, event, finding, milestone, person

PERSON = ("id", "name", "gender", "birth_date", "ethnicity", "education", "occupation", "tags", "party_status",
          "rights_suspended", "branch_id", "created_at", "import_id")
CANDIDATE = ("id", "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on",
             "updated_at", "import_id")
EVENT = ("candidate_id", "seq", "kind", "step", "occurred_on", "recorded_at", "actor", "evidence", "reason", "late",
         "definition_key")  # the writer adds prev_hash and hash (`_chained`)
_EVENT_WRITTEN = (*EVENT, "prev_hash", "hash")
DEADLINE = ("candidate_id", "branch_id", "step", "kind", "due_on", "provisional", "article")
MILESTONE = ("candidate_id", "person_id", "branch_id", "applied_on", "activist_on", "target_on", "admitted_on",
             "probation_from", "full_on", "extended_on", "ended_on", "end_stage", "first_on", "closed_on",
             "profile_id", "birth_date")
FINDING = ("candidate_id", "branch_id", "import_id", "source", "step", "rule", "article", "message", "occurred_on",
           "found_at")
TABLES = {"person": (person, PERSON), "candidate": (candidate, CANDIDATE), "event": (event, _EVENT_WRITTEN),
          "deadline": (deadline, DEADLINE), "milestone": (milestone, MILESTONE), "finding": (finding, FINDING)}
for _table, _cols in TABLES.values():  # a renamed column fails at import, not halfway through an import
    assert all(c in _table.c for c in _cols), (_table.name, _cols)


class _Memo(dict):
    """value -> its driver form, computed once (an import's rows share a few thousand dates and a
    handful of timestamps)."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        v = self[key] = self.fn(key)
        return v


class _JsonById:
    """JSON text of dicts shared by many rows (the imported evidence of each step is one dict per
    step and definition): cached by identity, the dict kept alive by the cache so its id is not
    reused; other values are encoded each time."""

    __slots__ = ("cache", "dumps")

    def __init__(self, dumps) -> None:
        self.cache: dict[int, tuple[Any, str]] = {}
        self.dumps = dumps

    def __call__(self, value) -> str:
        hit = self.cache.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text = self.dumps(value)
        if len(self.cache) < 10_000:
            self.cache[id(value)] = (value, text)
        return text


class _Canonical:
    """Stored JSON text -> its canonical encoding for the hash chain (storage/chain.py), kept for
    texts seen again (an import's evidence is one shared dict, so one text, per step)."""

    __slots__ = ("cache",)

    def __init__(self) -> None:
        self.cache: dict[str, bytes] = {}

    def __call__(self, text: str) -> bytes:
        hit = self.cache.get(text)
        if hit is None:
            hit = canonical_json(json_loads(text))
            if len(self.cache) < 10_000:
                self.cache[text] = hit
        return hit


class BulkWriter:
    """Writes rows (tuples in the column orders above, Python values) on `conn`'s transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        codec = CODECS[self.dialect]
        self.raw = _driver_connection(conn)
        self.copy = self.dialect == "postgresql"
        if self.copy:
            self.date = _identity
        else:
            self.date = _Memo(codec.date_in).__getitem__
        self.dt = _Memo(codec.dt_in).__getitem__
        self.json = codec.json_in
        self.shared_json = _JsonById(codec.json_in)
        self.canonical_evidence = _Canonical()

    def date_or_none(self, v: date | None):
        return None if v is None else self.date(v)

    def write(self, table: str, rows: Iterable[Sequence[Any]]) -> None:
        tbl, cols = TABLES[table]
        if table == "event":
            rows = self._chained(rows)
        quote = self.conn.dialect.identifier_preparer
        names = ", ".join(quote.quote(c) for c in cols)
        cursor = self.raw.cursor()
        try:
            if self.copy:
                sql = f"COPY {quote.format_table(tbl)} ({names}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    write_row = copy.write_row
                    for r in rows:
                        write_row(r)
            else:
                sql = f"INSERT INTO {quote.format_table(tbl)} ({names}) VALUES ({', '.join('?' * len(cols))})"
                cursor.executemany(sql, rows)
        except self.conn.dialect.loaded_dbapi.Error as err:
            raise _as_sqlalchemy_error(self.conn, sql, None, err, self.raw) from err
        finally:
            cursor.close()


    def _chained(self, rows: Iterable[Sequence[Any]]) -> Iterable[tuple]:
        """Event rows (EVENT's order, driver values) with their hash-chain columns appended.

        An import writes whole new chains: each candidate's rows arrive together, from seq 1 up.
        The canonical evidence text is kept per JSON text (the import shares one per step)."""
        sqlite = not self.copy
        canonical = self.canonical_evidence
        cid, prev = None, None
        for r in rows:
            c, seq = r[0], r[1]
            if c != cid:
                if seq != 1:
                    raise ValueError(f"bulk event rows of candidate {c} must start at seq 1, not {seq}")
                cid, prev = c, None
            on, at = r[4], r[5]
            digest = event_hash(prev, c, seq, r[2], r[3], on if sqlite else on.isoformat(),
                                at if sqlite else timestamp_text(at), r[6], canonical(r[7]), None, r[8], r[9], r[10])
            yield (*r, prev, digest)
            prev = digest


def _identity(v):
    return v


Batch = Sequence[tuple[str, Sequence[Sequence[Any]]]]  # (table, rows) in write order


class PipelinedWriter:
    """Writes batches in a second thread while the caller builds the next one.

    The database's own work on a batch — PostgreSQL's server processing a COPY (indexes, foreign-key
    checks), SQLite stepping its INSERTs (the sqlite3 module releases the GIL there) — then overlaps
    with Python building the next batch's tuples, instead of each waiting for the other. One batch
    is queued at most, so memory stays at two batches. The connection is used by the writer thread
    alone until `close()` returns; an error there is raised in the caller at the next `put` or at
    `close`, and the caller's transaction then rolls back as a whole.

        with PipelinedWriter(w, done=lambda batch: ...) as pipe:
            for ...:
                pipe.put([("candidate", cands), ("event", events), ...])
    """

    _STOP = object()

    def __init__(self, writer: BulkWriter, done: Callable[[Batch], None] | None = None) -> None:
        self.writer = writer
        self.done = done
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="partyflow-bulk-writer", daemon=True)

    def __enter__(self) -> "PipelinedWriter":
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(raise_error=exc_type is None)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is self._STOP:
                return
            if self._error is not None:
                continue  # drain: nothing more is written after an error
            try:
                for table, rows in batch:
                    if rows:
                        self.writer.write(table, rows)
                if self.done is not None:
                    self.done(batch)
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                self._error = e

    def put(self, batch: Batch) -> None:
        """Queue a batch (waits while the previous one is still queued)."""
        if self._error is not None:
            self.close()
        self._queue.put(batch)

    def close(self, *, raise_error: bool = True) -> None:
        """Wait until everything queued is written; raise the writer's error, if any."""
        if self._thread.is_alive():
            self._queue.put(self._STOP)
            self._thread.join()
        if raise_error and self._error is not None:
            error, self._error = self._error, None
            raise error
