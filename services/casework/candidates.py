"""Use cases on candidates: register, complete a step, exceptional paths, corrections, migration.

Each function is one unit of work: load the candidate's snapshot, let the engine decide, then
append the event, update the snapshot with a version check and adjust the deadline rows — in one
transaction. With `preview=True` the engine's decision is returned and nothing is written.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Mapping, Sequence

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
    Tenure,
    Violation,
    Void,
    branch_history,
    decide,
    effective_events,
    milestones,
    register,
)
from engine.commands import Submit, resolve_step_ref
from engine.errors import refuse
from engine.evidence import people_ids
from engine.prerequisites import requires_message, root_causes, sentences
from engine.process import process_for
from services.app import App, local_date
from services.casework.history import load_history, load_log, to_event  # noqa: F401 - importable from here as before
from services.casework.results import CommandResult
from storage.repositories.claims import KeyClaimed
from storage.unit_of_work import UnitOfWork
from workflows.loader import definition_to_data

# Party status a person has while their latest candidacy is in a stage (kept on `person` for sponsor
# checks); every other stage — applicant … development_target and all end states — means "none".
STATUS_BY_STAGE = {"probationary": "probationary", "full_member": "full_member"}


def party_status_for(state: CandidateState, defn) -> str:
    """The person's party_status implied by their (latest) candidacy: its stage, or — after death
    or a transfer out of the deployment — the last membership stage the log shows they reached."""
    if state.stage in ("deceased", "transferred_out"):
        reached = {s.enters for s in defn.steps if s.enters and s.id in state.done}
        return next((STATUS_BY_STAGE[x] for x in ("full_member", "probationary") if x in reached), "none")
    return STATUS_BY_STAGE.get(state.stage, "none")


def _context(app: App, uow: UnitOfWork, person_id: int | None, people_ids=(), *, person=None) -> Context:
    """The world a rule may look at; the person row is read only when `person_id` is given (and
    `person`, the row already in hand, is not)."""
    if person is None and person_id is not None:
        person = uow.people.get(person_id)
    people = {}
    if people_ids:
        since = uow.milestones.full_since(list(people_ids))
        for pid, p in uow.people.by_ids(list(people_ids)).items():
            people[pid] = PersonFacts(pid, p.name, p.party_status, p.rights_suspended, since.get(pid))
    now = app.now()  # one clock reading: today is its date (two readings could straddle midnight)
    return Context(local_date(now), now, app.calendar, person.birth_date if person else None, people)


def _needs_person(defn, cmd) -> bool:
    """Only a step with a person-level rule (the age rule) needs the candidate's person row."""
    step = getattr(cmd, "step", None)
    return step is not None and step in process_for(defn).age_steps


def _referenced_people(defn, step_id: str, evidence: Mapping[str, Any]) -> list[int]:
    """The people the step's evidence names (sponsors, mentors), parsed as the engine parses them."""
    if step_id not in process_for(defn).people_steps:
        return []
    return people_ids(defn.step(step_id), evidence)


def _require_branch(uow: UnitOfWork, branch_id: Any) -> int:
    """The id of an existing 党支部 a candidate is transferred to, else a refusal."""
    try:
        bid = int(str(branch_id).strip())
    except ValueError:
        raise refuse("org.branch", "转入的党支部无效，请从列表中选择") from None
    org = uow.orgs.get(bid)
    if org is None or org.level != "branch":
        raise refuse("org.branch", "找不到所选的转入党支部（可能已被删除），请从列表中选择")
    return bid


