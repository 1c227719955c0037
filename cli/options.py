"""What every command shares: `--db` / `--json`, the App, input parsing, and one error handler.

Why one wrapper: the rules live in the services; the CLI must turn every refusal into the same
thing — one red Chinese line per violation and a fixed exit code (or `{"ok": false, ...}` with
`--json`) — and never show a traceback for a user's mistake. Doing it in one place keeps the
commands short and the behaviour identical.

Exit codes: 0 done; 1 a check found problems (verify, definitions validate) or a database failure;
2 refused (a rule, unknown id, bad input, bad option); 3 someone else changed the record first.
"""
from __future__ import annotations

import errno
import functools
import inspect
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

import typer

from cli import start
from cli.zh import ZhCommand

if TYPE_CHECKING:
    from rich.console import Console

    from engine.errors import DomainError, Violation

# Start-up cost (issue 19): `partyflow --help` must not load the engine, the storage layer or
# SQLAlchemy, so nothing here imports them at module level; each function imports what it uses
# (tests/unit/test_cli_import_cost.py keeps it so).

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_CONFLICT = 0, 1, 2, 3
# Violations that mean "reload and retry" rather than "change the request".
_CONFLICT_CODES = frozenset({"candidate.stale", "concurrent_modification"})
ACTOR_ENV = "PARTYFLOW_ACTOR"
CONFIG_ENV = "PARTYFLOW_CONFIG"  # the config file's path (default: config.json in the user config dir)
RECORDER_HELP = "录入人姓名（默认取环境变量 PARTYFLOW_ACTOR，再取 partyflow config set recorder 设定的姓名）"
MAX_RECORDER = 40  # characters: a name, perhaps with a title ("贺丰村党支部书记 王建国")
PREVIEW_RECORDER = "（预演，未指明录入人）"

DB_HELP = "数据库地址（默认取环境变量 PARTYFLOW_DATABASE_URL，否则为本机用户数据目录下的 SQLite 文件）"
JSON_HELP = "以 JSON 输出（UTF-8，格式见 docs/cli.md）"
# storage.db.ENV_URL, spelled out so that a command without --db need not load the storage layer
# to learn there is nothing to check (tests/unit/test_cli_import_cost.py checks they agree)
DATABASE_URL_ENV = "PARTYFLOW_DATABASE_URL"


def refuse(code: str, message: str) -> DomainError:
    """engine.errors.refuse, loading the engine only when a command refuses something."""
    from engine.errors import refuse as engine_refuse

    return engine_refuse(code, message)


def _violation(code: str, message: str) -> Violation:
    from engine.errors import Violation

    return Violation(code, message)


def config_path() -> Path:
    """$PARTYFLOW_CONFIG, else config.json in the user's config directory (platformdirs)."""
    override = os.environ.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("partyflow")) / "config.json"


def read_config() -> dict[str, Any]:
    """The saved settings ({} when there is no file); a file that is not ours is refused by name."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as e:
        reason = f"第 {e.lineno} 行第 {e.colno} 列格式有误"
    except UnicodeDecodeError:
        reason = "不是 UTF-8 编码的文字"
    except PermissionError:
        reason = "没有读取权限"
    except OSError:
        reason = "不是可读的文件"
    else:
        reason = None
    if reason:
        raise refuse("config.invalid", f"设置文件 {path} 无法读取（{reason}）：请修正或删除后用 "
                                       "partyflow config set 重新设置")
    if not isinstance(data, dict):
        raise refuse("config.invalid", f"设置文件 {path} 格式有误：请删除后用 partyflow config set 重新设置")
    return data


def write_config(data: dict[str, Any]) -> Path:
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        raise refuse("config.write", f"无法写入设置文件 {path}：{e.strerror or e}") from None
    return path


def check_recorder(name: str, where: str) -> str:
    """A recorder's name as the log keeps it: trimmed, one line, at most MAX_RECORDER characters,
    nothing hidden (engine/input_policy.py: the rule every name follows)."""
    from engine.input_policy import hidden_characters, shown

    name = name.strip()
    if len(name) > MAX_RECORDER:
        raise refuse("recorder.invalid", f"{where}：录入人姓名应为一行、不超过 {MAX_RECORDER} 个字，"
                                         f"收到“{shown(name, MAX_RECORDER)}”")
    if hidden_characters(name):
        raise refuse("recorder.invalid", f"{where}：录入人姓名应为一行文字，不能含换行、控制字符、零宽字符或方向控制符")
    return name


def recorder(by: str | None, preview: bool = False) -> str:
    """Who records this write: --by, else $PARTYFLOW_ACTOR, else the configured recorder.

    Never the operating-system login (a log full of "root" names nobody): a write with no
    recorder is refused before anything is written. A preview writes nothing, so it needs none.
    """
    # lazily, in order: an explicit --by or $PARTYFLOW_ACTOR wins without reading the config file,
    # so a broken file cannot block a write that names its recorder
    sources = ((lambda: by, lambda: "--by"), (lambda: os.environ.get(ACTOR_ENV), lambda: f"环境变量 {ACTOR_ENV}"),
               (lambda: read_config().get("recorder"), lambda: f"设置文件 {config_path()} 中的 recorder"))
    for name_of, where in sources:
        name = name_of()
        if isinstance(name, str) and name.strip():
            return check_recorder(name, where())
    if preview:
        return PREVIEW_RECORDER
    raise refuse("recorder.missing", "未指明录入人，本次未写入：请用 --by 写明录入人姓名（如 --by 张三），"
                                     f"或设置环境变量 {ACTOR_ENV}=张三，或运行 partyflow config set recorder 张三 保存为本机默认录入人")


def _console(stderr: bool = False) -> Console:
    """A console on the *current* stdout/stderr (test runners swap them per call).

    Output that is not a terminal gets a wide fixed width so Chinese tables are not squeezed.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if (stream.isatty() or os.environ.get("COLUMNS")) else 160
    return Console(file=stream, stderr=stderr, width=width, highlight=False, soft_wrap=False)


