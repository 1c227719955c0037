"""CPU time and SQL statements of the township's queue service (issue 19): `queue_page` and the
review threads of its items (`review_threads`), what GET /queue asks of the services, without the
web layer. On a kept web_bench database (read, never written), as the township officer btown01 (t01):

    .venv/bin/python -m bench.web_bench --candidates 100000 --keep      # once, if no database is kept
    .venv/bin/python -m bench.review_threads --requests 300 [--url sqlite:///bench/out/web_100000_....db]
    .venv/bin/python -m bench.review_threads --profile                  # and the top of a cProfile

Prints the items, CPU ms per warm request (time.process_time: the machine is shared) of the whole
and of `review_threads` alone, and the statements each runs (counted on the driver connection:
the repositories' hot statements bypass SQLAlchemy's events).
"""
from __future__ import annotations

import argparse
import cProfile
import glob
import pstats
import time
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def counted_statements(app) -> Iterator[list[int]]:
    """[statements run so far] on this thread's kept connection (`App.uow`) while inside: every
    SELECT/INSERT/... whether through SQLAlchemy or the driver directly; BEGIN/COMMIT not."""
    with app.uow(read_only=True) as uow:
        raw = uow.connection.connection.dbapi_connection
    seen = [0]
    if app.engine.dialect.name == "sqlite":
        def trace(sql: str) -> None:
            if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "--")):
                seen[0] += 1

        raw.set_trace_callback(trace)
        try:
            yield seen
        finally:
            raw.set_trace_callback(None)
        return
    base = raw.cursor_factory  # psycopg: Core and the hot path both run through this connection's cursors

    class Counting(base):
        def execute(self, query, *args, **kw):
            seen[0] += 1
            return super().execute(query, *args, **kw)

    raw.cursor_factory = Counting
    try:
        yield seen
    finally:
        raw.cursor_factory = base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="default: the newest bench/out/web_100000_*.db")
    parser.add_argument("--user", default="btown01")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from services.accounts.access import principal_for
    from services.app import App
    from services.review.thread import review_threads
    from services.worklist.reads import queue_page

    url = args.url
    if url is None:
        kept = sorted(glob.glob("bench/out/web_100000_*.db"))
        if not kept:
            raise SystemExit("没有保留的基准数据库：先运行 python -m bench.web_bench --candidates 100000 --keep")
        url = f"sqlite:///{kept[-1]}"
    app = App.open(url, migrate=False)
    try:
        with app.uow(read_only=True) as uow:
            user = uow.users.by_username(args.user)
        who = principal_for(app, user.id)
        spent = [0.0, 0]

        def request(seen):
            total, items = queue_page(app, who, 50, 0)
            ids = [i["candidate_id"] for i in items if i["review"] in ("submitted", "unsent")]
            before, start = seen[0], time.process_time()
            review_threads(app, ids)
            spent[0] += time.process_time() - start
            spent[1] += seen[0] - before
            return total, items, ids

        with counted_statements(app) as seen:
            request(seen)  # warm: the queue's cache, compiled statements
            spent[:] = [0.0, 0]
            first, start = seen[0], time.process_time()
            for _ in range(args.requests):
                total, items, ids = request(seen)
            cpu = time.process_time() - start
        n = args.requests
        print(f"{url}  {args.user}: queue {total} items, page {len(items)}, threads of {len(ids)}")
        print(f"queue service (queue_page + review_threads): {cpu / n * 1000:.2f} ms CPU, "
              f"{(seen[0] - first) / n:.1f} statements a request")
        print(f"  review_threads alone: {spent[0] / n * 1000:.2f} ms CPU, {spent[1] / n:.1f} statements")
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(lambda: [request([0]) for _ in range(20)])
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    finally:
        app.close()


if __name__ == "__main__":
    main()
