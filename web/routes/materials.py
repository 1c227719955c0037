"""材料 in the web: the candidate page's 材料 section (completeness, files, uploads from a phone's
camera, generated documents), the downloads (a file, its thumbnail, a 文书, the 档案 ZIP, the
missing-materials Excel), and the same as JSON under /api.

Every action is a `services.materials` function (scope, roles, intake, audit live there); a page
only parses the form, calls it and shows the result — a refused upload or removal comes back on
the candidate page with the message next to its form. Upload bodies are capped before they are
read (web/uploads.py).
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError, refuse
from engine.evidence import parse_date
from services.app import SHANGHAI
from services.integrity.audit_log import record
from services.materials.archive import archive_zip, missing_xlsx
from services.materials.completeness import completeness_view, for_rows
from services.materials.files import already_filed_message, attach, download, remove
from services.materials.generated import attach_generated
from services.materials.intake import UploadRefused
from services.reporting.org_views import org_for
from services.casework.user_commands import NotFoundError, load_for
from web.downloads import DOCX, file_download
from web.render import TEMPLATES
from web.security import check_csrf, current_user, flash
from web.uploads import oversized, refuse_oversized, upload_limit

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)], tags=["partyflow"])

OTHER = "other"  # the form key of files of the candidate as a whole (no material)
INPUT_CODES = frozenset({"material.text", "material.date", "material.reason"})  # a field, not a rule: 400


def _beijing(text: str | None) -> str:
    """An attachment's stored time (ISO, UTC) as Beijing time to the minute."""
    if not text:
        return ""
    at = datetime.fromisoformat(text)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["beijing"] = _beijing


# -- what the pages show -----------------------------------------------------------------------

def _form_title(kind: str | None, defn=None) -> str | None:
    if not kind:
        return None
    from documents import FORMS

    spec = FORMS.get(kind)
    if spec is None:
        return None
    step = defn.step(spec.step).name if defn is not None and defn.has_step(spec.step) else None
    return spec.title_for(step)


def materials_section(pf, who, candidate_id: int, branch_id: int, defn) -> dict[str, Any]:
    """The candidate page's 材料 section: the service's view, with what this user may do on each
    material (offered only; the service checks again) and the generated stand-ins' titles."""
    view = completeness_view(pf, candidate_id, who=who)
    reads_only = not (who.can_act(branch_id, "branch") or who.can_act(branch_id, "township"))
    files = 0
    for s in view["steps"]:
        actor = defn.step(s["step"]).actor if defn.has_step(s["step"]) else "branch"
        s["can_attach"] = who.can_act(branch_id, actor)
        for m in s["materials"]:
            # the side that records the step, or the one the list says produces it (services/materials/files.py)
            m["can_attach"] = s["can_attach"] or bool(m.get("by") and who.can_act(branch_id, m["by"]))
            m["form_title"] = _form_title(m.get("generated"), defn)
            files += len(m["files"])
    for f in view["other_files"]:  # a file of a step goes with that step's side (services/materials/files.py)
        actor = defn.step(f["step"]).actor if f["step"] and defn.has_step(f["step"]) else None
        f["can_remove"] = not reads_only and (actor is None or who.can_act(branch_id, actor))
    files += len(view["other_files"])
    missing = sorted(view["missing"], key=lambda m: not m["blocks"])  # blocking first
    return {**view, "missing": missing, "files_count": files, "can_attach_other": not reads_only,
            "max_mb": f"{upload_limit() / 2**20:g}"}


def place_problem(m: dict[str, Any], problem: dict | None) -> dict:
    """A refused upload, removal or generation goes next to its form; one whose form is not on the
    page (a material not in the candidate's list, a file gone) at the top of the section."""
    if not problem:
        return {}
    if problem["where"] == "remove":
        files = [f for s in m["steps"] for x in s["materials"] for f in x["files"]] + m["other_files"]
        known = {f["id"] for f in files}
    else:  # an upload form exists for every material and for 其他材料; a 生成并附上 only for materials
        known = {x["id"] for s in m["steps"] for x in s["materials"]} | ({OTHER} if problem["where"] == "upload" else set())
    return problem if problem["key"] in known else {**problem, "where": "section"}


def missing_badges(pf, candidate_ids) -> dict[int, dict[str, Any]]:
    """{candidate id: {count, names, blocking}} of the candidates that lack a required material —
    for a queue or a 待办 list: one completeness call for all of them (services.materials.for_rows),
    blocking materials first."""
    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        return {}
    with pf.uow(read_only=True) as uow:
        found = uow.candidates.get_many(ids)
        rows = [found[i] for i in ids if i in found]
        found = for_rows(pf, uow, rows)
    out = {}
    for cid, c in found.items():
        blocking = [m.name for m in c.blocking]
        missing = sorted(c.missing_required, key=lambda m: m.name not in blocking)
        if missing:
            out[cid] = {"count": len(missing), "names": [m.name for m in missing], "blocking": blocking,
                        "percent": c.percent}
    return out


