"""`partyflow` — the command line. Parses input, calls one service function, renders the result.

No rule lives here: every check is the engine's (through services), so the CLI, the web and the
scheduler refuse the same things with the same Chinese sentence. See docs/cli.md.
"""
from cli import start

start.begin()  # fewer collections while the command starts (cli/start.py)

from typing import Annotated, Callable, List, Optional  # noqa: E402 - after the collector's setting

import typer  # noqa: E402

from cli import render
from cli.zh import ZhCommand, ZhGroup, ZhTyper
from cli.options import (
    DB_HELP,
    EXIT_PROBLEMS,
    JSON_HELP,
    Run,
    RECORDER_HELP,
    check_database_or_exit,
    command,
    parse_day,
    parse_sets,
    recorder,
)

app = ZhTyper(
    name="partyflow",
    help="发展党员工作流程管理（依据《中国共产党发展党员工作细则》2014年版及2026年修订）。",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=ZhGroup,
)
org_app = typer.Typer(cls=ZhGroup, help="党组织：县级党委、乡镇党委、党支部。", no_args_is_help=True)
person_app = typer.Typer(cls=ZhGroup, help="人员：申请人和党员（培养联系人、入党介绍人）。", no_args_is_help=True)
definitions_app = typer.Typer(cls=ZhGroup, help="流程定义（细则版本）：列出，或检查定义文件。")
holidays_app = typer.Typer(cls=ZhGroup, help="国家法定节假日和调休安排。", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(person_app, name="person")
app.add_typer(definitions_app, name="definitions")
app.add_typer(holidays_app, name="holidays")


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[Optional[str], typer.Option("--db", help=DB_HELP, metavar="URL", show_default=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """发展党员工作流程管理。全局选项 --db、--json 也可写在各命令之后。"""
    check_database_or_exit(db, json_output)
    ctx.obj = {"db": db, "json": json_output}


# Shared option types (Chinese help once, reused by every command).
DateOpt = Annotated[str, typer.Option("--date", help="实际发生日期（会议、谈话等的真实日期），如 2018-03-10", metavar="日期")]
ActorOpt = Annotated[Optional[str], typer.Option("--by", "--actor", help=RECORDER_HELP, metavar="姓名")]
PreviewOpt = Annotated[bool, typer.Option("--preview", help="预演：检查并显示结果，但不写入")]
ExpectOpt = Annotated[Optional[int], typer.Option("--expect-version", help="你看到的记录版本；若已被他人修改则拒绝", metavar="N")]
SetOpt = Annotated[Optional[List[str]], typer.Option("--set", help="记录项=值，记录项写中文名称（或其英文键），可多次使用，如 --set 谈话人=李书记 --set 入党介绍人=201,202 --set 表决结果=16,9,9,0,0", metavar="键=值")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="原因或依据（如支部委员会决定）", metavar="说明")]
CandidateArg = Annotated[int, typer.Argument(help="候选人编号", metavar="候选人")]


# ------------------------------------------------------------------ init


@command(app, "init", help="创建或升级数据库，并显示其位置。", creates_database=True)
def init_cmd(run: Run) -> None:
    from storage import current_revision

    a = run.app  # App.open migrates to the newest schema
    url = a.engine.url
    where = url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)
    revision = current_revision(a.engine)
    if run.json:
        run.emit({"ok": True, "database": where, "url": url.render_as_string(hide_password=True), "revision": revision})
        return
    run.line(f"数据库已就绪：{where}")
    run.line(f"结构版本：{revision}", "dim")


# ------------------------------------------------------------------ org / person


@command(org_app, "add", help="添加组织：县级党委（county）、乡镇党委（township）或党支部（branch）。")
def org_add(
    run: Run,
    code: Annotated[str, typer.Option("--code", help="组织代码（唯一）", metavar="代码")],
    name: Annotated[str, typer.Option("--name", help="组织名称", metavar="名称")],
    level: Annotated[str, typer.Option("--level", help="层级：county | township | branch", metavar="层级")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="类别：rural | organ | enterprise | school | community | other", metavar="类别")] = None,
    parent: Annotated[Optional[str], typer.Option("--parent", help="上级组织代码（党支部须隶属乡镇党委）", metavar="代码")] = None,
    variant: Annotated[Optional[str], typer.Option("--variant", help="乡镇变体流程 id，如 cpc_2014_notice7", metavar="ID")] = None,
) -> None:
    from services.organisation.directory import add_org

    oid = add_org(run.app, code, name, level, kind, parent, variant)
    if run.json:
        run.emit({"ok": True, "id": oid, "code": code})
    else:
        run.line(f"已添加组织 {name}（代码 {code}，编号 {oid}）")


