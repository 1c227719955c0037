"""What the event log's hash chain costs a step: partyflow's step path with and without it, in one run.

    python -m bench.chain_cost --n 300 --rounds 3

"Without" swaps the chain's work in `EventRepo.append` — the look-up of the previous row's hash,
the canonical JSON and the SHA-256 — for functions that return None (the two hash columns are
then written as NULL), so both arms run the same code otherwise. The arms alternate, each on a
fresh database, and process CPU time of the timed loop is compared (steadier than wall time on a
shared machine); the ratio of the medians is printed.
"""
from __future__ import annotations

import argparse
import statistics
from contextlib import contextmanager
from pathlib import Path

from bench.partyflow_steps import partyflow_steps
from storage.repositories import events


@contextmanager
def _without_chain():
    names = ("previous_hash", "event_hash", "canonical_json", "timestamp_text")
    saved = {n: getattr(events, n) for n in names}
    for n in names:
        setattr(events, n, lambda *a, **k: None)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(events, n, f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.chain_cost", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="candidates (25 steps each)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench/out/chain_cost.db"))
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cpu = {"without": [], "with": []}
    steps = 0
    for _ in range(args.rounds):
        for arm in ("without", "with"):
            got: dict = {}
            if arm == "without":
                with _without_chain():
                    r = partyflow_steps(args.n, args.out, cpu=got)
            else:
                r = partyflow_steps(args.n, args.out, cpu=got)
            steps = r.steps
            cpu[arm].append(got["seconds"])
            print(f"{arm:>7} chain: {got['seconds']:.2f} s CPU = {r.steps / got['seconds']:,.0f} steps per CPU second")
    before, after = statistics.median(cpu["without"]), statistics.median(cpu["with"])
    print(f"median CPU per step: without {before / steps * 1e6:.0f} µs, with {after / steps * 1e6:.0f} µs; "
          f"with/without = {after / before:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
