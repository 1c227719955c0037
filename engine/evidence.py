"""Evidence: parse and check the typed fields a step records.

Values arrive from the CLI or web as strings or JSON; they are normalised to JSON-friendly values
(dates as ISO strings, people as lists of ids, votes as dicts of ints) before any rule looks at them.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Mapping

from engine import input_policy
from engine.errors import Violation
from workflows.model import FieldSpec, StepSpec

_TRUE = {"true", "1", "yes", "y", "是", "通过", "同意", "批准"}
_FALSE = {"false", "0", "no", "n", "否", "不通过", "不同意", "不批准"}
# A branch meeting's vote (第二十条、第二十一条). The six counts are of members *with voting rights*
# (正式党员 not under 留党察看 nor 停止党员权利); records made before the attendees without a vote
# were recorded have these six only, and stay valid.
VOTE_KEYS = ("should_attend", "present", "yes", "no", "abstain", "written")
# optional: who attended without a vote (列席的预备党员; 受留党察看处分或被停止党员权利的党员), kept
# only when given so that older records keep their shape
VOTE_EXTRA_KEYS = ("probationary_present", "no_rights_present")
VOTE_LABELS = {"should_attend": "应到", "present": "实到", "yes": "赞成", "no": "反对", "abstain": "弃权",
               "written": "书面表决", "probationary_present": "到会预备党员", "no_rights_present": "到会无表决权党员"}
# The recorder's tick 「应到人数与名册不符，已核实无误」 (engine/rules/vote.py `roll_mismatch`): kept in
# the vote as 1 only when ticked, so the record says the number was checked, not mistyped.
VOTE_ROLL_CHECKED = "roll_checked"
VOTE_ROLL_CHECKED_LABEL = "应到人数与名册不符，已核实无误"
# No branch meeting has this many members with a vote (a branch of over 100 members sets up a
# 党委, 党章第三十条); a larger number is a typing error (99999), never a fact for the record.
VOTE_MAX = 1000
_VOTE_ALIASES = {"应到": "should_attend", "实到": "present", "赞成": "yes", "反对": "no", "弃权": "abstain", "书面": "written",
                 "should": "should_attend", "书面表决": "written", "预备党员": "probationary_present",
                 "到会预备党员": "probationary_present", "列席预备党员": "probationary_present",
                 "预备": "probationary_present", "无表决权": "no_rights_present", "无表决权党员": "no_rights_present",
                 "到会无表决权党员": "no_rights_present", "已核实": VOTE_ROLL_CHECKED, "名册已核实": VOTE_ROLL_CHECKED,
                 VOTE_ROLL_CHECKED_LABEL: VOTE_ROLL_CHECKED}


class _Bad(ValueError):
    pass


_DATE = re.compile(r"\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*")


def parse_date(value: Any) -> date:
    """Accepts 2018-03-10, 2018.3.10, 2018/3/10 and 2018年3月10日."""
    if isinstance(value, date):
        return value
    m = _DATE.fullmatch(str(value))
    if not m:
        raise _Bad(f"“{value}”不是有效日期（例：2018-03-10）")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _Bad(f"“{value}”不是有效日期") from None


MAX_INT = input_policy.MAX_INT  # a count, hours or an id: anything larger is a typing error (and no column holds it)
MAX_TEXT = input_policy.TEXT_MAX  # a text field (talk notes, opinions): a page of writing
MAX_DOCREF = input_policy.DOCREF_MAX  # a document number or file reference


def _int(value: Any) -> int:
    n, problem = input_policy.parse_int(value)
    if problem:
        raise _Bad(problem)
    return n


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _Bad("应为文字")
    if isinstance(value, int) and value.bit_length() > 64:  # str() of a huge int is slow, then refused
        raise _Bad(f"不能超过 {limit} 字")
    s = str(value).strip()
    problem = input_policy.text_problem(s, limit=limit)
    if problem:
        raise _Bad(problem)
    return s


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _Bad(f"“{value}”应为 是/否")


def _split_people(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return re.split(r"[,，、\s]+", str(value).strip())


def _people(value: Any) -> list[int]:
    return [_int(x) for x in _split_people(value) if str(x).strip() != ""]


def people_ids(step: StepSpec, evidence: Mapping[str, Any]) -> list[int]:
    """The person ids a step's `people`/`person` fields reference, raw or normalised evidence alike.

    Parsed with the same rules as the people fields themselves (commas, 、, spaces); parts that are
    not ids are ignored here (validation reports them). Ids are in field order, without repeats.
    """
    found: list[int] = []
    evidence = by_field_name(step, evidence)
    for spec in step.evidence:
        if spec.type not in ("people", "person"):
            continue
        value = evidence.get(spec.name)
        if value is None:
            continue
        for part in _split_people(value) if spec.type == "people" else [value]:
            if str(part).strip() == "":
                continue
            try:
                pid = _int(part)
            except _Bad:
                continue
            if pid not in found:
                found.append(pid)
    return found


def _vote(value: Any) -> dict[str, int]:
    """A vote as a mapping, or "16,9,9,0,0[,0]" (应到,实到,赞成,反对,弃权[,书面]), or "应到=16,实到=9,…";
    positional numbers may be followed by named ones ("16,9,9,0,0,预备党员=2"). The attendees
    without a vote are named only (a seventh bare number would be anyone's guess)."""
    if isinstance(value, dict):
        raw = {(_VOTE_ALIASES.get(k, k)): v for k, v in value.items()}
    else:
        parts = [p for p in re.split(r"[,，、/\s]+", str(value).strip()) if p]
        bare = [p for p in parts if "=" not in p]
        if bare != parts[:len(bare)]:
            raise _Bad("表决人数按 应到,实到,赞成,反对,弃权[,书面] 的顺序写在前面，写名称的（如 预备党员=2）写在后面")
        if len(bare) > len(VOTE_KEYS):  # a value nobody would know the meaning of: never dropped
            raise _Bad(f"表决最多 {len(VOTE_KEYS)} 个数（应到,实到,赞成,反对,弃权[,书面]），写了 {len(bare)} 个；"
                       "到会的预备党员、无表决权党员须写名称，如 预备党员=2")
        raw = dict(zip(VOTE_KEYS, bare))
        for p in parts[len(bare):]:
            k, _, v = p.partition("=")
            key = _VOTE_ALIASES.get(k.strip(), k.strip())
            if key in raw:
                raise _Bad(f"表决的“{k.strip()}”写了两次")
            raw[key] = v
    checked = raw.pop(VOTE_ROLL_CHECKED, None)
    unknown = set(raw) - set(VOTE_KEYS) - set(VOTE_EXTRA_KEYS)
    if unknown:
        raise _Bad(f"未知的表决字段：{'、'.join(sorted(unknown))}；可写：{'、'.join(VOTE_LABELS.values())}")
    missing = [k for k in VOTE_KEYS[:5] if k not in raw]
    if missing:
        raise _Bad("表决须写明 应到、实到、赞成、反对、弃权 人数（如 16,9,9,0,0）")
    out = {k: _int(raw.get(k, 0)) for k in VOTE_KEYS}
    out.update((k, _int(raw[k])) for k in VOTE_EXTRA_KEYS if k in raw)
    too_many = [f"{VOTE_LABELS[k]} {n}" for k, n in out.items() if n > VOTE_MAX]
    if too_many:
        raise _Bad(f"{'、'.join(too_many)} 人不合常理：党支部党员大会的人数不会超过 {VOTE_MAX} 人，请核对")
    if checked is not None and _bool(checked):
        out[VOTE_ROLL_CHECKED] = 1
    return out


def vote_text(value: Mapping[str, Any]) -> str:
    """A recorded vote in one line: 应到16 实到9 赞成9 反对0 弃权0, then 书面表决 and the attendees
    without a vote when there were any."""
    return " ".join(f"{label}{value.get(k, 0)}" for k, label in VOTE_LABELS.items()
                    if k in VOTE_KEYS[:5] or value.get(k))


def _iso_date_text(value: Any) -> str:
    """A date field's value as ISO text. Text already in that form (what forms and the API send)
    is checked by `date.fromisoformat` and kept as it is; anything else goes through `parse_date`."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            date.fromisoformat(value)  # 3.11 also takes other forms: only YYYY-MM-DD gets here
            return value
        except ValueError:
            pass  # parse_date gives the message
    return parse_date(value).isoformat()


def _value(spec: FieldSpec, value: Any) -> Any:
    t = spec.type
    if t == "date":
        return _iso_date_text(value)
    if t == "int":
        return _int(value)
    if t == "bool":
        return _bool(value)
    if t in ("person", "org"):
        return _int(value)
    if t == "people":
        ids = _people(value)
        return ids
    if t == "vote":
        return _vote(value)
    if t == "choice":
        s = str(value).strip()
        by_label = {label: code for code, label in spec.choice_labels.items()}
        s = by_label.get(s, s)  # users may type the Chinese label
        if spec.choices and s not in spec.choices:
            allowed = "、".join(spec.choice_label(c) for c in spec.choices)
            raise _Bad(f"“{s}”不在可选值中，应为：{allowed}")
        return s
    return _text(value, MAX_DOCREF if t == "docref" else MAX_TEXT)


_PLAN = "_partyflow_evidence_plan"  # where _plan keeps its answer on the StepSpec object


def _short_label(label: str) -> str:
    """A label without its parenthesised explanation: 政审内容（对党的理论…） → 政审内容."""
    return re.split(r"[（(]", label, maxsplit=1)[0].strip()


def _plan(step: StepSpec) -> tuple[frozenset[str], tuple[tuple[FieldSpec, bool], ...], dict[str, str]]:
    """(the step's field names, each field with "check its people count here", {Chinese label:
    field name} for the labels and short labels that name one field only), worked out once per
    step and kept on the step object (as `cached_property` does on frozen dataclasses)."""
    plan = step.__dict__.get(_PLAN)
    if plan is None:
        counted = {r.params.get("field") for r in step.rules if r.kind == "count"}
        names: dict[str, set[str]] = {}
        for f in step.evidence:
            for label in {f.label.strip(), _short_label(f.label)} - {""}:
                names.setdefault(label, set()).add(f.name)
        plan = (frozenset(f.name for f in step.evidence),
                tuple((f, f.type == "people" and f.name not in counted) for f in step.evidence),
                {label: next(iter(n)) for label, n in names.items() if len(n) == 1})
        step.__dict__[_PLAN] = plan
    return plan


def _field_name(step: StepSpec, key: Any) -> Any:
    known, _, labels = _plan(step)
    return key if key in known else labels.get(str(key).strip(), key)


def by_field_name(step: StepSpec, evidence: Mapping[str, Any]) -> Mapping[str, Any]:
    """Evidence keyed by field name: a key that is a field's Chinese label (谈话人, or the label
    before its parenthesis, 政审内容) is read as that field, so `--set 谈话人=李书记` works. Keys
    that are neither stay as typed (normalise names them). A field given twice (by its label and
    its name) takes the later value, as a key given twice does (a correction merges its changes
    over the recorded evidence this way)."""
    known = _plan(step)[0]
    if all(k in known for k in evidence):
        return evidence
    out: dict[str, Any] = {}
    for key, value in evidence.items():
        out[_field_name(step, key)] = value
    return out


def _within(spec: FieldSpec, n: int) -> bool:
    return (spec.min is None or n >= spec.min) and (spec.max is None or n <= spec.max)


def _range_words(spec: FieldSpec) -> str:
    """An int field's bounds in words: 应在 0 至 30 之间 / 不能超过 30 / 不能少于 1."""
    if spec.min is not None and spec.max is not None:
        return f"应在 {spec.min} 至 {spec.max} 之间"
    return f"不能超过 {spec.max}" if spec.max is not None else f"不能少于 {spec.min}"


