"""ledger commands (issue 4): `ledger export|import|undo|list` and `audit`. Registered on the main
app by `register(app)`. Shapes of --json: docs/cli.md (台账与合规检查)."""

import time
from typing import Annotated, Optional

import typer

from cli.options import EXIT_PROBLEMS, Run, command, refuse
from cli.zh import ZhGroup

_SHOW = 20  # lines of each list shown in the terminal (--json has them all, up to 200)


def _period(text: str):
    from reports.period import parse_period

    return parse_period(text)


def _title(run: Run, key: str) -> str:
    """A version as people read it (its title), not its code."""
    try:
        return run.app.definition(key).title
    except LookupError:
        return key


def _render_plan(run: Run, d: dict) -> None:
    run.line(f"台账：{d['file']}（工作表“{d['sheet']}”，{d['rows']} 行）→ {d['org']['name']}，流程：{_title(run, d['definition'])}")
    stages = "、".join(f"{k} {v} 名" for k, v in d["stages"].items()) or "无"
    run.line(f"将新建：候选人 {d['candidates']} 名（人员 {d['people']} 名，步骤记录 {d['events']} 条）；按当前阶段：{stages}")
    if d["error_list"]:
        run.line(f"有误 {d['errors']} 处（这些行不会导入）：", "bold red")
        for e in d["error_list"][:_SHOW]:
            run.line(f"  第 {e['row']} 行「{e['column']}」：{_strip_row(e['message'], e['row'])}", "red")
        _more(run, d["errors"], _SHOW)
    if d["ambiguous_list"]:
        run.line(f"需确认 {d['ambiguous']} 处（这些行不会导入）：", "bold yellow")
        for e in d["ambiguous_list"][:_SHOW]:
            run.line(f"  第 {e['row']} 行「{e['column']}」：{_strip_row(e['message'], e['row'])}", "yellow")
        _more(run, d["ambiguous"], _SHOW)
    if d["finding_list"]:
        run.line(f"合规发现 {d['findings']} 项、逾期完成的步骤 {d['late_steps']} 项（照实导入并记录）：", "bold")
        for f in d["finding_list"][:_SHOW]:
            run.line(f"  第 {f['row']} 行 {f['name']}（{f['branch']}）{f['message']}")
        _more(run, d["findings"] + d["late_steps"], _SHOW)
    else:
        run.line("合规发现：无")


def _strip_row(message: str, row: int) -> str:
    prefix = f"第 {row} 行："
    return message[len(prefix):] if message.startswith(prefix) else message


def _more(run: Run, total: int, shown: int) -> None:
    if total > shown:
        run.line(f"  ……另有 {total - shown} 项（--json 查看）")


def _progress_bar(enabled: bool, console=None):
    """A rich progress bar on stderr (None when output is JSON or not a terminal)."""
    if not enabled:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   transient=True, console=console)
    return bar, None


