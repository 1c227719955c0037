"""Fill a form's Word template with facts (docxtpl: Jinja2 tags inside the .docx).

Pure: no database, no clock. A township replaces a template by putting its own .docx of the same
name in a directory (`templates_dir`, or the directories in $PARTYFLOW_DOCUMENT_TEMPLATES); the
packaged templates (documents/templates/, built by documents/build_templates.py) are the fallback.

A fact the record does not hold prints as a visible blank line (＿＿＿＿) for the secretary to
fill in by hand, never as "None" or an error; a broken template is a Chinese refusal naming the
file and what is wrong with it, and nothing is returned.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, Undefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from engine.errors import DomainError, refuse

from .forms import FormSpec, form

BLANK = "＿＿＿＿"  # what a missing fact prints as: a line to write on
ENV_VAR = "PARTYFLOW_DOCUMENT_TEMPLATES"
PACKAGED = Path(__file__).with_name("templates")


def cn_date(value: Any) -> Any:
    """2018-06-20 → 2018年6月20日 (GB/T 9704 writes 成文日期 in Arabic numerals, without leading
    zeros); ISO text is read as a date; anything else is left alone."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return value


def year_month(value: Any) -> Any:
    """A date as 1990年5月 (出生年月)."""
    d = cn_date(value)
    return re.sub(r"\d+日$", "", d) if isinstance(d, str) and d.endswith("日") else d


class Blank(ChainableUndefined):
    """A missing fact, however deep (`meeting.vote.yes` of a meeting not recorded): prints BLANK,
    is false, iterates as empty."""

    def __str__(self) -> str:
        return BLANK

    def __html__(self) -> str:
        return BLANK


class _Given(str):
    """Text a template chose for a missing value (`or_blank`): printed as it is, even empty."""


def _finalize(value: Any) -> Any:
    """How a value prints: blank for nothing, dates in Chinese, yes/no in Chinese, lists joined."""
    if isinstance(value, _Given):
        return str(value)
    if value is None or isinstance(value, Undefined) or (isinstance(value, str) and not value.strip()):
        return BLANK
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (date, datetime)):
        return cn_date(value)
    if isinstance(value, (list, tuple)):
        return "、".join(str(_finalize(v)) for v in value) if value else BLANK
    return value


def _or_blank(value: Any, text: str = BLANK) -> Any:
    """`{{ x|or_blank("（无）") }}`: another text for a missing value (`or_blank("")`: nothing)."""
    return _Given(text) if _finalize(value) == BLANK else value


def environment() -> SandboxedEnvironment:
    """Sandboxed: a township's template may read the facts, never call into Python."""
    env = SandboxedEnvironment(undefined=Blank, finalize=_finalize, autoescape=True)
    env.filters.update(cn_date=cn_date, ym=year_month, or_blank=_or_blank)
    return env


# ------------------------------------------------------------------ templates


def template_dirs(templates_dir: Path | str | None = None) -> list[Path]:
    """Where templates are looked up, first match wins: `templates_dir`, then the directories in
    $PARTYFLOW_DOCUMENT_TEMPLATES (separated by os.pathsep), then the packaged ones. A directory
    named that does not exist is a refusal (a typo would otherwise silently print the default)."""
    dirs: list[Path] = []
    if templates_dir is not None and str(templates_dir).strip():
        dirs.append(Path(templates_dir))
    dirs += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    for d in dirs:
        if not d.is_dir():
            raise refuse("document.templates_dir", f"文书模板目录不存在：{d}")
    return [*dirs, PACKAGED]


def find_template(kind: str, templates_dir: Path | str | None = None) -> Path:
    """The template file a form is filled from (a township's own first)."""
    spec = form(kind)
    for d in template_dirs(templates_dir):
        p = d / spec.template_name
        if p.is_file():
            return p
    raise refuse("document.template", f"找不到文书模板“{spec.template_name}”（{spec.title}）")


def _broken(path: Path, problem: str) -> DomainError:
    return refuse("document.template", f"文书模板“{path.name}”（{path}）有误：{problem}；请改正模板后重试")