def _persist(app: App, uow: UnitOfWork, row, decision, event_ids: Mapping[int, int] | None = None,
             defn=None, history: Sequence[Event] | None = None, head=None, deadline_rows=None) -> int:
    """Append the event, move the snapshot (optimistic check), the deadline rows and the person.

    `event_ids` maps the log's seqs to event row ids (from `load_log`): a correction names the
    row it supersedes. `defn`: the definition the state before the command is pinned to.
    `history`: the log before the command, when the command needed it (corrections, voids,
    migrations: they may change the log's transfers). `head`: the event chain's (last seq, hash)
    read with the row (`_load`). `deadline_rows`: the candidate's deadline rows read with it too
    (None: read them here).
    """
    candidate_id = row.id
    e: Event = decision.event
    after: CandidateState = decision.state
    before: CandidateState | None = decision.before
    supersedes_id = None
    if e.supersedes is not None:
        if event_ids is None:
            raise ValueError("a correction needs the log's event ids")
        supersedes_id = event_ids[e.supersedes]
    evidence = e.evidence
    applied_on = after.applied_on if after.applied_on is not None and after.applied_on != row.applied_on else None
    key = after.definition_key if after.definition_key != row.definition_key else None
    # The candidate row first, then the event: the transaction then holds an id (xid) before it
    # draws an event id, which the worklist change feed relies on (services/worklist/cache.py).
    new_version = uow.candidates.update(  # stage and branch are indexed: written only when they move
        candidate_id, row.version, stage=after.stage if after.stage != row.stage else None, state=after.snapshot(),
        branch_id=after.branch_id if after.branch_id != row.branch_id else None,
        now=e.recorded_at, applied_on=applied_on, definition_key=key,
    )
    uow.events.append(
        candidate_id, e.seq, e.kind, e.step, e.occurred_on, e.recorded_at, e.actor,
        evidence if type(evidence) is dict else dict(evidence),
        definition_key=e.definition_key, supersedes=supersedes_id, reason=e.reason, late=e.late, head=head,
    )
    uow.deadlines.replace(candidate_id, after.branch_id, decision.deadlines, existing=deadline_rows)
    bdefn = _pinned(app, before.definition_key, defn) if before is not None else None
    adefn = _pinned(app, after.definition_key, bdefn or defn)
    _sync_milestones(app, uow, row.id, row.person_id, before, after, adefn, bdefn)
    _sync_tenures(uow, candidate_id, e, before, history)
    if decision.findings:  # a correction that breaks a rule is recorded, and what it broke is kept (audit)
        uow.findings.add_many([
            {"candidate_id": candidate_id, "branch_id": after.branch_id, "import_id": None, "source": "correction",
             "step": f.step, "rule": f.rule, "article": f.article or None, "message": f.message,
             "occurred_on": f.occurred_on, "found_at": e.recorded_at} for f in decision.findings])
    status = party_status_for(after, adefn)
    if (before is None or party_status_for(before, bdefn) != status
            or (status != "none" and before.branch_id != after.branch_id)):
        _sync_person(uow, row.person_id, candidate_id, status, after.branch_id)
    return new_version


def _pinned(app: App, key: str, known):
    """The definition `key` names: `known` when it is that one (always, unless a migration moved
    the candidate on), else the registry's."""
    return known if known is not None and known.key == key else app.definition(key)


def _sync_milestones(app: App, uow: UnitOfWork, candidate_id: int, person_id: int,
                     before: CandidateState | None, after: CandidateState, defn, before_defn=None) -> None:
    """Rewrite the candidate's milestone row when one of its dates changed (rarely: ~6 of 25 steps).

    A step that changes neither stage, branch, end nor extension and whose `done` date set is the
    same cannot move a milestone: those (most steps) skip the comparison altogether."""
    if (before is not None and before.stage == after.stage and before.branch_id == after.branch_id
            and before.ended_on == after.ended_on and before.extended_on == after.extended_on
            and before.applied_on == after.applied_on and before.definition_key == after.definition_key
            and before.done.items() <= after.done.items()):
        return  # only new steps were added, none entering a stage (stage is unchanged)
    now = milestones(after, defn)
    was = None if before is None else milestones(before, before_defn or app.definition(before.definition_key))
    if was != now:
        uow.milestones.put(candidate_id, person_id, now.as_row(), was=None if was is None else was.as_row())


def _sync_tenures(uow: UnitOfWork, candidate_id: int, event: Event, before: CandidateState | None,
                  history: Sequence[Event] | None) -> None:
    """Keep the branch history reports count by (engine `branch_history`): a transfer closes the
    tenure of the branch left; a correction or void recomputes it from the log (it may move or
    undo a transfer). Other steps never touch it."""
    if history is not None:
        uow.tenures.put(candidate_id, *branch_history(effective_events([*history, event])))
    elif event.kind == "transfer" and before is not None:
        was = uow.tenures.history(candidate_id)
        past, since = was
        uow.tenures.put(candidate_id, [*past, Tenure(before.branch_id, since, event.occurred_on)], event.occurred_on,
                        was=was)


