"""Sessions, the logged-in user and CSRF.

The session is Starlette's signed cookie (itsdangerous): HttpOnly always, SameSite=Lax, Secure
unless turned off for plain-HTTP development. It holds the user id, the password stamp (a
password change ends every older session), the CSRF token and one-shot flash messages.
Every unsafe request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token: a form field
`csrf_token` or the `X-CSRF-Token` header (the API).
"""
from __future__ import annotations

import secrets

from fastapi import Request

from services.access import Principal, principal_for

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class CsrfError(Exception):
    """A write without the session's CSRF token: 403."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """A router dependency: refuses an unsafe request whose token does not match the session's."""
    if request.method not in UNSAFE:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not sent or not secrets.compare_digest(str(sent), str(expected)):
        raise CsrfError()


def current_user(request: Request) -> Principal:
    """The logged-in user (a dependency); a stale or missing session raises LoginRequired."""
    uid = request.session.get("uid")
    if uid is None:
        raise LoginRequired()
    who = principal_for(request.app.state.pf, int(uid), request.session.get("pwc"))
    if who is None:
        request.session.clear()
        raise LoginRequired()
    return who


def start_session(request: Request, user_id: int, stamp: str) -> None:
    """A fresh session after login (nothing from before it survives: no session fixation)."""
    request.session.clear()
    request.session.update({"uid": user_id, "pwc": stamp, "csrf": secrets.token_urlsafe(32)})


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, message]]


def take_flashes(request: Request) -> list[list[str]]:
    return request.session.pop("flash", [])


def client_ip(request: Request) -> str:
    """The peer address (behind a reverse proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"
