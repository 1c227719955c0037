"""Organisation pages: the overdue dashboard across branches, the period report with its
downloads (text, Markdown, Excel, Word) and the ledger export.

Who: every role, over the branches it reads (a secretary its branches, the township all of its
own, the county everything under it); an organisation outside that is 403, an unknown one 404.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from engine.evidence import parse_date
from reports.model import DIMENSIONS, MEASURES
from services.integrity.audit_log import record
from reports.period import half, parse_period, quarter
from reports.period import year as period_year
from services.reporting.org_views import default_period, org_for, overdue_dashboard, report_orgs
from services.reporting.period_report import (SUFFIXES, build_report, default_path, dormant_page, dormant_summary,
                                              paragraph, report_dict, write_report)
from services.casework.user_commands import NotFoundError
from web.render import page
from web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
FORMAT_NAMES = {"xlsx": "Excel（统计表和台账）", "docx": "Word 工作汇报", "md": "带排版标记的文本", "text": "纯文本"}
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "md": "text/markdown; charset=utf-8", "text": "text/plain; charset=utf-8"}


def _int(value: str | None, what: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdecimal():  # not isdigit: "³" is a digit that int() refuses
        raise NotFoundError(f"找不到{what}“{value}”")
    return int(value)


BRANCH_ROWS = 30  # 各党支部 rows listed at most: a province-sized county's ~28,000 were a 3 MB page (issue 19)


@router.get("/overdue")
def overdue_page(request: Request, branch: str | None = None, as_of: str | None = None, bq: str | None = None,
                 who=Depends(current_user)):
    pf = request.app.state.pf
    branch_id = _int(branch, "党支部")
    day, error = None, None
    if as_of and as_of.strip():
        try:
            day = parse_date(as_of)
        except ValueError as e:
            error = f"截至日期：{e}"
    bq = (bq or "").strip()[:40]
    board = overdue_dashboard(pf, who, branch_id, None if error else day, rows=BRANCH_ROWS, name_contains=bq)
    rows, summary = board["branches"], board["rows_summary"]
    return page(request, "overdue.html", {"title": "逾期事项", "b": board, "as_of": board["today"],
                                          "rows": rows, "rows_summary": summary, "bq": bq,
                                          "as_of_typed": as_of or "", "as_of_error": error,
                                          "real_today": pf.today().isoformat()},
                status_code=400 if error else 200, who=who)


def _choose_org(pf, who, org: str | None) -> tuple[dict, list[dict]]:
    orgs = report_orgs(pf, who)
    org_id = _int(org, "组织")
    if org_id is None:
        if not orgs:
            raise NotFoundError("没有可以统计的组织")
        own = {r.org_id for r in who.roles}  # the organisation of the user's role first
        return next((o for o in orgs if o["id"] in own), orgs[0]), orgs
    return org_for(pf, who, org_id), orgs


ORG_OPTIONS = 200  # organisations the report page's select lists in full; beyond, see _org_options


def _org_options(orgs: list[dict], chosen: dict) -> list[dict]:
    """The report page's organisation select. A county's thousands of branches would make the page
    megabytes (29,764 options at the bench's 1 M: 1.5 MB): beyond ORG_OPTIONS it lists the
    organisations above the branches, and the branches of the chosen one's township (its own when a
    township is chosen, its siblings when a branch is); a branch elsewhere is a township away."""
    if len(orgs) <= ORG_OPTIONS:
        return orgs
    near = {chosen["id"], chosen.get("parent_id")} - {None}
    return [o for o in orgs if o["level"] != "branch" or o.get("parent_id") in near or o["id"] == chosen["id"]]


def _tables(report) -> list[dict]:
    """One table per breakdown dimension: rows = categories, then the derived figures (其中：大专及以上 …),
    columns = the measures."""
    out = []
    for dim, heading in DIMENSIONS.items():
        cats: list[str] = []
        cells: dict[tuple[str, str], int] = {}
        for key in MEASURES:
            b = report.measures[key].breakdowns.get(dim)
            if b is None:
                continue
            for c, n in (*b.counts, *((f"其中：{c}", n) for c, n in b.derived)):
                if c not in cats:
                    cats.append(c)
                cells[(c, key)] = n
        if cats:
            out.append({"heading": heading, "rows": [(c, [cells.get((c, k), 0) for k in MEASURES]) for c in cats]})
    return out


RANGE = "range"  # the period select's 自定义日期范围
PERIOD_INVALID = "统计期间无法识别，请从列表中选择，或选择“自定义日期范围”并填写起止日期"


def period_choices(today, chosen: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The period select: (year label, [(code, Chinese label)]) for this year and the two before
    (全年, 上半年, 下半年, four quarters), the chosen period first when it is older; then the
    custom range. Codes stay the URL's values, so old links (period=2018H1) keep working."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for y in range(today.year, today.year - 3, -1):
        periods = [period_year(y), half(y, 1), half(y, 2), *(quarter(y, q) for q in range(1, 5))]
        groups.append((f"{y}年", [(p.key, p.label) for p in periods if p.start <= today]))
    listed = {code for _, options in groups for code, _ in options}
    if chosen and chosen not in listed and chosen != RANGE:
        try:
            p = parse_period(chosen)
            if p.kind != "range":
                groups.insert(0, ("所选期间", [(p.key, p.label)]))
        except DomainError:
            pass
    return [g for g in groups if g[1]]


def _period_asked(period: str | None, start: str | None, end: str | None, today) -> tuple[str, str, str]:
    """(the period to report, the select's value, the range's error): both dates typed → that
    range; 自定义日期范围 without both → an error; else the chosen code (when none, services.reporting.org_views
    default_period: the half year just completed in July and January, else the current one)."""
    start, end, period = (start or "").strip(), (end or "").strip(), (period or "").strip()
    if start and end:
        return f"{start}..{end}", RANGE, ""
    if period == RANGE or start or end:
        return "", RANGE, "请填写开始日期和结束日期"
    period = period or default_period(today)
    return period, period, ""


@router.get("/reports")
def report_page(request: Request, org: str | None = None, period: str | None = None, start: str | None = None,
                end: str | None = None, who=Depends(current_user)):
    pf = request.app.state.pf
    chosen, orgs = _choose_org(pf, who, org)
    asked, selected, range_error = _period_asked(period, start, end, pf.today())
    shown = _org_options(orgs, chosen)
    ctx = {"title": "发展党员工作报告", "orgs": shown, "orgs_cut": len(shown) < len(orgs), "org": chosen, "period": selected,
           "choices": period_choices(pf.today(), selected), "start": start or "", "end": end or "",
           "formats": FORMAT_NAMES, "measures": MEASURES}
    if range_error:
        return page(request, "report.html", {**ctx, "range_error": range_error}, status_code=400, who=who)
    try:
        report = build_report(pf, chosen["code"], asked)
    except DomainError as e:
        v = e.violations[0]
        message = PERIOD_INVALID if v.code == "period.invalid" else v.message
        key = "range_error" if selected == RANGE else "error"
        return page(request, "report.html", {**ctx, key: message}, status_code=400, who=who)
    p = report.period
    if p.kind == "range":
        ctx.update(period=RANGE, start=p.start.isoformat(), end=p.end.isoformat())
    else:
        ctx.update(period=p.key, choices=period_choices(pf.today(), p.key))
    dormant = dormant_summary(report)
    ctx.update(report=report, data=report_dict(report, with_paragraph=False, first=len(dormant["items"])),
               paragraph=paragraph(report), tables=_tables(report), dormant=dormant,
               dormant_q=urlencode({"period": p.key}))
    return page(request, "report.html", ctx, who=who)


@router.get("/reports/dormant")
def report_dormant_page(request: Request, org: str | None = None, period: str | None = None, page_no: str = Query("1", alias="page"),
                        who=Depends(current_user)):
    """The report's 两年以上未发展党员的党支部 in full, 50 a page: the report page lists the first few
    of a long list (a county's) and links here."""
    pf = request.app.state.pf
    org_id = _int(org, "组织")  # the report page's links name it: no need for the select's list of every organisation
    chosen = org_for(pf, who, org_id) if org_id is not None else _choose_org(pf, who, None)[0]
    asked = (period or "").strip() or default_period(pf.today())
    d = dormant_page(pf, chosen["code"], asked, _int(page_no, "页码") or 1)  # a bad period: DomainError → 400 page
    return page(request, "report_dormant.html", {"title": "两年以上未发展党员的党支部", "d": d,
                                                 "dormant_q": urlencode({"period": d["period"].key})}, who=who)


def _file_response(pf, who, path: Path, folder: str, filename: str, media: str, action: str, detail: dict):
    record(pf, user_id=who.user_id, username=who.username, action=action, target_kind="org",
           target_id=detail["org_id"], detail=detail)
    return FileResponse(path, media_type=media, filename=filename,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.get("/reports/file")
async def report_file(request: Request, org: str, period: str, format: str = "xlsx", who=Depends(current_user)):
    return await run_in_threadpool(_report_file, request, who, org, period, format)


def _report_file(request: Request, who, org: str, period: str, fmt: str):
    pf = request.app.state.pf
    if fmt not in SUFFIXES:
        raise NotFoundError(f"没有“{fmt}”格式的报告")
    chosen = org_for(pf, who, _int(org, "组织") or 0)
    report = build_report(pf, chosen["code"], period)  # a bad period: DomainError → 400 page
    folder = tempfile.mkdtemp(prefix="partyflow-report-")
    name = default_path(report, fmt).name
    path = write_report(pf, report, fmt, Path(folder) / "report")
    return _file_response(pf, who, path, folder, name, MEDIA[fmt], "report.download",
                          {"org_id": chosen["id"], "period": report.period.key, "format": fmt})


@router.get("/ledger")
async def ledger_file(request: Request, org: str, who=Depends(current_user)):
    return await run_in_threadpool(_ledger_file, request, who, org)


def _ledger_file(request: Request, who, org: str):
    from services.ledger.intake import export

    pf = request.app.state.pf
    chosen = org_for(pf, who, _int(org, "组织") or 0)
    folder = tempfile.mkdtemp(prefix="partyflow-ledger-")
    path = Path(folder) / "ledger.xlsx"
    res = export(pf, chosen["code"], path)
    return _file_response(pf, who, path, folder, f"{chosen['name']}_发展党员工作台账_{pf.today().isoformat()}.xlsx",
                          MEDIA["xlsx"], "ledger.export", {"org_id": chosen["id"], "rows": res["rows"]})
