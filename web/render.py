"""Jinja2 templates and the one way pages are rendered (user, CSRF token and flashes included)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from engine.calendar import due_note

from web.security import csrf_token, take_flashes

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_NAMES = {"done": "已完成", "open": "可办理", "waiting": "待前置步骤", "blocked": "未到时间",
                "pending": "未开始", "ended": "已结束"}
TEMPLATES.env.globals["STATUS_NAMES"] = STATUS_NAMES
# The templates ship with the code: no stat of every template file (and of each {% include %} in a
# loop) on every render to see whether it changed on disk (issue 19: the queue's 50 items).
TEMPLATES.env.auto_reload = False
_DICT_ATTRS = frozenset(dir(dict))
_env_getattr = TEMPLATES.env.getattr


def _getattr(obj: Any, attribute: str) -> Any:
    """`{{ i.name }}` on a plain dict without raising and catching an AttributeError first (a third
    of a long page's rendering, issue 19). The same result as Jinja's: a dict's own methods
    (`d.items`) still win over its keys, everything else goes the usual way."""
    if type(obj) is dict and attribute not in _DICT_ATTRS:
        try:
            return obj[attribute]
        except KeyError:
            pass
    return _env_getattr(obj, attribute)


TEMPLATES.env.getattr = _getattr


@pass_context
def _due_note(ctx, day: str | date | None, provisional: bool = False) -> str:
    """`{{ i.due|due_note }}` → "（含当日，元旦假期）": a due date is inclusive, and its day is named when
    it is a holiday or rest day or its year's arrangement is not loaded (engine.calendar.due_note)."""
    if not day:
        return ""
    day = day if isinstance(day, date) else date.fromisoformat(str(day))
    return due_note(day, ctx["request"].app.state.pf.calendar, bool(provisional))


TEMPLATES.env.filters["due_note"] = _due_note


def page(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
         who=None):
    ctx = {"who": who, "csrf": csrf_token(request), "flashes": take_flashes(request), **(context or {})}
    if who is not None and "unread_notices" not in ctx:  # the bell in the header (base.html)
        from services.notices.inbox import unread_count

        ctx["unread_notices"] = unread_count(request.app.state.pf, who.user_id)
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
