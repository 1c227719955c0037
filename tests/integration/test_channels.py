"""Channels against real servers on loopback: an aiosmtpd SMTP server and a threaded HTTP server.

Every server binds 127.0.0.1 on a free port, lives for one test, and is stopped in a finally;
every client call has a short timeout, so a broken channel fails the test instead of hanging it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.parse
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

aiosmtpd = pytest.importorskip("aiosmtpd", reason="pip install -e '.[test]' (aiosmtpd)")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from notifications import (
    ChannelConfig,
    ChannelError,
    Message,
    PermanentChannelError,
    Renderer,
    build_channels,
    message_id,
)
from notifications.channels import UnconfiguredChannel
from notifications.channels.console import ConsoleChannel
from notifications.channels.email import EmailChannel
from notifications.channels.webhook import WebhookChannel

HOST = "127.0.0.1"
KEY = "reminder:candidate=42:step=admission_approval:due=2018-06-30:days=7"
SUBJECT = "【发展党员提醒】张秀英“上级党委审批”还有 7 天到期"
BODY = "王建国同志：\n\n张秀英 · 第17步“上级党委审批”\n期限 2018年6月30日（周六），还有 7 天到期；依据细则第二十五条。"
PAYLOAD = {"candidate_id": 42, "step_number": 17, "due_on": "2018-06-30", "branch": "贺丰村党支部"}


def message(channel: str, recipient: str, **overrides) -> Message:
    fields = dict(key=KEY, channel=channel, recipient=recipient, subject=SUBJECT, body=BODY, payload=PAYLOAD)
    fields.update(overrides)
    return Message(**fields)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- SMTP -----------------------------------------------------------------------------------------


class Collector:
    """aiosmtpd handler: keeps what it accepts; answers 550 / 451 for chosen recipients."""

    def __init__(self, refuse=(), defer=()):
        self.received = []
        self.refuse = set(refuse)
        self.defer = set(defer)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address in self.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def accept_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 / 535


AUTH = dict(authenticator=accept_login, auth_required=True)


@contextmanager
def smtp_server(handler, **kwargs):
    controller = Controller(handler, hostname=HOST, port=free_port(), ready_timeout=5, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def parsed(envelope):
    return message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)


def test_email_reaches_a_real_smtp_server_in_chinese():
    handler = Collector()
    with smtp_server(handler) as server:
        channel = EmailChannel(HOST, "发展党员工作系统 <partyflow@nanchuan.example>", server.port, timeout=5)
        channel.send(message("email", "secretary@hefeng.example"))
    [envelope] = handler.received
    assert envelope.mail_from == "partyflow@nanchuan.example"
    assert envelope.rcpt_tos == ["secretary@hefeng.example"]
    mail = parsed(envelope)
    assert mail["Subject"] == SUBJECT
    # MIME text travels in canonical form (CRLF line ends); clients show it as lines
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == BODY
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail["To"] == "secretary@hefeng.example"
    assert mail["From"].addresses[0].display_name == "发展党员工作系统"
    assert mail["Date"].datetime is not None
    assert mail["Message-ID"] == message_id(KEY) == f"<{hashlib.sha1(KEY.encode()).hexdigest()}@partyflow>"
    assert mail["X-Partyflow-Key"] == KEY
    assert mail["Auto-Submitted"] == "auto-generated"


def test_a_resend_carries_the_same_message_id():
    handler = Collector()
    with smtp_server(handler) as server:
        channel = EmailChannel(HOST, "partyflow@nanchuan.example", server.port, timeout=5)
        channel.send(message("email", "secretary@hefeng.example"))
        channel.send(message("email", "secretary@hefeng.example"))
    ids = {parsed(e)["Message-ID"] for e in handler.received}
    assert len(handler.received) == 2 and len(ids) == 1


def test_rendered_digest_by_email_from_the_environment():
    handler = Collector()
    subject, body = Renderer(env={}).render(
        "digest",
        items=[{"candidate_id": 7, "candidate_name": "刘海燕", "branch": "贺丰村党支部", "step_number": 2,
                "step_name": "党组织派人谈话", "due_on": "2018-06-22", "days": 3, "citation": "细则第七条",
                "provisional": False, "kind": "overdue"}],
        recipient_name="王建国", org_name="贺丰村党支部", as_of="2018-06-25",
    )
    with smtp_server(handler) as server:
        config = ChannelConfig.from_env({
            "PARTYFLOW_SMTP_HOST": HOST,
            "PARTYFLOW_SMTP_PORT": str(server.port),
            "PARTYFLOW_SMTP_FROM": "partyflow@nanchuan.example",
            "PARTYFLOW_SMTP_TIMEOUT": "5",
        })
        build_channels(config)["email"].send(
            Message(key="digest:7:2018-06-25", channel="email", recipient="wjg@hefeng.example", subject=subject, body=body)
        )
    mail = parsed(handler.received[0])
    # the space before the date survives (the stdlib folder alone would drop it between encoded words)
    assert mail["Subject"] == "【发展党员提醒】贺丰村党支部 2018-06-25：逾期 1 项"
    assert "刘海燕 · 第2步“党组织派人谈话”" in mail.get_content()


def test_login_when_a_user_is_configured():
    handler = Collector()
    with smtp_server(handler, auth_require_tls=False, **AUTH) as server:
        EmailChannel(HOST, "partyflow@nanchuan.example", server.port, user="mailer", password="s3cret",
                     timeout=5).send(message("email", "a@hefeng.example"))
        with pytest.raises(PermanentChannelError, match="535"):
            EmailChannel(HOST, "partyflow@nanchuan.example", server.port, user="mailer", password="wrong",
                         timeout=5).send(message("email", "b@hefeng.example"))
    assert [e.rcpt_tos for e in handler.received] == [["a@hefeng.example"]]


def test_a_refused_recipient_is_permanent():
    handler = Collector(refuse={"gone@hefeng.example"})
    with smtp_server(handler) as server:
        channel = EmailChannel(HOST, "partyflow@nanchuan.example", server.port, timeout=5)
        with pytest.raises(PermanentChannelError, match="550"):
            channel.send(message("email", "gone@hefeng.example"))
    assert handler.received == []


def test_a_deferred_recipient_is_temporary():
    handler = Collector(defer={"busy@hefeng.example"})
    with smtp_server(handler) as server:
        channel = EmailChannel(HOST, "partyflow@nanchuan.example", server.port, timeout=5)
        with pytest.raises(ChannelError, match="451") as caught:
            channel.send(message("email", "busy@hefeng.example"))
    assert not isinstance(caught.value, PermanentChannelError)


def test_a_closed_port_is_temporary():
    channel = EmailChannel(HOST, "partyflow@nanchuan.example", free_port(), timeout=2)
    with pytest.raises(ChannelError) as caught:
        channel.send(message("email", "secretary@hefeng.example"))
    assert not isinstance(caught.value, PermanentChannelError)


def test_a_silent_server_times_out_as_temporary():
    with socket.socket() as listener:  # accepts TCP (backlog) but never greets
        listener.bind((HOST, 0))
        listener.listen(1)
        channel = EmailChannel(HOST, "partyflow@nanchuan.example", listener.getsockname()[1], timeout=0.5)
        with pytest.raises(ChannelError) as caught:
            channel.send(message("email", "secretary@hefeng.example"))
    assert not isinstance(caught.value, PermanentChannelError)


def test_not_an_address_is_permanent():
    channel = EmailChannel(HOST, "partyflow@nanchuan.example", free_port(), timeout=2)
    with pytest.raises(PermanentChannelError):
        channel.send(message("email", "王建国"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl CLI), trusted through PARTYFLOW_SMTP_CAFILE."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def tls_env(port: int, cert, **extra) -> dict:
    env = {
        "PARTYFLOW_SMTP_HOST": HOST, "PARTYFLOW_SMTP_PORT": str(port), "PARTYFLOW_SMTP_FROM": "partyflow@nanchuan.example",
        "PARTYFLOW_SMTP_CAFILE": str(cert), "PARTYFLOW_SMTP_TIMEOUT": "5",
    }
    env.update(extra)
    return env


def test_starttls_with_login(certificate):
    cert, server_context = certificate
    handler = Collector()
    with smtp_server(handler, tls_context=server_context, require_starttls=True, **AUTH) as server:
        config = ChannelConfig.from_env(tls_env(server.port, cert, PARTYFLOW_SMTP_STARTTLS="true",
                                                PARTYFLOW_SMTP_USER="mailer", PARTYFLOW_SMTP_PASSWORD="s3cret"))
        build_channels(config)["email"].send(message("email", "secretary@hefeng.example"))
    assert parsed(handler.received[0])["Subject"] == SUBJECT


def test_implicit_tls(certificate):
    cert, server_context = certificate
    handler = Collector()
    with smtp_server(handler, ssl_context=server_context) as server:
        config = ChannelConfig.from_env(tls_env(server.port, cert, PARTYFLOW_SMTP_SSL="1"))
        build_channels(config)["email"].send(message("email", "secretary@hefeng.example"))
    assert parsed(handler.received[0])["X-Partyflow-Key"] == KEY


def test_an_untrusted_certificate_is_not_accepted(certificate):
    _, server_context = certificate
    handler = Collector()
    with smtp_server(handler, ssl_context=server_context) as server:
        channel = EmailChannel(HOST, "partyflow@nanchuan.example", server.port, use_ssl=True, timeout=5)
        with pytest.raises(ChannelError):
            channel.send(message("email", "secretary@hefeng.example"))
    assert handler.received == []


# --- webhook --------------------------------------------------------------------------------------


class Recorder:
    """What the HTTP server saw, and what it should answer next."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.answer = b'{"ok": true}'
        self.headers = {}
        self.stall = False
        self.release = threading.Event()


