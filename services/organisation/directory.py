"""Use cases on the directory: organisations, people, holiday schedules, township variants.

These are the facts the workflow rules read (who is a full member, which branch belongs to which
township, which days are working days); each function is one unit of work and refuses bad input
with a Chinese `DomainError`, so every entrypoint reports it the same way.
"""
from __future__ import annotations

from datetime import date
from os import PathLike
from typing import Iterable

from engine.calendar import ScheduleFileError, load_year_schedule
from engine.errors import refuse
from engine.input_policy import name_problem, text_problem
from services.app import App
from services.integrity.audit_log import record_in
from storage.repositories import OrgRow
from storage.tables import GENDERS, ORG_KINDS, ORG_LEVELS, PARTY_STATUSES
from storage.unit_of_work import UnitOfWork

LEVEL_NAMES = {"county": "县级党委", "township": "乡镇党委", "branch": "党支部"}
KIND_NAMES = {
    "rural": "农村", "organ": "机关", "enterprise": "企业", "school": "学校", "community": "社区", "other": "其他",
}
PARTY_STATUS_NAMES = {"none": "群众", "probationary": "预备党员", "full_member": "正式党员"}
# The only parent level each level may hang under (None = top of the tree). A branch must sit
# under a township: the township committee is the one that approves (细则第二十六条).
_PARENT_LEVEL = {"county": None, "township": "county", "branch": "township"}


def resolve_org(uow: UnitOfWork, ref: str | int) -> OrgRow:
    """An organisation by code or numeric id (codes win: a code may itself be digits)."""
    text = str(ref).strip()
    org = uow.orgs.by_code(text)
    if org is None and text.isdecimal():
        org = uow.orgs.get(int(text))
    if org is None:
        raise refuse("org.unknown", f"找不到组织“{text}”（请填写组织代码或编号）")
    return org


def resolve_branch(uow: UnitOfWork, ref: str | int) -> OrgRow:
    """Like `resolve_org`, but only a 党支部 will do (candidates and members belong to branches)."""
    org = resolve_org(uow, ref)
    if org.level != "branch":
        raise refuse("org.branch", f"“{org.name}”（{org.code}）是{LEVEL_NAMES.get(org.level, org.level)}，不是党支部")
    return org


def _check_variant(app: App, variant_id: str) -> str:
    """A township variant must exist and be marked local; a national id here would be a mistake."""
    try:
        defn = app.registry.get(variant_id)
    except LookupError:
        locals_ = [d.id for d in app.registry.definitions() if d.local]
        raise refuse(
            "variant.unknown", f"找不到乡镇变体“{variant_id}”（可用：{'、'.join(sorted(set(locals_))) or '无'}）"
        ) from None
    if not defn.local:
        raise refuse("variant.national", f"“{variant_id}”是全国通用流程，不是乡镇变体（local: true）")
    return defn.id


