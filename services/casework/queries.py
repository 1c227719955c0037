"""Read use cases: what a candidate's record looks like, who is where, what is overdue.

Every function returns plain dicts (JSON-ready: dates as ISO strings) whose shape is documented in
docs/cli.md and declared stable: entrypoints render them, scripts consume them with `--json`.
Shapes may grow new keys; existing keys keep their meaning.

Reads use a read-only unit of work, so a report never queues behind (or blocks) a writer.
"""
from __future__ import annotations

from engine.apply import effective_events
from engine.commands import resolve_step_ref
from engine.evidence import vote_text

from datetime import date, datetime, timezone
from typing import Any, Mapping


from engine import CandidateState, outlook, process_for
from engine.errors import refuse
from engine.process import ACTION_NAMES
from engine.rules.provisional import notice_provisional, notice_recheck
from engine.rules.time_guards import interval_text
from engine.resolution import describe
from engine.state import NEW, Resolution
from engine.timing import StepOutlook, anchor_date
from services.app import SHANGHAI, App
from services.casework.history import load_history
from services.organisation.directory import KIND_NAMES, LEVEL_NAMES, PARTY_STATUS_NAMES, resolve_org
from services.casework.results import CommandResult, event_dict
from storage.repositories import OrgRow
from storage.unit_of_work import UnitOfWork
from workflows.model import Definition, RuleSpec, StepSpec

# Chinese names of event kinds other than "step" (the log shows them in the timeline).
KIND_NAMES_EVENT = {
    **ACTION_NAMES,  # the exceptional paths, named once in engine/process.py
    "step": "办理步骤",
    "disqualify": "取消资格",
    "transfer": "转接组织关系",
    "correct": "更正",
    "void": "作废",
    "submit": "报送",
    "return": "退回",
}
DEADLINE_KIND_NAMES = {"due": "截止", "earliest": "最早", "recurring": "定期"}
_TIME_RULES = ("not_before", "due_within", "recurring", "public_notice")


def _read(app: App) -> UnitOfWork:
    return UnitOfWork(app.engine, read_only=True)


def _definition(app: App, key: str) -> Definition | None:
    try:
        return app.definition(key)
    except LookupError:
        return None


def stage_name(defn: Definition | None, stage: str) -> str:
    if stage == NEW:
        return "未登记"
    return defn.stage_name(stage) if defn else stage


def citation_label(rule_or_step) -> str:
    """The label users see, e.g. 细则第十三条 or 本地规定; reported-but-unverified 2026 changes say so."""
    c = rule_or_step.citation
    return c.label() + ("，未核实" if c.unverified else "")


