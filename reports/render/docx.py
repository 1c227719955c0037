"""The Word report (python-docx): the part of a township's 工作汇报 about membership development,
ready to paste — title, the paragraph, the main tables, a chart, plan vs actual, what needs
attention, compliance (late steps per rule, branches without development), and how the figures
are counted. A4, 公文-like fonts (仿宋 body, 黑体 headings,
宋体 tables; each with its Windows name as altName so Word/WPS/LibreOffice substitute cleanly).
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reports.model import Report
from reports.render import chart as charts
from reports.render.context import report_context
from reports.render.tables import Table, dormant_unit_table, measure_table, row_texts, zh_date
from reports.render.templates import PathLike, Templates

BODY_FONT, HEADING_FONT, TABLE_FONT, TITLE_FONT = "仿宋", "黑体", "宋体", "宋体"
ALT_NAMES = {"仿宋": "FangSong", "黑体": "SimHei", "宋体": "SimSun"}
LATIN_FONT = "Times New Roman"
NUMERALS = "一二三四五六七八九十"


def write_docx(
    report: Report,
    path: PathLike,
    *,
    template_dir: PathLike | None = None,
    env: Mapping[str, str] | None = None,
    chart: str = "auto",
) -> Path:
    """Writes the .docx to `path` and returns it.

    chart: "auto" (a picture when a Chinese font is installed, else bar glyphs), "image", "text"
    (bar glyphs) or "none"."""
    templates = Templates(template_dir, env=env)
    ctx = report_context(report, templates)
    wording = templates.wording
    doc = Document()
    _page(doc)
    _styles(doc)

    _para(doc, ctx["title"], font=TITLE_FONT, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    sub = f"（统计期间：{_date_range(report)}"
    sub += f"；制表日期：{zh_date(report.as_of)}）" if report.as_of else "）"
    _para(doc, sub, font=BODY_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    _para(doc, ctx["paragraph"], indent=True)

    heading = _Headings(doc)
    tables = ctx["tables"]
    notes = list(tables.notes)

    # 一、发展党员情况: by branch and by category, and the chart
    heading.add("发展党员情况")
    admitted = report.total("admitted")
    if admitted:
        by_branch = measure_table(report, wording, "admitted", "branch")
        by_tag = measure_table(report, wording, "admitted", "tag")
        structure = _structure_table(report, wording)
        for t in (by_branch, by_tag):
            if not t.empty:
                _table(doc, t)
        drawn = _chart(doc, report, [by_branch, by_tag], chart)
        if drawn == "text":
            notes.append("本机未安装中文字体，统计图以字符条形（█）表示。")
        if not structure.empty:
            _table(doc, structure)
    else:
        _para(doc, "本期未发展党员。", indent=True)

    # 二、培养情况: activists and targets under cultivation, applications received
    cultivation = _cultivation_table(report, wording)
    if not cultivation.empty:
        heading.add("入党积极分子和发展对象培养情况")
        _table(doc, cultivation)

    if tables.plan is not None:
        heading.add("计划完成情况")
        _table(doc, tables.plan)

    heading.add("需要关注的事项")
    for t in tables.health:
        if t.empty:
            _para(doc, f"{t.note}。", indent=True)
            continue
        items = "；".join(
            f"{r[0]}{r[1]}（{r[2]}，{t.headers[3]} {zh_date(r[3])}{'，' + r[4] if r[4] else ''}）" for r in t.rows
        )
        more = f"（{t.note.rstrip('。')}）" if t.count and t.count > len(t.rows) else ""
        _para(doc, f"{t.title} {wording.count(t.count or len(t.rows), 'item')}：{items}。{more}", indent=True)

    if tables.compliance:
        heading.add("合规情况")
        by_unit = dormant_unit_table(report, wording)
        for t in tables.compliance:
            if t.key == "compliance:dormant" and by_unit is not None:
                t = by_unit  # a long list across units: counted per unit, the names in the Excel report
            if t.empty:
                _para(doc, t.note, indent=True)
            else:
                _table(doc, t)

    _para(doc, "附：统计口径", font=HEADING_FONT, size=12, before=12, after=4).paragraph_format.keep_with_next = True
    for i, note in enumerate(notes, 1):
        _para(doc, f"{i}. {note}", size=10.5, after=2)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def _date_range(report: Report) -> str:
    p = report.period
    return f"{zh_date(p.start)}至{zh_date(p.end)}"


# --- content -----------------------------------------------------------------------------------

def _structure_table(report: Report, wording) -> Table:
    """发展党员结构: gender, age band and education of the admitted, one row per category."""
    m = report.measures["admitted"]
    rows = []
    for dim, name in (("gender", "性别"), ("age_band", "年龄"), ("education", "学历")):
        b = m.breakdowns.get(dim)
        derived = tuple((f"其中：{c}", n) for c, n in getattr(b, "derived", ())) if b else ()
        for category, n in (*(b.counts if b else ()), *derived):
            if n:
                share = n / m.total if m.total else 0
                rows.append((name, category, n, f"{share * 100:.1f}%"))
    return Table("admitted:structure", "发展党员结构", ("项目", "类别", "人数（名）", "占比"), tuple(rows),
                 numeric=frozenset({2, 3}))


def _cultivation_table(report: Report, wording) -> Table:
    keys = [k for k in ("applicants", "activists", "targets") if report.total(k)]
    heads = wording["measure_heads"]
    names: dict[str, None] = {b.name: None for b in report.branches}
    for k in keys:
        b = report.measures[k].breakdowns.get("branch")
        for c, _ in (b.counts if b else ()):
            names.setdefault(c, None)
    rows = []
    for name in names:
        counts = [report.measures[k].count("branch", name) for k in keys]
        if any(counts):
            rows.append((name, *counts))
    total = ("合计", *(report.total(k) for k in keys)) if rows else None
    return Table("cultivation", "入党申请人、入党积极分子和发展对象（按党支部）",
                 ("党支部", *(heads[k] for k in keys)), tuple(rows), total,
                 numeric=frozenset(range(1, len(keys) + 1)))


def _chart(doc, report: Report, tables: list[Table], mode: str) -> str | None:
    series = [charts.Series(title, t.rows) for title, t in zip(("按党支部", "按类别"), tables) if t.rows]
    if mode == "none" or not series:
        return None
    font = charts.cjk_font() if mode in ("auto", "image") else None
    if mode == "image" and font is None:
        raise RuntimeError("没有可用的中文字体，无法绘制统计图（可安装 fonts-noto-cjk）")
    caption = _para(doc, "发展党员人数统计图", font=HEADING_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
                    before=6, after=2)
    caption.paragraph_format.keep_with_next = True
    if font:
        image = charts.png(series, font)
        doc.add_picture(io.BytesIO(image), width=Cm(15.5))
        picture = doc.paragraphs[-1]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.line_spacing = 1.0  # Normal's exact 28 pt would clip the picture
        picture.paragraph_format.first_line_indent = Pt(0)
        return "image"
    for s in series:
        rows = tuple((c, bar, n) for c, bar, n in charts.glyph_rows(s))
        _table(doc, Table("chart", s.title, (s.title.removeprefix("按"), "", "人数（名）"), rows,
                          numeric=frozenset({2})), bars=True)
    return "text"


class _Headings:
    def __init__(self, doc):
        self.doc, self.n = doc, 0

    def add(self, text: str) -> None:
        self.n += 1
        p = _para(self.doc, f"{NUMERALS[self.n - 1]}、{text}", font=HEADING_FONT, size=16, before=12, after=6,
                  indent=True)
        p.paragraph_format.keep_with_next = True


# --- formatting --------------------------------------------------------------------------------

def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    # GB/T 9704 (党政机关公文格式) margins
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)


def _page_number(paragraph) -> None:
    run = paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        r = paragraph.add_run()
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        r._r.append(el)
    paragraph.add_run(" —")
    del run


def _set_fonts(rpr_owner, east_asia: str) -> None:
    """Latin text in Times New Roman, Chinese in `east_asia` (w:eastAsia)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(16)  # 三号, as 公文 body text
    _set_fonts(normal.element, BODY_FONT)
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    # language: zh-CN for East Asian text (line breaking, punctuation compression)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    _font_table(doc)


