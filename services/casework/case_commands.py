"""The exceptional paths a logged-in user records (web pages): withdraw, disqualify, transfer, …

The same use case the CLI calls (`services.casework.candidates.exceptional`), after the access check, then
the audit row with the user. Every exceptional path is the branch's business (the branch records
a withdrawal, its committee's decision to disqualify, a transfer of the organisational relation,
a death); the township and the county read them. An administrator may record them everywhere.

Errors: `NotFoundError` (no such candidate or action → 404), `ForbiddenError` (→ 403); the
engine's refusals (wrong stage, missing reason, same branch) stay `DomainError`.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.errors import DomainError, Violation
from engine.process import ACTION_NAMES, process_for
from services.casework import candidates
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record
from services.casework.results import CommandResult
from services.casework.user_commands import ForbiddenError, NotFoundError, load_for

# The actions offered on a candidate's page, in this order (the CLI's commands; "reject" is not one:
# 未通过 is recorded by the vote or the approval step's outcome). {action: (title, reason label, hint)}
ACTIONS: dict[str, tuple[str, str, str]] = {
    "withdraw": ("撤回入党申请", "撤回原因", "本人书面申请撤回或表示放弃；记录原因，如“本人书面申请撤回”。"),
    "not_selected": ("结束申请", "原因", "长期未被确定为入党积极分子，按规定结束其入党申请。"),
    "disqualify": ("取消资格", "原因及依据", "取消入党积极分子或发展对象资格，须写明支部委员会的决定。"),
    "reconsider": ("重新列为发展对象", "说明（可不填）", "将未通过的人员重新列为发展对象，重新履行发展程序。"),
    "cancel_probation": ("取消预备党员资格", "原因及依据", "预备期内不履行党员义务、不具备党员条件的，取消预备党员资格；写明支部大会的决定。"),
    "transfer": ("转接组织关系", "转接原因", "转到本系统内另一党支部；培养考察时间连续计算（细则第十二条）。"),
    "transfer_out": ("转出本系统", "转往何处", "组织关系转到本系统以外（如外出务工地的党组织）。"),
    "death": ("登记去世", "说明", "登记去世，流程结束。"),
}


def _side(defn, action: str) -> str:
    """Who records the action: the branch, except a cancellation under rules where it needs the
    higher committee's approval (党章第七条; cpc_2014@2): the committee records it as approved."""
    return "township" if action == "cancel_probation" and process_for(defn).resolution_for else "branch"


def _check(app: App, who: Principal, candidate_id: int, action: str):
    if action not in ACTIONS:
        raise NotFoundError("没有这种特殊情形（链接有误）")  # the web and API: a forged address, not echoed
    row, state, defn = load_for(app, who, candidate_id)
    if not who.can_act(state.branch_id or row.branch_id, _side(defn, action)):
        if _side(defn, action) == "township":
            raise ForbiddenError("取消预备党员资格须经上级党委批准（党章第七条），由上级党委登记，你的角色不能办理")
        raise ForbiddenError("特殊情形（撤回、取消资格、转接等）由党支部办理，你的角色不能办理")
    return row, state, defn


def allowed_actions(app: App, who: Principal, candidate_id: int) -> list[dict[str, str]]:
    """The exceptional paths the user may record for the candidate in its current stage:
    [{action, title, name}] (empty for a read-only role or an ended candidacy)."""
    row, state, defn = load_for(app, who, candidate_id)
    proc = process_for(defn)
    branch = state.branch_id or row.branch_id
    return [{"action": a, "title": t, "name": ACTION_NAMES.get(a, a)}
            for a, (t, _label, _hint) in ACTIONS.items() if proc.can(a, state.stage) and who.can_act(branch, _side(defn, a))]


def action_form(app: App, who: Principal, candidate_id: int, action: str) -> dict[str, Any]:
    """What the form of one action shows: {row, state, defn, action, title, name, reason_label,
    hint, branches: [(id, name)] for a transfer (every other 党支部)}."""
    row, state, defn = _check(app, who, candidate_id, action)
    title, label, hint = ACTIONS[action]
    if _side(defn, action) == "township":
        hint = ("取消预备党员资格须经支部大会讨论通过和上级党委批准（党章第七条）。由上级党委登记：日期填写批准的日期，"
                "原因中写明支部大会讨论的日期和决定、批复文号。")
    branches: list[tuple[int, str]] = []
    if action == "transfer":
        current = state.branch_id or row.branch_id
        with app.uow(read_only=True) as uow:
            branches = [(o.id, o.name) for o in uow.orgs.list() if o.level == "branch" and o.id != current]
    return {"row": row, "state": state, "defn": defn, "action": action, "title": title,
            "name": ACTION_NAMES.get(action, action), "reason_label": label, "hint": hint, "branches": branches}


def record_exceptional(app: App, who: Principal, candidate_id: int, action: str, *, occurred_on: date,
                       reason: str, to_branch_id: int | None = None,
                       expected_version: int | None = None) -> CommandResult:
    """Record the exceptional path as this user (the event's actor is the user), then audit it."""
    _check(app, who, candidate_id, action)
    result = candidates.exceptional(app, candidate_id, action, occurred_on=occurred_on, actor=who.actor,
                                    reason=reason, to_branch_id=to_branch_id if action == "transfer" else None,
                                    expected_version=expected_version)
    detail = {"action": action, "occurred_on": occurred_on, "reason": reason, "version": result.version}
    if action == "transfer":
        detail["to_branch_id"] = to_branch_id
    record(app, user_id=who.user_id, username=who.username, action="candidate.exceptional",
           target_kind="candidate", target_id=candidate_id, detail=detail)
    return result


