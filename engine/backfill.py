"""Backfill: fold a candidate's history from a ledger (台账) into events and state, as replay does.

A township adopting partyflow brings candidates mid-process whose history is only a row of dates.
`backfill` turns one such row into the event log the live path would have written, in date order,
and the state `replay` gives for it. History is imported as it happened: where a rule was broken
(cultivation under a year, a late approval…) the event is still applied and a `Finding` says which
rule and article — never refused, never silently accepted.

Which rules a row of dates can show (docs/ledger.md):
- "not before" guards (`not_before`: 培养考察满一年 第十三条, 预备期满 第三十二条 …) and the age rule
  (`min_age`, from 出生日期): the guard functions of `engine/rules` run on the dates, exactly as on
  the live path; their violations become findings.
- "within" deadlines (`due_within`, `recurring`): the same lateness test as the live path
  (`decide._step_warnings`); the event is marked `late` as a live late step is. A special-case
  reason that would allow 6 instead of 3 months (第二十五条) is not in the ledger, so the 3 months
  count and the message says so.
- Not checkable, so never reported: votes and quorum, sponsors/mentors being full members, counts
  of people, training hours, 公示 days, 政审 results — the ledger does not carry that evidence and
  inventing it would produce fake findings. Imported events carry `{"imported": true}` instead of
  evidence.

Input that cannot be meant (a step dated before its prerequisite, a later step dated while a
prerequisite is empty, a future date, a stage that contradicts the dates) is a `Problem`: the row is
wrong, nothing is folded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping

from engine.apply import DONE, StepResult, apply, due_date_missed, outcome_effect, step_result
from engine.context import Context
from engine.decide import _step_warnings
from engine.errors import DomainError
from engine.findings import Finding
from engine.process import EXCEPTIONAL, process_for
from engine.resolution import decision_effect, describe
from engine.rules import GUARDS, Check
from engine.state import CandidateState, Event
from engine.timing import Deadline, deadlines
from workflows.model import Definition, StepSpec

# Rule kinds a row of dates (with the birth date) can check. Everything else needs evidence.
# `extension` checks the ledger's 延长预备期(月) column: 6–12 months, once (第三十二条).
DATE_CHECKABLE = frozenset({"not_before", "min_age", "extension"})
ACTOR = "台账导入"
IMPORTED = {"imported": True}
# End states reached by an exceptional action: end stage -> action.
END_ACTIONS = {dest: action for action, (_src, dest) in EXCEPTIONAL.items()
               if dest is not None and action not in ("reconsider",)}


@dataclass(frozen=True)
class LedgerRecord:
    """One ledger row, resolved: the branch, the birth date and the dates of each step."""

    branch_id: int
    birth_date: date | None
    steps: Mapping[str, tuple[date, ...]]  # step id -> its dates (several only for repeatable steps)
    stage: str | None = None  # the stage the ledger states (a stage or end-state id), checked
    ended_on: date | None = None  # when an end state was reached
    extension_months: int = 0
    extended_on: date | None = None  # the branch meeting that extended probation
    # the higher committee's approval of that extension, where the definition makes the meeting's
    # result a resolution (cpc_2014@2, cpc_2026@2: 党章第七条); None there means still pending
    extension_approved_on: date | None = None


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: the column (step id or a layout key) and a Chinese message."""

    column: str
    message: str


@dataclass
class Backfill:
    """What one row folds into. `rows` are the events as plain tuples
    (seq, kind, occurred_on, step, evidence, reason, late) — the bulk writer's input; `events`
    builds the `Event` objects (recorded_at, actor 台账导入, definition_key) on demand."""

    rows: list[tuple] = field(default_factory=list)
    state: CandidateState | None = None
    findings: list[Finding] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    recorded_at: datetime | None = None
    definition_key: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def events(self) -> list[Event]:
        return [Event(seq, kind, on, self.recorded_at, ACTOR, step, evidence, reason=reason, late=late,
                      definition_key=self.definition_key)
                for seq, kind, on, step, evidence, reason, late in self.rows]


def _hdr(step: StepSpec) -> str:
    return f"{step.number} {step.name}"


