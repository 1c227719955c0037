"""A refused step names the rule that really stops it (engine/prerequisites.py).

Generated from the definition, not hand-listed: every step of cpc_2014 (both versions: @2 makes the
conversion resolution wait for the higher committee), after every prerequisite it has (directly or
through others) was recorded as failed, never recorded, or returned by the higher committee. The
message must name that prerequisite and the article of the rule that decides.
"""
from __future__ import annotations

from datetime import date

import pytest

from engine import CompleteStep, decide, effective_events
from engine.apply import CANCEL, EXTEND, REJECT, STAY, outcome_effect
from engine.commands import Return
from engine.prerequisites import FAILED, MISSING, RETURNED, VOTE, requires_message, root_causes
from engine.process import process_for
from engine.review import HIGHER_ACTORS, reopenable, upstream
from tests.helpers import ORDER, TIMELINE, ctx, definition, evidence, register

KEYS = ("cpc_2014@1", "cpc_2014@2")
DEFN = definition("cpc_2014@1")  # the hand-written cases below; the generated ones run on each of KEYS
PROC = process_for(DEFN)
_PROCS = {k: process_for(definition(k)) for k in KEYS}


def _downstream(p: str, proc=PROC) -> list[str]:
    """The steps that need `p`, directly or through others, in step order."""
    return [s.id for s in proc.definition.steps if p in upstream(proc, s.id)]


def _label(step_id: str, proc=PROC) -> str:
    return proc.steps[step_id].citation.label()


def _failing(step_id: str, proc=PROC) -> list[tuple[str, dict]]:
    """Every way a step's record can have a negative result, from its outcome in the definition:
    (name, evidence overrides). A failed vote (quorate, not adopted), a bool field false, each
    choice that is not positive (an extension with its months)."""
    step = proc.steps[step_id]
    if step.outcome is None:
        return []
    out = []
    for f in step.evidence:
        if f.type == "vote":
            v = dict(evidence(step_id, TIMELINE[step_id])[f.name])
            yes = v["should_attend"] // 2
            out.append(("vote", {f.name: {**v, "yes": yes, "no": v["present"] - yes, "abstain": 0}}))
    spec = step.field(step.outcome.field)
    if spec.type == "bool":
        out.append(("false", {spec.name: False}))
    elif spec.type == "choice":
        for value in spec.choices:
            if value not in step.outcome.positive:
                out.append((value, {spec.name: value, **({"extension_months": 6} if value == "extend" else {})}))
    return out


def _record(state, events, step_id, on, proc=PROC, **overrides):
    d = decide(proc.definition, state, CompleteStep(step_id, on, "测试", evidence(step_id, on, **overrides)), ctx())
    d.raise_if_refused()
    events.append(d.event)
    return d.state


def _build(skip: set[str], until: str | None = None, failed: tuple[str, dict] | None = None, proc=PROC):
    """(state, events): every step of the timeline recorded in order except those in `skip`
    (stopping before `until`), with `failed` = (step, overrides) recorded with a negative result."""
    first = register(proc.definition, 1, CompleteStep("application", TIMELINE["application"], "测试", {}), ctx()).raise_if_refused()
    state, events = first.state, [first.event]
    for sid in ORDER[1:]:
        if sid == until:
            break
        if failed is not None and sid == failed[0]:
            state = _record(state, events, sid, TIMELINE[sid], proc, **failed[1])
        elif sid not in skip:
            state = _record(state, events, sid, TIMELINE[sid], proc)
    return state, events


def _refusal(state, events, step_id, proc=PROC) -> str:
    """The engine's refusal of `step_id` (a "step.requires") and the message with root causes."""
    on = max(TIMELINE.values())
    d = decide(proc.definition, state, CompleteStep(step_id, on, "测试", evidence(step_id, on)), ctx())
    codes = [v.code for v in d.violations]
    assert "step.requires" in codes, (step_id, codes)
    engine_says = next(v.message for v in d.violations if v.code == "step.requires")
    message = requires_message(proc, state, effective_events(events), step_id)
    assert message.startswith(engine_says)  # the direct rule first, as the engine words it
    return message


def _cases(mode: str) -> list:
    """(definition, prerequisite, way it failed, dependents) for every prerequisite that can fail
    that way, in each definition of KEYS."""
    cases = []
    for key, proc in _PROCS.items():
        for p in ORDER[1:]:
            after = _downstream(p, proc)
            if not after:
                continue
            if mode == "missing":
                cases.append(pytest.param(proc, p, None, after, id=f"{key}-{p}"))
            elif mode == "failed":
                for name, overrides in _failing(p, proc):
                    cases.append(pytest.param(proc, p, (name, overrides), after, id=f"{key}-{p}-{name}"))
            elif mode == "returned" and proc.steps[p].actor in HIGHER_ACTORS:
                cases.append(pytest.param(proc, p, None, after, id=f"{key}-{p}"))
    return cases


