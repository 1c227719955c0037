"""A hand-made Report with the seed township's figures (南川乡, 2018 上半年: 14 admitted — 9
致富带头人, 5 村干部 — and 21 activists), for the rendering tests and the example page in docs/.

`seed_report()` has exactly the seed's figures (so its paragraph is the seed's sentence);
`seed_report(full=True)` adds conversions, an extension, applications, development targets, a
plan and pipeline-health items, so every section of every rendering has something to show.
"""
from __future__ import annotations

from datetime import date

from reports.categories import education_derived
from reports.model import (
    MEASURES,
    Breakdown,
    DormantBranch,
    LateRule,
    Measure,
    OrgRef,
    Period,
    PipelineHealth,
    PipelineItem,
    PlanLine,
    Report,
)

RURAL = ["贺丰村", "东王村", "南川村", "王湾村", "新集村", "庙渠村", "高山村", "柳沟村", "石咀村", "沟卢村"]
ORGAN = ["乡机关", "乡中心小学", "乡卫生院", "乡农业服务中心"]
BRANCHES = tuple(OrgRef(100 + i, f"{n}党支部", "branch") for i, n in enumerate(RURAL + ORGAN))

H1 = Period("2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half")
H2 = Period("2018H2", "2018年下半年", date(2018, 7, 1), date(2018, 12, 31), "half")
TOWNSHIP = OrgRef(10, "南川乡", "township")


YOUNG = ("30岁及以下", "31至35岁")


def measure(key: str, total: int, **dims: dict[str, int]) -> Measure:
    """A Measure from {dimension: {category: count}}; branch keys may omit the "党支部" suffix.
    Education gets the derived 高中及以上 and 大专及以上 figures and age the derived 35岁及以下
    (30岁及以下 + 31至35岁), as reports/categories.py gives them."""
    breakdowns = {}
    for dim, counts in dims.items():
        if dim == "branch":
            counts = {(k if k.endswith("党支部") else f"{k}党支部"): v for k, v in counts.items()}
        derived: tuple[tuple[str, int], ...] = ()
        if dim == "education":
            derived = education_derived(counts)
        young = sum(n for c, n in counts.items() if c in YOUNG)
        if dim == "age_band" and young:
            derived = (("35岁及以下", young),)
        breakdowns[dim] = Breakdown(dim, tuple((c, n) for c, n in counts.items() if n), derived)
    return Measure(key, total, breakdowns)


def empty_measures() -> dict[str, Measure]:
    return {key: Measure(key, 0, {}) for key in MEASURES}


NOTES = (
    "发展党员以上级党委审批日期（第二十四条）计入所在期间；预备党员转正以上级党委审批转正日期（第三十四条）计入。",
    "延长预备期、取消预备党员资格以支部大会决议日期（第三十二条）计入；入党申请以递交申请日期（第五条）计入。",
    "入党积极分子、发展对象为统计期末（2018年6月30日）仍在培养的人数。",
)


