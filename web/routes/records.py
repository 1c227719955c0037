"""更正与作废: a candidate's records with what the user may change, the correction and void forms,
a preview of exactly what changes, then 确认 — and the same in the JSON API.

Pages (linked from the candidate page's 办理记录): `/candidates/{id}/records`,
`/candidates/{id}/records/{seq}/correct`, `/candidates/{id}/records/{seq}/void`. A form posts
`go=preview` (the engine decides without writing: the preview page) or `go=confirm` (the preview
page's button: recorded, back to the records). Every rule is the engine's (services/records).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError, refuse
from engine.evidence import parse_date
from services.casework.queries import command_view
from services.records import correct_record, record_form, records_view, void_record
from services.casework.step_form import attach_violations, check_fields, evidence_from_form
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, STALE_MESSAGE
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)])
BASE = "/candidates/{candidate_id:int}/records"
TITLES = {"correct": "更正记录", "void": "作废记录"}


@router.get(BASE, include_in_schema=False)
def records_page(request: Request, candidate_id: int, who=Depends(current_user)):
    v = records_view(request.app.state.pf, who, candidate_id)
    return page(request, "records_list.html", {"title": f"{v['person']['name']} · 办理记录", "v": v}, who=who)


def _form_page(request, who, kind, ctx, *, typed=None, occurred_on=None, reason="", version=None, errors=None,
               violations=(), stale=None, status_code=200):
    return page(request, f"records_{kind}.html", {
        "title": TITLES[kind], "kind": kind, "ctx": ctx, "candidate_id": ctx["row"].id, "seq": ctx["event"].seq,
        "typed": ctx["typed"] if typed is None else typed, "reason": reason,
        "occurred_on": ctx["occurred_on"] if occurred_on is None else occurred_on,
        "version": ctx["row"].version if version is None else version,
        "errors": errors or {}, "violations": list(violations), "stale": stale,
    }, status_code=status_code, who=who)


@router.get(BASE + "/{seq:int}/{kind}", include_in_schema=False)
def record_change_form(request: Request, candidate_id: int, seq: int, kind: str, who=Depends(current_user)):
    try:
        ctx = record_form(request.app.state.pf, who, candidate_id, seq, _what(kind))
    except DomainError as e:
        return _cannot(request, who, kind, e)
    return _form_page(request, who, kind, ctx)


def _cannot(request, who, kind, e: DomainError):
    """A record that cannot be changed (voided, a correction itself, redone after a return): 422."""
    return page(request, "error.html", {"title": f"不能{TITLES[kind][:2]}", "messages": [v.message for v in e.violations],
                                        "status": 422}, status_code=422, who=who)


def _what(kind: str) -> str:
    if kind not in TITLES:
        from services.casework.user_commands import NotFoundError
        raise NotFoundError("页面不存在")
    return TITLES[kind][:2]


@router.post(BASE + "/{seq:int}/{kind}", include_in_schema=False)
async def record_change_submit(request: Request, candidate_id: int, seq: int, kind: str, who=Depends(current_user)):
    form = await request.form()
    return await run_in_threadpool(_submit, request, who, candidate_id, seq, kind, form)


def _hidden(typed: dict[str, Any]) -> list[tuple[str, str]]:
    """The typed values as hidden inputs of the preview page (people: one input per id)."""
    out = []
    for k, v in typed.items():
        for x in v if isinstance(v, list) else [v]:
            if x != "":
                out.append((k, str(x)))
    return out


def _submit(request: Request, who, candidate_id: int, seq: int, kind: str, form):
    pf = request.app.state.pf
    try:
        ctx = record_form(pf, who, candidate_id, seq, _what(kind))
    except DomainError as e:
        return _cannot(request, who, kind, e)
    step = ctx["step"]
    reason = str(form.get("reason", "")).strip()
    occurred_on = str(form.get("occurred_on", "")).strip() if kind == "correct" else ""
    evidence, typed = evidence_from_form(step, form, form.getlist) if step else ({}, {})
    try:
        expected = int(str(form.get("expected_version", "")))
    except ValueError:
        expected = ctx["row"].version
    keep = {"typed": typed, "occurred_on": occurred_on, "reason": reason, "version": expected}
    go = str(form.get("go", "preview"))
    errors: dict[str, str] = {}
    day = None
    if kind == "correct":
        if step is not None:
            errors, day = check_fields(step, evidence, occurred_on)
        else:
            try:
                day = parse_date(occurred_on) if occurred_on else None
                if day is None:
                    errors[""] = "请填写日期"
            except ValueError as e:
                errors[""] = str(e)
    if not reason:
        errors["reason"] = f"请填写{TITLES[kind][:2]}原因"
    elif len(reason) > 500:
        errors["reason"] = "原因不能超过 500 字"
    if go == "edit" or errors:
        return _form_page(request, who, kind, ctx, errors=errors, status_code=400 if errors else 200, **keep)
    preview = go != "confirm"
    try:
        if kind == "correct":
            result, view = correct_record(pf, who, candidate_id, seq, reason=reason, occurred_on=day,
                                          evidence=evidence, expected_version=expected, preview=preview)
        else:
            result, view = void_record(pf, who, candidate_id, seq, reason=reason, expected_version=expected,
                                       preview=preview)
    except (DomainError, ConcurrentModification) as e:
        if isinstance(e, ConcurrentModification) or any(v.code in STALE_CODES for v in e.violations):
            fresh = record_form(pf, who, candidate_id, seq, _what(kind))
            return _form_page(request, who, kind, fresh, stale=STALE_MESSAGE, status_code=409,
                              **{**keep, "version": fresh["row"].version})
        near = attach_violations(step, list(e.violations)) if step else {}
        for v in e.violations:
            if v.code.startswith("date"):
                near.setdefault("", []).append(v.message)
            elif v.code.startswith("reason"):
                near.setdefault("reason", []).append(v.message)
        return _form_page(request, who, kind, ctx, violations=e.violations,
                          errors={k: "；".join(m) for k, m in near.items()}, status_code=422, **keep)
    if preview:
        return page(request, "records_preview.html", {
            "title": f"确认{TITLES[kind]}", "kind": kind, "ctx": ctx, "candidate_id": candidate_id, "seq": seq,
            "change": view, "hidden": _hidden(typed), "occurred_on": occurred_on, "reason": reason,
            "version": expected}, who=who)
    flash(request, f"已{TITLES[kind][:2]}：{ctx['label']}（{ctx['person'].name}）")
    for w in view["warnings"]:
        flash(request, w, "warn")
    return RedirectResponse(f"/candidates/{candidate_id}/records", status_code=303)


# ------------------------------------------------------------------ JSON API


class CorrectIn(BaseModel):
    occurred_on: str | None = Field(default=None, description="更正后的日期，如 2026-11-20；不填则不改日期")
    evidence: dict[str, Any] | None = Field(default=None, description="更正后的记录项（只写要改的项，字段名见流程定义）")
    reason: str = Field(default="", description="更正原因（必填）")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409 已被他人修改")
    preview: bool = Field(default=False, description="true：只预览将发生的变化，不写入")


class VoidIn(BaseModel):
    reason: str = Field(default="", description="作废原因（必填）")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409 已被他人修改")
    preview: bool = Field(default=False, description="true：只预览将发生的变化，不写入")


API = "/api/candidates/{candidate_id}/events"


@router.get(API, summary="一名候选人的有效记录及可否更正、作废", tags=["partyflow"])
def api_records(request: Request, candidate_id: int, who=Depends(current_user)):
    return JSONResponse(records_view(request.app.state.pf, who, candidate_id))


def _api_answer(pf, result, view):
    return {"ok": True, "preview": result.preview, "version": result.version, "change": view,
            "result": command_view(pf, result)}


@router.post(API + "/{seq}/correct", summary="更正一条记录（preview=true 先预览）", tags=["partyflow"])
def api_correct(request: Request, candidate_id: int, seq: int, body: CorrectIn, who=Depends(current_user)):
    pf = request.app.state.pf
    day = None
    if body.occurred_on:
        try:
            day = parse_date(body.occurred_on)
        except ValueError as e:
            raise refuse("input.date", f"更正后的日期：{e}") from None
    result, view = correct_record(pf, who, candidate_id, seq, reason=body.reason, occurred_on=day,
                                  evidence=body.evidence, expected_version=body.expected_version, preview=body.preview)
    return _api_answer(pf, result, view)


@router.post(API + "/{seq}/void", summary="作废一条记录（preview=true 先预览）", tags=["partyflow"])
def api_void(request: Request, candidate_id: int, seq: int, body: VoidIn, who=Depends(current_user)):
    pf = request.app.state.pf
    result, view = void_record(pf, who, candidate_id, seq, reason=body.reason, expected_version=body.expected_version,
                               preview=body.preview)
    return _api_answer(pf, result, view)
