"""The review thread of a candidate: per step the branch sends up, every 报送, 退回 and the
committee's record, in order, as both sides see it on the candidate page."""
from __future__ import annotations

import re
from datetime import date
from typing import Any


from engine import CandidateState
from engine.errors import refuse
from engine.apply import effective_events, fold, outcome_of
from engine.resolution import describe
from engine.review import REVIEW_KEY, reopenable, thread_status, upstream
from engine.process import process_for
from engine.state import Event
from services.app import App
from services.casework.history import to_event
from workflows.review import is_filing, is_reviewed, verb

_ACCOUNT = re.compile(r"（[^（）]*）$")


def person_of(actor: str) -> str:
    """The name of who did it, without the account name the log keeps beside it."""
    return _ACCOUNT.sub("", actor or "").strip() or "系统"


def missing_upstream(proc, state, step_id: str) -> list[str]:
    """Every step still to (re)do before `step_id` can be sent, in process order (a return may
    have reopened a chain: 政治审查, then 支部委员会审查)."""
    need = upstream(proc, step_id)
    return [s.name for s in proc.definition.steps if s.id in need and s.id not in state.done]


def review_thread(app: App, candidate_id: int) -> list[dict[str, Any]]:
    """[{step, number, step_name, status, status_name, since, entries: [{kind, kind_name, on, who, text,
    reopened}], reopenable: [{id, name}]}], steps in process order, only those with a review event
    or open for sending now. An unknown candidate is refused by name (`thread 999` from the CLI)."""
    threads = review_threads(app, [candidate_id]).get(candidate_id)
    if threads is None:
        raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")
    return threads


def review_threads(app: App, candidate_ids) -> dict[int, list[dict[str, Any]]]:
    """`review_thread` of several candidates (a queue page) in one read transaction of two
    queries (their states, their logs), whatever their number; ids with no candidate are left out.
    In the order of `candidate_ids` (first occurrence)."""
    ids = list(dict.fromkeys(candidate_ids))
    with app.uow(read_only=True) as uow:
        found = uow.candidates.get_many(ids)
        logs = uow.events.list_for_many([cid for cid in ids if cid in found])
    return {cid: _thread(app, found[cid].state, _events(logs.get(cid, ()))) for cid in ids if cid in found}


def _events(rows) -> list[Event]:
    seq_of = {r.id: r.seq for r in rows}
    return [to_event(r, seq_of) for r in rows]


def load_histories(uow, candidate_ids) -> dict[int, list[Event]]:
    """{candidate id: its log as `load_history` reads it} of `candidate_ids`, in one query per
    thousand ids instead of one per candidate (a candidate without events is left out)."""
    return {cid: _events(rows) for cid, rows in uow.events.list_for_many(candidate_ids).items()}


def resolution_decisions(app: App, history) -> dict[int, dict[str, Any]]:
    """seq of each approval that decided a pending resolution (党章第七条: step 24 under cpc_2014@2)
    -> {approved, resolving (step id), on (the meeting's date), what ("延长预备期 6 个月")}.

    Which resolution an approval decided is not in its own record but in the state before it, so
    the log is folded — only for a log that has such an approval at all."""
    keys = {e.definition_key for e in history if e.definition_key}
    approvers = {a for k in keys for a in _approvers(app, k)}
    if not any(e.kind == "step" and e.step in approvers for e in history):
        return {}
    out = {}
    for defn, before, e in fold(history, app.definition, app.calendar):
        resolving = process_for(defn).resolution_for.get(e.step or "") if e.kind == "step" else None
        if resolving is None or before.pending is None or before.pending.step != resolving:
            continue
        step = defn.step(resolving)
        out[e.seq] = {"approved": outcome_of(defn.step(e.step), e.evidence)[0], "resolving": resolving,
                      "resolving_name": step.name, "on": before.pending.on.isoformat(),
                      "what": describe(step, before.pending)}
    return out


def _approvers(app: App, key: str) -> set[str]:
    try:
        return set(process_for(app.definition(key)).resolution_for)
    except LookupError:
        return set()


def _thread(app: App, snapshot, history) -> list[dict[str, Any]]:
    state = CandidateState.from_dict(snapshot)
    defn = app.definition(state.definition_key)
    proc = process_for(defn)
    events = effective_events(history)
    decided = resolution_decisions(app, history)
    threads: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if not e.step or not defn.has_step(e.step) or not is_reviewed(defn.step(e.step)):
            continue
        if e.kind not in ("submit", "return", "step"):
            continue
        threads.setdefault(e.step, []).append(_entry(e, defn, decided.get(e.seq)))
    out = []
    for step in defn.steps:
        sid = step.id
        if not is_reviewed(step):
            continue
        entries = threads.get(sid) or []
        status = thread_status(proc, state, sid, events, entries[-1]["kind"] if entries else None)
        if status is None or (status == "done" and not entries):
            continue
        since = state.done.get(sid) or state.submitted.get(sid) or state.returned.get(sid)
        if status in ("approved", "refused"):
            since = date.fromisoformat(entries[-1]["on"])
        out.append({
            "step": sid, "number": step.number, "step_name": step.name, "status": status, "verb": verb(step),
            "status_name": {"done": "已备案" if is_filing(step) else "已办理", "submitted": "已报送，待审核",
                            "returned": "已退回，待重新报送", "open": "待报送", "approved": "已批准",
                            "reopened": "须重新办理",
                            "refused": "不批准，须由支部大会重新讨论"}[status],
            "since": since.isoformat() if since else None,
            # a refused resolution goes back to the branch meeting: the step the branch redoes
            "reopens": entries[-1].get("resolving") if status == "refused" else None,
            "waiting_for": missing_upstream(proc, state, sid),
            "entries": entries,
            "reopenable": [{"id": s, "name": defn.step(s).name, "number": defn.step(s).number}
                           for s in reopenable(proc, state, sid)] if status in ("submitted", "open") else [],
        })
    return out


