"""Deciding a command: guards, the new event, the new state, warnings and dates — no writes.

`decide` is both the real path and the dry run: the service persists `Decision.event` and
`Decision.state` only when `Decision.ok` and the user did not ask for a preview.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

from engine.apply import (
    CANCEL,
    EXTEND,
    REFUSE,
    REJECT,
    STAY,
    StepResult,
    apply,
    effective_events,
    outcome_effect,
    replay,
    step_result,
)
from engine.commands import Command, CompleteStep, Correct, Exceptional, Migrate, Return, Submit, Void
from engine.context import Context
from engine.errors import DomainError, Violation
from engine.evidence import normalise
from engine.findings import Finding
from engine.input_policy import text_problem
from engine.later_records import later_record_problems, later_step_records
from engine.materials import material_violations, material_warnings
from engine.process import ACTION_NAMES, process_for
from engine.review import (
    check_return,
    check_submit,
    reopen_closure,
    split_review,
    submit_evidence,
    upstream,
)
from engine.rules import Check, check_rules
from engine.rules.provisional import provisional_notes
from engine.rules.vote import roll_notes, tally_notes
from engine.state import EXCEPTIONAL_KINDS, CandidateState, Event, Resolution
from engine.resolution import RESOLVE, approval_words, describe, migration_resolution, resolution_words
from engine.timing import Deadline, StepOutlook, anchor_date, deadlines, missed_rule, outlook
from workflows.model import Definition


@dataclass
class Decision:
    event: Event | None
    before: CandidateState | None
    state: CandidateState | None  # after (== before when refused)
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outlook: list[StepOutlook] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    # compliance findings of a correction (the warnings' facts, kept by the service as found)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def raise_if_refused(self) -> "Decision":
        if self.violations:
            raise DomainError(self.violations)
        return self


def _refused(before, violations) -> Decision:
    return Decision(None, before, before, list(violations))


def _date_checks(step_name: str, on: date, ctx: Context, not_before: date | None, after_name: str,
                 citation=None, after_what: str = "前置步骤") -> list[Violation]:
    """`citation`: the step's, named in the order message (the prerequisite comes from it).
    `after_what`: what `after_name` is to this record ("最近一条记录" when it is not a prerequisite)."""
    found = []
    if on > ctx.today:
        found.append(Violation("date.future", f"{step_name}的日期 {on} 晚于今天（{ctx.today}），请填写实际发生日期"))
    if not_before is not None and on < not_before:
        where = f"（{citation.label()}）" if citation is not None else ""
        found.append(Violation("date.order", f"{step_name}的日期 {on} 早于{after_what}“{after_name}”的日期 {not_before}{where}",
                               citation.article if citation is not None else "", not_before))
    return found


def _check_step(defn: Definition, state: CandidateState, cmd: CompleteStep, ctx: Context, *, as_warning=False):
    """Guards of one step against `state`; returns (normalised evidence, violations, warnings).

    `as_warning` (a correction): only what cannot be a fact stays a violation; the rest come back
    as the warnings, still as `Violation`s (the caller words them and keeps them as findings)."""
    proc = process_for(defn)
    step = proc.steps.get(cmd.step)
    if step is None:
        names = "、".join(f"{s.number}.{s.name}" for s in defn.steps)
        return None, [Violation("step.unknown", f"流程“{defn.title}”中没有步骤“{cmd.step}”，可用：{names}")], []
    violations: list[Violation] = []
    if not as_warning:
        if state.stage in proc.end_states:
            since = f"（{state.ended_on}）" if state.ended_on else ""
            violations.append(Violation("stage.ended", f"该人员已处于“{defn.stage_name(state.stage)}”状态{since}，不能再办理“{step.name}”"))
        elif step.id in state.done and not step.repeatable:
            violations.append(Violation("step.done", f"“{step.name}”已于 {state.done[step.id]} 完成；如记录有误请使用更正"))
        elif step.id in state.returned:
            violations.append(Violation("review.returned", f"“{step.name}”已于 {state.returned[step.id]} 退回党支部，"
                                        "须等党支部重新报送后再办理"))
        else:
            missing = [proc.steps[r].name for r in step.requires if r not in state.done]
            if missing:
                violations.append(
                    Violation("step.requires", f"{step.name}须先完成：{'、'.join(missing)}（{step.citation.label()}）", step.citation.article)
                )
            elif state.stage not in proc.step_stages[step.id]:  # proc.can(f"step:{step.id}", stage)
                violations.append(Violation("stage", f"当前阶段为“{defn.stage_name(state.stage)}”，不能{step.name}"))
    evidence, problems = split_review(step, cmd.evidence, normalise)
    violations.extend(problems)
    prior = [(state.done[r], proc.steps[r].name) for r in step.requires if r in state.done]
    latest = max(prior) if prior else (None, "")
    violations.extend(_date_checks(step.name, cmd.occurred_on, ctx, latest[0], latest[1], step.citation))
    for returned, on in state.returned.items():  # a redo after a 退回 is dated on or after it
        if not as_warning and cmd.occurred_on < on and returned in proc.steps and step.id in upstream(proc, returned):
            violations.append(Violation("date.order", f"{step.name}是“{proc.steps[returned].name}”退回后的重新办理，"
                                        f"日期 {cmd.occurred_on} 不能早于退回日期 {on}", "", on))
    if not problems:
        violations.extend(check_rules(Check(proc, step, state, cmd.occurred_on, evidence, ctx)))
    m = ctx.materials
    if m is not None and not as_warning and (problems or outcome_effect(step, evidence, proc, state) not in _NOT_ADOPTED):
        violations.extend(material_violations(m.catalogue, step.id, m.present, m.generated, state=state))
    warnings = []
    if as_warning:
        warnings = [v for v in violations if not v.code.startswith(_NOT_A_FACT)]
        violations = [_void_hint(v) for v in violations if v.code.startswith(_NOT_A_FACT)]
    return evidence, violations, warnings


# What a correction may not record even as a flagged fact: evidence that is malformed or
# self-contradictory (votes beyond those present, a notice ending before it starts, an extension
# outside 6-12 months), or an act that by rule decides nothing (an inquorate meeting, 第二十条; a
# wrong number of sponsors). If that is what really happened, the step was not validly done: the
# record is voided, not corrected. Time rules and people's status stay compliance warnings (a
# correction states what happened and when).
_NOT_A_FACT = ("evidence", "vote.", "count", "people.unknown", "public_notice.order", "extension.")


# Results that adopt nothing: a missing material does not stop recording that a step failed.
_NOT_ADOPTED = (STAY, REJECT, REFUSE)


def _void_hint(v: Violation) -> Violation:
    if v.code.startswith("evidence"):
        return v
    return Violation(v.code, f"{v.message}；如该步骤实际未有效完成，请作废该记录", v.article, v.earliest)


def _step_warnings(defn, state, step_id, on, evidence, ctx, *, correcting: bool = False) -> tuple[StepResult, list[str]]:
    """What recording the step does (late? which outcome?) and the warnings that go with it.

    The result is handed to `apply` so the hot path computes it once."""
    proc = process_for(defn)
    step = proc.steps[step_id]
    warnings = []
    if step_id in proc.working_day_steps:  # a guard that passed on a guessed calendar says so
        warnings += provisional_notes(Check(proc, step, state, on, evidence, ctx))
    warnings += roll_notes(step, evidence, ctx)  # 应到 against the branch's roll (only when the service gave one)
    warnings += tally_notes(step, evidence)  # fewer votes than voters: a miscount, most likely
    result = step_result(proc, step, state, on, evidence, ctx.calendar)
    missed = result.missed
    if missed is not None:
        rule = missed_rule(proc, step, state, evidence, ctx.calendar)
        label = rule.citation.label() if rule else step.citation.label()
        warnings.append(f"逾期：{step.name}最迟应于 {missed}（含当日）完成（{label}），实际 {on}，逾期 {(on - missed).days} 天；已照实记录")
    effect = result.effect
    approving = proc.resolution_for.get(step_id)
    if correcting and (effect == RESOLVE or approving is not None):
        pass  # a correction of a resolution or its approval: what followed it is in the log, not ahead
    elif approving is not None and state.pending is not None:
        warnings.append(approval_words(proc.steps[approving], state.pending, effect, anchor_date(proc, state, "probation_end"), on))
    elif effect == RESOLVE:
        warnings.append(resolution_words(step, evidence, proc.steps[step.outcome.approved_by]))
    elif effect == EXTEND:
        rule = next((r for r in step.rules if r.kind == "extension"), None)
        label = rule.citation.label() if rule else defn.probation_citation.label()
        warnings.append(f"决议延长预备期 {evidence.get('extension_months')} 个月（{label}）")
    elif effect == CANCEL:
        warnings.append("决议取消预备党员资格")
    elif effect == REJECT:
        warnings.append(f"{step.name}未通过：记为“未通过”，可在条件成熟时重新列为发展对象")
    elif effect == STAY and step.outcome is not None:
        warnings.append(f"{step.name}结果为未通过，该步骤仍待完成")
    m = ctx.materials
    if m is not None and not correcting and effect not in _NOT_ADOPTED:
        warnings += material_warnings(m.catalogue, step_id, m.present, m.generated, state=state)
    return result, warnings


def _finish(defn: Definition, before, event: Event, ctx: Context, warnings, resolve=None, history=None,
            result: StepResult | None = None) -> Decision:
    if history is not None:
        after = replay([*history, event], resolve, ctx.calendar)  # recomputes everything from the log
    else:
        after = apply(defn, before, event, ctx.calendar, result)
    target = resolve(after.definition_key) if resolve and after.definition_key != defn.key else defn
    proc = process_for(target)
    outlooks = outlook(proc, after, ctx.calendar)
    return Decision(event, before, after, [], warnings, outlooks, deadlines(proc, after, ctx.calendar, outlooks))


def register(defn: Definition, branch_id: int, cmd: CompleteStep, ctx: Context) -> Decision:
    """A new candidate: the first step of the definition (the application)."""
    first = defn.steps[0]
    if cmd.step != first.id:
        return _refused(None, [Violation("step.first", f"新登记的申请人须从“{first.name}”开始")])
    ev_in = {**cmd.evidence, "received_by": cmd.evidence.get("received_by") or branch_id}
    state = CandidateState(definition_key=defn.key, branch_id=branch_id)
    evidence, violations, _ = _check_step(defn, state, CompleteStep(first.id, cmd.occurred_on, cmd.actor, ev_in), ctx)
    if violations:
        return _refused(None, violations)
    event = Event(1, "step", cmd.occurred_on, ctx.now, cmd.actor, first.id, evidence, definition_key=defn.key)
    return _finish(defn, state, event, ctx, [])


def decide(
    defn: Definition,
    state: CandidateState,
    cmd: Command,
    ctx: Context,
    *,
    history: Sequence[Event] | None = None,
    resolve: Callable[[str], Definition] | None = None,
) -> Decision:
    """What `cmd` would do to a candidate in `state` (pinned to `defn`).

    Corrections, voids and migrations need the `history` (the whole log) and `resolve` (key →
    definition); step completions and exceptional paths work on the state alone (the hot path).
    """
    seq = state.seq + 1
    for field, label in (("reason", "原因"), ("note", "说明")):  # free text kept in the log, as evidence text is
        problem = text_problem(getattr(cmd, field, None) or "", label=label)
        if problem:
            return _refused(state, [Violation(f"{field}.invalid", problem)])
    if isinstance(cmd, CompleteStep):
        evidence, violations, _ = _check_step(defn, state, cmd, ctx)
        if violations:
            return _refused(state, violations)
        result, warnings = _step_warnings(defn, state, cmd.step, cmd.occurred_on, evidence, ctx)
        event = Event(seq, "step", cmd.occurred_on, ctx.now, cmd.actor, cmd.step, evidence,
                      late=result.missed is not None, definition_key=defn.key)
        return _finish(defn, state, event, ctx, warnings, result=result)
    if isinstance(cmd, Exceptional):
        return _exceptional(defn, state, cmd, ctx, seq, history)
    if isinstance(cmd, (Correct, Void)):
        return _correction(defn, state, cmd, ctx, seq, history, resolve)
    if isinstance(cmd, Migrate):
        return _migrate(defn, state, cmd, ctx, seq, resolve, history)
    if isinstance(cmd, (Submit, Return)):
        return _review(defn, state, cmd, ctx, seq)
    raise TypeError(cmd)


def _review(defn, state, cmd: Submit | Return, ctx, seq) -> Decision:
    """报送 and 退回 (engine/review.py): dated on or after the latest recorded step, never ahead of today."""
    proc = process_for(defn)
    latest, latest_name = _latest_step(proc, state)
    if isinstance(cmd, Submit):
        evidence, violations = submit_evidence(cmd.note)
        violations += check_submit(proc, state, cmd.step, cmd.occurred_on)
        what, kind = "报送", "submit"
    else:
        violations = check_return(proc, state, cmd.step, tuple(cmd.reopen), cmd.reason)
        evidence = {"reason": cmd.reason.strip(), "reopened": reopen_closure(proc, state, tuple(cmd.reopen))}
        what, kind = "退回", "return"
    violations += _date_checks(what, cmd.occurred_on, ctx, latest, latest_name, after_what="最近一条记录")
    if violations:
        return _refused(state, violations)
    event = Event(seq, kind, cmd.occurred_on, ctx.now, cmd.actor, cmd.step, evidence,
                  reason=cmd.reason.strip() if isinstance(cmd, Return) else None, definition_key=defn.key)
    return _finish(defn, state, event, ctx, _submit_notes(cmd, state, ctx) if isinstance(cmd, Submit) else [])


def _submit_notes(cmd: Submit, state, ctx) -> list[str]:
    """报送 goes up whatever is on file, but the branch is told, before it sends, which materials the
    township's step will refuse without (a `block` material) or notice missing (a `warn` one)."""
    m = ctx.materials
    if m is None:
        return []
    blocked = [f"提示：{v.message}；现在报送，乡镇党委将不能同意，请先上传"
               for v in material_violations(m.catalogue, cmd.step, m.present, m.generated, state=state)]
    return blocked + material_warnings(m.catalogue, cmd.step, m.present, m.generated, state=state)


