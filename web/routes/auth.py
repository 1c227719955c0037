"""Log in (form and JSON), log out, change password, the user's own sessions (退出所有设备)."""
from __future__ import annotations

import math
from datetime import timezone

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from engine.errors import DomainError
from services.app import SHANGHAI
from services.accounts.sessions import end_everywhere, live_sessions, token_hash
from services.accounts.users import LoginLocked, authenticate, change_password
from web.render import page
from web.security import (check_csrf, client_ip, csrf_token, current_user, end_session, flash, forget_session,
                          session_token, start_session)

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
# JSON login for scripts: no CSRF token (there is no session yet to bind it to); a JSON body is
# required instead, which a page on another site cannot send without CORS, which this app never allows
api = APIRouter(prefix="/api", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _retry_after(request: Request, e: LoginLocked) -> dict[str, str]:
    seconds = (e.until - request.app.state.pf.utcnow()).total_seconds()
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return page(request, "login.html", {"title": "登录", "next": _safe_next(next), "username": ""})


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
    try:
        user = authenticate(request.app.state.pf, username, password, client_ip(request))
    except DomainError as e:
        locked = isinstance(e, LoginLocked)
        response = page(request, "login.html", {"title": "登录", "next": _safe_next(next), "username": username,
                                                "error": e.violations[0].message}, status_code=429 if locked else 401)
        if locked:
            response.headers.update(_retry_after(request, e))
        return response
    start_session(request, user.id)
    return RedirectResponse(_safe_next(next), status_code=303)


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


@api.post("/login")
def api_login(request: Request, body: LoginIn):
    """{"username", "password"} → the session cookie and its CSRF token; 401 wrong, 429 locked."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"ok": False, "error": "media_type", "message": "请以 JSON 提交用户名和密码",
                             "violations": []}, status_code=415)
    try:
        user = authenticate(request.app.state.pf, body.username, body.password, client_ip(request))
    except DomainError as e:
        locked = isinstance(e, LoginLocked)
        return JSONResponse({"ok": False, "error": "locked" if locked else "login_failed",
                             "message": e.violations[0].message, "violations": [v.as_dict() for v in e.violations]},
                            status_code=429 if locked else 401, headers=_retry_after(request, e) if locked else None)
    start_session(request, user.id)
    return {"ok": True, "user_id": user.id, "csrf_token": csrf_token(request)}


@router.post("/logout")
def logout(request: Request):
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password")
def password_form(request: Request, who=Depends(current_user)):
    return page(request, "password.html", {"title": "修改密码", "errors": {}}, who=who)


@router.post("/account/password")
def password_change(request: Request, old: str = Form(""), new: str = Form(""), again: str = Form(""),
                    who=Depends(current_user)):
    pf = request.app.state.pf
    if new != again:
        return page(request, "password.html", {"title": "修改密码", "error": "两次输入的新密码不一致"},
                    status_code=400, who=who)
    try:
        change_password(pf, who.user_id, old, new)  # ends every session of the user, this one too
    except DomainError as e:
        return page(request, "password.html", {"title": "修改密码", "error": e.violations[0].message},
                    status_code=400, who=who)
    start_session(request, who.user_id)  # this browser goes on, under a new session
    flash(request, "密码已修改，其他设备上的登录已失效")
    return RedirectResponse("/", status_code=303)


@router.get("/account/sessions")
def sessions_page(request: Request, who=Depends(current_user)):
    pf = request.app.state.pf
    mine = token_hash(session_token(request) or "")
    rows = [{"this": s.id == mine, "browser": _browser(s.user_agent), "address": s.address,
             "since": _local(s.created_at), "seen": _local(s.last_seen_at)}
            for s in live_sessions(pf, who.user_id, request.app.state.session_policy)]
    policy = request.app.state.session_policy
    return page(request, "account_sessions.html", {
        "title": "登录设备", "sessions": rows, "idle": _duration(policy.idle), "absolute": _duration(policy.absolute)},
        who=who)


@router.post("/account/sessions/end")
def sessions_end(request: Request, who=Depends(current_user)):
    """退出所有设备: every session of this user ends, this browser's too."""
    n = end_everywhere(request.app.state.pf, who.user_id, by=who.username, by_id=who.user_id)
    forget_session(request)
    flash(request, f"已退出所有设备（{n} 处登录），请重新登录")
    return RedirectResponse("/login", status_code=303)


def _local(at) -> str:
    return f"{at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def _duration(d) -> str:
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} 小时" + (f" {minutes % 60} 分钟" if minutes % 60 else "") if minutes >= 60 else f"{minutes} 分钟"


_BROWSERS = (("MicroMessenger", "微信"), ("Edg/", "Edge 浏览器"), ("QQBrowser", "QQ 浏览器"),
             ("360", "360 浏览器"), ("Firefox", "Firefox 浏览器"), ("Chrome", "Chrome 浏览器"),
             ("Safari", "Safari 浏览器"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "安卓手机"), ("iPhone", "苹果手机"), ("iPad", "苹果平板"),
            ("Mac OS", "苹果电脑"), ("Linux", "Linux"))


def _browser(agent: str) -> str:
    """A user agent string in words: 「Chrome 浏览器 · Windows」, or 「其他浏览器」."""
    browser = next((name for key, name in _BROWSERS if key in agent), "其他浏览器")
    system = next((name for key, name in _SYSTEMS if key in agent), "")
    return f"{browser} · {system}" if system else browser