def add_org(
    app: App,
    code: str,
    name: str,
    level: str,
    kind: str | None = None,
    parent_code: str | None = None,
    workflow_variant: str | None = None,
) -> int:
    """Add a county, township or branch under its parent; returns the new id."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise refuse("org.code", "组织代码不能为空")
    if not name:
        raise refuse("org.name", "组织名称不能为空")
    if level not in ORG_LEVELS:
        raise refuse("org.level", f"组织层级“{level}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in LEVEL_NAMES.items())}")
    if kind is not None and kind not in ORG_KINDS:
        raise refuse("org.kind", f"组织类别“{kind}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in KIND_NAMES.items())}")
    variant = _check_variant(app, workflow_variant) if workflow_variant else None
    with app.uow() as uow:
        if uow.orgs.by_code(code) is not None:
            raise refuse("org.duplicate", f"组织代码“{code}”已存在")
        parent_id = None
        want = _PARENT_LEVEL[level]
        if parent_code:
            parent = resolve_org(uow, parent_code)
            if want is None:
                raise refuse("org.parent", f"{LEVEL_NAMES[level]}是最上一级，不能设上级组织")
            if parent.level != want:
                raise refuse(
                    "org.parent",
                    f"{LEVEL_NAMES[level]}的上级应为{LEVEL_NAMES[want]}，“{parent.name}”是{LEVEL_NAMES.get(parent.level, parent.level)}"
                    + ("（党支部须隶属乡镇党委，由其审批发展党员，细则第二十六条）" if level == "branch" else ""),
                    "第二十六条" if level == "branch" else "",
                )
            parent_id = parent.id
        elif level == "branch":
            raise refuse("org.parent", "党支部须指定所属乡镇党委（--parent），由其审批发展党员（细则第二十六条）", "第二十六条")
        return uow.orgs.add(code, name, level, kind, parent_id, variant, now=app.now())


def add_person(
    app: App,
    name: str,
    gender: str,
    birth_date: date,
    ethnicity: str = "汉族",
    education: str | None = None,
    occupation: str | None = None,
    tags: Iterable[str] = (),
    phone: str | None = None,
    email: str | None = None,
    party_status: str = "none",
    branch_code: str | None = None,
) -> int:
    """Add a person (an applicant, or a member who can be a mentor or sponsor); returns the id."""
    name = (name or "").strip()
    if not name:
        raise refuse("person.name", "姓名不能为空")
    problem = name_problem(name)  # the one name rule of the web, the API and the import (engine/input_policy)
    if problem:
        raise refuse("person.name", problem)
    if gender not in GENDERS:
        raise refuse("person.gender", f"性别“{gender}”无效，应为 男 或 女")
    if party_status not in PARTY_STATUSES:
        raise refuse(
            "person.party_status",
            f"政治面貌“{party_status}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in PARTY_STATUS_NAMES.items())}",
        )
    if birth_date > app.today():
        raise refuse("person.birth_date", f"出生日期 {birth_date} 晚于今天")
    tags = [t.strip() for t in tags if t and t.strip()]
    with app.uow() as uow:
        branch_id = resolve_branch(uow, branch_code).id if branch_code else None
        if party_status != "none" and branch_id is None:
            raise refuse("person.branch", "党员须指定所在党支部（--branch）")
        return uow.people.add(
            name=name, gender=gender, birth_date=birth_date, ethnicity=(ethnicity or "汉族").strip(),
            education=education, occupation=occupation, tags=tags, phone=phone, email=email,
            party_status=party_status, branch_id=branch_id, created_at=app.now(),
        )


def set_rights_suspended(app: App, person_id: int, suspended: bool, *, reason: str, actor: str,
                         user_id: int | None = None) -> dict:
    """Record that a party member is under 留党察看 or has their rights suspended, or that this was
    lifted (第九条、第十四条: such a member cannot be a mentor or a sponsor). Audited with reason and
    actor; the candidate logs are not touched (steps already recorded stay as they happened)."""
    if not (reason or "").strip():
        raise refuse("reason.missing", "须记录处分或恢复党员权利的依据")
    problem = text_problem(reason.strip(), label="依据", limit=200)
    if problem:
        raise refuse("reason.invalid", problem)
    with app.uow() as uow:
        person = uow.people.get(person_id)
        if person is None:
            raise refuse("person.unknown", f"找不到人员 {person_id}")
        if person.party_status == "none":
            raise refuse("person.not_member", f"{person.name}不是党员，没有可停止的党员权利")
        if bool(person.rights_suspended) == suspended:
            state = "已处于留党察看或党员权利停止状态" if suspended else "党员权利未被停止"
            raise refuse("person.unchanged", f"{person.name}{state}，无需变更")
        uow.people.set_rights_suspended(person_id, suspended)
        record_in(uow, app, user_id=user_id, username=actor, action="person.rights_suspended" if suspended
                  else "person.rights_restored", target_kind="person", target_id=person_id, detail={"reason": reason.strip()})
    return {"ok": True, "id": person_id, "name": person.name, "rights_suspended": suspended}


def load_holidays(app: App, path: str | PathLike[str]) -> dict:
    """Store one year's official schedule (replacing that year's) and drop the cached calendar.

    Returns {year, holidays, workdays, source} — the counts of days loaded.
    """
    try:
        schedule = load_year_schedule(path)
    except ScheduleFileError as e:
        raise refuse("holidays.file", str(e)) from None
    body = {
        "holidays": sorted(d.isoformat() for d in schedule.holidays),
        "workdays": sorted(d.isoformat() for d in schedule.workdays),
        "source": schedule.source,
    }
    try:
        with app.uow() as uow:
            uow.holidays.put(schedule.year, body, app.now())
            recomputed = _recompute_provisional(app, uow)
    finally:
        app.forget_calendar()  # never keep a calendar read inside a transaction that may have failed
    return {"year": schedule.year, "holidays": len(body["holidays"]), "workdays": len(body["workdays"]),
            "source": schedule.source, "recomputed": recomputed}


def _recompute_provisional(app: App, uow: UnitOfWork) -> int:
    """Deadlines counted on a provisional calendar follow the newly loaded year (in the same
    transaction as the load, so `verify` never sees them disagree). Returns the candidates updated."""
    from engine import CandidateState, deadlines, process_for

    cal = app.calendar_for(uow)
    changed = 0
    for cid in uow.deadlines.provisional_candidates():
        uow.candidates.take_for_projection(cid)  # a step racing this load retries on the new calendar
        row = uow.candidates.get(cid)
        state = CandidateState.from_dict(row.state)
        rows = deadlines(process_for(app.definition(state.definition_key)), state, cal)
        diff = uow.deadlines.replace(cid, state.branch_id, rows)
        changed += bool(diff.inserted or diff.updated or diff.deleted)
    return changed


def set_variant(app: App, org_code: str, variant_id: str | None) -> None:
    """A township (or county) opts into a local variant, or back to the national default (None).

    Only future applications follow it: candidates stay pinned to the version they started on.
    """
    variant = _check_variant(app, variant_id) if variant_id else None
    with app.uow() as uow:
        org = resolve_org(uow, org_code)
        if org.level == "branch":
            raise refuse("org.level", "乡镇变体由乡镇党委或县级党委选择，党支部不能单独设置")
        uow.orgs.set_workflow_variant(org.id, variant)


def set_material_list(app: App, org_code: str, list_id: str | None) -> None:
    """A township (or county) chooses a material-list override (workflows/materials/local), or the
    national lists again (None). It applies to every candidate of its branches at once: a material
    list is an overlay on the pinned rules, not part of them (docs/materials.md)."""
    from workflows.materials import available_overrides

    lists = available_overrides()
    if list_id and list_id not in lists:
        raise refuse("material_list.unknown",
                     f"找不到材料清单“{list_id}”（可用：{'、'.join(lists.values()) or '无'}）")
    with app.uow() as uow:
        org = resolve_org(uow, org_code)
        if org.level == "branch":
            raise refuse("org.level", "材料清单由乡镇党委或县级党委选择，党支部不能单独设置")
        uow.orgs.set_material_list(org.id, list_id or None)
    from services.materials.catalogue import forget_overrides

    forget_overrides(app)


# -- reminder contacts and the dead letters --------------------------------------------------

ROLE_NAMES = {"branch_secretary": "党支部书记", "township_officer": "乡镇党委组织委员"}
_ROLE_LEVEL = {"branch_secretary": "branch", "township_officer": "township"}


def add_contact(app: App, org_code: str, role: str, name: str, email: str | None = None,
                webhook: str | None = None) -> dict:
    """Register who receives an organisation's notices; returns {id, org_code, org_name, role, name}.

    A branch secretary belongs to a 党支部 and a township officer to a 乡镇党委; the name must be
    given; an email must look like an address and a webhook must be an http(s) URL (a typo here
    would only show up as a dead letter weeks later). Without either, notices go to the console.
    """
    name = (name or "").strip()
    email = (email or "").strip() or None
    webhook = (webhook or "").strip() or None
    if role not in ROLE_NAMES:
        raise refuse("contact.role", f"角色“{role}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in ROLE_NAMES.items())}")
    if not name:
        raise refuse("contact.name", "提醒接收人姓名不能为空")
    if email is not None and not _plausible_email(email):
        raise refuse("contact.email", f"电子邮箱“{email}”格式不对（应形如 name@example.com）")
    if webhook is not None and not _http_url(webhook):
        raise refuse("contact.webhook", f"Webhook 地址“{webhook}”无效，应以 http:// 或 https:// 开头")
    if webhook is not None:
        from services.contacts.manage import check_webhook_host  # the web form's rule (SSRF)

        check_webhook_host(webhook)
    with app.uow() as uow:
        org = resolve_org(uow, org_code)
        want = _ROLE_LEVEL[role]
        if org.level != want:
            raise refuse("contact.org", f"{ROLE_NAMES[role]}应登记在{LEVEL_NAMES[want]}，“{org.name}”是"
                                        f"{LEVEL_NAMES.get(org.level, org.level)}")
        cid = uow.contacts.add(org.id, role, name, email=email, webhook_url=webhook)
    return {"id": cid, "org_code": org.code, "org_name": org.name, "role": role, "name": name}


def _plausible_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and domain and not any(c.isspace() for c in text))


def _http_url(text: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in text)


def list_contacts(app: App) -> list[dict]:
    """Every contact with its organisation, oldest first."""
    with app.uow(read_only=True) as uow:
        orgs = {o.id: o for o in uow.orgs.list()}
        return [{"id": c.id, "org": orgs[c.org_id].code, "org_name": orgs[c.org_id].name, "role": c.role,
                 "name": c.name, "email": c.email, "webhook": c.webhook_url, "active": c.active}
                for c in uow.contacts.list()]


def retry_dead(app: App, ids: Iterable[int] | None) -> int:
    """Put dead letters back in the queue (all of them with `ids=None`); returns how many."""
    with app.uow() as uow:
        return uow.outbox.retry(None if ids is None else list(ids), app.utcnow())
