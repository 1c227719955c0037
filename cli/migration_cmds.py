"""`partyflow migrate-all`: move every candidate on one rule version to another (services/casework/migration)."""

from typing import Annotated

import typer

from cli.options import Run, command, parse_day


def register(app: typer.Typer) -> None:
    from cli.main import ActorOpt, DateOpt, PreviewOpt, ReasonOpt

    @command(app, "migrate-all", help="将使用某一流程版本的全部候选人迁移到另一版本（须有乡镇党委的决定；每人一条迁移记录）。")
    def migrate_all_cmd(
        run: Run,
        from_key: Annotated[str, typer.Argument(help="原流程版本，如 cpc_2014@1", metavar="原版本")],
        to_key: Annotated[str, typer.Argument(help="目标流程版本，如 cpc_2014@2", metavar="新版本")],
        date: DateOpt,
        reason: ReasonOpt,
        actor: ActorOpt = None,
        preview: PreviewOpt = False,
    ) -> None:
        from cli.options import recorder
        from cli.render import PREVIEW_BANNER
        from services.casework.migration import migrate_all

        report = migrate_all(run.app, from_key, to_key, occurred_on=parse_day(date), actor=recorder(actor, preview),
                             reason=reason, preview=preview)
        if run.json:
            run.emit(report.as_dict())
            return
        if preview:
            run.line(PREVIEW_BANNER + "以下为若执行将产生的结果，数据库未作任何修改", "bold cyan")
        title = run.app.definition(to_key).title
        verb = "将迁移" if preview else "已迁移"
        run.line(f"{verb} {len(report.moved)} 名候选人到{title}", "bold")
        if report.pending:
            run.line(f"其中 {len(report.pending)} 名有待上级党委审批的支部大会决议（按新版规则批准后才生效）：")
            for p in report.pending:
                run.line(f"  候选人 {p['candidate_id']} {p['name']}：{p['text']}")
        for s in report.skipped:
            run.line(f"未迁移：候选人 {s['candidate_id']} {s['name']}：{s['reason']}")
