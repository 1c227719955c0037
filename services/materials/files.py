"""Attach, list, download and remove a candidate's files (材料, issue 18).

Each use case checks who may do it (the side of the material's step, as for recording the step),
keeps the bytes in the object store by their SHA-256 and writes the attachment row and its audit
row in one transaction. The intake checks (type by content, size, hostile PDFs and images) run
before anything is stored: a refused file leaves no trace but the refusal.

`who=None` is the CLI: the recorder named by --by / PARTYFLOW_ACTOR, with no role limits (the
person at the machine holds the database, as for every CLI command).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from engine.errors import refuse
from engine.input_policy import text_problem
from engine.state import CandidateState
from services.accounts.access import Principal, step_side
from services.app import SHANGHAI, App
from services.integrity.audit_log import record, record_in
from services.materials.catalogue import catalogue_of
from services.materials.intake import inspect_upload
from services.materials.limits import upload_limits
from services.casework.user_commands import ForbiddenError, NotFoundError, load_for
from storage.objects import key_for_digest, sha256_key
from storage.repositories.attachments import SameFileOnRecord

MAX_NOTE = 500
MAX_REASON = 500


def _text(label: str, value: str | None, limit: int) -> str:
    value = (value or "").strip()
    problem = text_problem(value, label=label, limit=limit)
    if problem:
        raise refuse("material.text", problem)
    return value


def _candidate(app: App, who: Principal | None, candidate_id: int):
    """(row, state, definition) of a candidate `who` may read (the CLI reads everything)."""
    if who is not None:
        return load_for(app, who, candidate_id)
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(candidate_id)
    if row is None:
        raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")
    state = CandidateState.from_dict(row.state)
    return row, state, app.definition(state.definition_key)


def _may_attach(who: Principal | None, defn, branch_id: int, step_id: str | None, by: str | None = None) -> None:
    """Files of a step are attached by the side that records it (the branch, or the township for
    备案/预审/审批…), or by the side the material list says produces it (`by`: the branch writes
    the 备案报告 the township files); a file of the candidate as a whole by either side. County
    viewers attach nothing."""
    if who is None:
        return
    if not (who.can_act(branch_id, "branch") or who.can_act(branch_id, "township")):
        raise ForbiddenError("你的账号只能查看这名候选人的材料，不能上传或移除")
    if step_id is not None:
        step = defn.step(step_id)
        if not who.can_act(branch_id, step.actor) and not (by and who.can_act(branch_id, by)):
            side = step_side(by or step.actor)  # who puts it on file: the branch or the township
            raise ForbiddenError(f"“{step.name}”的这份材料由{defn.roles.get(side) or side}上传或移除，你的账号不能办理")


def _target(app: App, defn, state: CandidateState, branch_id: int, material: str | None, step: str | None):
    """(material spec or None, step id or None) checked against the candidate's own rules."""
    spec = None
    if material:
        with app.uow(read_only=True) as uow:
            catalogue = catalogue_of(app, uow, defn, branch_id)
        spec = find_material(catalogue, material)
        if spec is None:
            names = "、".join(m.name for m in catalogue.items[:6])
            raise refuse("material.unknown", f"这名候选人的材料清单中没有“{material}”；材料清单中有：{names}等（见材料清单）")
        if step and step != spec.step:
            raise refuse("material.step", f"材料“{spec.name}”属于“{defn.step(spec.step).name}”，不属于所选步骤")
        step = spec.step
    if step is not None:
        if not defn.has_step(step):
            raise refuse("step.unknown", "这名候选人的流程中没有所选的步骤，请从列表中选择")
        s = defn.step(step)
        if step not in state.done and any(r not in state.done for r in s.requires):
            what = f"材料“{spec.name}”" if spec else "材料"
            raise refuse("material.early", f"“{s.name}”尚未开始（须先完成前面的步骤），还不能上传它的{what}")
    return spec, step


def find_material(catalogue, text: str):
    """A material of `catalogue` by its id or its Chinese name, or None."""
    text = text.strip()
    if text in catalogue:
        return catalogue.get(text)
    return next((m for m in catalogue.items if m.name == text), None)


