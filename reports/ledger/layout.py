"""The columns of the 发展党员工作台账, derived from a workflow definition.

    序号 | 姓名 | 性别 | 出生日期 | 民族 | 学历 | 职业 | 类别(标签) | 所在党支部 |
    one column per step of the definition, headed "<number> <name>" ("1 递交入党申请书" … "25 材料归档") |
    当前阶段 | 结束日期 | 延长预备期(月) | 延长决定日期 | [延长预备期批准日期] | 备注

A local variant or the 2026 revision gives its own step columns. The export writes this layout and
the import reads it back (docs/ledger.md): a step cell holds the date the step was (positively)
done; a repeatable step (培养教育考察, 继续教育考察) may hold several dates, one per entry.
结束日期 is the date a candidate reached an end state (已撤回 …); the two extension columns record a
probation extension (第三十二条) decided by the branch meeting on 延长决定日期. Where the definition
makes that decision a resolution the higher committee approves (cpc_2014@2, cpc_2026@2: 党章第七条),
延长预备期批准日期 follows: the date the extension took effect (empty: still waiting for approval).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from workflows.model import Definition, StepSpec

# Person and candidacy columns before the steps: (header, key).
HEAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("序号", "serial"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("民族", "ethnicity"),
    ("学历", "education"),
    ("职业", "occupation"),
    ("类别(标签)", "tags"),
    ("所在党支部", "branch"),
)
# After the steps.
TAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("当前阶段", "stage"),
    ("结束日期", "ended_on"),
    ("延长预备期(月)", "extension_months"),
    ("延长决定日期", "extended_on"),
    ("备注", "note"),
)
# After 延长决定日期, only for definitions whose extension waits for the higher committee's approval.
APPROVAL_COLUMN: tuple[str, str] = ("延长预备期批准日期", "extension_approved_on")
# Columns a file must have (the others may be left out of an imported file).
REQUIRED_KEYS = frozenset({"name", "gender", "birth_date", "branch"})
# Header spellings accepted on import besides the canonical ones (full-width brackets, no brackets).
ALIASES = {
    "类别（标签）": "tags", "类别": "tags", "标签": "tags", "党支部": "branch", "所在支部": "branch",
    "延长预备期（月）": "extension_months", "延长预备期": "extension_months",
    "延长批准日期": "extension_approved_on",
}
# Separator for several tags in one cell.
TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")


def step_header(step: StepSpec) -> str:
    return f"{step.number} {step.name}"


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # a HEAD/TAIL key, or "step"
    step: str | None = None  # the step id of a step column
    is_date: bool = False
    repeatable: bool = False


@dataclass(frozen=True)
class LedgerLayout:
    definition_key: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def step_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.key == "step")

    def index(self) -> dict[str, Column]:
        """Canonical and alias headers (normalised) → column."""
        out = {normalise_header(c.header): c for c in self.columns}
        by_key = {c.key: c for c in self.columns if c.key != "step"}
        for alias, key in ALIASES.items():
            if key in by_key:
                out.setdefault(normalise_header(alias), by_key[key])
        # a step column may also be headed by its name alone ("递交入党申请书") when unambiguous
        names: dict[str, list[Column]] = {}
        for c in self.step_columns:
            names.setdefault(normalise_header(c.header.split(" ", 1)[1]), []).append(c)
        for name, cols in names.items():
            if len(cols) == 1:
                out.setdefault(name, cols[0])
        return out


_DATE_KEYS = frozenset({"birth_date", "ended_on", "extended_on", "extension_approved_on"})


def normalise_header(text: object) -> str:
    """Header text compared loosely: whitespace removed, full-width brackets and dots folded."""
    s = str(text or "").strip()
    s = s.replace("（", "(").replace("）", ")").replace("．", ".").replace("、", "")
    return re.sub(r"\s+", "", s)


@lru_cache(maxsize=32)
def _layout(definition_key: str, steps: tuple[tuple[int, str, str, bool], ...], approval: bool) -> LedgerLayout:
    cols = [Column(h, k, is_date=k in _DATE_KEYS) for h, k in HEAD_COLUMNS]
    for number, sid, name, repeatable in steps:
        cols.append(Column(f"{number} {name}", "step", sid, True, repeatable))
    tail = list(TAIL_COLUMNS)
    if approval:
        tail.insert(tail.index(("延长决定日期", "extended_on")) + 1, APPROVAL_COLUMN)
    cols += [Column(h, k, is_date=k in _DATE_KEYS) for h, k in tail]
    return LedgerLayout(definition_key, tuple(cols))


def layout_for(definition: Definition) -> LedgerLayout:
    """The ledger columns for candidates on `definition`."""
    steps = tuple((s.number, s.id, s.name, s.repeatable) for s in definition.steps)
    return _layout(definition.key, steps, extension_approved(definition))


def extension_approved(definition: Definition) -> bool:
    """Whether an extension in `definition` waits for the higher committee (`outcome.approved_by`
    on the step whose outcome extends probation)."""
    return any(s.outcome is not None and s.outcome.approved_by and "extend_probation" in s.outcome.effects.values()
               for s in definition.steps)
