"""In-app notices (站内通知): the list, opening one (marks it read and goes to its target),
"全部标为已读", and the same as JSON under /api/notices. Every user sees only their own notices:
another user's is 404. The bell's count in the header comes from web/render.py `page()`.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from services.notices import inbox, mark_all_read, mark_read, open_notice
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], tags=["partyflow"])


def _safe(link: str | None) -> str:
    """Only a local path is followed (never another site)."""
    return link if link and link.startswith("/") and not link.startswith("//") else "/notices"


@router.get("/notices", include_in_schema=False)
def notices_page(request: Request, page_no: int = Query(1, alias="page", ge=1, le=100_000), who=Depends(current_user)):
    box = inbox(request.app.state.pf, who.user_id, page_no)
    return page(request, "notices.html", {"title": "站内通知", "box": box, "unread_notices": box["unread"]}, who=who)


@router.get("/notices/{notice_id:int}", include_in_schema=False)
def open_one(request: Request, notice_id: int, who=Depends(current_user)):
    n, gone = open_notice(request.app.state.pf, who, notice_id)
    if gone:  # the candidate was transferred out of the user's branches: say so, stay in the inbox
        flash(request, gone)
        return RedirectResponse("/notices", status_code=303)
    return RedirectResponse(_safe(n["link"]), status_code=303)


@router.post("/notices/{notice_id:int}/read", include_in_schema=False)
def read_one(request: Request, notice_id: int, who=Depends(current_user)):
    mark_read(request.app.state.pf, who.user_id, notice_id)
    return RedirectResponse("/notices", status_code=303)


@router.post("/notices/read-all", include_in_schema=False)
def read_all(request: Request, who=Depends(current_user)):
    n = mark_all_read(request.app.state.pf, who.user_id)
    flash(request, f"已将 {n} 条通知标为已读" if n else "没有未读的通知")
    return RedirectResponse("/notices", status_code=303)


@router.get("/api/notices", summary="我的站内通知（最新的在前；page 分页，每页 20 条）")
def api_notices(request: Request, page_no: int = Query(1, alias="page", ge=1, le=100_000), who=Depends(current_user)):
    return JSONResponse(inbox(request.app.state.pf, who.user_id, page_no))


@router.post("/api/notices/{notice_id}/read", summary="将一条站内通知标为已读")
def api_read_one(request: Request, notice_id: int, who=Depends(current_user)):
    return {"ok": True, "notice": mark_read(request.app.state.pf, who.user_id, notice_id)}


@router.post("/api/notices/read-all", summary="将我的站内通知全部标为已读")
def api_read_all(request: Request, who=Depends(current_user)):
    return {"ok": True, "marked": mark_all_read(request.app.state.pf, who.user_id)}
