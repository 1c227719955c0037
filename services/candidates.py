"""Use cases on candidates: register, complete a step, exceptional paths, corrections, migration.

Each function is one unit of work: load the candidate's snapshot, let the engine decide, then
append the event, update the snapshot with a version check and adjust the deadline rows — in one
transaction. With `preview=True` the engine's decision is returned and nothing is written.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from engine import (
    CandidateState,
    CompleteStep,
    Context,
    Correct,
    DomainError,
    Event,
    Exceptional,
    Migrate,
    PersonFacts,
    Void,
    decide,
    register,
)
from engine.errors import refuse
from services.app import App
from services.results import CommandResult
from storage.unit_of_work import UnitOfWork
from workflows.loader import definition_to_data

# Party status a person gets when a candidate reaches a stage (kept on `person` for sponsor checks).
STATUS_BY_STAGE = {"probationary": "probationary", "full_member": "full_member", "probation_cancelled": "none"}


def _context(app: App, uow: UnitOfWork, person_id: int | None, people_ids=()) -> Context:
    """The world a rule may look at; the person row is read only when `person_id` is given."""
    person = uow.people.get(person_id) if person_id is not None else None
    people = {}
    if people_ids:
        for pid, p in uow.people.by_ids(list(people_ids)).items():
            people[pid] = PersonFacts(pid, p.name, p.party_status, p.rights_suspended)
    now = app.now()
    return Context(
        today=app.today(),
        now=now,
        calendar=app.calendar,
        birth_date=person.birth_date if person else None,
        candidate_name=person.name if person else "",
        people=people,
    )


def _needs_person(defn, cmd) -> bool:
    """Only a step with a person-level rule (the age rule) needs the candidate's person row."""
    step = getattr(cmd, "step", None)
    if step is None or not defn.has_step(step):
        return False
    return any(r.kind == "min_age" for r in defn.step(step).rules)


def _referenced_people(defn, step_id: str, evidence: Mapping[str, Any]) -> list[int]:
    """Ids in the evidence that a `full_members` rule will check (loaded only when needed)."""
    if not defn.has_step(step_id):
        return []
    step = defn.step(step_id)
    ids: list[int] = []
    for rule in step.rules:
        if rule.kind == "full_members":
            value = evidence.get(rule.params["field"]) or []
            items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").replace("、", ",").split(",")
            for x in items:
                try:
                    ids.append(int(str(x).strip()))
                except ValueError:
                    pass  # evidence validation reports it
    return ids


def _persist(app: App, uow: UnitOfWork, candidate_id: int, version: int, decision, *, person_id: int) -> int:
    """Append the event, move the snapshot (optimistic check) and the deadline rows."""
    e: Event = decision.event
    after: CandidateState = decision.state
    supersedes_id = None
    if e.supersedes is not None:
        supersedes_id = next(r.id for r in uow.events.list_for(candidate_id) if r.seq == e.supersedes)
    uow.events.append(
        candidate_id=candidate_id, seq=e.seq, kind=e.kind, step=e.step, occurred_on=e.occurred_on,
        recorded_at=e.recorded_at, actor=e.actor, evidence=dict(e.evidence), supersedes=supersedes_id,
        reason=e.reason, late=e.late, definition_key=e.definition_key,
    )
    new_version = uow.candidates.update(
        candidate_id, version, stage=after.stage, state=after.to_dict(), branch_id=after.branch_id, now=e.recorded_at
    )
    uow.deadlines.replace(candidate_id, after.branch_id, decision.deadlines)
    if e.kind == "migrate":
        uow.candidates.set_definition_key(candidate_id, after.definition_key)
    before = decision.before
    if before is None or before.stage != after.stage:
        status = STATUS_BY_STAGE.get(after.stage)
        if status:
            uow.people.set_party_status(person_id, status, branch_id=after.branch_id)
    return new_version


def register_applicant(
    app: App,
    *,
    person_id: int,
    branch_id: int,
    occurred_on: date,
    actor: str,
    evidence: Mapping[str, Any] | None = None,
    preview: bool = False,
) -> CommandResult:
    """Step 1: record an application. The candidate is pinned to the definition in force that day."""
    with app.uow() as uow:
        branch = uow.orgs.get(branch_id)
        if branch is None or branch.level != "branch":
            raise refuse("org.branch", f"找不到党支部 {branch_id}")
        if uow.people.get(person_id) is None:
            raise refuse("person.unknown", f"找不到人员 {person_id}")
        variants = _variants(app, uow, branch_id)
        try:
            defn = app.registry.for_date(occurred_on, variants)
        except LookupError as e:
            raise refuse("definition.none", str(e)) from None
        ctx = _context(app, uow, person_id)
        cmd = CompleteStep(defn.steps[0].id, occurred_on, actor, dict(evidence or {}))
        decision = register(defn, branch_id, cmd, ctx)
        if not decision.ok:
            raise DomainError(decision.violations)
        if preview:
            return CommandResult(None, None, True, decision)
        uow.definitions.ensure(defn.key, defn.sha256, definition_body(defn), ctx.now)
        after = decision.state
        cid = uow.candidates.add(
            person_id=person_id, branch_id=branch_id, definition_key=defn.key, stage=after.stage,
            state=after.to_dict(), applied_on=occurred_on, now=ctx.now,
        )
        e = decision.event
        uow.events.append(
            candidate_id=cid, seq=e.seq, kind=e.kind, step=e.step, occurred_on=e.occurred_on,
            recorded_at=e.recorded_at, actor=e.actor, evidence=dict(e.evidence), supersedes=None,
            reason=None, late=e.late, definition_key=e.definition_key,
        )
        uow.deadlines.replace(cid, branch_id, decision.deadlines)
        return CommandResult(cid, 1, False, decision)