def _exceptional(defn, state, cmd: Exceptional, ctx, seq, history=None) -> Decision:
    """`history`: the log, when known; nothing is then dated before its latest effective event (a
    rejection or a transfer is not a completed step, so the state alone does not show it)."""
    proc = process_for(defn)
    name = ACTION_NAMES.get(cmd.action, cmd.action)
    if cmd.action not in EXCEPTIONAL_KINDS:
        return _refused(state, [Violation("action.unknown", f"未知操作“{cmd.action}”")])
    latest, latest_name = _latest_step(proc, state)
    if history:
        last = max(effective_events(history), key=lambda e: (e.occurred_on, e.seq))
        if latest is None or last.occurred_on > latest:
            step = proc.steps.get(last.step) if last.step else None
            latest = last.occurred_on
            latest_name = step.name if step else ACTION_NAMES.get(last.kind, last.kind)
    violations = _date_checks(name, cmd.occurred_on, ctx, latest, latest_name, after_what="最近一条记录")
    if not proc.can(cmd.action, state.stage):
        violations.append(Violation("stage", f"当前阶段为“{defn.stage_name(state.stage)}”，不能{name}"))
    if cmd.action != "reconsider" and not cmd.reason.strip():
        violations.append(Violation("reason.missing", f"{name}须记录原因或依据"))
    evidence = dict(cmd.evidence)
    if cmd.action == "transfer":
        if cmd.to_branch_id is None:
            violations.append(Violation("transfer.branch", "转接须指明转入的党支部"))
        elif cmd.to_branch_id == state.branch_id:
            violations.append(Violation("transfer.branch", "转入党支部与当前党支部相同"))
        evidence["to_branch_id"] = cmd.to_branch_id
        evidence["from_branch_id"] = state.branch_id
    if violations:
        return _refused(state, violations)
    event = Event(seq, cmd.action, cmd.occurred_on, ctx.now, cmd.actor, None, evidence, reason=cmd.reason, definition_key=defn.key)
    warnings = ["培养考察时间连续计算（细则第十二条）"] if cmd.action == "transfer" else []
    if cmd.action == "cancel_probation" and proc.resolution_for:
        warnings.append("取消预备党员资格须经支部大会讨论通过和上级党组织批准（党章第七条）：本记录以上级党委批准的日期登记")
    return _finish(defn, state, event, ctx, warnings)


