"""Why a step's prerequisites are not done: the root cause behind a "须先完成" refusal.

The state only knows that a step is not done; the log knows why — the step was recorded as not
passed (政审不合格, 第十六条), a vote failed (第二十条/第三十三条), the higher committee returned it
(退回), a return, an extension or a reconsideration reopened it, or it was simply never recorded.
`root_causes` walks `requires` transitively from a step and says, for each prerequisite that is
not done, what its latest effective record shows, with the article of the rule that decides.

Pure and off the hot path: `decide` works on the state alone; a service calls this only when a
refusal reaches a user (the state gains no field, so stored snapshots keep equalling their replay).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from engine.apply import CANCEL, EXTEND, REJECT, STAY, _steps_on_probation_end, outcome_effect, outcome_of
from engine.process import Process
from engine.state import CandidateState, Event
from workflows.model import Citation, StepSpec

# What a cause is (`Cause.kind`).
FAILED = "failed"  # the latest record is a negative outcome (not passed, not approved)
VOTE = "vote"  # the latest record is a meeting whose vote did not pass
EXTENDED = "extended"  # the latest record extended probation (the step is done again later)
CANCELLED = "cancelled"  # the latest record cancelled probation
RETURNED = "returned"  # the higher committee returned the step to the branch (state.returned)
SUBMITTED = "submitted"  # sent to the higher committee, not yet decided
REOPENED = "reopened"  # done once, reopened by a return, an extension or a reconsideration
MISSING = "missing"  # never recorded (or its records were voided)

# What a negative result means, in the words of the rule: the definition's `outcome.means` (from
# the second version of the rules); for versions published before that key existed, by step id.
# The article always comes from the definition. Other steps get the generic sentence.
_MEANS = {
    "political_review": "政审不合格的，不能发展入党",
    "training": "未经培训合格的，除个别特殊情况外，不能发展入党",
    "pre_review": "预审合格的才发放入党志愿书，提交支部大会讨论",
    "admission_approval": "未经上级党委批准，不能接收为预备党员",
    "conversion_approval": "未经上级党委批准，不能转为正式党员",
}
_GENERIC = "须重新办理并通过后，后续步骤才能办理"
TOLD = object()  # `_own`: the event behind this step's state was already told for another step


@dataclass(frozen=True)
class Cause:
    """One reason a prerequisite is not done, as one Chinese sentence (no ids)."""

    step: str  # the step the cause is about (the failed, returned or missing one)
    kind: str
    on: date | None  # the date of the record that decided it (None: never recorded)
    article: str  # the article of the rule that decides ("" where none is given)
    text: str
    direct: bool  # a direct prerequisite of the step asked about


def _label(c: Citation) -> str:
    return f"（{c.label()}）" if c.article else ""


class _Log:
    """The effective events indexed for the walk: each step's latest record and what came after."""

    def __init__(self, proc: Process, events: Sequence[Event]):
        self.proc = proc
        self.events = list(events)
        self.latest: dict[str, int] = {}  # step -> index of its latest step event
        self.last_return: dict[str, int] = {}  # step -> index of its latest return event
        for i, e in enumerate(self.events):
            if e.kind == "step" and e.step:
                self.latest[e.step] = i
            elif e.kind == "return" and e.step:
                self.last_return[e.step] = i
        self.probation_steps = frozenset(_steps_on_probation_end(proc))
        self.resolution_for: dict[str, str] = getattr(proc, "resolution_for", {})  # approval -> resolving step

    def reopener(self, sid: str, after: int) -> Event | None:
        """The last event after index `after` that reopened `sid` (a return naming it, a
        reconsideration, an extension of probation), if any."""
        found = None
        reopens_on_reconsider = self.proc.definition.reconsider_reopens
        for e in self.events[after + 1:]:
            if e.kind == "return" and sid in (e.evidence.get("reopened") or ()):
                found = e
            elif e.kind == "reconsider" and sid in reopens_on_reconsider:
                found = e
            elif (e.kind == "step" and sid in self.probation_steps and e.step in self.proc.steps
                  and outcome_effect(self.proc.steps[e.step], e.evidence) == EXTEND):
                found = e
            elif e.kind == "step" and self.resolution_for.get(e.step) == sid and self.refused(e):
                found = e
        return found

    def refused(self, e: Event) -> bool:
        """Is `e` an approval step (`outcome.approved_by`, cpc_2014@2) recorded as not approved?"""
        return e.step in self.resolution_for and not outcome_of(self.proc.steps[e.step], e.evidence)[0]

    def resolution(self, approval: Event) -> Event | None:
        """The latest sitting of the resolving step before `approval` (what it did not approve)."""
        sid = self.resolution_for.get(approval.step)
        return next((e for e in reversed(self.events[:self.events.index(approval)])
                     if e.kind == "step" and e.step == sid), None)