@contextmanager
def http_server():
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if recorder.stall:
                recorder.release.wait(5)  # bounded: the test releases it on exit anyway
            try:
                self.send_response(recorder.status)
                for name, value in recorder.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(recorder.answer)))
                self.end_headers()
                self.wfile.write(recorder.answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        recorder.url = f"http://{HOST}:{server.server_address[1]}/hook"
        yield recorder
    finally:
        recorder.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """urllib honours *_proxy variables; loopback tests must not go through one."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_webhook_posts_signed_json():
    with http_server() as hook:
        channel = WebhookChannel(secret="topsecret", timeout=5)
        channel.send(message("webhook", hook.url))
    [request] = hook.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["path"] == "/hook"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["idempotency-key"] == KEY
    expected = hmac.new(b"topsecret", request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-partyflow-signature"], f"sha256={expected}")
    assert "张秀英".encode() in request["body"]  # ensure_ascii=False: readable UTF-8
    document = json.loads(request["body"].decode("utf-8"))
    assert document == {"key": KEY, "recipient": hook.url, "subject": SUBJECT, "text": BODY, "payload": PAYLOAD}


def test_webhook_without_secret_is_unsigned_and_uses_the_default_url():
    with http_server() as hook:
        config = ChannelConfig.from_env({"PARTYFLOW_WEBHOOK_URL": hook.url, "PARTYFLOW_WEBHOOK_TIMEOUT": "5"})
        build_channels(config)["webhook"].send(message("webhook", "13800000000"))
    [request] = hook.requests
    assert "x-partyflow-signature" not in {k.lower() for k in request["headers"]}
    assert json.loads(request["body"])["recipient"] == "13800000000"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_webhook_server_trouble_is_temporary(status):
    with http_server() as hook:
        hook.status = status
        with pytest.raises(ChannelError, match=str(status)) as caught:
            WebhookChannel(timeout=5).send(message("webhook", hook.url))
    assert not isinstance(caught.value, PermanentChannelError)


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_webhook_client_errors_are_permanent(status):
    with http_server() as hook:
        hook.status = status
        hook.answer = b'{"error": "bad request"}'
        with pytest.raises(PermanentChannelError, match=str(status)):
            WebhookChannel(timeout=5).send(message("webhook", hook.url))


def test_webhook_redirects_are_not_followed():
    with http_server() as hook:
        hook.status, hook.headers = 302, {"Location": "/elsewhere"}
        with pytest.raises(PermanentChannelError, match="302"):
            WebhookChannel(timeout=5).send(message("webhook", hook.url))
    assert [r["path"] for r in hook.requests] == ["/hook"]


def test_webhook_timeout_is_temporary():
    with http_server() as hook:
        hook.stall = True
        with pytest.raises(ChannelError) as caught:
            WebhookChannel(timeout=0.3).send(message("webhook", hook.url))
    assert not isinstance(caught.value, PermanentChannelError)


def test_webhook_closed_port_is_temporary():
    with pytest.raises(ChannelError) as caught:
        WebhookChannel(timeout=2).send(message("webhook", f"http://{HOST}:{free_port()}/hook"))
    assert not isinstance(caught.value, PermanentChannelError)


def test_webhook_without_any_url_is_permanent():
    with pytest.raises(PermanentChannelError, match="PARTYFLOW_WEBHOOK_URL"):
        WebhookChannel().send(message("webhook", "王建国"))
    with pytest.raises(PermanentChannelError):
        WebhookChannel("ftp://example.org/hook").send(message("webhook", "王建国"))


def test_wecom_robot_format():
    with http_server() as hook:
        hook.answer = b'{"errcode":0,"errmsg":"ok"}'
        WebhookChannel(hook.url + "?key=abc", format="wecom", timeout=5).send(message("webhook", "贺丰村支委群"))
        hook.answer = b'{"errcode":45009,"errmsg":"api freq out of limit"}'
        with pytest.raises(ChannelError, match="45009") as caught:
            WebhookChannel(hook.url + "?key=abc", format="wecom", timeout=5).send(message("webhook", "群"))
        assert not isinstance(caught.value, PermanentChannelError)
        hook.answer = b'{"errcode":93000,"errmsg":"invalid webhook url"}'
        with pytest.raises(PermanentChannelError, match="93000") as caught:
            WebhookChannel(hook.url + "?key=abc", format="wecom", timeout=5).send(message("webhook", "群"))
        assert "abc" not in str(caught.value)  # the robot token stays out of error messages
    document = json.loads(hook.requests[0]["body"])
    assert hook.requests[0]["path"] == "/hook?key=abc"
    assert document == {"msgtype": "text", "text": {"content": f"{SUBJECT}\n\n{BODY}"}}


def test_wecom_text_is_cut_to_the_robot_limit():
    with http_server() as hook:
        hook.answer = b'{"errcode":0}'
        WebhookChannel(hook.url, format="wecom", timeout=5).send(message("webhook", "群", body="长" * 2000))
    content = json.loads(hook.requests[0]["body"])["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and content.endswith("已截断，请登录系统查看）")


def test_dingtalk_robot_signs_the_url():
    with http_server() as hook:
        hook.answer = b'{"errcode":0,"errmsg":"ok"}'
        WebhookChannel(hook.url + "?access_token=t0k", secret="SECabc", format="dingtalk", timeout=5).send(
            message("webhook", "贺丰村支委群")
        )
    [request] = hook.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest())
    assert query["access_token"] == ["t0k"] and query["sign"] == [expected.decode()]
    assert json.loads(request["body"])["msgtype"] == "text"


# --- console, configuration -----------------------------------------------------------------------


def test_console_writes_the_whole_message():
    stream = io.StringIO()
    ConsoleChannel(stream).send(message("console", "王建国"))
    text = stream.getvalue()
    assert "收件人：王建国" in text and f"主题：{SUBJECT}" in text and BODY in text and KEY in text


def test_console_to_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="partyflow.notifications"):
        build_channels(ChannelConfig(console_target="log"))["console"].send(message("console", "王建国"))
    assert SUBJECT in caplog.text


def test_console_never_fails():
    stream = io.StringIO()
    stream.close()
    ConsoleChannel(stream).send(message("console", "王建国"))  # no exception


def test_config_from_env_and_defaults():
    config = ChannelConfig.from_env({
        "PARTYFLOW_SMTP_HOST": "smtp.example.cn", "PARTYFLOW_SMTP_SSL": "yes",
        "PARTYFLOW_SMTP_USER": "notice@example.cn", "PARTYFLOW_SMTP_PASSWORD": "pa ss",
        "PARTYFLOW_WEBHOOK_SECRET": "whsec", "PARTYFLOW_WEBHOOK_FORMAT": "DingTalk",
    })
    assert (config.port, config.sender, config.smtp_password) == (465, "notice@example.cn", "pa ss")
    assert config.webhook_format == "dingtalk"
    assert "pa ss" not in repr(config) and "whsec" not in repr(config)
    assert ChannelConfig.from_env({"PARTYFLOW_SMTP_HOST": "h", "PARTYFLOW_SMTP_FROM": "a@b", "PARTYFLOW_SMTP_STARTTLS": "1"}).port == 587
    empty = ChannelConfig.from_env({})
    assert (empty.email_enabled, empty.port, empty.webhook_timeout) == (False, 25, 10.0)


@pytest.mark.parametrize(
    "env, match",
    [
        ({"PARTYFLOW_SMTP_SSL": "maybe"}, "true/false"),
        ({"PARTYFLOW_SMTP_PORT": "smtp"}, "数字"),
        ({"PARTYFLOW_SMTP_SSL": "1", "PARTYFLOW_SMTP_STARTTLS": "1"}, "只能选一个"),
        ({"PARTYFLOW_SMTP_HOST": "h"}, "PARTYFLOW_SMTP_FROM"),
        ({"PARTYFLOW_SMTP_USER": "u"}, "PASSWORD"),
        ({"PARTYFLOW_WEBHOOK_FORMAT": "slack"}, "WEBHOOK_FORMAT"),
        ({"PARTYFLOW_CONSOLE": "printer"}, "PARTYFLOW_CONSOLE"),
    ],
)
def test_config_errors_are_explained(env, match):
    with pytest.raises(ValueError, match=match):
        ChannelConfig.from_env(env)


def test_email_without_smtp_is_a_permanent_failure_not_a_missing_key():
    channels = build_channels(ChannelConfig.from_env({}))
    assert set(channels) == {"email", "webhook", "console"}
    assert isinstance(channels["email"], UnconfiguredChannel)
    with pytest.raises(PermanentChannelError, match="PARTYFLOW_SMTP_HOST"):
        channels["email"].send(message("email", "secretary@hefeng.example"))
