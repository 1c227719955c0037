"""Build the packaged Word templates (documents/templates/*.docx) with python-docx.

    .venv/bin/python -m documents.build_templates        # rewrites documents/templates/

The .docx files are committed, and this script is how they are made: run it after changing a
text here, never edit the packaged files in Word (a township edits its *own copy*, docs/documents.md).
The output is byte-for-byte reproducible (fixed zip timestamps and document properties), so a
test can check that the committed files are what this script makes.

Layout in the style of GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm (top, bottom,
left, right), title in 方正小标宋简体 2号 (22 pt) centred, body in 仿宋_GB2312 3号 (16 pt) at 22
lines a page (28.95 pt), 文号 centred over a red rule, addressee flush left, signature and date
right-aligned, page numbers 「— 1 —」 in 宋体 4号. Chinese fonts are set on every run as
w:eastAsia (Latin digits in Times New Roman), and declared in the font table with the Windows name
a machine without them substitutes (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体, 楷体_GB2312 → 楷体).

Jinja2 tags (docxtpl) stand in the text: `{{ person.name }}`; a whole paragraph that is kept or
dropped is bracketed by paragraphs holding only `{%p if … %}` / `{%p endif %}`; table rows repeat
between rows holding `{%tr for r in rows %}` / `{%tr endfor %}`.
"""
from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from reports.render.docx import _page_number, _set_fonts  # the Word report's: 「— N —」; Latin in Times New Roman, Chinese in w:eastAsia

OUT = Path(__file__).with_name("templates")

BODY, TITLE, HEI, KAI, SONG = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
# a font not installed is replaced by its altName (Word, WPS) — the Windows names
ALT_NAMES = {BODY: "仿宋", TITLE: "宋体", KAI: "楷体", HEI: "SimHei", SONG: "SimSun"}
LINE = 28.95  # 22 lines on the 225 mm type area (GB/T 9704 5.2.2)
BODY_SIZE, TITLE_SIZE = 16, 22  # 三号, 二号
CHAR = Pt(BODY_SIZE)  # one character of body text: indents are counted in characters
RED = RGBColor(0xC0, 0x00, 0x00)
FIXED_TIME = datetime(2026, 1, 1)


