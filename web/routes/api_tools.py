"""The JSON API of the tool pages: overdue as of a date, the period report, reminder contacts and
the delivery log, the ledger import, development plans and the holiday schedule.

Each endpoint calls the same service as its page (services/reporting, contacts,
imports, planning, holidays) with the same access checks, so it refuses what the page refuses:
a foreign organisation 403, an unknown one 404, a broken rule or bad input 422 with the page's
Chinese message (web/errors.py writes the error shape). Writes need the `X-CSRF-Token` header.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError, Violation, refuse
from engine.evidence import parse_date
from reports.model import MEASURES
from services import contacts as contact_svc
from services.holidays import load_schedule, loaded_years, preview_schedule
from services.imports import (UploadTooLarge, confirm_upload, history, import_item, import_org, preview_upload,
                              store_upload, undo_import)
from services.imports.uploads import discard, load_upload
from services.reporting.org_views import overdue_dashboard
from services.planning import SHARE_FIELDS, plan_orgs, plan_view, save_plan
from services.reporting.period_report import build_report, paragraph, report_dict
from services.casework.user_commands import ForbiddenError
from web.routes.imports import _orgs as importing_orgs
from web.routes.imports import refuse_large_upload
from web.routes.orgs import PERIOD_INVALID, _choose_org, _period_asked, _tables
from web.security import check_csrf, current_user

api = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)], tags=["partyflow"])
ID = {"ge": 1, "le": 2**31 - 1}
ContactId = Annotated[int, Path(description="提醒接收人编号")]
ImportId = Annotated[int, Path(description="导入批次编号")]
Token = Annotated[str, Path(description="上传文件的令牌（上传时返回）")]
HOLIDAYS_ADMIN_ONLY = "节假日安排由系统管理员导入（全县通用，影响所有乡镇的期限）"


def _day(text: str | None, label: str):
    if text is None or not text.strip():
        return None
    try:
        return parse_date(text)
    except ValueError as e:
        raise refuse("input.date", f"{label}：{e}") from None


# -- overdue and the report ------------------------------------------------------------------------

@api.get("/overdue", summary="逾期事项：可见党支部的逾期步骤（可按党支部筛选，可指定截至日期）")
def api_overdue(request: Request,
                as_of: str | None = Query(None, description="截至日期，如 2026-11-20；默认今天"),
                branch: int | None = Query(None, description="只看这个党支部（编号）", **ID),
                who=Depends(current_user)):
    return overdue_dashboard(request.app.state.pf, who, branch, _day(as_of, "截至日期"))


def _report_json(report) -> dict[str, Any]:
    data = report_dict(report, with_paragraph=False)
    return {**data, "paragraph": paragraph(report),
            "totals": [{"key": k, "name": name, "total": report.measures[k].total} for k, name in MEASURES.items()],
            "tables": [{"heading": t["heading"], "columns": list(MEASURES.values()),
                        "rows": [{"category": c, "counts": counts} for c, counts in t["rows"]]} for t in _tables(report)]}


@api.get("/reports", summary="发展党员工作报告：一个组织一个统计期间的段落、合计和分类统计表")
def api_report(request: Request,
               org: int | None = Query(None, description="组织编号；默认本人所在组织", **ID),
               period: str | None = Query(None, description="统计期间：2026H2（下半年）、2026Q3、2026、2026-09，"
                                                            "或“2026年上半年”等中文写法；默认本半年"),
               start: str | None = Query(None, description="自定义范围的开始日期（与结束日期同时填写）"),
               end: str | None = Query(None, description="自定义范围的结束日期"),
               who=Depends(current_user)):
    pf = request.app.state.pf
    chosen, _ = _choose_org(pf, who, None if org is None else str(org))
    asked, _, range_error = _period_asked(period, start, end, pf.today())
    if range_error:
        raise refuse("period.range", range_error)
    try:
        report = build_report(pf, chosen["code"], asked)
    except DomainError as e:
        v = e.violations[0]
        if v.code == "period.invalid":  # worded as the page words it
            raise refuse(v.code, PERIOD_INVALID) from None
        raise
    return _report_json(report)


# -- reminder contacts and the delivery log ---------------------------------------------------------

class ContactIn(BaseModel):
    name: str = Field(description="提醒接收人姓名（必填，100 字以内）")
    email: str = Field(default="", description="电子邮箱（可空），如 name@example.com")
    webhook: str = Field(default="", description="短信网关、企业微信或钉钉机器人的接收地址（可空，http:// 或 https://）")


class NewContactIn(ContactIn):
    org_id: int = Field(description="组织编号：党支部（登记为党支部书记）或乡镇党委（登记为组织委员）")


class RetryIn(BaseModel):
    ids: list[int] = Field(description="要重新发送的发送记录编号（只有“已停止重试”的记录会重新排队）", max_length=1000)


@api.get("/contacts", summary="提醒联系人：可见的乡镇党委和党支部及其提醒接收人")
def api_contacts(request: Request, who=Depends(current_user)):
    return contact_svc.contacts_page(request.app.state.pf, who)


@api.post("/contacts", summary="登记提醒接收人（乡镇党委组织委员、管理员）")
def api_contact_add(request: Request, body: NewContactIn, who=Depends(current_user)):
    org_id = body.org_id if 0 < body.org_id < 2**31 else 0
    return {"ok": True, "contact": contact_svc.add(request.app.state.pf, who, org_id, body.name, body.email, body.webhook)}


@api.get("/contacts/{contact_id}", summary="一名提醒接收人")
def api_contact(request: Request, contact_id: ContactId, who=Depends(current_user)):
    return contact_svc.get(request.app.state.pf, who, contact_id)


@api.post("/contacts/{contact_id}", summary="修改提醒接收人（乡镇党委组织委员、管理员）")
def api_contact_edit(request: Request, contact_id: ContactId, body: ContactIn, who=Depends(current_user)):
    pf = request.app.state.pf
    contact_svc.get(pf, who, contact_id, change=True)  # 404 / 403 before the fields, as on the page
    return {"ok": True, "contact": contact_svc.edit(pf, who, contact_id, body.name, body.email, body.webhook)}


@api.post("/contacts/{contact_id}/remove", summary="删除提醒接收人（今后的提醒不再发给此人）")
def api_contact_remove(request: Request, contact_id: ContactId, who=Depends(current_user)):
    return {"ok": True, "contact": contact_svc.remove(request.app.state.pf, who, contact_id)}


@api.get("/deliveries", summary="发送记录：提醒的发送状态（可按状态、组织筛选，每页 20 条）")
def api_deliveries(request: Request,
                   state: str | None = Query(None, description="发送状态：pending 待发送、retrying 发送失败等待重试、"
                                                               "sent 已发送、retried 重试后已发送、dead 已停止重试"),
                   org: int | None = Query(None, description="组织编号（乡镇党委含其党支部）", **ID),
                   page_no: int = Query(1, alias="page", ge=1, le=100_000, description="页码"),
                   who=Depends(current_user)):
    return contact_svc.delivery_log(request.app.state.pf, who, (state or "").strip() or None, org, page_no)


@api.post("/deliveries/retry", summary="重新发送已停止重试的记录（乡镇党委组织委员、管理员）")
def api_deliveries_retry(request: Request, body: RetryIn, who=Depends(current_user)):
    ids = [i for i in body.ids if 0 < i < 2**31]
    return {"ok": True, "queued": contact_svc.retry(request.app.state.pf, who, ids)}


# -- ledger import ----------------------------------------------------------------------------------

class ConfirmIn(BaseModel):
    skip_bad_rows: bool = Field(default=False, description="跳过有误和需确认的行，只导入无误的行")


def importer(request: Request, who=Depends(current_user)):
    """A user who may import somewhere (the township officer, the administrator), else 403 —
    before the body is read, as on the page."""
    importing_orgs(request.app.state.pf, who)
    return who


@api.get("/imports", summary="导入台账：可导入的组织和导入记录（乡镇党委组织委员、管理员）")
def api_imports(request: Request, who=Depends(importer)):
    pf = request.app.state.pf
    return {"orgs": importing_orgs(pf, who), "imports": history(pf, who)}


@api.post("/imports", summary="上传台账文件（.xlsx 或 .csv），返回预览：将创建的行、有误和需确认的行",
          dependencies=[Depends(refuse_large_upload)])
async def api_import_upload(request: Request, org: int = Form(description="导入到哪个组织（乡镇党委编号）", **ID),
                            file: UploadFile = File(description="台账文件（.xlsx 或 .csv，20 MB 以内）"),
                            who=Depends(importer)):
    return await run_in_threadpool(_upload, request.app.state.pf, who, org, file)


def _upload(pf, who, org: int, file: UploadFile) -> dict[str, Any]:
    from openpyxl.utils.exceptions import IllegalCharacterError  # here: openpyxl is slow to import (web/warmup.py)

    chosen = import_org(pf, who, org)  # 403 / 404
    if not file.filename:
        raise refuse("import.file", "请选择台账文件（.xlsx 或 .csv）")
    try:
        up = store_upload(file.file, file.filename, user_id=who.user_id, org_id=chosen["id"])
    except UploadTooLarge as e:
        raise HTTPException(413, e.message) from None
    except IllegalCharacterError:  # a control character in a CSV cell (found by tests/web/test_api_fuzz.py)
        raise refuse("import.file.csv", "CSV 文件含有表格中不能使用的控制字符，请在 Excel/WPS 中另存为 .xlsx 后再上传") from None
    return _preview(pf, who, up.token)


def _preview(pf, who, token: str) -> dict[str, Any]:
    try:
        return preview_upload(pf, who, token)
    except DomainError:  # the file itself cannot be read as a ledger: one message, then gone
        discard(load_upload(token, who.user_id))
        raise


@api.get("/imports/preview/{token}", summary="导入预览：将创建的候选人、有误的行（行、列、原因）、需确认的行")
async def api_import_preview(request: Request, token: Token, who=Depends(importer)):
    return await run_in_threadpool(_preview, request.app.state.pf, who, token)


@api.post("/imports/preview/{token}/confirm", summary="确认导入（一次完成；有误的行须勾选跳过）")
async def api_import_confirm(request: Request, token: Token, body: ConfirmIn | None = None, who=Depends(importer)):
    skip = body.skip_bad_rows if body is not None else False
    res = await run_in_threadpool(confirm_upload, request.app.state.pf, who, token, skip_bad_rows=skip)
    return {"ok": True, "import_id": res["import_id"], "file": res["name"], "org": res["org"],
            "candidates": res["candidates"], "people": res["people"], "events": res["events"],
            "skipped": res["skipped"]}


@api.post("/imports/preview/{token}/discard", summary="取消这次导入（删除上传的文件）")
def api_import_discard(token: Token, who=Depends(importer)):
    discard(load_upload(token, who.user_id))
    return {"ok": True}


@api.get("/imports/{import_id}", summary="一次导入的记录")
def api_import(request: Request, import_id: ImportId, who=Depends(importer)):
    return import_item(request.app.state.pf, who, import_id)


@api.post("/imports/{import_id}/undo", summary="撤销一次导入（之后已有新记录的候选人不能撤销）")
def api_import_undo(request: Request, import_id: ImportId, who=Depends(importer)):
    res = undo_import(request.app.state.pf, who, import_id)
    return {"ok": True, "file": res["file"], "candidates": res["candidates"], "people": res["people"],
            "events": res["events"]}


# -- development plans ------------------------------------------------------------------------------

class TagIn(BaseModel):
    name: str = Field(description="类别名称，如 致富带头人")
    value: str = Field(description="计划人数（如 2），或占比（如 20%）")


class PlanIn(BaseModel):
    org_id: int = Field(description="组织编号（乡镇党委或党支部）")
    year: int = Field(description="计划年度，如 2026")
    admit: str = Field(description="计划发展党员数（0 或正整数）")
    shares: dict[str, str] = Field(default_factory=dict, description="占比目标（百分数，如 60）："
                                   + "、".join(f"{k} {v}" for k, v in SHARE_FIELDS.items()))
    tags: list[TagIn] = Field(default_factory=list, description="其他类别的计划人数", max_length=12)
    note: str = Field(default="", description="说明（200 字以内）")


@api.get("/plans", summary="发展计划：一个组织一年的计划与完成情况")
async def api_plan(request: Request, org: int | None = Query(None, description="组织编号；默认本人所在组织", **ID),
                   year: int | None = Query(None, description="计划年度；默认今年"), who=Depends(current_user)):
    return await run_in_threadpool(_plan, request.app.state.pf, who, org, year)


def _plan(pf, who, org: int | None, year: int | None) -> dict[str, Any]:
    chosen, _ = _choose_org(pf, who, None if org is None else str(org))
    return {**plan_view(pf, who, chosen["id"], pf.today().year if year is None else year), "orgs": plan_orgs(pf, who)}


@api.post("/plans", summary="设定发展计划（乡镇党委组织委员、管理员）")
async def api_plan_save(request: Request, body: PlanIn, who=Depends(current_user)):
    return await run_in_threadpool(_plan_save, request.app.state.pf, who, body)


def _plan_save(pf, who, body: PlanIn) -> dict[str, Any]:
    unknown = [k for k in body.shares if k not in SHARE_FIELDS]
    if unknown:
        raise refuse("plan.shares", "占比目标只能是：" + "、".join(SHARE_FIELDS.values()))
    org_id = body.org_id if 0 < body.org_id < 2**31 else 0
    plan, errors = save_plan(pf, who, org_id, body.year, body.admit, body.shares,
                             [(t.name, t.value) for t in body.tags], body.note)
    if errors:
        raise DomainError([Violation(f"plan.{field}", message) for field, message in errors.items()])
    return {"ok": True, "plan": plan}


# -- holiday schedule -------------------------------------------------------------------------------

class ScheduleIn(BaseModel):
    text: str = Field(description="一年的节假日安排（YAML 格式，见 docs/holidays-2027.example.yaml）")
    name: str = Field(default="", description="来源说明，如 国务院办公厅通知（可空，100 字以内）", max_length=100)


@api.get("/holidays", summary="已导入的节假日安排（各年度）")
def api_holidays(request: Request, who=Depends(current_user)):
    return {"years": loaded_years(request.app.state.pf)}


def admin_user(who=Depends(current_user)):
    """The administrator, else 403 (before the body is read, as on the page)."""
    if not who.is_admin:
        raise ForbiddenError(HOLIDAYS_ADMIN_ONLY)
    return who


@api.post("/holidays/preview", summary="预览节假日安排：放假、调休上班、变化的日子和受影响的期限（管理员）")
async def api_holidays_preview(request: Request, body: ScheduleIn, who=Depends(admin_user)):
    return await run_in_threadpool(preview_schedule, request.app.state.pf, body.text, body.name)


@api.post("/holidays/load", summary="导入节假日安排并重算暂定期限（管理员）")
async def api_holidays_load(request: Request, body: ScheduleIn, who=Depends(admin_user)):
    return {"ok": True, **await run_in_threadpool(load_schedule, request.app.state.pf, body.text, body.name)}
