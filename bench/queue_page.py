"""CPU time of the township's 审批队列 page on the demo township (issue 15: each item now carries
its review thread). Run the same script in two checkouts to compare them in one sitting:

    .venv/bin/python -m bench.queue_page --requests 40

Prints the items shown and the CPU ms per warm request (time.process_time: the machine is shared,
so CPU time, not wall time).
"""
from __future__ import annotations

import argparse
import re
import tempfile
import time
from datetime import datetime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from services.app import SHANGHAI, App
    from services.demo import run_demo
    from services.demo.accounts import create_demo_accounts
    from web.app import create_app

    app = App.open(f"sqlite:///{tempfile.mktemp(suffix='.db')}")
    town = run_demo(app)["town"]
    create_demo_accounts(app, town)
    app.clock = lambda: datetime(2018, 6, 30, 10, 0, tzinfo=SHANGHAI)
    client = TestClient(create_app(app, secret_key="x" * 32, secure_cookies=False))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"username": "zuzhi", "password": "nanchuan-demo", "csrf_token": token, "next": "/"})
    client.get("/queue")  # warm: caches, templates
    start = time.process_time()
    for _ in range(args.requests):
        page = client.get("/queue")
    cpu_ms = (time.process_time() - start) / args.requests * 1000
    items = page.text.count('<section class="card"')
    print(f"queue items shown: {items}, cpu ms/request: {cpu_ms:.1f}")


if __name__ == "__main__":
    main()
