"""The Jinja2 environment of the report templates, overridable per deployment.

Templates are looked up in `template_dir` (an argument), then in the directories of the
PARTYFLOW_REPORT_TEMPLATE_DIR environment variable (os.pathsep-separated), then in the packaged
reports/templates/. An override directory may also hold a `wording.yaml`, merged over the packaged
reports/wording.yaml. `{% extends "builtin/<name>.j2" %}` reuses a packaged template — the same
idea as notifications/render.py.
"""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from engine.errors import refuse
from reports.render.tables import Table, row_texts, zh_date
from reports.render.wording import Wording, load_wording

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "templates"
ENV_VAR = "PARTYFLOW_REPORT_TEMPLATE_DIR"

PathLike = str | os.PathLike


def override_dirs(template_dir: PathLike | None = None, env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    env = os.environ if env is None else env
    dirs = [Path(template_dir)] if template_dir is not None else []
    dirs += [Path(p) for p in env.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        # a typo would otherwise fall back to the packaged templates without anyone noticing
        raise refuse("report.template_dir", f"报告模板目录不存在：{'、'.join(missing)}（检查 --template-dir 或 {ENV_VAR}）")
    return tuple(dirs)


class Templates:
    def __init__(self, template_dir: PathLike | None = None, *, env: Mapping[str, str] | None = None):
        self.dirs = override_dirs(template_dir, env)
        self.wording: Wording = load_wording(self.dirs)
        self.environment = Environment(
            loader=ChoiceLoader([
                PrefixLoader({"builtin": FileSystemLoader(BUILTIN_DIR)}),
                FileSystemLoader([*self.dirs, BUILTIN_DIR]),
            ]),
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters.update(
            text_table=text_table, md_table=md_table, zh_date=zh_date, count=self.wording.count,
        )

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.environment.get_template(name).render(wording=self.wording.data, **context)
        except TemplateNotFound as exc:
            raise refuse("report.template", f"报告模板缺失：{exc.name}") from exc
        except TemplateSyntaxError as exc:
            raise refuse("report.template", f"报告模板语法错误：{exc.filename or exc.name} 第 {exc.lineno} 行：{exc.message}") from exc
        except TemplateError as exc:
            raise refuse("report.template", f"报告模板渲染失败：{name}：{exc}") from exc


# --- aligned plain-text and Markdown tables ----------------------------------------------------

def display_width(text: str) -> int:
    """Terminal columns: CJK (wide/full-width) characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _grid(table: Table) -> list[list[str]]:
    rows = [list(table.headers)]
    rows += [row_texts(table, r, i) for i, r in enumerate(table.rows)]
    if table.total:
        rows.append(row_texts(table, table.total, None))
    rows += [row_texts(table, r, None) for r in table.derived]
    return rows


def text_table(table: Table, indent: int = 0) -> str:
    """Columns aligned by display width, numbers right-aligned, a rule under the headers and
    above the 合计 row."""
    grid = _grid(table)
    widths = [max(display_width(r[c]) for r in grid) for c in range(len(table.headers))]
    prefix = " " * indent

    def line(cells: list[str]) -> str:
        return prefix + "  ".join(pad(v, widths[c], c in table.numeric) for c, v in enumerate(cells)).rstrip()

    rule = prefix + "  ".join("-" * w for w in widths)
    out = [line(grid[0]), rule]
    body = grid[1:]
    if table.total:
        n = len(table.rows)
        out += [line(r) for r in body[:n]] + [rule] + [line(r) for r in body[n:]]
    else:
        out += [line(r) for r in body]
    return "\n".join(out)


def md_table(table: Table) -> str:
    grid = _grid(table)
    if table.total:
        n = len(table.rows) + 1
        grid[n] = [f"**{v}**" if v else v for v in grid[n]]
    grid = [[v.replace("|", "\\|") for v in r] for r in grid]
    widths = [max(3, *(display_width(r[c]) for r in grid)) for c in range(len(table.headers))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(pad(v, widths[c], c in table.numeric) for c, v in enumerate(cells)) + " |"

    align = "| " + " | ".join(
        ("-" * (widths[c] - 1) + ":") if c in table.numeric else "-" * widths[c] for c in range(len(widths))
    ) + " |"
    return "\n".join([line(grid[0]), align, *(line(r) for r in grid[1:])])
