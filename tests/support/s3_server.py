"""A real S3-protocol server on 127.0.0.1 for the object store tests: moto's standalone server.

moto's ThreadedMotoServer (a werkzeug HTTP server in a thread of this process) on a free port;
clients reach it over HTTP like any S3 endpoint, so the S3 adapter runs its real request path
(signing, path-style URLs, error codes). It is started once per session (`session_server`,
registered as the `s3_server` fixture in tests/integration/conftest.py) and stopped at the end.
If it cannot start, the S3 tests are skipped with the reason — or fail under CI=true.

Each test takes its own bucket (`new_bucket`), so tests never see each other's objects.
"""
from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

HOST = "127.0.0.1"
ACCESS_KEY = "partyflow-test-key"
SECRET_KEY = "partyflow-test-secret"
REGION = "us-east-1"
START_TIMEOUT = 30  # seconds to wait for the server thread to bind (a bound: normally immediate)


@dataclass
class S3Server:
    endpoint_url: str
    _server: object

    def store(self, bucket: str, prefix: str = ""):
        from storage.objects import S3Store

        return S3Store(bucket, endpoint_url=self.endpoint_url, region=REGION, access_key=ACCESS_KEY,
                       secret_key=SECRET_KEY, prefix=prefix)

    def new_bucket(self) -> str:
        """A fresh, empty bucket's name (created)."""
        name = f"pf-test-{uuid.uuid4().hex[:16]}"
        self.store(name).ensure_bucket()
        return name

    def url(self, bucket: str, prefix: str = "") -> str:
        """The PARTYFLOW_OBJECT_STORE address of `bucket`."""
        path = f"/{prefix}" if prefix else ""
        return f"s3://{bucket}{path}?endpoint={self.endpoint_url}&region={REGION}"

    def stop(self) -> None:
        self._server.stop()


def start() -> S3Server:
    """Start moto's S3 server on a free loopback port; RuntimeError if it does not come up."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.start()  # returns once the socket is bound
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            failure.append(exc)

    starter = threading.Thread(target=run, name="moto-s3-start", daemon=True)
    starter.start()
    starter.join(START_TIMEOUT)  # ThreadedMotoServer.start() waits forever if binding fails
    if failure:
        raise RuntimeError(f"moto 服务启动失败：{failure[0]!r}")
    if starter.is_alive():
        raise RuntimeError(f"moto 服务在 {START_TIMEOUT} 秒内没有开始监听")
    host, port = server.get_host_and_port()
    s3 = S3Server(f"http://{host}:{port}", server)
    try:
        s3.store("pf-probe").client().list_buckets()  # it answers S3 requests
    except BaseException:
        server.stop()
        raise
    return s3


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def session_server() -> Iterator[S3Server]:
    """For a session fixture: the running server, or a skip (a failure under CI) with the reason."""
    try:
        server = start()
    except Exception as exc:  # noqa: BLE001 - moto missing, no loopback, ...
        message = f"S3 测试服务（moto，{HOST}）无法启动：{exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.stop()
