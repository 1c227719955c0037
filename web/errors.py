"""Error pages and JSON errors: never a traceback, never a 500 for what a user typed.

| exception                                  | page (HTML)              | /api (JSON)      |
|--------------------------------------------|--------------------------|------------------|
| LoginRequired                              | 303 → /login?next=…      | 401              |
| CsrfError                                  | 403                      | 403              |
| ForbiddenError                             | 403                      | 403              |
| NotFoundError, unknown route               | 404                      | 404              |
| DomainError (a rule or a bad input)        | 400 with the messages    | 422 / 409 stale  |
| ConcurrentModification                     | 409                      | 409              |
| RequestValidationError (malformed request) | 400                      | 422              |
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import DomainError
from services.user_commands import ForbiddenError, NotFoundError
from storage.errors import ConcurrentModification
from web.headers import security_headers
from web.render import page
from web.security import CsrfError, LoginRequired

CSRF_MESSAGE = "安全校验失败（表单已过期或来源不明），请刷新页面后重试"
STALE_CODES = frozenset({"candidate.stale", "concurrent_modification"})
STALE_MESSAGE = "已被他人修改，请刷新"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json(status: int, error: str, message: str, violations: list[dict] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error, "message": message, "violations": violations or []},
                        status_code=status)


def _page(request: Request, status: int, title: str, messages: list[str]):
    who = getattr(request.state, "who", None)
    return page(request, "error.html", {"title": title, "messages": messages, "status": status},
                status_code=status, who=who)


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if is_api(request):
            return _json(401, "login_required", "请先登录")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError):
        if is_api(request):
            return _json(403, "csrf", CSRF_MESSAGE)
        return _page(request, 403, "无法提交", [CSRF_MESSAGE])

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError):
        if is_api(request):
            return _json(403, "forbidden", str(exc))
        return _page(request, 403, "无权访问", [str(exc)])

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError):
        if is_api(request):
            return _json(404, "not_found", str(exc))
        return _page(request, 404, "找不到", [str(exc)])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = "页面不存在" if exc.status_code == 404 else str(exc.detail)
        if exc.status_code == 405:
            message = "不支持这种请求方式"
        if is_api(request):
            return _json(exc.status_code, "http", message)
        return _page(request, exc.status_code, message, [message])

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        stale = any(v.code in STALE_CODES for v in exc.violations)
        if is_api(request):
            return _json(409 if stale else 422, "conflict" if stale else "refused",
                         STALE_MESSAGE if stale else exc.violations[0].message, [v.as_dict() for v in exc.violations])
        return _page(request, 409 if stale else 400, "未能办理", [v.message for v in exc.violations])

    @app.exception_handler(ConcurrentModification)
    async def _conflict(request: Request, exc: ConcurrentModification):
        if is_api(request):
            return _json(409, "conflict", STALE_MESSAGE)
        return _page(request, 409, STALE_MESSAGE, [STALE_MESSAGE])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or '请求'}：格式不正确" for e in exc.errors()]
        if is_api(request):
            return _json(422, "invalid", "请求格式不正确", [{"code": "invalid", "message": p, "article": "",
                                                          "earliest": None} for p in problems])
        return _page(request, 400, "请求格式不正确", problems)

    @app.exception_handler(Exception)
    async def _server(request: Request, exc: Exception):  # a bug or the database down: logged by the server
        message = "服务器内部错误，本次操作未完成；请稍后重试或联系管理员"
        response = _json(500, "server", message) if is_api(request) else _page(request, 500, "服务器错误", [message])
        # answered outside the middleware stack: the security headers are added here
        for k, v in security_headers(request.url.path, request.url.scheme):
            response.headers.setdefault(k.decode(), v.decode())
        return response