def _encodable(text: str) -> str:
    """Text UTF-8 can carry: a lone surrogate (undecodable bytes typed in a shell, echoed back in a
    refusal or read from an old record) becomes “?” instead of a UnicodeEncodeError traceback."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


SUPPORTED_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})
DB_KINDS = "SQLite（文件路径如 ./partyflow.db，或 sqlite:///路径）和 PostgreSQL（postgresql://用户@主机:端口/数据库）"


_OS_REASONS = {errno.ENAMETOOLONG: "文件名过长", errno.ENOENT: "文件或所在目录不存在", errno.EACCES: "没有读写权限",
               errno.EPERM: "没有读写权限", errno.EISDIR: "这是一个目录，不是文件", errno.ENOTDIR: "路径中有一段不是目录",
               errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读", errno.EEXIST: "文件已存在"}


def file_problem(exc: OSError) -> str:
    """A file the command could not read or write, in one Chinese line (never a traceback)."""
    from engine.input_policy import shown

    where = f" {shown(str(exc.filename), 80)}" if exc.filename else ""
    reason = _OS_REASONS.get(exc.errno) or exc.strerror or "操作系统拒绝"
    return f"无法读写文件{where}：{reason}，本次未完成；请检查路径后重试"


def check_database_address(db: str | None) -> None:
    """`--db` (else $PARTYFLOW_DATABASE_URL) names a database partyflow can open, before anything
    tries: `mysql://x` is one Chinese refusal naming the supported kinds, not the driver's
    ModuleNotFoundError. Not given at all: the default SQLite file, nothing to check."""
    text = db if db is not None else os.environ.get(DATABASE_URL_ENV)
    if text is None:
        return
    from engine.input_policy import shown
    from storage.db import database_url

    url = database_url(text)  # neither a URL nor a path: BadDatabaseAddress (one Chinese line)
    if url.drivername not in SUPPORTED_DRIVERS:
        where = shown(url.render_as_string(hide_password=True), 80)
        raise refuse("database.kind", f"数据库地址“{where}”无法使用（不支持的数据库类型 {shown(url.drivername, 40)}）："
                                     f"partyflow 支持 {DB_KINDS}")


def check_database_or_exit(db: str | None, json_output: bool) -> None:
    """`check_database_address` for the places outside a command's error handler (the root options)."""
    if db is None and os.environ.get(DATABASE_URL_ENV) is None:
        return  # the default SQLite file: nothing to check, nothing to load
    from engine.errors import DomainError
    from storage.errors import StorageError

    try:
        check_database_address(db)
    except DomainError as e:
        Run(json=json_output).fail(e.violations, EXIT_REFUSED)
    except StorageError as e:
        Run(json=json_output).fail([_violation("storage", str(e))], EXIT_REFUSED)