def _sync_person(uow: UnitOfWork, person_id: int, candidate_id: int, status: str, branch_id: int) -> None:
    """Make the person's party_status (and, for a party member, branch) follow this candidacy —
    if it is their latest one (an old, ended candidacy being corrected does not speak for them)."""
    if uow.candidates.latest_id_for_person(person_id) != candidate_id:
        return
    person = uow.people.get(person_id)
    if status == "none":
        if person.party_status != "none":
            uow.people.set_party_status(person_id, "none")  # keeps the branch on record
    elif person.party_status != status or person.branch_id != branch_id:
        uow.people.set_party_status(person_id, status, branch_id=branch_id)


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
    def once() -> CommandResult:
        with app.uow() as uow:
            branch = uow.orgs.get(branch_id)
            if branch is None or branch.level != "branch":
                raise refuse("org.branch", "找不到所选的党支部（可能已被删除）")
            person = uow.people.get(person_id)
            if person is None:
                raise refuse("person.unknown", "找不到这个人员（可能已被删除）")
            return register_in(app, uow, person, branch, occurred_on=occurred_on, actor=actor, evidence=evidence,
                               preview=preview)
    return once_more_if_raced(once)


def application_keys(person, branch_id: int, *, identity: bool = False, anywhere: bool = False) -> list[str]:
    """The keys a registration claims for the person's open application (table `application_claim`,
    docs/storage.md "Open applications"): what its duplicate check looked for. Always the person row;
    with `identity` (the web's check by name, gender and birth date) that identity in the branch,
    and with `anywhere` (确认是另一人 did not set aside an open application elsewhere) in any branch."""
    keys = [f"p:{person.id}"]
    if identity:
        who = f"{person.birth_date.isoformat()}|{person.gender}|{person.name}"
        keys.append(f"b:{who}@{branch_id}")
        if anywhere:
            keys.append(f"i:{who}")
    return keys


def once_more_if_raced(run):
    """`run()`, and once more if it lost a race for an application key (`KeyClaimed`): the winner
    has committed by then, so the second run's duplicate check refuses with the very message a
    registration sent after it gets. Losing twice (a third registration in the same instant) is
    refused in words too."""
    try:
        return run()
    except KeyClaimed:
        pass
    try:
        return run()
    except KeyClaimed:
        raise refuse("person.candidacy", "同一人的入党申请正由他人同时登记，这次没有登记；请稍后在候选人名单中查看") from None


def _claim(app: App, uow: UnitOfWork, candidate_id: int, keys: Sequence[str]) -> None:
    """Claim `keys` for the new candidacy, taking over a key whose holder has ended or no longer
    matches it (moved to another branch, the person's name corrected): claims are released lazily,
    so no other path (steps, withdrawals, corrections) ever writes this table."""
    def stale(key: str, holder: int) -> bool:
        row = uow.candidates.get(holder)
        person = uow.people.get(row.person_id) if row is not None else None
        return (row is None or person is None or row.stage in process_for(app.definition(row.definition_key)).end_states
                or key not in application_keys(person, row.branch_id, identity=True, anywhere=True))

    uow.claims.claim(keys, candidate_id, stale)