def test_the_walk_covers_the_definition():
    """The generated cases reach every step that has a prerequisite besides the application (a
    candidate exists only once it is recorded), and each outcome kind."""
    for key, proc in _PROCS.items():
        reached = {s for mode in ("missing", "failed", "returned") for c in _cases(mode) if c.values[0] is proc
                   for s in c.values[3]}
        assert reached == {s.id for s in proc.definition.steps if upstream(proc, s.id) - {"application"}}, key
        assert len(proc.definition.steps) == 25 and len(reached) == 23  # all but the application and the first talk
    assert {c.values[1] for c in _cases("failed")} >= {"political_review", "training", "pre_review",
                                                       "admission_meeting", "conversion_meeting", "conversion_approval"}


@pytest.mark.parametrize("proc,p,_,after", _cases("missing"))
def test_a_prerequisite_never_recorded_is_named(proc, p, _, after):
    state, events = _build(skip={p, *after}, proc=proc)
    for s in after:
        message = _refusal(state, events, s, proc)
        step = proc.steps[p]
        assert step.name in message, (s, message)
        # a direct prerequisite: the step's own rule says it; a deeper one: what is still to do, with its article
        want = _label(s, proc) if p in proc.steps[s].requires else (_label(p, proc) if step.citation.article else "")
        assert want in message, (s, message)
        assert "不合格" not in message and "退回" not in message and "表决未通过" not in message
        causes = root_causes(proc, state, effective_events(events), s)
        assert [(c.step, c.kind) for c in causes] == [(p, MISSING)], (s, causes)


@pytest.mark.parametrize("proc,p,failure,after", _cases("failed"))
def test_a_failed_prerequisite_is_named_with_its_article(proc, p, failure, after):
    state, events = _build(skip=set(after), failed=(p, failure[1]), proc=proc)
    step = proc.steps[p]
    effect = outcome_effect(step, next(e.evidence for e in events if e.step == p))
    if effect in (REJECT, CANCEL):  # an end state: the process itself says it is over
        for s in after:
            d = decide(proc.definition, state, CompleteStep(s, date(2018, 8, 1), "测试", evidence(s, date(2018, 8, 1))), ctx())
            assert [v.code for v in d.violations][:1] == ["stage.ended"] and DEFN.stage_name(state.stage) in d.violations[0].message
        return
    if effect not in (STAY, EXTEND):  # @2: an extension or cancellation is a resolution waiting for approval
        assert step.outcome.approved_by and p in state.done
        return
    if failure[0] == "vote":
        rule = next(r for r in step.rules if r.kind == "vote")
        want, words = rule.citation.label(), "表决未通过"
    elif effect == EXTEND:
        rule = next(r for r in step.rules if r.kind == "extension")
        want, words = rule.citation.label(), "决议延长预备期 6 个月"
    else:
        want, words = _label(p, proc), "不"
    for s in after:
        message = _refusal(state, events, s, proc)
        sentence = next((x for x in message.split("；") if x.startswith(f"{step.name}于 {TIMELINE[p]}")), None)
        assert sentence is not None, (s, message)
        assert words in sentence and want in sentence, (s, message)
        kinds = {c.kind for c in root_causes(proc, state, effective_events(events), s)}
        assert kinds & {FAILED, VOTE, "extended"}, (s, kinds)


def test_the_political_review_chain_reads_as_the_rule():
    """The issue's case: 政审 recorded as failed, then the committee review and the pre-review."""
    state, events = _build(skip=set(_downstream("political_review")),
                           failed=("political_review", {"passed": False}))
    assert _refusal(state, events, "committee_review") == (
        "支部委员会审查须先完成：政治审查（细则第十八条）；"
        "政治审查于 2017-05-10 记为不合格：政审不合格的，不能发展入党（细则第十六条）")
    assert _refusal(state, events, "pre_review") == (
        "上级党委预审须先完成：支部委员会审查（细则第十九条）；"
        "政治审查于 2017-05-10 记为不合格：政审不合格的，不能发展入党（细则第十六条）")


@pytest.mark.parametrize("proc,p,_,after", _cases("returned"))
@pytest.mark.parametrize("reopen", [False, True], ids=["plain", "reopening"])
def test_a_returned_prerequisite_is_named_with_the_reason(proc, p, _, after, reopen):
    state, events = _build(skip=set(), until=p, proc=proc)
    can = reopenable(proc, state, p)
    if reopen and not can:
        pytest.skip(f"{p}: no branch step a return may reopen")
    named = tuple(can[:1]) if reopen else ()
    d = decide(proc.definition, state, Return(p, TIMELINE[p], "测试", "材料不全", named), ctx()).raise_if_refused()
    state = d.state
    events.append(d.event)
    step = proc.steps[p]
    for s in after:
        message = _refusal(state, events, s, proc)
        sentence = next((x for x in message.split("；") if x.startswith(f"{step.name}于 {TIMELINE[p]} 被退回党支部")), None)
        assert sentence is not None, (s, message)
        assert "退回原因：材料不全" in sentence and (_label(p, proc) in sentence or not step.citation.article)
        for r in named:
            assert f"须重新办理{proc.steps[r].name}" in sentence
        assert any(c.kind == RETURNED and c.step == p for c in root_causes(proc, state, effective_events(events), s))