class _Compiled:
    """What the fold needs of a definition, worked out once per definition version (an import
    folds ~20 events for each of up to 200k rows with the same few definitions)."""

    def __init__(self, defn: Definition) -> None:
        proc = self.proc = process_for(defn)
        self.first = defn.steps[0]
        self.order = tuple((s.id, s.number * 10) for s in defn.steps)
        self.hdr = {s.id: _hdr(s) for s in defn.steps}
        self.evidence = {s.id: _positive_evidence(s) for s in defn.steps}
        # the outcome of a step recorded with its positive evidence ("done" for every step)
        self.effect = {s.id: outcome_effect(s, self.evidence[s.id]) for s in defn.steps}
        # rules a row of dates can check, per step; most steps have none
        self.guards = {s.id: tuple(r for r in s.rules if r.kind in DATE_CHECKABLE) for s in defn.steps}
        # steps that can be late (a "within" rule, or the rhythm of a repeatable step)
        self.timed = {s.id: s.repeatable or any(r.kind == "due_within" for r in s.rules) for s in defn.steps}
        self.trigger = {s.id: f"step:{s.id}" if s.enters else None for s in defn.steps}
        self.checks = tuple((s, self.hdr[s.id], tuple((r, proc.steps[r], self.hdr[r]) for r in s.requires))
                            for s in defn.steps)
        self.extension = _extension_step(defn)
        # approval steps (`outcome.approved_by`): what they do depends on the pending resolution,
        # so their effect is worked out on the live state, never precomputed
        self.live = frozenset(proc.resolution_for)
        self.cancel = _cancel_resolution(defn)
        self._fired: dict[tuple[str, str], str] = {}

    def fire(self, trigger: str, stage: str, what: str) -> str:
        """`Process.fire`, memoised: the machine has no conditions, so (trigger, stage) decides
        the destination (a refused move raises every time, it is never cached)."""
        key = (trigger, stage)
        dest = self._fired.get(key)
        if dest is None:
            dest = self._fired[key] = self.proc.fire(trigger, stage, what)
        return dest


_COMPILED: dict[tuple[str, str], _Compiled] = {}


def _compiled(defn: Definition) -> _Compiled:
    key = (defn.key, defn.sha256)
    c = _COMPILED.get(key)
    if c is None:
        c = _COMPILED[key] = _Compiled(defn)
    return c


def _validate(comp: _Compiled, defn: Definition, rec: LedgerRecord, today: date) -> list[Problem]:
    out: list[Problem] = []
    steps = rec.steps
    first = comp.first
    if not steps.get(first.id):
        out.append(Problem(first.id, f"“{_hdr(first)}”未填日期：每位候选人都须有递交入党申请书的日期"))
    known = comp.proc.steps
    for sid in steps:
        if sid not in known:
            out.append(Problem(sid, f"流程 {defn.key} 没有步骤“{sid}”"))
    for step, hdr, requires in comp.checks:
        dates = steps.get(step.id)
        if not dates:
            continue
        if len(dates) > 1:
            dates = tuple(dates)
            if not step.repeatable:
                out.append(Problem(step.id, f"“{hdr}”只能填一个日期"))
            if list(dates) != sorted(dates):
                out.append(Problem(step.id, f"“{hdr}”的多个日期须按先后顺序填写"))
        if max(dates) > today:
            future = [d for d in dates if d > today]
            out.append(Problem(step.id, f"“{hdr}”的日期 {future[0]} 晚于今天（{today}）"))
        for r, req, rhdr in requires:
            have = steps.get(r)
            if not have:
                if not req.optional:
                    out.append(Problem(step.id, f"“{hdr}”已填日期，但其前置步骤“{rhdr}”未填"))
            elif dates[0] < have[0]:
                out.append(Problem(step.id, f"“{hdr}”的日期 {dates[0]} 早于前置步骤“{rhdr}”的日期 {have[0]}，请核对先后顺序"))
    return out


def _positive_evidence(step: StepSpec) -> dict:
    """What an imported step records: the `imported` marker and, where an outcome field decides
    whether the step counts, its positive value (a vote outcome counts when no vote is recorded)."""
    ev = dict(IMPORTED)
    out = step.outcome
    if out is not None:
        spec = step.field(out.field)
        if spec is not None and spec.type != "vote":
            ev[out.field] = out.positive[0]
    return ev


def _extension_step(defn: Definition) -> tuple[StepSpec, str, str] | None:
    """(step, outcome field, choice value) of the step whose outcome extends probation."""
    for s in defn.steps:
        if s.outcome is not None:
            for value, effect in s.outcome.effects.items():
                if effect == "extend_probation":
                    return s, s.outcome.field, value
    return None


def _cancel_resolution(defn: Definition) -> tuple[StepSpec, dict, StepSpec] | None:
    """(resolving step, its cancelling evidence, approval step) where a cancellation of the
    probation is a resolution the higher committee approves (党章第七条), else None."""
    for s in defn.steps:
        out = s.outcome
        if out is not None and out.approved_by:
            for value, effect in out.effects.items():
                if effect == "cancel_probation":
                    return s, {**IMPORTED, out.field: value}, defn.step(out.approved_by)
    return None