def field_labels(step: StepSpec) -> str:
    """The step's field labels for a message: “谈话人”、“谈话记录”."""
    return "、".join(f"“{_short_label(f.label)}”" for f in step.evidence) or "无"


def normalise(step: StepSpec, evidence: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Typed, checked evidence for a step, and the problems found (all of them, not the first)."""
    art = step.citation.article
    label = step.citation.label()
    out: dict[str, Any] = {}
    problems: list[Violation] = []
    known, fields, _ = _plan(step)
    evidence = by_field_name(step, evidence)
    for name in evidence:
        if name not in known:
            problems.append(Violation("evidence.unknown",
                                      f"{step.name}没有“{name}”这一记录项，可填写：{field_labels(step)}", art))
    for spec, check_count in fields:
        value = evidence.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            if spec.required:
                problems.append(Violation("evidence.missing", f"{step.name}须记录“{spec.label}”（{label}）", art))
            continue
        try:
            out[spec.name] = _value(spec, value)
        except _Bad as e:
            problems.append(Violation("evidence.invalid", f"{step.name}的“{spec.label}”：{e}", art))
            continue
        if spec.type == "int" and not _within(spec, out[spec.name]):
            problems.append(Violation("evidence.range", f"{step.name}的“{spec.label}”：{_range_words(spec)}，"
                                      f"填写的 {out[spec.name]} 不合常理，请核对（{label}）", art))
            continue
        if check_count:  # a people field without a `count` rule (that rule reports it with its article)
            n = len(out[spec.name])
            if (spec.min_items and n < spec.min_items) or (spec.max_items and n > spec.max_items):
                want = f"{spec.min_items}名" if spec.min_items == spec.max_items else f"{spec.min_items or 0}至{spec.max_items}名"
                problems.append(Violation("evidence.count", f"{step.name}的“{spec.label}”应为{want}，实际为{n}名（{label}）", art))
    return out, problems
