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
| OverflowError (a number beyond the columns)| 400                      | 422              |
"""
from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import DomainError
from services.casework.user_commands import ForbiddenError, NotFoundError
from storage.errors import ConcurrentModification
from web.headers import security_headers
from web.render import page
from web.security import CsrfError, LoginRequired

CSRF_MESSAGE = "安全校验失败（表单已过期或来源不明），请刷新页面后重试"
STALE_CODES = frozenset({"candidate.stale", "concurrent_modification"})
STALE_MESSAGE = "已被他人修改，请刷新"
OVERFLOW_MESSAGE = "链接或填写的数字超出范围，请从页面上的链接或表单进入"
HTTP_MESSAGES = {400: "请求有误，请返回上一页重试", 401: "请先登录", 403: "无权访问", 404: "页面不存在",
                 405: "不支持这种请求方式", 413: "上传的内容太大", 415: "不支持这种文件类型",
                 429: "操作太频繁，请稍后再试"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def why_stale(dry_run) -> str:
    """A stale form (sent twice: Back and submit again, or someone else first): what the same
    command meets now, from `dry_run()` — it without the version check, in preview, writing
    nothing — e.g. 「“上级党委审批”已于 2018-06-30 完成」 rather than 已被他人修改 to the user who
    did it a moment ago; STALE_MESSAGE when nothing else stands in its way."""
    try:
        dry_run()
    except ConcurrentModification:
        return STALE_MESSAGE
    except DomainError as e:
        why = [v.message for v in e.violations if v.code not in STALE_CODES]
        return "；".join(why) if why else STALE_MESSAGE
    return STALE_MESSAGE


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json(status: int, error: str, message: str, violations: list[dict] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error, "message": message, "violations": violations or []},
                        status_code=status)


def _page(request: Request, status: int, title: str, messages: list[str]):
    who = getattr(request.state, "who", None)
    return page(request, "error.html", {"title": title, "messages": messages, "status": status},
                status_code=status, who=who)


# What a malformed request's parameters are called on the page (a path, query or form name →
# its Chinese name); a name not here is "填写的内容" / "链接". Add yours when a route takes a new one.
PARAM_LABELS = {
    "org": "组织", "branch": "党支部", "period": "统计期间", "format": "文件格式", "start": "开始日期",
    "end": "结束日期", "as_of": "截至日期", "candidate_id": "候选人", "step": "步骤", "action": "操作",
    "page": "页码", "limit": "条数", "offset": "起始位置", "import_id": "导入批次", "token": "上传文件",
    "file": "文件", "username": "用户名", "key": "流程定义", "reason": "原因", "occurred_on": "办理日期",
    "expected_version": "页面版本", "since": "开始日期", "until": "结束日期", "user": "用户",
    "person_id": "人员", "notice_id": "通知", "year": "年度", "seq": "记录",
    "contact_id": "提醒接收人", "org_id": "组织", "ids": "发送记录", "state": "发送状态", "email": "电子邮箱",
    "webhook": "接收地址", "admit": "计划发展党员数", "shares": "占比目标", "tags": "其他类别的计划", "note": "说明",
    "text": "节假日安排", "skip_bad_rows": "跳过有误的行",
    "material": "材料", "document_date": "材料日期", "kind": "文书种类", "attach": "是否附上", "attachment_id": "文件",
}


def invalid_message(error: dict) -> str:
    """One Chinese sentence for one of FastAPI's validation errors, naming the parameter in Chinese
    (never its key): 缺少统计期间 / 链接中的候选人不正确 / 页码格式不正确."""
    loc = [str(x) for x in error.get("loc", ())]
    where = loc[0] if loc else ""
    label = next((PARAM_LABELS[x] for x in reversed(loc[1:]) if x in PARAM_LABELS), "")
    if error.get("type") == "missing":
        return f"缺少{label}，请从页面上的链接或表单进入" if label else "缺少必填的内容，请从页面上的链接或表单进入"
    if where == "path":
        return f"链接中的{label or '编号'}不正确，请从页面上的链接进入"
    return f"{label or '填写的内容'}格式不正确"


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
        detail = str(exc.detail or "")
        # a route's own Chinese detail is shown; Starlette's English phrases ("Not Found") never are
        message = detail if _HAN.search(detail) and exc.status_code != 404 else \
            HTTP_MESSAGES.get(exc.status_code, "请求未能完成，请返回上一页重试")
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
        problems = list(dict.fromkeys(invalid_message(e) for e in exc.errors()))
        if is_api(request):
            return _json(422, "invalid", "请求格式不正确", [{"code": "invalid", "message": p, "article": "",
                                                          "earliest": None} for p in problems])
        return _page(request, 400, "请求格式不正确", problems)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):
        # a number no database column holds (an id of 30 digits in a link: SQLite refuses it)
        if is_api(request):
            return _json(422, "invalid", OVERFLOW_MESSAGE, [{"code": "invalid", "message": OVERFLOW_MESSAGE,
                                                             "article": "", "earliest": None}])
        return _page(request, 400, "请求格式不正确", [OVERFLOW_MESSAGE])

    @app.exception_handler(Exception)
    async def _server(request: Request, exc: Exception):  # a bug or the database down: logged by the server
        message = "服务器内部错误，本次操作未完成；请稍后重试或联系管理员"
        response = _json(500, "server", message) if is_api(request) else _page(request, 500, "服务器错误", [message])
        # answered outside the middleware stack: the security headers are added here
        for k, v in security_headers(request.url.path, request.url.scheme):
            response.headers.setdefault(k.decode(), v.decode())
        return response
