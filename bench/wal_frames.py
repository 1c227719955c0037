"""WAL frames per step: how many database pages one step's commit writes, for partyflow and floors.

A commit in WAL mode appends every page the transaction changed (one "frame" each, 4 KiB plus a
24-byte header, two `pwrite`s) and, every `wal_autocheckpoint` frames, copies the latest version of
each page back into the database file and syncs both files. So the pages a step touches are what
its commit and its share of the checkpoints cost, beside the statements themselves. This runs the
same journeys as `bench.run` with automatic checkpoints off, then reads the WAL file: frames,
commits (frames carrying a commit mark) and the spread of frames per commit.

    python -m bench.wal_frames --n 300

Then partyflow's frames are split by table or index: the database image at every 50th commit is
rebuilt from the file and the WAL, each b-tree is walked from its root, and a frame is named by
the tree that holds its page.

The raw-SQL floor writes 2 pages a step (its candidate row and its event row; its tables have no
secondary index). A partyflow step writes at least 3 (the candidate row, the event row and the
event's (candidate_id, seq) key) and more when it moves a deadline, a milestone or the stage.
"""
from __future__ import annotations

import argparse
import collections
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

HEADER, FRAME_HEADER = 32, 24


def _frames(data: bytes) -> tuple[int, list[tuple[int, int, bool]]]:
    """The page size and (page number, offset of its page image, ends a commit) of every frame of
    the WAL file contents `data`, in order."""
    if len(data) < HEADER:
        return 0, []
    page_size = struct.unpack(">I", data[8:12])[0]
    out, off = [], HEADER
    while off + FRAME_HEADER + page_size <= len(data):
        page, commit_size = struct.unpack(">II", data[off:off + 8])
        out.append((page, off + FRAME_HEADER, commit_size != 0))
        off += FRAME_HEADER + page_size
    return page_size, out


def frames_of(wal: Path) -> list[tuple[int, bool]]:
    """(page number, ends a commit) of every frame in a WAL file, in order."""
    return [(page, commit) for page, _, commit in _frames(wal.read_bytes())[1]]


def _children(page: bytes, page_no: int) -> list[int]:
    """The child page numbers of an interior b-tree page (none for a leaf)."""
    h = 100 if page_no == 1 else 0
    if page[h] not in (2, 5):
        return []
    cells = int.from_bytes(page[h + 3:h + 5], "big")
    out = [int.from_bytes(page[h + 8:h + 12], "big")]  # the right-most child
    for c in range(cells):
        at = int.from_bytes(page[h + 12 + 2 * c:h + 14 + 2 * c], "big")
        out.append(int.from_bytes(page[at:at + 4], "big"))
    return out


def owners(image: Callable[[int], bytes], roots: dict[str, int]) -> dict[int, str]:
    """Page number → the table or index whose b-tree holds it, walking every tree from its root in
    one database image (`image(page_no)` gives a page's bytes). Overflow and free pages are not
    in any tree."""
    owner: dict[int, str] = {}
    for name, root in roots.items():
        todo = [root]
        while todo:
            page_no = todo.pop()
            if page_no in owner:
                continue
            owner[page_no] = name
            todo.extend(_children(image(page_no), page_no))
    return owner


