"""A small HTTP server on 127.0.0.1 that records webhook POSTs — the receiving end of the tests.

It plays the SMS / WeCom gateway: it records every POST (path, Idempotency-Key, JSON body) and
answers 200, or what a test tells it to (503 "busy", 400 "refused", per path or for all), after an
optional delay; it can go down (connection refused on its port) and come back on the same port.

Bounded so a broken test cannot hang or grow without limit: it binds loopback only, records at
most `max_requests` requests (then answers 503 and sets `overflowed`), refuses bodies over
`max_body` bytes, drops idle connections after `socket_timeout`, and stops itself after
`lifetime` seconds even if nobody calls `stop()`. Use it as a context manager.

`on_request(record)` is called in the handler thread after the request is recorded and before the
answer is written: a test can act at the exact moment a message is "in flight" (accepted by the
receiver, not yet acknowledged to the sender) — e.g. SIGKILL the sender.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One POST as the sink saw it, and the status it decided to answer."""

    path: str
    key: str | None  # the Idempotency-Key header
    headers: dict[str, str]
    body: bytes
    json: Any
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """Accepted by the receiver (2xx), whether or not the sender lived to read the answer."""
        return 200 <= self.status < 300

    @property
    def outbox_keys(self) -> list[str]:
        payload = (self.json or {}).get("payload") or {}
        return list(payload.get("outbox_keys") or [])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # up() rebinds the same port right after down()

    def handle_error(self, request, client_address) -> None:
        pass  # a sender killed mid-request resets the connection: nothing to report


class HttpSink:
    def __init__(self, *, delay: float = 0.0, status: int = 200, lifetime: float = 60.0,
                 max_requests: int = 10_000, max_body: int = 1_000_000, socket_timeout: float = 5.0):
        self.delay = delay
        self.status = status  # the default answer
        self.rules: dict[str, int] = {}  # path prefix -> status, checked before the default
        self.lifetime = lifetime
        self.max_requests = max_requests
        self.max_body = max_body
        self.socket_timeout = socket_timeout
        self.on_request: Callable[[Received], None] | None = None
        self.overflowed = False
        self.port: int | None = None
        self._received: list[Received] = []
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> HttpSink:
        self._listen(0)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.down()

    def down(self) -> None:
        """Stop listening: senders get "connection refused" until up()."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def up(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self._listen(self.port)

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _listen(self, port: int) -> None:
        server = _Server((HOST, port), _handler_for(self))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"http-sink:{self.port}", daemon=True)
        self._thread.start()

    # -- behaviour --------------------------------------------------------------------------------

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def respond(self, status: int, path: str | None = None) -> None:
        """Answer `status` from now on: for every path, or for paths starting with `path`."""
        if path is None:
            self.status = status
        else:
            self.rules[path] = status

    def heal(self) -> None:
        """Back to answering 200 everywhere."""
        self.rules.clear()
        self.status = 200

    def _status_for(self, path: str) -> int:
        for prefix in sorted(self.rules, key=len, reverse=True):
            if path.startswith(prefix):
                return self.rules[prefix]
        return self.status

    # -- what arrived -----------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._cond:
            return list(self._received)

    def delivered(self) -> list[Received]:
        """The requests the receiver accepted (2xx), in arrival order."""
        return [r for r in self.received if r.ok]

    def key_counts(self) -> Counter:
        """Accepted messages per Idempotency-Key."""
        return Counter(r.key for r in self.delivered())

    def outbox_key_counts(self) -> Counter:
        """How often each outbox row reached the receiver (a digest carries several)."""
        return Counter(k for r in self.delivered() for k in r.outbox_keys)

    def wait_for(self, predicate: Callable[[HttpSink], bool], timeout: float) -> bool:
        """Wait until `predicate(self)` holds (checked on every request and every 0.1 s)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate(self):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))

    def _record(self, record: Received) -> bool:
        with self._cond:
            if len(self._received) >= self.max_requests:
                self.overflowed = True
                return False
            self._received.append(record)
            self._cond.notify_all()
            return True


def _handler_for(sink: HttpSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = sink.socket_timeout  # idle or slow clients cannot hold a thread forever

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > sink.max_body:
                self._answer(413)
                return
            body = self.rfile.read(length)
            try:
                document = json.loads(body.decode("utf-8"))
            except ValueError:
                document = None
            record = Received(path=self.path, key=self.headers.get("Idempotency-Key"), headers=dict(self.headers),
                              body=body, json=document, status=sink._status_for(self.path))
            if not sink._record(record):
                self._answer(503)
                return
            hook = sink.on_request
            if hook is not None:
                hook(record)
            if sink.delay:
                time.sleep(sink.delay)
            self._answer(record.status)

        def _answer(self, status: int) -> None:
            text = b'{"ok":true}' if 200 <= status < 300 else b'{"ok":false}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
            except OSError:
                pass  # the sender is gone (killed mid-request): the record stays

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