def _rejection(defn: Definition, state: CandidateState) -> tuple[StepSpec, dict] | Problem:
    """The step event that records "未通过": the first open step whose negative outcome rejects."""
    for s in defn.steps:
        if s.outcome is None or s.outcome.negative != "rejected" or s.id in state.done:
            continue
        if not all(r in state.done for r in s.requires):
            break
        spec = s.field(s.outcome.field)
        if spec is None or spec.type == "vote":
            return Problem("stage", f"“未通过”发生在“{_hdr(s)}”（表决未通过）：台账不含表决票数，不能据此导入；"
                                    f"请把当前阶段填为“{defn.stage_name(s.stage)}”导入后，再用 partyflow step 登记表决结果")
        negative = False if spec.type == "bool" else next((c for c in spec.choices if c not in s.outcome.positive), None)
        return s, {**IMPORTED, s.outcome.field: negative}
    return Problem("stage", "当前阶段为“未通过”，但按各步骤日期该候选人尚不是发展对象")


def _guard_findings(proc, step: StepSpec, rules, state: CandidateState, on: date, evidence, ctx: Context
                    ) -> list[Finding]:
    found = []
    check = Check(proc, step, state, on, evidence, ctx)
    for rule in rules:
        if rule.kind == "min_age" and ctx.birth_date is None:
            continue  # unknown birth date: nothing to say (the layout requires one anyway)
        for v in GUARDS[rule.kind](rule, check):
            found.append(Finding(step.id, v.code, v.article, f"{_hdr(step)}：{v.message}", on))
    return found


def _late_finding(defn: Definition, step: StepSpec, state: CandidateState, on: date, evidence, ctx: Context
                  ) -> Finding:
    """The lateness of a step that missed its due date, worded as the live path warns."""
    _result, warnings = _step_warnings(defn, state, step.id, on, evidence, ctx)
    rule = next((r for r in step.rules if r.kind in ("due_within", "recurring")), None)
    text = warnings[0]
    if rule is not None and rule.params.get("max_months") and rule.params.get("reason_field"):
        text += f"（台账未记载特殊情况说明，按{rule.params.get('months')}个月计；有说明的最长{rule.params['max_months']}个月）"
    return Finding(step.id, "late", rule.citation.article if rule else step.citation.article,
                   f"{_hdr(step)}：{text}", on, kind="late")


def _by_date(item) -> tuple:
    return item[0], item[1]


def _extension_items(comp: _Compiled, defn: Definition, rec: LedgerRecord, today: date, items: list) -> list[Problem]:
    """The events of the row's probation extension, added to `items` (or why the columns cannot be meant).

    The branch meeting's sitting that resolved to extend is step 23's earlier event on 延长决定日期.
    Where the definition makes that a resolution (`approved_by`: 党章第七条), the extension takes
    effect on the approval: 延长预备期批准日期 adds the approval step's event on that date; left
    empty, the extension is imported as waiting for approval — unless a later conversion meeting
    shows the township has already decided it, which the row must then say.
    """
    problems: list[Problem] = []
    ext = comp.extension
    steps_of = rec.steps
    probation_from = (steps_of.get(defn.probation_after) or (None,))[0]
    if ext is None:
        return [Problem("extension_months", f"流程 {defn.key} 没有延长预备期的决议")]
    step, fld, value = ext
    approver = comp.proc.steps.get(step.outcome.approved_by) if step.outcome.approved_by else None
    final = (steps_of.get(step.id) or (None,))[-1]
    approved_on = rec.extension_approved_on
    if not rec.extension_months or rec.extended_on is None:
        return [Problem("extension_months", "延长预备期须同时填写“延长预备期(月)”和“延长决定日期”")]
    if probation_from is None or rec.extended_on <= probation_from:
        return [Problem("extended_on", "延长决定日期须晚于接收为预备党员的支部大会日期")]
    if rec.extended_on > today:
        return [Problem("extended_on", f"延长决定日期 {rec.extended_on} 晚于今天（{today}）")]
    if final is not None and final <= rec.extended_on:
        problems.append(Problem("extended_on", f"延长决定日期须早于“{_hdr(step)}”（按期转正的支部大会）的日期 {final}"))
    if approver is None:
        if approved_on is not None:
            problems.append(Problem("extension_approved_on", f"流程 {defn.key} 中延长预备期由支部大会决定即生效，"
                                                             "不填“延长预备期批准日期”"))
    elif approved_on is None:
        if final is not None:
            problems.append(Problem("extension_approved_on", f"延长预备期须经上级党委批准后生效（党章第七条）：已有其后的"
                                                             f"“{_hdr(step)}”日期 {final}，须填写“延长预备期批准日期”"))
    elif approved_on < rec.extended_on:
        problems.append(Problem("extension_approved_on", f"延长预备期批准日期 {approved_on} 早于延长决定日期 {rec.extended_on}"))
    elif approved_on > today:
        problems.append(Problem("extension_approved_on", f"延长预备期批准日期 {approved_on} 晚于今天（{today}）"))
    elif final is not None and final <= approved_on:
        problems.append(Problem("extension_approved_on", f"延长预备期批准日期须早于“{_hdr(step)}”（按期转正的支部大会）的日期 {final}"))
    if problems:
        return problems
    # the same step's earlier sitting, which extended probation: sorted just before its day's steps
    items.append((rec.extended_on, step.number * 10 - 5, step.id,
                  {**IMPORTED, fld: value, "extension_months": rec.extension_months}))
    if approver is not None and approved_on is not None:
        items.append((approved_on, approver.number * 10 - 5, approver.id,
                      {**IMPORTED, approver.outcome.field: approver.outcome.positive[0]}))
    return problems