def _negative_word(step: StepSpec) -> str:
    spec = step.field(step.outcome.field) if step.outcome else None
    label = spec.label if spec else ""
    if label.endswith("合格"):
        return "不合格"
    if label.startswith("批准"):
        return "不" + label
    return f"“{label}”为否" if label else "未通过"


def _failed(proc: Process, step: StepSpec, e: Event) -> tuple[str, str, str]:
    """(kind, article, sentence) of a record whose outcome was negative."""
    positive, adopted = outcome_of(step, e.evidence)
    if not adopted:  # a meeting whose vote did not pass: the vote rule decides (第二十条/第三十三条)
        rule = next((r for r in step.rules if r.kind == "vote"), None)
        c = rule.citation if rule else step.citation
        return VOTE, c.article, (f"{step.name}于 {e.occurred_on} 表决未通过：赞成人数未超过应到会有表决权党员的半数"
                                 f"{_label(c)}")
    c = step.citation
    spec = step.field(step.outcome.field) if step.outcome else None
    if spec is not None and spec.type == "choice":
        value = spec.choice_label(e.evidence.get(spec.name))
        return FAILED, c.article, f"{step.name}于 {e.occurred_on} 决议为“{value}”，该步骤仍待办理{_label(c)}"
    means = (step.outcome.means if step.outcome is not None else "") or _MEANS.get(step.id, _GENERIC)
    return FAILED, c.article, f"{step.name}于 {e.occurred_on} 记为{_negative_word(step)}：{means}{_label(c)}"


def _return_text(proc: Process, state: CandidateState, ret: Event, redo: list[str]) -> str:
    step = proc.steps[ret.step]
    reason = str(ret.evidence.get("reason") or ret.reason or "").strip()
    why = f"（退回原因：{reason}）" if reason else ""
    todo = f"，须重新办理{'、'.join(proc.steps[s].name for s in redo)}后重新报送" if redo else "，须党支部重新报送"
    return f"{step.name}于 {ret.occurred_on} 被退回党支部{why}{todo}{_label(step.citation)}"


def _reopened(proc: Process, state: CandidateState, log: _Log, sid: str, by: Event, told: set[int]):
    """The cause of a step done once and reopened by `by` (TOLD when `by` was told already)."""
    if by.seq in told:
        return TOLD
    step = proc.steps[sid]
    told.add(by.seq)
    if by.kind == "return":
        redo = [s for s in by.evidence.get("reopened") or () if s in proc.steps and s not in state.done]
        returned = proc.steps.get(by.step)
        article = returned.citation.article if returned else ""
        return REOPENED, by.occurred_on, article, _return_text(proc, state, by, redo)
    if by.kind == "step" and log.refused(by):
        return (REOPENED, by.occurred_on, *_refused(proc, log, by))
    if by.kind == "reconsider":
        redo = "、".join(proc.steps[s].name for s in proc.definition.reconsider_reopens
                        if s in proc.steps and s not in state.done)
        return REOPENED, by.occurred_on, "", f"{by.occurred_on} 重新列为发展对象后，须重新办理{redo or step.name}"
    return (REOPENED, by.occurred_on, *_extension(proc, state, log, by))


def _extension(proc: Process, state: CandidateState, log: _Log, e: Event) -> tuple[str, str]:
    """(article, sentence) of a resolution that extended probation (第三十二条)."""
    meeting = proc.steps[e.step]
    rule = next((r for r in meeting.rules if r.kind == "extension"), None)
    c = rule.citation if rule else proc.definition.probation_citation
    redo = "、".join(s.name for s in proc.definition.steps if s.id in log.probation_steps and s.id not in state.done)
    return c.article, (f"{meeting.name}于 {e.occurred_on} 决议延长预备期 {e.evidence.get('extension_months')} 个月，"
                       f"延长的预备期满后须重新办理{redo or meeting.name}{_label(c)}")


def _refused(proc: Process, log: _Log, approval: Event) -> tuple[str, str]:
    """(article, sentence) of an approval that did not approve the branch meeting's resolution
    (cpc_2014@2, 党章第七条): the resolving step is to be discussed again."""
    step = proc.steps[approval.step]
    meeting = log.resolution(approval)
    what = ""
    if meeting is not None:
        resolving = proc.steps[meeting.step]
        spec = resolving.field(resolving.outcome.field) if resolving.outcome else None
        value = spec.choice_label(meeting.evidence.get(spec.name)) if spec is not None else ""
        months = meeting.evidence.get("extension_months")
        what = f"支部大会 {meeting.occurred_on} 的决议（{value}{f' {months} 个月' if months else ''}）"
        again = resolving.name
    else:
        again = "支部大会讨论"
    return step.citation.article, (f"{step.name}于 {approval.occurred_on} 不批准{what or '支部大会的决议'}，"
                                   f"须重新办理{again}{_label(step.citation)}")


