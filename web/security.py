"""Sessions, the logged-in user, CSRF and the client's address.

Two cookies, both HttpOnly, SameSite=Lax, Secure unless turned off for plain-HTTP development:

- `partyflow_session`: a random token and nothing else, set at login (a new one every time, the
  browser's old one ended: no session fixation). The session itself is a database row
  (services/accounts/sessions.py), checked on every request, so logout, a password change or 退出所有设备
  end it at once.
- `partyflow_state`: Starlette's signed cookie, for what needs no revoking — one-shot flash
  messages and, before login, the login form's CSRF token. Kept out of the database so an
  anonymous visitor to /login writes no row, and a flash costs no write.

Every unsafe request (POST, PUT, PATCH, DELETE) must carry the CSRF token: a form field
`csrf_token` or the `X-CSRF-Token` header (the API). Signed in, the token is an HMAC of the
session token under the secret key (OWASP's signed double-submit): bound to that session, new with
every login, nothing stored.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.accounts import sessions
from services.accounts.access import Principal

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "partyflow_session"
STATE_COOKIE = "partyflow_state"
_NONE = object()


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class CsrfError(Exception):
    """A write without the session's CSRF token: 403."""


def session_token(request: Request) -> str | None:
    """This request's session token: one issued during the request, else the cookie's."""
    issued = getattr(request.state, "session_token", _NONE)
    return (request.cookies.get(SESSION_COOKIE) or None) if issued is _NONE else issued


def _signed_in_csrf(request: Request, token: str) -> str:
    key = request.app.state.secret_key.encode()
    mac = hmac.new(key, b"csrf:" + token.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_token(request: Request) -> str:
    token = session_token(request)
    if token:
        return _signed_in_csrf(request, token)
    anonymous = request.session.get("csrf")
    if not anonymous:
        anonymous = request.session["csrf"] = secrets.token_urlsafe(32)
    return anonymous


async def check_csrf(request: Request) -> None:
    """A router dependency: refuses an unsafe request whose token does not match the session's."""
    if request.method not in UNSAFE:
        return
    token = session_token(request)
    expected = _signed_in_csrf(request, token) if token else request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not sent or not secrets.compare_digest(str(sent), str(expected)):
        raise CsrfError()


def current_user(request: Request) -> Principal:
    """The logged-in user (a dependency); no live session raises LoginRequired."""
    who = getattr(request.state, "principal", None)
    if who is None:
        who = sessions.resolve(request.app.state.pf, session_token(request), request.app.state.session_policy)
        if who is None:
            raise LoginRequired()
        request.state.principal = who
    return who


def start_session(request: Request, user_id: int) -> None:
    """A fresh session after login (a new token; the browser's old session and everything in the
    signed cookie from before it end: no session fixation). SessionCookieMiddleware sets the cookie."""
    token = sessions.start(request.app.state.pf, user_id, request.app.state.session_policy,
                           user_agent=request.headers.get("user-agent", ""), address=client_ip(request),
                           replaces=session_token(request))
    request.session.clear()
    request.state.session_token = token
    request.state.principal = None


def end_session(request: Request) -> None:
    """Logout: the session row ends and the browser forgets its cookies."""
    sessions.end(request.app.state.pf, session_token(request))
    forget_session(request)


def forget_session(request: Request) -> None:
    """The browser drops the session cookie (its session has ended) and the signed cookie's contents."""
    request.session.clear()
    request.state.session_token = None
    request.state.principal = None


class SessionCookieMiddleware:
    """Writes the session cookie when a request started or ended a session (request.state
    .session_token set: a token, or None to clear it), like Starlette's SessionMiddleware does for
    its own cookie, so a route never builds a cookie itself."""

    def __init__(self, app: ASGIApp, *, secure: bool, max_age: int) -> None:
        self.app, self.secure, self.max_age = app, secure, max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_cookie(message: Message) -> None:
            state = scope.get("state") or {}
            if message["type"] == "http.response.start" and "session_token" in state:
                token = state["session_token"]
                carrier = Response()
                carrier.set_cookie(SESSION_COOKIE, token or "", max_age=self.max_age if token else 0, path="/",
                                   httponly=True, samesite="lax", secure=self.secure)
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", carrier.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, message]]


def take_flashes(request: Request) -> list[list[str]]:
    return request.session.pop("flash", [])


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or — only when the peer is a configured trusted proxy —
    the one its X-Forwarded-For names (uvicorn's ProxyHeadersMiddleware, installed by create_app)."""
    return request.client.host if request.client else "unknown"
