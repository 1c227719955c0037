"""报送, 退回 and 审批 as a logged-in user: the access check, one transaction for the event (and
the in-app notices that go with it), then the audit row."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping

from engine import CandidateState
from engine.commands import CompleteStep, Return, Submit, resolve_step_ref
from engine.errors import refuse
from engine.review import REVIEW_KEY
from services.casework import candidates
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record
from services.casework.results import CommandResult
from services.casework.user_commands import ForbiddenError, load_for, step_for
from workflows.review import is_filing, is_reviewed

NOTICE_KINDS = {"submit": "submitted", "return": "returned", "approve": "approved", "refuse": "refused"}


def _reviewed_step(app: App, who: Principal | None, candidate_id: int, step_ref: str):
    """(row, state, definition, step) of a step that goes through the review loop. `who` None: the
    command line's operator (trusted like every CLI write); `step_ref` an id, number or name."""
    if who is not None:
        row, state, defn = load_for(app, who, candidate_id)
    else:
        with app.uow(read_only=True) as uow:
            row = uow.candidates.get(candidate_id)
        if row is None:
            raise refuse("candidate.unknown", f"找不到编号为 {candidate_id} 的候选人")
        state = CandidateState.from_dict(row.state)
        defn = app.definition(state.definition_key)
    step_id = resolve_step_ref(defn, step_ref)
    if not defn.has_step(step_id):
        from services.casework.user_commands import NotFoundError
        if who is not None:  # a link or form's step id (maybe another rules version's): not echoed
            raise NotFoundError("这名候选人的流程中没有这一步骤（链接有误）")
        raise _refusal(f"流程中没有步骤“{step_ref}”")
    step = defn.step(step_id)
    if not is_reviewed(step):  # a branch's own step, or one the committee organises: nobody sends or returns it
        raise (ForbiddenError if who is not None else _refusal)(f"“{step.name}”不经报送审核，不能报送或退回")
    return row, state, defn, step


def _refusal(message: str):
    """On the command line a wrong step is a refusal (exit 2), not an access error."""
    return refuse("review.step", message)


def _actor(who: Principal | None, actor: str | None) -> str:
    return who.actor if who is not None else (actor or "命令行")


def _notify(kind: str, step, defn) -> Callable:
    """The in-app notices of one review event, written in its transaction (services/notices), in
    the words of notifications/templates/{submitted,returned,approved,refused}.j2."""
    def after(uow, row, decision):
        from services.notices import notify, review_text, settle

        e = decision.event
        what = kind
        if what == "approved" and step.outcome and e.evidence.get(step.outcome.field) is False:
            what = "refused"  # 不同意
        branch = uow.orgs.get(decision.state.branch_id)
        township = uow.orgs.get(branch.parent_id) if branch and branch.parent_id else None
        person = uow.people.get(row.person_id)
        reopened = "、".join(defn.step(s).name for s in e.evidence.get("reopened") or () if defn.has_step(s))
        review = e.evidence.get(REVIEW_KEY) or {}
        doc_label, doc_no = "批复文号", review.get("doc_no", "")
        own_doc = next((f for f in step.evidence if f.type == "docref" and f.label.endswith("文号")
                        and e.evidence.get(f.name)), None)
        if own_doc is not None and not doc_no:  # the step's own 备案文号
            doc_label, doc_no = own_doc.label, str(e.evidence[own_doc.name])
        title, body = review_text(
            what, candidate_name=person.name if person else "", step_name=step.name, step_number=step.number,
            branch=branch.name if branch else "", township=township.name if township else "上级党委",
            on=e.occurred_on, reason=e.evidence.get("reason", "") if e.kind == "return" else "",
            reopened=reopened, opinion=review.get("opinion", ""), doc_no=doc_no, doc_label=doc_label,
            filing=is_filing(step), note=e.evidence.get("note", "") if e.kind == "submit" else "")
        side = "township" if what == "submitted" else "branch"
        link = f"/queue#c{row.id}-{e.step}" if side == "township" else f"/candidates/{row.id}"
        notify(uow, org_id=decision.state.branch_id, side=side, kind=what, title=title, body=body, link=link,
               key=f"review:{row.id}:{e.seq}", now=e.recorded_at, candidate_id=row.id, step=e.step)
        # what this event settles: the township's 报送 notices once it approves or returns the step,
        # the branch's 退回 notices once it submits the step again
        settle(uow, candidate_id=row.id, kind="returned" if kind == "submitted" else "submitted", step=e.step,
               now=e.recorded_at)
    return after


