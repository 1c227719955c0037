"""The report as files: the Excel workbook (openpyxl) and the Word document (python-docx), read
back with the same libraries."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from engine.errors import DomainError
from reports.model import LedgerTable, Measure
from reports.render import paragraph, write_docx, write_xlsx
from reports.render.chart import BAR, cjk_font
from reports.render.sample import seed_report

SEED = "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名，培养入党积极分子 21 名。"
LEDGER = LedgerTable(
    ("序号", "姓名", "性别", "所在党支部", "递交入党申请书"),
    ((1, "张建军", "男", "石咀村党支部", date(2016, 3, 10)), (2, "李小红", "女", "沟卢村党支部", date(2016, 4, 2))),
)


@pytest.fixture(autouse=True)
def _no_override_from_the_environment(monkeypatch):
    monkeypatch.delenv("PARTYFLOW_REPORT_TEMPLATE_DIR", raising=False)


def find_row(ws, first: str, start: int = 1) -> int:
    for row in range(start, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == first:
            return row
    raise AssertionError(f"{first!r} not in column A of {ws.title}")


# --- Excel -------------------------------------------------------------------------------------

def test_workbook_sheets_values_and_totals(tmp_path):
    path = write_xlsx(seed_report(full=True), tmp_path / "out" / "report.xlsx")
    assert path.exists()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["统计表", "计划完成情况", "工作提醒", "合规情况"]
    ws = wb["统计表"]
    assert ws["A1"].value == "南川乡2018年上半年发展党员工作情况"
    assert ws["A3"].value == paragraph(seed_report(full=True))
    head = find_row(ws, "按党支部") + 1
    assert [c.value for c in ws[head]][:3] == ["党支部", "发展党员", "转正"]
    assert [c.value for c in ws[head + 1]][:7] == ["贺丰村党支部", 3, 2, 0, 5, 3, 2]  # numbers, not text
    total = find_row(ws, "合计", head)
    assert [c.value for c in ws[total]][:7] == ["合计", 14, 6, 1, 30, 21, 8]
    assert ws.cell(row=head + 1, column=4).number_format == '0;-0;"-"'  # a zero reads "-"
    tags = find_row(ws, "按类别") + 1
    assert [c.value for c in ws[tags + 1]][:2] == ["致富带头人", 9]
    assert ws.freeze_panes == "A4"


def test_workbook_charts_admissions_by_branch_and_category(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx"))
    ws = wb["统计表"]
    charts = ws._charts
    assert len(charts) == 2
    refs = [c.series[0].val.numRef.f for c in charts]
    head = find_row(ws, "按党支部") + 1
    assert refs[0] == f"'统计表'!$B${head + 1}:$B${head + 13}"  # the 13 branches with any figure
    cats = charts[1].series[0].cat.strRef.f if charts[1].series[0].cat.strRef else charts[1].series[0].cat.numRef.f
    tags = find_row(ws, "按类别") + 1
    assert cats == f"'统计表'!$A${tags + 1}:$A${tags + 3}"


def test_no_chart_when_nobody_was_admitted(tmp_path):
    report = seed_report()
    report = replace(report, measures={**report.measures, "admitted": Measure("admitted", 0, {})})
    wb = openpyxl.load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))
    assert wb["统计表"]._charts == []
    assert wb.sheetnames == ["统计表", "工作提醒", "合规情况"]  # no plan recorded: no plan sheet
    assert wb["工作提醒"]["A4"].value.startswith("注：本期无逾期")


def test_print_setup(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx"))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows
    stats = wb["统计表"]
    assert stats.column_dimensions["A"].width >= 16  # "乡中心小学党支部" fits
    assert stats.row_breaks.brk  # tables kept whole on printed pages


def test_plan_and_health_sheets(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx"))
    plan = wb["计划完成情况"]
    assert [c.value for c in plan[3]] == ["项目", "计划", "实际", "完成情况"]
    assert [c.value for c in plan[4]] == ["发展党员（名）", 24, 14, "完成 58%"]
    assert plan["B5"].value == 0.6 and plan["B5"].number_format == "0.0%"
    health = wb["工作提醒"]
    assert [c.value for c in health[3]] == ["事项", "党支部", "姓名", "环节", "日期", "日期含义", "说明"]
    first = [c.value for c in health[4]]
    assert first[:4] == ["逾期未办事项", "石咀村党支部", "张建军", "上级党委审批"]
    assert first[4].date() == date(2018, 6, 5)
    assert health.max_row == 3 + 6
    assert health.auto_filter.ref == "A3:G9"


def test_ledger_comes_first(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx", ledger=LEDGER))
    assert wb.sheetnames[0] == "发展党员工作台账"
    ledger = wb.worksheets[0]
    values = [c.value for row in ledger.iter_rows() for c in row]
    assert "张建军" in values and "递交入党申请书" in values
    assert wb.active.title == "统计表"


# --- Word --------------------------------------------------------------------------------------

def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_title_paragraph_and_tables(tmp_path):
    path = write_docx(seed_report(full=True), tmp_path / "out" / "report.docx", chart="none")
    doc = Document(path)
    texts = _texts(doc)
    assert texts[0] == "南川乡2018年上半年发展党员工作情况"
    assert paragraph(seed_report(full=True)) in texts
    assert "一、发展党员情况" in texts and "三、计划完成情况" in texts and "四、需要关注的事项" in texts
    tables = [_table_rows(t) for t in doc.tables]
    by_branch, by_tag = tables[0], tables[1]
    assert by_branch[0] == ["党支部", "人数（名）"]
    assert by_branch[1] == ["贺丰村党支部", "3"] and by_branch[-1] == ["合计", "14"]
    assert by_tag[1:] == [["致富带头人", "9"], ["村干部", "5"], ["合计", "14"]]
    cultivation = next(t for t in tables if t[0][0] == "党支部" and "积极分子（期末）" in t[0])
    assert cultivation[-1] == ["合计", "30", "21", "8"]
    plan = next(t for t in tables if t[0] == ["项目", "计划", "实际", "完成情况"])
    assert plan[2][:3] == ["35岁及以下占比", "60%", "71.4%"]
    assert any(t.startswith("逾期未办事项 2 项：石咀村党支部张建军（上级党委审批，最迟完成日期 2018年6月5日") for t in texts)


def test_docx_page_and_fonts(tmp_path):
    doc = Document(write_docx(seed_report(), tmp_path / "r.docx", chart="none"))
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    body = next(p for p in doc.paragraphs if p.text == SEED)
    assert body.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋"
    cell_run = doc.tables[0].rows[1].cells[0].paragraphs[0].runs[0]
    assert cell_run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    font_table = next(p for p in doc.part.package.parts if p.partname.endswith("fontTable.xml")).blob.decode()
    assert 'w:name="宋体"' in font_table and "SimSun" in font_table


def test_docx_without_admissions_says_so(tmp_path):
    report = seed_report()
    report = replace(report, measures={**report.measures, "admitted": Measure("admitted", 0, {})})
    doc = Document(write_docx(report, tmp_path / "r.docx"))
    texts = _texts(doc)
    assert "全乡今年上半年未发展党员，培养入党积极分子 21 名。" in texts
    assert "本期未发展党员。" in texts
    assert not doc.inline_shapes


@pytest.mark.skipif(cjk_font() is None, reason="no Chinese font installed (fonts-noto-cjk)")
def test_docx_chart_picture(tmp_path):
    doc = Document(write_docx(seed_report(full=True), tmp_path / "r.docx"))
    assert len(doc.inline_shapes) == 1
    assert "发展党员人数统计图" in _texts(doc)
    assert not any("字符条形" in t for t in _texts(doc))


def test_docx_chart_as_bar_glyphs_without_a_chinese_font(tmp_path):
    doc = Document(write_docx(seed_report(full=True), tmp_path / "r.docx", chart="text"))
    assert not doc.inline_shapes
    bars = next(_table_rows(t) for t in doc.tables if BAR in _table_rows(t)[1][1])
    assert bars[0] == ["党支部", "", "人数（名）"]
    assert bars[1] == ["贺丰村党支部", BAR * 20, "3"]  # the longest bar is the largest count
    assert bars[4] == ["王湾村党支部", BAR * 7, "1"]
    assert any("统计图以字符条形（█）表示" in t for t in _texts(doc))


def test_files_refuse_a_bad_template_dir(tmp_path):
    with pytest.raises(DomainError, match="报告模板目录不存在"):
        write_xlsx(seed_report(), tmp_path / "r.xlsx", template_dir=tmp_path / "missing")
    with pytest.raises(DomainError, match="报告模板目录不存在"):
        write_docx(seed_report(), tmp_path / "r.docx", template_dir=tmp_path / "missing")
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "r.docx").exists()


def test_derived_rows_in_the_workbook_and_the_document(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx"))
    ws = wb["统计表"]
    total = find_row(ws, "合计", find_row(ws, "按学历"))
    assert [c.value for c in ws[total + 1]][:3] == ["其中：高中及以上", 10, 6]
    assert [c.value for c in ws[total + 2]][:3] == ["其中：大专及以上", 4, 3]
    doc = Document(write_docx(seed_report(full=True), tmp_path / "r.docx", chart="none"))
    structure = next(_table_rows(t) for t in doc.tables if _table_rows(t)[0] == ["项目", "类别", "人数（名）", "占比"])
    assert ["学历", "其中：大专及以上", "4", "28.6%"] in structure
    assert ["学历", "其中：高中及以上", "10", "71.4%"] in structure
    assert ["年龄", "31至35岁", "6", "42.9%"] in structure
    assert ["年龄", "其中：35岁及以下", "10", "71.4%"] in structure


def test_compliance_sheet_and_word_tables(tmp_path):
    wb = openpyxl.load_workbook(write_xlsx(seed_report(full=True), tmp_path / "r.xlsx"))
    ws = wb["合规情况"]
    assert ws["A1"].value == "南川乡2018年上半年发展党员工作情况：合规情况"
    late = find_row(ws, "逾期办理事项分环节统计")
    assert [c.value for c in ws[late + 1]][:4] == ["步骤", "环节", "期限依据", "逾期办理（项）"]
    assert [c.value for c in ws[late + 2]][:4] == [17, "上级党委审批", "细则第二十五条", 1]
    dormant = find_row(ws, "两年以上未发展党员的党支部")
    assert [c.value for c in ws[dormant + 1]][:4] == ["党支部", "最近一次发展党员", "距统计截止日", "情况"]
    assert [c.value for c in ws[dormant + 2]][:4] == ["乡农业服务中心党支部", "无记录", "—", "无发展记录"]
    row = [c.value for c in ws[dormant + 3]][:4]
    assert row[0] == "沟卢村党支部" and row[1].date() == date(2014, 11, 20) and row[2:] == ["3 年", "3年以上"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows

    doc = Document(write_docx(seed_report(full=True), tmp_path / "r.docx", chart="none"))
    texts = _texts(doc)
    assert "五、合规情况" in texts and "逾期办理事项分环节统计" in texts and "两年以上未发展党员的党支部" in texts
    tables = [_table_rows(t) for t in doc.tables]
    late_rows = next(t for t in tables if t[0] == ["步骤", "环节", "期限依据", "逾期办理（项）"])
    assert late_rows[1:] == [["17", "上级党委审批", "细则第二十五条", "1"], ["合计", "", "", "1"]]
    dormant_rows = next(t for t in tables if t[0] == ["党支部", "最近一次发展党员", "距统计截止日", "情况"])
    assert dormant_rows[1:] == [["乡农业服务中心党支部", "无记录", "—", "无发展记录"],
                                ["沟卢村党支部", "2014-11-20", "3 年", "3年以上"],
                                ["石咀村党支部", "2016-05-12", "2 年", "2年以上"]]


def test_compliance_empty_in_the_workbook_and_the_document(tmp_path):
    report = replace(seed_report(), dormant=(), dormant_on=date(2018, 6, 30))
    ws = openpyxl.load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))["合规情况"]
    late = find_row(ws, "逾期办理事项分环节统计")
    assert ws.cell(row=late + 1, column=1).value == "本期无逾期办理的环节。"
    dormant = find_row(ws, "两年以上未发展党员的党支部")
    assert ws.cell(row=dormant + 1, column=1).value == "截至2018年6月30日，无两年以上未发展党员的党支部。"
    texts = _texts(Document(write_docx(report, tmp_path / "r.docx", chart="none")))
    assert "本期无逾期办理的环节。" in texts and "截至2018年6月30日，无两年以上未发展党员的党支部。" in texts
