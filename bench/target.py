"""Where a bulk benchmark puts its database: a fresh (or reused) SQLite file under bench/out/, or a
dedicated schema of a PostgreSQL database, dropped and re-created unless reused."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.scan_bench import _pg_schema, _pg_url

OUT = Path(__file__).resolve().parent / "out"


def bench_database(url: str | None, *, stem: str, schema: str, reuse: bool) -> tuple[bool, str | None, str]:
    """(is PostgreSQL, the base URL (PostgreSQL) or None, the URL to open) for `--url`/`--reuse`."""
    if url and not url.startswith("sqlite"):
        if not reuse:
            _pg_schema(url, schema, create=True)
        return True, url, _pg_url(url, schema)
    OUT.mkdir(parents=True, exist_ok=True)
    path = Path(make_url(url).database) if url else OUT / f"{stem}.db"
    if not reuse:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return False, None, f"sqlite:///{path}"


def drop_bench_database(pg: bool, base: str | None, url: str, *, schema: str) -> None:
    """Remove what `bench_database` made (the end of a run without --keep)."""
    if pg:
        _pg_schema(base, schema, create=False)
        return
    path = make_url(url).database
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_value(v):
    """The text SQLAlchemy's SQLite types write (dates, naive datetimes, booleans as 0/1)."""
    if isinstance(v, datetime):
        return v.isoformat(" ", "microseconds")
    if isinstance(v, date):
        return v.isoformat()
    return int(v) if isinstance(v, bool) else v


def sqlite_bulk_load(path: str, tables: Iterable[tuple[str, Sequence[str], Iterable[tuple]]],
                     big: Sequence[str]) -> None:
    """Insert `(table, columns, rows)` into a migrated SQLite file in one transaction, with the
    indexes of the `big` tables dropped during the load and rebuilt after, then ANALYZE and WAL."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=DELETE")  # no multi-GB WAL for one big transaction
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-524288")  # 512 MiB while loading
        db.execute("PRAGMA foreign_keys=OFF")  # consistent by construction
        db.execute("BEGIN")
        indexes = db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({','.join('?' * len(big))})", tuple(big)).fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        for table, cols, rows in tables:
            db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                           (tuple(map(_sqlite_value, r)) for r in rows))
        for _, sql in indexes:
            db.execute(sql)
        db.execute("COMMIT")
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