def _local_time(t: datetime) -> str:
    """Entry time in Asia/Shanghai (storage keeps naive UTC), the same form commands return."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _org_dict(org: OrgRow | None) -> dict | None:
    return None if org is None else {"id": org.id, "code": org.code, "name": org.name}


# ------------------------------------------------------------------ rules in words


def _anchor_name(defn: Definition, anchor: str | None) -> str:
    if anchor == "probation_end":
        return "预备期满"
    if anchor and defn.has_step(anchor):
        return f"“{defn.step(anchor).name}”"
    return anchor or ""


def rule_text(defn: Definition, step: StepSpec, rule: RuleSpec) -> str:
    """One rule in plain Chinese (without its citation), for the process table and help."""
    p = rule.params
    label = lambda f: (step.field(f).label if f and step.field(f) else (f or ""))  # noqa: E731
    k = rule.kind
    if k == "not_before":
        after, span = _anchor_name(defn, p.get("after")), interval_text(p)
        return f"{after}满{span}后方可办理" if span else f"{after}后方可办理"
    if k == "due_within":
        after, span = _anchor_name(defn, p.get("after")), interval_text(p)
        text = f"{after}后{span}内完成" if span else f"{after}时办理"
        if p.get("max_months"):
            text += f"（特殊情况最长{p['max_months']}个月，须记录原因）"
        return text
    if k == "recurring":
        text = f"自{_anchor_name(defn, p.get('after'))}起每{p.get('every_months')}个月一次"
        return text + (f"，至{_anchor_name(defn, p.get('until'))}为止" if p.get("until") else "")
    if k == "public_notice":
        span = f"{p['working_days']}个工作日" if p.get("working_days") else f"{p.get('days')}天"
        return f"公示不少于{span}，期满后方可办理"
    if k == "min_age":
        return f"年满{p.get('years')}周岁"
    if k == "count":
        lo, hi = p.get("min"), p.get("max")
        return f"{label(p.get('field'))}{lo}名" if lo == hi else f"{label(p.get('field'))}{lo or 0}至{hi}名"
    if k == "full_members":
        return f"{label(p.get('field'))}须为正式党员，且不在留党察看期间"
    if k == "vote":
        return "到会有表决权的党员超过应到会有表决权党员的半数，赞成人数超过应到会有表决权党员的半数"
    if k == "passed":
        return f"须“{label(p.get('field'))}”"
    if k == "training":
        return f"集中培训不少于{p.get('min_days')}天或{p.get('min_hours')}学时"
    if k == "not_if":
        return f"{label(p.get('field'))}的，不能通过"
    if k == "extension":
        return f"延长预备期{p.get('min_months')}至{p.get('max_months')}个月，只能延长{p.get('times', 1)}次"
    return k


def _rule_dict(defn: Definition, step: StepSpec, rule: RuleSpec) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "text": rule_text(defn, step, rule),
        "article": rule.citation.article,
        "citation": citation_label(rule),
        "confidence": rule.citation.confidence,
        "unverified": rule.citation.unverified,
    }


# ------------------------------------------------------------------ outlook and evidence


def outlook_dict(defn: Definition, o: StepOutlook) -> dict[str, Any]:
    """`StepOutlook.as_dict()` plus, for each date, its citation ("细则第十三条") and rule text."""
    d = o.as_dict()
    for key in ("earliest", "due", "recurring"):
        rd = getattr(o, key)
        if rd is not None:
            d[key]["citation"] = citation_label(rd.rule)
            d[key]["text"] = rule_text(defn, o.step, rd.rule)
    d["citation"] = citation_label(o.step)
    d["waiting_for_names"] = [defn.step(w).name for w in o.waiting_for]
    return d


def _next_steps(app: App, defn: Definition, state: CandidateState) -> list[dict[str, Any]]:
    return [outlook_dict(defn, o) for o in outlook(process_for(defn), state, app.calendar)]


def evidence_summary(step: StepSpec | None, evidence: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """The evidence in one short Chinese line: labels, votes spelled out, people by name."""
    parts = []
    for key, value in evidence.items():
        if key == "imported":  # the ledger import's marker (engine/backfill.py)
            parts.append("从台账导入")
            continue
        spec = step.field(key) if step else None
        label = spec.label if spec else {"to_branch_id": "转入支部", "from_branch_id": "转出支部",
                                          "from": "原流程", "to": "新流程", "received_by": "接收党组织"}.get(key, key)
        if spec is not None and spec.type == "vote" and isinstance(value, Mapping):
            text = vote_text(value)
        elif spec is not None and spec.type == "people" and isinstance(value, list):
            text = "、".join(names.get(int(x), str(x)) for x in value)
        elif spec is not None and spec.type == "person":
            text = names.get(int(value), str(value))
        elif spec is not None and spec.type == "choice":
            text = spec.choice_label(value)
        elif key == "review" and isinstance(value, Mapping):  # an approval's opinion and 批复文号
            label, text = "审批意见", str(value.get("opinion") or "")
            if value.get("doc_no"):
                text += f"；批复文号：{value['doc_no']}"
        elif isinstance(value, bool):
            text = "是" if value else "否"
        else:
            text = str(value)
        parts.append(f"{label}：{text}")
    return "；".join(parts)


def pending_resolution(proc, state: CandidateState) -> dict[str, Any] | None:
    """The branch meeting's resolution waiting for the higher committee (党章第七条), in words:
    {step, approver, approver_name, on, decision, months, what, text}; None when nothing waits."""
    p = state.pending
    if p is None or p.step not in proc.steps:
        return None
    approver = proc.steps[p.step].outcome.approved_by if proc.steps[p.step].outcome else None
    what = describe(proc.steps[p.step], p)
    name = proc.steps[approver].name if approver in proc.steps else "上级党委审批"
    return {"step": p.step, "approver": approver, "approver_name": name, "on": p.on.isoformat(),
            "decision": p.decision, "months": p.months, "what": what,
            "text": f"支部大会 {p.on} 决议{what}，待{name}后生效"}


def migrate_summary(e, definition) -> dict[str, str]:
    """A migration in words: the rules it left and took up (by title, not key), and a resolution
    it put before the higher committee."""
    def title(key: str) -> str:
        d = definition(key) if key else None
        return d.title if d is not None else str(key)

    out = {"原流程": title(str(e.evidence.get("from", ""))), "新流程": title(str(e.evidence.get("to", "")))}
    pending = e.evidence.get("pending")
    to = definition(str(e.evidence.get("to", "")))
    if pending and to is not None and to.has_step(pending.get("step", "")):
        res = Resolution.from_dict(pending)
        out["转为待审批的决议"] = f"支部大会 {res.on} 决议{describe(to.step(res.step), res)}"
    return out


def _people_ids(defn_of, events) -> set[int]:
    ids: set[int] = set()
    for e in events:
        step = defn_of(e).step(e.step) if e.step and defn_of(e) and defn_of(e).has_step(e.step) else None
        if step is None:
            continue
        for spec in step.evidence:
            v = e.evidence.get(spec.name)
            if spec.type == "people" and isinstance(v, list):
                ids.update(int(x) for x in v if str(x).isdecimal())
            elif spec.type == "person" and str(v).isdecimal():
                ids.add(int(v))
    return ids


# ------------------------------------------------------------------ one candidate


def _load_candidate(uow: UnitOfWork, candidate_id: int):
    row = uow.candidates.get(candidate_id)
    if row is None:
        raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")
    return row


def _notice_notes(step: StepSpec | None, e, cal) -> tuple[str | None, str | None]:
    """(provisional, compliance) notes on a recorded 公示, computed on every showing (never stored):
    counted Monday to Friday while its year's holiday schedule is not loaded; or, once it is, short
    of its working days on the official schedule."""
    if step is None or e.kind not in ("step", "correct"):
        return None, None
    for rule in step.rules:
        if rule.kind == "public_notice":
            provisional = notice_provisional(rule, e.evidence, cal)
            return provisional, None if provisional else notice_recheck(rule, e.evidence, cal)
    return None, None


def superseded_by_returns(history) -> dict[int, int]:
    """seq of each step record a later (effective) 退回 reopened -> the return's seq: the record
    stays in the log, superseded; the redo is a new record."""
    out: dict[int, int] = {}
    effective = effective_events(history)
    for r in (e for e in effective if e.kind == "return"):
        reopened = set(r.evidence.get("reopened") or ())
        for e in effective:
            if e.seq < r.seq and e.kind == "step" and e.step in reopened and e.seq not in out:
                out[e.seq] = r.seq
    return out


def review_summary(e, defn) -> dict[str, Any]:
    """A 报送 or 退回 in the words of the timeline (reason, the steps reopened by name)."""
    if e.kind == "submit":
        return {"报送说明": e.evidence["note"]} if e.evidence.get("note") else {}
    names = [defn.step(s).name for s in e.evidence.get("reopened") or () if defn.has_step(s)]
    return {"须重新办理": "、".join(names)} if names else {}  # the reason is the event's own (shown once)


def show_candidate(app: App, candidate_id: int) -> dict[str, Any]:
    """Everything about one candidate: person, where they stand, the whole log, what comes next.

    Shape: {person, candidate, timeline, next_steps, late} (docs/cli.md "show").
    """
    with _read(app) as uow:
        row = _load_candidate(uow, candidate_id)
        person = uow.people.get(row.person_id)
        state = CandidateState.from_dict(row.state)
        branch = uow.orgs.get(state.branch_id or row.branch_id)
        history = load_history(uow, candidate_id)
        defns: dict[str, Definition | None] = {}

        def defn_of(e) -> Definition | None:
            key = e.definition_key or state.definition_key
            if key not in defns:
                defns[key] = _definition(app, key)
            return defns[key]

        names = {pid: p.name for pid, p in uow.people.by_ids(_people_ids(defn_of, history)).items()}
        branch_ids = {int(e.evidence[k]) for e in history for k in ("to_branch_id", "from_branch_id")
                      if str(e.evidence.get(k, "")).isdecimal()}
        branch_names = {b: (o.name if (o := uow.orgs.get(b)) else str(b)) for b in branch_ids}

    defn = _definition(app, state.definition_key)
    if defn is None:
        raise refuse("definition.unknown", f"候选人 {candidate_id} 所用的流程定义 {state.definition_key} 未找到")
    proc = process_for(defn)
    probation_end = anchor_date(proc, state, "probation_end")

    corrected_by: dict[int, list[int]] = {}
    voided_by: dict[int, int] = {}
    for e in history:
        if e.kind == "correct" and e.supersedes is not None:
            corrected_by.setdefault(e.supersedes, []).append(e.seq)
        elif e.kind == "void" and e.supersedes is not None:
            voided_by[e.supersedes] = e.seq
    returned_by = superseded_by_returns(history)

    timeline = []
    for e in history:
        d = defn_of(e) or defn
        step = d.step(e.step) if e.step and d.has_step(e.step) else None
        item = event_dict(e, {s.id: s.name for s in d.steps})
        item["recorded_at"] = _local_time(e.recorded_at)
        summary_evidence = dict(e.evidence)
        for k in ("to_branch_id", "from_branch_id"):
            if str(summary_evidence.get(k, "")).isdecimal():
                summary_evidence[k] = branch_names.get(int(summary_evidence[k]), summary_evidence[k])
        if e.kind == "step":
            summary_evidence.pop("received_by", None)
        elif e.kind in ("submit", "return"):
            summary_evidence = review_summary(e, d)
        elif e.kind == "migrate":
            summary_evidence = migrate_summary(e, lambda key: _definition(app, key))
        if e.kind in ("submit", "return") and step is not None:  # 报送 / 退回 of a step, not the step itself
            item["step_name"] = f"{KIND_NAMES_EVENT[e.kind]}：第{step.number}步 {step.name}"
            step_number = None
        else:
            step_number = step.number if step else None
        item.update(
            number=step_number,
            kind_name=KIND_NAMES_EVENT.get(e.kind, e.kind),
            evidence_summary=evidence_summary(step, summary_evidence, names),
            status=("correction" if e.kind in ("correct", "void")
                    else "voided" if e.seq in voided_by
                    else "corrected" if e.seq in corrected_by
                    else "returned" if e.seq in returned_by else "effective"),
            returned_by=returned_by.get(e.seq),
            corrected_by=corrected_by.get(e.seq, []),
            voided_by=voided_by.get(e.seq),
        )
        item["provisional"], item["compliance"] = _notice_notes(step, e, app.calendar)
        timeline.append(item)

    return {
        "person": {
            "id": person.id,
            "name": person.name,
            "gender": person.gender,
            "birth_date": person.birth_date.isoformat(),
            "ethnicity": person.ethnicity,
            "education": person.education,
            "occupation": person.occupation,
            "tags": list(person.tags or []),
            "party_status": person.party_status,
        },
        "candidate": {
            "id": row.id,
            "branch": _org_dict(branch),
            "definition_key": defn.key,
            "definition_title": defn.title,
            "stage": state.stage,
            "stage_name": stage_name(defn, state.stage),
            "version": row.version,
            "applied_on": row.applied_on.isoformat(),
            "ended_on": state.ended_on.isoformat() if state.ended_on else None,
            "probation_end": probation_end.isoformat() if probation_end else None,
            "extensions": state.extensions,
            "extension_months": state.extension_months,
            "pending_resolution": pending_resolution(proc, state),
        },
        "timeline": timeline,
        "next_steps": _next_steps(app, defn, state),
        "late": [
            {"step": s, "step_name": defn.step(s).name if defn.has_step(s) else s, "due_on": d.isoformat()}
            for s, d in sorted(state.late.items(), key=lambda kv: kv[1])
        ],
    }


def step_ref(app: App, candidate_id: int, ref: str) -> str:
    """A step id from what a user typed (id, number or name), for reads; writes resolve it inside
    their own transaction (`services.casework.candidates.complete_step` accepts the reference itself)."""
    with _read(app) as uow:
        row = _load_candidate(uow, candidate_id)
    key = (row.state or {}).get("definition_key") or row.definition_key
    defn = _definition(app, key)
    return ref.strip() if defn is None else resolve_step_ref(defn, ref)


def command_view(app: App, result: CommandResult) -> dict[str, Any]:
    """`CommandResult.as_dict()` with the Chinese names filled in (additive: same keys, plus
    stage_name, stage_before_name, event.number, and citations on next_steps)."""
    d = result.as_dict()
    dec = result.decision
    state = dec.state
    defn = _definition(app, state.definition_key) if state else None
    if defn is not None:
        d["stage_name"] = stage_name(defn, state.stage)
        d["stage_before_name"] = stage_name(defn, dec.before.stage) if dec.before else None
        if dec.event is not None:
            d["event"] = event_dict(dec.event, {s.id: s.name for s in defn.steps})
            step = defn.step(dec.event.step) if dec.event.step and defn.has_step(dec.event.step) else None
            d["event"]["number"] = step.number if step else None
            d["event"]["kind_name"] = KIND_NAMES_EVENT.get(dec.event.kind, dec.event.kind)
        d["next_steps"] = [outlook_dict(defn, o) for o in dec.outlook]
    d["definition_key"] = state.definition_key if state else None
    return d


# ------------------------------------------------------------------ lists


def _branch_scope(uow: UnitOfWork, org_ref: str | None) -> list[int] | None:
    """Branch ids under an organisation (a township or county includes all its branches)."""
    if org_ref is None:
        return None
    org = resolve_org(uow, org_ref)
    return uow.orgs.descendants_branch_ids(org.id)


def known_stages(app: App) -> dict[str, str]:
    """Stage id -> Chinese name over every definition (ids are shared across versions)."""
    out: dict[str, str] = {}
    for defn in app.registry.definitions():
        for s in (*defn.stages, *defn.end_states):
            out.setdefault(s.id, s.name)
    return out


def _stage_id(app: App, stage: str | None) -> str | None:
    if stage is None:
        return None
    stages = known_stages(app)
    if stage in stages:
        return stage
    for sid, name in stages.items():
        if name == stage:
            return sid
    raise refuse("stage.unknown", f"没有阶段“{stage}”，可用：{'、'.join(f'{k}（{v}）' for k, v in stages.items())}")


def list_candidates(app: App, org_ref: str | None = None, stage: str | None = None) -> list[dict[str, Any]]:
    """Candidates (optionally under an organisation and in one stage), each with what is next.

    Item: {id, person_id, name, branch, stage, stage_name, definition_key, applied_on, version,
    next_steps: [{step, number, name, earliest, due, provisional}], next_due, late}.
    """
    stage_id = _stage_id(app, stage)
    with _read(app) as uow:
        branch_ids = _branch_scope(uow, org_ref)
        rows = uow.candidates.list(branch_ids, stage_id, limit=None)
        people = uow.people.by_ids({r.person_id for r in rows})
        orgs = uow.orgs.by_ids({r.branch_id for r in rows})  # the rows' branches, not the tree
    out = []
    for r in rows:
        state = CandidateState.from_dict(r.state)
        defn = _definition(app, state.definition_key)
        steps = []
        if defn is not None:
            for o in outlook(process_for(defn), state, app.calendar):
                due = o.due or o.recurring
                steps.append({
                    "step": o.step.id, "number": o.step.number, "name": o.step.name,
                    "earliest": o.earliest.date.isoformat() if o.earliest else None,
                    "due": due.date.isoformat() if due else None,
                    "provisional": bool((o.earliest and o.earliest.provisional) or (due and due.provisional)),
                })
        dated = [s for s in steps if s["due"]]
        nxt = min(dated, key=lambda s: s["due"]) if dated else None
        out.append({
            "id": r.id,
            "person_id": r.person_id,
            "name": people[r.person_id].name if r.person_id in people else "",
            "branch": _org_dict(orgs.get(r.branch_id)),
            "stage": r.stage,
            "stage_name": stage_name(defn, r.stage),
            "definition_key": state.definition_key,
            "applied_on": r.applied_on.isoformat(),
            "version": r.version,
            "next_steps": steps,
            "next_due": {"date": nxt["due"], "step": nxt["step"], "number": nxt["number"], "name": nxt["name"]} if nxt else None,
            "late": len(state.late),
        })
    return out


def overdue(app: App, as_of: date, org_ref: str | None = None, *,
            branch_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Open duties whose due date passed before `as_of` (the deadline projection), under `org_ref`
    or (the web's scope) in `branch_ids`; neither = everywhere.

    Item: {candidate_id, person_id, name, branch, stage, stage_name, step, number, step_name, actor,
    kind, kind_name, due_on, days_overdue, provisional, article, citation}.
    """
    with _read(app) as uow:
        if org_ref is not None or branch_ids is None:
            branch_ids = _branch_scope(uow, org_ref)
        rows = uow.deadlines.overdue(as_of, branch_ids) if branch_ids != [] else []
        orgs = uow.orgs.by_ids({r.branch_id for r in rows})
    out = []
    for r in rows:
        defn = _definition(app, r.definition_key)  # the column follows migrations (and their voids)
        step = defn.step(r.step) if defn and defn.has_step(r.step) else None
        rule = next((x for x in (step.rules if step else ()) if x.kind == ("recurring" if r.kind == "recurring" else "due_within")), None)
        out.append({
            "candidate_id": r.candidate_id,
            "person_id": r.person_id,
            "name": r.person_name,
            "branch": _org_dict(orgs.get(r.branch_id)),
            "stage": r.stage,
            "stage_name": stage_name(defn, r.stage),
            "step": r.step,
            "number": step.number if step else None,
            "step_name": step.name if step else r.step,
            "actor": step.actor if step else None,
            "kind": r.kind,
            "kind_name": DEADLINE_KIND_NAMES.get(r.kind, r.kind),
            "due_on": r.due_on.isoformat(),
            "days_overdue": (as_of - r.due_on).days,
            "provisional": r.provisional,
            "article": r.article or "",
            "citation": citation_label(rule) if rule else (f"细则{r.article}" if r.article else "本地规定"),
        })
    return out


