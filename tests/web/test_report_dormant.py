"""两年以上未发展党员的党支部 on the report page: listed in full up to 20, summarised beyond (counts,
the units with most, the first 20) with a link to the paged full list /reports/dormant (50 a
page); the Excel report keeps every branch, the Word report counts them per unit."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook

from reports.model import DORMANT_LISTED
from services.reporting.period_report import DORMANT_PAGE


def _branches(app, world, township: int, n: int, prefix: str) -> None:
    """`n` more branches under `township`, none with an admission: all dormant (无发展记录)."""
    with app.uow() as uow:
        for i in range(n):
            uow.orgs.add(code=f"{prefix}{i}", name=f"{prefix}第{i + 1:02d}村党支部", level="branch", kind="rural",
                         parent_id=township)


def _dormant_section(html: str) -> str:
    return html.split("<h3>两年以上未发展党员的党支部")[1].split("</section>")[0]


@pytest.fixture
def county(login):
    return login("county")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_short_list_is_shown_in_full(app, world, county):
    html = county.get(f"/reports?org={world.county}&period=2026H1").text
    part = _dormant_section(html)
    rows = re.findall(r"<tr><td>([^<]+党支部)</td>", part)
    assert len(rows) <= DORMANT_LISTED and "东王村党支部" in rows
    assert "/reports/dormant" not in part and "共 <strong>" not in part


def test_a_long_list_is_summarised_with_a_link_to_every_branch(app, world, county):
    _branches(app, world, world.township, 40, "南")  # 南川乡 42 in all, 北川乡 1 + 5
    _branches(app, world, world.other_township, 5, "北")
    r = county.get(f"/reports?org={world.county}&period=2026H1")
    assert r.status_code == 200
    part = _dormant_section(r.text)
    got = int(re.search(r"共 <strong>(\d+)</strong> 个党支部", part)[1])
    assert got >= 45 and f"查看全部 {got} 个党支部" in part
    # per unit, most first, each a link to its own list
    units = re.findall(r'<a href="/reports/dormant\?org=(\d+)&amp;period=2026H1">([^<]+)</a></td><td class="n">(\d+)', part)
    assert [(int(i), name) for i, name, _ in units] == [(world.township, "南川乡党委"), (world.other_township, "北川乡党委")]
    assert int(units[0][2]) >= 40 and int(units[1][2]) >= 5 and sum(int(n) for *_, n in units) == got
    # the first 20 branches, not the rest
    listed = re.findall(r"<li>\s*<b>([^<]+党支部)</b>", part)
    assert len(listed) == DORMANT_LISTED and "<tr><td>南第" not in part
    assert "以下列出前 20 个" in part and "Excel" in part


def test_the_paged_list_shows_50_a_page_with_chinese_labels(app, world, county):
    _branches(app, world, world.township, 60, "南")
    first = county.get(f"/reports/dormant?org={world.county}&period=2026H1")
    assert first.status_code == 200
    html = first.text
    total = int(re.search(r"共 <strong>(\d+)</strong> 个党支部", html)[1])
    assert total >= 60
    names = re.findall(r"<li>\s*<b>([^<]+)</b>", html)
    assert len(names) == DORMANT_PAGE and "第 1 / 2 页" in html and "下一页" in html and "上一页" not in html
    assert "返回镇原县委 2026年上半年报告" in html and "无发展记录" in html
    second = county.get(f"/reports/dormant?org={world.county}&period=2026H1&page=2").text
    rest = re.findall(r"<li>\s*<b>([^<]+)</b>", second)
    assert len(rest) == total - DORMANT_PAGE and not set(rest) & set(names)
    assert "第 2 / 2 页" in second and "上一页" in second and 'start="51"' in second
    # a page past the end shows the last; a township's own list is its branches only
    assert "第 2 / 2 页" in county.get(f"/reports/dormant?org={world.county}&period=2026H1&page=9").text
    own = county.get(f"/reports/dormant?org={world.other_township}&period=2026H1").text
    assert "北庄村党支部" in own and "南第01村党支部" not in own and "pager" not in own


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_excel_keeps_every_branch_and_the_word_counts_them_per_unit(app, world, county):
    _branches(app, world, world.township, 30, "南")
    xlsx = county.get(f"/reports/file?org={world.county}&period=2026H1&format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content))["合规情况"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert sum(1 for c in cells if c.startswith("南第") and c.endswith("村党支部")) == 30  # every one, by name
    docx = county.get(f"/reports/file?org={world.county}&period=2026H1&format=docx")
    doc = Document(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "所属单位")
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[1][0] == "南川乡党委" and int(rows[1][1]) >= 30 and rows[-1][0] == "合计"
    assert "按所属单位汇总" in text and "Excel" in text
    assert not any(c.text.startswith("南第") for t in doc.tables for r in t.rows for c in r.cells)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_short_list_stays_in_full_in_the_word(app, world, county):
    docx = county.get(f"/reports/file?org={world.county}&period=2026H1&format=docx")
    doc = Document(io.BytesIO(docx.content))
    assert not any(t.rows[0].cells[0].text == "所属单位" for t in doc.tables)
    assert any(c.text == "东王村党支部" for t in doc.tables for r in t.rows for c in r.cells)
