"""The report page's period picker: Chinese choices (2026年上半年, 2026年第三季度…) and a custom
date range instead of typed codes; the old codes in the URL still work (issue 15, item 5)."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def town(login):
    return login("town")


def _options(html: str) -> dict[str, str]:
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html))


def _selected(html: str) -> str:
    return re.search(r'<select name="period"[^>]*>.*?<option value="([^"]+)" selected>', html, re.S)[1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_choices_are_chinese_periods_up_to_today(town, world):
    html = town.get(f"/reports?org={world.township}").text
    options = _options(html)
    assert options["2026H2"] == "2026年下半年" and options["2026H1"] == "2026年上半年"
    assert options["2026"] == "2026年" and options["2026Q4"] == "2026年第四季度" and options["2025Q3"] == "2025年第三季度"
    assert options["2024H1"] == "2024年上半年" and "2023" not in options  # this year and the two before
    assert options["range"] == "自定义日期范围"
    assert _selected(html) == "2026H2"  # today 2026-11-25: the current half year
    assert 'type="date" name="start"' in html and 'type="date" name="end"' in html
    assert 'placeholder="如 2018H1' not in html


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_chosen_period_and_an_old_code_in_the_url(town, world):
    html = town.get(f"/reports?org={world.township}&period=2026Q3").text
    assert "南川乡党委 2026年第三季度" in html and _selected(html) == "2026Q3"
    old = town.get(f"/reports?org={world.township}&period=2018H1")  # an old link: listed on top, selected
    assert old.status_code == 200 and "南川乡党委 2018年上半年" in old.text
    assert _selected(old.text) == "2018H1" and _options(old.text)["2018H1"] == "2018年上半年"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_custom_range(town, world):
    r = town.get(f"/reports?org={world.township}&period=range&start=2026-03-01&end=2026-05-31")
    assert r.status_code == 200 and "2026年3月1日至5月31日" in r.text
    assert _selected(r.text) == "range" and 'name="start" value="2026-03-01"' in r.text
    assert "period=2026-03-01..2026-05-31" in r.text.replace("%2E", ".")  # the downloads carry it
    # an old range code shows as the range; a whole half year typed as dates is that half year
    r = town.get(f"/reports?org={world.township}&period=2026-03-01..2026-05-31")
    assert _selected(r.text) == "range" and 'name="end" value="2026-05-31"' in r.text
    r = town.get(f"/reports?org={world.township}&period=range&start=2026-01-01&end=2026-06-30")
    assert "南川乡党委 2026年上半年" in r.text and _selected(r.text) == "2026H1"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_range_errors_next_to_the_dates(town, world):
    r = town.get(f"/reports?org={world.township}&period=range&start=2026-03-01")
    assert r.status_code == 400
    assert re.search(r'自定义日期范围.*?<p class="field-error">请填写开始日期和结束日期', r.text, re.S)
    r = town.get(f"/reports?org={world.township}&period=range&start=2026-05-01&end=2026-03-01")
    assert r.status_code == 400 and "统计期间的结束日期 2026-03-01 早于开始日期 2026-05-01" in r.text
    assert "2026-05-01..2026-03-01" not in r.text  # the internal form of a range is not shown
    r = town.get(f"/reports?org={world.township}&period=不是期间")
    error = re.search(r"<p class=\"field-error\">([^<]+)</p>", r.text)[1]
    assert r.status_code == 400 and error.startswith("统计期间无法识别，请从列表中选择") and "H1" not in error


# Townships report a half year in the month after it ends: early July the page opens on the 上半年
# just completed, early January on last year's 下半年 (an earlier review found 2026-07-03 opening on
# 2026年下半年, three days old). Times are UTC; the app's clock reads them in Asia/Shanghai.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("utc_now", "expected", "label"), [
    ("2026-06-30 15:59", "2026H1", "2026年上半年"),  # 06-30 23:59 Shanghai: the half year still running
    ("2026-06-30 16:01", "2026H1", "2026年上半年"),  # 07-01 00:01 Shanghai: the half year just completed
    ("2026-07-03 02:00", "2026H1", "2026年上半年"),
    ("2026-07-31 15:59", "2026H1", "2026年上半年"),
    ("2026-07-31 16:01", "2026H2", "2026年下半年"),  # 08-01: reporting is over, the current half year
    ("2026-12-31 15:59", "2026H2", "2026年下半年"),
    ("2026-12-31 16:01", "2026H2", "2026年下半年"),  # 2027-01-01: last year's 下半年
    ("2027-01-05 02:00", "2026H2", "2026年下半年"),
    ("2027-01-31 16:01", "2027H1", "2027年上半年"),  # 02-01
])
def test_the_default_period_is_the_half_year_just_completed_in_the_reporting_month(
        app, world, login, utc_now, expected, label):
    from freezegun import freeze_time

    from services.app import shanghai_now

    app.clock = shanghai_now
    with freeze_time(utc_now):
        town = login("town")
        html = town.get(f"/reports?org={world.township}").text
        assert _selected(html) == expected and f"南川乡党委 {label}" in html
        api = town.get(f"/api/reports?org={world.township}").json()
        assert api["period"]["key"] == expected
