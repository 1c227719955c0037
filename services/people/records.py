"""Use cases on people: add a person, correct their profile, 留党察看 / 恢复 — one transaction each,
audited with the user (or, from the CLI, the actor).

Who (web): the branch side for its branches, the township officer for the branches under the
township, the administrator everywhere; the county reads only. A person's branch: a member's own,
else that of their latest candidacy (PersonRepo.branch_of).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Iterable

from engine.errors import DomainError, Violation, refuse
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record_in
from services.organisation.directory import PARTY_STATUS_NAMES, resolve_branch, set_rights_suspended
from services.casework.user_commands import MAX_ID, ForbiddenError, NotFoundError
from storage.errors import ConcurrentModification
from storage.repositories.profiles import profile_of
from storage.tables import PARTY_STATUSES

from .profile import FIELD_LABELS, check_email, check_profile

EDITABLE = tuple(FIELD_LABELS)  # name, gender, birth_date, ethnicity, education, occupation, tags, phone
_LABELS = {**FIELD_LABELS, "party_status": "政治面貌", "branch_id": "所在党支部"}
_PROFILE_FIELDS = frozenset({"gender", "birth_date", "ethnicity", "education", "occupation", "tags"})


def can_write(who: Principal, branch_id: int | None) -> bool:
    """May this user add or change people of this branch (branch side, township side, admin)?"""
    if who.is_admin:
        return True
    if branch_id is None:
        return False
    return who.can_act(branch_id, "branch") or who.can_act(branch_id, "township")


def writable_branches(app: App, who: Principal) -> list[tuple[int, str]]:
    with app.uow(read_only=True) as uow:
        return [(o.id, o.name) for o in uow.orgs.list() if o.level == "branch" and can_write(who, o.id)]


def stamp(row: Any) -> str:
    """A short fingerprint of the editable fields as stored: a form carries it, and a save over a
    changed person is refused (someone else saved in between)."""
    values = {k: getattr(row, k) for k in (*EDITABLE, "party_status", "branch_id")}
    values["birth_date"] = values["birth_date"].isoformat()
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_person(app: App, who: Principal, person_id: int, *, write: bool = False):
    """(row, branch id) of a person the user may read (and with `write`, change)."""
    if not 0 < person_id <= MAX_ID:
        raise NotFoundError("找不到这个人员（地址有误，或已被删除）")
    with app.uow(read_only=True) as uow:
        row = uow.people.get(person_id)
        if row is None:
            raise NotFoundError("找不到这个人员（地址有误，或已被删除）")
        branch_id = uow.people.branch_of(row)
    if not who.is_admin and (branch_id is None or not who.can_read(branch_id)):
        raise ForbiddenError("只能查看本组织的党员和群众")
    if write and not can_write(who, branch_id):
        raise ForbiddenError("你的角色只能查看，不能修改人员信息" if branch_id is not None and who.can_read(branch_id)
                             else "只能修改本组织的党员和群众")
    return row, branch_id


class AlreadyAdded(DomainError):
    """The same person (name, gender, birth date) is already on the branch's roll: a form sent
    twice (Back and 保存 again) adds nobody. `person_id` is the existing record, for a link."""

    def __init__(self, message: str, person_id: int):
        super().__init__([Violation("person.duplicate", message)])
        self.person_id = person_id


def add_person(app: App, *, name: str, gender: str, birth_date: date | None, ethnicity: str | None = "汉族",
               education: str | None = None, occupation: str | None = None, tags: Iterable[str] = (),
               phone: str | None = None, email: str | None = None, party_status: str = "none",
               branch: str | int | None = None, who: Principal | None = None, actor: str | None = None) -> int:
    """Add a person (an applicant, or a member who can then be a mentor or sponsor); returns the id.

    Every field is checked first (one violation per bad field, codes `person.<field>`) and nothing is
    written if any is refused. From the web (`who`), the branch is required and must be one the user
    may change, and the same name, gender and birth date already in the branch is `AlreadyAdded`
    (a form sent twice); from the CLI (`actor`), an applicant may be added without one, as before."""
    problems: list[Violation] = []
    try:
        profile = check_profile(name=name, gender=gender, birth_date=birth_date, ethnicity=ethnicity,
                                education=education, occupation=occupation, tags=tags, phone=phone, today=app.today())
    except DomainError as e:
        problems += e.violations
        profile = None
    email, v = check_email(email)
    problems += [v] if v else []
    if party_status not in PARTY_STATUSES:
        problems.append(Violation("person.party_status", f"政治面貌“{party_status}”无效，应为 "
                                  + "、".join(f"{k}（{v}）" for k, v in PARTY_STATUS_NAMES.items())))
    if who is not None and branch in (None, ""):
        problems.append(Violation("person.branch", "请选择所在党支部"))
    elif party_status not in ("none", "") and branch in (None, ""):
        problems.append(Violation("person.branch", "党员须指定所在党支部（--branch）"))
    with app.uow() as uow:
        branch_row = None
        if branch not in (None, ""):
            try:
                branch_row = resolve_branch(uow, branch)
            except DomainError as e:
                problems += [Violation("person.branch", v.message) for v in e.violations]
        if who is not None and branch_row is not None and not can_write(who, branch_row.id):
            raise ForbiddenError("只能为本组织添加人员")
        if problems:
            raise DomainError(problems)
        if who is not None and branch_row is not None:  # the web and the API: one person once per branch
            same = next((p for p in uow.people.find_by_name(profile["name"]) if p.gender == profile["gender"]
                         and p.birth_date == profile["birth_date"] and p.branch_id == branch_row.id), None)
            if same is not None:
                raise AlreadyAdded(f"{same.name}（{same.gender}，{same.birth_date.isoformat()} 出生）已在{branch_row.name}"
                                   "的人员名单中，这次没有重复添加；请打开已有的记录查看或修改", same.id)
        pid = uow.people.add(**profile, email=email, party_status=party_status,
                             branch_id=branch_row.id if branch_row else None, created_at=app.now())
        detail = {"姓名": profile["name"], "政治面貌": PARTY_STATUS_NAMES[party_status]}
        if branch_row is not None:
            detail["党支部"] = branch_row.name
        record_in(uow, app, user_id=who.user_id if who else None, username=who.username if who else (actor or ""),
                  action="person.add", target_kind="person", target_id=pid, detail=detail)
        return pid


def _shown(uow, field: str, value: Any) -> str:
    if value in (None, "", []):
        return "（空）"
    if field == "tags":
        return "、".join(value)
    if field == "party_status":
        return PARTY_STATUS_NAMES.get(value, value)
    if field == "branch_id":
        org = uow.orgs.get(value)
        return org.name if org else "（空）"
    return value.isoformat() if isinstance(value, date) else str(value)


def status_editable(uow, person_id: int) -> bool:
    """政治面貌 and 所在党支部 of a person entered by hand may be corrected; for someone with an
    application they follow its steps (admission, conversion, transfer)."""
    return not uow.candidates.for_person(person_id)


def _membership(who: Principal, uow, row, party_status: str | None, branch_id: int | None) -> dict[str, Any]:
    """The changed 政治面貌 / 所在党支部 (checked), {} when neither changes."""
    status = row.party_status if party_status in (None, "") else party_status
    branch = row.branch_id if branch_id in (None, "") else int(branch_id)
    if (status, branch) == (row.party_status, row.branch_id):
        return {}
    if not status_editable(uow, row.id):
        raise refuse("person.party_status", f"{row.name}的政治面貌和所在党支部随其入党申请的办理而变化，不能在此修改")
    if status not in PARTY_STATUSES:
        raise refuse("person.party_status", "请选择政治面貌")
    org = uow.orgs.get(branch) if branch is not None else None
    if branch is not None and (org is None or org.level != "branch"):
        raise refuse("person.branch", "请选择所在党支部")
    if branch is None and status != "none":
        raise refuse("person.branch", "党员须指定所在党支部")
    if branch != row.branch_id and not can_write(who, branch):
        raise ForbiddenError("只能把人员转到本组织的党支部")
    return {k: v for k, v in (("party_status", status), ("branch_id", branch)) if getattr(row, k) != v}


def edit_person(app: App, who: Principal, person_id: int, *, expected: str, party_status: str | None = None,
                branch_id: int | None = None, **fields: Any) -> list[str]:
    """Correct a person's own fields (EDITABLE) and, for someone entered by hand (no application),
    their 政治面貌 and 所在党支部; returns the changes as “学历：高中 → 大专” lines (none: nothing
    written). The audit row holds each field's old → new value. `expected`: the form's `stamp` — a
    person changed since the form was read is refused (ConcurrentModification). The reports' copies
    of the profile follow (MilestoneRepo.set_person_copies)."""
    row, _ = load_person(app, who, person_id, write=True)
    profile = check_profile(**{k: fields.get(k) for k in EDITABLE}, today=app.today(), on_record=row)
    with app.uow() as uow:
        row = uow.people.get(person_id)
        if stamp(row) != expected:
            raise ConcurrentModification("人员信息已被他人修改，请刷新后重试")
        changed = {k: v for k, v in profile.items() if getattr(row, k) != v}
        changed.update(_membership(who, uow, row, party_status, branch_id))
        if not changed:
            return []
        uow.people.update_profile(person_id, **changed)
        if _PROFILE_FIELDS & set(changed):
            after = uow.people.get(person_id)
            uow.milestones.set_person_copies(person_id, uow.profiles.id_for(profile_of(after)), after.birth_date)
        shown = {_LABELS[k]: f"{_shown(uow, k, getattr(row, k))} → {_shown(uow, k, v)}" for k, v in changed.items()}
        record_in(uow, app, user_id=who.user_id, username=who.username, action="person.edit", target_kind="person",
                  target_id=person_id, detail={"姓名": row.name, **shown})
        lines = [f"{label}：{text}" for label, text in shown.items()]
    return lines


def set_rights(app: App, who: Principal, person_id: int, suspended: bool, *, reason: str) -> dict:
    """留党察看 / 恢复党员权利 from the web: the CLI's `person suspend` / `restore`, for a person the
    user may change."""
    load_person(app, who, person_id, write=True)
    if len((reason or "").strip()) > 200:
        raise refuse("reason.long", "依据不能超过 200 字")
    return set_rights_suspended(app, person_id, suspended, reason=reason, actor=who.username, user_id=who.user_id)
