"""「功能」: every tool this user's roles may use, one tap away on a phone (web/menu.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from web.menu import menu_for
from web.render import page
from web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/more")
def more(request: Request, who=Depends(current_user)):
    return page(request, "more.html", {"title": "全部功能", "groups": menu_for(who)}, who=who)
