"""The step path in one run: partyflow vs the contract floor, raw SQL, SpiffWorkflow and an ORM session.

    python -m bench.run                      # N = 1k, 10k, 100k (about 15 minutes here)
    python -m bench.run --sizes 1000 --peer-n 300

Each measurement runs in its own spawned interpreter so its peak RSS is its own. SpiffWorkflow is
measured at --peer-n candidates (its per-step cost does not depend on N: every step reloads one
candidate's JSON), and the ratios compare rates. The third reference of the issue's orientation
figures, a straightforward SQLAlchemy ORM session per step, is measured once at --orm-n candidates
(its tiny rows stay cached at any N): raw floor ÷ ORM says how this machine weighs Python work
against SQLite's, which the × raw ratio depends on. Replay = `verify` over the largest partyflow
database: every candidate's log replayed through the engine and compared with the stored state
and deadline rows.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from bench import baselines
from bench import partyflow_steps as pf
from bench.contract_floor import contract_floor, python_budget_us
from bench.schema_floor import schema_floor

# Issue 19's targets for the step path (bench/README.md "Issue 19 targets")
TARGET_VS_CONTRACT = 0.5
TARGET_VS_SPIFF = 10.0
TARGET_VS_ORM = 3.0
# "flat in N": peak RSS at the largest N at most the smallest N's × FLAT_RSS plus SQLite's page cache,
# which fills up to its cap (storage/db.py, cache_size=-65536; the schema floor sets the same) once
# the database outgrows it
FLAT_RSS = 1.25
SQLITE_CACHE_MB = 64

# The issue's orientation figures ("on this machine plain sqlite3 does ~34k such steps/s, a
# straightforward SQLAlchemy ORM session per step ~4k/s, SpiffWorkflow ~650/s"), steps/s.
ORIENTATION = {"raw": 34_000, "orm": 4_000, "spiff": 650}


def orientation_estimate(ours: float, raw: float, schema: float, orm: float, spiff: float) -> dict:
    """partyflow's × raw as estimated for the issue's orientation machine, from this run.

    A step's time splits into the database's (the schema floor: partyflow's statements, no
    Python) and Python's (the rest). SQLite runs at about the same speed on both machines (raw
    floor), Python does not: the ORM reference and SpiffWorkflow, both mostly Python, say how much
    faster it runs there. Scaling partyflow's Python time by each of the two gives a range. An
    estimate, labelled as one: the measured figure is "× raw" above.
    """
    db = 1 / schema  # seconds per step in the database
    py = max(1 / ours - db, 0.0)
    out = {"machine": {k: round(v / ORIENTATION[k], 2) for k, v in (("raw", raw), ("orm", orm), ("spiff", spiff))}}
    for name, here, there in (("orm", orm, ORIENTATION["orm"]), ("spiff", spiff, ORIENTATION["spiff"])):
        # the reference's own Python time, here and there (its database part is about the raw floor's)
        k = max(1 / here - 1 / raw, 1e-9) / max(1 / there - 1 / ORIENTATION["raw"], 1e-9)
        out[f"vs_raw_by_{name}"] = round(1 / (db * raw / ORIENTATION["raw"] + py / k) / ORIENTATION["raw"], 3)
    return out


def _contract_with_cpu(n: int, db_path: Path) -> tuple:
    cpu: dict = {}
    return contract_floor(n, db_path, cpu=cpu), cpu["seconds"]


def _partyflow_with_cpu(n: int, db_path: Path) -> tuple:
    cpu: dict = {}
    return pf.partyflow_steps(n, db_path, cpu=cpu), cpu["seconds"]


def _verify(db_path: Path) -> dict:
    from services.app import App
    from services.integrity.verify import verify

    report = verify(App.open(f"sqlite:///{db_path}"))
    out = report.as_dict()
    out.pop("mismatches")
    out["mismatch_count"] = len(report.mismatches)
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="candidate counts (comma-separated)")
    ap.add_argument("--peer-n", type=int, default=1000, help="candidates for the SpiffWorkflow peer")
    ap.add_argument("--orm-n", type=int, default=1000, help="candidates for the SQLAlchemy ORM reference")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    run = baselines._run_isolated
    started = time.perf_counter()

    peer = run(baselines.spiff_peer, args.peer_n, args.out / "spiff_peer.db", trace_memory=False)
    print(peer.line(), flush=True)
    orm = run(baselines.orm_session_per_step, args.orm_n, args.out / "orm_session.db", trace_memory=False)
    print(orm.line(), flush=True)
    rows = []
    for n in sizes:
        floor = run(baselines.raw_sql_floor, n, args.out / f"raw_{n}.db", trace_memory=False)
        schema = run(schema_floor, n, args.out / f"schema_{n}.db")
        contract, contract_cpu = run(_contract_with_cpu, n, args.out / f"contract_{n}.db")
        ours, ours_cpu = run(_partyflow_with_cpu, n, args.out / f"partyflow_{n}.db")
        print(floor.line(), flush=True)
        print(schema.line(), flush=True)
        print(contract.line(), flush=True)
        print(ours.line(), flush=True)
        row = {
            "n": n, "partyflow_steps_per_s": round(ours.rate), "raw_sql_steps_per_s": round(floor.rate),
            "spiff_steps_per_s": round(peer.rate), "vs_raw": round(ours.rate / floor.rate, 3),
            "schema_floor_steps_per_s": round(schema.rate), "vs_schema_floor": round(ours.rate / schema.rate, 3),
            "vs_spiff": round(ours.rate / peer.rate, 1), "orm_steps_per_s": round(orm.rate),
            "vs_orm": round(ours.rate / orm.rate, 2), "raw_vs_orm": round(floor.rate / orm.rate, 1),
            "partyflow_maxrss_mb": round(ours.maxrss_mb, 1), "schema_floor_maxrss_mb": round(schema.maxrss_mb, 1),
            "contract_floor_steps_per_s": round(contract.rate),
            "vs_contract_floor": round(ours.rate / contract.rate, 3),
            # the same ratio by the loops' process CPU time: steadier when other processes share the cores
            "vs_contract_floor_cpu": round(contract_cpu / ours_cpu, 3),
            "partyflow_cpu_us_per_step": round(ours_cpu / ours.steps * 1e6, 1),
            "contract_floor_cpu_us_per_step": round(contract_cpu / contract.steps * 1e6, 1), "contract_floor_vs_raw": round(contract.rate / floor.rate, 3),
            # µs a step may spend beyond the contract's own writes at 0.25 × raw, and what partyflow spends
            "budget_beyond_contract_us": round(python_budget_us(floor.rate, contract.rate), 1),
            "partyflow_beyond_contract_us": round((1 / ours.rate - 1 / contract.rate) * 1e6, 1),
            "orientation_estimate": orientation_estimate(ours.rate, floor.rate, schema.rate, orm.rate, peer.rate),
        }
        rows.append(row)
        print(f"  → N={n}: {row['vs_raw']:.2f} × raw SQL, {row['vs_schema_floor']:.2f} × schema floor, "
              f"{row['vs_spiff']:.1f} × SpiffWorkflow, {row['vs_orm']:.2f} × ORM (raw = {row['raw_vs_orm']} × ORM), "
              f"peak RSS {row['partyflow_maxrss_mb']} MiB", flush=True)
        print(f"    × contract floor {row['vs_contract_floor']:.2f} by wall time, {row['vs_contract_floor_cpu']:.2f} by "
              f"CPU time ({row['partyflow_cpu_us_per_step']} vs {row['contract_floor_cpu_us_per_step']} µs of CPU a "
              f"step; target ≥ {TARGET_VS_CONTRACT})", flush=True)
        print(f"    contract floor (no engine) {row['contract_floor_vs_raw']:.2f} × raw: 0.25 × raw leaves "
              f"{row['budget_beyond_contract_us']} µs a step beyond it; partyflow spends "
              f"{row['partyflow_beyond_contract_us']} µs", flush=True)
    replay = run(_verify, args.out / f"partyflow_{sizes[-1]}.db")
    print(f"replay/verify N={sizes[-1]}: {replay['events']} events in {replay['seconds']} s = "
          f"{replay['events_per_second']:,} events/s, mismatches {replay['mismatch_count']}, "
          f"peak RSS {replay['maxrss_mb']:.1f} MiB", flush=True)

    print("\n| N | partyflow steps/s | raw SQL steps/s | × raw | schema floor steps/s | × schema floor | × Spiff "
          "| × ORM | raw ÷ ORM | peak RSS MiB | contract floor × raw | µs left at 0.25 × raw | µs partyflow spends |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['partyflow_steps_per_s']:,} | {r['raw_sql_steps_per_s']:,} | {r['vs_raw']:.2f} | "
              f"{r['schema_floor_steps_per_s']:,} | {r['vs_schema_floor']:.2f} | {r['vs_spiff']:.1f} | "
              f"{r['vs_orm']:.2f} | {r['raw_vs_orm']} | {r['partyflow_maxrss_mb']} | {r['contract_floor_vs_raw']:.2f} | "
              f"{r['budget_beyond_contract_us']} | {r['partyflow_beyond_contract_us']} |")
    machine = rows[-1]["orientation_estimate"]["machine"]
    print(f"This machine against the issue's orientation figures: raw SQL × {machine['raw']}, ORM × "
          f"{machine['orm']}, SpiffWorkflow × {machine['spiff']} (SQLite's speed and Python's)")
    for r in rows:
        est = r["orientation_estimate"]
        lo, hi = sorted((est["vs_raw_by_spiff"], est["vs_raw_by_orm"]))
        print(f"  N={r['n']:,}: × raw {r['vs_raw']:.2f} measured here; estimated on the orientation machine "
              f"{lo:.2f}–{hi:.2f} (Python time scaled as SpiffWorkflow's and as the ORM's, database time "
              f"as the raw floor's; bench/README.md)")
    print(f"SpiffWorkflow peer: {round(peer.rate):,} steps/s at N={args.peer_n}; SQLAlchemy ORM: "
          f"{round(orm.rate):,} steps/s at N={args.orm_n}; total bench time "
          f"{time.perf_counter() - started:.0f} s")
    verdicts = _verdicts(rows)
    print("\nIssue 19 step-path targets (this run; load " + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + "):")
    for line in verdicts:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "replay": replay, "verdicts": verdicts, "spiff": peer.to_dict(), "orm": orm.to_dict()},
                                        indent=2))
    return 0


def _verdicts(rows: list[dict]) -> list[str]:
    """One line per issue 19 target: the figure of each N, and met / NOT met."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = []
    for key, target, label in (("vs_contract_floor", TARGET_VS_CONTRACT, "× contract floor (wall)"),
                               ("vs_contract_floor_cpu", TARGET_VS_CONTRACT, "× contract floor (CPU time)"),
                               ("vs_spiff", TARGET_VS_SPIFF, "× SpiffWorkflow"),
                               ("vs_orm", TARGET_VS_ORM, "× plain ORM session")):
        figures = ", ".join(f"N={r['n']:,}: {r[key]:.2f}" for r in rows)
        out.append(f"{label} ≥ {target}: {figures} — {verdict(all(r[key] >= target for r in rows))}")
    rss = [r["partyflow_maxrss_mb"] for r in rows]
    bound = min(rss) * FLAT_RSS + SQLITE_CACHE_MB
    floor_rss = ", ".join(f"{r['schema_floor_maxrss_mb']}" for r in rows if "schema_floor_maxrss_mb" in r)
    out.append(f"memory flat in N (peak RSS ≤ {FLAT_RSS} × the smallest N's + SQLite's {SQLITE_CACHE_MB} MiB page "
               f"cache = {bound:.0f} MiB): " + ", ".join(f"N={r['n']:,}: {r['partyflow_maxrss_mb']} MiB" for r in rows)
               + (f" (schema floor, same cache: {floor_rss} MiB)" if floor_rss else "")
               + f" — {verdict(max(rss) <= bound)}")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
