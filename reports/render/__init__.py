"""Renderings of a period report: the Chinese paragraph, plain text, Markdown, Excel and Word.

    paragraph(report) -> "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名，培养入党积极分子 21 名。"
    text(report) / markdown(report) -> the whole report as a string
    write_xlsx(report, path, ledger=None) / write_docx(report, path) -> the written Path

Wording lives in reports/wording.yaml and the Jinja2 templates in reports/templates/; both can be
overridden per deployment by a `template_dir` argument or PARTYFLOW_REPORT_TEMPLATE_DIR (see
reports/render/templates.py and docs/reports.md "Renderings").
"""
from __future__ import annotations

from reports.render.context import paragraph, text, markdown
from reports.render.xlsx import write_xlsx
from reports.render.docx import write_docx

__all__ = ["paragraph", "text", "markdown", "write_xlsx", "write_docx"]
