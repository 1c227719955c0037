"""合规检查 `/findings` (and `/api/findings`): the audit findings (services/compliance/audit.py, the CLI's
`partyflow audit`) over the organisations the user reads, filtered by organisation, period (Chinese
choices or a date range), source and kind; each finding names the candidate (linked) and the
article. Every role reads its own scope; a foreign organisation is 403, an unknown one 404."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from engine.errors import DomainError
from engine.evidence import parse_date
from reports.period import MIN_YEAR, date_range, parse_period
from services.compliance import KIND_NAMES, SOURCE_NAMES, findings_for, period_choices
from services.reporting.org_views import org_for, report_orgs
from services.casework.user_commands import NotFoundError
from web.render import page
from web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)])


def _filters(pf, org, period, since, until, source, kind) -> tuple[dict, dict, dict]:
    """(service arguments, typed values, errors by field)."""
    typed = {"org": org or "", "period": period or "", "since": since or "", "until": until or "",
             "source": source or "", "kind": kind or ""}
    errors: dict[str, str] = {}
    args: dict = {"source": typed["source"] or None, "kind": typed["kind"] or None, "period": None, "org_id": None}
    if typed["org"]:
        if not typed["org"].isdecimal():
            raise NotFoundError("找不到该组织")
        args["org_id"] = int(typed["org"])
    if args["source"] and args["source"] not in SOURCE_NAMES:
        errors["source"] = "请从列表中选择来源"
    if args["kind"] and args["kind"] not in KIND_NAMES:
        errors["kind"] = "请从列表中选择类别"
    if typed["since"] or typed["until"]:  # a date range wins over the chosen period
        ends = {}
        for key, label in (("since", "开始日期"), ("until", "结束日期")):
            try:
                ends[key] = parse_date(typed[key]) if typed[key] else None
            except ValueError as e:
                errors[key] = f"{label}：{e}"
        if not errors.get("since") and not errors.get("until"):
            try:
                args["period"] = date_range(ends["since"] or date(MIN_YEAR, 1, 1), ends["until"] or pf.today())
            except DomainError as e:
                errors["until"] = e.violations[0].message
    elif typed["period"]:
        try:
            args["period"] = parse_period(typed["period"])
        except DomainError as e:
            errors["period"] = e.violations[0].message
    return args, typed, errors


@router.get("/findings", include_in_schema=False)
def findings_page(request: Request, org: str | None = None, period: str | None = None, since: str | None = None,
                  until: str | None = None, source: str | None = None, kind: str | None = None,
                  who=Depends(current_user)):
    pf = request.app.state.pf
    args, typed, errors = _filters(pf, org, period, since, until, source, kind)
    ctx = {"title": "合规检查", "typed": typed, "errors": errors, "periods": period_choices(pf.today()),
           "sources": SOURCE_NAMES, "kinds": KIND_NAMES}
    if errors:
        if args["org_id"] is not None:
            org_for(pf, who, args["org_id"])  # a foreign or unknown organisation stays 403 / 404
        return page(request, "findings.html", {**ctx, "d": {"orgs": report_orgs(pf, who)}, "shown": False},
                    status_code=400, who=who)
    data = findings_for(pf, who, **args)
    return page(request, "findings.html", {**ctx, "d": data, "shown": True}, who=who)


@router.get("/api/findings", summary="合规检查：违反规定的记录和逾期办理的步骤（可按组织、期间、来源、类别筛选）",
            tags=["partyflow"])
def api_findings(request: Request, org: str | None = None, period: str | None = None, since: str | None = None,
                 until: str | None = None, source: str | None = None, kind: str | None = None,
                 who=Depends(current_user)):
    pf = request.app.state.pf
    args, _typed, errors = _filters(pf, org, period, since, until, source, kind)
    if errors:
        messages = list(errors.values())
        return JSONResponse({"ok": False, "error": "invalid", "message": messages[0],
                             "violations": [{"code": "invalid", "message": m, "article": "", "earliest": None}
                                            for m in messages]}, status_code=422)
    return JSONResponse(findings_for(pf, who, **args, limit=10_000))
