"""Jinja2 templates and the one way pages are rendered (user, CSRF token and flashes included)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from web.security import csrf_token, take_flashes

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_NAMES = {"done": "已完成", "open": "可办理", "waiting": "待前置步骤", "blocked": "未到时间",
                "pending": "未开始", "ended": "已结束"}
TEMPLATES.env.globals["STATUS_NAMES"] = STATUS_NAMES


def page(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
         who=None):
    ctx = {"who": who, "csrf": csrf_token(request), "flashes": take_flashes(request), **(context or {})}
    if who is not None and "unread_notices" not in ctx:  # the bell in the header (base.html)
        from services.notices.inbox import unread_count

        ctx["unread_notices"] = unread_count(request.app.state.pf, who.user_id)
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
