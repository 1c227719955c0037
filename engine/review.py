"""The review loop: the branch's 报送 (submit) of a step the higher committee does, and the
committee's 退回 (return) that reopens the branch's steps named in it.

Both are events in the candidate's log (not audit rows), so `replay` gives the same state as the
live path: a return takes the reopened steps out of `state.done` (their records stay in the log,
superseded), and the secretary's redo and resubmission are new events. Approval is the committee's
own step event; its opinion and 批复文号 ride in the event's evidence under `review`.

Why submission is an explicit event, not derived from "the prerequisites are done": the
township's queue must hold what the branch has *sent* (with what it recorded), a return must be
answered by a new sending, and the thread 报送 → 退回 → 再报送 → 审批 must read from the log alone.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from engine.errors import Violation
from engine.state import CandidateState

HIGHER_ACTORS = ("township", "county_org_dept")
MAX_REASON = 500
MAX_OPINION = 500
MAX_DOC_NO = 64
REVIEW_KEY = "review"  # evidence key of an approval's opinion and document number


def _clean(text: Any) -> str:
    return str(text or "").strip()


def _bad_chars(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\n\t" or 0x200B <= ord(c) <= 0x200F or 0x202A <= ord(c) <= 0x202E
               or c == "\ufeff" or 0xD800 <= ord(c) <= 0xDFFF for c in text)


def review_evidence(raw: Any) -> tuple[dict[str, str], list[Violation]]:
    """The `review` part of an approval: {opinion, doc_no}, checked."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [Violation("review.invalid", "审批意见格式不正确")]
    problems: list[Violation] = []
    unknown = set(raw) - {"opinion", "doc_no"}
    if unknown:
        problems.append(Violation("review.invalid", "审批记录只能包含审批意见和批复文号"))
    opinion, doc_no = _clean(raw.get("opinion")), _clean(raw.get("doc_no"))
    if len(opinion) > MAX_OPINION:
        problems.append(Violation("review.opinion", f"审批意见不能超过 {MAX_OPINION} 字"))
    if len(doc_no) > MAX_DOC_NO:
        problems.append(Violation("review.doc_no", f"批复文号不能超过 {MAX_DOC_NO} 字"))
    if _bad_chars(opinion) or _bad_chars(doc_no):
        problems.append(Violation("review.chars", "审批意见或批复文号含有不可见的控制字符，请重新输入"))
    out = {"opinion": opinion}
    if doc_no:
        out["doc_no"] = doc_no
    return out, problems


def split_review(step, evidence: Mapping[str, Any], normalise) -> tuple[dict[str, Any], list[Violation]]:
    """`normalise` (engine.evidence) of a step's evidence, with an approval's `review` part checked
    on its own: only a step the higher committee does carries one."""
    if REVIEW_KEY not in evidence or step.actor not in HIGHER_ACTORS:
        return normalise(step, evidence)
    out, problems = normalise(step, {k: v for k, v in evidence.items() if k != REVIEW_KEY})
    review, more = review_evidence(evidence[REVIEW_KEY])
    if review.get("opinion") or review.get("doc_no"):
        out[REVIEW_KEY] = review
    return out, problems + more


def check_reason(reason: str, what: str) -> list[Violation]:
    reason = _clean(reason)
    if not reason:
        return [Violation("return.reason", f"{what}须填写原因")]
    if len(reason) > MAX_REASON:
        return [Violation("return.reason", f"{what}原因不能超过 {MAX_REASON} 字")]
    if _bad_chars(reason):
        return [Violation("return.reason", f"{what}原因含有不可见的控制字符，请重新输入")]
    return []


_UPSTREAM: dict[tuple[int, str], tuple[Any, frozenset[str]]] = {}  # (id(proc), step) -> (proc, steps)