def list_orgs(app: App) -> list[dict[str, Any]]:
    """Item: {id, code, name, level, level_name, kind, kind_name, parent_code, workflow_variant}."""
    with _read(app) as uow:
        orgs = uow.orgs.list()
    by_id = {o.id: o for o in orgs}
    return [{
        "id": o.id, "code": o.code, "name": o.name, "level": o.level, "level_name": LEVEL_NAMES.get(o.level, o.level),
        "kind": o.kind, "kind_name": KIND_NAMES.get(o.kind or "", None),
        "parent_code": by_id[o.parent_id].code if o.parent_id in by_id else None,
        "workflow_variant": o.workflow_variant,
    } for o in orgs]


def list_people(app: App, branch_ref: str | None = None) -> list[dict[str, Any]]:
    """Item: {id, name, gender, birth_date, ethnicity, education, occupation, tags, party_status,
    party_status_name, rights_suspended, branch_code}."""
    with _read(app) as uow:
        rows = uow.people.list(_branch_scope(uow, branch_ref) if branch_ref is not None else None)
        codes = {o.id: o.code for o in uow.orgs.list()}
    return [{
        "id": r.id, "name": r.name, "gender": r.gender, "birth_date": r.birth_date.isoformat(),
        "ethnicity": r.ethnicity, "education": r.education, "occupation": r.occupation, "tags": list(r.tags or []),
        "party_status": r.party_status, "party_status_name": PARTY_STATUS_NAMES.get(r.party_status, r.party_status),
        "rights_suspended": bool(r.rights_suspended), "branch_code": codes.get(r.branch_id),
    } for r in rows]


