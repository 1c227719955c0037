"""partyflow's own figure: persisted step completions per second through the real command path.

Every step goes through `services.casework.candidates` exactly as the CLI does: load the snapshot, engine
guards (age, sponsors, votes, 公示 in working days…), the new event, the new state, the due-date
diff, and one commit per step (SQLite file in WAL). Setup (organisations, people, reading the
process definitions) is not timed.

The candidates are spread over branches of PER_BRANCH (a village branch's yearly intake is a few,
its membership tens): a branch meeting's vote is checked against the branch's roll, which the
candidates join as they are admitted, so one branch holding all N would make every vote step read
N members — a population no county has, and a step cost that grows with N.
"""
from __future__ import annotations

import resource
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.baselines import BenchResult
from services.casework import candidates as uc
from services.app import SHANGHAI, App
from services.demo.sample_evidence import sample_evidence

# A lawful timeline (days after the application) for the 25 steps.
OFFSETS = {
    "application": 0, "first_talk": 14, "activist_selection": 41, "activist_filing": 50, "mentors_assigned": 50,
    "cultivation": 200, "target_selection": 425, "target_filing": 430, "sponsors": 430, "political_review": 445,
    "training": 455, "committee_review": 467, "pre_review": 475, "application_form": 481, "admission_meeting": 486,
    "committee_talk": 499, "admission_approval": 506, "admission_filing": 516, "branch_assignment": 516,
    "oath": 516, "probation_education": 600, "conversion_application": 845, "conversion_meeting": 851,
    "conversion_approval": 871, "archive": 877,
}
START = date(2016, 3, 1)
PER_BRANCH = 20  # candidates per branch (see the module's docstring)


def _setup(app: App, n: int, per_branch: int = PER_BRANCH) -> tuple[list[int], list[int], dict]:
    """(each person's branch, the people, the evidence per step): the sponsors and mentors are four
    full members of the first branch (a rule checks their standing, not their branch)."""
    with app.uow() as uow:
        county = uow.orgs.add(code="bench-county", name="基准县", level="county")
        town = uow.orgs.add(code="bench-town", name="基准乡", level="township", parent_id=county)
        branches = [uow.orgs.add(code=f"bench-branch-{b}", name=f"基准党支部{b}", level="branch", kind="rural",
                                 parent_id=town) for b in range(max(1, -(-n // per_branch)))]
        members = [uow.people.add(name=f"党员{i}", gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                                  branch_id=branches[0]) for i in range(4)]
        people = [uow.people.add(name=f"申请人{i}", gender="女" if i % 3 else "男", birth_date=date(1990, 1, 1))
                  for i in range(n)]
    evidence = {step: sample_evidence(step, START + timedelta(days=off), mentors=members[:2], sponsors=members[2:],
                                      cal=app.calendar, members=len(members))  # 应到 = the roll (engine/rules/vote.py)
                for step, off in OFFSETS.items()}
    return [branches[i // per_branch] for i in range(n)], people, evidence


def _fresh(db_path: Path) -> App:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    app = App.open(f"sqlite:///{db_path}")
    app.clock = lambda: datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    return app


def _warm_up(db_path: Path) -> None:
    """One candidate through the 25 steps in a throwaway database, untimed: what a long-running
    process has done once (the definition versions read from YAML on first use, the modules a step
    imports lazily, each version's compiled process) is then not counted against the first N
    steps (~0.8 s of CPU: ~30 µs a step at N=1,000, the contract floor having nothing of the kind)."""
    app = _fresh(db_path)
    branch_of, people, evidence = _setup(app, 1)
    cid = uc.register_applicant(app, person_id=people[0], branch_id=branch_of[0], occurred_on=START, actor="书记").candidate_id
    for step, off in list(OFFSETS.items())[1:]:
        uc.complete_step(app, cid, step, occurred_on=START + timedelta(days=off), actor="书记", evidence=evidence[step])
    app.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)


def partyflow_steps(n: int, db_path: Path, *, trace: bool = False, profile=None, cpu: dict | None = None,
                    warm: bool = True) -> BenchResult:
    """`profile`: a `cProfile.Profile` enabled around the timed loop only; `cpu` receives the loop's
    process CPU time as "seconds" (steadier than wall time on a shared machine). `warm`: run one
    candidate through first in a throwaway database (`_warm_up`). See `main`."""
    if warm:
        _warm_up(db_path.with_name(db_path.stem + ".warm.db"))
    app = _fresh(db_path)
    app.registry.definitions()  # the versions in the database are read too (a long-running process has them)
    branch_of, people, evidence = _setup(app, n)
    if trace:
        tracemalloc.start()
    if profile is not None:
        profile.enable()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    ids = []
    on = START
    for pid, branch in zip(people, branch_of):
        ids.append(uc.register_applicant(app, person_id=pid, branch_id=branch, occurred_on=on, actor="书记").candidate_id)
    for step, off in list(OFFSETS.items())[1:]:
        on = START + timedelta(days=off)
        ev = evidence[step]
        for cid in ids:
            uc.complete_step(app, cid, step, occurred_on=on, actor="书记", evidence=ev)
    seconds = time.perf_counter() - t0
    if cpu is not None:
        cpu["seconds"] = time.process_time() - cpu0
    if profile is not None:
        profile.disable()
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    steps = n * len(OFFSETS)
    return BenchResult(
        name="partyflow", n_candidates=n, steps_per_candidate=len(OFFSETS), steps=steps, seconds=seconds,
        rate=steps / seconds, traced_peak_mb=peak, traced_candidates=n if trace else 0,
        maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, maxrss_start_mb=0.0, db_path=str(db_path),
    )


def main(argv: list[str] | None = None) -> int:
    """One partyflow measurement, optionally under cProfile (the timed loop only):

        python -m bench.partyflow_steps --n 300 --profile 40
    """
    import argparse
    import cProfile
    import pstats

    ap = argparse.ArgumentParser(prog="python -m bench.partyflow_steps", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="candidates (25 steps each)")
    ap.add_argument("--out", type=Path, default=Path("bench/out/partyflow_steps.db"))
    ap.add_argument("--profile", type=int, metavar="ROWS", help="print cProfile's top ROWS functions by own time")
    ap.add_argument("--cold", action="store_true", help="no warm-up: the first steps also load definitions and modules")
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    prof = cProfile.Profile() if args.profile else None
    cpu: dict = {}
    r = partyflow_steps(args.n, args.out, profile=prof, cpu=cpu, warm=not args.cold)
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
    print(r.line())
    print(f"process CPU time {cpu['seconds']:.2f} s = {r.steps / cpu['seconds']:,.0f} steps per CPU second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
