"""Login cost (issue 19): `services.accounts.users.authenticate` — the throttle gate, the argon2 check, the
attempt row, the audit row — with the production password parameters and with argon2-cffi's
defaults (the earlier production setting), alternating in one run on one SQLite database.

    python -m bench.login_bench [--repeat 30]

Prints median and p95 of wall and CPU time per login for each setting, and the ratio. CPU time is
the figure to read on a loaded machine (wall time then includes waiting for a core).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from argon2 import PasswordHasher

LIBRARY_DEFAULTS = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
PASSWORD = "基准-password-2026"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    import services.accounts.users as su
    from services.app import App

    folder = tempfile.mkdtemp(prefix="login-bench-")
    app = App.open(f"sqlite:///{os.path.join(folder, 'login.db')}")
    settings = {"production": su.PRODUCTION_HASHER, "library_defaults": LIBRARY_DEFAULTS}
    times: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in settings}
    try:
        for name, hasher in settings.items():
            su.HASHER = hasher
            su.create_user(app, name.replace("_", "-"), name, PASSWORD, [("admin", None)])
        for i in range(args.repeat):
            for name, hasher in settings.items():  # alternating: both see the same machine load
                su.HASHER = hasher  # the stored hash has these parameters: no rehash on the way
                w, c = time.perf_counter(), time.process_time()
                su.authenticate(app, name.replace("_", "-"), PASSWORD, f"10.0.{i % 250}.1")
                times[name]["wall"].append((time.perf_counter() - w) * 1000)
                times[name]["cpu"].append((time.process_time() - c) * 1000)
    finally:
        su.HASHER = su.PRODUCTION_HASHER
        app.close()
    out = {"repeat": args.repeat, "load_1min": os.getloadavg()[0]}
    for name, t in times.items():
        out[name] = {"wall_ms_p50": statistics.median(t["wall"]), "wall_ms_p95": _p95(t["wall"]),
                     "cpu_ms_p50": statistics.median(t["cpu"]), "cpu_ms_p95": _p95(t["cpu"])}
    out["cpu_ratio_production_vs_defaults"] = out["production"]["cpu_ms_p50"] / out["library_defaults"]["cpu_ms_p50"]
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
