"""Display categories of the report's breakdowns: raw person values (free-text education, ethnicity,
occupation, JSON tag lists) → the groups a report shows, and the derived figures (35岁及以下,
高中及以上, 大专及以上, 少数民族). Pure Python over the few thousand distinct values the counting returns.

The free-text rules (EDUCATION_RULES, OCCUPATION_RULES) are data: (group, keywords), the first
rule with a keyword contained in the text wins; docs/reports.md lists them.
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
COLLEGE = "大专及以上"  # derived: 研究生 + 大学本科 + 大专 (national reports, plan target college)
COLLEGE_GROUPS = frozenset(EDUCATION_GROUPS[:3])
HIGH_SCHOOL = "高中及以上"  # derived: the above + 高中/中专 (rural reports, plan target high_school)
HIGH_SCHOOL_GROUPS = frozenset(EDUCATION_GROUPS[:4])
HAN = "汉族"
MINORITY = "少数民族"  # derived: every ethnicity but 汉族 (and blanks, and 其他: not known to be one)
NOT_GIVEN = "未填写"
OTHER = "其他"  # a value chosen as 其他 from a category list: “其他” or “其他（说明）” (services/people/categories.py)
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

# Occupation (process.md §6: the 8 categories of the party's statistics) in display order; blank → 未填写.
OCCUPATION_GROUPS = ("工人", "农牧渔民", "专业技术人员", "管理人员", "党政机关工作人员", "学生", "离退休人员", "其他",
                     NOT_GIVEN)
# Occupation as typed (free text) → category; the first rule that matches wins, anything else is
# 其他. The order settles the overlaps: 退休教师 is 离退休人员; village cadres (村干部, 村（社区）干部,
# 大学生村官 — farmers holding village office, not civil servants) are 农牧渔民 before 大学生 makes
# them 学生 or 党委 makes a 村党委书记 党政机关工作人员; community workers (社区干部) are 其他 before
# 党委 catches them; 企业管理人员 is 管理人员 before 企业员工 makes it 工人; 农民工 is 工人 before
# 农民 makes it 农牧渔民. Documented in docs/reports.md.
OCCUPATION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("离退休人员", ("离退休", "退休", "离休", "退养")),
    ("农牧渔民", ("村干部", "村（社区）干部", "村(社区)干部", "村两委", "村支书", "村党", "村主任", "村委",
                "村官", "村会计", "村文书", "村监委")),
    ("其他", ("社区干部", "社区工作者", "社区书记", "社区主任")),
    ("学生", ("学生", "在校", "在读", "本科生", "研究生", "硕士生", "博士生", "中专生", "高中生")),
    ("党政机关工作人员", ("党政机关", "机关", "公务员", "参公", "参照公务员", "乡镇干部", "乡干部", "镇干部",
                  "街道干部", "政府", "党委", "人大", "政协", "纪委", "监委")),
    ("管理人员", ("管理", "经理", "厂长", "董事", "总监", "主管", "总经理", "企业负责人", "行政人员")),
    ("专业技术人员", ("专业技术", "专技", "教师", "老师", "教授", "讲师", "医生", "医师", "村医", "护士", "医务", "药师",
                "工程师", "技术员", "农技", "兽医", "会计", "审计", "律师", "记者", "编辑", "研究员", "科研",
                "设计师", "翻译")),
    ("工人", ("工人", "农民工", "务工", "打工", "职工", "员工", "工勤", "技工", "电工", "焊工", "司机", "驾驶员",
            "快递", "保安", "厨师", "服务员", "建筑工")),
    ("农牧渔民", ("农牧渔民", "农民", "牧民", "渔民", "务农", "农业", "种植", "养殖", "村民", "农户", "果农", "菜农",
                "茶农", "种粮", "牧业", "渔业", "家庭农场")),
)



def is_other(text: str | None) -> bool:
    """A value chosen as 其他 (with or without a note): counted as 其他 whatever the note says."""
    return (text or "").strip().startswith(OTHER)


def education_group(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    if is_other(t):
        return OTHER
    for group, words in EDUCATION_RULES:
        if any(w in t for w in words):
            return group
    return "其他"


def occupation_group(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    if is_other(t):
        return OTHER
    for group, words in OCCUPATION_RULES:
        if any(w in t for w in words):
            return group
    return "其他"


def ethnicity_name(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    if is_other(t):
        return OTHER
    return HAN if t in ("汉", HAN) else t


def _ordered(counter: Counter, order: Sequence[str] = ()) -> tuple[tuple[str, int], ...]:
    """Categories in `order` first, the rest by count (desc) then name; zeros left out."""
    known = [(c, counter[c]) for c in order if counter.get(c)]
    listed = set(order)  # a county orders 1,000 branch names: no list scan per category
    rest = sorted(((c, n) for c, n in counter.items() if n and c not in listed), key=lambda x: (-x[1], x[0]))
    tail = [x for x in rest if x[0] == NOT_GIVEN]
    return tuple(known + [x for x in rest if x[0] != NOT_GIVEN] + tail)


def breakdowns(raw: Mapping[str, Counter], branch_names: Mapping[int, str], branch_order: Sequence[int], *,
               branch_rank: Mapping[int, int] | None = None) -> dict[str, Breakdown]:
    """Raw GROUP BY values → display categories, per dimension (a loop over distinct values).
    `branch_rank` ({branch id: its place in `branch_order`}, made once by a caller that breaks down
    several measures): the branches with a count are put in order by it, not by walking the whole
    order — a county of 27,778 branches walked it for each of eleven measures."""
    out: dict[str, Breakdown] = {}
    rank = branch_rank if branch_rank is not None else {b: i for i, b in enumerate(branch_order)}
    branch = Counter()
    first: dict[str, int] = {}  # name → the earliest place of a branch of that name
    for bid, n in raw["branch"].items():
        name = branch_names.get(int(bid), f"党支部 {bid}")
        branch[name] += n
        at = rank.get(int(bid)) if int(bid) in branch_names else None
        if at is not None and (name not in first or at < first[name]):
            first[name] = at
    out["branch"] = Breakdown("branch", _ordered(branch, sorted(first, key=first.__getitem__)))
    out["gender"] = Breakdown("gender", _ordered(raw["gender"], GENDER_ORDER))
    young = sum(n for c, n in raw["age_band"].items() if c in UNDER_35_BANDS)
    out["age_band"] = Breakdown("age_band", _ordered(raw["age_band"], AGE_BANDS), ((UNDER_35, young),) if young else ())
    edu = Counter()
    for cat, n in raw["education"].items():
        edu[education_group(cat)] += n
    out["education"] = Breakdown("education", _ordered(edu, EDUCATION_GROUPS), education_derived(edu))
    eth = Counter()
    for cat, n in raw["ethnicity"].items():
        eth[ethnicity_name(cat)] += n
    minority = sum(n for c, n in eth.items() if c not in (HAN, NOT_GIVEN, OTHER))
    out["ethnicity"] = Breakdown("ethnicity", _ordered(eth, (HAN,)), ((MINORITY, minority),) if minority else ())
    occ = Counter()
    for cat, n in raw["occupation"].items():
        occ[occupation_group(cat)] += n
    out["occupation"] = Breakdown("occupation", _ordered(occ, OCCUPATION_GROUPS))
    out["tag"] = tag_breakdown(raw["tag"])
    return {d: out[d] for d in DIMENSIONS}


def education_derived(groups: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """高中及以上 and 大专及以上 (broadest first, as a table reads "其中：…"), zeros left out."""
    derived = ((HIGH_SCHOOL, sum(n for c, n in groups.items() if c in HIGH_SCHOOL_GROUPS)),
               (COLLEGE, sum(n for c, n in groups.items() if c in COLLEGE_GROUPS)))
    return tuple((c, n) for c, n in derived if n)


def tag_breakdown(raw: Mapping[str | None, int]) -> Breakdown:
    """Per tag (a person with two tags counts under both) and per combination of tags (each person
    once: `Breakdown.combinations`, what the paragraph needs when several tags read as one word).
    `raw` is keyed by the JSON text of a person's whole tag list."""
    tags: Counter = Counter()
    combos: Counter = Counter()
    for text, n in raw.items():
        held = _tags(text)
        for tag in held:
            tags[tag] += n
        if held and n:
            combos[tuple(sorted(held))] += n
    return Breakdown("tag", _ordered(tags), combinations=tuple(sorted(combos.items(), key=lambda x: (-x[1], x[0]))))


def _tags(text: str | None) -> set[str]:
    if not text:
        return set()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    if isinstance(value, str):  # double-encoded by some writer: be lenient
        return _tags(value)
    return {OTHER if is_other(str(t)) else str(t).strip() for t in value or () if str(t).strip()}