def attach(app: App, candidate_id: int, data: bytes, filename: str, *, actor: str, who: Principal | None = None,
           material: str | None = None, step: str | None = None, document_date: date | None = None,
           note: str | None = None, generated_kind: str | None = None) -> dict[str, Any]:
    """Stores one file and records it as `material` (or a file of `step`, or of the candidate).

    Returns the attachment as `attachment_dict` gives it, with `already_filed`: True when the same
    content (SHA-256) is already on record, not removed, for the candidate, step and material — a
    retried upload — and that file is returned with nothing written (docs/materials.md). Refusals: the file (intake), the material
    or step (not the candidate's, not reached yet), the role (ForbiddenError)."""
    row, state, defn = _candidate(app, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    spec, step = _target(app, defn, state, branch_id, material, step)
    _may_attach(who, defn, branch_id, step, spec.by if spec else None)
    note = _text("备注", note, MAX_NOTE) or None
    if document_date is not None and document_date > app.today():
        raise refuse("material.date", f"材料日期 {document_date} 晚于今天，请填写材料上的实际日期")
    if document_date is not None and document_date < date(1950, 1, 1):  # a sane floor, as birth dates have one
        raise refuse("material.date", f"材料日期 {document_date} 不合理：应不早于 1950-01-01，请填写材料上的实际日期")
    accepted = inspect_upload(data, filename, limits=upload_limits())
    material_id = spec.id if spec else None
    with app.uow(read_only=True) as uow:  # a retried upload (a phone's flaky connection, a double tap)
        same = uow.attachments.live_copy(candidate_id, step, material_id, accepted.sha256)
    if same is not None:
        return _already_filed(same, defn, spec)
    store = app.objects
    object_key = key_for_digest(accepted.sha256)
    store.put(object_key, accepted.data, accepted.content_type)  # content-addressed: a second put is a no-op
    thumb_key = None
    if accepted.thumbnail is not None:
        thumb_key = sha256_key(accepted.thumbnail)
        store.put(thumb_key, accepted.thumbnail, "image/jpeg")
    now = app.utcnow()
    try:
        with app.uow() as uow:
            new_id = uow.attachments.add(
                candidate_id=candidate_id, step=step, material=material_id,
                source="generated" if generated_kind else "upload", generated_kind=generated_kind,
                sha256=accepted.sha256, object_key=object_key, thumbnail_key=thumb_key, size=len(accepted.data),
                content_type=accepted.content_type, file_kind=accepted.kind, filename=accepted.filename,
                pages=accepted.pages, document_date=document_date, note=note, uploaded_by=actor,
                user_id=who.user_id if who else None, uploaded_at=now)
            record_in(uow, app, user_id=who.user_id if who else None, username=who.username if who else actor,
                      action="material.attach", target_kind="candidate", target_id=candidate_id,
                      detail={"attachment": new_id, "material": spec.name if spec else None, "step": step,
                              "filename": accepted.filename, "sha256": accepted.sha256, "size": len(accepted.data),
                              "generated": generated_kind})
            saved = uow.attachments.get(new_id)
    except SameFileOnRecord:  # the same upload sent twice at once: the other one committed first
        with app.uow(read_only=True) as uow:
            same = uow.attachments.live_copy(candidate_id, step, material_id, accepted.sha256)
        if same is None:  # removed in the same instant: say so rather than guess
            raise refuse("material.same_file", "同一文件正在被同时上传或移除，请刷新后查看") from None
        return _already_filed(same, defn, spec)
    return {**attachment_dict(saved, defn, spec), "already_filed": False}


def _already_filed(att, defn, spec) -> dict[str, Any]:
    """The file on record, returned for a second upload of the same content to the same material:
    nothing is written (no second row, no audit row). `already_filed` tells the caller to say so."""
    return {**attachment_dict(att, defn, spec), "already_filed": True}


def already_filed_message(att: dict[str, Any]) -> str:
    """What the page, the API and the CLI tell a user whose upload was already on file."""
    at = datetime.fromisoformat(att["uploaded_at"]).replace(tzinfo=timezone.utc).astimezone(SHANGHAI)
    return (f"已上传过同一文件：{att['material_name']}（{att['filename']}，{att['uploaded_by']} "
            f"{at:%Y-%m-%d %H:%M} 上传），这次没有重复保存")


def attachments(app: App, candidate_id: int, *, who: Principal | None = None,
                with_removed: bool = False) -> list[dict[str, Any]]:
    """The candidate's files, oldest first, as `attachment_dict` gives them."""
    row, state, defn = _candidate(app, who, candidate_id)
    with app.uow(read_only=True) as uow:
        catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
        rows = uow.attachments.for_candidate(candidate_id, with_removed=with_removed)
    return [attachment_dict(r, defn, _spec(catalogue, r.material)) for r in rows]


def _load(app: App, who: Principal | None, attachment_id: int):
    att = None
    if 0 < attachment_id <= 2**62:
        with app.uow(read_only=True) as uow:
            att = uow.attachments.get(attachment_id)
    if att is None:
        if who is None:  # the CLI: a refusal like any other
            raise refuse("material.unknown_file", "找不到这个文件（可能已被删除）")
        raise NotFoundError("找不到这个文件（链接有误）")
    row, state, defn = _candidate(app, who, att.candidate_id)  # the scope check
    return att, row, state, defn


def download(app: App, attachment_id: int, *, actor: str, who: Principal | None = None,
             thumbnail: bool = False) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one file, through the app and its scope check; every
    download of the file itself is audited (thumbnails are what the page shows, not a download)."""
    att, _row, _state, _defn = _load(app, who, attachment_id)
    if thumbnail:
        if att.thumbnail_key is None:
            raise NotFoundError("这个文件没有缩略图")
        return f"缩略图-{att.filename}.jpg", "image/jpeg", app.objects.get(att.thumbnail_key)
    data = app.objects.get(att.object_key)
    record(app, user_id=who.user_id if who else None, username=who.username if who else actor,
           action="material.download", target_kind="candidate", target_id=att.candidate_id,
           detail={"attachment": att.id, "filename": att.filename, "sha256": att.sha256})
    return att.filename, att.content_type, data


def remove(app: App, attachment_id: int, *, actor: str, reason: str, who: Principal | None = None) -> dict[str, Any]:
    """Marks a file removed with the reason (the row and the bytes are kept: the record shows what
    was there and who removed it); the completeness no longer counts it."""
    att, row, state, defn = _load(app, who, attachment_id)
    with app.uow(read_only=True) as uow:
        catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
    spec = _spec(catalogue, att.material)
    _may_attach(who, defn, state.branch_id or row.branch_id, att.step, spec.by if spec else None)
    reason = _text("移除原因", reason, MAX_REASON)
    if not reason:
        raise refuse("material.reason", "移除文件须填写原因")
    with app.uow() as uow:
        if not uow.attachments.remove(att.id, app.utcnow(), actor, reason):
            raise refuse("material.removed", f"文件“{att.filename}”已被移除")
        record_in(uow, app, user_id=who.user_id if who else None, username=who.username if who else actor,
                  action="material.remove", target_kind="candidate", target_id=att.candidate_id,
                  detail={"attachment": att.id, "filename": att.filename, "sha256": att.sha256, "reason": reason})
        saved = uow.attachments.get(att.id)
        catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
    return attachment_dict(saved, defn, _spec(catalogue, saved.material))


def _spec(catalogue, material: str | None):
    return catalogue.get(material) if material and material in catalogue else None


def attachment_dict(a, defn, spec=None) -> dict[str, Any]:
    """One file as the CLI's --json, the API and the pages show it (documented in docs/materials.md)."""
    step = defn.step(a.step) if a.step and defn.has_step(a.step) else None
    return {
        "id": a.id, "candidate_id": a.candidate_id,
        "step": a.step, "step_name": f"第{step.number}步 {step.name}" if step else None,
        "material": a.material, "material_name": spec.name if spec else ("其他材料" if a.material is None else a.material),
        "source": a.source, "generated_kind": a.generated_kind,
        "filename": a.filename, "content_type": a.content_type, "file_kind": a.file_kind, "size": a.size,
        "pages": a.pages, "sha256": a.sha256, "has_thumbnail": a.thumbnail_key is not None,
        "document_date": a.document_date.isoformat() if a.document_date else None, "note": a.note,
        "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at.isoformat(timespec="seconds"),
        "removed": a.removed_at is not None,
        "removed_at": a.removed_at.isoformat(timespec="seconds") if a.removed_at else None,
        "removed_by": a.removed_by, "removed_reason": a.removed_reason,
    }
