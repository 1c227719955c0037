"""Web commands: `partyflow serve` (the web application, with the scheduler embedded) and
`partyflow user …` (accounts and roles).

Registered on the main app by `register(app)`; every command goes through the same `command()`
wrapper (`--db`, `--json`, Chinese errors, exit codes) as the rest of the CLI.
"""
import getpass
import os
import secrets
import sys
from typing import Annotated, Optional

import typer

from cli import start
from cli.options import RECORDER_HELP, Run, command, parse_day, refuse
from cli.zh import ZhGroup

SECRET_ENV = "PARTYFLOW_SECRET_KEY"
PROXIES_ENV = "PARTYFLOW_TRUSTED_PROXIES"
IDLE_ENV = "PARTYFLOW_SESSION_IDLE_MINUTES"
ABSOLUTE_ENV = "PARTYFLOW_SESSION_MAX_HOURS"
ROLE_HELP = ("branch_secretary（党支部书记）、branch_committee（党支部委员）、township_officer（乡镇组织委员）、"
             "county_viewer（县委组织部，只读）、admin（系统管理员）")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise refuse("user.password", "两次输入的密码不一致")
    return first


def _simulated_clock(day):
    """A clock that starts at `day` (now's time of day) and runs on with real time."""
    from datetime import datetime

    from services.app import shanghai_now

    start = shanghai_now()
    offset = datetime.combine(day, start.timetz()) - start

    def clock():
        return shanghai_now() + offset

    return clock


def _user_line(u: dict) -> str:
    roles = "、".join(r["role_name"] + (f"（{r['org_name']}）" if r["org_name"] else "") for r in u["roles"]) or "无角色"
    return f"{u['id']:>4}  {u['username']}  {u['display_name']}  {roles}{'' if u['active'] else '  （已停用）'}"


