"""CLI start benchmark (issue 19, item 2): `partyflow --help`, `show` and `list` against `python -c pass`.

    python -m bench.cli_start                  # 10 runs of each, both bytecode modes
    python -m bench.cli_start --runs 20 --mode nocache
    git archive 0a11b76 | tar -x -C /tmp/before && python -m bench.cli_start --tree /tmp/before --tree .

Each command runs in a fresh subprocess, N times, in rounds that alternate with a bare
`python -c pass` of the same interpreter, so the machine's load hits every row alike. Per command:
median wall time (perf_counter around the subprocess) and median CPU time (user + system of the
child, from resource.getrusage(RUSAGE_CHILDREN) deltas), and both as a ratio to `python -c pass`.

Two bytecode modes, because start-up depends on them:

* `nocache` — PYTHONDONTWRITEBYTECODE=1, as these machines set it: the project's own modules have
  no __pycache__, so every start compiles them again (the installed packages keep theirs).
* `warm` — the bytecode cache on and warmed: PYTHONPYCACHEPREFIX points at a temporary directory
  (nothing is written into the checkout), filled by one untimed run of each command first.

`import sqlalchemy` alone is timed too: the floor of every command that reads the database.

`show` and `list` read a small database: the 36-candidate demo township (`partyflow demo`), built
once per tree in a temporary directory before timing.

`--tree DIR` (repeatable) times the CLI of another checkout of the project with the same
interpreter and packages, in the same rounds: before and after a change in one run. A command is
`python -c "from cli.main import app; app()" ARGS` run in DIR (the console script does the same).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# what the console script does; run in the tree's folder, `-c` puts that folder first on sys.path
PARTYFLOW = "import sys; sys.argv[0] = 'partyflow'; from cli.main import app; app()"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    c0, t0 = _cpu(), time.perf_counter()
    p = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({p.returncode}):\n{p.stderr.decode(errors='replace')}")
    return wall, cpu


def _env(mode: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env.update(COLUMNS="120", PARTYFLOW_ACTOR="bench")
    if mode == "nocache":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = prefix
    return env


Commands = dict[str, tuple[list[str], Path]]


def measure(commands: Commands, mode: str, runs: int, prefix: str) -> dict[str, tuple[float, float]]:
    env = _env(mode, prefix)
    for argv, cwd in commands.values():  # untimed: fills the cache (warm) and the OS page cache (both)
        _once(argv, cwd, env)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, cwd) in commands.items():
            samples[name].append(_once(argv, cwd, env))
    return {name: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for name, s in samples.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--mode", choices=("nocache", "warm", "both"), default="both")
    ap.add_argument("--tree", action="append", type=Path, help="a checkout to time (repeatable; default: this one)")
    args = ap.parse_args()
    trees = [t.resolve() for t in args.tree or [ROOT]]

    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}  "
          f"python {sys.version.split()[0]}  runs {args.runs}")
    pf = [sys.executable, "-c", PARTYFLOW]
    with tempfile.TemporaryDirectory(prefix="cli_start_") as tmp:
        commands: Commands = {"python -c pass": ([sys.executable, "-c", "pass"], ROOT),
                              # the floor of any command that reads the database (issue 19)
                              "import sqlalchemy": ([sys.executable, "-c", "import sqlalchemy"], ROOT)}
        for i, tree in enumerate(trees):
            db = f"sqlite:///{tmp}/demo{i}.db"
            subprocess.run([*pf, "--db", db, "--json", "demo"], cwd=tree, check=True, stdout=subprocess.DEVNULL)
            label = f" [{tree.name}]" if len(trees) > 1 else ""
            commands.update({
                f"--help{label}": ([*pf, "--help"], tree),
                f"show 1{label}": ([*pf, "--db", db, "show", "1"], tree),
                f"list{label}": ([*pf, "--db", db, "list"], tree),
            })
        width = max(map(len, commands)) + 2
        print("\n".join(f"  {tree}" for tree in trees))
        modes = ("nocache", "warm") if args.mode == "both" else (args.mode,)
        for mode in modes:
            res = measure(commands, mode, args.runs, f"{tmp}/pycache")
            base_w, base_c = res["python -c pass"]
            print(f"\n{mode} ({'PYTHONDONTWRITEBYTECODE=1' if mode == 'nocache' else 'bytecode cache warm'})")
            print(f"{'partyflow …':<{width}}{'wall s':>9}{'× pass':>9}{'CPU s':>9}{'× pass':>9}")
            for name, (w, c) in res.items():
                print(f"{name:<{width}}{w:>9.3f}{w / base_w:>9.1f}{c:>9.3f}{c / base_c if base_c else float('nan'):>9.1f}")
    print(f"\nload after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