@dataclass
class Run:
    """One command invocation: options, the App (opened on first use) and the outputs."""

    db: str | None = None
    json: bool = False
    # only `init`, `demo` and `serve` (for `--demo`) make a database that is not there: anywhere
    # else a mistyped --db would silently create an empty one and report "not found"
    creates: bool = True
    _app: Any = field(default=None, repr=False)

    @property
    def app(self):
        if self._app is None:
            from services.app import App

            if not self.creates:
                _require_existing(self.db)
            self._app = App.open(self.db)
            start.started()  # the command's start is over (cli/start.py)
        return self._app

    @functools.cached_property
    def out(self) -> Console:
        return _console()

    @functools.cached_property
    def err(self) -> Console:
        return _console(stderr=True)

    def emit(self, data: Any) -> None:
        """One JSON document on stdout (ensure_ascii=False: Chinese stays readable)."""
        sys.stdout.write(_encodable(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")
        sys.stdout.flush()

    def show(self, data: Any, render: Callable[..., None], *args: Any) -> None:
        """The one output rule of every read command: `--json` emits `data`, else `render(run, data, *args)`."""
        if self.json:
            self.emit(data)
        else:
            render(self, data, *args)

    def line(self, text: str, style: str | None = None) -> None:
        """A line of human output that never wraps (one message = one line)."""
        self.out.print(_encodable(text), style=style, markup=False, soft_wrap=True)

    def warn(self, text: str) -> None:
        self.line(text, "yellow")

    def fail(self, violations: Iterable[Violation], code: int, error: str = "refused") -> None:
        """Report refusals and exit: one red line each, or {"ok": false, ...} with --json."""
        violations = list(violations)
        if self.json:
            self.emit({"ok": False, "error": error, "violations": [v.as_dict() for v in violations]})
        else:
            for v in violations:
                self.err.print(_encodable(v.message), style="bold red", markup=False, soft_wrap=True)
        raise typer.Exit(code)


def _handle(run: Run, exc: BaseException) -> None:
    from engine.errors import DomainError, Violation
    from storage.errors import ConcurrentModification, StorageError, TransactionAborted

    if isinstance(exc, DomainError):
        conflict = any(v.code in _CONFLICT_CODES for v in exc.violations)
        run.fail(exc.violations, EXIT_CONFLICT if conflict else EXIT_REFUSED, "conflict" if conflict else "refused")
    if isinstance(exc, ConcurrentModification):
        msg = f"候选人 {exc.candidate_id} 已被他人修改，本次操作未写入；请用 show 查看最新记录后重试"
        run.fail([Violation("concurrent_modification", msg)], EXIT_CONFLICT, "conflict")
    if isinstance(exc, TransactionAborted):
        run.fail([Violation("transaction_aborted", str(exc))], EXIT_CONFLICT, "conflict")
    if isinstance(exc, StorageError):
        run.fail([Violation("storage", str(exc))], EXIT_REFUSED)
    if _is_database_error(exc):
        from storage.db_errors import explain as explain_database_error

        logging.getLogger("partyflow.database").debug("database error: %s", exc)
        run.fail([Violation("database", f"未写入任何内容：{explain_database_error(exc)}")], EXIT_PROBLEMS, "database")
    raise exc


def _is_database_error(exc: BaseException) -> bool:
    """A SQLAlchemy error — without importing SQLAlchemy: if it is not loaded, none was raised."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def _is_ours(exc: BaseException) -> bool:
    """A refusal, a storage error or a database error: `_handle` turns it into Chinese lines."""
    errors, storage_errors = sys.modules.get("engine.errors"), sys.modules.get("storage.errors")
    return ((errors is not None and isinstance(exc, errors.DomainError))
            or (storage_errors is not None and isinstance(exc, storage_errors.StorageError))
            or _is_database_error(exc))


def _check_ints(ctx: typer.Context | None, kw: dict[str, Any]) -> None:
    """Integer options and arguments (ids, versions, counts) must fit the database's INTEGER:
    `show 99999999999999999999` is a refusal, not an overflow in the driver (SQLite) or an
    "out of range" database error (PostgreSQL)."""
    from engine.input_policy import MAX_INT

    for name, value in kw.items():
        if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INT <= value <= MAX_INT:
            label = name
            for p in getattr(getattr(ctx, "command", None), "params", ()):
                if p.name == name:
                    label = p.opts[0] if p.opts and p.opts[0].startswith("-") else (p.metavar or name)
            raise refuse("input.range", f"{label}：{value} 超出范围（最大 {MAX_INT}），请检查后重试")


def _ctx_param() -> inspect.Parameter:
    return inspect.Parameter("_pf_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)


def _global_params() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("_pf_db", kw, annotation=Optional[str],
                          default=typer.Option(None, "--db", help=DB_HELP, metavar="URL", show_default=False)),
        inspect.Parameter("_pf_json", kw, annotation=bool,
                          default=typer.Option(False, "--json", help=JSON_HELP)),
    ]


def _require_existing(db: str | None) -> None:
    """Refuse a SQLite file that does not exist (one Chinese line naming what to do)."""
    from storage.db import database_url, default_url

    url = database_url(db or default_url())
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        raise refuse("database.missing", f"数据库文件 {path} 不存在：请先运行 partyflow init（或 partyflow demo），"
                                         "或检查 --db / PARTYFLOW_DATABASE_URL")


def command(group: typer.Typer, name: str | None = None, *, creates_database: bool = False, **kwargs: Any) -> Callable:
    """Register `fn(run, ...)` as a command of `group` with `--db`/`--json` and the error handler.

    The options may also be given before the command name (`partyflow --json show 1`); the ones
    after it win. `creates_database`: the command may create a SQLite file that is not there
    (init, serve --demo); every other command refuses one.
    """

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = [p for n, p in sig.parameters.items() if n != "run"]

        @functools.wraps(fn)
        def wrapper(*args: Any, _pf_ctx: typer.Context, _pf_db: str | None = None, _pf_json: bool = False, **kw: Any):
            root = (_pf_ctx.find_root().obj or {}) if _pf_ctx is not None else {}
            run = Run(db=_pf_db or root.get("db"), json=_pf_json or bool(root.get("json")), creates=creates_database)
            try:
                check_database_address(run.db)
                _check_ints(_pf_ctx, kw)
                return fn(run, *args, **kw)
            except typer.Exit:
                raise
            except Exception as exc:  # noqa: BLE001 - sorted below, anything else propagates
                if _is_ours(exc):
                    _handle(run, exc)
                if isinstance(exc, OSError):  # a file the user named: too long a name, a missing folder, no permission
                    _handle(run, refuse("file.unusable", file_problem(exc)))
                if isinstance(exc, OverflowError):
                    # an id beyond the database's 64-bit integers (show 99999999999999999999): the
                    # driver overflows binding it; no record can have such a number
                    from engine.input_policy import MAX_ID

                    _handle(run, refuse("input.overflow", f"编号或数值过大（超出 {MAX_ID} 的上限），请检查后重试"))
                raise

        wrapper.__signature__ = sig.replace(parameters=[*params, _ctx_param(), *_global_params()])
        kwargs.setdefault("cls", ZhCommand)
        group.command(name, **kwargs)(wrapper)
        return fn

    return decorate


# ------------------------------------------------------------------ input parsing

# MAX_ID (the largest BIGINT id: outbox rows, events) and MAX_INT (the largest INTEGER: candidate,
# person and organisation ids, versions, counts) are the input policy's (engine/input_policy.py).


def parse_ids(text: str, what: str = "编号") -> list[int]:
    """Ids as users type them: `3,5,8` (Chinese commas too); Chinese refusal otherwise."""
    from engine.input_policy import MAX_ID

    ids = []
    for part in text.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not part.isascii():
            raise refuse("ids.invalid", f"{what}应为正整数（多个用逗号分隔），收到“{part}”")
        n = int(part)
        if not 0 < n <= MAX_ID:
            raise refuse("ids.range", f"{what}“{part}”超出范围")
        ids.append(n)
    if not ids:
        raise refuse("ids.missing", f"请填写{what}（多个用逗号分隔）")
    return ids


def parse_day(text: str, what: str = "日期") -> date:
    """A date as users type it (2018-03-10, 2018.3.10, 2018年3月10日); Chinese error otherwise."""
    from engine.evidence import parse_date

    try:
        return parse_date(text)
    except ValueError as e:
        raise refuse("date.invalid", f"{what}：{e}") from None


def parse_sets(items: Iterable[str] | None) -> dict[str, str]:
    """`--set key=value` pairs; the key is a field name or its Chinese label (the engine maps
    labels, engine/evidence.py by_field_name) and parses the values by the step's field types."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise refuse("set.invalid", f"--set 应写成 记录项=值（记录项写中文名称，如 --set 入党介绍人=201,202），收到“{item}”")
        out[key.strip()] = value.strip()
    return out

