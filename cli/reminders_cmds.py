"""Reminder commands: contacts, the scan, the dispatcher, the outbox, and the scheduler service.

Registered on the main app by `register(app)`; every command goes through the same `command()`
wrapper (`--db`, `--json`, Chinese errors, exit codes) as the rest of the CLI.
"""

from typing import Annotated, Optional

import typer

from cli.options import Run, command, parse_day, parse_ids, refuse
from cli.zh import ZhGroup

STATUS_NAMES = {"pending": "待发送", "sent": "已发送", "dead": "发送失败（已停止重试）"}
KIND_NAMES = {"reminder": "到期提醒", "overdue": "逾期", "escalation": "升级督办", "report": "半年报告",
              "submitted": "报送审批", "returned": "退回", "approved": "审批通过", "refused": "审批未通过"}


def _delivery():
    """Channels (from PARTYFLOW_SMTP_* / PARTYFLOW_WEBHOOK_* environment variables) and templates.

    A deployment's configuration mistake (PARTYFLOW_WEBHOOK_FORMAT=foo, a PARTYFLOW_TEMPLATE_DIR
    that does not exist, …) is one Chinese line and exit 2, before anything is scanned or sent.
    """
    from notifications.channels import build_channels
    from notifications.channels.config import ChannelConfig
    from notifications.render import Renderer

    try:
        return build_channels(ChannelConfig.from_env()), Renderer()
    except (ValueError, OSError) as e:
        raise refuse("delivery.config", f"发送设置有误：{e}") from None