def upstream(proc, step_id: str) -> set[str]:
    """Every step `step_id` needs, directly or through others (kept per process and step: the
    queue's review threads ask ~1,300 times a page)."""
    hit = _UPSTREAM.get((id(proc), step_id))
    if hit is not None and hit[0] is proc:
        return set(hit[1])
    seen = _upstream(proc, step_id)
    if len(_UPSTREAM) > 10_000:
        _UPSTREAM.clear()
    _UPSTREAM[(id(proc), step_id)] = (proc, frozenset(seen))
    return seen


def _upstream(proc, step_id: str) -> set[str]:
    seen: set[str] = set()
    todo = list(proc.steps[step_id].requires)
    while todo:
        s = todo.pop()
        if s not in seen and s in proc.steps:
            seen.add(s)
            todo.extend(proc.steps[s].requires)
    return seen


def reopen_closure(proc, state: CandidateState, named: tuple[str, ...]) -> list[str]:
    """The steps a return reopens: those named, and every done step that needs one of them (its
    basis changed, so it is done again after the redo; every done step keeps its prerequisites)."""
    out = [s for s in named]
    changed = True
    while changed:
        changed = False
        for sid in state.done:
            if sid not in out and any(r in out for r in proc.steps[sid].requires):
                out.append(sid)
                changed = True
    order = {s.id: s.number for s in proc.definition.steps}
    return sorted(out, key=lambda s: order.get(s, 0))


_REOPENABLE = "_partyflow_reopenable"  # where `reopenable` keeps its answers on the Process
_REOPENABLE_MAX = 4096


def reopenable(proc, state: CandidateState, step_id: str) -> list[str]:
    """Steps a return of `step_id` may name: done branch-side steps that `step_id` needs, other than
    the application, steps that enter a stage and repeatable entries.

    The answer depends only on the process (one per definition version), the step and the set of
    done steps (not their dates nor their order), so it is kept on the Process per (step, done
    steps): a queue page asks for it for every submitted or open step of every item, and the
    items of a township share a few dozen such sets (~130 closures a page before, issue 19)."""
    memo = proc.__dict__.get(_REOPENABLE)
    if memo is None:
        memo = proc.__dict__[_REOPENABLE] = {}
    key = (step_id, frozenset(state.done))
    hit = memo.get(key)
    if hit is None:
        if len(memo) >= _REOPENABLE_MAX:
            memo.clear()
        hit = memo[key] = tuple(_reopenable(proc, state, step_id))
    return list(hit)


def _reopenable(proc, state: CandidateState, step_id: str) -> list[str]:
    first = proc.definition.steps[0].id
    return [s.id for s in proc.definition.steps
            if s.id in upstream(proc, step_id) and s.id in state.done and s.actor not in HIGHER_ACTORS
            and s.id != first and not s.enters and not s.repeatable
            and not any(proc.steps[d].enters or proc.steps[d].repeatable
                        for d in reopen_closure(proc, state, (s.id,)))]  # nor one that would drag a stage back


def reopened_by_return(events, step_id: str) -> bool:
    """Whether the latest word of the log (its effective events, oldest first) on `step_id` is a
    退回 of another step that reopened it: the step is to be done again, whatever it said before."""
    for e in reversed(events):
        if e.kind == "step" and e.step == step_id:
            return False
        if e.kind == "return" and step_id in (e.evidence.get("reopened") or ()):
            return True
    return False


def thread_status(proc, state: CandidateState, step_id: str, events, last_kind: str | None) -> str | None:
    """The status of a sent-up step on its review thread: done / submitted / returned (sent back,
    to be sent again) / open (to be sent) / reopened (a return of a later step reopened it: to be
    done again, not 已批准) / approved or refused (the committee's decision of a resolution that no
    longer counts as done) / None (nothing to show). `events`: the effective log; `last_kind`: the
    kind of the step's latest thread entry (None: no entry)."""
    step = proc.steps[step_id]
    if step_id in state.done:
        return "done"
    if step_id in state.submitted:
        return "submitted"
    if step_id in state.returned:
        return "returned"
    if state.stage not in proc.end_states and all(r in state.done for r in step.requires):
        return "open"
    if last_kind is None:
        return None
    if reopened_by_return(events, step_id):
        return "reopened"
    # a step the log has records of that no longer counts as done: the higher committee decided a
    # resolution (an extension carried out reopens the probation's steps, a refusal reopens the
    # branch meeting) — its decision stays in the thread
    return {"approve": "approved", "refuse": "refused"}.get(last_kind, "done")


