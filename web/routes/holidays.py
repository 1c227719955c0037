"""节假日安排: the loaded years, and loading a year's schedule (pasted or uploaded YAML) with a
preview first.

Who: every role sees the loaded years (they decide every working-day deadline it sees); only
the administrator loads a year. The schedule is national and the database may hold several
townships: a township officer loading one would move the deadlines of every other township, so
the CLI's `holidays load` (an administrator's command) stays the administrator's in the web.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from services.holidays import load_schedule, loaded_years, preview_schedule
from services.holidays.schedule import MAX_TEXT, example_zh
from services.casework.user_commands import ForbiddenError
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "holidays-2027.example.yaml")


def _example() -> str:
    try:
        return example_zh(EXAMPLE.read_text(encoding="utf-8"))  # without the file's English banner
    except OSError:
        return ""


def _render(request: Request, who, *, text: str = "", name: str = "", preview=None, error: str | None = None,
            status_code: int = 200):
    pf = request.app.state.pf
    return page(request, "holidays.html", {"title": "节假日安排", "years": loaded_years(pf), "text": text, "name": name,
                                           "preview": preview, "error": error, "example": _example(),
                                           "may_load": who.is_admin}, status_code=status_code, who=who)


@router.get("/holidays")
def holidays_page(request: Request, who=Depends(current_user)):
    return _render(request, who)


async def _read(request: Request, who) -> tuple[str, str, str | None, str]:
    """(text, name, error, action) from the form: an uploaded file wins over pasted text."""
    if not who.is_admin:
        raise ForbiddenError("节假日安排由系统管理员导入（全县通用，影响所有乡镇的期限）")
    form = await request.form(max_files=1, max_fields=10)
    action = str(form.get("action", "preview"))
    text, name = str(form.get("text", "")), str(form.get("name", ""))[:100]
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = await upload.read(MAX_TEXT * 4 + 1)
        if len(raw) > MAX_TEXT * 4 or b"\x00" in raw:
            return "", "", "上传的不是节假日安排文本文件，或文件过大", action
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return "", "", "文件不是 UTF-8 编码，请用记事本另存为 UTF-8 后再上传", action
        name = Path(upload.filename.replace("\\", "/")).name[:100]
    return text, name, None, action


@router.post("/holidays")
async def holidays_post(request: Request, who=Depends(current_user)):
    text, name, error, action = await _read(request, who)
    return await run_in_threadpool(_post, request, who, text, name, error, action)


def _post(request: Request, who, text: str, name: str, error: str | None, action: str):
    pf = request.app.state.pf
    if error:
        return _render(request, who, error=error, status_code=400)
    try:
        preview = preview_schedule(pf, text, name)
    except DomainError as e:
        return _render(request, who, text=text, name=name, error=e.violations[0].message, status_code=400)
    if action != "load":
        return _render(request, who, text=text, name=name, preview=preview)
    info = load_schedule(pf, text, name)
    message = f"已导入 {info['year']} 年节假日安排：放假 {info['holidays']} 天，调休上班 {info['workdays']} 天"
    if info["recomputed"]:
        message += f"；已按新安排重算 {info['recomputed']} 名候选人的暂定期限"
    flash(request, message)
    return RedirectResponse("/holidays", status_code=303)
