"""Webhooks may not point into the server's own machine or network (SSRF): the policy, the
contact form's check on the address as typed, and the channel's check on the address it reaches
(a host name resolving to 127.0.0.1 is refused at connect time, nothing sent)."""
from __future__ import annotations

import http.server
import threading

import pytest

from notifications.channels.address_policy import ALLOW_ENV, BadAllowList, host_refusal, refusal
from notifications.channels.webhook import WebhookChannel
from notifications.message import Message, PermanentChannelError


def _message() -> Message:
    return Message(key="overdue:1:first_talk", channel="webhook", recipient="", subject="逾期提醒", body="请尽快办理")


@pytest.mark.parametrize("address, refused", [
    ("127.0.0.1", "本机"), ("::1", "本机"), ("0.0.0.0", "本机"), ("169.254.169.254", "链路本地"),
    ("10.1.2.3", "内部网络"), ("172.16.0.9", "内部网络"), ("192.168.1.1", "内部网络"), ("100.64.0.1", "内部网络"),
    ("fd00::1", "内部网络"), ("::ffff:127.0.0.1", "本机"), ("224.0.0.1", "组播"),
    ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("qyapi.weixin.qq.com", None),
])
def test_what_a_webhook_may_not_point_at(address, refused):
    why = refusal(address, allowed=())
    assert (why is None) if refused is None else (refused in why), why


def test_the_deployment_may_allow_an_intranet_gateway(monkeypatch):
    monkeypatch.setenv(ALLOW_ENV, "10.20.0.0/16, 127.0.0.1")
    assert refusal("10.20.3.4") is None and refusal("127.0.0.1") is None
    assert "内部网络" in refusal("10.21.0.1")
    monkeypatch.setenv(ALLOW_ENV, "内网")
    with pytest.raises(BadAllowList, match=ALLOW_ENV):
        refusal("10.20.3.4")


def test_localhost_by_name_is_checked_as_typed(monkeypatch):
    monkeypatch.delenv(ALLOW_ENV)
    assert "本机" in host_refusal("localhost") and "本机" in host_refusal("[::1]")
    assert host_refusal("sms.example.cn") is None  # names are checked at connect time


def test_the_channel_refuses_a_name_that_resolves_to_the_machine_itself(monkeypatch):
    """`localhost` resolves to 127.0.0.1: with no allow-list the connection is closed before a
    byte of the request is sent, and the error is permanent (not retried)."""
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv(ALLOW_ENV)
        channel = WebhookChannel(f"http://localhost:{server.server_port}/hook")
        with pytest.raises(PermanentChannelError, match="本机"):
            channel.send(_message())
        assert received == []
        monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")  # a relay on the same machine, allowed by the deployment
        channel.send(_message())
        assert len(received) == 1
    finally:
        server.shutdown()