def check_submit(proc, state: CandidateState, step_id: str, on: date) -> list[Violation]:
    defn = proc.definition
    step = proc.steps.get(step_id)
    if step is None or step.actor not in HIGHER_ACTORS:
        return [Violation("submit.step", "只有由上级党委办理的步骤需要报送")]
    if state.stage in proc.end_states:
        return [Violation("stage.ended", f"该人员已处于“{defn.stage_name(state.stage)}”状态，不能再报送")]
    if step_id in state.done:
        return [Violation("submit.done", f"“{step.name}”已于 {state.done[step_id]} 办理，无需报送")]
    if step_id in state.submitted:
        return [Violation("submit.pending", f"“{step.name}”已于 {state.submitted[step_id]} 报送，正在等待上级党委审核")]
    missing = [proc.steps[r].name for r in step.requires if r not in state.done]
    if missing:
        return [Violation("submit.requires", f"报送“{step.name}”前须先完成：{'、'.join(missing)}（{step.citation.label()}）",
                          step.citation.article)]
    return []


def check_return(proc, state: CandidateState, step_id: str, reopen: tuple[str, ...], reason: str) -> list[Violation]:
    step = proc.steps.get(step_id)
    if step is None or step.actor not in HIGHER_ACTORS:
        return [Violation("return.step", "只有由上级党委办理的步骤可以退回")]
    problems = check_reason(reason, "退回")
    if state.stage in proc.end_states:
        problems.append(Violation("stage.ended", f"该人员已处于“{proc.definition.stage_name(state.stage)}”状态，不能退回"))
    elif step_id in state.done:
        problems.append(Violation("return.done", f"“{step.name}”已于 {state.done[step_id]} 办理，不能再退回；如记录有误请更正"))
    elif step_id in state.returned:
        problems.append(Violation("return.again", f"“{step.name}”已于 {state.returned[step_id]} 退回党支部，正在等待重新报送"))
    elif any(r not in state.done for r in step.requires):
        problems.append(Violation("return.not_ready", f"“{step.name}”的前置步骤尚未完成，没有可退回的报送"))
    allowed = reopenable(proc, state, step_id)
    for sid in reopen:
        if sid not in allowed:
            name = proc.steps[sid].name if sid in proc.steps else sid
            can = "、".join(proc.steps[s].name for s in allowed) or "无"
            problems.append(Violation("return.reopen", f"退回时不能要求重新办理“{name}”；可要求重新办理：{can}"))
    if len(set(reopen)) != len(reopen):
        problems.append(Violation("return.reopen", "要求重新办理的步骤有重复"))
    return problems


def submit_evidence(note: str) -> tuple[dict[str, Any], list[Violation]]:
    note = _clean(note)
    if len(note) > MAX_REASON:
        return {}, [Violation("submit.note", f"报送说明不能超过 {MAX_REASON} 字")]
    if _bad_chars(note):
        return {}, [Violation("submit.note", "报送说明含有不可见的控制字符，请重新输入")]
    return ({"note": note} if note else {}), []


def apply_submit(state: CandidateState, step_id: str, on: date) -> CandidateState:
    new = state.copy()
    new.submitted[step_id] = on
    new.returned.pop(step_id, None)
    return new


def apply_return(state: CandidateState, step_id: str, on: date, reopened: list[str]) -> CandidateState:
    new = state.copy()
    new.submitted.pop(step_id, None)
    new.returned[step_id] = on
    for sid in reopened:
        new.done.pop(sid, None)
        new.late.pop(sid, None)
    return new
