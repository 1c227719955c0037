"""发展计划 in the web: set a plan (the CLI's `plan set`), read it with plan vs actual."""
from __future__ import annotations

import re
from datetime import date

from services.planning.plans import get_plan, set_plan
from tests.web.web_support import walk


def _lines(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip() for li in re.findall(r"<li><b>(.*?)</li>", html, re.S)]


def test_officer_sets_a_plan_and_sees_plan_vs_actual(app, world, login):
    c = login("town")
    page = c.get(f"/plans?org={world.township}&year=2026")
    assert page.status_code == 200 and "2026年尚未设定发展计划" in page.text
    r = c.form("/plans", {"org": str(world.township), "year": "2026", "admit": "12", "share_under_35": "60",
                          "share_female": "30%", "tag_name_0": "致富带头人", "tag_value_0": "5", "note": "南组字〔2026〕3号"})
    assert r.status_code == 303 and r.headers["location"] == f"/plans?org={world.township}&year=2026"
    plan = get_plan(app, world.township, 2026)[0]
    assert plan["admit_target"] == 12 and plan["note"] == "南组字〔2026〕3号"
    assert {t["key"]: t["value"] for t in plan["targets"]} == {"under_35": 0.6, "female": 0.3, "tag:致富带头人": 5}
    page = c.get(r.headers["location"]).text
    assert "已保存南川乡党委2026年发展党员计划" in page
    # nobody admitted in 2026 yet (the world's furthest candidate waits for pre-review)
    assert _lines(page) == ["发展党员 计划 12 名 · 已完成 0 名 · 还差 12 名",
                            "35岁及以下占比 计划 60% · 已完成 0% · 差 60 个百分点",
                            "女性占比 计划 30% · 已完成 0% · 差 30 个百分点",
                            "致富带头人 计划 5 名 · 已完成 0 名 · 还差 5 名"]
    assert 'name="share_under_35" inputmode="decimal" value="60"' in page  # the form shows the plan to edit


def test_achieved_counts_the_approvals_of_the_year(app, world, login):
    """One approval (第十七步 on 2026-11-20) in 2026: achieved 1 of 2; the 2025 plan achieved nothing."""
    walk(app, world.review, [("pre_review", date(2025, 7, 10)), ("application_form", date(2025, 7, 20)),
                             ("admission_meeting", date(2026, 9, 1)), ("committee_talk", date(2026, 9, 10)),
                             ("admission_approval", date(2026, 11, 20))])
    set_plan(app, world.township, 2026, 2, {"female": "100%"})
    set_plan(app, world.township, 2025, 3)
    c = login("county")  # reads, cannot set
    page = c.get(f"/plans?org={world.township}&year=2026").text
    assert _lines(page) == ["发展党员 计划 2 名 · 已完成 1 名 · 还差 1 名", "女性占比 计划 100% · 已完成 100% · 已达到"]
    assert "已完成数截至 2026-11-25" in page and "保存计划" not in page
    assert _lines(c.get(f"/plans?org={world.township}&year=2025").text) == ["发展党员 计划 3 名 · 已完成 0 名 · 还差 3 名"]


def test_bad_values_are_refused_next_to_their_field(app, world, login):
    c = login("town")
    r = c.form("/plans", {"org": str(world.b1), "year": "2026", "admit": "-3", "share_college": "130", "share_female": "0.6",
                          "tag_name_0": "", "tag_value_0": "4", "tag_name_1": "村干部", "tag_value_1": "两个"})
    assert r.status_code == 400
    errors = re.findall(r'<p class="field-error">([^<]+)</p>', r.text)
    assert errors[0] == "计划发展党员数应为 0 或正整数"
    assert "“大专及以上学历”占比应填写 0 到 100 之间的百分数，如 60 表示 60%（你填写的是“130”）" in errors
    assert "“女性”占比“0.6”含义不明：请填写百分数，如 60 表示 60%" in errors  # not silently 0.6 %
    assert "请填写类别名称（如 致富带头人）" in errors
    assert "“村干部”的计划应填写人数（如 4）或百分数（如 20%），你填写的是“两个”" in errors
    visible = re.sub(r"<[^>]+>", " ", r.text.split("<main>")[1])
    assert len(errors) == 5 and not re.search(r"under_35|college|tag:", visible)
    assert get_plan(app, world.b1) == []


def test_who_may_set_and_read(app, world, login):
    sec = login("sec")
    assert sec.get(f"/plans?org={world.b1}").status_code == 200
    assert "保存计划" not in sec.get(f"/plans?org={world.b1}").text
    assert sec.get(f"/plans?org={world.township}").status_code == 403
    assert sec.form("/plans", {"org": str(world.b1), "year": "2026", "admit": "3"}).status_code == 403
    town = login("town")
    assert town.form("/plans", {"org": str(world.other_township), "year": "2026", "admit": "3"}).status_code == 403
    assert town.form("/plans", {"org": str(world.county), "year": "2026", "admit": "3"}).status_code == 403
    assert town.form("/plans", {"org": str(world.b2), "year": "2026", "admit": "3"}).status_code == 303
    assert get_plan(app, world.other_township) == [] and get_plan(app, world.county) == []
    assert get_plan(app, world.b2)[0]["admit_target"] == 3


def test_a_plan_for_an_unknown_category_or_above_the_admissions_is_refused(app, world, login):
    """A 类别 not on the people's list (a typo: 村干部 for 村(社区)干部) or a head count above the
    year's admissions is a target nobody can meet: refused next to its row, nothing saved — in the
    form and in the service the CLI uses."""
    import pytest

    from engine.errors import DomainError

    c = login("town")
    r = c.form("/plans", {"org": str(world.township), "year": "2026", "admit": "4",
                          "tag_name_0": "村干部", "tag_value_0": "2", "tag_name_1": "致富带头人", "tag_value_1": "5"})
    assert r.status_code == 400
    errors = re.findall(r'<p class="field-error">([^<]+)</p>', r.text)
    assert any(e.startswith("没有“村干部”这个类别：计划只能按 致富带头人、村(社区)干部") for e in errors), errors
    assert "“致富带头人”计划 5 名，超过全年计划发展党员数 4 名" in errors
    assert get_plan(app, world.township) == []
    with pytest.raises(DomainError, match="没有“村干部”这个类别"):
        set_plan(app, world.township, 2026, 4, ["tag:村干部=2"])
    with pytest.raises(DomainError, match="超过全年计划发展党员数 4 名"):
        set_plan(app, world.township, 2026, 4, {"tag:致富带头人": 5})
    assert set_plan(app, world.township, 2026, 5, {"tag:致富带头人": 5})["admit_target"] == 5  # equal is fine