def test_one_return_is_told_once():
    """A return that reopened several steps is one cause, not one per reopened step."""
    state, events = _build(skip=set(), until="pre_review")
    d = decide(DEFN, state, Return("pre_review", date(2017, 6, 9), "测试", "补材料", ("political_review",)), ctx())
    state = d.raise_if_refused().state
    events.append(d.event)
    message = _refusal(state, events, "application_form")
    assert message == ("填写入党志愿书须先完成：上级党委预审（细则未标明条款）；上级党委预审于 2017-06-09 被退回党支部"
                       "（退回原因：补材料），须重新办理政治审查、支部委员会审查后重新报送（细则第十九条）")
    # the committee review, reopened by it, says the same return once
    message = _refusal(state, events, "committee_review")
    assert message.count("退回原因") == 1 and "须重新办理政治审查、支部委员会审查" in message


def test_an_extension_reopens_the_conversion_and_says_so():
    state, events = _build(skip={"conversion_approval", "archive"},
                           failed=("conversion_meeting", {"decision": "extend", "extension_months": 6}))
    message = _refusal(state, events, "conversion_approval")
    assert message == ("上级党委审批须先完成：支部大会讨论转正（细则第三十四条）；支部大会讨论转正于 2018-06-20 决议延长预备期 6 个月，"
                       "延长的预备期满后须重新办理提出转正申请、支部大会讨论转正（细则第三十二条）")
    assert _refusal(state, events, "conversion_meeting").count("延长预备期") == 1


def test_a_prerequisite_passed_after_failing_is_not_a_cause():
    """Only the latest effective record counts: a failed review recorded again as passed is done."""
    state, events = _build(skip=set(_downstream("political_review")), failed=("political_review", {"passed": False}))
    state = _record(state, events, "political_review", date(2017, 5, 20))
    assert requires_message(PROC, state, effective_events(events), "committee_review") is None
    assert root_causes(PROC, state, effective_events(events), "committee_review") == []


def test_a_prerequisite_sent_and_waiting_says_who_decides_it():
    """Sent again after failing: the pending 报送 is what holds the step now, not the old failure."""
    from engine.commands import Submit

    state, events = _build(skip=set(_downstream("pre_review")), failed=("pre_review", {"passed": False}))
    d = decide(DEFN, state, Submit("pre_review", date(2017, 6, 12), "测试"), ctx()).raise_if_refused()
    events.append(d.event)
    assert _refusal(d.state, events, "application_form") == (
        "填写入党志愿书须先完成：上级党委预审（细则未标明条款）；上级党委预审已于 2017-06-12 报送，尚待基层党委（乡镇党委）办理")


def test_a_reconsidered_candidate_is_told_what_to_do_again():
    from engine import Exceptional

    state, events = _build(skip={"admission_filing", "branch_assignment", "oath"}, until="admission_filing",
                           failed=("admission_approval", {"approved": False}))
    d = decide(DEFN, state, Exceptional("reconsider", date(2017, 9, 1), "测试"), ctx(), history=events)
    state = d.raise_if_refused().state
    events.append(d.event)
    assert _refusal(state, events, "committee_talk") == (
        "上级党委派人谈话须先完成：支部大会讨论（细则第二十三条）；"
        "2017-09-01 重新列为发展对象后，须重新办理支部大会讨论、上级党委派人谈话、上级党委审批")


def test_a_refused_resolution_sends_the_meeting_back_and_says_so():
    """cpc_2014@2 (党章第七条): the higher committee did not approve an extension; the meeting is to
    sit again, and both the approval and the archive say why, once."""
    proc = _PROCS["cpc_2014@2"]
    state, events = _build(skip={"conversion_approval", "archive"}, proc=proc,
                           failed=("conversion_meeting", {"decision": "extend", "extension_months": 6}))
    state = _record(state, events, "conversion_approval", date(2018, 7, 10), proc, approved=False)
    refused = ("上级党委审批于 2018-07-10 不批准支部大会 2018-06-20 的决议（延长预备期 6 个月），"
               f"须重新办理支部大会讨论转正（{_label('conversion_approval', proc)}）")
    assert _refusal(state, events, "conversion_approval", proc) == (
        f"上级党委审批须先完成：支部大会讨论转正（{_label('conversion_approval', proc)}）；{refused}")
    assert _refusal(state, events, "archive", proc) == (
        f"材料归档须先完成：上级党委审批（{_label('archive', proc)}）；{refused}")