def _entry(e, defn, decision: dict[str, Any] | None = None) -> dict[str, Any]:
    if e.kind == "submit":
        return {"kind": "submit", "kind_name": "报送", "on": e.occurred_on.isoformat(), "who": person_of(e.actor),
                "text": e.evidence.get("note") or "", "reopened": []}
    if e.kind == "return":
        return {"kind": "return", "kind_name": "退回", "on": e.occurred_on.isoformat(), "who": person_of(e.actor),
                "text": e.evidence.get("reason", ""),
                "reopened": [defn.step(s).name for s in e.evidence.get("reopened") or () if defn.has_step(s)]}
    review = e.evidence.get(REVIEW_KEY) or {}
    text = review.get("opinion") or ""
    if review.get("doc_no"):
        text = f"{text}（批复文号：{review['doc_no']}）" if text else f"批复文号：{review['doc_no']}"
    if decision is not None:  # the higher committee decided the branch meeting's resolution
        ok = decision["approved"]
        said = f"支部大会 {decision['on']} 的决议：{decision['what']}"
        text = f"{said}；审批意见：{text}" if text else said
        return {"kind": "approve" if ok else "refuse", "kind_name": "批准" if ok else "不批准",
                "on": e.occurred_on.isoformat(), "who": person_of(e.actor), "text": text,
                "reopened": [] if ok else [decision["resolving_name"]],
                "resolving": decision["resolving"]}
    step = defn.step(e.step) if defn is not None and defn.has_step(e.step) else None
    own = [f"{f.label}：{e.evidence[f.name]}" for f in (step.evidence if step else ())
           if f.type == "docref" and f.label.endswith("文号") and e.evidence.get(f.name)]  # its 备案文号
    text = "；".join([text, *own] if text else own)
    filing = step is not None and is_filing(step)
    return {"kind": "approve", "kind_name": "备案" if filing else "办理", "on": e.occurred_on.isoformat(),
            "who": person_of(e.actor), "text": text, "reopened": []}


def with_reasons(app: App, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Returned items with the reason of their latest 退回 (`reason`), read from their logs (one
    query for all)."""
    with app.uow(read_only=True) as uow:
        histories = load_histories(uow, [i["candidate_id"] for i in items])
    for i in items:
        history = histories.get(i["candidate_id"], [])
        last = next((e for e in reversed(effective_events(history)) if e.kind == "return" and e.step == i["step"]), None)
        i["reason"] = last.evidence.get("reason", "") if last else ""
    return items


def branch_review(app: App, who) -> dict[str, list[dict[str, Any]]]:
    """The branch side's 被退回 (with reasons; a resolution the higher committee refused among
    them), 待报送 and 已报送 items."""
    from services.worklist.reads import review_items
    r = review_items(app, who)
    with_reasons(app, r["returned"])
    r["returned"] = sorted(r["returned"] + refused_resolutions(app, who.scope("branch")),
                           key=lambda i: (i["review_on"] or "", i["candidate_id"]), reverse=True)
    return r


def refused_resolutions(app: App, branch_ids) -> list[dict[str, Any]]:
    """Branch meetings whose resolution the higher committee refused and that have not sat again:
    the open resolving step (第23步), listed with 被退回 like a return — dated on the refusal, with
    the committee's opinion as `reason` and `refused` set (党章第七条; docs/review.md)."""
    from services.worklist.reads import open_items

    def resolving(st, _today):
        return st[0].outcome is not None and bool(st[0].outcome.approved_by)

    out = []
    items = open_items(app, branch_ids, "branch", resolving)
    with app.uow(read_only=True) as uow:
        histories = load_histories(uow, [i["candidate_id"] for i in items])
    for i in items:
        refusal = last_refusal(app, histories.get(i["candidate_id"], []), i["step"])
        if refusal is not None:
            out.append({**i, "review": "returned", "review_on": refusal["on"], "reason": refusal["text"],
                        "refused": True, "waiting_for_names": []})
    return out


def last_refusal(app: App, history, resolving: str) -> dict[str, Any] | None:
    """The higher committee's refusal of `resolving`'s latest resolution ({on, text} as the thread
    words it), if nothing has been recorded for that step since."""
    decided = resolution_decisions(app, history)
    events = effective_events(history)
    for e in reversed(events):
        if e.kind == "step" and e.step == resolving:
            return None  # the branch meeting has sat again
        d = decided.get(e.seq)
        if d is not None and d["resolving"] == resolving:
            return None if d["approved"] else _entry(e, None, d)
    return None