def _roots(db: Path, wal: Path) -> dict[str, int]:
    """Root page of every table and index as the WAL leaves the schema (roots never move: no
    auto-vacuum), read from a throwaway copy of the database and its WAL."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "schema.db"
        shutil.copy(db, copy)
        shutil.copy(wal, str(copy) + "-wal")
        con = sqlite3.connect(copy)
        try:
            return dict(con.execute("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0"))
        finally:
            con.close()


def frames_by_tree(wal: Path, db: Path, commits: int, every: int = 50) -> list[tuple[str, float]]:
    """Frames per commit by table or index over the last `commits` commits of `wal`, largest first.

    `db` is the database file as it was when `wal` began (automatic checkpoints off). Pages change
    hands as rows come and go (an emptied deadline leaf is freed, an event leaf takes it), so the
    trees are walked again every `every` commits, in the image of the database at that commit,
    and a frame is named by the walk that follows it."""
    base = db.read_bytes()
    data = wal.read_bytes()
    page_size, frames = _frames(data)
    roots = {"sqlite_schema": 1, **_roots(db, wal)}
    latest: dict[int, int] = {}  # page → offset of its newest image so far
    counts: collections.Counter = collections.Counter()

    def image(page_no: int) -> bytes:
        at = latest.get(page_no)
        if at is not None:
            return data[at:at + page_size]
        return base[(page_no - 1) * page_size:page_no * page_size]

    def settle(pending: list[int]) -> None:
        owner = owners(image, roots)
        counts.update(owner.get(page_no, "overflow or free pages") for page_no in pending)

    first = sum(commit for _, _, commit in frames) - commits  # commits before the ones counted
    commit_no = 0
    pending: list[int] = []
    for page_no, at, commit in frames:
        latest[page_no] = at
        if commit_no >= first:
            pending.append(page_no)
        if commit:
            commit_no += 1
            if commit_no > first and (commit_no - first) % every == 0:
                settle(pending)
                pending = []
    if pending:
        settle(pending)
    return [(name, n / commits) for name, n in counts.most_common()]


def per_commit(frames: list[tuple[int, bool]]) -> list[int]:
    """Frames of each commit, in order."""
    sizes, n = [], 0
    for _page, commit in frames:
        n += 1
        if commit:
            sizes.append(n)
            n = 0
    return sizes


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def partyflow(n: int, db: Path) -> list[int]:
    """Frames per commit of bench.partyflow_steps' journey (its setup commits come first; `summary`
    takes the last n × 25)."""
    import storage.db as storage_db
    from bench import partyflow_steps

    configure = storage_db._configure_sqlite

    def configure_without_checkpoints(engine, *, in_memory):
        configure(engine, in_memory=in_memory)
        event.listen(engine, "connect", _no_autocheckpoint)

    storage_db._configure_sqlite = configure_without_checkpoints
    try:
        copy = db.with_suffix(".copy-wal")
        partyflow_steps.partyflow_steps(n, db)
        shutil.copy(str(db) + "-wal", copy)  # while the connection is open (closing checkpoints)
        shutil.copy(db, db.with_suffix(".base.db"))  # the file as the WAL found it (see frames_by_tree)
        return per_commit(frames_of(copy))
    finally:
        storage_db._configure_sqlite = configure


def schema_floor(n: int, db: Path) -> list[int]:
    """Frames per commit of the schema floor (plain sqlite3, partyflow's statements)."""
    from bench import schema_floor as floor

    prepare = floor._prepare

    def prepare_without_checkpoints(path, size):
        con = prepare(path, size)
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # setup out of the WAL
        real_close = con.close

        class _Keep:  # the floor closes its connection at the end: copy the WAL first
            def __getattr__(self, name):
                return getattr(con, name)

            def close(self):
                shutil.copy(str(path) + "-wal", Path(path).with_suffix(".copy-wal"))
                real_close()

        return _Keep()

    floor._prepare = prepare_without_checkpoints
    try:
        floor.schema_floor(n, db)
        return per_commit(frames_of(db.with_suffix(".copy-wal")))
    finally:
        floor._prepare = prepare


def raw_floor(n: int, db: Path) -> list[int]:
    """Frames per commit of the raw-SQL floor (one UPDATE + one INSERT per step)."""
    from bench import baselines

    connect = sqlite3.connect

    class _Keep:
        def __init__(self, con):
            self._con = con
            con.execute("PRAGMA wal_autocheckpoint=0")

        def __getattr__(self, name):
            return getattr(self._con, name)

        def close(self):
            shutil.copy(str(db) + "-wal", db.with_suffix(".copy-wal"))
            self._con.close()

    baselines.sqlite3.connect = lambda *a, **k: _Keep(connect(*a, **k))
    try:
        baselines.raw_sql_floor(n, db, trace_memory=False)
        return per_commit(frames_of(db.with_suffix(".copy-wal")))
    finally:
        baselines.sqlite3.connect = connect


def summary(name: str, sizes: list[int], steps: int) -> str:
    """One line: frames per step over the last `steps` commits (the journey), and their spread."""
    sizes = sizes[-steps:]
    spread = collections.Counter(sizes)
    common = ", ".join(f"{k}×{v}" for k, v in sorted(spread.items(), key=lambda kv: (-kv[1], kv[0]))[:6])
    return f"{name:14s} {len(sizes):>7,} commits  {sum(sizes) / len(sizes):5.2f} frames/step  (frames×commits: {common})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.wal_frames", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="candidates (25 steps each)")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    steps = args.n * 25
    for name, run in (("raw_sql_floor", raw_floor), ("schema_floor", schema_floor), ("partyflow", partyflow)):
        print(summary(name, run(args.n, args.out / f"frames_{name}.db"), steps), flush=True)
    db = args.out / "frames_partyflow.db"
    print("\npartyflow's frames per step by table or index:")
    for name, per_step in frames_by_tree(db.with_suffix(".copy-wal"), db.with_suffix(".base.db"), steps):
        print(f"  {per_step:5.2f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