def _latest_step(proc, state: CandidateState) -> tuple[date | None, str]:
    """The latest recorded step (date, name): nothing can be recorded as happening before it."""
    if not state.done:
        return state.applied_on, proc.definition.steps[0].name
    sid = max(state.done, key=lambda s: state.done[s])
    return state.done[sid], proc.steps[sid].name if sid in proc.steps else sid


# Keys a correction may set on an exceptional event (all branch ids), with their Chinese labels.
_EXCEPTIONAL_KEYS: dict[str, dict[str, str]] = {
    "transfer": {"to_branch_id": "转入党支部", "from_branch_id": "转出党支部"},
}


def _branch_id(value) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    n = int(str(value).strip())
    if n <= 0:
        raise ValueError(value)
    return n


def _exceptional_evidence(target: Event, changes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Evidence of a corrected exceptional event: only that kind's own keys, with valid values.
    (Whether a branch exists is the service's business.)"""
    name = ACTION_NAMES.get(target.kind, target.kind)
    allowed = _EXCEPTIONAL_KEYS.get(target.kind, {})
    evidence = dict(target.evidence)
    problems = []
    for key, value in changes.items():
        if key not in allowed:
            can = "、".join(f"{k}（{label}）" for k, label in allowed.items()) or "无，只能更正日期"
            problems.append(Violation("evidence.unknown", f"{name}记录没有“{key}”这一记录项，可更正：{can}"))
            continue
        try:
            evidence[key] = _branch_id(value)
        except (TypeError, ValueError):
            problems.append(Violation("evidence.invalid", f"{name}的“{allowed[key]}”应为一个党支部，请从列表中选择"))
    if not problems and target.kind == "transfer" and evidence.get("to_branch_id") == evidence.get("from_branch_id"):
        problems.append(Violation("transfer.branch", "转入党支部与转出党支部相同"))
    return evidence, problems


def _correction(defn, state, cmd, ctx, seq, history, resolve) -> Decision:
    if history is None or resolve is None:
        raise ValueError("corrections need the candidate's history and a definition resolver")
    if not cmd.reason.strip():
        return _refused(state, [Violation("reason.missing", "更正或作废须记录原因")])
    current = {e.seq: e for e in effective_events(history)}
    target = current.get(cmd.seq)
    if target is None:
        what = "作废" if isinstance(cmd, Void) else "更正"
        gone = next((e for e in history if e.seq == cmd.seq), None)
        why = (f"更正或作废记录本身不能再{what}；如需改动，请再更正原记录" if gone is not None and gone.kind in ("correct", "void")
               else "该记录已被作废" if gone is not None else "该记录不存在")
        return _refused(state, [Violation("correct.unknown", f"没有可{what}的第 {cmd.seq} 条记录：{why}")])
    if isinstance(cmd, Void):
        if target.seq == 1:
            return _refused(state, [Violation("void.first", "入党申请记录不能作废；如整条登记有误，请更正或登记撤回")])
        event = Event(seq, "void", target.occurred_on, ctx.now, cmd.actor, target.step, {}, supersedes=cmd.seq,
                      reason=cmd.reason, definition_key=target.definition_key)
        return _check_replay(defn, state, event, ctx, history, resolve, [])
    if target.kind == "migrate":
        return _refused(state, [Violation("correct.migrate", "迁移记录不能更正；如需改用其他流程，请再登记一次迁移")])
    on = cmd.occurred_on or target.occurred_on
    if on > ctx.today:
        return _refused(state, [Violation("date.future", f"更正后的日期 {on} 晚于今天（{ctx.today}）")])
    evidence = dict(target.evidence if cmd.evidence is None else {**target.evidence, **cmd.evidence})
    warnings: list[str] = []
    findings: list[Finding] = []
    late = False
    if target.kind != "step":
        evidence, problems = _exceptional_evidence(target, cmd.evidence or {})
        if problems:
            return _refused(state, problems)
    else:
        tdefn = resolve(target.definition_key)
        before_target = replay([e for e in effective_events(history) if e.seq < target.seq], resolve, ctx.calendar)
        if before_target is None:  # correcting the application itself
            before_target = CandidateState(definition_key=tdefn.key, branch_id=state.branch_id)
        evidence, violations, soft = _check_step(
            tdefn, before_target, CompleteStep(target.step, on, cmd.actor, evidence), ctx, as_warning=True
        )
        warnings = [f"合规提示：{v.message}" for v in soft]
        findings = [Finding(target.step, v.code, v.article, v.message, on) for v in soft]
        if not violations and target.seq == 1 and "received_by" in target.evidence and "received_by" not in evidence:
            violations.append(Violation("evidence.missing", f"{tdefn.steps[0].name}须保留“接收党组织”（received_by），"
                                        "转接请用转接命令", tdefn.steps[0].citation.article))
        if violations:
            return _refused(state, violations)
        result, more = _step_warnings(tdefn, before_target, target.step, on, evidence, ctx, correcting=True)
        late = result.missed is not None
        warnings += more
    if on == target.occurred_on and dict(evidence) == dict(target.evidence):
        return _refused(state, [Violation("correct.nothing", f"更正后的日期和记录内容与第 {cmd.seq} 条记录相同，没有需要更正的内容")])
    event = Event(seq, "correct", on, ctx.now, cmd.actor, target.step, evidence, supersedes=cmd.seq,
                  reason=cmd.reason, late=late, definition_key=target.definition_key)
    return _check_replay(defn, state, event, ctx, history, resolve, warnings, findings)


def _check_replay(defn, state, event, ctx, history, resolve, warnings, findings=()) -> Decision:
    """A correction must leave a log that still replays and in which every recorded step still has
    its prerequisites (void the later records first); dates out of order are flagged, not refused."""
    try:
        decision = _finish(defn, state, event, ctx, warnings, resolve=resolve, history=history)
    except DomainError as e:
        msgs = "；".join(v.message for v in e.violations)
        return _refused(state, [Violation("correct.breaks", f"该更正会使后续记录无法成立：{msgs}")])
    proc = process_for(resolve(decision.state.definition_key))
    gaps, order = prerequisite_problems(proc, decision.state)
    if gaps:
        return _refused(state, [Violation("correct.breaks", f"该操作会使已完成的“{proc.steps[a].name}”缺少前置步骤"
                                          f"“{proc.steps[b].name}”，请先更正或作废后续记录") for a, b in gaps])
    after_seq = event.supersedes or 0
    already = {p.text for p in later_record_problems(history, after_seq, resolve, ctx.calendar)}
    later = [p for p in later_record_problems([*history, event], after_seq, resolve, ctx.calendar) if p.text not in already]
    if any(p.refuse for p in later):
        return _refused(state, [Violation("correct.breaks", f"该操作会使{p.text}，请先更正或作废后续记录")
                                for p in later if p.refuse])
    decision.findings = list(findings)
    was = set(prerequisite_problems(process_for(resolve(state.definition_key)), state)[1]) if state is not None else set()
    for a, b in order:
        if (a, b) in was:
            continue  # already so before: not this change's doing
        text = f"“{proc.steps[a].name}”的日期早于其前置步骤“{proc.steps[b].name}”的日期"
        decision.warnings.append(f"合规提示：{text}")
        decision.findings.append(Finding(a, "date.order", proc.steps[a].citation.article, text, decision.state.done[a]))
    for p in later:  # dates a later record now precedes (the final state cannot show a step it left undone)
        f = p.finding
        spec = proc.steps.get(f.step)
        if spec is not None and not spec.repeatable and decision.state.done.get(f.step) == f.occurred_on:
            continue  # a step still done with this date: said above from the final state
        decision.warnings.append(f"合规提示：{p.text}")
        decision.findings.append(f)
    new = _later_breaches([*history, event], event.supersedes, resolve, ctx)
    if new:
        old = {w for w, _ in _later_breaches(history, event.supersedes, resolve, ctx)}  # already so: not this change's doing
        for w, f in new:
            if w not in old:
                decision.warnings.append(w)
                decision.findings.append(f)
    return decision


def _later_breaches(events, after_seq: int, resolve, ctx: Context) -> list[tuple[str, Finding]]:
    """Guards of every step recorded after event `after_seq`, re-run against the state just before
    it (a correction of an earlier date can break a later step's "not before" rule, 第十三条)."""
    found: list[tuple[str, Finding]] = []
    for proc, step, before, e in later_step_records(events, after_seq, resolve, ctx.calendar):
        evidence, problems = split_review(step, e.evidence, normalise)
        if problems:
            continue  # was accepted when recorded; nothing to re-check against
        for v in check_rules(Check(proc, step, before, e.occurred_on, evidence, ctx)):
            found.append((f"合规提示：第 {e.seq} 条记录“{step.name}”（{e.occurred_on}）：{v.message}",
                          Finding(e.step, v.code, v.article, f"第 {e.seq} 条记录：{v.message}", e.occurred_on)))
    return found


def prerequisite_problems(proc, state) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(done steps missing a prerequisite, done steps dated before a prerequisite), as step ids."""
    gaps, order = [], []
    for sid, on in state.done.items():
        for r in proc.steps[sid].requires:
            if r not in state.done:
                gaps.append((sid, r))
            elif state.done[r] > on:
                order.append((sid, r))
    return gaps, order


def _migrate(defn, state, cmd: Migrate, ctx, seq, resolve, history=None) -> Decision:
    if resolve is None:
        raise ValueError("migration needs a definition resolver")
    try:
        target = resolve(cmd.to_key)
    except LookupError as e:
        return _refused(state, [Violation("migrate.unknown", str(e))])
    missing = [s for s in state.done if not target.has_step(s)]
    proc = process_for(defn)
    carried = migration_resolution(proc, process_for(target), state, effective_events(history or ()))
    violations = _date_checks("迁移", cmd.occurred_on, ctx, state.applied_on, defn.steps[0].name, after_what="")
    if cmd.occurred_on < target.effective_from:  # a version cannot govern steps before it is in force
        violations.append(Violation("migrate.not_in_force", f"{target.title}自 {target.effective_from} 起施行，"
                                    f"迁移日期 {cmd.occurred_on} 早于施行日期", "", target.effective_from))
    if state.stage in proc.end_states and carried.get("undo") != "cancel":
        violations.append(Violation("stage.ended", f"该人员已处于“{defn.stage_name(state.stage)}”状态，不能迁移流程"))
    if target.key == defn.key:
        violations.append(Violation("migrate.same", f"已在使用{defn.title}"))
    if missing:
        violations.append(Violation("migrate.steps", f"{target.title}中没有已完成的步骤："
                                    f"{'、'.join(defn.step(s).name if defn.has_step(s) else s for s in missing)}"))
    if not cmd.reason.strip():
        violations.append(Violation("reason.missing", "迁移须记录乡镇党委的决定或原因"))
    if violations:
        return _refused(state, violations)
    event = Event(seq, "migrate", cmd.occurred_on, ctx.now, cmd.actor, None, {"from": defn.key, "to": target.key, **carried},
                  reason=cmd.reason, definition_key=defn.key)
    warnings = [f"已迁移到 {target.title}"]
    if carried:
        tproc = process_for(target)
        approver = next(a for a, r in tproc.resolution_for.items() if r == carried["pending"]["step"])
        pending = Resolution.from_dict(carried["pending"])
        warnings.append(f"支部大会 {pending.on} 的决议（{describe(tproc.steps[pending.step], pending)}）按新版规则须经"
                        f"{tproc.steps[approver].name}后生效，已列为待审批（党章第七条）")
    return _finish(defn, state, event, ctx, warnings, resolve=resolve)
