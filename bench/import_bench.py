"""Ledger import benchmark (issue 4, part 8): preview and confirm of a 100k-candidate 台账.

    python -m bench.import_bench                      # SQLite file in a temp dir, 100,000 candidates
    python -m bench.import_bench --url postgresql+psycopg://…/test
    python -m bench.import_bench --candidates 10000 --file /tmp/ledger.xlsx --keep

1. Generates the ledger file (not timed as part of the figure): one township, 50 branches, N rows
   in the export layout of cpc_2014@2, dates cycling through 64 compliant candidate histories at
   different stages (applicant … full member, with several entries of the repeatable steps) —
   ≈ 20 step dates per row, ≈ 2 M for 100k rows. Written with openpyxl's write-only mode.
2. Preview (`services.ledger.intake.plan_import`): the safe read (zip checks, raw-XML scan, cells by
   python-calamine), row resolution and the engine's backfill of every row; nothing is written.
3. Confirm (`services.ledger.intake.confirm`): the same again plus the bulk write in one transaction
   (`storage/bulk_load.py`: executemany of tuples on SQLite, COPY on PostgreSQL), with a rich
   progress bar: rows read and checked, then events written.
4. `verify` on the result (streams and replays every log; its time is reported, not part of the
   figure).
Figures: seconds and events/s of preview and confirm; confirm split into read+plan and write.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from engine.calendar import shift

console = Console(stderr=True)
BRANCHES = 50
TODAY = datetime(2026, 5, 10, 10, 0)  # the day before the 2026 revision: the township's layout is cpc_2014@2


def _templates():
    """64 compliant histories: (step dates by step id) at varied stages and dates."""
    from tests.ledger_helpers import clean_path
    from workflows.registry import Registry

    defn = Registry.default().get("cpc_2014@2")  # the rules (and the export layout) in force on TODAY
    ids = [s.id for s in defn.steps]
    out = []
    rng = random.Random(4)
    for i in range(64):
        applied = date(2016, 1, 4) + timedelta(days=rng.randrange(0, 2500))
        until = ids[min(len(ids) - 1, 3 + (i * 7) % 25)] if i % 3 else None
        path = clean_path(defn, applied, until=until)
        cells = {k: [v] for k, v in path.items()}
        if "target_selection" in path:  # half-yearly cultivation entries before the target step
            act = path["activist_selection"]
            cells["cultivation"] = [shift(act, months=6 * k) for k in (1, 2) if shift(act, months=6 * k) < path["target_selection"]] or cells["cultivation"]
        if "conversion_meeting" in path:
            m = path["admission_meeting"]
            cells["probation_education"] = [shift(m, months=6), shift(m, months=12) - timedelta(days=3)]
        if max(d for v in cells.values() for d in v) > TODAY.date():
            continue
        out.append(cells)
    return defn, out


def generate(path: Path, n: int) -> int:
    """Write the ledger; returns the number of step dates."""
    from openpyxl import Workbook

    from reports.ledger.layout import layout_for

    defn, templates = _templates()
    layout = layout_for(defn)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("发展党员工作台账")
    ws.append(["发展党员工作台账（基准测试）"])
    ws.append(list(layout.headers))
    total = 0
    with Progress(TextColumn("生成台账"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("gen", total=n)
        for i in range(n):
            t = templates[i % len(templates)]
            row = []
            for col in layout.columns:
                k = col.key
                if k == "step":
                    ds = t.get(col.step)
                    if not ds:
                        row.append(None)
                    else:
                        total += len(ds)
                        row.append(ds[0] if len(ds) == 1 else "\n".join(d.isoformat() for d in ds))
                elif k == "serial":
                    row.append(i + 1)
                elif k == "name":
                    row.append(f"候选人{i:06d}")
                elif k == "gender":
                    row.append("男" if i % 3 else "女")
                elif k == "birth_date":
                    row.append(date(1970 + i % 25, 1 + i % 12, 1 + i % 28))
                elif k == "ethnicity":
                    row.append("汉族")
                elif k == "education":
                    row.append("大专")
                elif k == "occupation":
                    row.append("农牧渔民")
                elif k == "tags":
                    row.append("致富带头人" if i % 4 == 0 else None)
                elif k == "branch":
                    row.append(f"基准村{i % BRANCHES:02d}党支部")
                else:
                    row.append(None)
            ws.append(row)
            if i % 2000 == 0:
                bar.update(task, completed=i)
        bar.update(task, completed=n)
    wb.save(path)
    return total


def setup_db(url: str):
    from services.app import SHANGHAI, App

    app = App.open(url)
    app.clock = lambda: TODAY.replace(tzinfo=SHANGHAI)
    with app.uow() as uow:
        county = uow.orgs.add(code="bench-c", name="基准县", level="county")
        town = uow.orgs.add(code="bench-t", name="基准乡党委", level="township", parent_id=county)
        for b in range(BRANCHES):
            uow.orgs.add(code=f"bench-b{b:02d}", name=f"基准村{b:02d}党支部", level="branch", kind="rural", parent_id=town)
    return app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--url", help="database URL (default: a fresh SQLite file in a temp dir)")
    ap.add_argument("--file", help="ledger file to use/keep (generated if missing)")
    ap.add_argument("--keep", action="store_true", help="keep the generated file and SQLite database")
    ap.add_argument("--batch", type=int, default=5000, help="candidates per bulk-insert batch")
    ap.add_argument("--no-verify", action="store_true")
    args = ap.parse_args(argv)

    from reports.ledger.reader import Limits
    from services.ledger import intake as ledger
    from services.integrity.verify import verify

    tmp = Path(tempfile.mkdtemp(prefix="pf-import-bench-"))
    path = Path(args.file) if args.file else tmp / "ledger.xlsx"
    if not path.exists():
        t = time.perf_counter()
        dates = generate(path, args.candidates)
        console.print(f"generated {path} ({path.stat().st_size / 2**20:.1f} MB, {args.candidates} rows, {dates} step dates) "
                      f"in {time.perf_counter() - t:.1f} s")
    url = args.url or f"sqlite:///{tmp / 'bench.db'}"
    if args.url and args.url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        eng = create_engine(args.url)
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA IF EXISTS pf_import_bench CASCADE"))
            c.execute(text("CREATE SCHEMA pf_import_bench"))
        eng.dispose()
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}options=-csearch_path%3Dpf_import_bench"
    app = setup_db(url)
    limits = Limits(max_rows=max(args.candidates, 200_000))

    t = time.perf_counter()
    plan = ledger.plan_import(app, path, "bench-t", limits=limits)
    preview_s = time.perf_counter() - t
    events = plan.events
    assert plan.ok, plan.as_dict(limit=5)

    t = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console) as bar:
        read = bar.add_task("读取并核对各行", total=args.candidates)
        plan2 = ledger.plan_import(app, path, "bench-t", limits=limits,
                                   progress=lambda d, total: bar.update(read, completed=d, total=total))
        plan_s = time.perf_counter() - t
        write = bar.add_task("写入步骤记录", total=events)
        res = ledger.confirm(app, path, "bench-t", limits=limits, plan=plan2, batch_size=args.batch,
                             progress=lambda d, total: bar.update(write, completed=d))
    confirm_s = time.perf_counter() - t
    write_s = confirm_s - plan_s
    backend = app.engine.dialect.name if hasattr(app, "engine") else url.split(":")[0]
    print(f"backend                {backend}")
    print(f"candidates             {res['candidates']:,}")
    print(f"events (step dates)    {res['events']:,}")
    print(f"findings / late steps  {res['findings']} / {res['late_steps']}")
    print(f"preview                {preview_s:8.1f} s   {events / preview_s:10,.0f} events/s")
    print(f"confirm (total)        {confirm_s:8.1f} s   {events / confirm_s:10,.0f} events/s")
    print(f"  read + plan          {plan_s:8.1f} s")
    print(f"  write (1 transaction){write_s:8.1f} s   {events / write_s:10,.0f} events/s")
    if not args.no_verify:
        t = time.perf_counter()
        rep = verify(app)
        print(f"verify                 {time.perf_counter() - t:8.1f} s   ok={rep.ok} ({rep.candidates:,} candidates)")
    app.close()
    if not args.keep and not args.file:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