def seed_report(*, full: bool = False, as_of: date = date(2018, 7, 5)) -> Report:
    measures = empty_measures()
    measures["admitted"] = measure(
        "admitted", 14,
        branch={"贺丰村": 3, "东王村": 2, "南川村": 2, "王湾村": 1, "新集村": 1, "庙渠村": 1, "高山村": 1,
                "柳沟村": 1, "乡机关": 2},
        gender={"男": 11, "女": 3},
        age_band={"30岁及以下": 4, "31至35岁": 6, "36至40岁": 2, "41至45岁": 1, "46至50岁": 1},
        education={"初中及以下": 4, "高中/中专": 6, "大专": 3, "大学本科": 1},
        ethnicity={"汉族": 14},
        occupation={"农牧渔民": 12, "党政机关工作人员": 2},
        tag={"致富带头人": 9, "村干部": 5},
    )
    measures["activists"] = measure(
        "activists", 21,
        branch={"贺丰村": 3, "东王村": 3, "南川村": 2, "王湾村": 2, "新集村": 2, "庙渠村": 1, "高山村": 2,
                "柳沟村": 1, "石咀村": 1, "沟卢村": 1, "乡机关": 2, "乡中心小学": 1},
        gender={"男": 15, "女": 6},
        age_band={"30岁及以下": 8, "31至35岁": 6, "36至40岁": 3, "41至45岁": 2, "51至55岁": 2},
        education={"初中及以下": 5, "高中/中专": 8, "大专": 5, "大学本科": 3},
        ethnicity={"汉族": 20, "回族": 1},
        occupation={"农牧渔民": 16, "专业技术人员": 1, "党政机关工作人员": 2, "学生": 2},
        tag={"致富带头人": 8, "村干部": 3, "青年农民": 5},
    )
    plan: tuple[PlanLine, ...] = ()
    health = PipelineHealth((), (), ())
    dormant: tuple[DormantBranch, ...] = ()
    if full:
        measures["converted"] = measure(
            "converted", 6,
            branch={"贺丰村": 2, "东王村": 1, "沟卢村": 1, "石咀村": 1, "乡卫生院": 1},
            gender={"男": 5, "女": 1}, age_band={"30岁及以下": 1, "31至35岁": 3, "41至45岁": 2},
            education={"高中/中专": 3, "大专": 2, "大学本科": 1}, ethnicity={"汉族": 6},
            occupation={"农牧渔民": 5, "专业技术人员": 1}, tag={"致富带头人": 3, "村干部": 1},
        )
        measures["extended"] = measure(
            "extended", 1, branch={"沟卢村": 1}, gender={"男": 1}, age_band={"36至40岁": 1},
            education={"初中及以下": 1}, ethnicity={"汉族": 1}, occupation={"农牧渔民": 1},
        )
        measures["applicants"] = measure(
            "applicants", 30,
            branch={"贺丰村": 5, "东王村": 4, "南川村": 3, "王湾村": 3, "新集村": 2, "庙渠村": 2, "高山村": 2,
                    "柳沟村": 2, "石咀村": 1, "沟卢村": 1, "乡机关": 2, "乡中心小学": 2, "乡卫生院": 1},
            gender={"男": 21, "女": 9}, age_band={"30岁及以下": 15, "31至35岁": 7, "36至40岁": 4, "41至45岁": 2, "46至50岁": 2},
            education={"初中及以下": 6, "高中/中专": 11, "大专": 8, "大学本科": 5}, ethnicity={"汉族": 29, "回族": 1},
            occupation={"农牧渔民": 21, "专业技术人员": 2, "党政机关工作人员": 3, "学生": 4},
            tag={"致富带头人": 7, "村干部": 2, "青年农民": 9},
        )
        measures["targets"] = measure(
            "targets", 8,
            branch={"贺丰村": 2, "东王村": 1, "南川村": 1, "王湾村": 1, "高山村": 1, "乡机关": 1, "乡卫生院": 1},
            gender={"男": 6, "女": 2}, age_band={"30岁及以下": 3, "31至35岁": 3, "36至40岁": 2},
            education={"高中/中专": 4, "大专": 3, "大学本科": 1}, ethnicity={"汉族": 8},
            occupation={"农牧渔民": 6, "专业技术人员": 1, "党政机关工作人员": 1},
            tag={"致富带头人": 3, "村干部": 1},
        )
        plan = (
            PlanLine("发展党员（名）", 24, 14),
            PlanLine("35岁及以下占比", 0.6, 10 / 14, is_share=True),
            PlanLine("大专及以上学历占比", 0.3, 4 / 14, is_share=True),
            PlanLine("致富带头人（名）", 12, 9),
        )
        health = PipelineHealth(
            overdue=(
                PipelineItem(5012, "李小红", "沟卢村党支部", "conversion_approval", "上级党委审批（转正）", date(2018, 6, 20), "逾期 10 天"),
                PipelineItem(5031, "张建军", "石咀村党支部", "admission_approval", "上级党委审批", date(2018, 6, 5), "逾期 25 天"),
            ),
            late=(
                PipelineItem(5007, "王志强", "东王村党支部", "admission_approval", "上级党委审批", date(2018, 4, 18),
                             "最迟应于 2018-03-31（含当日）完成，实际 2018-04-18"),
            ),
            ready_next=(
                PipelineItem(5044, "赵丽", "贺丰村党支部", "target_selection", "确定发展对象", date(2018, 7, 12), "培养满一年"),
                PipelineItem(5050, "马文斌", "高山村党支部", "conversion_meeting", "支部大会讨论转正", date(2018, 9, 3), "预备期满一年"),
                PipelineItem(5053, "陈海燕", "乡卫生院党支部", "target_selection", "确定发展对象", date(2018, 11, 20), "培养满一年"),
            ),
            late_by_rule=(LateRule("admission_approval", "上级党委审批", "第二十五条", 1, 17),),
        )
        dormant = (
            DormantBranch(113, "乡农业服务中心党支部", None, None, "无发展记录"),
            DormantBranch(109, "沟卢村党支部", date(2014, 11, 20), 3, "3年以上"),
            DormantBranch(108, "石咀村党支部", date(2016, 5, 12), 2, "2年以上"),
        )
    return Report(
        org=TOWNSHIP, period=H1, next_period=H2, measures=measures, health=health, plan=plan,
        branches=BRANCHES, notes=NOTES, as_of=as_of, dormant=dormant, dormant_on=H1.end if full else None,
    )