class Form:
    """One template being written: A4 page, 公文 styles, helpers for its parts."""

    def __init__(self, title: str) -> None:
        self.doc = Document()
        self._page()
        self._styles()
        props = self.doc.core_properties
        props.title = "{{ person.name }}-{{ form.title }}"
        props.author = props.last_modified_by = "partyflow"
        props.comments = f"partyflow 标准文书模板：{title}（documents/build_templates.py 生成）"
        props.created = props.modified = FIXED_TIME
        props.revision = 1

    # ---------------------------------------------------------------- page and styles

    def _page(self) -> None:
        s = self.doc.sections[0]
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
        s.header_distance, s.footer_distance = Mm(15), Mm(22)
        p = s.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number(p)  # 「— 1 —」
        for run in p.runs:
            _set_fonts(run._r, SONG)
            run.font.size = Pt(14)

    def _styles(self) -> None:
        doc = self.doc
        # the default template's theme fonts (w:asciiTheme …) would win over named fonts
        defaults = doc.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            for fonts in defaults.iter(qn("w:rFonts")):
                for attr in list(fonts.attrib):
                    if attr.endswith("Theme") or attr.endswith("theme"):
                        del fonts.attrib[attr]
            for lang in defaults.iter(qn("w:lang")):  # Chinese text is Chinese (line breaking, CJK fallback)
                lang.set(qn("w:eastAsia"), "zh-CN")
        theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
        if theme_lang is not None:
            theme_lang.set(qn("w:eastAsia"), "zh-CN")
        normal = doc.styles["Normal"]
        normal.font.size = Pt(BODY_SIZE)
        _set_fonts(normal.element, BODY)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        normal.element.get_or_add_rPr().append(lang)
        pf = normal.paragraph_format
        pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE)
        pf.space_before = pf.space_after = Pt(0)
        pf.widow_control = False
        _declare_fonts(doc)

    # ---------------------------------------------------------------- parts

    def _run(self, p, text: str, font: str = BODY, size: float = BODY_SIZE, *, bold: bool = False, color=None):
        run = p.add_run(text)
        _set_fonts(run._r, font)
        run.font.size = Pt(size)
        if bold:
            run.font.bold = True
        if color is not None:
            run.font.color.rgb = color
        return run

    def para(self, text: str = "", *, font: str = BODY, size: float = BODY_SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
             indent: float = 2, right: float = 0, line: float = LINE, before: float = 0, after: float = 0,
             bold: bool = False, color=None):
        """A paragraph; `indent`/`right`: first-line and right indents in characters."""
        p = self.doc.add_paragraph()
        if text:
            self._run(p, text, font, size, bold=bold, color=color)
        pf = p.paragraph_format
        p.alignment = align
        pf.first_line_indent = Pt(size * indent) if indent else None
        if right:
            pf.right_indent = Pt(BODY_SIZE * right)
        pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
        pf.space_before, pf.space_after = Pt(before), Pt(after)
        return p

    def tag(self, text: str):
        """A paragraph that holds only a docxtpl paragraph tag ({%p if … %}); it disappears."""
        return self.para(text, indent=0)

    def doc_no(self, text: str = "{{ doc_no }}") -> None:
        """The 发文字号, centred, over the red rule of the 版头 (GB/T 9704 7.2.4, 7.2.6)."""
        self.para(text, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, after=4)
        rule = self.para(indent=0, line=8, after=18)
        _bottom_border(rule, RED)

    def title(self, text: str, *, sub: str = "") -> None:
        self.para(text, font=TITLE, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, line=36,
                  after=0 if sub else LINE)
        if sub:
            self.para(sub, font=KAI, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, after=LINE)

    def addressee(self, text: str) -> None:
        self.para(text, indent=0)

    def body(self, *texts: str) -> None:
        for t in texts:
            self.para(t)

    def heading(self, text: str) -> None:
        self.para(text, font=HEI)

    def signature(self, org: str, on: str, *, extra: Sequence[str] = ()) -> None:
        """署名 and 成文日期, right-aligned two characters in (GB/T 9704 7.3.5), after a blank line."""
        self.para()
        for line in (*extra, org, on):
            self.para(line, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=0, right=2)

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[float], *, header: bool = False,
              merge: Sequence[tuple[int, int, int]] = (), size: float = 12, centre: Sequence[int] = ()) -> None:
        """A bordered table; `widths` in mm; `merge`: (row, first col, last col) to join; `centre`:
        columns whose cells are centred (the label columns always are)."""
        t = self.doc.add_table(rows=len(rows), cols=len(widths))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        for i, values in enumerate(rows):
            row = t.rows[i]
            _row_height(row, 11)
            for j, value in enumerate(values):
                cell = row.cells[j]
                cell.width = Mm(widths[j])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                p = cell.paragraphs[0]
                bold = header and i == 0
                label = not header and j % 2 == 0 and len(widths) == 4
                self._run(p, value, HEI if bold or label else BODY, size)
                p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if bold or label or j in centre
                               else WD_ALIGN_PARAGRAPH.LEFT)
                pf = p.paragraph_format
                pf.first_line_indent = None
                pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(size + 6)
        for i, a, b in merge:
            cells = t.rows[i].cells
            merged = cells[a].merge(cells[b])
            for p in merged.paragraphs[1:]:  # merge() keeps each (empty) cell's paragraph: one is enough
                p._p.getparent().remove(p._p)
        _grid(t, widths)
        _cell_margins(t, 1.0)

    def save(self, path: Path) -> None:
        buf = io.BytesIO()
        self.doc.save(buf)
        path.write_bytes(_stable_zip(buf.getvalue()))


# ------------------------------------------------------------------ low-level helpers