def applicant_branches(app: App, who: Principal) -> list[tuple[int, str]]:
    """The branches where the user may register an application (the branch side)."""
    with app.uow(read_only=True) as uow:
        return [(o.id, o.name) for o in uow.orgs.list()
                if o.level == "branch" and who.can_act(o.id, "applicant")]


class AlreadyRegistered(DomainError):
    """The same person (name, gender, birth date) already has an open application in the branch:
    a form sent twice (Back and 登记 again, a double tap) registers nothing new. `candidate_id`
    is the existing record, for a link to it."""

    def __init__(self, message: str, candidate_id: int):
        super().__init__([Violation("person.duplicate", message)])
        self.candidate_id = candidate_id


class OpenElsewhere(DomainError):
    """The same name, gender and birth date has an open application in another branch: one person
    applies in one organisation at a time, so registering is refused unless the user confirms that
    this is another person (`confirm_other`). Only the other branch's name is told — the user may
    not be allowed to read it — and no link is given."""

    def __init__(self, message: str):
        super().__init__([Violation("person.open_elsewhere", message)])


def _open_application(app: App, uow, branch, name: str, gender: str, birth_date: date,
                      confirm_other: bool) -> tuple[AlreadyRegistered | OpenElsewhere | None, bool]:
    """The refusal for an open application of the same person in any branch (the registering one
    first: a form sent twice), and whether one elsewhere was set aside by `confirm_other`."""
    elsewhere = None
    for p in uow.people.find_by_name(name):
        if p.gender != gender or p.birth_date != birth_date:
            continue
        for c in uow.candidates.for_person(p.id):
            if c.stage in process_for(app.definition(c.definition_key)).end_states:
                continue
            if c.branch_id == branch.id:
                return AlreadyRegistered(
                    f"{name}（{gender}，{birth_date.isoformat()} 出生）已在{branch.name}登记过入党申请"
                    f"（{c.applied_on.isoformat()} 递交），这次没有重复登记；请打开已登记的记录查看或修改", c.id), False
            if elsewhere is None:
                other = uow.orgs.get(c.branch_id)
                elsewhere = OpenElsewhere(
                    f"{name}（{gender}，{birth_date.isoformat()} 出生）已在{other.name if other else '其他党组织'}"
                    f"有正在办理的入党申请（{c.applied_on.isoformat()} 递交）；一人同时只能在一个党组织申请入党。"
                    f"如确是同名同生日的另一人，请勾选「确认是另一人」后再登记")
    if elsewhere is not None and not confirm_other:
        return elsewhere, False
    return None, elsewhere is not None


def register_new_applicant(app: App, who: Principal, *, branch_id: int, name: str, gender: str, birth_date: date,
                           applied_on: date, ethnicity: str = "汉族", education: str | None = None,
                           occupation: str | None = None, tags: list[str] | None = None,
                           phone: str | None = None, confirm_other: bool = False) -> CommandResult:
    """Step 1 for a new person: add the person (or reuse the same name, gender and birth date in
    the branch without a candidacy — a retry after a refusal), register the application as this
    user, then audit it. The person's fields are checked first (services/people: the category lists
    the reports count, name, phone, a plausible birth date): a refused field writes nothing. The
    same person with an open application in the branch is `AlreadyRegistered` (a form sent twice);
    in another branch it is `OpenElsewhere` unless `confirm_other` says this is another person
    (then a new person is added and the audit row records the confirmation).

    The check, the new person and the application are one transaction, and the application claims
    the keys the check looked for (`candidates.application_keys`): of two registrations sent at
    once (a double tap) the second is refused by the database and, run again, by the same check
    with the same message — the person is not added twice either."""
    from services.people import check_profile

    checked = check_profile(name=name, gender=gender, birth_date=birth_date, ethnicity=ethnicity, education=education,
                            occupation=occupation, tags=tags or [], phone=phone, today=app.today())
    name, ethnicity, education, occupation, tags, phone = (
        checked[k] for k in ("name", "ethnicity", "education", "occupation", "tags", "phone"))
    name = name.strip()

    def once() -> tuple[CommandResult, int, bool]:
        with app.uow() as uow:
            branch = uow.orgs.get(branch_id)
            if branch is None or branch.level != "branch":
                raise NotFoundError("找不到所选的党支部（可能已被删除），请从列表中选择")
            if not who.can_act(branch_id, "applicant"):  # a read-only role is told so, not "本党支部" it has none of
                raise ForbiddenError("只能为本党支部登记入党申请" if who.acts_anywhere("branch")
                                     else "入党申请由党支部登记，你的角色不能登记")
            refusal, confirmed = _open_application(app, uow, branch, name, gender, birth_date, confirm_other)
            if refusal is not None:
                raise refusal
            person = next((p for p in uow.people.find_by_name(name) if p.gender == gender and p.birth_date == birth_date
                           and p.branch_id == branch_id and p.party_status == "none"
                           and not uow.candidates.for_person(p.id)), None)
            if person is None:
                person = uow.people.get(uow.people.add(
                    name=name, gender=gender, birth_date=birth_date, ethnicity=ethnicity or "汉族",
                    education=education or None, occupation=occupation or None, tags=tags or [],
                    phone=phone or None, party_status="none", branch_id=branch_id, created_at=app.now()))
            result = candidates.register_in(app, uow, person, branch, occurred_on=applied_on, actor=who.actor,
                                            evidence={"received_by": branch_id}, identity=True,
                                            anywhere=not confirmed)
            return result, person.id, confirmed

    result, person_id, confirmed = candidates.once_more_if_raced(once)
    detail = {"person_id": person_id, "name": name, "branch_id": branch_id, "applied_on": applied_on}
    if confirmed:
        detail["confirmed_other_person"] = True
    record(app, user_id=who.user_id, username=who.username, action="candidate.register", target_kind="candidate",
           target_id=result.candidate_id, detail=detail)
    return result