@command(org_app, "list", help="列出全部组织。")
def org_list(run: Run) -> None:
    from services.casework.queries import list_orgs

    items = list_orgs(run.app)
    run.show(items, render.orgs)


@command(org_app, "variant", help="为乡镇党委选择乡镇变体流程（只影响此后的新申请）；--clear 恢复全国默认。")
def org_variant(
    run: Run,
    org: Annotated[str, typer.Argument(help="乡镇党委代码", metavar="代码")],
    variant: Annotated[Optional[str], typer.Argument(help="变体 id，如 cpc_2014_notice7", metavar="变体")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="取消变体，恢复全国默认流程")] = False,
) -> None:
    from services.organisation.directory import set_variant

    if not variant and not clear:
        from engine.errors import refuse

        raise refuse("variant.missing", "请指定变体 id，或用 --clear 恢复全国默认流程")
    set_variant(run.app, org, None if clear else variant)
    if run.json:
        run.emit({"ok": True, "org": org, "workflow_variant": None if clear else variant})
    else:
        run.line(f"{org} 已改用全国默认流程" if clear else f"{org} 已选择乡镇变体 {variant}（只影响此后的新申请）")


@command(person_app, "add", help="添加人员（申请人，或可担任培养联系人、入党介绍人的党员）。")
def person_add(
    run: Run,
    name: Annotated[str, typer.Option("--name", help="姓名", metavar="姓名")],
    gender: Annotated[str, typer.Option("--gender", help="性别：男 | 女", metavar="性别")],
    birth: Annotated[str, typer.Option("--birth", help="出生日期，如 1990-05-01", metavar="日期")],
    ethnicity: Annotated[str, typer.Option("--ethnicity", help="民族：56个民族之一，或“其他（说明）”", metavar="民族")] = "汉族",
    education: Annotated[Optional[str], typer.Option("--education", help="学历，统计类别之一（如 大学本科），或“其他（说明）”；类别见 docs/categories.md", metavar="学历")] = None,
    occupation: Annotated[Optional[str], typer.Option("--occupation", help="职业，统计类别之一（如 农牧渔民），或“其他（说明）”", metavar="职业")] = None,
    tag: Annotated[Optional[List[str]], typer.Option("--tag", help="类别，可多次使用，如 --tag 致富带头人；统计类别之一或“其他（说明）”", metavar="类别")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="手机号", metavar="号码")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="电子邮箱", metavar="邮箱")] = None,
    party_status: Annotated[str, typer.Option("--party-status", help="政治面貌：none（群众）| probationary（预备党员）| full_member（正式党员）", metavar="状态")] = "none",
    branch: Annotated[Optional[str], typer.Option("--branch", help="所在党支部代码（党员必填）", metavar="代码")] = None,
    actor: ActorOpt = None,
) -> None:
    from services.people import add_person

    by = recorder(actor)
    pid = add_person(run.app, name=name, gender=gender, birth_date=parse_day(birth, "出生日期"), ethnicity=ethnicity,
                     education=education, occupation=occupation, tags=tag or (), phone=phone, email=email,
                     party_status=party_status, branch=branch, actor=by)
    if run.json:
        run.emit({"ok": True, "id": pid, "name": name})
    else:
        run.line(f"已添加人员 {name}（编号 {pid}）")


def _rights_command(name: str, suspended: bool, help_text: str, reason_help: str) -> None:
    """`person suspend` and `person restore`: one service call, two plainly named commands."""

    @command(person_app, name, help=help_text)
    def set_rights(
        run: Run,
        person: Annotated[int, typer.Argument(help="人员编号", metavar="人员编号")],
        reason: Annotated[str, typer.Option("--reason", help=reason_help, metavar="依据")],
        actor: ActorOpt = None,
    ) -> None:
        from services.organisation.directory import set_rights_suspended

        out = set_rights_suspended(run.app, person, suspended, reason=reason, actor=recorder(actor))
        if run.json:
            run.emit(out)
        else:
            run.line(f"已记录：{out['name']}（编号 {person}）" + ("党员权利停止，不能担任培养联系人、入党介绍人"
                                                              if suspended else "恢复党员权利"))


