"""The first Word and Excel report download of a freshly started web process (issue 19), with the
start-up warm-up (web/warmup.py) and without it, each in its own fresh interpreter, in one run.

    python -m bench.first_download [--rounds 3]

Each round builds nothing: the demo township is built once into a temporary SQLite file; then per
case a new Python process opens it, starts the app (TestClient runs the lifespan), waits for the
warm-up where it runs, logs in as the township officer and downloads the half-year report as .docx,
then as .xlsx. Printed per case: the server-side CPU and wall of each download (the process's own
CPU around the request: TestClient runs the app in-process), medians over the rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent("""
    import json, re, sys, time
    from datetime import datetime
    from fastapi.testclient import TestClient
    from services.app import App, SHANGHAI
    import web.app as webapp

    url, warm = sys.argv[1], sys.argv[2] == "warm"
    if not warm:  # the app as it was: nothing loaded until a request needs it
        webapp.Warmup = lambda: type("NoWarmup", (), {"start": lambda self: None})()
    app = App.open(url, migrate=False)
    app.clock = lambda: datetime(2018, 7, 1, 10, tzinfo=SHANGHAI)
    web = webapp.create_app(app, secret_key="first-download-bench-0123456789", secure_cookies=False)
    out = {}
    with TestClient(web) as c:
        if warm:
            web.state.warmup.done.wait(600)
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
        c.post("/login", data={"username": "zuzhi", "password": "nanchuan-demo", "csrf_token": token})
        with app.uow(read_only=True) as uow:
            org = next(o.id for o in uow.orgs.list() if o.code == "nanchuan")
        for fmt in ("docx", "xlsx"):
            w, p = time.perf_counter(), time.process_time()
            r = c.get(f"/reports/file?org={org}&period=2018H1&format={fmt}")
            assert r.status_code == 200, r.text[-300:]
            out[fmt] = {"wall_ms": (time.perf_counter() - w) * 1000, "cpu_ms": (time.process_time() - p) * 1000}
    print(json.dumps(out))
""")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="first-download-")
    db = os.path.join(folder, "demo.db")
    cli = os.path.join(os.path.dirname(sys.executable), "partyflow")
    subprocess.run([cli, "--db", db, "demo"], check=True, capture_output=True)
    url = f"sqlite:///{db}"
    runs: dict[str, list[dict]] = {"warm": [], "cold": []}
    for _ in range(args.rounds):
        for case in ("cold", "warm"):  # alternating: both see the same machine load
            done = subprocess.run([sys.executable, "-c", CHILD, url, case], capture_output=True, text=True, check=True)
            runs[case].append(json.loads(done.stdout.strip().splitlines()[-1]))
    result = {"rounds": args.rounds, "load_1min": os.getloadavg()[0]}
    for case, rs in runs.items():
        result[case] = {fmt: {k: statistics.median(r[fmt][k] for r in rs) for k in ("cpu_ms", "wall_ms")}
                        for fmt in ("docx", "xlsx")}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