def _font_table(doc) -> None:
    """Declares the Chinese fonts with their Windows names (宋体 = SimSun …) as altName, so a
    machine without the Chinese-named font substitutes the right one."""
    try:
        part = next(p for p in doc.part.package.parts if p.partname.endswith("fontTable.xml"))
    except StopIteration:  # pragma: no cover - python-docx's template has one
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    ns = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w = f"{{{ns}}}"
    known = {f.get(f"{w}name") for f in root.findall(f"{w}font")}
    for name, alt in ALT_NAMES.items():
        if name in known:
            continue
        font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
        etree.SubElement(font, f"{w}altName", {f"{w}val": alt})
        etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})  # GB2312
        etree.SubElement(font, f"{w}family", {f"{w}val": "modern" if name != "黑体" else "swiss"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _para(doc, text: str, *, font: str = BODY_FONT, size: float | None = None, bold: bool = False,
          align=None, indent: bool = False, before: float = 0, after: float = 0):
    p = doc.add_paragraph()
    run = p.add_run(text)
    _set_fonts(run._r, font)
    if size:
        run.font.size = Pt(size)
        if size < 16:
            p.paragraph_format.line_spacing = Pt(max(size * 1.5, 14))
        elif size > 16:
            p.paragraph_format.line_spacing = Pt(size * 1.6)
    run.font.bold = bold
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt((size or 16) * 2)  # two characters
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    return p


def _table(doc, table: Table, *, bars: bool = False) -> None:
    caption = _para(doc, table.title, font=HEADING_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, before=8, after=4)
    caption.paragraph_format.keep_with_next = True
    rows = [list(table.headers)] + [row_texts(table, r, i) for i, r in enumerate(table.rows)]
    if table.total:
        rows.append(row_texts(table, table.total, None))
    rows += [row_texts(table, r, None) for r in table.derived]
    t = doc.add_table(rows=len(rows), cols=len(table.headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    last = len(rows) - 1
    total_at = len(table.rows) + 1 if table.total is not None else -1
    for i, values in enumerate(rows):
        header = i == 0
        total = i == total_at
        row = t.rows[i]
        if header:
            _repeat_header(row)
        for j, value in enumerate(values):
            cell = row.cells[j]
            p = cell.paragraphs[0]
            run = p.add_run(value)
            _set_fonts(run._r, TABLE_FONT)
            run.font.size = Pt(10.5)  # 五号
            run.font.bold = header or total
            if bars and j == 1:
                run.font.color.rgb = RGBColor(0xC0, 0x39, 0x2B)
            p.paragraph_format.line_spacing = Pt(15)
            p.paragraph_format.first_line_indent = Pt(0)
            # a short table stays on one page, with its caption
            p.paragraph_format.keep_with_next = i < last and len(rows) <= 25
            if header:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _shade(cell, "DDEBF7")
            elif j in table.numeric:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if total:
                _shade(cell, "F2F2F2")
    _widths(t, rows)
    if table.key == "admitted:structure":
        _merge_repeats(t, 0)
    if table.note:
        _para(doc, f"注：{table.note}", size=10.5, after=4)


TEXT_WIDTH_CM = 15.6  # A4 less the 公文 margins
CHAR_CM = 0.19  # a half-width character at 10.5 pt


def _widths(t, rows: list[list[str]]) -> None:
    """Columns as wide as their longest text (CJK counted double), the table at most the text
    width; short tables stay narrow and centred instead of stretching across the page."""
    from reports.render.templates import display_width

    need = [max(display_width(r[c]) for r in rows) * CHAR_CM + 0.5 for c in range(len(rows[0]))]
    need = [max(w, 1.6) for w in need]
    total = sum(need)
    if total > TEXT_WIDTH_CM:
        need = [w * TEXT_WIDTH_CM / total for w in need]
    elif total < 8:
        need = [w * 8 / total for w in need]
    t.autofit = False
    for c, w in enumerate(need):
        t.columns[c].width = Cm(w)  # the grid (LibreOffice reads this)
        for cell in t.columns[c].cells:
            cell.width = Cm(w)  # the cells (Word reads these)


def _merge_repeats(t, col: int) -> None:
    """Merges runs of equal cells in a column (性别/性别 → one 性别 cell spanning both rows)."""
    start = 1
    rows = t.rows
    for i in range(2, len(rows) + 1):
        if i == len(rows) or rows[i].cells[col].text != rows[start].cells[col].text:
            if i - 1 > start:
                keep = rows[start].cells[col]
                text = keep.text
                merged = keep.merge(rows[i - 1].cells[col])
                for p in merged.paragraphs[1:]:
                    p._p.getparent().remove(p._p)
                if merged.paragraphs[0].text != text:  # merge joins the texts; keep one
                    merged.paragraphs[0].runs[0].text = text
                    for r in merged.paragraphs[0].runs[1:]:
                        r.text = ""
                merged.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            start = i


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)
