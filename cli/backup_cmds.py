"""`partyflow backup` and `partyflow restore` (issue 17): a whole database to one file and back,
into an empty database, checked with verify afterwards. The work is services/operations/backup.py; how a
county runs them on a schedule: docs/deploy/README.md."""
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.options import EXIT_PROBLEMS, Run, command

_COUNT_WORDS = (("candidate", "名候选人"), ("event", "条办理记录"), ("audit_log", "条操作日志"))


def _counts(counts: dict[str, int] | None) -> str:
    return "、".join(f"{counts[k]} {w}" for k, w in _COUNT_WORDS if k in counts) if counts else ""


def _target(run: Run) -> str:
    from storage.db import default_url

    return run.db or default_url()


def register(app: typer.Typer) -> None:
    @command(app, "backup", help="备份整个数据库到一个文件（运行中的服务不必停止）；SQLite 用在线备份，PostgreSQL 用 pg_dump。")
    def backup_cmd(
        run: Run,
        out: Annotated[Path, typer.Option("--out", help="备份文件路径（须是新文件），如 /var/backups/partyflow/pf-20260101.pfbackup",
                                          metavar="文件")],
    ) -> None:
        from services.operations.backup import backup

        info = backup(_target(run), out, now=datetime.now(UTC))
        if run.json:
            run.emit({"ok": True, **info})
            return
        files = f"，材料文件 {info['files']} 个" if info.get("files") else ""
        run.line(f"已备份 {info['database']} 到 {info['file']}（{_counts(info['counts'])}{files}）")
        run.line(f"结构版本 {info['revision']}，备份时间 {info['created_at']}，SHA-256 {info['sha256'][:16]}…", "dim")

    @command(app, "restore", help="从备份文件恢复到一个空数据库（新建的 SQLite 文件或 PostgreSQL 数据库/schema），然后核对。")
    def restore_cmd(
        run: Run,
        file: Annotated[Path, typer.Argument(help="partyflow backup 生成的备份文件", metavar="备份文件")],
    ) -> None:
        from services.app import App
        from services.operations.backup import restore
        from services.integrity.verify import verify

        info = restore(_target(run), file)
        a = App.open(_target(run), migrate=False)
        try:
            report = verify(a)
        finally:
            a.close()
        info["verify"] = report.as_dict()
        if run.json:
            run.emit(info)
        else:
            files = f"，材料文件 {info['files']} 个" if info.get("files") else ""
            run.line(f"已恢复到 {info['database']}：{_counts(info['counts'])}{files}（备份于 {info['created_at']}）")
            if info["upgraded"]:
                run.line(f"备份的数据库结构版本为 {info['backup_revision']}，已升级到 {info['revision']}")
            if report.ok:
                run.line(f"核对：{report.candidates} 名候选人、{report.events} 条办理记录，全部一致。", "green")
            else:
                run.err.print(f"核对发现 {len(report.mismatches)} 处不一致：请运行 partyflow verify 查看详情",
                              style="bold red", markup=False, soft_wrap=True)
        if not report.ok:
            raise typer.Exit(EXIT_PROBLEMS)
