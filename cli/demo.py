"""`partyflow demo`: a demo township going through the process, then where everyone stands."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from cli import start
from cli.options import EXIT_REFUSED, Run, check_database_or_exit

if TYPE_CHECKING:
    from rich.console import Console

    from services.app import App

# cli.main registers this command at start: the services, the storage layer and SQLAlchemy are
# imported when the demo runs, not when the CLI starts (issue 19).

MAX_CANDIDATES = 500  # a township's worth; more only makes the demo slow
STAGE_ORDER = ["applicant", "activist", "development_target", "probationary", "full_member", "withdrawn",
               "disqualified", "rejected", "probation_cancelled", "transferred_out", "deceased", "not_selected"]


def _demo_url(db: str | None) -> str:
    """The demo writes its own fresh SQLite file, never the user's working database."""
    if db:
        return db
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("partyflow"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()
    return f"sqlite:///{path}"


def demo_command(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="演示数据库（默认：用户数据目录下新建的 demo.db）"),
    json_output: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    candidates: int = typer.Option(36, "--candidates", help="模拟的申请人数量"),
    seed: int = typer.Option(2018, "--seed", help="随机种子（同一种子结果相同）"),
) -> None:
    """创建演示乡镇（10 个农村党支部、4 个机关党支部），用模拟时钟走完发展党员流程。"""
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from engine import Violation
    from services.app import App
    from services.demo import END, run_demo
    from services.demo.accounts import create_demo_accounts
    from services.integrity.verify import verify
    from storage.errors import StorageError

    console = Console(width=None if Console().is_terminal else 150)
    root = ctx.find_root().obj or {}
    db = db or root.get("db")  # `partyflow --db x.db demo` as `partyflow demo --db x.db`
    json_output = json_output or bool(root.get("json"))
    check_database_or_exit(db, json_output)
    if not 1 <= candidates <= MAX_CANDIDATES:
        Run(json=json_output).fail([Violation("demo.candidates", f"--candidates：模拟的申请人数量应在 1 至 {MAX_CANDIDATES} 之间，"
                                                                  f"收到 {candidates}")], EXIT_REFUSED)
    url = _demo_url(db)
    try:
        app = App.open(url)
        start.started()
    except StorageError as e:  # e.g. an address that is neither a URL nor a path
        Run(json=json_output).fail([Violation("storage", str(e))], EXIT_REFUSED)
    except SQLAlchemyError as e:  # e.g. no server at that address
        first = str(getattr(e, "orig", None) or e).splitlines()[0]
        Run(json=json_output).fail([Violation("database", f"无法打开数据库 {url}：{first}")], EXIT_REFUSED)
    with app.uow(read_only=True) as uow:
        used = bool(uow.orgs.list())
    if used:  # the demo creates its township from nothing; it never writes into someone's records
        Run(json=json_output).fail([Violation(
            "demo.database_not_empty",
            f"数据库 {url} 中已有组织和人员记录，演示只能在空数据库中运行：去掉 --db（自动新建 demo.db）或指定一个新文件")],
            EXIT_REFUSED)
    if not json_output:
        console.print(f"[bold]演示：南川乡党委[/]（10 个农村党支部、4 个机关党支部），模拟时钟 2015-01-05 至 {END}")
        console.print(f"数据库：{url}")
    result = run_demo(app, candidates=candidates, seed=seed)
    summary = _summary(app, result)
    report = verify(app)
    accounts = create_demo_accounts(app, result["town"])
    if json_output:
        typer.echo(json.dumps({**summary, "verify": report.as_dict(), "web": _web(url, accounts)},
                              ensure_ascii=False, indent=2, default=str))
        return
    _print(console, summary, result)
    ok = "[green]一致[/]" if report.ok else f"[red]{len(report.mismatches)} 处不一致[/]"
    console.print(f"\n校验（当前状态 = 事件记录重放）：{report.candidates} 名候选人、{report.events} 条事件，{ok}")
    console.print(f"\n查看某人：partyflow --db {url} show <编号>；列出全乡：partyflow --db {url} list --org nanchuan")
    print_logins(console, url, accounts)


