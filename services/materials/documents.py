"""The standard forms from the record: the facts a form is filled with (`document_facts`) and the
filled Word file (`generate`).

Read-only (one read-only unit of work): the candidate's person, branch and township, and the log
with corrections applied, a record reopened by a 退回 left out, and for each step its latest
record. Evidence comes out ready to print: people by name, choices by their Chinese label, dates
as dates (the template prints 2018年6月20日), votes with their counts, `passed` and `quorum`, an
approval's 审批意见 and 批复文号. A fact the record does not hold is absent, and prints as a blank
line. docs/documents.md lists every fact.

A form needs its step: `generate` refuses (DomainError, nothing produced) a resolution before the
meeting is recorded, a report before the steps it reports on, and so on (documents/forms.yaml
`when`, `decision`, `or_action`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Sequence

import documents
from documents.forms import FORMS, FormSpec
from engine import CandidateState, Event, effective_events, process_for
from engine.calendar import add_months
from engine.errors import refuse
from engine.evidence import VOTE_EXTRA_KEYS, VOTE_KEYS, people_ids
from engine.rules.vote import vote_passed
from engine.timing import anchor_date
from services.app import App
from services.casework.candidates import load_history
from services.casework.queries import superseded_by_returns
from workflows.model import Definition, StepSpec

# short names for the steps templates use most (every step is also under `steps.<id>`)
ALIASES = {
    "application": "application", "first_talk": "first_talk", "activist": "activist_selection",
    "activist_filing": "activist_filing", "target": "target_selection", "target_filing": "target_filing",
    "political_review": "political_review", "training": "training", "committee_review": "committee_review",
    "pre_review": "pre_review", "application_form": "application_form", "admission": "admission_meeting",
    "committee_talk": "committee_talk", "approval": "admission_approval", "admission_filing": "admission_filing",
    "oath": "oath", "conversion_application": "conversion_application", "conversion": "conversion_meeting",
    "conversion_approval": "conversion_approval", "archive": "archive",
}
# the branch meeting a form speaks of (`meeting` in the facts)
MEETING_OF = {"admission_resolution": "admission_meeting", "probationary_notice": "admission_meeting",
              "conversion_resolution": "conversion_meeting", "conversion_notice": "conversion_meeting",
              "extension_decision": "conversion_meeting", "cancellation_decision": "conversion_meeting"}
# the forms whose 公示 is the recorded one of step 7 (the others' dates come from `extra`)
RECORDED_NOTICE = ("target_notice", "target_filing_report")
NOTICE_FORMS = frozenset({"target_notice", "probationary_notice", "conversion_notice"})  # dated by their start
ROW_KEYS = {"序号": "no", "材料名称": "name", "日期": "date", "页数": "pages", "备注": "note"}


@dataclass
class _Record:
    """What the facts are made of, read in one read-only unit of work."""

    row: Any
    person: Any
    state: CandidateState
    defn: Definition
    branch: Any
    township: Any
    county: Any
    events: list[Event]  # effective, without the records a 退回 reopened
    names: dict[int, str]  # person id -> name
    org_names: dict[int, str]


def _read(app: App, candidate_id: int) -> _Record:
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(candidate_id)
        if row is None:
            raise refuse("candidate.unknown", f"找不到候选人 {candidate_id}")
        state = CandidateState.from_dict(row.state)
        defn = app.definition(state.definition_key)
        history = load_history(uow, candidate_id)
        returned = superseded_by_returns(history)
        events = [e for e in effective_events(history) if e.seq not in returned]
        ids: set[int] = set()
        org_ids: set[int] = set()
        for e in events:
            step = _spec(defn, e)
            if step is None:
                continue
            ids.update(people_ids(step, e.evidence))
            org_ids.update(int(v) for f in step.evidence if f.type == "org"
                           and str(v := e.evidence.get(f.name, "")).isdecimal())
        branch = uow.orgs.get(state.branch_id or row.branch_id)
        township = uow.orgs.get(branch.parent_id) if branch is not None and branch.parent_id else None
        county = uow.orgs.get(township.parent_id) if township is not None and township.parent_id else None
        names = {pid: p.name for pid, p in uow.people.by_ids(ids).items()} if ids else {}
        org_names = {o: org.name for o in org_ids if (org := uow.orgs.get(o)) is not None}
        return _Record(row, uow.people.get(row.person_id), state, defn, branch, township, county, events, names,
                       org_names)


def _spec(defn: Definition, e: Event) -> StepSpec | None:
    return defn.step(e.step) if e.kind == "step" and e.step and defn.has_step(e.step) else None


# ------------------------------------------------------------------ one step's facts


def _value(field, value: Any, rec: _Record) -> Any:
    t = field.type
    if t == "people":
        return [rec.names.get(int(x), str(x)) for x in value or () if str(x).isdecimal()]
    if t == "person":
        return rec.names.get(int(value), str(value)) if str(value).isdecimal() else value
    if t == "org":
        return rec.org_names.get(int(value), str(value)) if str(value).isdecimal() else value
    if t == "choice":
        return field.choice_label(value)
    if t == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def step_facts(step: StepSpec, e: Event, rec: _Record) -> dict[str, Any]:
    """One record as a template reads it: {date, name, number, late, <field>: value…}; a choice
    also as <field>_code; a vote's counts (应到 should_attend … written) and `passed` and
    `quorum` beside it; an approval's `review` also as `opinion` and `doc_no`."""
    out: dict[str, Any] = {"date": e.occurred_on, "name": step.name, "number": step.number, "late": e.late}
    for f in step.evidence:
        raw = e.evidence.get(f.name)
        if raw is None:
            continue
        out[f.name] = _value(f, raw, rec)
        if f.type == "choice":
            out[f"{f.name}_code"] = raw
        if f.type == "vote" and isinstance(raw, Mapping):
            counts = {k: int(raw.get(k, 0)) for k in (*VOTE_KEYS, *VOTE_EXTRA_KEYS)}
            out.update(counts)
            out["passed"] = vote_passed(counts)
            out["quorum"] = 2 * counts["present"] > counts["should_attend"]
    review = e.evidence.get("review")
    if isinstance(review, Mapping):
        out["review"] = dict(review)
        out.setdefault("opinion", review.get("opinion"))
        out.setdefault("doc_no", review.get("doc_no"))
    return out


