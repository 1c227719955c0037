"""The category lists of a person's 学历, 职业, 民族 and 类别, and the check of a typed value.

One source with the reports: 学历 and 职业 offer the groups the report counts
(reports/categories.py), 民族 and 类别 the lists in reports/category_lists.yaml. Every list also
offers 其他 with a note, stored as “其他（说明）” — which the reports count as 其他 — so what is
typed and what is counted agree. A value already on record that is not in a list (typed before
the lists, or imported from a ledger) stays readable and may be kept unchanged; a new value must
come from the list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from engine.errors import Violation
from engine.input_policy import text_problem
from reports.categories import EDUCATION_GROUPS, NOT_GIVEN, OCCUPATION_GROUPS, OTHER, is_other

VALUE_MAX = 50  # characters of a typed category value: the longest listed one, or 其他（a note of at most 30）
LISTS_FILE = Path(__file__).resolve().parents[2] / "reports" / "category_lists.yaml"
_OTHER_TEXT = re.compile(r"其他\s*(?:[（(]\s*(?P<a>.*?)\s*[）)]|[:：]\s*(?P<b>.*?)|\s+(?P<c>.*?))?\s*")


@dataclass(frozen=True)
class CategoryList:
    field: str  # the person column
    label: str  # 学历, 职业, …
    choices: tuple[str, ...]  # without 其他 (offered after them)
    other_max: int  # the longest note after 其他 (fits the column)
    hint: str = ""  # shown under the field
    many: bool = False  # 类别: several values

    def options(self) -> tuple[str, ...]:
        return (*self.choices, OTHER)


def _report_groups(groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(g for g in groups if g not in (OTHER, NOT_GIVEN))


@lru_cache(maxsize=1)
def lists() -> dict[str, CategoryList]:
    data = yaml.safe_load(LISTS_FILE.read_text(encoding="utf-8"))
    return {
        "ethnicity": CategoryList("ethnicity", "民族", tuple(data["ethnicities"]), 20,
                                  "未识别民族等选“其他”并注明"),
        "education": CategoryList("education", "学历", _report_groups(EDUCATION_GROUPS), 30,
                                  "按最高学历；研究生含博士、硕士，大专即大学专科"),
        "occupation": CategoryList("occupation", "职业", _report_groups(OCCUPATION_GROUPS), 40,
                                   "村干部计入农牧渔民；管理人员指企业、事业单位和社会组织的管理人员"),
        "tags": CategoryList("tags", "类别", tuple(data["tags"]), 20, "可多选；没有的类别选“其他”并注明", many=True),
    }


def compose(choice: str, note: str = "") -> str:
    """The stored value of a choice and, for 其他, its note: “其他” or “其他（note）”."""
    choice, note = (choice or "").strip(), (note or "").strip()
    if choice == OTHER and note:
        return f"{OTHER}（{note}）"
    return choice


def split(value: str | None) -> tuple[str, str]:
    """(choice, note) of a stored value for a form: a listed value, 其他 with its note, or ("", "")
    for a blank. A value on record that is not in the list comes back as (value, "") — the form
    offers it as it is (see `legacy`)."""
    value = (value or "").strip()
    if not value:
        return "", ""
    if is_other(value):
        return OTHER, other_note(value)
    return value, ""


def other_note(value: str) -> str:
    m = _OTHER_TEXT.fullmatch(value.strip())
    return (m.group("a") or m.group("b") or m.group("c") or "") if m else ""


def legacy(field: str, value: str | None) -> bool:
    """A value on record that the list does not offer (kept as it is unless changed)."""
    value = (value or "").strip()
    return bool(value) and not is_other(value) and value not in lists()[field].choices


def _canonical(spec: CategoryList, value: str) -> str | None:
    """The stored form of a typed value if the list accepts it, else None."""
    if value in spec.choices:
        return value
    if spec.field == "ethnicity" and f"{value}族" in spec.choices:  # 回 → 回族 (as people often write it)
        return f"{value}族"
    if is_other(value):
        m = _OTHER_TEXT.fullmatch(value)
        return compose(OTHER, other_note(value)) if m else None
    return None


def _refusal(spec: CategoryList, value: str) -> str:
    if spec.field == "ethnicity":
        offer = "请填写56个民族之一（如 汉族、回族）"
    else:
        offer = f"可选：{'、'.join(spec.choices)}"
    return (f"{spec.label}“{value}”不在统计类别中（统计按类别计数，近义的说法会算错）。{offer}；"
            f"列表中没有的，请选“其他”并注明（如“其他（养蜂）”）")


def check(field: str, value: str | None, *, on_record: str | None = None) -> tuple[str | None, Violation | None]:
    """(the value to store, None) or (None, the violation naming the field). Blank is allowed (None);
    `on_record`: the person's current value, which may be kept even if the list no longer offers it."""
    spec = lists()[field]
    text = (value or "").strip()
    if not text:
        return None, None
    if on_record is not None and text == on_record.strip():
        return text, None
    problem = text_problem(text, label=spec.label, limit=VALUE_MAX, lines=False)
    if problem:  # before the refusal below echoes the value
        return None, Violation(f"person.{field}", problem)
    stored = _canonical(spec, text)
    if stored is None:
        return None, Violation(f"person.{field}", _refusal(spec, text))
    if stored == OTHER:
        return None, Violation(f"person.{field}", f"{spec.label}选“其他”时请注明具体内容（如“其他（养蜂）”）")
    if len(other_note(stored)) > spec.other_max:
        return None, Violation(f"person.{field}", f"{spec.label}“其他”的说明不能超过 {spec.other_max} 字")
    return stored, None


def check_tags(tags, *, on_record=()) -> tuple[list[str], Violation | None]:
    """The tags to store (listed ones, 其他（说明）, or tags already on record), distinct, in order;
    or the first refusal."""
    kept = {t.strip() for t in on_record or () if str(t).strip()}
    out: list[str] = []
    for tag in tags or ():
        tag = str(tag).strip()
        if not tag:
            continue
        stored, problem = check("tags", tag, on_record=tag if tag in kept else None)
        if problem:
            return [], problem
        if stored not in out:
            out.append(stored)
    return out, None