def _syntax_problem(e: TemplateSyntaxError) -> str:
    msg = e.message or ""
    if m := re.search(r"unknown tag '([^']+)'", msg):
        what = f"有不认识的标签“{m[1]}”"
    elif "end of template" in msg:
        what = "有标签没有结束（缺少 {% endif %}、{% endfor %} 之类的结束标签，或 {{ }} 没有写完）"
    elif m := re.search(r"unexpected char '(.)'", msg):
        what = f"标签里有不能识别的字符“{m[1]}”"
    else:
        what = "标签写法有误（括号不配对、缺少内容或多了内容）"
    near = "".join(getattr(e, "docx_context", None) or ()).strip()
    near = re.sub(r"\s+", " ", near)
    if near:
        near = near if len(near) <= 80 else near[:80] + "…"
        what += f"，出错处附近的文字：“{near}”"
    return what


def _open(path: Path):
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    try:
        tpl.init_docx()
    except Exception:  # noqa: BLE001 - not a zip, no document part, damaged XML: not a Word file
        raise _broken(path, "不是有效的 Word 文件（.docx；.doc 和 WPS 格式须先另存为 .docx）") from None
    return tpl


def render(kind: str, facts: Mapping[str, Any], templates_dir: Path | str | None = None) -> bytes:
    """The form `kind` filled with `facts`, as the bytes of a .docx.

    `facts`: what services.materials.documents.document_facts builds (docs/documents.md lists the
    tags per form); a missing one prints as ＿＿＿＿. `templates_dir`: a township's own templates."""
    spec = form(kind)
    path = find_template(kind, templates_dir)
    context = _context(spec, facts)
    tpl = _open(path)
    try:
        tpl.render(context, jinja_env=environment(), autoescape=True)
    except TemplateSyntaxError as e:
        raise _broken(path, _syntax_problem(e)) from None
    except SecurityError:
        raise _broken(path, "使用了模板中不允许的操作（只能引用文书内容，不能调用程序）") from None
    except UndefinedError:
        raise _broken(path, "对不存在的内容做了计算或调用（缺少的内容只能直接填写，显示为空白横线）") from None
    except TemplateError as e:
        raise _broken(path, f"无法填写（{type(e).__name__}）") from None
    except ArithmeticError:
        raise _broken(path, "标签中的计算出错（如除以零、数字过大）") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, SyntaxError) as e:
        # SyntaxError: lxml could not read the filled document (a tag cut a Word element in two)
        raise _broken(path, f"填写后不是有效的 Word 文档（标签可能把 Word 的段落或表格截断了：{type(e).__name__}）") from None
    out = io.BytesIO()
    tpl.save(out)
    data = out.getvalue()
    _check_opens(path, data)
    return data


def _check_opens(path: Path, data: bytes) -> None:
    """The filled file must open in Word: python-docx reading it back is the check."""
    from docx import Document

    try:
        Document(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - any failure means a broken result
        raise _broken(path, f"填写后的文件无法打开（{type(e).__name__}）") from None


def _context(spec: FormSpec, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts with the form's own entry filled in where the caller left it out."""
    ctx = dict(facts)
    f = dict(ctx.get("form") or {})
    f.setdefault("kind", spec.kind)
    f.setdefault("title", spec.title)
    ctx["form"] = f
    return ctx


_NOT_FACTS = {"if", "elif", "else", "endif", "for", "endfor", "in", "not", "and", "or", "is", "true", "false",
              "none", "p", "tr", "length", "cn_date", "ym", "or_blank", "defined", "r"}


def tags(kind: str, templates_dir: Path | str | None = None) -> list[str]:
    """The facts a form's template reads (`person.name`, `meeting.yes`, …), in order of first use,
    from its {{ … }} and {% … %} tags: what docs/documents.md lists, and what a township can check
    its own template against."""
    path = find_template(kind, templates_dir)
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                      if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n))
    text = re.sub(r"<[^>]+>", "", xml)
    found = []
    for body in re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", text):
        expr = re.sub(r"'[^']*'|\"[^\"]*\"", "", "".join(body))
        found += [n for n in re.findall(r"(?<![\w.|])[A-Za-z_]\w*(?:\.\w+)*", expr) if n.split(".")[0] not in _NOT_FACTS]
    return list(dict.fromkeys(found))
