"""Period reports on a real database (SQLite and PostgreSQL), built through the real services.

The seed: a township's 2018 half-year report says "全乡今年上半年共发展党员 14 名，其中致富带头人
9 名，干部党员 5 名，培养入党积极分子 21 名". The township here is recorded step by step
(register_applicant / complete_step with lawful sample evidence, dates from 2015 on), and the
report must count exactly that — and move a candidate across a period boundary when a date is
on one side or the other, or is corrected across it.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from engine import DomainError
from reports.health import health
from reports.model import MEASURES
from reports.period import next_period, parse_period
from services.casework import candidates as uc
from services.organisation import directory
from services.planning.plans import get_plan, set_plan
from services.reporting.period_report import build_report, report_dict, write_report
from services.demo.sample_evidence import sample_evidence
from storage.tables import deadline
from tests.helpers import ORDER, TIMELINE

SEED = "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名，培养入党积极分子 21 名"
ACTIVIST_STEPS = ORDER[: ORDER.index("activist_selection") + 1]  # application, first_talk, activist_selection
ADMISSION_STEPS = ORDER[: ORDER.index("admission_approval") + 1]


@pytest.fixture
def nc(app):
    """南川乡: two village branches with four full members each (mentors and sponsors)."""
    with app.uow() as uow:
        county = uow.orgs.add(code="zy", name="镇原县委", level="county")
        town = uow.orgs.add(code="nc", name="南川乡党委", level="township", parent_id=county)
        other = uow.orgs.add(code="tq", name="太平乡党委", level="township", parent_id=county)
        b1 = uow.orgs.add(code="hf", name="贺丰村党支部", level="branch", kind="rural", parent_id=town)
        b2 = uow.orgs.add(code="dw", name="东王村党支部", level="branch", kind="rural", parent_id=town)
        b3 = uow.orgs.add(code="tp", name="太平村党支部", level="branch", kind="rural", parent_id=other)
        members = {b: [uow.people.add(name=f"党员{b}{i}", gender="男", birth_date=date(1968, 1, 1),
                                      party_status="full_member", branch_id=b) for i in range(4)] for b in (b1, b2, b3)}
    return {"b1": b1, "b2": b2, "b3": b3, "members": members, "n": 0}


def _person(app, nc, *, tags=(), gender="女", birth=date(1990, 5, 1), education="高中", ethnicity="汉族",
            occupation="农牧渔民"):
    nc["n"] += 1
    numeral = "".join("〇一二三四五六七八九"[int(d)] for d in str(nc["n"]))  # a name is letters (no digits)
    return directory.add_person(app, f"申请人{numeral}", gender, birth, ethnicity=ethnicity, education=education,
                                occupation=occupation, tags=tags)


def _walk(app, nc, person, branch, dates: dict[str, date], steps) -> int:
    """Register `person` in `branch` and record `steps` on `dates` with lawful sample evidence."""
    m = nc["members"][branch]
    cid = uc.register_applicant(app, person_id=person, branch_id=branch, occurred_on=dates["application"],
                                actor="书记").candidate_id
    for step in steps[1:]:
        ev = sample_evidence(step, dates[step], mentors=m[:2], sponsors=m[2:], cal=app.calendar)
        uc.complete_step(app, cid, step, occurred_on=dates[step], actor="书记", evidence=ev)
    return cid


def _shifted(anchor_step: str, on: date) -> dict[str, date]:
    """The lawful default timeline moved so that `anchor_step` falls on `on`."""
    delta = on - TIMELINE[anchor_step]
    return {s: d + delta for s, d in TIMELINE.items()}


def admitted_on(app, nc, on: date, branch=None, **person) -> int:
    """A candidate approved as a probationary member (step 17) on `on`."""
    return _walk(app, nc, _person(app, nc, **person), branch or nc["b1"], _shifted("admission_approval", on),
                 ADMISSION_STEPS)


def activist_since(app, nc, on: date, branch=None, *, target_on: date | None = None, mentors: bool = False,
                   **person) -> int:
    """A candidate made an activist (step 3) on `on` (filed and given mentors too: `mentors`; and a
    development target on `target_on`)."""
    dates = _shifted("activist_selection", on)
    steps = ACTIVIST_STEPS
    if mentors:
        dates |= {"activist_filing": on, "mentors_assigned": on}
        steps = ORDER[: ORDER.index("mentors_assigned") + 1]
    if target_on is not None:
        dates |= {"activist_filing": on, "mentors_assigned": on, "target_selection": target_on}
        steps = ORDER[: ORDER.index("target_selection") + 1]
    return _walk(app, nc, _person(app, nc, **person), branch or nc["b1"], dates, steps)


def totals(report) -> dict[str, int]:
    return {k: report.total(k) for k in MEASURES}


def _paragraph(report):
    from reports import render

    return render.paragraph(report)


# ------------------------------------------------------------------ the seed's figures


def test_the_seed_township_reproduces_the_half_year_paragraph(app, nc):
    for i in range(14):
        tags = ["致富带头人"] if i < 9 else ["村干部"]
        branch = nc["b1"] if i % 2 else nc["b2"]
        admitted_on(app, nc, date(2018, 1, 8) + timedelta(days=12 * i), branch, tags=tags,
                    gender="男" if i % 3 else "女", birth=date(1980 + i, 3, 1), education="大专" if i < 4 else "高中")
    for i in range(21):
        activist_since(app, nc, date(2017, 3, 1) + timedelta(days=15 * i), nc["b1"] if i % 2 else nc["b2"])
    # outside the scope: an admission in another township
    admitted_on(app, nc, date(2018, 5, 10), nc["b3"], tags=["致富带头人"])

    report = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1))
    assert totals(report) == {"admitted": 14, "converted": 0, "extended": 0, "cancelled": 0, "applicants": 0,
                              "activists_selected": 0, "targets_selected": 7, "activists": 21, "targets": 0,
                              "applicants_waiting": 0, "probationary": 14}
    adm = report.measures["admitted"]
    assert adm.count("tag", "致富带头人") == 9 and adm.count("tag", "村干部") == 5
    assert dict(adm.breakdowns["branch"].counts) == {"贺丰村党支部": 7, "东王村党支部": 7}
    assert dict(adm.breakdowns["gender"].counts) == {"男": 9, "女": 5}
    # born 1980-03-01 … 1993-03-01, approved 2018-01-08 … 2018-06-13: the admitted are counted by
    # their age on the day of approval (37, 36, 35, 34, 33, 33, 32, 31, 30, …, 25) …
    assert adm.breakdowns["age_band"].counts == (("30岁及以下", 6), ("31至35岁", 6), ("36至40岁", 2))
    assert adm.breakdowns["age_band"].derived == (("35岁及以下", 12),)
    assert adm.count("age_band", "35岁及以下") == 12
    # … the probationary (a stock) by their age on 2018-06-30: born after 1982-06-30 → 35 or younger
    prob = report.measures["probationary"]
    assert dict(prob.breakdowns["age_band"].counts) == {"30岁及以下": 6, "31至35岁": 5, "36至40岁": 3}
    assert prob.count("age_band", "35岁及以下") == 11
    assert adm.breakdowns["education"].counts == (("大专", 4), ("高中/中专", 10))
    assert adm.count("education", "大专及以上") == 4
    assert any("第二十四条" in n for n in report.notes) and any("第三十二条" in n for n in report.notes)
    assert any("发展党员按被批准入党（上级党委审批）之日的年龄计算" in n for n in report.notes)
    assert SEED in _paragraph(report)

    # the county sees both townships; the other township only its own
    assert build_report(app, "zy", "2018H1", as_of=date(2018, 7, 1)).total("admitted") == 15
    assert build_report(app, "tq", "2018H1", as_of=date(2018, 7, 1)).total("admitted") == 1
    # a branch
    assert build_report(app, "hf", "2018H1", as_of=date(2018, 7, 1)).total("activists") == 10

    d = report_dict(report)
    assert d["measures"]["admitted"]["total"] == 14 and d["period"]["key"] == "2018H1"
    assert SEED in d["paragraph"]


# ------------------------------------------------------------------ period boundaries


@pytest.mark.parametrize("approved, counts", [
    (date(2018, 6, 30), {"2018H1": 1, "2018H2": 0, "2018": 1}),
    (date(2018, 7, 1), {"2018H1": 0, "2018H2": 1, "2018": 1}),
    (date(2018, 12, 31), {"2018H2": 1, "2019H1": 0, "2018": 1, "2018Q4": 1}),
    (date(2019, 1, 1), {"2018H2": 0, "2019H1": 1, "2018": 0, "2019Q1": 1}),
])
def test_admission_counts_on_its_approval_date(app, nc, approved, counts):
    admitted_on(app, nc, approved)
    for period, n in counts.items():
        assert build_report(app, "nc", period).total("admitted") == n, period


@pytest.mark.parametrize("target_on, h1_activists, h1_targets", [
    (date(2018, 6, 30), 0, 1),  # became a target on the last day: a target, no longer an activist
    (date(2018, 7, 1), 1, 0),  # a target only the day after
])
def test_activist_or_target_on_the_last_day(app, nc, target_on, h1_activists, h1_targets):
    activist_since(app, nc, date(2017, 5, 2), target_on=target_on)
    report = build_report(app, "nc", "2018H1")
    assert (report.total("activists"), report.total("targets")) == (h1_activists, h1_targets)
    day_before = build_report(app, "nc", "2018-01-01..2018-06-29")
    assert (day_before.total("activists"), day_before.total("targets")) == (1, 0)


@pytest.mark.parametrize("birth, band, young", [
    (date(1982, 4, 29), "36至40岁", 0),  # 36th birthday the day before the approval: 36
    (date(1982, 4, 30), "36至40岁", 0),  # 36th birthday on the day of the approval: 36
    (date(1982, 5, 1), "31至35岁", 1),  # 36th birthday the day after: still 35 when approved
])
def test_admitted_age_is_the_age_on_the_approval_date(app, nc, birth, band, young):
    admitted_on(app, nc, date(2018, 4, 30), birth=birth)
    report = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1))
    adm = report.measures["admitted"]
    assert adm.breakdowns["age_band"].counts == ((band, 1),)
    assert adm.count("age_band", "35岁及以下") == young
    assert adm.breakdowns["age_band"].derived == ((("35岁及以下", 1),) if young else ())
    # every other figure: the age on the period's last day (2018-06-30), 36 for all three
    prob = report.measures["probationary"]
    assert prob.breakdowns["age_band"].counts == (("36至40岁", 1),) and prob.count("age_band", "35岁及以下") == 0
    # the plan's under_35 share follows the admitted figure
    set_plan(app, "nc", 2018, 1, ["under_35=60%"])
    plan = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1)).plan
    assert [(p.label, p.actual) for p in plan] == [("发展党员", 1), ("35岁及以下占比", float(young))]


def test_age_bands_at_admission_on_a_leap_day_and_at_the_edges(app, nc):
    """2016-02-29: born 1985-03-01 is 30, born 1985-02-28 is 31 (both dialects alike); the
    youngest and oldest bands are open-ended."""
    for birth in (date(1985, 3, 1), date(1985, 2, 28), date(1955, 3, 1), date(1955, 2, 28)):
        admitted_on(app, nc, date(2016, 2, 29), birth=birth)
    adm = build_report(app, "nc", "2016H1", as_of=date(2016, 7, 1)).measures["admitted"]
    assert adm.breakdowns["age_band"].counts == (("30岁及以下", 1), ("31至35岁", 1), ("56至60岁", 1),
                                                 ("61岁及以上", 1))
    assert adm.count("age_band", "35岁及以下") == 2


def test_a_withdrawn_activist_is_not_under_cultivation_after_leaving(app, nc):
    cid = activist_since(app, nc, date(2017, 5, 2))
    uc.exceptional(app, cid, "withdraw", occurred_on=date(2018, 6, 30), actor="书记", reason="本人申请撤回")
    assert build_report(app, "nc", "2018H1").total("activists") == 0
    assert build_report(app, "nc", "2018-01-01..2018-06-29").total("activists") == 1


def test_a_correction_across_the_boundary_moves_the_count(app, nc):
    cid = admitted_on(app, nc, date(2018, 6, 30))
    assert [build_report(app, "nc", p).total("admitted") for p in ("2018H1", "2018H2")] == [1, 0]
    with app.uow() as uow:
        seq = max(e.seq for e in uow.events.list_for(cid) if e.step == "admission_approval")
    uc.correct(app, cid, seq, actor="组织委员", reason="审批日期录错", occurred_on=date(2018, 7, 2))
    assert [build_report(app, "nc", p).total("admitted") for p in ("2018H1", "2018H2")] == [0, 1]


def test_applications_conversions_and_breakdown_categories(app, nc):
    """Applicants by application date; conversions by the approval; tags and ethnicity groups."""
    _walk(app, nc, _person(app, nc, ethnicity="回族", education="大学本科", tags=["致富带头人", "退役军人"]),
          nc["b1"], _shifted("application", date(2018, 1, 1)), ORDER[:1])
    _walk(app, nc, _person(app, nc, ethnicity="藏族", education="硕士研究生", tags=["致富带头人"]),
          nc["b2"], _shifted("application", date(2018, 6, 30)), ORDER[:1])
    _walk(app, nc, _person(app, nc, education=None), nc["b2"], _shifted("application", date(2017, 12, 31)), ORDER[:1])
    _walk(app, nc, _person(app, nc, education="初中"), nc["b1"], _shifted("conversion_approval", date(2018, 7, 10)),
          ORDER[: ORDER.index("conversion_approval") + 1])
    report = build_report(app, "nc", "2018H1")
    a = report.measures["applicants"]
    assert a.total == 2
    assert a.breakdowns["ethnicity"].counts == (("回族", 1), ("藏族", 1)) and a.count("ethnicity", "少数民族") == 2
    assert a.breakdowns["education"].counts == (("研究生", 1), ("大学本科", 1)) and a.count("education", "大专及以上") == 2
    assert a.breakdowns["tag"].counts == (("致富带头人", 2), ("退役军人", 1))
    h2 = build_report(app, "nc", "2018H2")
    assert (h2.total("converted"), h2.total("applicants")) == (1, 0)
    assert build_report(app, "nc", "2017H2").measures["applicants"].count("education", "未填写") == 1


# ------------------------------------------------------------------ pipeline health


def test_pipeline_health_overdue_late_and_ready_next(app, nc):
    # first talk due one month after the application (第七条)
    overdue = _walk(app, nc, _person(app, nc), nc["b1"], {"application": date(2018, 5, 1)}, ORDER[:1])  # due 06-01
    _walk(app, nc, _person(app, nc), nc["b1"], {"application": date(2018, 6, 1)}, ORDER[:1])  # due 07-01: not yet
    late = _walk(app, nc, _person(app, nc), nc["b2"], {"application": date(2018, 1, 5), "first_talk": date(2018, 3, 1)},
                 ORDER[:2])
    # an activist since 2017-08-01: the six-monthly cultivation record was due 2018-02-01 (recurring,
    # 第十一条) and target selection is possible from 2018-08-01 (第十三条): in 2018H2
    activist = activist_since(app, nc, date(2017, 8, 1), mentors=True)
    report = build_report(app, "nc", "2018H1", as_of=date(2018, 8, 15))
    h = report.health
    assert [(i.candidate_id, i.step, i.on) for i in h.overdue] == [
        (activist, "cultivation", date(2018, 2, 1)), (overdue, "first_talk", date(2018, 6, 1))]
    assert h.overdue_total == 2
    assert h.overdue[1].detail == "逾期 30 天" and h.overdue[1].step_name == "党组织派人谈话"
    assert [(i.candidate_id, i.step, i.on) for i in h.late] == [(late, "first_talk", date(2018, 3, 1))]
    assert h.late[0].detail == "最迟应于 2018-02-05（含当日）完成，实际 2018-03-01"
    assert [(i.step, i.on) for i in h.ready_next] == [("target_selection", date(2018, 8, 1))]
    # a correction that makes the step timely takes it off the late list
    with app.uow() as uow:
        seq = max(e.seq for e in uow.events.list_for(late) if e.step == "first_talk")
    uc.correct(app, late, seq, actor="书记", reason="谈话日期录错", occurred_on=date(2018, 1, 20))
    assert build_report(app, "nc", "2018H1", as_of=date(2018, 8, 15)).health.late == ()
    # overdue on the report day while the period is still running: strictly before that day
    def talks(as_of):
        return [i.candidate_id for i in build_report(app, "nc", "2018H1", as_of=as_of).health.overdue if i.step == "first_talk"]

    assert talks(date(2018, 6, 1)) == [] and talks(date(2018, 6, 2)) == [overdue]


def test_overdue_and_ready_lists_are_the_first_rows_by_date_over_every_kind(app):
    """The lists take the first `limit` rows of each kind of deadline (each read in date order from
    its index) and merge them: the same rows in the same order as the first `limit` of all the
    rows that qualify — both overdue kinds interleaved, ties on a date, a county and one branch."""
    rng = random.Random(5)
    rows = []
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="县委", level="county")
        branches = [uow.orgs.add(code=f"b{i}", name=f"村{i}党支部", level="branch", kind="rural", parent_id=county)
                    for i in range(2)]
        for i in range(40):
            pid = uow.people.add(name=f"人{i}", gender="男", birth_date=date(1990, 1, 1))
            bid = branches[i % 2]
            cid = uow.candidates.add(person_id=pid, branch_id=bid, definition_key="cpc_2014@1", stage="applicant",
                                     state={}, applied_on=date(2017, 1, 1), now=app.now())
            for kind, step in (("due", "first_talk"), ("recurring", "cultivation"), ("earliest", "target_selection")):
                if rng.random() < 0.8:
                    rows.append({"candidate_id": cid, "branch_id": bid, "step": step, "kind": kind,
                                 "due_on": date(2018, 1, 1) + timedelta(days=rng.randrange(0, 400, 20))})
        uow.connection.execute(deadline.insert(), rows)
    period = parse_period("2018H1")
    following = next_period(period)

    def first(kinds, lo, hi, scope):
        picked = [(r["due_on"], r["candidate_id"], r["step"], r["kind"]) for r in rows
                  if r["kind"] in kinds and lo <= r["due_on"] <= hi and (scope is None or r["branch_id"] in scope)]
        return [(on, cid, step) for on, cid, step, _ in sorted(picked)[:7]]  # ties: by the row's key

    with app.uow(read_only=True) as uow:
        for scope in (None, branches[:1]):
            h = health(uow.connection, scope, period, following, date(2019, 1, 1), {}, limit=7)
            assert [(i.on, i.candidate_id, i.step) for i in h.overdue] == first(
                ("due", "recurring"), date.min, period.end, scope)
            assert [(i.on, i.candidate_id, i.step) for i in h.ready_next] == first(
                ("earliest",), following.start, following.end, scope)
            assert h.overdue_total == sum(1 for r in rows if r["kind"] != "earliest" and r["due_on"] <= period.end
                                          and (scope is None or r["branch_id"] in scope))


# ------------------------------------------------------------------ plan vs actual


def test_plan_vs_year_to_date_actual(app, nc):
    set_plan(app, "nc", 2018, 10, ["under_35=60%", "college=0.5", "tag:致富带头人=3"], note="乡党委2018年计划")
    admitted_on(app, nc, date(2018, 3, 1), tags=["致富带头人"], birth=date(1995, 1, 1), education="大专")
    admitted_on(app, nc, date(2018, 8, 1), birth=date(1970, 1, 1))
    h1 = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1))
    assert [(p.label, p.planned, p.actual, p.is_share) for p in h1.plan] == [
        ("发展党员", 10, 1, False), ("35岁及以下占比", 0.6, 1.0, True), ("大专及以上学历占比", 0.5, 1.0, True),
        ("致富带头人", 3, 1, False)]
    h2 = build_report(app, "nc", "2018H2")  # year to date = the whole year
    assert [(p.label, p.actual) for p in h2.plan][:2] == [("发展党员", 2), ("35岁及以下占比", 0.5)]
    assert any("全年计划对照" in n for n in h2.notes)
    assert build_report(app, "nc", "2019H1").plan == ()
    assert get_plan(app, "nc", 2018)[0]["targets"][0] == {"key": "under_35", "label": "35岁及以下", "value": 0.6,
                                                         "is_share": True}
    with pytest.raises(DomainError, match="未知的计划指标“youth”"):
        set_plan(app, "nc", 2018, 10, ["youth=60%"])
    with pytest.raises(DomainError, match="应在 0 到 1 之间"):
        set_plan(app, "nc", 2018, 10, {"college": 1.5})


# ------------------------------------------------------------------ files and refusals


def test_writes_every_format(app, nc, tmp_path):
    admitted_on(app, nc, date(2018, 3, 1), tags=["致富带头人"])
    report = build_report(app, "nc", "2018H1")
    for fmt in ("text", "md", "xlsx", "docx"):
        out = write_report(app, report, fmt, tmp_path / f"r.{fmt}")
        assert out.stat().st_size > 0
    assert "发展党员 1 名" in (tmp_path / "r.text").read_text(encoding="utf-8")


def test_bad_requests_are_refused_in_chinese(app, nc):
    with pytest.raises(DomainError, match="统计期间“2018H3”无法识别"):
        build_report(app, "nc", "2018H3")
    with pytest.raises(DomainError, match="找不到组织“nope”"):
        build_report(app, "nope", "2018H1")
    with pytest.raises(DomainError, match="尚未开始"):
        build_report(app, "nc", "2027H1")


# ------------------------------------------------------------------ categories from the records


def test_tags_of_one_word_count_a_person_once_in_the_paragraph(app, nc):
    """Someone who is both 村干部 and 干部党员 is one 干部党员 in the paragraph, under both tags in
    the table (the counting returns one key per tag combination)."""
    admitted_on(app, nc, date(2018, 3, 1), tags=["村干部", "干部党员"])
    admitted_on(app, nc, date(2018, 3, 2), tags=["干部党员", "村干部"])  # the same pair, written the other way
    admitted_on(app, nc, date(2018, 3, 5), tags=["致富带头人", "村干部"])
    admitted_on(app, nc, date(2018, 3, 8), tags=[])
    report = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1))
    adm = report.measures["admitted"]
    assert dict(adm.breakdowns["tag"].counts) == {"村干部": 3, "干部党员": 2, "致富带头人": 1}
    assert dict(adm.breakdowns["tag"].combinations) == {("干部党员", "村干部"): 2, ("村干部", "致富带头人"): 1}
    assert "全乡今年上半年共发展党员 4 名，其中致富带头人 1 名，干部党员 3 名。" == _paragraph(report)


def test_occupation_and_education_groups_from_free_text(app, nc):
    people = [("农民", "高中"), ("村（社区）干部", "中专"), ("企业员工", "大专"), ("退休教师", "初中"), (None, "大学本科"),
              ("外出务工", None), ("公务员", "硕士研究生"), ("个体户", "小学")]
    for i, (occupation, education) in enumerate(people):
        admitted_on(app, nc, date(2018, 2, 1) + timedelta(days=3 * i), occupation=occupation, education=education)
    set_plan(app, "nc", 2018, 8, ["high_school=80%", "college=0.5"])
    report = build_report(app, "nc", "2018H1", as_of=date(2018, 7, 1))
    adm = report.measures["admitted"]
    assert adm.breakdowns["occupation"].counts == (
        ("工人", 2), ("农牧渔民", 2), ("党政机关工作人员", 1), ("离退休人员", 1), ("其他", 1), ("未填写", 1))
    assert adm.breakdowns["education"].counts == (
        ("研究生", 1), ("大学本科", 1), ("大专", 1), ("高中/中专", 2), ("初中及以下", 2), ("未填写", 1))
    assert adm.breakdowns["education"].derived == (("高中及以上", 5), ("大专及以上", 3))
    assert [(p.label, p.planned, p.actual) for p in report.plan] == [
        ("发展党员", 8, 8), ("大专及以上学历占比", 0.5, 0.375), ("高中及以上学历占比", 0.8, 0.625)]
    assert get_plan(app, "nc", 2018)[0]["targets"][1] == {"key": "high_school", "label": "高中及以上学历",
                                                         "value": 0.8, "is_share": True}


# ------------------------------------------------------------------ compliance


def test_late_steps_counted_per_step_and_rule(app, nc):
    """Two late first talks (due a month after the application, 第七条) and a late approval (due
    three months after the branch meeting: 第二十六条 in cpc_2014@2, new candidates' rules) in the
    half year; a late talk outside the scope and one after the period do not count."""
    def late_talk(branch, applied):
        return _walk(app, nc, _person(app, nc), branch,
                     {"application": applied, "first_talk": applied + timedelta(days=45)}, ORDER[:2])

    late_talk(nc["b1"], date(2018, 1, 5))
    late_talk(nc["b2"], date(2018, 3, 1))
    late_talk(nc["b3"], date(2018, 3, 1))  # another township
    late_talk(nc["b1"], date(2018, 5, 20))  # talk on 07-04: 2018H2
    dates = _shifted("admission_meeting", date(2018, 1, 10)) | {"admission_approval": date(2018, 5, 20)}
    _walk(app, nc, _person(app, nc), nc["b2"], dates, ADMISSION_STEPS)
    report = build_report(app, "nc", "2018H1", as_of=date(2018, 8, 1))
    h = report.health
    assert [(r.number, r.step, r.step_name, r.article, r.count) for r in h.late_by_rule] == [
        (2, "first_talk", "党组织派人谈话", "第七条", 2), (17, "admission_approval", "上级党委审批", "第二十六条", 1)]
    assert h.late_total == 3 == len(h.late)
    assert build_report(app, "nc", "2018H2", as_of=date(2018, 8, 1)).health.late_by_rule[0].count == 1
    assert [r.count for r in build_report(app, "zy", "2018H1", as_of=date(2018, 8, 1)).health.late_by_rule] == [3, 1]
    d = report_dict(report)["health"]["late_by_rule"]
    assert d[1] == {"step": "admission_approval", "step_name": "上级党委审批", "article": "第二十六条", "count": 1,
                    "number": 17}
    assert "细则第二十六条" in _text(report)


def _text(report):
    from reports import render

    return render.text(report)


def _branch(app, nc, code: str, name: str) -> int:
    """One more village branch of 南川乡 with four full members."""
    with app.uow() as uow:
        town = uow.orgs.by_code("nc").id
        b = uow.orgs.add(code=code, name=name, level="branch", kind="rural", parent_id=town)
        nc["members"][b] = [uow.people.add(name=f"党员{b}{i}", gender="男", birth_date=date(1968, 1, 1),
                                           party_status="full_member", branch_id=b) for i in range(4)]
    return b


@pytest.mark.parametrize("last, years, flag", [
    (date(2017, 7, 1), None, None),  # the day after two years before 2019-06-30: not yet two years
    (date(2017, 6, 30), 2, "2年以上"),  # exactly two years (以上 includes the number)
    (date(2017, 6, 29), 2, "2年以上"),  # the day before
    (date(2016, 7, 1), 2, "2年以上"),  # the day after three years before: still 2
    (date(2016, 6, 30), 3, "3年以上"),  # exactly three years
    (date(2016, 6, 29), 3, "3年以上"),
])
def test_branches_without_development_for_two_or_three_years(app, nc, last, years, flag):
    admitted_on(app, nc, last, nc["b1"])
    admitted_on(app, nc, date(2019, 7, 1), nc["b1"])  # after the period's end: does not count for 2019H1
    admitted_on(app, nc, date(2019, 3, 1), nc["b2"])  # admitted lately: never listed
    never = _branch(app, nc, "xj", "新集村党支部")  # nobody admitted, ever
    report = build_report(app, "nc", "2019H1", as_of=date(2019, 8, 1))
    assert report.dormant_on == date(2019, 6, 30)
    got = [(d.branch_id, d.last_admitted, d.years, d.flag) for d in report.dormant]
    want = [(never, None, None, "无发展记录")] + ([(nc["b1"], last, years, flag)] if flag else [])
    assert got == want
    assert any("两年以上未发展党员的党支部" in n for n in report.notes)
    # the county sees the same branches; the other township's branch has never admitted anyone
    county = build_report(app, "zy", "2019H1", as_of=date(2019, 8, 1))
    assert {d.branch_id for d in county.dormant} == {b for b, *_ in want} | {nc["b3"]}
    # a branch report: only itself
    assert [d.branch_id for d in build_report(app, "dw", "2019H1", as_of=date(2019, 8, 1)).dormant] == []


def _org_id(app, code: str) -> int:
    with app.uow(read_only=True) as uow:
        return uow.orgs.by_code(code).id


def test_a_running_period_reckons_dormancy_on_the_report_day(app, nc):
    admitted_on(app, nc, date(2017, 6, 20), nc["b1"])
    admitted_on(app, nc, date(2019, 1, 10), nc["b2"])
    running = build_report(app, "nc", "2019H1", as_of=date(2019, 6, 19))
    assert running.dormant_on == date(2019, 6, 19) and running.dormant == ()
    on_the_day = build_report(app, "nc", "2019H1", as_of=date(2019, 6, 20))
    assert [(d.branch_name, d.years, d.flag) for d in on_the_day.dormant] == [("贺丰村党支部", 2, "2年以上")]
    d = report_dict(on_the_day)["dormant_branches"]
    assert d == {"on": "2019-06-20", "items": [{"branch_id": nc["b1"], "branch_name": "贺丰村党支部",
                                                "last_admitted": "2017-06-20", "years": 2, "flag": "2年以上",
                                                "unit_id": _org_id(app, "nc"), "unit_name": "南川乡党委"}]}
    assert "贺丰村党支部" in _text(on_the_day).split("两年以上未发展党员的党支部")[1]
