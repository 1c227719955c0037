"""A step's evidence form, described from the process definition, and its server-side checks.

The web renders `form_fields(...)`; `check_fields` parses each field with the engine's own parser
(engine/evidence.py), one field at a time, so each message lands next to its field. Rules that
involve several facts (the vote, sponsors' party status, the public notice) are the engine's: their
violations come back from `services.casework.candidates.complete_step` and are attached to the field the
rule names, and shown with their article.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Any, Mapping

from engine.errors import Violation
from engine.evidence import VOTE_EXTRA_KEYS, VOTE_KEYS, VOTE_LABELS, VOTE_ROLL_CHECKED, VOTE_ROLL_CHECKED_LABEL, normalise, parse_date
from services.app import App
from workflows.model import FieldSpec, StepSpec

# the parameters of a rule that name the evidence field it is about
_FIELD_PARAMS = ("field", "start_field", "end_field", "days_field", "hours_field", "reason_field")


def vote_parts(spec: FieldSpec) -> list[tuple[str, str]]:
    """The counts of members with a vote (应到 … 书面表决)."""
    return [(k, VOTE_LABELS[k]) for k in VOTE_KEYS]


# under the line "到会但没有表决权的": short, so the three-column grid keeps one line at 360 px
_EXTRA_FORM_LABELS = {"probationary_present": "预备党员", "no_rights_present": "无表决权党员"}


def vote_extra_parts(spec: FieldSpec) -> list[tuple[str, str]]:
    """Who attended without a vote (optional): probationary members, members without voting rights."""
    return [(k, _EXTRA_FORM_LABELS[k]) for k in VOTE_EXTRA_KEYS]


def form_fields(app: App, step: StepSpec, branch_id: int, also: Iterable[int] = ()) -> list[dict[str, Any]]:
    """One dict per evidence field: {name, type, label, required, choices: [(value, label)],
    options: [(id, label)] for people/person/org, parts: [(key, label)] for a vote (extra_parts: its
    attendees without a vote)}. `also`: people
    a record being corrected names, offered even when no longer among the branch's members (a
    correction must not drop a mentor who has since moved or died)."""
    people_opts: list[tuple[int, str]] | None = None
    full_ids: set[int] = set()
    org_opts: list[tuple[int, str]] | None = None
    out = []
    for spec in step.evidence:
        f: dict[str, Any] = {"name": spec.name, "type": spec.type, "label": spec.label, "required": spec.required,
                             "choices": [], "options": [], "parts": [], "min_items": spec.min_items,
                             "max_items": spec.max_items}
        if spec.type == "choice":
            f["choices"] = [(c, spec.choice_label(c)) for c in spec.choices]
        elif spec.type in ("people", "person"):
            if people_opts is None:
                with app.uow(read_only=True) as uow:  # the branch's members: the usual sponsors and mentors
                    members = [p for p in uow.people.list([branch_id]) if p.party_status != "none"]
                    people_opts = [(p.id, f"{p.name}（{'正式党员' if p.party_status == 'full_member' else '预备党员'}）")
                                   for p in members]
                    full_ids = {p.id for p in members if p.party_status == "full_member"}
                    listed = {pid for pid, _ in people_opts}
                    extra = uow.people.by_ids([i for i in also if i not in listed])
                    people_opts += [(p.id, f"{p.name}（原记录）") for p in extra.values()]
                    full_ids |= set(extra)  # a record being corrected keeps the people it names
            # 培养联系人 and 入党介绍人 must be full members (the full_members rule refuses anyone else):
            # the form offers only them, not a name the step would then be refused for
            full_only = any(r.kind == "full_members" and r.params.get("field") == spec.name for r in step.rules)
            f["options"] = [o for o in people_opts if o[0] in full_ids] if full_only else people_opts
        elif spec.type == "org":
            if org_opts is None:
                with app.uow(read_only=True) as uow:
                    org_opts = [(o.id, o.name) for o in uow.orgs.list() if o.level == "branch"]
            f["options"] = org_opts
        elif spec.type == "vote":
            f["parts"] = vote_parts(spec)
            f["extra_parts"] = vote_extra_parts(spec)
            article = next((r.citation.article for r in step.rules if r.kind == "vote" and r.params.get("field") == spec.name
                            and r.citation.article), "")
            f["hint"] = ("应到、实到：只算有表决权的正式党员（预备党员，受留党察看处分或被停止党员权利的党员不算）。"
                         "到会须超过应到的半数，会议方为有效；赞成超过应到的半数为通过，否则记为未通过"
                         + (f"（细则{article}）" if article else "")
                         + "。书面表决：未到会、书面表达意见的人数（其票已计入赞成、反对、弃权）。")
            f["roll_check"] = (VOTE_ROLL_CHECKED, VOTE_ROLL_CHECKED_LABEL)  # ticked when 应到 is far from the roll
            f["extra_hint"] = ("到会但没有表决权的人数（不计入应到、实到，也不投票；没有可不填）。"
                               "无表决权党员：受留党察看处分或被停止党员权利的党员。")
        out.append(f)
    return out


def evidence_from_form(step: StepSpec, form: Mapping[str, Any], getlist) -> tuple[dict[str, Any], dict[str, Any]]:
    """(evidence, typed): the raw evidence for the engine (empty fields left out) and what the user
    typed, keyed as the form names it, to fill the form again after a refusal.

    Form names: `f.<field>`; a vote `f.<field>.<part>`; people may come as several `f.<field>`
    values (checkboxes) or one text of ids.
    """
    evidence: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for spec in step.evidence:
        key = f"f.{spec.name}"
        if spec.type == "vote":
            parts = {k: str(form.get(f"{key}.{k}", "")).strip() for k in (*VOTE_KEYS, *VOTE_EXTRA_KEYS)}
            typed.update({f"{key}.{k}": v for k, v in parts.items()})
            checked = str(form.get(f"{key}.{VOTE_ROLL_CHECKED}", "")).strip()
            typed[f"{key}.{VOTE_ROLL_CHECKED}"] = checked
            if any(parts.values()):  # empty: 书面表决 is 0, the attendees without a vote are left out
                evidence[spec.name] = {k: (v or ("0" if k == "written" else "")) for k, v in parts.items()}
                evidence[spec.name] = {k: v for k, v in evidence[spec.name].items() if v != ""}
                if checked:
                    evidence[spec.name][VOTE_ROLL_CHECKED] = "1"
        elif spec.type == "people":
            values = [str(v).strip() for v in getlist(key) if str(v).strip()]
            typed[key] = values
            if values:
                evidence[spec.name] = ",".join(values)
        else:
            v = str(form.get(key, "")).strip()
            typed[key] = v
            if v:
                evidence[spec.name] = v
    return evidence, typed


def check_fields(step: StepSpec, evidence: Mapping[str, Any], occurred_on: str) -> tuple[dict[str, str], Any]:
    """Per-field messages ({form field: message}, '' = the date field) and the parsed date (or None)."""
    errors: dict[str, str] = {}
    parsed = None
    if not occurred_on.strip():
        errors[""] = "请填写办理日期"
    else:
        try:
            parsed = parse_date(occurred_on)
        except ValueError as e:
            errors[""] = str(e)
    for spec in step.evidence:
        one = replace(step, evidence=(spec,), rules=())
        _, problems = normalise(one, {spec.name: evidence[spec.name]} if spec.name in evidence else {})
        if problems:
            errors[spec.name] = "；".join(p.message.replace(f"{step.name}的", "").replace(f"{step.name}须", "须")
                                         for p in problems)
    return errors, parsed


def attach_violations(step: StepSpec, violations: list[Violation]) -> dict[str, list[str]]:
    """Engine violations next to the field their rule names: {field name: [messages]}."""
    out: dict[str, list[str]] = {}
    for v in violations:
        kind = v.code.split(".")[0]
        for rule in step.rules:
            if rule.kind != kind:
                continue
            for p in _FIELD_PARAMS:
                name = rule.params.get(p)
                if name and step.field(name) is not None:
                    out.setdefault(name, []).append(v.message)
                    break
            break
    return out