# ------------------------------------------------------------------ definitions


def list_definitions(app: App) -> list[dict[str, Any]]:
    """Item: {key, id, version, title, effective_from, local, extends, steps, installed}
    (`installed`: from the web admin page, stored in the database, not a shipped file)."""
    registry = app.registry
    return [{
        "key": d.key, "id": d.id, "version": d.version, "title": d.title,
        "effective_from": d.effective_from.isoformat(), "local": d.local, "extends": d.extends,
        "steps": len(d.steps), "installed": registry.is_installed(d.key),
    } for d in registry.definitions()]


def process_table(app: App, key: str | None = None) -> dict[str, Any]:
    """The process of one definition (default: the one in force today) as a table.

    Shape: {key, title, effective_from, local, extends, probation, steps: [{number, id, name, stage,
    stage_name, actor, actor_name, requires, citation, article, rules: [{kind, text, article,
    citation, confidence, unverified}]}]}.
    """
    try:
        defn = app.registry.get(key) if key else app.registry.for_date(app.today())
    except LookupError as e:
        raise refuse("definition.unknown", str(e)) from None
    steps = []
    for s in defn.steps:
        steps.append({
            "number": s.number, "id": s.id, "name": s.name, "stage": s.stage, "stage_name": defn.stage_name(s.stage),
            "actor": s.actor, "actor_name": defn.roles.get(s.actor, s.actor), "requires": list(s.requires),
            "repeatable": s.repeatable, "article": s.citation.article,
            "citation": citation_label(s) if s.citation.article else "",
            "rules": [_rule_dict(defn, s, r) for r in sorted(s.rules, key=lambda r: r.kind not in _TIME_RULES)],
        })
    return {
        "key": defn.key, "title": defn.title, "effective_from": defn.effective_from.isoformat(),
        "local": defn.local, "extends": defn.extends,
        "probation": {"after": defn.probation_after, "months": defn.probation_months,
                      "article": defn.probation_citation.article,
                      "citation": defn.probation_citation.label()},
        "steps": steps,
    }


def is_time_rule(kind: str) -> bool:
    """Rules that set a date (the process table shows them apart from fact rules)."""
    return kind in _TIME_RULES