def register(app: typer.Typer) -> None:
    contact_app = typer.Typer(cls=ZhGroup, help="提醒接收人：党支部书记、乡镇党委组织委员。", no_args_is_help=True)
    scheduler_app = typer.Typer(cls=ZhGroup, help="定时服务：每日扫描、发送提醒、半年报告。", no_args_is_help=True)
    app.add_typer(contact_app, name="contact")
    app.add_typer(scheduler_app, name="scheduler")

    @command(contact_app, "add", help="登记提醒接收人（邮箱和/或 Webhook 地址）。")
    def contact_add(
        run: Run,
        org: Annotated[str, typer.Option("--org", help="组织代码", metavar="代码")],
        role: Annotated[str, typer.Option("--role", help="branch_secretary（党支部书记）或 township_officer（乡镇组织委员）")],
        name: Annotated[str, typer.Option("--name", help="姓名")],
        email: Annotated[Optional[str], typer.Option("--email", help="电子邮箱")] = None,
        webhook: Annotated[Optional[str], typer.Option("--webhook", help="Webhook 地址（短信、企业微信、钉钉网关）")] = None,
    ) -> None:
        from services.organisation.directory import add_contact

        from services.organisation.directory import ROLE_NAMES as CONTACT_ROLES

        c = add_contact(run.app, org, role, name, email, webhook)
        if run.json:
            run.emit({"ok": True, "id": c["id"]})
        else:
            run.line(f"已登记{c['org_name']}提醒接收人：{c['name']}（{CONTACT_ROLES[role]}，编号 {c['id']}）")

    @command(contact_app, "list", help="列出提醒接收人。")
    def contact_list(run: Run) -> None:
        from services.organisation.directory import ROLE_NAMES as CONTACT_ROLES, list_contacts

        items = list_contacts(run.app)
        if run.json:
            run.emit(items)
            return
        for c in items:
            ways = "、".join(x for x in (c["email"], c["webhook"]) if x) or "（仅控制台）"
            run.line(f"{c['id']}  {c['org_name']}  {CONTACT_ROLES[c['role']]}  {c['name']}  {ways}")

    @command(app, "scan", help="扫描到期和逾期步骤，写入待发送提醒（--dry-run 只预览；--as-of 指定日期）。")
    def scan_cmd(
        run: Run,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="按此日期扫描（默认今天）", metavar="日期")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览，不写入")] = False,
        full: Annotated[bool, typer.Option("--full", help="全量扫描：重读全部未办结事项（默认只读上次扫描以来的新情况）")] = False,
    ) -> None:
        from services.notices.reminders import scan

        day = parse_day(as_of, "扫描日期") if as_of else run.app.today()
        report = scan(run.app, day, dry_run=dry_run, full=full)
        if run.json:
            run.emit(report.as_dict())
            return
        kinds = "，".join(f"{KIND_NAMES.get(k, k)} {n} 条" for k, n in sorted(report.by_kind.items())) or "无"
        head = "【预演，未写入】" if dry_run else ""
        scope = "全量" if report.full else f"自 {report.since} 以来的新情况"
        run.line(f"{head}{day} 扫描（{scope}）：到期/逾期事项 {report.examined} 项，提醒 {report.notices} 条（{kinds}），"
                 f"新写入 {report.created} 条，用时 {report.seconds:.2f} 秒")
        for r in report.rows[:50]:
            p = r["payload"]
            run.line(f"  {KIND_NAMES[r['kind']]}  {r['recipient_name']} ← {p['candidate_name']} {p['step_number']}. "
                     f"{p['step_name']} 最迟 {p['due_on']}（含当日）")

    @command(app, "dispatch", help="发送待发送的提醒（--dry-run 只显示将发送的内容）。")
    def dispatch_cmd(
        run: Run,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览，不发送、不改动")] = False,
    ) -> None:
        from services.notices.dispatch import dispatch_all

        channels, renderer = _delivery()
        report = dispatch_all(run.app, channels, renderer, dry_run=dry_run)
        if run.json:
            run.emit(report.as_dict())
            return
        if dry_run:
            run.line(f"【预演，未发送】将发送 {report.messages} 封/条消息")
            for p in report.previews:
                run.line(f"--- {p['channel']} → {p['recipient']}：{p['subject']}")
                run.line(p["body"])
            return
        run.line(f"发送 {report.messages} 封/条消息，涉及提醒 {report.claimed} 条：成功 {report.sent}，"
                 f"稍后重试 {report.failed}，停止重试 {report.dead}")

    @command(app, "reminders", help="查看提醒发送队列（待发送 / 已发送 / 失败），--retry 重新发送失败的提醒。")
    def reminders_cmd(
        run: Run,
        status: Annotated[Optional[str], typer.Option("--status", help="pending、sent 或 dead")] = None,
        retry: Annotated[Optional[str], typer.Option("--retry", help="重新排队：提醒编号（逗号分隔）或 all", metavar="编号")] = None,
        limit: Annotated[int, typer.Option("--limit", help="最多显示条数")] = 100,
    ) -> None:
        if status is not None and status not in STATUS_NAMES:
            raise refuse("reminders.status", f"状态应为 {'、'.join(f'{k}（{v}）' for k, v in STATUS_NAMES.items())}")
        if retry is not None:
            from services.organisation.directory import retry_dead

            ids = None if retry.strip().lower() == "all" else parse_ids(retry, "--retry 的提醒编号")
            n = retry_dead(run.app, ids)
            if run.json:
                run.emit({"ok": True, "requeued": n})
            else:
                run.line(f"已重新排队 {n} 条提醒")
            return
        if limit <= 0:
            raise refuse("reminders.limit", f"--limit 应大于 0，收到 {limit}")
        with run.app.uow(read_only=True) as uow:
            rows = uow.outbox.list(status, limit=limit)
            counts = uow.outbox.counts()
        items = [{"id": r.id, "kind": r.kind, "status": r.status, "channel": r.channel, "address": r.address,
                  "recipient_name": r.recipient_name, "candidate_id": r.candidate_id, "step": r.step,
                  "due_on": r.due_on.isoformat() if r.due_on else None, "attempts": r.attempts,
                  "last_error": r.last_error, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                  "payload": r.payload} for r in rows]
        if run.json:
            run.emit({"counts": counts, "items": items})
            return
        run.line("队列：" + "，".join(f"{STATUS_NAMES[k]} {counts.get(k, 0)}" for k in STATUS_NAMES))
        for i in items:
            p = i["payload"]
            what = f"{p.get('candidate_name', '')} {p.get('step_name', p.get('period', ''))}"
            err = f"  错误：{i['last_error']}" if i["last_error"] else ""
            run.line(f"{i['id']:>6}  {STATUS_NAMES[i['status']]}  {KIND_NAMES.get(i['kind'], i['kind'])}  "
                     f"{i['recipient_name']}（{i['channel']}）  {what}  最迟 {(i['due_on'] + '（含当日）') if i['due_on'] else '—'}  尝试 {i['attempts']} 次{err}")

    @command(scheduler_app, "run", help="启动定时服务（每日扫描、每分钟发送提醒、半年报告）；Ctrl-C 停止。")
    def scheduler_run(
        run: Run,
        dispatch_interval: Annotated[float, typer.Option("--dispatch-interval", help="发送间隔（秒）")] = 60.0,
        scan_at: Annotated[str, typer.Option("--scan-at", help="每日扫描时间（北京时间 HH:MM）")] = "06:00",
        no_catch_up: Annotated[bool, typer.Option("--no-catch-up", help="启动时不补做当天扫描")] = False,
        lease: Annotated[float, typer.Option("--lease", help="发送租约（秒）：进程中断后，其他进程最迟在此时间后接手未发送的提醒")] = 300.0,
    ) -> None:
        import logging
        from datetime import timedelta

        from services.notices.dispatch import DispatchSettings
        from services.operations.scheduler import SchedulerConfig, build, catch_up

        # every option is checked before anything runs (the catch-up scan writes)
        try:
            hour, minute = (int(x) for x in scan_at.split(":"))
        except ValueError:
            raise refuse("scheduler.scan_at", f"--scan-at 应为 HH:MM（北京时间），收到“{scan_at}”") from None
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise refuse("scheduler.scan_at", f"--scan-at 的时应为 0–23、分应为 0–59，收到“{scan_at}”")
        if not (0 < dispatch_interval < 86400 * 365):  # NaN and infinity too
            raise refuse("scheduler.dispatch_interval", f"--dispatch-interval 应大于 0 秒（且小于一年），收到 {dispatch_interval:g}")
        if not (0 < lease < 86400 * 365):
            raise refuse("scheduler.lease", f"--lease 应大于 0 秒（且小于一年），收到 {lease:g}")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        config = SchedulerConfig(scan_hour=hour, scan_minute=minute, dispatch_interval=dispatch_interval,
                                 dispatch=DispatchSettings(lease=timedelta(seconds=lease)))
        channels, renderer = _delivery()
        app = run.app
        if not no_catch_up:
            result = catch_up(app, config)
            run.line("启动补做当天扫描：" + ("今天已由其他进程完成" if result is None else f"新写入提醒 {result['created']} 条"))
        sched = build(app, channels, renderer, config, blocking=True)
        run.line(f"定时服务已启动：每日 {scan_at} 扫描，每 {dispatch_interval:g} 秒发送提醒（Ctrl-C 停止）")
        try:
            sched.start()
        except (KeyboardInterrupt, SystemExit):
            pass