# ------------------------------------------------------------------ which record a form speaks of


def _latest(rec: _Record, step_id: str, decision: Mapping[str, Any] | None = None) -> Event | None:
    """The step's latest record (with `decision`: the latest whose field has that value)."""
    for e in reversed(rec.events):
        if e.kind == "step" and e.step == step_id:
            if decision is None or e.evidence.get(decision["field"]) == decision["value"]:
                return e
    return None


def _approval_of(rec: _Record, meeting: Event | None) -> Event | None:
    """The higher committee's decision on a meeting's resolution: the first approval after it
    (cpc_2014@2 and later: 党章第七条), if the step is approved at all in this definition."""
    if meeting is None:
        return None
    step = rec.defn.step(meeting.step) if rec.defn.has_step(meeting.step) else None
    approver = step.outcome.approved_by if step is not None and step.outcome else None
    if not approver:
        return None
    for e in rec.events:
        if e.seq > meeting.seq and e.kind == "step" and e.step == meeting.step:
            return None  # met again before any approval
        if e.seq > meeting.seq and e.kind == "step" and e.step == approver:
            return e
    return None


def _needs(spec: FormSpec, rec: _Record, step_id: str) -> Event | None:
    """The record the form speaks of, or a Chinese refusal when its step is not there yet."""
    title = spec.title_for(_step_name(rec.defn, step_id), step_id)
    if spec.when == "any":
        return None
    if not rec.defn.has_step(step_id):
        raise refuse("document.step", f"{rec.defn.title}中没有这一步，不能生成{title}")
    step = rec.defn.step(step_id)
    if spec.when == "before":
        missing = [r for r in step.requires if r not in rec.state.done]
        if missing:
            names = "、".join(_step_name(rec.defn, r) or r for r in missing)
            raise refuse("document.needs", f"尚未记录{names}，不能生成{title}")
        return None
    event = _latest(rec, step_id, spec.decision)
    if spec.or_action:
        action = next((e for e in reversed(rec.events) if e.kind == spec.or_action), None)
        if action is not None and (event is None or action.seq > event.seq):
            event = action
    if event is None:
        what = step.name
        if spec.decision:
            f = step.field(spec.decision["field"])
            label = f.choice_label(spec.decision["value"]) if f is not None else spec.decision["value"]
            what = f"{step.name}（决议{label}）"
        raise refuse("document.needs", f"尚未记录{what}，不能生成{title}")
    return event


