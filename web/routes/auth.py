"""Log in, log out, change password."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from engine.errors import DomainError
from services.access import password_stamp
from services.users import authenticate, change_password
from web.render import page
from web.security import check_csrf, client_ip, current_user, flash, start_session

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return page(request, "login.html", {"title": "登录", "next": _safe_next(next), "username": ""})


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
    pf = request.app.state.pf
    try:
        user = authenticate(pf, username, password, client_ip(request))
    except DomainError as e:
        limited = any(v.code == "login.rate_limited" for v in e.violations)
        return page(request, "login.html", {"title": "登录", "next": _safe_next(next), "username": username,
                                            "error": e.violations[0].message}, status_code=429 if limited else 401)
    start_session(request, user.id, password_stamp(user))
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request):
    request.session.clear()
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
        change_password(pf, who.user_id, old, new)
    except DomainError as e:
        return page(request, "password.html", {"title": "修改密码", "error": e.violations[0].message},
                    status_code=400, who=who)
    with pf.uow(read_only=True) as uow:
        start_session(request, who.user_id, password_stamp(uow.users.get(who.user_id)))
    flash(request, "密码已修改，其他设备上的登录已失效")
    return RedirectResponse("/", status_code=303)
