"""导入台账 (ledger import): upload → preview → 确认导入 → the list of imports with 撤销.

Who: the township officer into their township, the administrator anywhere (services/imports/scope.py);
everyone else 403. The upload is checked by content (xlsx or CSV), limited in size (413 with the
limit), kept under a token only its uploader can open; the preview, the one-transaction confirm
and the undo are the CLI's (services/ledger/intake.py) through services/imports. With JavaScript
(static/imports.js) the upload shows its progress and the answer is JSON {next} instead of a 303.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from services.imports import (UploadTooLarge, confirm_upload, history, import_item, import_org, importable_orgs,
                              preview_upload, store_upload, undo_import)
from services.imports.uploads import MAX_UPLOAD_BYTES, discard, load_upload
from services.casework.user_commands import ForbiddenError
from web.render import page
from web.security import check_csrf, current_user, flash

SLACK = 64 * 1024  # the multipart envelope around the file


async def refuse_large_upload(request: Request) -> None:
    """Before the body is read (and before the CSRF check parses it): a declared size over the
    limit is refused at once (413, the limit in the message)."""
    size = request.headers.get("content-length", "")
    if request.method == "POST" and size.isdecimal() and int(size) > MAX_UPLOAD_BYTES + SLACK:
        raise HTTPException(413, UploadTooLarge.message)


router = APIRouter(dependencies=[Depends(refuse_large_upload), Depends(check_csrf)], include_in_schema=False)


def _wants_json(request: Request) -> bool:
    return request.headers.get("x-upload") == "1"


def _orgs(pf, who) -> list[dict]:
    orgs = importable_orgs(pf, who)
    if not orgs:
        raise ForbiddenError("台账由乡镇党委组织委员导入本乡镇（党支部和县级只读账号不能导入）")
    return orgs


def _index(request: Request, who, *, typed=None, errors=None, status_code=200):
    pf = request.app.state.pf
    orgs = _orgs(pf, who)
    typed = typed or {"org": str(orgs[0]["id"]) if len(orgs) == 1 else ""}
    return page(request, "imports.html", {
        "title": "导入台账", "orgs": orgs, "typed": typed, "errors": errors or {}, "imports": history(pf, who),
        "max_mb": MAX_UPLOAD_BYTES // 2**20}, status_code=status_code, who=who)


@router.get("/imports")
def imports_page(request: Request, who=Depends(current_user)):
    return _index(request, who)


def _upload_error(request: Request, who, typed: dict, field: str, message: str, status: int):
    if _wants_json(request):
        return JSONResponse({"ok": False, "field": field, "message": message}, status_code=status)
    return _index(request, who, typed=typed, errors={field: message}, status_code=status)


@router.post("/imports")
async def upload(request: Request, who=Depends(current_user)):
    form = await request.form(max_files=1, max_fields=10)
    typed = {"org": str(form.get("org", "")).strip()}
    file = form.get("file")
    return await run_in_threadpool(_upload, request, who, typed, file)


def _upload(request: Request, who, typed: dict, file):
    pf = request.app.state.pf
    _orgs(pf, who)  # 403 before anything else for a user who imports nowhere
    if not typed["org"].isdecimal():
        return _upload_error(request, who, typed, "org", "请选择导入到哪个组织", 400)
    org = import_org(pf, who, int(typed["org"]))  # 403 / 404
    if file is None or isinstance(file, str) or not file.filename:
        return _upload_error(request, who, typed, "file", "请选择台账文件（.xlsx 或 .csv）", 400)
    try:
        up = store_upload(file.file, file.filename, user_id=who.user_id, org_id=org["id"])
    except UploadTooLarge as e:
        return _upload_error(request, who, typed, "file", e.message, 413)
    except DomainError as e:
        return _upload_error(request, who, typed, "file", e.violations[0].message, 400)
    target = f"/imports/preview/{up.token}"
    if _wants_json(request):
        return JSONResponse({"ok": True, "next": target})
    return RedirectResponse(target, status_code=303)


def _preview(request: Request, who, token: str, *, error: str | None = None, skip: bool = False, status_code=200):
    pf = request.app.state.pf
    _orgs(pf, who)  # 403 for a user who imports nowhere, before looking for the file
    try:
        p = preview_upload(pf, who, token)
    except DomainError as e:  # the file itself cannot be read as a ledger: one message, then gone
        discard(load_upload(token, who.user_id))
        return _index(request, who, errors={"file": e.violations[0].message}, status_code=400)
    return page(request, "import_preview.html", {"title": "导入预览", "p": p, "error": error, "skip": skip},
                status_code=status_code, who=who)


@router.get("/imports/preview/{token}")
async def preview_page(request: Request, token: str, who=Depends(current_user)):
    return await run_in_threadpool(_preview, request, who, token)


@router.post("/imports/preview/{token}/confirm")
async def confirm(request: Request, token: str, who=Depends(current_user)):
    form = await request.form()
    skip = form.get("skip_bad_rows") == "1"
    return await run_in_threadpool(_confirm, request, who, token, skip)


def _confirm(request: Request, who, token: str, skip: bool):
    pf = request.app.state.pf
    _orgs(pf, who)
    try:
        res = confirm_upload(pf, who, token, skip_bad_rows=skip)
    except DomainError as e:
        return _preview(request, who, token, error=e.violations[0].message, skip=skip, status_code=422)
    text = (f"已导入“{res['name']}”到{res['org']['name']}：候选人 {res['candidates']} 名、人员 {res['people']} 名、"
            f"步骤记录 {res['events']} 条")
    if res["skipped"]:
        text += f"；跳过有误或需确认的 {res['skipped']} 行"
    flash(request, text)
    return RedirectResponse("/imports", status_code=303)


@router.post("/imports/preview/{token}/discard")
def discard_upload(request: Request, token: str, who=Depends(current_user)):
    _orgs(request.app.state.pf, who)
    discard(load_upload(token, who.user_id))
    flash(request, "已取消这次导入，文件已删除")
    return RedirectResponse("/imports", status_code=303)


def _undo_page(request: Request, who, import_id: int, *, error: str | None = None, status_code=200):
    _orgs(request.app.state.pf, who)
    item = import_item(request.app.state.pf, who, import_id)  # 404 unknown, 403 another township's
    return page(request, "import_undo.html", {"title": "撤销导入", "i": item, "error": error},
                status_code=status_code, who=who)


@router.get("/imports/{import_id:int}/undo")
def undo_form(request: Request, import_id: int, who=Depends(current_user)):
    return _undo_page(request, who, import_id)


@router.post("/imports/{import_id:int}/undo")
def undo(request: Request, import_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    _orgs(pf, who)
    try:
        res = undo_import(pf, who, import_id)
    except DomainError as e:
        return _undo_page(request, who, import_id, error=e.violations[0].message, status_code=422)
    flash(request, f"已撤销“{res['file']}”的导入：删除候选人 {res['candidates']} 名、人员 {res['people']} 名、"
                   f"步骤记录 {res['events']} 条")
    return RedirectResponse("/imports", status_code=303)
