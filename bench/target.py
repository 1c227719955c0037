"""Where a bulk benchmark puts its database: a fresh (or reused) SQLite file under bench/out/, or a
dedicated schema of a PostgreSQL database, dropped and re-created unless reused."""
from __future__ import annotations

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
