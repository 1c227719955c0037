"""Administration (role admin only): organisations, users and roles, process definition versions
(view; check an upload line by line, then install it), and the audit log (read only).

Every write goes through the same service the CLI uses (services/organisation/directory.py, services/accounts/users.py)
and leaves an audit row naming the administrator. A refused form comes back with status 400 and
the message next to its field.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from services.app import SHANGHAI, naive_utc
from services.integrity.audit_log import entries, record
from services.organisation.definitions import MAX_UPLOAD, check_upload, describe, install_upload, list_versions
from services.organisation.directory import KIND_NAMES, LEVEL_NAMES, add_org, set_material_list
from services.casework.migration import FIELDS as MIGRATION_FIELDS, migrate_all
from services.casework.user_commands import ForbiddenError, NotFoundError
from services.accounts.sessions import end_everywhere, live_counts
from services.accounts.users import ROLE_LEVEL, ROLE_NAMES, change_role, create_user, list_users, set_active
from web import audit_words
from workflows.materials import available_overrides
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(prefix="/admin", dependencies=[Depends(check_csrf)], include_in_schema=False)

# which form field a refused rule belongs next to
_ORG_FIELDS = {"org.code": "code", "org.duplicate": "code", "org.name": "name", "org.level": "level",
               "org.kind": "kind", "org.parent": "parent", "org.unknown": "parent", "variant.unknown": "variant",
               "variant.national": "variant", "material_list.unknown": "material_list"}
_USER_FIELDS = {"user.username": "username", "user.exists": "username", "user.name": "display_name",
                "user.password": "password", "user.role": "role", "user.role_org": "org", "org.unknown": "org"}


def admin_user(who=Depends(current_user)):
    if not who.is_admin:
        raise ForbiddenError("仅系统管理员可以使用管理页面")
    return who


def _errors(e: DomainError, fields: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in e.violations:
        key = fields.get(v.code, "_form")
        out[key] = f"{out[key]}；{v.message}" if key in out else v.message
    return out


@router.get("")
def index(request: Request, who=Depends(admin_user)):
    return RedirectResponse("/admin/orgs", status_code=303)


# ------------------------------------------------------------------ organisations

def _org_tree(pf) -> list[dict]:
    """Depth-first rows {id, code, name, level, level_name, kind_name, depth, variant, material_list}."""
    with pf.uow(read_only=True) as uow:
        orgs = uow.orgs.list()
        lists = uow.orgs.material_lists(o.id for o in orgs)
    children: dict[int | None, list] = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    ids = {o.id for o in orgs}
    rows: list[dict] = []

    def walk(parent, depth):
        for o in sorted(children.get(parent, []), key=lambda o: o.code):
            rows.append({"id": o.id, "code": o.code, "name": o.name, "level": o.level,
                         "level_name": LEVEL_NAMES.get(o.level, o.level), "kind_name": KIND_NAMES.get(o.kind or "", ""),
                         "depth": depth, "variant": o.workflow_variant or "", "material_list": lists.get(o.id, "")})
            walk(o.id, depth + 1)

    walk(None, 0)
    for o in orgs:  # a parent that no longer exists (should not happen): still listed
        if o.parent_id is not None and o.parent_id not in ids:
            walk(o.parent_id, 0)
    return rows


def _orgs_page(request, who, *, form=None, errors=None, status_code=200):
    pf = request.app.state.pf
    rows = _org_tree(pf)
    parents = [r for r in rows if r["level"] in ("county", "township")]
    return page(request, "admin_orgs.html", {
        "title": "组织管理", "section": "orgs", "rows": rows, "parents": parents, "levels": LEVEL_NAMES,
        "kinds": KIND_NAMES, "variants": {d.id: d.title for d in pf.registry.definitions() if d.local},
        "material_lists": available_overrides(),
        "form": form or {"level": "branch", "kind": "rural"}, "errors": errors or {}}, status_code=status_code, who=who)


@router.get("/orgs")
def orgs(request: Request, who=Depends(admin_user)):
    return _orgs_page(request, who)


@router.post("/orgs")
def org_add(request: Request, code: str = Form(""), name: str = Form(""), level: str = Form(""),
            kind: str = Form(""), parent: str = Form(""), variant: str = Form(""), material_list: str = Form(""),
            who=Depends(admin_user)):
    pf = request.app.state.pf
    form = {"code": code, "name": name, "level": level, "kind": kind, "parent": parent, "variant": variant,
            "material_list": material_list}
    if material_list and (material_list not in available_overrides() or level == "branch"):
        message = ("材料清单由乡镇党委或县级党委选择，党支部不能单独设置" if level == "branch"
                   else "请从列表中选择材料清单")
        return _orgs_page(request, who, form=form, errors={"material_list": message}, status_code=400)
    try:
        org_id = add_org(pf, code, name, level, kind or None, parent or None, variant or None)
        if material_list:
            set_material_list(pf, code.strip(), material_list)
    except DomainError as e:
        return _orgs_page(request, who, form=form, errors=_errors(e, _ORG_FIELDS), status_code=400)
    record(pf, user_id=who.user_id, username=who.username, action="org.create", target_kind="organisation",
           target_id=org_id, detail={"code": code.strip(), "name": name.strip(), "level": level, "kind": kind or None,
                                     "parent": parent or None, "variant": variant or None,
                                     "material_list": material_list or None})
    flash(request, f"已添加{LEVEL_NAMES.get(level, level)}：{name.strip()}（{code.strip()}）")
    return RedirectResponse("/admin/orgs", status_code=303)


@router.post("/orgs/{org_id:int}/material-list")
def org_material_list(request: Request, org_id: int, material_list: str = Form(""), who=Depends(admin_user)):
    """A township's (or county's) material-list override, or the national lists again (empty)."""
    pf = request.app.state.pf
    with pf.uow(read_only=True) as uow:
        org = uow.orgs.get(org_id) if org_id < 2**31 else None
    if org is None:
        raise NotFoundError("找不到这个组织")
    try:
        set_material_list(pf, org.code, material_list or None)
    except DomainError as e:
        return _orgs_page(request, who, errors={"_form": "；".join(v.message for v in e.violations)}, status_code=400)
    record(pf, user_id=who.user_id, username=who.username, action="org.material_list", target_kind="organisation",
           target_id=org.id, detail={"code": org.code, "material_list": material_list or None})
    title = available_overrides().get(material_list, "全国材料清单") if material_list else "全国材料清单"
    flash(request, f"{org.name}的材料清单：{title}")
    return RedirectResponse("/admin/orgs", status_code=303)


# ------------------------------------------------------------------ users and roles

def _users_page(request, who, *, form=None, errors=None, status_code=200):
    pf = request.app.state.pf
    rows = _org_tree(pf)
    return page(request, "admin_users.html", {
        "title": "用户与角色", "section": "users", "users": list_users(pf), "roles": ROLE_NAMES,
        "role_level": ROLE_LEVEL, "orgs": rows, "form": form or {}, "errors": errors or {},
        "live_sessions": live_counts(pf, request.app.state.session_policy)},
        status_code=status_code, who=who)


@router.get("/users")
def users(request: Request, who=Depends(admin_user)):
    return _users_page(request, who)


@router.post("/users")
def user_add(request: Request, username: str = Form(""), display_name: str = Form(""), password: str = Form(""),
             role: str = Form(""), org: str = Form(""), who=Depends(admin_user)):
    pf = request.app.state.pf
    form = {"username": username, "display_name": display_name, "role": role, "org": org}  # never echo a password
    try:
        create_user(pf, username, display_name, password, [(role, org or None)] if role else [],
                    by=who.username, by_id=who.user_id)
    except DomainError as e:
        return _users_page(request, who, form=form, errors=_errors(e, _USER_FIELDS), status_code=400)
    flash(request, f"已添加用户：{display_name.strip()}（{username.strip()}）")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/active")
def user_active(request: Request, username: str, active: str = Form("0"), who=Depends(admin_user)):
    try:
        set_active(request.app.state.pf, username, active == "1", by=who.username, by_id=who.user_id)
    except DomainError as e:
        if any(v.code == "user.unknown" for v in e.violations):
            raise NotFoundError(e.violations[0].message) from None
        flash(request, e.violations[0].message, "error")
    else:
        flash(request, f"已{'启用' if active == '1' else '停用'}用户 {username}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/sessions/end")
def user_sessions_end(request: Request, username: str, who=Depends(admin_user)):
    """退出所有设备 for a user (a lost phone, a colleague who left): every session ends now."""
    pf = request.app.state.pf
    with pf.uow(read_only=True) as uow:
        user = uow.users.by_username(username)
    if user is None:
        raise NotFoundError(f"找不到用户“{username}”")
    n = end_everywhere(pf, user.id, by=who.username, by_id=who.user_id)
    flash(request, f"已让用户 {username} 退出所有设备（{n} 处登录）")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/roles")
def user_role(request: Request, username: str, action: str = Form("add"), role: str = Form(""),
              org: str = Form(""), who=Depends(admin_user)):
    try:
        change_role(request.app.state.pf, username, role, org or None, add=action != "remove",
                    by=who.username, by_id=who.user_id)
    except DomainError as e:
        if any(v.code == "user.unknown" for v in e.violations):
            raise NotFoundError(e.violations[0].message) from None
        flash(request, f"{username}：{e.violations[0].message}", "error")
    else:
        flash(request, f"已{'移除' if action == 'remove' else '添加'}角色：{username} {ROLE_NAMES.get(role, role)}")
    return RedirectResponse("/admin/users", status_code=303)


# ------------------------------------------------------------------ process definitions

@router.get("/definitions")
def definitions(request: Request, who=Depends(admin_user)):
    return page(request, "admin_definitions.html", {
        "title": "流程定义版本", "section": "definitions", "versions": list_versions(request.app.state.pf),
        "result": None, "max_kb": MAX_UPLOAD // 1024}, who=who)


@router.post("/definitions/check")
async def definition_check(request: Request, file: UploadFile | None = File(None), text: str = Form(""),
                           who=Depends(admin_user)):
    pf = request.app.state.pf
    if file is not None and file.filename:
        data = await file.read(MAX_UPLOAD + 1)
        name = file.filename
    else:
        data, name = text.encode("utf-8"), "粘贴的文本.yaml"
    result = await run_in_threadpool(check_upload, pf, name, data)
    versions = await run_in_threadpool(list_versions, pf)
    return page(request, "admin_definitions.html", {
        "title": "流程定义版本", "section": "definitions", "versions": versions, "result": result,
        "max_kb": MAX_UPLOAD // 1024}, status_code=200 if result["ok"] else 400, who=who)


@router.post("/definitions/install")
async def definition_install(request: Request, text: str = Form(""), name: str = Form(""), sha256: str = Form(""),
                             who=Depends(admin_user)):
    """Install the text the check page sent back (checked again here; `sha256` is what was shown)."""
    pf = request.app.state.pf
    result = await run_in_threadpool(
        lambda: install_upload(pf, name, text.encode("utf-8"), expected_sha256=sha256.strip() or None,
                               user_id=who.user_id, username=who.username))
    if not result["ok"]:
        versions = await run_in_threadpool(list_versions, pf)
        return page(request, "admin_definitions.html", {
            "title": "流程定义版本", "section": "definitions", "versions": versions, "result": result,
            "max_kb": MAX_UPLOAD // 1024}, status_code=400, who=who)
    flash(request, result["note"])
    key = result["definition"]["key"]
    return RedirectResponse(f"/admin/definitions/{key}" if result["installed"] else "/admin/definitions",
                            status_code=303)


@router.post("/definitions/migrate")
async def definition_migrate(request: Request, from_key: str = Form(""), to_key: str = Form(""),
                             occurred_on: str = Form(""), reason: str = Form(""), confirm: str = Form(""),
                             who=Depends(admin_user)):
    """Move every candidate on one version to another: first what it would do (a preview that
    writes nothing), then, confirmed, one audited migrate event per candidate (services/casework/migration)."""
    pf = request.app.state.pf
    errors: dict[str, str] = {}
    keys = pf.registry.keys()
    if from_key not in keys:
        errors["from_key"] = "请选择原流程版本"
    if to_key not in keys:
        errors["to_key"] = "请选择目标流程版本"
    elif to_key == from_key:
        errors["to_key"] = "目标版本与原版本相同"
    day = _day(occurred_on, "occurred_on", errors) if occurred_on.strip() else None
    if day is None and "occurred_on" not in errors:
        errors["occurred_on"] = "请填写迁移日期（乡镇党委决定的日期）"
    if not reason.strip():
        errors["reason"] = "请写明乡镇党委的决定或原因"
    report = None
    if not errors:
        try:
            report = await run_in_threadpool(lambda: migrate_all(
                pf, from_key, to_key, occurred_on=day, actor=who.actor, reason=reason.strip(), preview=not confirm))
        except DomainError as e:  # each up-front refusal next to its field (services/casework/migration.FIELDS)
            for v in e.violations:
                field = MIGRATION_FIELDS.get(v.code, "_")
                errors[field] = "；".join(x for x in (errors.get(field), v.message) if x)
    if report is not None and confirm:
        record(pf, user_id=who.user_id, username=who.username, action="definition.migrate",
               target_kind="definition", target_id=None,
               detail={"from": from_key, "to": to_key, "occurred_on": day, "reason": reason.strip(),
                       "moved": len(report.moved), "pending": len(report.pending), "skipped": len(report.skipped)})
        flash(request, f"已迁移 {len(report.moved)} 名候选人到{pf.definition(to_key).title}"
                       + (f"；其中 {len(report.pending)} 名有待上级党委审批的决议" if report.pending else ""))
        return RedirectResponse("/admin/definitions", status_code=303)
    versions = await run_in_threadpool(list_versions, pf)
    return page(request, "admin_definitions.html", {
        "title": "流程定义版本", "section": "definitions", "versions": versions, "result": None,
        "max_kb": MAX_UPLOAD // 1024, "migration": report.as_dict() if report else None, "errors": errors,
        "typed": {"from_key": from_key, "to_key": to_key, "occurred_on": occurred_on, "reason": reason}},
        status_code=200 if report is not None else 400, who=who)


@router.get("/definitions/{key}")
def definition(request: Request, key: str, who=Depends(admin_user)):
    pf = request.app.state.pf
    if key not in pf.registry:
        raise NotFoundError("找不到这个流程定义（链接有误，或尚未安装）")
    d = describe(pf.registry.get(key))
    return page(request, "admin_definition.html", {"title": f"流程定义 {key}", "section": "definitions", "d": d},
                who=who)


# ------------------------------------------------------------------ audit log

def _day(text: str, what: str, errors: dict) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[what] = f"日期“{text}”格式应为 2026-11-20"
        return None


@router.get("/audit")
def audit(request: Request, user: str = "", since: str = "", until: str = "", who=Depends(admin_user)):
    pf = request.app.state.pf
    errors: dict[str, str] = {}
    start, end = _day(since, "since", errors), _day(until, "until", errors)
    if start and end and end < start:
        errors["until"] = "结束日期早于开始日期"
    rows: list[dict] = []
    limit = 500
    if not errors:
        # dates are Asia/Shanghai calendar days; the log stores naive UTC
        lo = naive_utc(datetime.combine(start, time(), SHANGHAI)) if start else None
        hi = naive_utc(datetime.combine(end + timedelta(days=1), time(), SHANGHAI)) if end else None
        rows = entries(pf, username=user.strip() or None, since=lo, before=hi, limit=limit)
        step_of, org_name = _namers(pf)
        for r in rows:
            r["local"] = _local(datetime.fromisoformat(r["at"]))
            r["words"] = audit_words.describe(r, step_of, org_name)
    return page(request, "admin_audit.html", {
        "title": "审计日志", "section": "audit", "rows": rows, "limit": limit, "errors": errors,
        "filters": {"user": user, "since": since, "until": until}}, status_code=400 if errors else 200, who=who)


def _namers(pf):
    """Step specs by id (the current national process: step ids are the same in every version)
    and organisation names by id, for the audit page's words."""
    steps = {s.id: s for s in pf.registry.for_date(pf.today()).steps}
    with pf.uow(read_only=True) as uow:
        orgs = {o.id: o.name for o in uow.orgs.list()}

    def org_name(oid) -> str:
        try:
            return orgs.get(int(oid), "（已删除的组织）")
        except (TypeError, ValueError):
            return str(oid)

    return steps.get, org_name


def _local(at: datetime) -> str:
    """A stored naive-UTC time as Beijing time."""
    return at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
