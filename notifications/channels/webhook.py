"""HTTP webhook with the standard library (`urllib.request`): no runtime dependency for a POST.

Three body formats: partyflow's own JSON (for an SMS gateway or any relay that wants the key and
the structured payload), and the text messages of WeCom (企业微信) and DingTalk (钉钉) group robots,
so a branch group can get reminders with nothing in between.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime
from typing import Any

from ..message import ChannelError, Message, PermanentChannelError
from .address_policy import BadAllowList, refusal
from .config import ChannelConfig

# Robot API codes that mean "busy, too fast or over quota: try later" (WeCom -1, 45009; DingTalk
# 130101, 90030); any other non-zero errcode is permanent.
ROBOT_RETRY_CODES = frozenset({-1, 45009, 130101, 90030})
# Text limits of the robot APIs (UTF-8 bytes): WeCom 2048, DingTalk about 20000.
ROBOT_TEXT_LIMIT = {"wecom": 2048, "dingtalk": 20000}
TRUNCATED = "\n……（内容过长，已截断，请登录系统查看）"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET without body: treat 3xx as an error instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class AddressRefused(Exception):
    """The connection reached an address the webhook address policy forbids (address_policy.py)."""


class _Guarded:
    """After connecting, the address actually reached must pass the address policy: a host name
    that resolves into the server's network (or is re-pointed there later) is caught here."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        peer = self.sock.getpeername()[0]
        try:
            why = refusal(peer)
        except BadAllowList as exc:
            why = str(exc)
        if why:
            self.sock.close()
            self.sock = None
            raise AddressRefused(f"{why}（{peer}）")


class _GuardedHTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, http.client.HTTPSConnection):
    pass


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class, req, **kw):
        return super().do_open(_GuardedHTTPConnection, req, **kw)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def do_open(self, http_class, req, **kw):
        return super().do_open(_GuardedHTTPSConnection, req, **kw)


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str | None = None,
        *,
        secret: str | None = None,
        timeout: float = 10.0,
        format: str = "json",
    ):
        if format not in ROBOT_TEXT_LIMIT and format != "json":
            raise ValueError(f"未知的 webhook 格式：{format!r}")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.format = format
        self._opener = urllib.request.build_opener(_NoRedirect, _GuardedHTTPHandler, _GuardedHTTPSHandler)

    @classmethod
    def from_config(cls, config: ChannelConfig) -> WebhookChannel:
        return cls(
            config.webhook_url,
            secret=config.webhook_secret,
            timeout=config.webhook_timeout,
            format=config.webhook_format,
        )

    def target(self, message: Message) -> str:
        """The message's own URL when its recipient is one, else the configured default."""
        if message.recipient.lower().startswith(("http://", "https://")):
            url = message.recipient
        elif self.url:
            url = self.url
        else:
            raise PermanentChannelError(
                f"收件人 {message.recipient!r} 不是网址，且未配置 PARTYFLOW_WEBHOOK_URL"
            )
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            raise PermanentChannelError(f"webhook 地址必须是 http(s)：{url!r}")
        return url

    def body(self, message: Message) -> bytes:
        """The exact bytes POSTed (and signed)."""
        if self.format == "json":
            document: dict[str, Any] = {
                "key": message.key,
                "recipient": message.recipient,
                "subject": message.subject,
                "text": message.body,
                "payload": dict(message.payload),
            }
        else:
            text = _truncate(f"{message.subject}\n\n{message.body}", ROBOT_TEXT_LIMIT[self.format])
            document = {"msgtype": "text", "text": {"content": text}}
        return json.dumps(document, ensure_ascii=False, default=_json_default).encode("utf-8")

    def request(self, message: Message) -> urllib.request.Request:
        url = self.target(message)
        data = self.body(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": _header_safe(message.key),
            "User-Agent": "partyflow-notifications/1",
        }
        if self.secret and self.format == "dingtalk":
            url = _dingtalk_signed(url, self.secret)
        elif self.secret:
            digest = hmac.new(self.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
            headers["X-Partyflow-Signature"] = f"sha256={digest}"
        return urllib.request.Request(url, data=data, headers=headers, method="POST")

    def send(self, message: Message) -> None:
        req = self.request(message)
        shown = _redacted(req.full_url)
        try:
            with self._opener.open(req, timeout=self.timeout) as response:
                answer = response.read(65536)
        except AddressRefused as exc:
            raise PermanentChannelError(f"webhook {shown} 的地址{exc}，出于安全考虑未发送") from exc
        except urllib.error.HTTPError as exc:
            detail = _snippet(exc)
            code = exc.code
            if code in (408, 429) or code >= 500:
                raise ChannelError(f"webhook {shown} 暂时不可用：HTTP {code} {detail}") from exc
            raise PermanentChannelError(f"webhook {shown} 拒绝请求：HTTP {code} {detail}") from exc
        except ValueError as exc:  # includes http.client.InvalidURL
            raise PermanentChannelError(f"webhook 地址无效：{shown}：{exc}") from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # refused, reset, DNS, TLS, and timeouts (connect: URLError; read: TimeoutError)
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"无法连接 webhook {shown}：{reason!r}") from exc
        if self.format != "json":
            _check_robot_answer(answer, shown)


def _check_robot_answer(answer: bytes, shown: str) -> None:
    """WeCom and DingTalk answer HTTP 200 even on failure; the verdict is in `errcode`."""
    try:
        document = json.loads(answer.decode("utf-8"))
        errcode = int(document.get("errcode", 0))
    except (ValueError, AttributeError, TypeError):
        raise ChannelError(f"webhook {shown} 的应答无法解析：{answer[:200]!r}") from None
    if errcode == 0:
        return
    detail = f"errcode={errcode} {document.get('errmsg', '')}"
    if errcode in ROBOT_RETRY_CODES:
        raise ChannelError(f"webhook {shown} 限流或繁忙：{detail}")
    raise PermanentChannelError(f"webhook {shown} 拒绝消息：{detail}")


def _dingtalk_signed(url: str, secret: str) -> str:
    """DingTalk's 加签: HMAC-SHA256 of "timestamp\\nsecret", base64, in the query string."""
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _truncate(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(TRUNCATED.encode("utf-8"))
    return encoded[:room].decode("utf-8", "ignore").rstrip() + TRUNCATED


def _header_safe(value: str) -> str:
    """HTTP headers are Latin-1: percent-encode a key that is not plain ASCII."""
    return value if value.isascii() and "\r" not in value and "\n" not in value else urllib.parse.quote(value, safe="")


def _redacted(url: str) -> str:
    """Robot URLs carry their token in the query string: keep it out of error messages and logs."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]  # drop any user:password@
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - the status code is what matters
        return ""
    finally:
        exc.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