_rights_command("suspend", True, "记录党员受留党察看处分或党员权利被停止（不能担任培养联系人、入党介绍人）。", "处分决定或依据")
_rights_command("restore", False, "记录党员恢复党员权利。", "恢复决定或依据")


@command(person_app, "list", help="列出人员。")
def person_list(
    run: Run,
    branch: Annotated[Optional[str], typer.Option("--branch", help="只列出该组织（含下属党支部）的党员", metavar="代码")] = None,
) -> None:
    from services.casework.queries import list_people

    items = list_people(run.app, branch)
    run.show(items, render.people)


# ------------------------------------------------------------------ writes on candidates


def _finish_write(run: Run, result, done: Callable[[dict], str]) -> None:
    from services.casework.queries import command_view

    view = command_view(run.app, result)
    if run.json:
        run.emit(view)
    else:
        text = done(view)
        if view.get("preview") and text.startswith("已"):
            text = "将" + text[1:]  # nothing was written: say what would be
        render.command_result(run, view, text)


def _step_label(view: dict) -> str:
    e = view.get("event") or {}
    return f"第 {e['number']} 步 {e['step_name']}" if e.get("number") else (e.get("step_name") or e.get("step") or "")


@command(app, "apply", help="登记入党申请（第1步：递交入党申请书）。")
def apply_cmd(
    run: Run,
    person: Annotated[int, typer.Option("--person", help="申请人编号（person add 的编号）", metavar="编号")],
    branch: Annotated[str, typer.Option("--branch", help="接收申请的党支部代码", metavar="代码")],
    date: DateOpt,
    actor: ActorOpt = None,
    set_: SetOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from services.casework.candidates import register_applicant
    from services.organisation.directory import resolve_branch

    by = recorder(actor, preview)
    on = parse_day(date)
    with run.app.uow() as uow:
        branch_id = resolve_branch(uow, branch).id
    result = register_applicant(run.app, person_id=person, branch_id=branch_id, occurred_on=on,
                                actor=by, evidence=parse_sets(set_), preview=preview)
    _finish_write(run, result, lambda v: f"已登记入党申请（{on}）" + (f"，候选人编号 {v['candidate_id']}" if v.get("candidate_id") else ""))


@command(app, "step", help="办理一个步骤：步骤可以写编号（1–25）、名称或名称中只属于一个步骤的部分（如 宣誓），也可写 id；记录项用 --set 填写。")
def step_cmd(
    run: Run,
    candidate: CandidateArg,
    step: Annotated[str, typer.Argument(help="步骤 id、编号（1–25）或名称", metavar="步骤")],
    date: DateOpt,
    actor: ActorOpt = None,
    set_: SetOpt = None,
    expect_version: ExpectOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from services.casework.candidates import complete_step

    on = parse_day(date)
    evidence = parse_sets(set_)
    # the reference (id, number or name) is resolved in the command's own transaction
    result = complete_step(run.app, candidate, step, occurred_on=on, actor=recorder(actor, preview),
                           evidence=evidence, expected_version=expect_version, preview=preview)
    _finish_write(run, result, lambda v: f"已记录：{_step_label(v)}（{on}），候选人 {candidate}")


def _exceptional(action: str, help_text: str, done: str) -> None:
    """Register one exceptional-path command (they differ only in the action and the words)."""

    def cmd(
        run: Run,
        candidate: CandidateArg,
        date: DateOpt,
        reason: ReasonOpt = "",
        actor: ActorOpt = None,
        expect_version: ExpectOpt = None,
        preview: PreviewOpt = False,
    ) -> None:
        from services.casework.candidates import exceptional

        on = parse_day(date)
        result = exceptional(run.app, candidate, action, occurred_on=on, actor=recorder(actor, preview),
                             reason=reason, expected_version=expect_version, preview=preview)
        _finish_write(run, result, lambda v: f"已{done}：候选人 {candidate}（{on}）")

    cmd.__name__ = f"{action}_cmd"
    command(app, action.replace("_", "-"), help=help_text)(cmd)


_exceptional("withdraw", "申请人撤回入党申请（或放弃）。", "登记撤回")
_exceptional("disqualify", "取消入党积极分子或发展对象资格。", "取消资格")
_exceptional("not_selected", "结束长期未被确定为入党积极分子的申请。", "结束申请")
_exceptional("reconsider", "将未通过的人员重新列为发展对象。", "重新列为发展对象")
_exceptional("cancel_probation", "取消预备党员资格。", "取消预备党员资格")
_exceptional("death", "登记去世。", "登记去世")


@command(app, "transfer", help="转接组织关系：--to 转到本系统内另一党支部（培养时间连续计算）；--out 转出本系统。")
def transfer_cmd(
    run: Run,
    candidate: CandidateArg,
    date: DateOpt,
    reason: ReasonOpt = "",
    to: Annotated[Optional[str], typer.Option("--to", help="转入的党支部代码", metavar="代码")] = None,
    out: Annotated[bool, typer.Option("--out", help="转出本系统（组织关系转到系统外）")] = False,
    actor: ActorOpt = None,
    expect_version: ExpectOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from engine.errors import refuse
    from services.casework.candidates import exceptional
    from services.organisation.directory import resolve_branch

    on = parse_day(date)
    to_id = None
    if out and to:
        raise refuse("transfer.both", "--to 与 --out 只能选一个：系统内转接用 --to，转出本系统用 --out")
    if not out:
        if not to:
            raise refuse("transfer.branch", "转接须用 --to 指明转入的党支部；转出本系统请用 --out")
        with run.app.uow() as uow:
            to_id = resolve_branch(uow, to).id
    result = exceptional(run.app, candidate, "transfer_out" if out else "transfer", occurred_on=on,
                         actor=recorder(actor, preview), reason=reason, to_branch_id=to_id,
                         expected_version=expect_version, preview=preview)
    done = f"已转出本系统：候选人 {candidate}（{on}）" if out else f"已转接到党支部 {to}：候选人 {candidate}（{on}）"
    _finish_write(run, result, lambda v: done)


@command(app, "correct", help="按序号更正一条记录的日期或记录项（原记录保留，标记为已更正）。")
def correct_cmd(
    run: Run,
    candidate: CandidateArg,
    seq: Annotated[int, typer.Argument(help="要更正的记录序号（见 show）", metavar="序号")],
    reason: ReasonOpt,
    date: Annotated[Optional[str], typer.Option("--date", help="更正后的日期", metavar="日期")] = None,
    set_: SetOpt = None,
    actor: ActorOpt = None,
    expect_version: ExpectOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from services.casework.candidates import correct

    on = parse_day(date, "更正后的日期") if date else None
    evidence = parse_sets(set_) or None
    result = correct(run.app, candidate, seq, actor=recorder(actor, preview), reason=reason, occurred_on=on,
                     evidence=evidence, expected_version=expect_version, preview=preview)
    _finish_write(run, result, lambda v: f"已更正第 {seq} 条记录：候选人 {candidate}")


@command(app, "void", help="按序号作废一条记录（误录；原记录保留，标记为已作废）。")
def void_cmd(
    run: Run,
    candidate: CandidateArg,
    seq: Annotated[int, typer.Argument(help="要作废的记录序号（见 show）", metavar="序号")],
    reason: ReasonOpt,
    actor: ActorOpt = None,
    expect_version: ExpectOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from services.casework.candidates import void

    result = void(run.app, candidate, seq, actor=recorder(actor, preview), reason=reason,
                  expected_version=expect_version, preview=preview)
    _finish_write(run, result, lambda v: f"已作废第 {seq} 条记录：候选人 {candidate}")


@command(app, "migrate", help="将候选人迁移到另一流程版本（须有乡镇党委的决定）。")
def migrate_cmd(
    run: Run,
    candidate: CandidateArg,
    key: Annotated[str, typer.Argument(help="目标流程版本，如 cpc_2026@1", metavar="版本")],
    date: DateOpt,
    reason: ReasonOpt,
    actor: ActorOpt = None,
    expect_version: ExpectOpt = None,
    preview: PreviewOpt = False,
) -> None:
    from services.casework.candidates import migrate

    on = parse_day(date)
    result = migrate(run.app, candidate, key, occurred_on=on, actor=recorder(actor, preview), reason=reason,
                     expected_version=expect_version, preview=preview)
    title = run.app.definition(result.decision.state.definition_key).title
    _finish_write(run, result, lambda v: f"已迁移到{title}：候选人 {candidate}（{on}）")


# ------------------------------------------------------------------ reads


@command(app, "show", help="查看候选人：基本情况、办理记录、下一步及其日期。")
def show_cmd(run: Run, candidate: CandidateArg) -> None:
    from services.casework.queries import show_candidate

    data = show_candidate(run.app, candidate)
    run.show(data, render.show)


@command(app, "list", help="按阶段列出候选人。")
def list_cmd(
    run: Run,
    org: Annotated[Optional[str], typer.Option("--org", help="组织代码（乡镇或县含全部下属党支部）", metavar="代码")] = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="阶段 id 或名称，如 activist 或 入党积极分子", metavar="阶段")] = None,
) -> None:
    from services.casework.queries import known_stages, list_candidates

    items = list_candidates(run.app, org, stage)
    run.show(items, render.candidates_by_stage, list(known_stages(run.app)))


@command(app, "overdue", help="列出截至某日逾期未办的事项（默认今天）。")
def overdue_cmd(
    run: Run,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="截至日期（默认今天）", metavar="日期")] = None,
    org: Annotated[Optional[str], typer.Option("--org", help="组织代码（乡镇或县含全部下属党支部）", metavar="代码")] = None,
) -> None:
    from services.casework.queries import overdue

    day = parse_day(as_of, "截至日期") if as_of else run.app.today()
    items = overdue(run.app, day, org)
    run.show(items, render.overdue, day.isoformat())


class _Defs:
    """The part of App the definition queries use (registry and today). Listing definitions must
    not create or migrate a database, so the registry is the shipped files plus, when the
    database already exists, the versions installed from the web admin page (read only; a
    database that cannot be read gives the files alone, with a warning)."""

    def __init__(self, db: str | None) -> None:
        self.registry = _definitions_of(db)

    def today(self):
        from services.app import SHANGHAI, shanghai_now

        return shanghai_now().astimezone(SHANGHAI).date()

    def definition(self, key: str):
        return self.registry.get(key)


def _definitions_of(db: str | None):
    from pathlib import Path

    from storage.db import database_url, default_url
    from workflows.registry import Registry

    url = db or default_url()
    u = database_url(url)
    if u.get_backend_name() == "sqlite" and (u.database in (None, "", ":memory:") or not Path(u.database).exists()):
        return Registry.default()
    from services.app import App

    app = App.open(url, migrate=False)
    try:
        registry = app.registry
    finally:
        app.close()
    registry.on_miss = None  # the database is closed: no look-ups later
    return registry


@command(app, "steps", help="流程表：每一步的编号、阶段、办理主体、时间要求和依据条款。")
def steps_cmd(
    run: Run,
    definition: Annotated[Optional[str], typer.Option("--definition", help="流程版本，如 cpc_2014@1（默认今天施行的版本）", metavar="版本")] = None,
) -> None:
    from services.casework.queries import process_table

    data = process_table(_Defs(run.db), definition)
    run.show(data, render.process_table)


def _definitions_list(run: Run) -> None:
    from services.casework.queries import list_definitions

    items = list_definitions(_Defs(run.db))
    run.show(items, render.definitions)


@definitions_app.callback(invoke_without_command=True)
def _definitions_root(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """列出流程定义版本；definitions validate 文件 检查定义文件。"""
    if ctx.invoked_subcommand is None:
        root = ctx.find_root().obj or {}
        _definitions_list(Run(db=root.get("db"), json=json_output or bool(root.get("json"))))


command(definitions_app, "list", help="列出全部流程定义版本。")(_definitions_list)


@command(definitions_app, "validate", help="检查一个流程定义 YAML 文件，列出全部问题（文件:行: 说明）。")
def definitions_validate(
    run: Run,
    file: Annotated[str, typer.Argument(help="定义文件路径", metavar="文件")],
) -> None:
    from workflows.loader import DefinitionError, load_definition

    registry = _definitions_of(run.db)  # a township variant may extend an installed version

    def resolve(key: str):
        return registry.get(key)

    try:
        defn = load_definition(file, resolve)
    except DefinitionError as e:
        problems = [{"file": p.file, "line": p.line, "message": p.message} for p in e.problems]
        if run.json:
            run.emit({"ok": False, "file": file, "problems": problems})
        else:
            for p in e.problems:
                run.err.print(str(p), style="red", markup=False, soft_wrap=True)
            run.err.print(f"共 {len(problems)} 个问题。", style="bold red", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS)
    if run.json:
        run.emit({"ok": True, "file": file, "problems": [], "key": defn.key, "title": defn.title,
                  "steps": len(defn.steps), "sha256": defn.sha256})
    else:
        run.line(f"定义有效：{defn.title}（{defn.key}），{len(defn.steps)} 个步骤，sha256 {defn.sha256[:12]}…", "green")


@command(holidays_app, "load", help="导入某一年的国务院节假日安排文件（YAML，格式见 docs/calendar.md）。")
def holidays_load(
    run: Run,
    file: Annotated[str, typer.Argument(help="节假日安排文件", metavar="文件")],
) -> None:
    from services.organisation.directory import load_holidays

    info = load_holidays(run.app, file)
    if run.json:
        run.emit({"ok": True, **info})
    else:
        run.line(f"已导入 {info['year']} 年节假日安排：放假 {info['holidays']} 天，调休上班 {info['workdays']} 天"
                 + (f"（来源：{info['source']}）" if info.get("source") else ""))
        if info.get("recomputed"):
            run.line(f"已按新安排重算 {info['recomputed']} 名候选人的暂定期限")


@command(app, "verify", help="核对：由办理记录重算每名候选人的状态和期限，与数据库中的比对。")
def verify_cmd(run: Run) -> None:
    try:
        from services.integrity.verify import verify
    except ImportError:
        from engine.errors import refuse

        raise refuse("verify.missing", "本版本尚未提供核对功能（services/integrity/verify.py）") from None
    report = verify(run.app)
    if run.json:
        run.emit(report.as_dict())
    else:
        run.line(f"已核对 {report.candidates} 名候选人、{report.events} 条办理记录。")
        if report.ok:
            run.line("全部一致。", "green")
        else:
            for m in report.mismatches:
                run.err.print(_mismatch_line(m), style="red", markup=False, soft_wrap=True)
            run.err.print(f"发现 {len(report.mismatches)} 处不一致。", style="bold red", markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _mismatch_line(m: dict) -> str:
    who = f"候选人 {m['candidate_id']}：" if m.get("candidate_id") is not None else ""
    return who + str(m.get("problem") or m.get("message") or m)


# ------------------------------------------------------------------ demo (written by the lead)

try:  # the CLI must keep working before cli/demo.py exists
    from cli.demo import demo_command
except ImportError:  # pragma: no cover - depends on what is checked out
    demo_command = None
if demo_command is not None:
    app.command("demo", cls=ZhCommand)(demo_command)


from cli.reminders_cmds import register as _register_reminders  # noqa: E402

_register_reminders(app)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
from cli.report_cmds import register as _register_reports  # noqa: E402
from cli.ledger_cmds import register as _register_ledger  # noqa: E402

_register_reports(app)
_register_ledger(app)
from cli.config_cmds import register as _register_config  # noqa: E402
from cli.web_cmds import register as _register_web  # noqa: E402
from cli.review_cmds import register as _register_review  # noqa: E402
from cli.migration_cmds import register as _register_migration  # noqa: E402

_register_web(app)
_register_config(app)
_register_review(app)
_register_migration(app)
from cli.backup_cmds import register as _register_backup  # noqa: E402
_register_backup(app)
from cli.checkpoint_cmds import register as _register_checkpoint  # noqa: E402
_register_checkpoint(app)
from cli.material_cmds import register as _register_materials, register_org as _register_org_materials  # noqa: E402
_register_materials(app)
_register_org_materials(org_app)
