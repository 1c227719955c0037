"""Display categories of the report's breakdowns: raw person values (free-text education, ethnicity,
occupation, JSON tag lists) → the groups a report shows, and the derived figures (35岁及以下,
大专及以上, 少数民族). Pure Python over the few thousand distinct values the counting returns.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

from .model import DIMENSIONS, Breakdown

# (label, the oldest age in the band); the last band is open-ended
_AGE_BAND_LIMITS = (("30岁及以下", 30), ("31至35岁", 35), ("36至40岁", 40), ("41至45岁", 45), ("46至50岁", 50),
                    ("51至55岁", 55), ("56至60岁", 60))
AGE_BANDS = (*(label for label, _ in _AGE_BAND_LIMITS), "61岁及以上")
UNDER_35 = "35岁及以下"  # derived: 30岁及以下 + 31至35岁 (the key figure, plan target under_35)
UNDER_35_BANDS = frozenset(AGE_BANDS[:2])
EDUCATION_GROUPS = ("研究生", "大学本科", "大专", "高中/中专", "初中及以下", "其他", "未填写")
COLLEGE = "大专及以上"  # derived: 研究生 + 大学本科 + 大专
COLLEGE_GROUPS = frozenset(EDUCATION_GROUPS[:3])
HAN = "汉族"
MINORITY = "少数民族"  # derived: every ethnicity but 汉族 (and blanks)
NOT_GIVEN = "未填写"
GENDER_ORDER = ("男", "女")

# Education as typed (free text) → group. The first rule that matches wins, so "大学专科" is 大专
# and "大学" alone is 大学本科. Documented in docs/reports.md.
EDUCATION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("研究生", ("研究生", "博士", "硕士")),
    ("大专", ("大专", "专科", "高职")),
    ("大学本科", ("本科", "大学", "学士")),
    ("高中/中专", ("高中", "中专", "中技", "技校", "职高", "中职", "中师", "中等")),
    ("初中及以下", ("初中", "小学", "文盲", "识字", "无学历")),
)



def education_group(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    for group, words in EDUCATION_RULES:
        if any(w in t for w in words):
            return group
    return "其他"


def ethnicity_name(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    return HAN if t in ("汉", HAN) else t


def _ordered(counter: Counter, order: Sequence[str] = ()) -> tuple[tuple[str, int], ...]:
    """Categories in `order` first, the rest by count (desc) then name; zeros left out."""
    known = [(c, counter[c]) for c in order if counter.get(c)]
    rest = sorted(((c, n) for c, n in counter.items() if n and c not in order), key=lambda x: (-x[1], x[0]))
    tail = [x for x in rest if x[0] == NOT_GIVEN]
    return tuple(known + [x for x in rest if x[0] != NOT_GIVEN] + tail)


def breakdowns(raw: Mapping[str, Counter], branch_names: Mapping[int, str], branch_order: Sequence[int]) -> dict[str, Breakdown]:
    """Raw GROUP BY values → display categories, per dimension (a loop over distinct values)."""
    out: dict[str, Breakdown] = {}
    branch = Counter()
    for bid, n in raw["branch"].items():
        branch[branch_names.get(int(bid), f"党支部 {bid}")] += n
    out["branch"] = Breakdown("branch", _ordered(branch, [branch_names[b] for b in branch_order if b in branch_names]))
    out["gender"] = Breakdown("gender", _ordered(raw["gender"], GENDER_ORDER))
    young = sum(n for c, n in raw["age_band"].items() if c in UNDER_35_BANDS)
    out["age_band"] = Breakdown("age_band", _ordered(raw["age_band"], AGE_BANDS), ((UNDER_35, young),) if young else ())
    edu = Counter()
    for cat, n in raw["education"].items():
        edu[education_group(cat)] += n
    college = sum(n for c, n in edu.items() if c in COLLEGE_GROUPS)
    out["education"] = Breakdown("education", _ordered(edu, EDUCATION_GROUPS), ((COLLEGE, college),) if college else ())
    eth = Counter()
    for cat, n in raw["ethnicity"].items():
        eth[ethnicity_name(cat)] += n
    minority = sum(n for c, n in eth.items() if c not in (HAN, NOT_GIVEN))
    out["ethnicity"] = Breakdown("ethnicity", _ordered(eth, (HAN,)), ((MINORITY, minority),) if minority else ())
    occ = Counter()
    for cat, n in raw["occupation"].items():
        occ[(cat or "").strip() or NOT_GIVEN] += n
    out["occupation"] = Breakdown("occupation", _ordered(occ))
    tags = Counter()
    for cat, n in raw["tag"].items():
        for tag in _tags(cat):
            tags[tag] += n
    out["tag"] = Breakdown("tag", _ordered(tags))
    return {d: out[d] for d in DIMENSIONS}


def _tags(text: str | None) -> set[str]:
    if not text:
        return set()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    if isinstance(value, str):  # double-encoded by some writer: be lenient
        return _tags(value)
    return {str(t).strip() for t in value or () if str(t).strip()}