def _step_name(defn: Definition, step_id: str) -> str | None:
    return defn.step(step_id).name if defn.has_step(step_id) else None


# ------------------------------------------------------------------ the facts


def document_facts(app: App, candidate_id: int, kind: str, *, today: date, step: str | None = None,
                   rows: Sequence[Mapping[str, Any]] | None = None,
                   extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The facts form `kind` is filled with, from candidate `candidate_id`'s record.

    `today`: the date of a document not tied to a recorded step (a report, a notice, the 目录).
    `step`: the step the form is made for, where it serves several (the 批复 of step 17, the
    default, or of step 24 `conversion_approval`); None: the form's own.
    `rows`: the 档案目录's materials, in order: {序号, 材料名称, 日期, 页数, 备注} (or no, name,
    date, pages, note); the caller supplies them. `extra`: facts the record does not hold, merged
    over the built ones (e.g. {"notice": {"start": date(...)}} for a notice about to be posted —
    its end is then counted by the definition's 公示 rule; {"doc_no": "…"}).
    Refuses (DomainError) when the form's step is not recorded yet."""
    spec = documents.form(kind)
    kind = spec.kind
    step_id = step or spec.step
    if step_id not in spec.steps:
        raise refuse("document.step", f"{spec.title}不用于这一步")
    rec = _read(app, candidate_id)
    subject = _needs(spec, rec, step_id)
    defn = rec.defn
    steps: dict[str, dict[str, Any]] = {}
    for e in rec.events:
        s = _spec(defn, e)
        if s is not None:
            steps[s.id] = step_facts(s, e, rec)
    step_name = _step_name(defn, step_id)
    facts: dict[str, Any] = {
        "form": {"kind": kind, "title": spec.title_for(step_name, step_id), "step": step_id, "step_name": step_name,
                 "article": defn.step(step_id).citation.article if defn.has_step(step_id) else None},
        "person": _person(rec.person, today),
        "branch": {"name": rec.branch.name if rec.branch else None},
        "township": {"name": rec.township.name if rec.township else None},
        "county": {"name": rec.county.name if rec.county else None},
        "definition": {"key": defn.key, "title": defn.title},
        "meeting_name": defn.roles.get("branch_meeting") or "党支部大会",
        "committee_name": defn.roles.get("branch_committee") or "党支部委员会",
        "request": _step_name(defn, "target_filing") in FORMS["target_filing_report"].variants,
        "today": today,
        "doc_no": None,
        "steps": steps,
        **{alias: steps[sid] for alias, sid in ALIASES.items() if sid in steps},
        "mentors": (steps.get("mentors_assigned") or {}).get("mentors") or [],
        "sponsors": (steps.get("sponsors") or {}).get("sponsors") or [],
        "probation": _probation(rec),
        "notice": _notice(defn, steps.get("target_selection") if kind in RECORDED_NOTICE else None),
    }
    facts["doc_date"] = subject.occurred_on if subject is not None else today
    if kind in MEETING_OF:
        meeting = subject if subject is not None and subject.kind == "step" else _latest(rec, MEETING_OF[kind])
        facts["meeting"] = step_facts(defn.step(meeting.step), meeting, rec) if meeting is not None else {}
        approval = _approval_of(rec, subject if subject is not None and subject.kind == "step" else None)
        if kind == "extension_decision":
            facts["extension"] = _extension(rec, facts["meeting"], approval)
        if kind == "cancellation_decision":
            facts["cancellation"] = _cancellation(rec, subject, approval)
    if kind == "approval_reply" and subject is not None:
        _reply(rec, subject, facts)
    if kind == "archive_index":
        facts["rows"] = _rows(rows or ())
        facts["total_pages"] = sum(r["pages"] for r in facts["rows"] if isinstance(r["pages"], int))
    if extra:
        _merge(facts, extra)
        _complete_notice(app, defn, facts["notice"])
    facts["doc_date"] = _dated(spec, rec, step_id, facts) or facts["doc_date"]
    return facts


def _dated(spec: FormSpec, rec: _Record, step_id: str, facts: Mapping[str, Any]) -> date | None:
    """The date a form prepared *for* a step bears when the record already shows it used: a 公示
    its start, another form (a 备案报告, a 函调函) the day its step was recorded — not the day it
    happens to be generated. None: the form is being prepared now (dated today) or records a step."""
    if spec.when != "before":
        return None
    start = (facts.get("notice") or {}).get("start")
    if spec.kind in NOTICE_FORMS and isinstance(start, date):
        return start
    used = _latest(rec, step_id)
    return used.occurred_on if used is not None else None


def _person(p, today: date) -> dict[str, Any]:
    if p is None:
        return {}
    age = today.year - p.birth_date.year - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
    return {"name": p.name, "gender": p.gender, "birth_date": p.birth_date, "age": age, "ethnicity": p.ethnicity,
            "education": p.education, "occupation": p.occupation, "tags": list(p.tags or [])}


def _probation(rec: _Record) -> dict[str, Any]:
    """Start (the branch meeting, 第三十二条), the end as first set, the end now (extensions
    included) and, once converted, the day 党龄 counts from (the end of the probation)."""
    d, state = rec.defn, rec.state
    start = state.done.get(d.probation_after)
    if start is None:
        return {}
    end = anchor_date(process_for(d), state, "probation_end")
    converted = state.stage == "full_member" or "conversion_approval" in state.done
    return {"start": start, "original_end": add_months(start, d.probation_months), "end": end,
            "months": d.probation_months + state.extension_months, "converted_on": end if converted else None}


def _notice_span(defn: Definition) -> tuple[str | None, Mapping[str, Any] | None]:
    """The 公示 length of the candidate's rules in words (5个工作日, 7天) and the rule's params."""
    if not defn.has_step("target_selection"):
        return None, None
    rule = next((r for r in defn.step("target_selection").rules if r.kind == "public_notice"), None)
    if rule is None:
        return None, None
    p = rule.params
    if p.get("working_days"):
        return f"{int(p['working_days'])}个工作日", p
    if p.get("days"):
        return f"{int(p['days'])}天", p
    return None, p


def _notice(defn: Definition, target: Mapping[str, Any] | None) -> dict[str, Any]:
    span, _ = _notice_span(defn)
    out: dict[str, Any] = {"span": span}
    if not target:
        return out
    out.update(start=target.get("notice_start"), end=target.get("notice_end"), objections=target.get("objections"))
    if out["end"] is not None:
        out["result"] = (f"公示期间反映的问题：{out['objections']}" if out["objections"]
                         else "公示期间未收到反映的问题")
    return out


def _complete_notice(app: App, defn: Definition, notice: dict[str, Any]) -> None:
    """A notice given a start only (`extra`) ends where the definition's 公示 rule says."""
    start = notice.get("start")
    if isinstance(start, str):
        start = notice["start"] = date.fromisoformat(start)
    if not isinstance(start, date) or notice.get("end"):
        return
    _, params = _notice_span(defn)
    if params and params.get("working_days"):
        notice["end"] = app.calendar.add_working_days(start, int(params["working_days"])).date
    elif params and params.get("days"):
        notice["end"] = date.fromordinal(start.toordinal() + int(params["days"]) - 1)


def _reply(rec: _Record, approval: Event, facts: dict[str, Any]) -> None:
    """The 批复: the approval as `reply` (and its 批复文号 as `doc_no`), the meeting whose resolution
    it answers as `meeting`; for step 24 (`reply.of_conversion`) what that resolution was, in words
    (按期转为正式党员, 延长预备期6个月, 取消预备党员资格)."""
    defn = rec.defn
    step = defn.step(approval.step)
    reply = step_facts(step, approval, rec)
    meeting_step = "conversion_meeting" if approval.step == "conversion_approval" else "admission_meeting"
    meeting = next((e for e in reversed(rec.events) if e.seq < approval.seq and e.kind == "step"
                    and e.step == meeting_step), None)
    facts["meeting"] = step_facts(defn.step(meeting.step), meeting, rec) if meeting is not None else {}
    reply["of_conversion"] = approval.step == "conversion_approval"
    if reply["of_conversion"] and facts["meeting"]:
        m = facts["meeting"]
        months = m.get("extension_months")
        reply["resolution"] = f"{m.get('decision')}{months}个月" if m.get("decision_code") == "extend" and months \
            else m.get("decision")
        reply["converted"] = m.get("decision_code") == "convert" and approval.evidence.get("approved") is True
    facts["reply"] = reply
    facts["doc_no"] = reply.get("doc_no")


def _extension(rec: _Record, meeting: Mapping[str, Any], approval: Event | None) -> dict[str, Any]:
    months = meeting.get("extension_months")
    original = _probation(rec).get("original_end")
    return {"months": months, "new_end": add_months(original, int(months)) if original and months else None,
            "article": _extension_article(rec.defn), **_approval_facts(approval)}


def _cancellation(rec: _Record, subject: Event | None, approval: Event | None) -> dict[str, Any]:
    by_meeting = subject is not None and subject.kind == "step"
    return {"by_meeting": by_meeting, "date": subject.occurred_on if subject is not None else None,
            "reason": None if by_meeting or subject is None else subject.reason,
            "article": _extension_article(rec.defn), **_approval_facts(approval)}


def _approval_facts(approval: Event | None) -> dict[str, Any]:
    if approval is None:
        return {"approved": None, "approval_date": None, "doc_no": None}
    review = approval.evidence.get("review") or {}
    return {"approved": approval.evidence.get("approved"), "approval_date": approval.occurred_on,
            "doc_no": review.get("doc_no")}


def _extension_article(defn: Definition) -> str | None:
    """The article on extending and cancelling a probation (2014 第三十二条, 2026 第三十一条)."""
    if not defn.has_step("conversion_meeting"):
        return None
    rule = next((r for r in defn.step("conversion_meeting").rules if r.kind == "extension"), None)
    return rule.citation.article if rule is not None else None


def _rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The 目录's rows with English keys, numbered where the caller left 序号 out; a bad one is a
    Chinese refusal naming the row."""
    out = []
    for i, raw in enumerate(rows, 1):
        if not isinstance(raw, Mapping):
            raise refuse("document.rows", f"档案目录第{i}行不是一条材料记录")
        r = {ROW_KEYS.get(k, k): v for k, v in raw.items()}
        unknown = set(r) - set(ROW_KEYS.values())
        if unknown:
            raise refuse("document.rows", f"档案目录第{i}行有不认识的栏目：{'、'.join(map(str, sorted(unknown)))}"
                                          f"（可用：{'、'.join(ROW_KEYS)}）")
        pages = r.get("pages")
        if pages not in (None, ""):
            try:
                pages = int(pages)
            except (TypeError, ValueError):
                raise refuse("document.rows", f"档案目录第{i}行的页数“{pages}”不是整数") from None
            if pages < 0:
                raise refuse("document.rows", f"档案目录第{i}行的页数不能为负数")
        else:
            pages = None
        on = r.get("date")
        if isinstance(on, str) and on.strip():
            try:
                on = date.fromisoformat(on.strip())
            except ValueError:
                raise refuse("document.rows", f"档案目录第{i}行的日期“{on}”不是有效日期（例：2018-03-10）") from None
        out.append({"no": r.get("no") or i, "name": r.get("name"), "date": on or None, "pages": pages,
                    "note": r.get("note")})
    return out


def _merge(facts: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(facts.get(k), dict):
            facts[k] = {**facts[k], **v}
        else:
            facts[k] = v


def generate(app: App, candidate_id: int, kind: str, *, today: date, templates_dir: Path | str | None = None,
             step: str | None = None, rows: Sequence[Mapping[str, Any]] | None = None,
             extra: Mapping[str, Any] | None = None) -> tuple[str, bytes]:
    """(file name, .docx bytes) of form `kind` for the candidate, from a township's template in
    `templates_dir` if it has one (`step`, `rows`, `extra`: as `document_facts`). Refuses
    (DomainError) before the form's step is recorded, and for a broken template."""
    name, data, _dated_on = generate_dated(app, candidate_id, kind, today=today, templates_dir=templates_dir,
                                           step=step, rows=rows, extra=extra)
    return name, data


def generate_dated(app: App, candidate_id: int, kind: str, *, today: date, templates_dir: Path | str | None = None,
                   step: str | None = None, rows: Sequence[Mapping[str, Any]] | None = None,
                   extra: Mapping[str, Any] | None = None) -> tuple[str, bytes, date]:
    """`generate`, and the date the document bears (its 落款): the date it is filed under."""
    facts = document_facts(app, candidate_id, kind, today=today, step=step, rows=rows, extra=extra)
    return documents.file_name(kind, facts), documents.render(kind, facts, templates_dir), facts["doc_date"]