def _declare_fonts(doc) -> None:
    """The Chinese fonts in the font table, each with the Windows font that stands in for it."""
    from lxml import etree

    part = next(p for p in doc.part.package.parts if p.partname.endswith("fontTable.xml"))
    root = etree.fromstring(part.blob)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for name, alt in ALT_NAMES.items():
        font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
        etree.SubElement(font, f"{w}altName", {f"{w}val": alt})
        etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})  # GB2312
        etree.SubElement(font, f"{w}family", {f"{w}val": "modern" if name == HEI else "roman"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _bottom_border(p, color: RGBColor) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", str(color))):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _row_height(row, mm: float) -> None:
    trpr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:trHeight")
    h.set(qn("w:val"), str(int(mm * 56.7)))
    h.set(qn("w:hRule"), "atLeast")
    trpr.append(h)


def _grid(table, widths: Sequence[float]) -> None:
    """Column widths in the grid too (LibreOffice reads the grid, Word the cells)."""
    for col, mm in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(mm * 56.7)))


def _cell_margins(table, mm: float) -> None:
    """Narrow left/right cell margins: a date (2018年12月31日) or an eight-character label fits."""
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(mm * 56.7)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    look = tblpr.find(qn("w:tblLook"))  # the schema's order: tblCellMar comes before tblLook
    if look is not None:
        look.addprevious(mar)
    else:
        tblpr.append(mar)