def register(app: typer.Typer) -> None:
    user_app = typer.Typer(cls=ZhGroup, help="网页用户与角色。", no_args_is_help=True)
    role_app = typer.Typer(cls=ZhGroup, help="用户的角色。", no_args_is_help=True)
    app.add_typer(user_app, name="user")
    user_app.add_typer(role_app, name="role")

    @command(app, "serve", help="启动网页服务（默认同时运行定时提醒服务）；Ctrl-C 停止。", creates_database=True)
    def serve(
        run: Run,
        host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
        no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="不在本进程运行定时提醒服务")] = False,
        insecure_cookies: Annotated[bool, typer.Option("--insecure-cookies", help="允许通过 http（非 https）登录：仅限本机试用")] = False,
        demo: Annotated[bool, typer.Option("--demo", help="重新生成演示乡镇及其账号（演示数据库，不动工作数据库）并启动，模拟日期为演示的最后一天")] = False,
        today: Annotated[Optional[str], typer.Option("--today", help="模拟日期（演示、培训用）：网页中的“今天”从该日开始走", metavar="日期")] = None,
        trusted_proxy: Annotated[Optional[list[str]], typer.Option(
            "--trusted-proxy", metavar="地址",
            help=f"可信的反向代理地址或网段（可多次给出；也可设 {PROXIES_ENV}，逗号分隔）：只有来自这些地址的请求，"
                 "其 X-Forwarded-For 才被当作用户的真实地址；默认不信任任何代理")] = None,
        session_idle: Annotated[Optional[int], typer.Option(
            "--session-idle", metavar="分钟", help=f"连续多少分钟未操作须重新登录（默认 120；也可设 {IDLE_ENV}）")] = None,
        session_max: Annotated[Optional[int], typer.Option(
            "--session-max", metavar="小时", help=f"登录后最长多少小时须重新登录（默认 12；也可设 {ABSOLUTE_ENV}）")] = None,
    ) -> None:
        import logging

        import uvicorn

        from web.app import create_app

        if not 0 < port < 65536:
            raise refuse("serve.port", f"--port 应为 1–65535，收到 {port}")
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            secret = secrets.token_urlsafe(32)
            run.warn(f"未设置 {SECRET_ENV}：本次使用临时密钥，重启后已打开的页面须刷新才能提交；多个网页进程须使用同一密钥")
        policy = _session_policy(session_idle, session_max)
        proxies = _trusted_proxies(trusted_proxy)
        secure = cookie_secure(host, insecure_cookies, proxies)
        start_day = parse_day(today, "模拟日期") if today else None
        if demo:
            from cli.demo import _demo_url, print_logins
            from services.app import App
            from services.demo import END, run_demo
            from services.demo.accounts import create_demo_accounts

            url = _demo_url(run.db)
            run.line(f"正在生成演示乡镇（{url}）……")
            pf = App.open(url)
            start.started()
            accounts = create_demo_accounts(pf, run_demo(pf)["town"])
            print_logins(run.out, None, accounts)
            start_day, no_scheduler = start_day or END, True  # reminders for 2018 are not wanted
        else:
            pf = run.app
        if start_day is not None:
            pf.clock = _simulated_clock(start_day)
            run.warn(f"模拟日期：网页中的“今天”为 {start_day}（此后随实际时间推进），办理日期默认取模拟日期")
        sched = None
        if not no_scheduler:
            from cli.reminders_cmds import _delivery
            from services.operations.scheduler import SchedulerConfig, build, catch_up

            logging.getLogger("alembic").setLevel(logging.WARNING)
            channels, renderer = _delivery()
            config = SchedulerConfig()
            catch_up(pf, config)
            sched = build(pf, channels, renderer, config, blocking=False)
            sched.start()
        where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        run.line(f"网页服务：{where}（接口文档 {where}api/docs）" + ("，定时提醒服务已在本进程启动" if sched else ""))
        if not secure:
            run.warn("登录 Cookie 未设 Secure 标志（仅限本机或 --insecure-cookies）；对外服务请放在 https 反向代理之后")
        if proxies:
            run.line(f"可信的反向代理：{'、'.join(proxies)}（只采信它们转发的 X-Forwarded-For）")
        try:
            # uvicorn's own proxy-header trust stays off: create_app believes X-Forwarded-For only
            # from the proxies named here, so no client can choose the address the login throttle counts
            uvicorn.run(create_app(pf, secret_key=secret, secure_cookies=secure, session_policy=policy,
                                   trusted_proxies=proxies), host=host, port=port, proxy_headers=False,
                        log_level="info")
        finally:
            if sched is not None:
                sched.shutdown(wait=False)

    @command(user_app, "add", help="新建网页用户（密码从提示输入，或 --password-stdin 从标准输入读一行）。")
    def user_add(
        run: Run,
        username: Annotated[str, typer.Argument(help="用户名（字母、数字、_ . -）")],
        name: Annotated[str, typer.Option("--name", help="姓名")],
        role: Annotated[Optional[list[str]], typer.Option("--role", help=ROLE_HELP)] = None,
        org: Annotated[Optional[list[str]], typer.Option("--org", help="组织代码或编号（与 --role 一一对应；admin 不填）")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码")] = False,
        by: Annotated[Optional[str], typer.Option("--by", "--actor", help=RECORDER_HELP, metavar="姓名")] = None,
    ) -> None:
        from services.accounts.users import create_user

        who = _cli_actor(by)
        roles = list(role or [])
        orgs = list(org or [])
        if len(orgs) > len(roles):
            raise refuse("user.role_org", "--org 多于 --role：每个 --org 对应前面的一个 --role")
        pairs = [(r, orgs[i] if i < len(orgs) else None) for i, r in enumerate(roles)]
        u = create_user(run.app, username, name, _password(password_stdin), pairs, by=who)
        if run.json:
            run.emit({"ok": True, "user": u})
        else:
            run.line("已新建用户：" + _user_line(u).strip())

    @command(user_app, "list", help="列出网页用户及其角色。")
    def user_list(run: Run) -> None:
        from services.accounts.users import list_users

        users = list_users(run.app)
        if run.json:
            run.emit(users)
            return
        for u in users:
            run.line(_user_line(u))
        if not users:
            run.line("还没有用户（partyflow user add …）")

    @command(user_app, "password", help="重设用户密码（该用户所有已登录会话失效）。")
    def user_password(
        run: Run,
        username: Annotated[str, typer.Argument(help="用户名")],
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码")] = False,
        by: Annotated[Optional[str], typer.Option("--by", "--actor", help=RECORDER_HELP, metavar="姓名")] = None,
    ) -> None:
        from services.accounts.users import set_password

        who = _cli_actor(by)
        set_password(run.app, username, _password(password_stdin), by=who)
        run.emit({"ok": True}) if run.json else run.line(f"已重设用户“{username}”的密码")

    def _role(run: Run, add: bool, username: str, role: str, org: Optional[str], by: Optional[str]) -> None:
        from services.accounts.users import change_role

        u = change_role(run.app, username, role, org, add=add, by=_cli_actor(by))
        if run.json:
            run.emit({"ok": True, "user": u})
        else:
            run.line(("已添加角色：" if add else "已移除角色：") + _user_line(u).strip())

    @command(role_app, "add", help="给用户添加角色。")
    def role_add(
        run: Run,
        username: Annotated[str, typer.Argument(help="用户名")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
        org: Annotated[Optional[str], typer.Option("--org", help="组织代码或编号（admin 不填）")] = None,
        by: Annotated[Optional[str], typer.Option("--by", "--actor", help=RECORDER_HELP, metavar="姓名")] = None,
    ) -> None:
        _role(run, True, username, role, org, by)

    @command(role_app, "remove", help="移除用户的角色。")
    def role_remove(
        run: Run,
        username: Annotated[str, typer.Argument(help="用户名")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
        org: Annotated[Optional[str], typer.Option("--org", help="组织代码或编号（admin 不填）")] = None,
        by: Annotated[Optional[str], typer.Option("--by", "--actor", help=RECORDER_HELP, metavar="姓名")] = None,
    ) -> None:
        _role(run, False, username, role, org, by)


def _env_int(name: str, label: str) -> Optional[int]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise refuse("serve.env", f"环境变量 {name}（{label}）应为整数，收到“{raw}”")
    return int(raw)


def _session_policy(idle: Optional[int], absolute: Optional[int]):
    """The session timeouts from the options, else the environment, else the defaults (2 h / 12 h)."""
    from datetime import timedelta

    from services.accounts.sessions import ABSOLUTE, IDLE, SessionPolicy

    idle = idle if idle is not None else _env_int(IDLE_ENV, "未操作超时分钟数")
    absolute = absolute if absolute is not None else _env_int(ABSOLUTE_ENV, "登录最长小时数")
    idle_td = timedelta(minutes=idle) if idle is not None else IDLE
    absolute_td = timedelta(hours=absolute) if absolute is not None else ABSOLUTE
    if not timedelta(minutes=5) <= idle_td <= timedelta(hours=24):
        raise refuse("serve.session_idle", f"--session-idle 应为 5–1440 分钟，收到 {idle}")
    if not timedelta(hours=1) <= absolute_td <= timedelta(hours=72):
        raise refuse("serve.session_max", f"--session-max 应为 1–72 小时，收到 {absolute}")
    if idle_td > absolute_td:
        raise refuse("serve.session_idle", "未操作超时（--session-idle）不能长于登录最长时间（--session-max）")
    return SessionPolicy(idle=idle_td, absolute=absolute_td)


def cookie_secure(host: str, insecure: bool, proxies: list[str]) -> bool:
    """Whether the login cookie gets the Secure flag: always, except on plain-http local trials
    (listening on localhost with no trusted proxy) or when asked (--insecure-cookies). Behind a
    trusted TLS proxy the app listens on localhost but the browser speaks https."""
    local = host in ("127.0.0.1", "localhost", "::1")
    return not insecure and (not local or bool(proxies))


def _trusted_proxies(given: Optional[list[str]]) -> list[str]:
    """--trusted-proxy, else $PARTYFLOW_TRUSTED_PROXIES; each an IP address or network."""
    from web.app import ProxyTooWide, trusted_proxy_list

    values = list(given or []) or [os.environ.get(PROXIES_ENV, "")]
    try:
        return trusted_proxy_list(values)
    except ProxyTooWide as e:
        raise refuse("serve.trusted_proxy",
                     f"可信代理“{e}”范围过大，会把用户本身也当作代理，任何人都能自报来源地址而绕过按地址的登录限制；"
                     "请只写反向代理本机的地址（例：127.0.0.1）或其所在的小网段") from None
    except ValueError as e:
        raise refuse("serve.trusted_proxy",
                     f"可信代理“{e}”不是 IP 地址或网段（例：127.0.0.1、10.0.0.0/8、::1）") from None


def _cli_actor(by: Optional[str]) -> str:
    """The audit log's "by" for a user change made on the command line (a named person, never the OS login)."""
    from cli.options import recorder

    return f"命令行：{recorder(by)}"