def _variants(app: App, uow: UnitOfWork, branch_id: int) -> dict[str, str]:
    """Local definition variants chosen by the branch's township or county: {base id: local id}.

    `organisation.workflow_variant` names a local definition id; its `extends` says which national
    definition it varies (the nearest organisation's choice wins).
    """
    variants: dict[str, str] = {}
    org = uow.orgs.get(branch_id)
    while org is not None:
        if org.workflow_variant:
            local = max((d for d in app.registry.definitions() if d.id == org.workflow_variant),
                        key=lambda d: d.version, default=None)
            if local is None:
                raise refuse("definition.variant", f"{org.name}选用的本地流程“{org.workflow_variant}”不存在")
            if local.extends:
                variants.setdefault(local.extends.split("@")[0], local.id)
        org = uow.orgs.get(org.parent_id) if org.parent_id else None
    return variants


def _load(app: App, uow: UnitOfWork, candidate_id: int, expected_version: int | None):
    row = uow.candidates.get(candidate_id)
    if row is None:
        raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")
    if expected_version is not None and expected_version != row.version:
        raise refuse("candidate.stale", f"候选人 {candidate_id} 已被他人修改（当前版本 {row.version}，你看到的是 {expected_version}），请刷新后重试")
    state = CandidateState.from_dict(row.state)
    return row, app.definition(state.definition_key), state  # the state's key follows migrations


def _run(app: App, candidate_id: int, make_cmd, *, expected_version, preview, needs_history=False, people=()):
    with app.uow() as uow:
        row, defn, state = _load(app, uow, candidate_id, expected_version)
        cmd = make_cmd(defn)
        needs_person = needs_history or _needs_person(defn, cmd)
        ctx = _context(app, uow, row.person_id if needs_person else None, people(defn) if callable(people) else people)
        kwargs = {}
        if needs_history:
            kwargs = {"history": load_history(uow, candidate_id), "resolve": app.definition}
        decision = decide(defn, state, cmd, ctx, **kwargs)
        if not decision.ok:
            raise DomainError(decision.violations)
        if preview:
            return CommandResult(candidate_id, row.version, True, decision)
        version = _persist(app, uow, candidate_id, row.version, decision, person_id=row.person_id)
        return CommandResult(candidate_id, version, False, decision)


def complete_step(
    app: App,
    candidate_id: int,
    step: str,
    *,
    occurred_on: date,
    actor: str,
    evidence: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    preview: bool = False,
) -> CommandResult:
    evidence = dict(evidence or {})
    return _run(
        app, candidate_id, lambda d: CompleteStep(step, occurred_on, actor, evidence),
        expected_version=expected_version, preview=preview,
        people=lambda d: _referenced_people(d, step, evidence),
    )


def exceptional(
    app: App,
    candidate_id: int,
    action: str,
    *,
    occurred_on: date,
    actor: str,
    reason: str = "",
    to_branch_id: int | None = None,
    evidence: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    preview: bool = False,
) -> CommandResult:
    if action == "transfer" and to_branch_id is not None:
        with app.uow() as uow:
            org = uow.orgs.get(to_branch_id)
            if org is None or org.level != "branch":
                raise refuse("org.branch", f"找不到转入的党支部 {to_branch_id}")
    cmd = Exceptional(action, occurred_on, actor, reason, to_branch_id, dict(evidence or {}))
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview)


def correct(app: App, candidate_id: int, seq: int, *, actor: str, reason: str, occurred_on: date | None = None,
            evidence: Mapping[str, Any] | None = None, expected_version: int | None = None, preview: bool = False):
    cmd = Correct(seq, actor, reason, occurred_on, dict(evidence) if evidence is not None else None)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, needs_history=True)


def void(app: App, candidate_id: int, seq: int, *, actor: str, reason: str,
         expected_version: int | None = None, preview: bool = False):
    cmd = Void(seq, actor, reason)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, needs_history=True)


def migrate(app: App, candidate_id: int, to_key: str, *, occurred_on: date, actor: str, reason: str,
            expected_version: int | None = None, preview: bool = False):
    cmd = Migrate(to_key, occurred_on, actor, reason)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, needs_history=True)


def load_history(uow: UnitOfWork, candidate_id: int) -> list[Event]:
    """The candidate's log as engine events (supersedes mapped from row ids to seqs)."""
    rows = uow.events.list_for(candidate_id)
    seq_of = {r.id: r.seq for r in rows}
    return [to_event(r, seq_of) for r in rows]


def to_event(r, seq_of: Mapping[int, int]) -> Event:
    return Event(
        seq=r.seq, kind=r.kind, occurred_on=r.occurred_on, recorded_at=r.recorded_at, actor=r.actor,
        step=r.step, evidence=r.evidence or {}, supersedes=seq_of.get(r.supersedes) if r.supersedes else None,
        reason=r.reason, late=r.late, definition_key=r.definition_key,
    )


_BODIES: dict[str, dict] = {}


def definition_body(defn) -> dict:
    """A JSON snapshot of the merged definition stored beside pinned candidates (once per version)."""
    body = _BODIES.get(defn.sha256)
    if body is None:
        body = _BODIES[defn.sha256] = definition_to_data(defn)
    return body
