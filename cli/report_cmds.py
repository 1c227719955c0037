"""Report commands (issue 4): `partyflow report` and `partyflow plan set|show`.

Registered on the main app by `register(app)`; every command goes through the `command()` wrapper
(`--db`, `--json`, Chinese one-line errors, exit codes). JSON shapes: docs/cli.md.
"""

import sys
from typing import Annotated, List, Optional

import typer

from cli.options import Run, command, parse_day, refuse
from cli.zh import ZhGroup

FORMAT_HELP = "text（纯文本，默认）、md（Markdown）、xlsx（Excel：统计表和发展党员工作台账）、docx（Word 工作汇报）"


def _percent(x: float) -> str:
    return f"{x * 100:.0f}%"


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(cls=ZhGroup, help="发展党员年度计划：设定、查看；报告中对照计划与实际。", no_args_is_help=True)
    app.add_typer(plan_app, name="plan")

    @command(app, "report", help="生成发展党员工作报告（半年、全年、季度或起止日期），可输出文本、Markdown、Excel、Word。")
    def report_cmd(
        run: Run,
        period: Annotated[str, typer.Option("--period", help="统计期间：2018H1、2018H2、2018、2018Q3、2018-03-01..2018-05-31 或 2018年上半年", metavar="期间")],
        org: Annotated[str, typer.Option("--org", help="组织代码或编号（党支部、乡镇党委或县级党委）", metavar="组织")],
        fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP, metavar="格式")] = "text",
        out: Annotated[Optional[str], typer.Option("--out", help="输出文件（xlsx、docx 默认按组织和期间命名，写在当前目录）", metavar="文件")] = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="制表日期（默认今天）", metavar="日期")] = None,
    ) -> None:
        from services.reporting.period_report import FORMATS, build_report, render_text, report_dict, write_report

        if fmt not in FORMATS:
            raise refuse("report.format", f"报告格式“{fmt}”不支持：可用 {'、'.join(FORMATS)}")
        day = parse_day(as_of, "制表日期") if as_of else None
        if day is not None and day > run.app.today():
            raise refuse("report.as_of", f"制表日期 {day} 晚于今天（{run.app.today()}）")
        report = build_report(run.app, org, period, day)
        path = None
        if out or fmt in ("xlsx", "docx"):
            path = write_report(run.app, report, fmt, out)
        if run.json:
            run.emit({"ok": True, **report_dict(report), "format": fmt, "file": str(path) if path else None})
            return
        if path is None:
            text = render_text(report, fmt)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            run.line(f"已生成{report.org.name}{report.period.label}发展党员工作报告：{path}")

    @command(plan_app, "set", help="设定（或替换）某组织某年度的发展党员计划。")
    def plan_set(
        run: Run,
        org: Annotated[str, typer.Option("--org", help="组织代码或编号", metavar="组织")],
        year: Annotated[int, typer.Option("--year", help="计划年度，如 2018", metavar="年度")],
        admit: Annotated[int, typer.Option("--admit", help="计划发展党员数", metavar="人数")],
        target: Annotated[Optional[List[str]], typer.Option(
            "--target", help="结构指标，可多次使用：under_35=60%（35岁及以下占比）、college=30%（大专及以上）、"
                             "high_school=80%（高中及以上）、female=30%、minority=10%、tag:致富带头人=5（人数）",
            metavar="指标=值")] = None,
        note: Annotated[Optional[str], typer.Option("--note", help="说明（如计划文号）", metavar="说明")] = None,
    ) -> None:
        from services.planning.plans import set_plan

        plan = set_plan(run.app, org, year, admit, target or [], note)
        if run.json:
            run.emit({"ok": True, **plan})
        else:
            run.line(f"已设定{plan['org']['name']}{plan['year']}年发展党员计划：{_plan_text(plan)}")

    @command(plan_app, "show", help="查看某组织的发展党员计划（默认所有年度）。")
    def plan_show(
        run: Run,
        org: Annotated[str, typer.Option("--org", help="组织代码或编号", metavar="组织")],
        year: Annotated[Optional[int], typer.Option("--year", help="计划年度", metavar="年度")] = None,
    ) -> None:
        from services.planning.plans import get_plan

        plans = get_plan(run.app, org, year)
        if run.json:
            run.emit(plans)
            return
        if not plans:
            run.line("尚未设定发展党员计划")
        for p in plans:
            run.line(f"{p['org']['name']} {p['year']}年：{_plan_text(p)}" + (f"（{p['note']}）" if p["note"] else ""))


def _plan_text(plan: dict) -> str:
    parts = [f"发展党员 {plan['admit_target']} 名"]
    for t in plan["targets"]:
        if t["is_share"]:
            parts.append(f"{t['label']}占比 {_percent(t['value'])}")
        else:
            parts.append(f"{t['label']} {t['value']} 名")
    return "，".join(parts)