def _stable_zip(data: bytes) -> bytes:
    """The .docx with fixed member timestamps, so that building twice gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ------------------------------------------------------------------ shared wording

LAW = "《中国共产党发展党员工作细则》"
PERSON = ("{{ person.name }}，{{ person.gender }}，{{ person.ethnicity }}，{{ person.birth_date|ym }}出生，"
          "{{ person.education }}，{{ person.occupation }}。")
ATTENDANCE = ("应到会有表决权的党员{{ meeting.should_attend }}名，实到会{{ meeting.present }}名"
              "{% if meeting.written %}，因故不能到会、书面表示意见的{{ meeting.written }}名{% endif %}"
              "{% if meeting.probationary_present %}，列席的预备党员{{ meeting.probationary_present }}名{% endif %}")
VOTES = "赞成{{ meeting.yes }}票，反对{{ meeting.no }}票，弃权{{ meeting.abstain }}票"
CONTACT = "联系人：＿＿＿＿＿＿　　联系电话：＿＿＿＿＿＿＿＿"
NOTICE_TIME = "公示时间：{{ notice.start }}至{{ notice.end }}{% if notice.span %}（{{ notice.span }}）{% endif %}。"
NOTICE_CHANNELS = ("公示期间，党员和群众可通过来信、来电、来访等方式，向{{ branch.name }}或{{ township.name }}"
                   "反映{{ person.name }}同志的有关情况和问题。反映问题应实事求是，提倡署真实姓名。")
WIDTHS4 = (37, 41, 37, 41)  # label, value, label, value: 156 mm, the type area


def _person_rows(*extra: tuple[str, str, str, str]) -> list[list[str]]:
    return [
        ["姓名", "{{ person.name }}", "性别", "{{ person.gender }}"],
        ["民族", "{{ person.ethnicity }}", "出生年月", "{{ person.birth_date|ym }}"],
        ["文化程度", "{{ person.education }}", "职业", "{{ person.occupation }}"],
        *[list(r) for r in extra],
    ]


# ------------------------------------------------------------------ the forms


def activist_filing_report() -> Form:
    f = Form("入党积极分子备案报告")
    f.doc_no()
    f.title("关于确定{{ person.name }}同志\n为入党积极分子的备案报告")
    f.addressee("{{ township.name }}：")
    f.body(
        PERSON + "该同志于{{ application.date }}向党支部递交入党申请书，党支部于{{ first_talk.date }}"
        "派{{ first_talk.talker }}与其谈话。",
        "经{{ activist.method }}，{{ committee_name }}于{{ activist.date }}研究决定，确定{{ person.name }}同志为"
        "入党积极分子，并指定{{ mentors }}同志为其培养联系人。",
        "根据" + LAW + "{{ form.article }}的规定，现报上级党委备案。",
        "特此报告。",
    )
    f.signature("{{ branch.name }}", "{{ doc_date }}")
    return f


def target_filing_report() -> Form:
    f = Form("发展对象备案报告 / 拟列为发展对象的请示")
    f.doc_no()
    f.title("{% if request %}关于拟将{{ person.name }}同志列为发展对象的请示"
            "{% else %}关于确定{{ person.name }}同志为发展对象的备案报告{% endif %}")
    f.addressee("{{ township.name }}：")
    f.body(PERSON + "该同志于{{ application.date }}递交入党申请书，{{ activist.date }}被确定为入党积极分子，"
                    "培养联系人为{{ mentors }}同志。")
    f.tag("{%p if request %}")
    f.body("经过一年以上的培养教育和考察，{{ committee_name }}经研究讨论，认为该同志基本具备党员条件，"
           "拟将其列为发展对象。根据" + LAW + "{{ form.article }}的规定，现报请上级党委同意；"
           "同意后在党内外一定范围公示，公示期不少于五个工作日。",
           "妥否，请批示。")
    f.tag("{%p else %}")
    f.body("经听取党小组、培养联系人、党员和群众意见，{{ committee_name }}于{{ target.date }}讨论，确定"
           "{{ person.name }}同志为发展对象。公示时间为{{ notice.start }}至{{ notice.end }}，{{ notice.result }}。"
           "入党介绍人为{{ sponsors }}同志。",
           "根据" + LAW + "{{ form.article }}的规定，现报上级党委备案。",
           "特此报告。")
    f.tag("{%p endif %}")
    f.signature("{{ branch.name }}", "{{ doc_date }}")
    return f


def _notice(name: str, title: str, opening: str, rows: Sequence[tuple[str, str, str, str]],
            merge: Sequence[tuple[int, int, int]] = ()) -> Form:
    """A 公示: the opening, the candidate's table, when and how to respond, the branch's signature."""
    f = Form(name)
    f.title(title)
    f.body(opening)
    f.para(line=8)
    f.table(_person_rows(*rows), WIDTHS4, merge=merge)
    f.para(line=12)
    f.body(NOTICE_TIME, NOTICE_CHANNELS, CONTACT)
    f.signature("{{ branch.name }}", "{{ doc_date }}")
    return f


def target_notice() -> Form:
    return _notice(
        "发展对象公示", "关于{{ person.name }}同志拟列为发展对象的公示",
        "根据" + LAW + "{{ form.article }}的规定，经{{ committee_name }}研究{% if request %}并报上级党委同意{% endif %}，"
        "拟将{{ person.name }}同志列为发展对象。现将有关情况公示如下：",
        [("入党申请时间", "{{ application.date }}", "确定积极分子时间", "{{ activist.date }}"),
         ("培养联系人", "{{ mentors }}", "", "")], merge=[(4, 1, 3)])


def probationary_notice() -> Form:
    return _notice(
        "拟接收预备党员公示", "关于拟接收{{ person.name }}同志为中共预备党员的公示",
        "{{ person.name }}同志于{{ target.date }}被确定为发展对象，经{{ committee_name }}审查、上级党委预审"
        "（{{ pre_review.date }}），拟提交{{ meeting_name }}讨论接收其为中共预备党员。根据发展党员工作的"
        "有关规定，现将有关情况公示如下：",
        [("入党申请时间", "{{ application.date }}", "确定积极分子时间", "{{ activist.date }}"),
         ("确定发展对象时间", "{{ target.date }}", "入党介绍人", "{{ sponsors }}"),
         ("政治审查", "{% if political_review.passed is true %}合格{% elif political_review.passed is false %}不合格"
                      "{% else %}{{ political_review.passed }}{% endif %}",
          "集中培训", "{{ training.days }}天、{{ training.hours }}学时")])


def conversion_notice() -> Form:
    return _notice(
        "预备党员转正公示", "关于{{ person.name }}同志拟转为中共正式党员的公示",
        "{{ person.name }}同志于{{ admission.date }}经{{ meeting_name }}讨论通过、{{ approval.date }}经上级党委"
        "批准为中共预备党员，预备期至{{ probation.end }}期满，本人于{{ conversion_application.date }}提出转正"
        "申请。{{ branch.name }}拟召开{{ meeting_name }}讨论其转为正式党员的问题，现将有关情况公示如下：",
        [("接收预备党员时间", "{{ admission.date }}", "预备期满时间", "{{ probation.end }}"),
         ("入党介绍人", "{{ sponsors }}", "", "")], merge=[(4, 1, 3)])


def review_inquiry_letter() -> Form:
    f = Form("政治审查函调函")
    f.doc_no()
    f.title("关于协助了解{{ person.name }}同志有关情况的函", sub="（政治审查函调函）")
    f.addressee("＿＿＿＿＿＿＿＿＿＿＿＿党组织：")
    f.body(
        PERSON + "现为{{ branch.name }}发展对象（{{ target.date }}确定）。根据" + LAW + "{{ form.article }}的规定，"
        "须对其进行政治审查。因该同志本人（或其＿＿＿＿，姓名＿＿＿＿＿＿）在贵单位＿＿＿＿＿＿＿＿，特请协助"
        "了解以下情况：",
        "一、对党的理论和路线、方针、政策的态度；",
        "二、政治历史和在重大政治斗争中的表现；",
        "三、遵纪守法和遵守社会公德情况；",
        "四、其他需要说明的情况。",
        "请将了解的情况填入回执，加盖公章后寄回我支部。",
        CONTACT,
    )
    f.signature("{{ branch.name }}", "{{ doc_date }}")
    f.para("- - - - - - - - - - - - - - - - - （沿此线剪开）- - - - - - - - - - - - - - - - -",
           align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, size=12, before=12, after=12)
    f.para("回　　执", font=HEI, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, after=8)
    f.addressee("{{ branch.name }}：")
    f.body("你支部关于{{ person.name }}同志的政治审查函调函收悉。经了解，有关情况如下：",
           "＿" * 26, "＿" * 26, "＿" * 26)
    f.signature("（盖章）", "年　　月　　日")
    return f


def _resolution_title(subject: str) -> Callable[[Form], None]:
    def title(f: Form) -> None:
        f.title("{{ meeting_name }}决议", sub=f"（关于{subject}）")
    return title


def admission_resolution() -> Form:
    f = Form("支部大会决议（接收预备党员）")
    _resolution_title("接收{{ person.name }}同志为中共预备党员")(f)
    f.body(
        "{{ meeting.date }}，{{ branch.name }}召开{{ meeting_name }}，讨论{{ person.name }}同志的入党问题。支部"
        + ATTENDANCE + "，{% if meeting.quorum %}到会人数超过应到会有表决权党员的半数，会议有效"
        "{% else %}到会人数未超过应到会有表决权党员的半数{% endif %}。",
        "会议听取了{{ person.name }}同志对入党志愿书的说明、入党介绍人{{ sponsors }}同志的介绍和{{ committee_name }}"
        "的审查情况，与会党员进行了充分讨论，以无记名投票方式表决，结果为：" + VOTES + "。"
        "赞成票{% if meeting.passed %}超过{% else %}未超过{% endif %}应到会有表决权党员的半数。",
        "{{ meeting_name }}决议：{{ meeting.resolution }}。{% if meeting.passed %}本决议报上级党委审批。{% endif %}",
    )
    f.signature("{{ branch.name }}", "{{ meeting.date }}", extra=["支部书记（签字）：＿＿＿＿＿＿"])
    return f


def conversion_resolution() -> Form:
    f = Form("支部大会决议（预备党员转正）")
    _resolution_title("{{ person.name }}同志转为中共正式党员")(f)
    f.body(
        "{{ meeting.date }}，{{ branch.name }}召开{{ meeting_name }}，讨论预备党员{{ person.name }}同志的转正问题。"
        "{{ person.name }}同志于{{ admission.date }}经{{ meeting_name }}讨论通过、{{ approval.date }}经上级党委批准为"
        "中共预备党员，预备期至{{ probation.end }}期满，本人于{{ conversion_application.date }}提出转正申请。",
        "支部" + ATTENDANCE + "，{% if meeting.quorum %}会议有效{% else %}到会人数未超过应到会有表决权党员的半数"
        "{% endif %}。会议听取了党小组、党员和群众的意见及{{ committee_name }}的审查意见，经充分讨论，以无记名"
        "投票方式表决，结果为：" + VOTES + "。",
        "{{ meeting_name }}决议：同意{{ person.name }}同志{{ meeting.decision }}，党龄自{{ probation.end }}起计算。"
        "本决议报上级党委审批。",
    )
    f.signature("{{ branch.name }}", "{{ meeting.date }}", extra=["支部书记（签字）：＿＿＿＿＿＿"])
    return f


def approval_reply() -> Form:
    f = Form("上级党委审批批复")
    f.doc_no("{{ reply.doc_no }}")
    f.tag("{%p if reply.of_conversion %}")
    f.title("关于{{ person.name }}同志转正问题的批复")
    f.tag("{%p elif reply.approved is false %}")
    f.title("关于{{ person.name }}同志入党问题的批复")
    f.tag("{%p else %}")
    f.title("关于同意接收{{ person.name }}同志\n为中共预备党员的批复")
    f.tag("{%p endif %}")
    f.addressee("{{ branch.name }}：")
    f.tag("{%p if reply.of_conversion %}")
    f.body("你支部{{ meeting.date }}{{ meeting_name }}关于{{ person.name }}同志{{ meeting.decision }}的决议收悉。"
           "{{ reply.date }}，{{ township.name }}集体讨论审批，{% if reply.approved is false %}不同意该决议，"
           "请{{ meeting_name }}重新讨论。{% else %}同意{{ person.name }}同志{{ reply.resolution }}"
           "{% if reply.converted %}，党龄自{{ probation.end }}起计算{% endif %}。{% endif %}")
    f.tag("{%p else %}")
    f.body("你支部{{ meeting.date }}{{ meeting_name }}关于接收{{ person.name }}同志为中共预备党员的决议收悉。"
           "{{ reply.date }}，{{ township.name }}集体讨论审批{% if reply.decision_vote %}（{{ reply.decision_vote }}）"
           "{% endif %}，{% if reply.approved is false %}不同意接收{{ person.name }}同志为中共预备党员。"
           "{% else %}同意接收{{ person.name }}同志为中共预备党员，预备期自{{ probation.start }}至"
           "{{ probation.original_end }}。{% endif %}")
    f.tag("{%p endif %}")
    f.tag("{%p if reply.opinion %}")
    f.body("审批意见：{{ reply.opinion }}")
    f.tag("{%p endif %}")
    f.tag("{%p if reply.approved is not false and not reply.of_conversion %}")
    f.body("请按照有关规定，及时组织其进行入党宣誓，编入党支部和党小组，认真做好预备期的教育和考察工作。")
    f.tag("{%p endif %}")
    f.body("此复。")
    f.signature("{{ township.name }}", "{{ reply.date }}")
    return f


def _decision_opening(f: Form) -> None:
    f.body("{{ person.name }}同志于{{ admission.date }}经{{ meeting_name }}讨论通过、{{ approval.date }}经上级党委批准"
           "为中共预备党员，预备期至{{ probation.original_end }}期满。")


def extension_decision() -> Form:
    f = Form("延长预备期的决定")
    f.doc_no()
    f.title("关于延长{{ person.name }}同志预备期的决定")
    _decision_opening(f)
    f.body(
        "{{ meeting.date }}，{{ branch.name }}召开{{ meeting_name }}讨论其转正问题，" + ATTENDANCE + "。经讨论，"
        "认为该同志在预备期内＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿，需要继续教育和考察。经无记名投票表决（"
        + VOTES + "），根据《中国共产党章程》第七条和" + LAW + "{{ extension.article }}的规定，决定延长"
        "{{ person.name }}同志的预备期{{ extension.months }}个月，延长后的预备期至{{ extension.new_end }}。",
        "{% if extension.approved %}本决定已于{{ extension.approval_date }}经上级党委批准"
        "{% if extension.doc_no %}（{{ extension.doc_no }}）{% endif %}。{% else %}本决定报上级党委批准后生效。{% endif %}",
    )
    f.signature("{{ branch.name }}", "{{ meeting.date }}")
    return f


def cancellation_decision() -> Form:
    f = Form("取消预备党员资格的决定")
    f.doc_no()
    f.title("关于取消{{ person.name }}同志预备党员资格的决定")
    _decision_opening(f)
    f.body(
        "{% if cancellation.by_meeting %}{{ meeting.date }}，{{ branch.name }}召开{{ meeting_name }}讨论其转正问题，"
        + ATTENDANCE + "。经讨论，认为该同志＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿，不具备党员条件。经无记名投票表决（"
        + VOTES + "），{% else %}{{ cancellation.date }}，{% endif %}根据《中国共产党章程》第七条和" + LAW
        + "{{ cancellation.article }}的规定，决定取消{{ person.name }}同志的预备党员资格"
        "{% if cancellation.reason %}（{{ cancellation.reason }}）{% endif %}。",
        "{% if cancellation.approved %}本决定已于{{ cancellation.approval_date }}经上级党委批准"
        "{% if cancellation.doc_no %}（{{ cancellation.doc_no }}）{% endif %}。{% else %}本决定报上级党委批准后生效。{% endif %}",
    )
    f.signature("{{ branch.name }}", "{{ cancellation.date }}")
    return f


def archive_index() -> Form:
    f = Form("档案目录")
    f.title("发展党员档案材料目录", sub="（依据" + LAW + "{{ form.article }}）")
    for line in ("姓名：{{ person.name }}　　性别：{{ person.gender }}　　出生年月：{{ person.birth_date|ym }}",
                 "所在党支部：{{ branch.name }}",
                 "入党时间：{{ admission.date }}　　转正时间：{{ probation.converted_on }}"):
        f.para(line, indent=0, size=14, line=24)
    f.para(line=8)
    f.table([
        ["序号", "材料名称", "日期", "页数", "备注"],
        ["{%tr for r in rows %}", "", "", "", ""],
        ["{{ r.no }}", "{{ r.name }}", "{{ r.date|cn_date }}", "{{ r.pages }}", "{{ r.note|or_blank('') }}"],
        ["{%tr endfor %}", "", "", "", ""],
    ], (14, 66, 42, 14, 20), header=True, size=12, centre=(0, 2, 3))
    f.para("共{{ rows|length }}份材料，{{ total_pages }}页。",
           indent=0, size=14, line=24, before=8)
    f.signature("{{ branch.name }}", "{{ doc_date }}", extra=["立卷人：＿＿＿＿　审核人：＿＿＿＿"])
    return f


BUILDERS: dict[str, Callable[[], Form]] = {
    "activist_filing_report": activist_filing_report,
    "target_filing_report": target_filing_report,
    "target_notice": target_notice,
    "probationary_notice": probationary_notice,
    "conversion_notice": conversion_notice,
    "review_inquiry_letter": review_inquiry_letter,
    "admission_resolution": admission_resolution,
    "conversion_resolution": conversion_resolution,
    "approval_reply": approval_reply,
    "extension_decision": extension_decision,
    "cancellation_decision": cancellation_decision,
    "archive_index": archive_index,
}


def build(out: Path = OUT) -> list[Path]:
    """Write every template into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, make in BUILDERS.items():
        path = out / f"{kind}.docx"
        make().save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    for p in build(target):
        print(p)