def register(app: typer.Typer) -> None:
    from cli.main import ActorOpt

    ledger_app = typer.Typer(cls=ZhGroup, help="发展党员工作台账：导出、导入（预览/确认）、撤销导入。", no_args_is_help=True)
    app.add_typer(ledger_app, name="ledger")

    @command(ledger_app, "export", help="导出组织的发展党员工作台账（.xlsx）。")
    def ledger_export(
        run: Run,
        org: Annotated[str, typer.Option("--org", help="组织代码（乡镇、县或党支部）", metavar="代码")],
        out: Annotated[str, typer.Option("--out", help="输出文件（.xlsx）", metavar="文件")],
    ) -> None:
        from services.ledger.intake import export

        if not out.lower().endswith(".xlsx"):
            raise refuse("ledger.out", f"输出文件须以 .xlsx 结尾：{out}")
        try:
            res = export(run.app, org, out)
        except OSError as e:
            raise refuse("ledger.out", f"无法写入 {out}：{e.strerror or e}") from None
        if run.json:
            run.emit({"ok": True, **res})
        else:
            run.line(f"已导出{res['org']['name']}发展党员工作台账：{res['rows']} 名候选人 → {res['path']}")

    @command(ledger_app, "import", help="导入台账：先 --preview 预览，再 --confirm 写入（有误的行须修正，或加 --skip-bad-rows 跳过）。")
    def ledger_import(
        run: Run,
        file: Annotated[str, typer.Argument(help="台账文件（.xlsx）", metavar="文件")],
        org: Annotated[str, typer.Option("--org", help="导入到的乡镇党委或县级组织代码", metavar="代码")],
        preview: Annotated[bool, typer.Option("--preview", help="只预览：将新建什么、哪些行有误、合规发现；不写入")] = False,
        confirm: Annotated[bool, typer.Option("--confirm", help="确认导入（一次事务写入，可整批撤销）")] = False,
        skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="确认时跳过有误和需确认的行，只导入无误的行")] = False,
        max_rows: Annotated[int, typer.Option("--max-rows", help="单次导入行数上限", metavar="行数")] = 200_000,
        by: ActorOpt = None,
    ) -> None:
        from reports.ledger.reader import Limits
        from cli.options import recorder
        from services.ledger.intake import Audit, plan_import
        from services.ledger.intake import confirm as do_confirm

        if preview == confirm:
            raise refuse("ledger.mode", "请指定 --preview（预览）或 --confirm（确认导入）之一")
        limits = Limits(max_rows=max_rows)
        if preview:
            plan = plan_import(run.app, file, org, limits=limits)
            d = plan.as_dict()
            run.show(d, _render_plan)
            if not plan.ok:
                raise typer.Exit(EXIT_PROBLEMS)
            return
        bar, _ = _progress_bar(not run.json and run.err.is_terminal, run.err)
        tasks: dict[str, object] = {}

        def tracker(label: str):
            """A progress callback (done, total) driving one line of the bar: reading and checking
            the rows (about half the time), then writing the step records."""
            def progress(done: int, total: int) -> None:
                if bar is None:
                    return
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=total)
                bar.update(tasks[label], completed=done)
            return progress

        if bar is not None:
            bar.start()
        started = time.perf_counter()
        try:
            plan = plan_import(run.app, file, org, limits=limits, progress=tracker("读取并核对各行"))
            res = do_confirm(run.app, file, org, skip_bad_rows=skip_bad_rows, limits=limits,
                             progress=tracker("写入步骤记录"), plan=plan, audit=Audit(None, f"命令行：{recorder(by)}"))
        finally:
            if bar is not None:
                bar.stop()
        res = {**res, "seconds": round(time.perf_counter() - started, 3)}  # reading and checking included
        if run.json:
            run.emit({"ok": True, **res})
            return
        run.line(f"已导入（导入编号 {res['import_id']}）：候选人 {res['candidates']} 名、人员 {res['people']} 名、"
                 f"步骤记录 {res['events']} 条，合规发现 {res['findings']} 项，逾期完成的步骤 {res['late_steps']} 项"
                 f"（{res['seconds']} 秒）")
        if res["skipped"]:
            rows = "、".join(map(str, res["skipped_rows"][:20]))
            run.warn(f"跳过有误或需确认的 {res['skipped']} 行：第 {rows} 行{'等' if res['skipped'] > 20 else ''}")
        run.line(f"如需整批撤销：partyflow ledger undo {res['import_id']}；合规发现：partyflow audit --org {org}")

    @command(ledger_app, "undo", help="整批撤销一次导入（导入后已有新记录的不能撤销）。")
    def ledger_undo(
        run: Run,
        import_id: Annotated[int, typer.Argument(help="导入编号", metavar="导入编号")],
        by: ActorOpt = None,
    ) -> None:
        from cli.options import recorder
        from services.ledger.intake import Audit, undo

        res = undo(run.app, import_id, Audit(None, f"命令行：{recorder(by)}"))
        if run.json:
            run.emit({"ok": True, **res})
        else:
            run.line(f"已撤销导入编号 {import_id}（{res['file']}）：删除候选人 {res['candidates']} 名、人员 {res['people']} 名、"
                     f"步骤记录 {res['events']} 条、合规发现 {res['findings']} 项")

    @command(ledger_app, "list", help="列出台账导入记录。")
    def ledger_list(run: Run) -> None:
        from services.ledger.intake import list_imports

        items = list_imports(run.app)
        if run.json:
            run.emit(items)
            return
        if not items:
            run.line("没有导入记录")
        for i in items:
            status = "已撤销" if i["status"] == "undone" else "已导入"
            run.line(f"{i['id']}  {i['created_at']}  {i['file']}  {i['rows']} 名  {status}")

    @command(app, "audit", help="列出组织在某期间的合规发现：违反时间规则的历史记录和逾期完成的步骤。")
    def audit_cmd(
        run: Run,
        org: Annotated[str, typer.Option("--org", help="组织代码（县、乡镇或党支部）", metavar="代码")],
        period: Annotated[Optional[str], typer.Option("--period", help="期间：2018H1、2018、2018Q3、2018-03-01..2018-05-31（默认全部）",
                                                      metavar="期间")] = None,
    ) -> None:
        from services.compliance.audit import audit

        p = _period(period) if period else None
        d = audit(run.app, org, p)
        run.show(d, _render_audit)


def _render_audit(run: Run, d: dict) -> None:
    when = d["period"]["label"] if d["period"] else "全部期间"
    run.line(f"{d['org']['name']} {when} 合规发现 {d['total']} 项（违反时间规则 {d['findings']} 项，逾期完成 {d['late']} 项）")
    for it in d["items"]:
        src = {"import": "导入", "correction": "更正", "live": "登记"}.get(it["source"], it["source"])
        run.line(f"  {it['occurred_on']}  {it['branch']} {it['person']}（候选人 {it['candidate_id']}，{src}）  {it['message']}")
    if d["by_article"]:
        run.line("按条款：" + "、".join(f"{('细则' + k) if k.startswith('第') else k} {v} 项" for k, v in d["by_article"].items()))