def _audit(app: App, who: Principal | None, action: str, candidate_id: int, detail: Mapping[str, Any]) -> None:
    record(app, user_id=who.user_id if who else None, username=who.username if who else "命令行", action=action,
           target_kind="candidate", target_id=candidate_id, detail=dict(detail))


def submit(app: App, who: Principal | None, candidate_id: int, step_id: str, *, note: str = "",
           occurred_on: date | None = None, expected_version: int | None = None,
           preview: bool = False, actor: str | None = None) -> CommandResult:
    """The branch sends a step up (报送) for the committee's review."""
    row, state, defn, step = _reviewed_step(app, who, candidate_id, step_id)
    step_id = step.id
    if who is not None and not who.can_act(state.branch_id or row.branch_id, "branch_secretary") and not who.is_admin:
        raise ForbiddenError("报送由党支部办理，你的角色不能报送")
    on = occurred_on or app.today()
    result = candidates.run_command(
        app, candidate_id, Submit(step_id, on, _actor(who, actor), note), expected_version=expected_version,
        preview=preview, after=_notify("submitted", step, defn))
    if not preview:
        _audit(app, who, "review.submit", candidate_id, {"step": step_id, "step_name": step.name, "note": note.strip(),
                                                         "occurred_on": on, "version": result.version})
    return result


def return_to_branch(app: App, who: Principal | None, candidate_id: int, step_id: str, *, reason: str,
                     reopen: tuple[str, ...] = (), occurred_on: date | None = None,
                     expected_version: int | None = None, preview: bool = False,
                     actor: str | None = None) -> CommandResult:
    """The committee sends a step back (退回) with a reason, reopening the steps it names (ids,
    numbers or names)."""
    row, state, defn, step = _reviewed_step(app, who, candidate_id, step_id)
    step_id = step.id
    if who is not None:
        step_for(app, who, candidate_id, step_id)  # the township's own step: 403 for anyone else
    reopen = tuple(resolve_step_ref(defn, r) for r in reopen)
    on = occurred_on or app.today()
    result = candidates.run_command(
        app, candidate_id, Return(step_id, on, _actor(who, actor), reason, reopen), expected_version=expected_version,
        preview=preview, after=_notify("returned", step, defn))
    if not preview:
        ev = result.decision.event
        _audit(app, who, "review.return", candidate_id, {
            "step": step_id, "step_name": step.name, "reason": reason.strip(), "reopened": ev.evidence["reopened"],
            "occurred_on": on, "version": result.version})
    return result


def approve(app: App, who: Principal | None, candidate_id: int, step_id: str, *, occurred_on: date,
            evidence: Mapping[str, Any], opinion: str, doc_no: str = "", expected_version: int | None = None,
            preview: bool = False, actor: str | None = None) -> CommandResult:
    """The committee records its step (审批, 预审, 备案…) with its opinion and 批复文号 (a filing:
    the opinion may be empty, its 备案文号 is the step's own field). `preview`: exactly what would be
    recorded, nothing written (the confirmation page)."""
    row, state, defn, step = _reviewed_step(app, who, candidate_id, step_id)
    step_id = step.id
    if who is not None:
        step_for(app, who, candidate_id, step_id)
    if not (opinion or "").strip() and not is_filing(step):
        raise refuse("review.opinion", f"{step.name}须填写审批意见")
    full = {**evidence, REVIEW_KEY: {"opinion": opinion, "doc_no": doc_no}}
    result = candidates.run_command(
        app, candidate_id, CompleteStep(step_id, occurred_on, _actor(who, actor), full),
        expected_version=expected_version, preview=preview, people=candidates._referenced_people(defn, step_id, evidence),
        after=_notify("approved", step, defn))
    if not preview:
        _audit(app, who, "step.complete", candidate_id, {
            "step": step_id, "occurred_on": occurred_on, "evidence": full, "version": result.version,
            "late": result.decision.event.late})
    return result