def _web(url: str, accounts: list) -> dict:
    return {"serve": serve_command(url), "url": "http://127.0.0.1:8000/",
            "accounts": [{"username": u, "password": p, "role": r, "orgs": o} for u, p, r, o in accounts]}


def serve_command(url: str) -> str:
    """How to open this demo database in the browser: its simulated today is the demo's last day."""
    from services.demo import END

    return f"partyflow --db {url} serve --today {END.isoformat()}"


def print_logins(console: Console, url: str | None, accounts: list) -> None:
    """The web accounts of the demo and how to start the server."""
    from rich.table import Table

    if url is not None:
        console.print(f"\n[bold]网页演示[/]：运行 [bold]{serve_command(url)}[/]（或 partyflow serve --demo 重新生成并启动），"
                      "然后在浏览器打开 http://127.0.0.1:8000/")
    table = Table(title="演示账号（仅供演示，勿用于正式环境）")
    for col in ("用户名", "密码", "角色", "组织"):
        table.add_column(col)
    for row in accounts:
        table.add_row(*row)
    console.print(table)


def _summary(app: App, result: dict) -> dict:
    from services.demo.materials import filing_branches

    rows = []
    with app.uow() as uow:
        orgs = {o.id: o for o in uow.orgs.list()}
        for c in uow.candidates.iter_all():
            p = uow.people.get(c.person_id)
            rows.append({"id": c.id, "name": p.name, "branch": orgs[c.branch_id].name, "stage": c.stage,
                         "tags": p.tags, "late": sorted(c.state.get("late", {}))})
    defn = app.registry.get("cpc_2014@1")
    return {
        "township": "南川乡党委",
        "as_of": result["end"].isoformat(),
        "steps_recorded": result["log"].steps,
        "files_attached": result["log"].files,
        "filing_branches": [orgs[b].name for b in sorted(filing_branches(result["town"]))],
        "candidates": rows,
        "by_stage": dict(Counter(r["stage"] for r in rows)),
        "stage_names": {s: defn.stage_name(s) for s in STAGE_ORDER},
        "events": result["log"].lines,
        "refused": result["log"].refused,
    }


def _print(console: Console, summary: dict, result: dict) -> None:
    from rich.table import Table

    names = summary["stage_names"]
    console.print(f"\n共办理 {summary['steps_recorded']} 个步骤。[bold]特殊情形与提示[/]：")
    if summary["files_attached"]:
        console.print(f"材料：{'、'.join(summary['filing_branches'])}随办随传，共上传或生成 {summary['files_attached']} 份"
                      "（个别有意缺少）；其他党支部的材料尚未录入，候选人页面显示“缺少材料”")
    for line in summary["events"][:40]:
        console.print(f"  · {line}")
    if summary["refused"]:
        console.print("\n[bold]被规则拒绝的操作[/]（未写入任何数据）：")
        for line in summary["refused"][:10]:
            console.print(f"  [red]✗[/] {line}")
    stages = [s for s in STAGE_ORDER if s in summary["by_stage"]]
    table = Table(title=f"截至 {summary['as_of']} 各党支部发展党员进度")
    table.add_column("党支部")
    for s in stages:
        table.add_column(names[s], justify="right")
    per_branch: dict[str, Counter] = {}
    for r in summary["candidates"]:
        per_branch.setdefault(r["branch"].removesuffix("党支部"), Counter())[r["stage"]] += 1
    for branch, counts in per_branch.items():
        table.add_row(branch, *[str(counts.get(s, "")) for s in stages])
    table.add_row("[bold]合计[/]", *[f"[bold]{summary['by_stage'].get(s, 0)}[/]" for s in stages])
    console.print(table)
    late = [r for r in summary["candidates"] if r["late"]]
    if late:
        names_late = "、".join(f"{r['name']}（{r['id']}）" for r in late)
        console.print(f"有逾期记录的候选人：{names_late}")