def blocking_by_side(pf, who, candidate_id: int) -> dict[str, list[str]]:
    """The missing materials that stop a step, split by who puts them on file: {"mine": those this
    user can upload, "theirs": the other side's} — an approval refused for a branch's material
    offers the township 退回 (to have it added), not an upload it would be refused."""
    row, state, defn = load_for(pf, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    out: dict[str, list[str]] = {"mine": [], "theirs": []}
    for s in completeness_view(pf, candidate_id, who=who)["steps"]:
        actor = defn.step(s["step"]).actor if defn.has_step(s["step"]) else "branch"
        for m in s["materials"]:
            if m["blocks"] and m["status"] == "missing":
                can = who.can_act(branch_id, actor) or bool(m["by"] and who.can_act(branch_id, m["by"]))
                out["mine" if can else "theirs"].append(m["name"])
    return out


def with_missing(pf, items: list[dict]) -> list[dict]:
    """Each item (a dict with candidate_id) gets `materials`: its missing-materials badge or None."""
    badges = missing_badges(pf, [i["candidate_id"] for i in items])
    for i in items:
        i["materials"] = badges.get(i["candidate_id"])
    return items


def _candidate_page(request: Request, who, candidate_id: int, *, problem: dict | None = None, status_code: int):
    from web.routes.pages import candidate_page

    return candidate_page(request, who, candidate_id, materials_problem=problem, status_code=status_code)


def _status(e: DomainError) -> int:
    return 400 if isinstance(e, UploadRefused) or any(v.code in INPUT_CODES for v in e.violations) else 422


def _message(e: DomainError) -> str:
    return "；".join(v.message for v in e.violations)


def _document_date(text: str | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as e:
        raise refuse("material.date", f"材料日期：{e}") from None


async def _read_file(file) -> tuple[bytes, str] | None:
    """(at most the limit + 1 bytes, the file's name), or None when no file was chosen."""
    if file is None or isinstance(file, str) or not file.filename:
        return None
    return await file.read(upload_limit() + 1), file.filename


# -- pages ----------------------------------------------------------------------------------------

@router.post("/candidates/{candidate_id:int}/materials")
async def upload_page(request: Request, candidate_id: int, who=Depends(current_user)):
    form = await request.form()
    material = str(form.get("material", "")).strip() or None
    step = str(form.get("step", "")).strip() or None
    typed = {"document_date": str(form.get("document_date", "")), "note": str(form.get("note", ""))}
    chosen = [f for f in form.getlist("file") if not isinstance(f, str) and f.filename]  # 拍照 or 选择文件
    too_large = oversized(request, chosen[0] if chosen else None)  # before reading it (web/uploads.py)
    if too_large is not None:
        problem = {"where": "upload", "key": material or OTHER, "error": too_large.message, "typed": typed}
        return await run_in_threadpool(_candidate_page, request, who, candidate_id, problem=problem,
                                       status_code=_status(too_large))
    got = await _read_file(chosen[0] if chosen else None)
    return await run_in_threadpool(_upload, request, who, candidate_id, material, step, typed, got)


def _upload(request: Request, who, candidate_id: int, material, step, typed: dict, got):
    pf = request.app.state.pf
    key = material or OTHER
    if got is None:
        load_for(pf, who, candidate_id)  # 403/404 before telling what is missing
        problem = {"where": "upload", "key": key, "error": "请选择要上传的文件（可以直接拍照）", "typed": typed}
        return _candidate_page(request, who, candidate_id, problem=problem, status_code=400)
    data, filename = got
    try:
        saved = attach(pf, candidate_id, data, filename, actor=who.actor, who=who, material=material, step=step,
                       document_date=_document_date(typed["document_date"]), note=typed["note"])
    except DomainError as e:
        problem = {"where": "upload", "key": key, "error": _message(e), "typed": typed}
        return _candidate_page(request, who, candidate_id, problem=problem, status_code=_status(e))
    flash(request, already_filed_message(saved) if saved["already_filed"]  # a retried upload: the file on record
          else f"已上传：{saved['material_name']}（{saved['filename']}）")
    return RedirectResponse(f"/candidates/{candidate_id}#m-{key}", status_code=303)


@router.post("/candidates/{candidate_id:int}/attachments/{attachment_id:int}/remove")
def remove_page(request: Request, candidate_id: int, attachment_id: int, reason: str = Form(""),
                who=Depends(current_user)):
    pf = request.app.state.pf
    try:
        gone = remove(pf, attachment_id, actor=who.actor, reason=reason, who=who)
    except DomainError as e:
        problem = {"where": "remove", "key": attachment_id, "error": _message(e), "typed": {"reason": reason}}
        return _candidate_page(request, who, candidate_id, problem=problem, status_code=_status(e))
    flash(request, f"已移除：{gone['material_name']}（{gone['filename']}）。移除原因：{gone['removed_reason']}")
    return RedirectResponse(f"/candidates/{gone['candidate_id']}#m-{gone['material'] or OTHER}", status_code=303)


@router.post("/candidates/{candidate_id:int}/documents/{kind}/attach")
def attach_document_page(request: Request, candidate_id: int, kind: str, who=Depends(current_user)):
    pf = request.app.state.pf
    try:
        saved = attach_generated(pf, candidate_id, kind, actor=who.actor, who=who)
    except DomainError as e:
        spec_key = _material_of(pf, who, candidate_id, kind)
        problem = {"where": "generate", "key": spec_key, "error": _message(e), "typed": {}}
        return _candidate_page(request, who, candidate_id, problem=problem, status_code=_status(e))
    flash(request, already_filed_message(saved) if saved["already_filed"]
          else f"已生成并附上：{saved['material_name']}（{saved['filename']}）")
    return RedirectResponse(f"/candidates/{candidate_id}#m-{saved['material'] or OTHER}", status_code=303)


def _material_of(pf, who, candidate_id: int, kind: str) -> str:
    from services.materials.generated import stands_for

    spec = stands_for(pf, candidate_id, kind, who=who)
    return spec.id if spec is not None else OTHER


@router.get("/attachments/{attachment_id:int}")
def file_page(request: Request, attachment_id: int, who=Depends(current_user)):
    name, ctype, data = download(request.app.state.pf, attachment_id, actor=who.actor, who=who)
    return file_download(name, ctype, data)


@router.get("/attachments/{attachment_id:int}/thumbnail")
def thumbnail_page(request: Request, attachment_id: int, who=Depends(current_user)):
    name, ctype, data = download(request.app.state.pf, attachment_id, actor=who.actor, who=who, thumbnail=True)
    return file_download(name, ctype, data)


@router.get("/candidates/{candidate_id:int}/documents/{kind}")
def document_page(request: Request, candidate_id: int, kind: str, who=Depends(current_user)):
    return _document(request.app.state.pf, who, candidate_id, kind)


@router.get("/candidates/{candidate_id:int}/archive.zip")
def archive_page(request: Request, candidate_id: int, who=Depends(current_user)):
    name, data = archive_zip(request.app.state.pf, candidate_id, actor=who.actor, who=who)
    return file_download(name, "application/zip", data)


@router.get("/materials/missing.xlsx")
def missing_page(request: Request, org: str | None = None, who=Depends(current_user)):
    return _missing(request.app.state.pf, who, org)


def _document(pf, who, candidate_id: int, kind: str):
    """A generated 文书 as a download (anyone who reads the candidate); the download is audited."""
    from services.materials.generated import document

    _row, _state, defn = load_for(pf, who, candidate_id)
    name, data = document(pf, candidate_id, kind, who=who)
    record(pf, user_id=who.user_id, username=who.username, action="material.document", target_kind="candidate",
           target_id=candidate_id, detail={"document": _form_title(kind, defn) or kind, "name": name})
    return file_download(name, DOCX, data)


def default_org(who) -> int | None:
    """The organisation of the user's one role, else None (everything the user reads)."""
    own = {r.org_id for r in who.roles if r.org_id is not None}
    return next(iter(own)) if len(own) == 1 else None


def _missing(pf, who, org: str | None):
    text = (org or "").strip()
    if text and not text.isdecimal():
        raise NotFoundError(f"找不到组织“{text}”")
    org_id = int(text) if text else default_org(who)
    if org_id is not None:
        org_id = org_for(pf, who, org_id)["id"]  # unknown 404, not all readable 403
    name, data = missing_xlsx(pf, org_id, actor=who.actor, who=who)
    return file_download(name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)


# -- JSON API -------------------------------------------------------------------------------------

CandidateId = Path(..., ge=1, le=2**31 - 1, description="候选人编号")
AttachmentId = Path(..., ge=1, le=2**31 - 1, description="文件编号")


class RemoveIn(BaseModel):
    reason: str = Field(description="移除原因（必填，500 字以内）")


@api.get("/candidates/{candidate_id}/materials", summary="一名候选人的材料：完整度、各步骤的材料和文件")
def api_materials(request: Request, candidate_id: int = CandidateId, who=Depends(current_user)):
    return completeness_view(request.app.state.pf, candidate_id, who=who)


@api.post("/candidates/{candidate_id}/materials", summary="上传一个材料文件（multipart：file，可选 material、step、document_date、note）")
async def api_upload(request: Request, candidate_id: int = CandidateId,
                     file: UploadFile = File(description="文件：JPEG、PNG、HEIC 图片或 PDF、Word（.docx），单个文件默认 20 MB 以内"),
                     material: str | None = Form(None, description="材料标识（见 GET …/materials 的 id）"),
                     step: str | None = Form(None, description="步骤标识（不指定材料时，文件归入该步骤）"),
                     document_date: str | None = Form(None, description="材料上的日期，如 2026-11-20"),
                     note: str | None = Form(None, description="备注（500 字以内）"),
                     who=Depends(current_user)):
    refuse_oversized(request, file)  # 413, the file's real size named
    got = await _read_file(file)
    return await run_in_threadpool(_api_upload, request, who, candidate_id, got, material, step, document_date, note)


def _api_upload(request: Request, who, candidate_id: int, got, material, step, document_date, note):
    if got is None:
        raise refuse("material.file", "请选择要上传的文件")
    data, filename = got
    saved = attach(request.app.state.pf, candidate_id, data, filename, actor=who.actor, who=who,
                   material=(material or "").strip() or None, step=(step or "").strip() or None,
                   document_date=_document_date(document_date), note=note)
    body = {"ok": True, "attachment": saved, "already_filed": saved["already_filed"]}
    if saved["already_filed"]:  # a retried upload: the file on record, nothing written
        body["message"] = already_filed_message(saved)
    return JSONResponse(body)


@api.get("/attachments/{attachment_id}", summary="下载一个材料文件（记入审计日志）",
         responses={200: {"description": "文件（Content-Disposition: attachment）",
                          "content": {"application/octet-stream": {}}}})
def api_file(request: Request, attachment_id: int = AttachmentId, who=Depends(current_user)):
    return file_page(request, attachment_id, who)


@api.get("/attachments/{attachment_id}/thumbnail", summary="材料文件的缩略图（JPEG；图片和 PDF 首页）",
         responses={200: {"description": "缩略图", "content": {"image/jpeg": {}}}})
def api_thumbnail(request: Request, attachment_id: int = AttachmentId, who=Depends(current_user)):
    return thumbnail_page(request, attachment_id, who)


@api.post("/attachments/{attachment_id}/remove", summary="移除一个材料文件（须填原因；文件保留，记入审计日志）")
def api_remove(request: Request, body: RemoveIn, attachment_id: int = AttachmentId, who=Depends(current_user)):
    gone = remove(request.app.state.pf, attachment_id, actor=who.actor, reason=body.reason, who=who)
    return {"ok": True, "attachment": gone}


@api.post("/candidates/{candidate_id}/documents/{kind}",
          summary="生成文书；attach=1（默认）时作为它可代替的材料附上，attach=0 时直接下载",
          responses={200: {"description": "附上的文件，或 attach=0 时的 Word 文件",
                           "content": {"application/json": {}, DOCX: {}}}})
def api_attach_document(request: Request, candidate_id: int = CandidateId,
                        kind: str = Path(..., description="文书种类（如 target_notice）"),
                        attach_it: bool = Query(True, alias="attach", description="是否作为材料附上"),
                        who=Depends(current_user)):
    pf = request.app.state.pf
    if not attach_it:
        return _document(pf, who, candidate_id, kind)
    return {"ok": True, "attachment": attach_generated(pf, candidate_id, kind, actor=who.actor, who=who)}


@api.get("/candidates/{candidate_id}/documents/{kind}", summary="下载根据记录生成的文书（Word）",
         responses={200: {"description": "Word 文件", "content": {DOCX: {}}}})
def api_document(request: Request, candidate_id: int = CandidateId,
                 kind: str = Path(..., description="文书种类（如 target_notice）"), who=Depends(current_user)):
    return _document(request.app.state.pf, who, candidate_id, kind)


@api.get("/candidates/{candidate_id}/archive.zip", summary="导出一名候选人的档案（ZIP：档案目录和全部文件）",
         responses={200: {"description": "ZIP 文件", "content": {"application/zip": {}}}})
def api_archive(request: Request, candidate_id: int = CandidateId, who=Depends(current_user)):
    return archive_page(request, candidate_id, who)


@api.get("/materials/missing.xlsx", summary="缺少材料清单（Excel）：所选组织或本人可见范围内缺少必需材料的候选人",
         responses={200: {"description": "Excel 文件",
                          "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def api_missing(request: Request, org: str | None = Query(None, description="组织编号；不填为本人的组织或可见范围"),
                who=Depends(current_user)):
    return _missing(request.app.state.pf, who, org)