def register_in(app: App, uow: UnitOfWork, person, branch, *, occurred_on: date, actor: str,
                evidence: Mapping[str, Any] | None = None, preview: bool = False, identity: bool = False,
                anywhere: bool = False) -> CommandResult:
    """`register_applicant` inside the caller's transaction, for the person row and branch row in
    hand; `identity`/`anywhere`: the keys the caller's own check looked for (`application_keys`).
    Raises `KeyClaimed` if a registration of the same person committed meanwhile (the caller rolls
    back and runs its check again: `once_more_if_raced`)."""
    person_id, branch_id = person.id, branch.id
    if person.party_status != "none":
        raise refuse("person.member", "已是党员，不能登记入党申请")
    for c in uow.candidates.for_person(person_id, lock=not preview):
        if c.stage not in process_for(app.definition(c.definition_key)).end_states:
            raise refuse("person.candidacy", f"已有进行中的入党申请（{c.applied_on.isoformat()} 递交）")
        ended_on = CandidateState.from_dict(c.state).ended_on
        if c.stage == "deceased":
            raise refuse("person.deceased", f"该人员已于 {ended_on} 去世，不能登记入党申请")
        if ended_on is not None and occurred_on <= ended_on:  # candidacies of one person never overlap
            raise refuse("person.candidacy", f"前一次入党申请（{c.applied_on.isoformat()} 递交）至 {ended_on} 才结束，"
                                             f"新的申请日期 {occurred_on} 须在其后")
    variants = _variants(app, uow, branch_id, branch)
    try:
        defn = app.registry.for_date(occurred_on, variants)
    except LookupError as e:
        raise refuse("definition.none", str(e)) from None
    ctx = _context(app, uow, person_id, person=person)
    cmd = CompleteStep(defn.steps[0].id, occurred_on, actor, dict(evidence or {}))
    decision = register(defn, branch_id, cmd, ctx)
    if not decision.ok:
        raise DomainError(decision.violations)
    if preview:
        return CommandResult(None, None, True, decision)
    _ensure_stored(app, uow, defn, ctx.now)
    after = decision.state
    cid = uow.candidates.add(
        person_id=person_id, branch_id=branch_id, definition_key=defn.key, stage=after.stage,
        state=after.snapshot(), applied_on=occurred_on, now=ctx.now,
    )
    _claim(app, uow, cid, application_keys(person, branch_id, identity=identity, anywhere=anywhere))
    e = decision.event
    uow.events.append(
        candidate_id=cid, seq=e.seq, kind=e.kind, step=e.step, occurred_on=e.occurred_on,
        recorded_at=e.recorded_at, actor=e.actor, evidence=dict(e.evidence), supersedes=None,
        reason=None, late=e.late, definition_key=e.definition_key,
    )
    uow.deadlines.replace(cid, branch_id, decision.deadlines, fresh=True)
    uow.milestones.add_new(cid, person, milestones(after, defn).as_row())
    return CommandResult(cid, 1, False, decision)


def _ensure_stored(app: App, uow: UnitOfWork, defn, now) -> None:
    """Store the definition a candidate is pinned to (refused if that version changed). Once found
    stored — committed, by any process — it is not read again by this App."""
    key = (defn.key, defn.sha256)
    if key not in app.stored_definitions and not uow.definitions.ensure(defn.key, defn.sha256, definition_body(defn), now):
        app.stored_definitions.add(key)  # was there already: committed (a new row waits for our commit)


def _variants(app: App, uow: UnitOfWork, branch_id: int, branch=None) -> dict[str, str]:
    """Local definition variants chosen by the branch's township or county: {base id: local id}.

    `organisation.workflow_variant` names a local definition id; its `extends` says which national
    definition it varies (the nearest organisation's choice wins). `branch`: its row, if in hand.
    """
    variants: dict[str, str] = {}
    org = branch if branch is not None else uow.orgs.get(branch_id)
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
    """(row, its definition, its state, the head of its event chain, its deadline rows): one read."""
    found = uow.candidates.get_for_step(candidate_id)
    if found is None:
        raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")  # the CLI's own argument, echoed
    row, head, deadline_rows = found
    if expected_version is not None and expected_version != row.version:
        raise refuse("candidate.stale", "这名候选人的记录已被他人修改，请刷新后重试")
    state = CandidateState.from_dict(row.state)
    return row, app.definition(state.definition_key), state, head, deadline_rows  # the state's key follows migrations


def _run(app: App, candidate_id: int, make_cmd, *, expected_version, preview, needs_history=False, people=(),
         check=None, after=None):
    """One command in one transaction; `check(uow, history)` may refuse before the engine decides;
    `after(uow, row, decision)` writes what goes with the event in the same transaction (in-app
    notices of the review loop).

    `people`: the ids of the people the command names, or `people(defn, cmd)` giving them."""
    with app.uow() as uow:
        row, defn, state, head, deadline_rows = _load(app, uow, candidate_id, expected_version)
        cmd = make_cmd(defn)
        needs_person = needs_history or _needs_person(defn, cmd)
        ctx = _context(app, uow, row.person_id if needs_person else None, people(defn, cmd) if callable(people) else people)
        kwargs = {}
        history, event_ids = None, None
        if needs_history:
            history, event_ids = load_log(uow, candidate_id)
            kwargs = {"history": history, "resolve": app.definition}
        if check is not None:
            check(uow, history)
        from services.people.roll import roll_for  # here, not at the top: services.people imports user_commands, which imports this module

        ctx.roll = roll_for(uow, defn, state, cmd, history)  # a branch meeting's 应到 is checked against it
        if isinstance(cmd, (CompleteStep, Submit)):  # materials the step needs (workflows/materials): a guard, or said at 报送
            from services.materials.completeness import facts_for_step

            ctx.materials = facts_for_step(app, uow, defn, state.branch_id or row.branch_id, candidate_id, cmd.step)
        decision = decide(defn, state, cmd, ctx, **kwargs)
        if not decision.ok:
            raise DomainError(_with_root_causes(uow, candidate_id, defn, state, cmd, decision.violations, history))
        if preview:
            return CommandResult(candidate_id, row.version, True, decision)
        version = _persist(app, uow, row, decision, event_ids, defn, history, head, deadline_rows)
        if after is not None:
            after(uow, row, decision)
        return CommandResult(candidate_id, version, False, decision)


