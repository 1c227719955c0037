"""checkpoint commands (issue 17): `checkpoint keygen|export|check` — signed heads of the event and
audit logs' hash chains, kept outside the database (services/integrity/checkpoint.py, docs/security.md)."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.options import EXIT_PROBLEMS, Run, command
from cli.zh import ZhGroup


def register(app: typer.Typer) -> None:
    checkpoint_app = typer.Typer(cls=ZhGroup, no_args_is_help=True,
                                 help="检查点：给办理记录和审计日志的哈希链签名存证（密钥保存在数据库以外），日后核对是否被改写。")
    app.add_typer(checkpoint_app, name="checkpoint")

    KeyOpt = Annotated[Optional[str], typer.Option(
        "--key", help="签名私钥文件（默认取环境变量 PARTYFLOW_CHECKPOINT_KEY）", metavar="文件")]

    @command(checkpoint_app, "keygen", help="生成签名密钥对（私钥仅本人可读，另存 .pub 公钥）；不会覆盖已有文件。")
    def keygen_cmd(run: Run, key: KeyOpt = None) -> None:
        from services.integrity.checkpoint import keygen, private_key_path

        private, public = keygen(private_key_path(key))
        if run.json:
            run.emit({"ok": True, "key": str(private), "public_key": str(public)})
            return
        run.line(f"已生成签名私钥：{private}（请妥善保管，不要放在数据库服务器上或与数据库备份放在一起）")
        run.line(f"公钥：{public}（核对检查点时使用，可分发给上级党委或审计人员）")

    @command(checkpoint_app, "export", help="核对哈希链后签发检查点，写入文件（建议每天一次，文件保存在数据库以外）。")
    def export_cmd(run: Run, out: Annotated[Path, typer.Option("--out", help="检查点文件", metavar="文件")],
                   key: KeyOpt = None) -> None:
        from services.integrity.checkpoint import export

        info = export(run.app, out, key)
        if run.json:
            run.emit({"ok": True, **info})
            return
        run.line(f"已签发检查点：{info['file']}")
        run.line(f"候选人 {info['candidates']} 名、办理记录 {info['events']} 条、审计日志 {info['audit_rows']} 条；"
                 f"时间 {info['created_at']}（UTC）")
        run.line(f"摘要：{info['digest']}（可另行抄录留存）")

    @command(checkpoint_app, "check", help="核对检查点：验证签名，并确认现有记录是检查点时记录的延续（未被删改或重写）。")
    def check_cmd(run: Run, file: Annotated[Path, typer.Argument(help="检查点文件", metavar="文件")],
                  public_key: Annotated[Optional[str], typer.Option(
                      "--public-key", help="核验公钥文件（默认取 PARTYFLOW_CHECKPOINT_PUBLIC_KEY，或私钥旁的 .pub）",
                      metavar="文件")] = None) -> None:
        from services.integrity.checkpoint import check

        report = check(run.app, file, public_key)
        if run.json:
            run.emit(report.as_dict())
        else:
            run.line(f"检查点签名有效（{report.created_at}，UTC）：候选人 {report.candidates} 名、"
                     f"办理记录 {report.events} 条、审计日志 {report.audit_rows} 条。")
            if report.ok:
                run.line("现有记录是检查点时记录的延续，未发现删改。", "green")
            else:
                for p in report.problems:
                    who = f"候选人 {p['candidate_id']}：" if p.get("candidate_id") is not None else ""
                    run.err.print(who + p["problem"], style="red", markup=False, soft_wrap=True)
                run.err.print(f"发现 {len(report.problems)} 处与检查点不符。", style="bold red", markup=False,
                              soft_wrap=True)
        if not report.ok:
            raise typer.Exit(EXIT_PROBLEMS)