def backfill(defn: Definition, rec: LedgerRecord, ctx: Context) -> Backfill:
    """The events, state, findings and deadline rows of one ledger row (`ctx.birth_date` should be
    the row's birth date; `ctx.now` is the events' recorded_at).

    The fold is `apply`'s, event by event on one state object (the intermediate states are never
    kept): guards and lateness are checked against the state before each event with the live
    path's own functions (`engine/rules` guards, `due_date_missed`), a positive step is recorded as
    `apply_step` records it, and any other outcome (an extension, an end state) goes through
    `apply` itself. Only the final state's deadlines are computed. tests/unit/test_engine_backfill
    checks the result against `replay` of the events.
    """
    comp = _compiled(defn)
    problems = _validate(comp, defn, rec, ctx.today)
    if problems:
        return Backfill(problems=problems)
    proc = comp.proc
    cal = ctx.calendar
    steps_of = rec.steps
    # (date, order, step id, evidence): steps in date order, same day in step order.
    items: list[tuple[date, int, str, dict]] = []
    positive = comp.evidence
    for sid, order in comp.order:
        dates = steps_of.get(sid)
        if dates:
            ev = positive[sid]
            for d in dates:
                items.append((d, order, sid, ev))
    if rec.extension_months or rec.extended_on or rec.extension_approved_on:
        problems += _extension_items(comp, defn, rec, ctx.today, items)
    if problems:
        return Backfill(problems=problems)
    # a cancelled probation whose row dates the branch meeting: that sitting resolved to cancel, and
    # the cancellation took effect on 结束日期 by the higher committee's approval (党章第七条)
    cancel = comp.cancel if rec.stage == "probation_cancelled" and comp.cancel is not None \
        and steps_of.get(comp.cancel[0].id) else None
    if cancel is not None:
        sitting = max((it[0], i) for i, it in enumerate(items) if it[2] == cancel[0].id and it[3] is positive[it[2]])[1]
        items[sitting] = (*items[sitting][:3], cancel[1])
    items.sort(key=_by_date)
    state = CandidateState(definition_key=defn.key, branch_id=rec.branch_id)
    done, late, entries = state.done, state.late, state.entries
    out = Backfill(recorded_at=ctx.now, definition_key=defn.key)
    rows = out.rows
    findings = out.findings
    steps, guards, timed, trigger, effects = proc.steps, comp.guards, comp.timed, comp.trigger, comp.effect
    first_id = comp.first.id
    live = comp.live
    seq = 0
    try:
        for on, _order, sid, evidence in items:
            seq += 1
            step = steps[sid]
            if sid in live:  # an approval: carries out (or refuses) the pending resolution
                effect = outcome_effect(step, evidence, proc, state)
            else:
                effect = effects[sid] if evidence is positive[sid] else outcome_effect(step, evidence)
            if seq == 1:
                evidence = {**evidence, "received_by": rec.branch_id}
            rules = guards[sid]
            if rules:
                findings += _guard_findings(proc, step, rules, state, on, evidence, ctx)
            missed = due_date_missed(proc, step, state, on, evidence, cal) if timed[sid] else None
            if missed is not None:
                findings.append(_late_finding(defn, step, state, on, evidence, ctx))
            if effect == DONE and sid not in live:  # apply_step's "done", on the one state
                if missed is not None:
                    late[sid] = missed
                done[sid] = on
                if step.repeatable:
                    entries[sid] = entries.get(sid, 0) + 1
                t = trigger[sid]
                if t is not None:
                    state.stage = comp.fire(t, state.stage, step.name)
                    if sid == first_id:
                        state.applied_on = on
                state.seq = seq
            else:
                event = Event(seq, "step", on, ctx.now, ACTOR, sid, evidence, late=missed is not None,
                              definition_key=defn.key)
                state = apply(defn, state, event, cal, StepResult(missed, effect))
                done, late, entries = state.done, state.late, state.entries
            rows.append((seq, "step", on, sid, evidence, None, missed is not None))
        end = rec.stage if rec.stage in proc.end_states else None
        if end is not None:
            last = rows[-1][2]
            if rec.ended_on is None:
                return Backfill(problems=[Problem("ended_on", f"当前阶段为“{defn.stage_name(end)}”，须填写结束日期")])
            if rec.ended_on < last:
                return Backfill(problems=[Problem("ended_on", f"结束日期 {rec.ended_on} 早于最后一个步骤的日期 {last}")])
            if rec.ended_on > ctx.today:
                return Backfill(problems=[Problem("ended_on", f"结束日期 {rec.ended_on} 晚于今天（{ctx.today}）")])
            seq += 1
            if end == "rejected":
                rej = _rejection(defn, state)
                if isinstance(rej, Problem):
                    return Backfill(problems=[rej])
                step, evidence = rej
                result = step_result(proc, step, state, rec.ended_on, evidence, cal)
                event = Event(seq, "step", rec.ended_on, ctx.now, ACTOR, step.id, evidence,
                              late=result.missed is not None, definition_key=defn.key)
                state = apply(defn, state, event, cal, result)
            elif cancel is not None:
                approver = cancel[2]
                evidence = {**IMPORTED, approver.outcome.field: approver.outcome.positive[0]}
                result = step_result(proc, approver, state, rec.ended_on, evidence, cal)
                event = Event(seq, "step", rec.ended_on, ctx.now, ACTOR, approver.id, evidence,
                              late=result.missed is not None, definition_key=defn.key)
                if result.missed is not None:
                    findings.append(_late_finding(defn, approver, state, rec.ended_on, evidence, ctx))
                state = apply(defn, state, event, cal, result)
            else:
                action = END_ACTIONS.get(end)
                if action is None or not proc.can(action, state.stage):
                    return Backfill(problems=[Problem("stage", f"当前阶段填写为“{defn.stage_name(end)}”，但按各步骤日期该候选人为"
                                                               f"“{defn.stage_name(state.stage)}”，不能由此结束")])
                event = Event(seq, action, rec.ended_on, ctx.now, ACTOR, None, {}, reason="台账导入",
                              definition_key=defn.key)
                state = apply(defn, state, event, cal)
            rows.append((event.seq, event.kind, event.occurred_on, event.step, event.evidence, event.reason,
                         event.late))
        elif rec.ended_on is not None:
            return Backfill(problems=[Problem("ended_on", "填写了结束日期，但当前阶段不是已结束的状态（如已撤回、已转出）")])
        elif rec.stage is not None and rec.stage != state.stage:
            return Backfill(problems=[Problem("stage", f"当前阶段填写为“{defn.stage_name(rec.stage)}”，但按各步骤日期应为"
                                                       f"“{defn.stage_name(state.stage)}”")])
    except DomainError as e:  # a stage move the process does not allow
        return Backfill(problems=[Problem("stage", str(e))])
    out.state = state
    out.deadlines = deadlines(proc, state, cal)
    notice = _pending_notice(proc, state)
    if notice is not None:
        findings.append(notice)
    return out


def _pending_notice(proc, state: CandidateState) -> Finding | None:
    """What the preview says of an extension imported as still waiting for the higher committee
    (kind "notice": shown, not stored, broke no rule)."""
    pending = state.pending
    if pending is None:
        return None
    resolving = proc.steps[pending.step]
    if decision_effect(resolving, pending.decision) == DONE:
        return None  # a conversion waiting for its approval: the ordinary open step 24
    approver = proc.steps[resolving.outcome.approved_by]
    return Finding(approver.id, "pending_approval", "党章第七条",
                   f"{_hdr(resolving)}：{pending.on} 的决议（{describe(resolving, pending)}）未填延长预备期批准日期，"
                   f"按待上级党委审批导入，批准前预备期照常计算；批准后在“{_hdr(approver)}”登记（党章第七条）",
                   pending.on, kind="notice")