def _own(proc: Process, state: CandidateState, log: _Log, sid: str, told: set[int]):
    """(kind, date, article, sentence) of a step that is not done, from its own records; None when
    they say nothing (never recorded), TOLD when what they say was told already (one return
    reopens several steps; an extension reopens the application and the meeting)."""
    step = proc.steps[sid]
    if sid in state.returned:
        i = log.last_return.get(sid)
        if i is None:
            return RETURNED, state.returned[sid], step.citation.article, f"{step.name}于 {state.returned[sid]} 被退回党支部，须党支部重新报送"
        ret = log.events[i]
        if ret.seq in told:
            return TOLD
        told.add(ret.seq)
        redo = [s for s in ret.evidence.get("reopened") or () if s in proc.steps and s not in state.done]
        return RETURNED, ret.occurred_on, step.citation.article, _return_text(proc, state, ret, redo)
    if sid in state.submitted:
        who = proc.definition.roles.get(step.actor, "上级党委")
        return SUBMITTED, state.submitted[sid], "", f"{step.name}已于 {state.submitted[sid]} 报送，尚待{who}办理"
    i = log.latest.get(sid)
    if i is None:
        return None
    e = log.events[i]
    if log.refused(e):
        if e.seq in told:
            return TOLD
        told.add(e.seq)
        return (FAILED, e.occurred_on, *_refused(proc, log, e))
    by = log.reopener(sid, i)
    if by is not None:
        return _reopened(proc, state, log, sid, by, told)
    effect = outcome_effect(step, e.evidence)
    if effect not in (STAY, REJECT, EXTEND, CANCEL):
        return None  # done (or resolved) once, not done now for a reason the log does not show: missing
    if effect == EXTEND:
        if e.seq in told:
            return TOLD
        told.add(e.seq)
        return (EXTENDED, e.occurred_on, *_extension(proc, state, log, e))
    if effect == CANCEL:
        return CANCELLED, e.occurred_on, step.citation.article, f"{step.name}于 {e.occurred_on} 决议取消预备党员资格{_label(step.citation)}"
    kind, article, text = _failed(proc, step, e)
    return kind, e.occurred_on, article, text


def root_causes(proc: Process, state: CandidateState, events: Sequence[Event], step_id: str) -> list[Cause]:
    """Why `step_id`'s prerequisites are not done: for every prerequisite missing from
    `state.done`, directly or through others, what its latest record in `events` (the candidate's
    effective events, `engine.apply.effective_events`) shows. In step order; [] when nothing is
    missing. A step never recorded whose own prerequisites are done is a `MISSING` cause."""
    log = _Log(proc, events)
    direct = set(proc.steps[step_id].requires)
    found: list[tuple[int, Cause]] = []
    seen: set[str] = set()
    told: set[int] = set()  # seqs of the events already told (a return reopens several steps)

    def visit(sid: str) -> None:
        if sid in seen or sid not in proc.steps or sid in state.done:
            return
        seen.add(sid)
        step = proc.steps[sid]
        own = _own(proc, state, log, sid, told)
        missing = [r for r in step.requires if r in proc.steps and r not in state.done]
        if own is not None and own is not TOLD:
            kind, on, article, text = own
            found.append((step.number, Cause(sid, kind, on, article, text, sid in direct)))
        elif own is None and not missing:
            found.append((step.number, Cause(sid, MISSING, None, step.citation.article,
                                             f"{step.name}尚未办理{_label(step.citation)}", sid in direct)))
        for r in missing:
            visit(r)

    for r in proc.steps[step_id].requires:
        visit(r)
    return [c for _, c in sorted(found, key=lambda x: x[0])]


def sentences(proc: Process, causes: Sequence[Cause]) -> list[str]:
    """The causes as the sentences a refusal adds after its "须先完成" sentence: one per cause; a
    direct prerequisite simply not yet recorded is said by that sentence already, deeper ones
    never recorded are said together ("尚未办理：…")."""
    said = [c.text for c in causes if c.kind != MISSING]
    todo = [c for c in causes if c.kind == MISSING and not c.direct]
    if todo:
        said.append("尚未办理：" + "、".join(proc.steps[c.step].name + _label(proc.steps[c.step].citation) for c in todo))
    return said


def requires_message(proc: Process, state: CandidateState, events: Sequence[Event], step_id: str) -> str | None:
    """The refusal of a step whose prerequisites are missing, with its root causes: the direct
    rule first ("…须先完成：…（细则第…条）", as the engine says it), then `sentences`."""
    step = proc.steps[step_id]
    missing = [proc.steps[r].name for r in step.requires if r in proc.steps and r not in state.done]
    if not missing:
        return None
    head = f"{step.name}须先完成：{'、'.join(missing)}（{step.citation.label()}）"
    return "；".join([head, *sentences(proc, root_causes(proc, state, events, step_id))])