def _with_root_causes(uow: UnitOfWork, candidate_id: int, defn, state: CandidateState, cmd, violations,
                      history: Sequence[Event] | None = None) -> list[Violation]:
    """A "须先完成" refusal (of a step or of its 报送) names the root cause the log shows (政审不合格
    for a step three steps later, a 退回, a failed vote), not only the missing step: the engine's
    guard sees the state alone, so this (rare) path reads the log. The codes stay as they were."""
    code = "step.requires" if isinstance(cmd, CompleteStep) else "submit.requires" if isinstance(cmd, Submit) else None
    if code is None or not any(v.code == code for v in violations):
        return list(violations)
    proc = process_for(defn)
    events = effective_events(history if history is not None else load_history(uow, candidate_id))
    if code == "step.requires":
        message = requires_message(proc, state, events, cmd.step)
    else:  # 报送: the branch cannot send what is not ready; say why it is not
        message = "；".join([next(v.message for v in violations if v.code == code),
                            *sentences(proc, root_causes(proc, state, events, cmd.step))])
    return [replace(v, message=message) if v.code == code and message else v for v in violations]


def run_command(app: App, candidate_id: int, cmd, *, expected_version: int | None = None, preview: bool = False,
                after=None, people=()) -> CommandResult:
    """A command built by the caller (the review loop's 报送, 退回 and approvals), in one transaction."""
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview,
                after=after, people=people)


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
    """`step`: the step id, or what a user typed (number 1–25 or Chinese name), resolved against the
    candidate's pinned definition in the same transaction."""
    evidence = dict(evidence or {})
    return _run(
        app, candidate_id, lambda d: CompleteStep(resolve_step_ref(d, step), occurred_on, actor, evidence),
        expected_version=expected_version, preview=preview,
        people=lambda d, cmd: _referenced_people(d, cmd.step, evidence),
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
    check = None
    if action == "transfer" and to_branch_id is not None:
        def check(uow, _history):
            _require_branch(uow, to_branch_id)
    cmd = Exceptional(action, occurred_on, actor, reason, to_branch_id, dict(evidence or {}))
    # the log: no exceptional event may be dated before the latest one recorded (a rejection, a transfer…)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, check=check,
                needs_history=True)


def correct(app: App, candidate_id: int, seq: int, *, actor: str, reason: str, occurred_on: date | None = None,
            evidence: Mapping[str, Any] | None = None, expected_version: int | None = None, preview: bool = False):
    evidence = dict(evidence) if evidence is not None else None
    check = None
    if evidence is not None and "to_branch_id" in evidence:
        def check(uow, history):
            target = next((e for e in effective_events(history) if e.seq == seq), None)
            if target is not None and target.kind == "transfer":
                evidence["to_branch_id"] = _require_branch(uow, evidence["to_branch_id"])
    cmd = Correct(seq, actor, reason, occurred_on, evidence)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview,
                needs_history=True, check=check)


def void(app: App, candidate_id: int, seq: int, *, actor: str, reason: str,
         expected_version: int | None = None, preview: bool = False):
    cmd = Void(seq, actor, reason)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, needs_history=True)


def migrate(app: App, candidate_id: int, to_key: str, *, occurred_on: date, actor: str, reason: str,
            expected_version: int | None = None, preview: bool = False):
    cmd = Migrate(to_key, occurred_on, actor, reason)
    return _run(app, candidate_id, lambda d: cmd, expected_version=expected_version, preview=preview, needs_history=True)


_BODIES: dict[str, dict] = {}


def definition_body(defn) -> dict:
    """A JSON snapshot of the merged definition stored beside pinned candidates (once per version)."""
    body = _BODIES.get(defn.sha256)
    if body is None:
        body = _BODIES[defn.sha256] = definition_to_data(defn)
    return body
