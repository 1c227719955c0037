"""The paragraph, text and Markdown renderings, and the context every rendering shares."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.model import Report
from reports.render import tables as T
from reports.render.templates import PathLike, Templates, override_dirs
from reports.render.wording import bare_org_name, paragraph_context, title


def _paragraph(report: Report, templates: Templates) -> str:
    ctx = paragraph_context(report, templates.wording)
    # one paragraph: whatever line breaks an override template leaves are joined without spaces
    return "".join(line.strip() for line in templates.render("paragraph.j2", report=report, **ctx).splitlines())


def scope(report: Report, templates: Templates) -> str:
    """"南川乡所属党支部 14 个" for a township or county, the branch's own name for a branch."""
    if report.org.level == "branch" or not report.branches:
        return report.org.name
    name = bare_org_name(report.org.name, templates.wording)
    return f"{name}所属党支部 {templates.wording.count(len(report.branches), 'org')}"


def period_range(report: Report) -> str:
    p = report.period
    return f"{p.label}（{T.zh_date(p.start)}至{T.zh_date(p.end)}）" if p.kind != "range" else p.label


def report_context(report: Report, templates: Templates) -> dict[str, Any]:
    return {
        "report": report,
        "title": title(report, templates.wording),
        "paragraph": _paragraph(report, templates),
        "scope": scope(report, templates),
        "period_range": period_range(report),
        "tables": T.build(report, templates.wording),
    }


_TEMPLATES: dict[tuple, Templates] = {}


def _templates(template_dir: PathLike | None, env: Mapping[str, str] | None) -> Templates:
    """The report templates, kept per process for the same override directories while their
    `wording.yaml` files are unchanged (the templates themselves reload when changed: Jinja's
    auto_reload). Building them read the wording and compiled the paragraph on every report page
    (~60 ms, issue 19)."""
    dirs = override_dirs(template_dir, env)
    key = (dirs, tuple(_mtime(d / "wording.yaml") for d in dirs))
    got = _TEMPLATES.get(key)
    if got is None:
        if len(_TEMPLATES) > 32:
            _TEMPLATES.clear()
        got = _TEMPLATES[key] = Templates(template_dir, env=env)
    return got


def _mtime(path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def paragraph(report: Report, *, template_dir: PathLike | None = None, env: Mapping[str, str] | None = None) -> str:
    """The one-sentence membership paragraph of a 工作汇报 (paragraph.j2)."""
    return _paragraph(report, _templates(template_dir, env))


def _document(name: str, report: Report, template_dir, env) -> str:
    templates = _templates(template_dir, env)
    out = templates.render(name, **report_context(report, templates))
    return "\n".join(line.rstrip() for line in out.strip("\n").splitlines()) + "\n"


def text(report: Report, *, template_dir: PathLike | None = None, env: Mapping[str, str] | None = None) -> str:
    """The whole report as plain text with aligned columns (report.txt.j2)."""
    return _document("report.txt.j2", report, template_dir, env)


def markdown(report: Report, *, template_dir: PathLike | None = None, env: Mapping[str, str] | None = None) -> str:
    """The whole report as Markdown (report.md.j2)."""
    return _document("report.md.j2", report, template_dir, env)
