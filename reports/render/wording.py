"""The words of a report: reports/wording.yaml (merged with an override's wording.yaml) applied to
a Report — how the organisation and the period are called, which categories the paragraph names,
the measure words. Pure functions of (Report, Wording); the templates only assemble the pieces.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import refuse
from reports.model import Report

BUILTIN_WORDING = Path(__file__).resolve().parent.parent / "wording.yaml"


@dataclass(frozen=True)
class Wording:
    data: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def unit(self, kind: str) -> str:
        return self.data["units"][kind]

    def count(self, n: int | float, kind: str = "person") -> str:
        """"14 名", "9 个", "30 份": Arabic numerals, a space, the measure word (as the seed)."""
        return f"{_num(n)} {self.unit(kind)}"


def load_wording(override_dirs: Sequence[Path] = ()) -> Wording:
    data = _read_yaml(BUILTIN_WORDING)
    for d in reversed(tuple(override_dirs)):  # earlier directories win
        path = Path(d) / "wording.yaml"
        if path.is_file():
            data = _merge(data, _read_yaml(path))
    return Wording(data)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise refuse("report.wording", f"报告用语文件无法读取：{path}（{type(exc).__name__}）") from exc
    if not isinstance(data, dict):
        raise refuse("report.wording", f"报告用语文件格式错误：{path} 应为键值映射")
    return data


def _merge(base: Mapping, over: Mapping) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _num(n: int | float) -> str:
    if isinstance(n, float) and not n.is_integer():
        return f"{n:g}"
    return str(int(n))


# --- organisation and period -------------------------------------------------------------------

def bare_org_name(name: str, wording: Wording) -> str:
    name = name.strip()
    for suffix in wording["org_words"].get("strip_suffixes", ()):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def org_word(report: Report, wording: Wording) -> str:
    """"全乡" / "全镇" / "全街道" / "全县" / "本支部" from the organisation's level and name."""
    rules = wording["org_words"].get(report.org.level) or wording["org_words"]["township"]
    name = bare_org_name(report.org.name, wording)
    # longest suffix first, so 自治县 beats 县 and 党总支部 beats 支部
    for suffix, word in sorted(rules.get("suffixes", {}).items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return word
    return rules["default"]


def period_word(report: Report, wording: Wording) -> str:
    """"今年上半年" when the period lies in the as_of year, else the label ("2018年上半年");
    a period still running on as_of says up to which day."""
    period = report.period
    label = period.label
    as_of = report.as_of
    prefix = f"{period.start.year}年"
    if as_of and period.start.year == period.end.year == as_of.year and label.startswith(prefix):
        rest = label[len(prefix):]
        # an explicit range repeats no year after the first ("2018年3月1日至5月31日")
        label = wording["period_words"]["this_year"] + rest
    if as_of and period.start <= as_of < period.end:
        label = wording["period_words"]["partial"].format(period=label, month=as_of.month, day=as_of.day)
    return label


def title(report: Report, wording: Wording) -> str:
    """"南川乡2018年上半年发展党员工作情况" (the organisation without 党委: the report is the place's)."""
    return wording["title"].format(org=bare_org_name(report.org.name, wording), period=report.period.label)


# --- the paragraph's pieces --------------------------------------------------------------------

def tag_parts(report: Report, wording: Wording) -> list[tuple[str, int]]:
    """Admissions by the paragraph's categories, in wording order, zeros left out.

    Several tags may read as one word (村干部, 干部党员 → 干部党员): with the tag combinations the
    counting gives (`Breakdown.combinations`), each person counts once per word — someone holding
    both 村干部 and 干部党员 is one 干部党员. A hand-made breakdown without them adds the tags' counts."""
    tag_words: Mapping[str, str] = wording["tag_words"]
    words: dict[str, int] = {w: 0 for w in tag_words.values()}  # wording order
    b = report.measures["admitted"].breakdowns.get("tag")
    if b is not None and b.combinations:
        for held, n in b.combinations:
            for word in {tag_words[t] for t in held if t in tag_words}:
                words[word] += n
    else:
        admitted = report.measures["admitted"]
        for tag, word in tag_words.items():
            words[word] += admitted.count("tag", tag)
    return [(w, n) for w, n in words.items() if n]


def structure_parts(report: Report, wording: Wording) -> list[tuple[str, int]]:
    """The structure figures the wording's `structure.show` names, in that order: `youth`
    (35岁及以下), `college` (大专及以上学历), `high_school` (高中及以上学历). Each education figure is the
    derived one the counting gives beside the groups (never the groups added on top of it)."""
    conf = wording["structure"]
    admitted = report.measures["admitted"]
    parts = []
    for key in conf.get("show") or ("youth", "college"):
        item = conf.get(key)
        if not isinstance(item, Mapping):
            raise refuse("report.wording", f"报告用语 structure.show 中的“{key}”没有对应的 structure.{key} 设置")
        if "age_bands" in item:
            n = sum(admitted.count("age_band", band) for band in item["age_bands"])
        else:
            n = admitted.count("education", item.get("derived", ""))
            if not n:  # a hand-made report without the derived figure: add the groups up
                n = sum(admitted.count("education", e) for e in item.get("education", ()))
        if n:
            parts.append((item["word"], n))
    return parts


def paragraph_context(report: Report, wording: Wording) -> dict[str, Any]:
    """Everything the paragraph template needs, as ready-made Chinese pieces."""
    clauses = wording["clauses"]

    def clause(key: str, kind: str = "person") -> str | None:
        n = report.total(key)
        return clauses[key].format(n=wording.count(n, kind)) if n else None

    admitted = report.total("admitted")
    parts = [f"{w} {wording.count(n)}" for w, n in tag_parts(report, wording)]
    if wording["structure"].get("enabled"):
        parts = [f"{w} {wording.count(n)}" for w, n in structure_parts(report, wording)] + parts
    return {
        "org_word": org_word(report, wording),
        "period_word": period_word(report, wording),
        "admitted": admitted,
        "admitted_clause": clause("admitted") if admitted else clauses["none_admitted"],
        "admitted_parts": parts,
        "cultivation": [c for c in (clause("activists"), clause("targets")) if c],
        "probation": [c for c in (clause("converted"), clause("extended"), clause("cancelled")) if c],
        "applicants": clause("applicants", "application"),
    }
