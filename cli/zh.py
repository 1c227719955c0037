"""Chinese for what typer/click print themselves: help panel titles, the help option, usage errors.

Why: the users are township and village clerks; an English "Missing option '--date'" is as opaque
to them as a traceback. The library has no translation hook, so this module (a) sets typer's
panel-title constants, (b) gives the help option a Chinese text, and (c) renders usage errors in
Chinese from the exception's data (exit code unchanged: 2).
"""
from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, Callable, Iterator

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer ≥ 0.26 vendors click
    from typer._click import exceptions as _exc
    from typer.exceptions import Abort
except ImportError:  # pragma: no cover - older typer with a separate click
    from click import exceptions as _exc  # type: ignore[no-redef]
    from click.exceptions import Abort  # type: ignore[no-redef]

HELP_TEXT = "显示本帮助并退出"

# typer's rich help texts, set when help is first rendered: importing typer.rich_utils (rich's
# markdown, traceback and pretty printers) costs more than the rest of the CLI's start, and only
# help and typer's own error panels read these.
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "REQUIRED_LONG_STRING": "[必填]",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "DEPRECATED_STRING": "（已弃用）",
    "RICH_HELP": "可运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}


def chinese_rich_texts() -> None:
    """Put the Chinese texts into typer.rich_utils (importing it); idempotent."""
    from typer import rich_utils

    for name, text in _RICH_TEXTS.items():
        setattr(rich_utils, name, text)

_VALUE_PATTERNS = [
    (re.compile(r"^'?(.*?)'? is not a valid integer\.?$"), "“{0}”不是整数"),
    (re.compile(r"^Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"^Input should be a valid number.*$"), "应为数字"),
    (re.compile(r"^Input should be a valid boolean.*$"), "应为 是/否"),
    (re.compile(r"^'?(.*?)'? is not a valid float\.?$"), "“{0}”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), "“{0}”应为 是/否"),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.?$"), "“{0}”不是可选值之一：{1}"),
    (re.compile(r"^Path '?(.*?)'? does not exist\.?$"), "路径“{0}”不存在"),
    (re.compile(r"^File '?(.*?)'? does not exist\.?$"), "文件“{0}”不存在"),
]


def _value_message(text: str) -> str:
    for pattern, zh in _VALUE_PATTERNS:
        m = pattern.match(text.strip())
        if m:
            return zh.format(*m.groups())
    return text


def _hint(e: Any) -> str:
    if getattr(e, "param_hint", None):
        hint = e.param_hint
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if getattr(e, "param", None) is not None:
        try:
            return e.param.get_error_hint(e.ctx)
        except TypeError:  # signature differs between versions
            return e.param.get_error_hint()
    return ""


def message(e: Exception) -> str:
    """A usage error in Chinese (falls back to the library's text for anything unforeseen)."""
    if isinstance(e, _exc.MissingParameter):
        kind = {"option": "选项", "argument": "参数", "parameter": "参数"}.get(
            e.param_type or getattr(e.param, "param_type_name", ""), "参数")
        return f"缺少{kind} {_hint(e)}".rstrip()
    if isinstance(e, _exc.NoSuchOption):
        text = f"没有选项 {e.option_name}"
        if e.possibilities:
            text += f"（是否要用：{'、'.join(sorted(e.possibilities))}）"
        return text
    if isinstance(e, _exc.BadParameter):
        hint = _hint(e)
        return f"{hint} 的值无效：{_value_message(e.message)}" if hint else f"值无效：{_value_message(e.message)}"
    text = e.format_message() if hasattr(e, "format_message") else str(e)
    m = re.match(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", text)
    if m:
        return f"多余的参数：{m.group(1)}"
    m = re.match(r"^No such command '(.*?)'\.?(?: Did you mean ('.*')\?)?$", text)
    if m:
        like = "、".join(re.findall(r"'([^']*)'", m.group(2) or ""))  # typer's suggestions: 'a', 'b'
        return f"没有命令“{m.group(1)}”" + (f"（是否要用：{like}）" if like else "")
    m = re.match(r"^Option '(.*)' requires an argument\.?$", text)
    if m:
        return f"选项 {m.group(1)} 需要一个值"
    return text


def _show(e: Exception) -> None:
    ctx = getattr(e, "ctx", None)
    out = sys.stderr
    if ctx is not None:
        usage = ctx.get_usage().replace("Usage: ", "用法：").replace("Usage:", "用法：").replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        out.write(usage.rstrip() + "\n")
        names = ctx.help_option_names or ["--help"]
        out.write(f"可运行 '{ctx.command_path} {names[-1] if len(names) > 1 else names[0]}' 查看帮助。\n")
    out.write(f"错误：{message(e)}\n")
    out.flush()


# ---------------------------------------------------------------- value coercion without pydantic
#
# typer ≥ 0.29 converts every option's value through a pydantic TypeAdapter built on first use:
# a command with one `int` argument loads pydantic and its plugin machinery (~0.1 s, more than
# the rest of the CLI's own start). The CLI's parameters are nearly all plain str / int / bool /
# list[str]; for those, the values a shell passes convert here exactly as pydantic converts them
# (a str is kept, a digit string becomes its int, a list of str is that list). Anything else — a
# Path, a float, a value pydantic would refuse or read otherwise ("+5", " 5", "1_000", "x") —
# goes to typer's own pydantic coercion, built on first need, so the results and the error
# messages are typer's (tests/unit/test_cli_import_cost.py compares both on such values).

_INT_TEXT = re.compile(r"-?[0-9]{1,4000}")

try:  # the private seam of typer ≥ 0.29; without it (another typer) typer's own coercion stays
    from dataclasses import dataclass as _dataclass

    from typer._coercion import RuntimeParam as _RuntimeParam, build_runtime_param as _build_runtime_param
    from typer._typing import get_args as _get_args, get_origin as _get_origin
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - depends on the installed typer
    _RuntimeParam = None

if _RuntimeParam is not None and hasattr(_TyperParameter, "get_runtime_param"):

    @_dataclass(frozen=True)
    class _PlainRuntimeParam(_RuntimeParam):  # type: ignore[misc, valid-type]
        """str, int, bool or list[str], converted without pydantic when the value is plain."""

        kind: str = "str"

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind, t = self.kind, type(value)
            if kind == "str" and t is str:
                return value
            if kind == "int" and (t is int or (t is str and _INT_TEXT.fullmatch(value))):
                return int(value)
            if kind == "bool" and t is bool:
                return value
            if kind == "list" and t in (list, tuple) and all(type(v) is str for v in value):
                return list(value)
            # typer's own coercion, from now on for this parameter
            param._runtime_param = _build_runtime_param(param.type_descriptor)
            return param._runtime_param._coerce_value(value, param=param, ctx=ctx)

    def _plain_kind(descriptor: Any) -> str | None:
        info, annotation = descriptor.parameter_info, descriptor.annotation
        if descriptor.file_annotation is not None or info.parser is not None:
            return None
        if annotation is str:
            return "str"
        if annotation is int and info.min is None and info.max is None and not info.clamp:
            return "int"
        if annotation is bool:
            return "bool"
        if _get_origin(annotation) is list and _get_args(annotation) == (str,):
            return "list"
        return None

    def plain_coercion(params: Any) -> None:
        """Give each plain parameter of a command the coercion above (before its values are read)."""
        for p in params:
            if isinstance(p, _TyperParameter) and getattr(p, "_runtime_param", False) is None:
                kind = _plain_kind(p.type_descriptor)
                if kind is not None:
                    p._runtime_param = _PlainRuntimeParam(
                        parameter_info=p.type_descriptor.parameter_info, annotation=p.type_descriptor.annotation, kind=kind)
else:  # pragma: no cover - depends on the installed typer

    def plain_coercion(params: Any) -> None:
        pass


class _HelpInChinese:
    def format_help(self, ctx, formatter):  # noqa: D401 - click API
        chinese_rich_texts()
        return super().format_help(ctx, formatter)  # type: ignore[misc]

    def parse_args(self, ctx, args):  # noqa: D401 - click API
        plain_coercion(self.get_params(ctx))
        return super().parse_args(ctx, args)  # type: ignore[misc]

    def get_help_option(self, ctx):  # noqa: D401 - click API
        opt = super().get_help_option(ctx)  # type: ignore[misc]
        if opt is not None:
            opt.help = HELP_TEXT
        return opt


class ZhCommand(_HelpInChinese, TyperCommand):
    """A command whose help option reads in Chinese."""


class ZhGroup(_HelpInChinese, TyperGroup):
    """The root group: runs the CLI and prints usage errors in Chinese (exit code 2 as usual)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except Abort:
            sys.stderr.write("已中止。\n")
            sys.exit(1)
        except _exc.ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":
                if e.message.strip():  # plain (non-rich) help comes back as the message
                    sys.stderr.write(e.message.rstrip() + "\n")
            else:
                _show(e)
            sys.exit(e.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


# ---------------------------------------------------------------- the command being run, built alone
#
# typer turns every registered function into a click command (inspecting its signature and every
# option) before it looks at the command line: ~70 commands, for the one that runs. `ZhTyper`
# builds the root group with its own options and a table of the commands that typer builds on
# first look-up (click's lazy subcommands, with typer doing each build); help and the
# "no such command" suggestions read the names, listing them builds them all.


class LazyCommands(MutableMapping):
    """Command name -> click command, made by its builder when first looked up; listing them
    (help) builds the ones not made yet in one go (`build_all`: name -> command)."""

    def __init__(self, builders: dict[str, Callable[[], Any]], build_all: Callable[[], Mapping[str, Any]]) -> None:
        self._builders = builders
        self._build_all = build_all
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._builders[name]()  # KeyError: no such command
        return self._built[name]

    def _all(self) -> dict[str, Any]:
        if len(self._built) < len(self._builders):
            every = self._build_all()
            self._built = {name: self._built.get(name) or every[name] for name in self._builders}
        return {name: self._built[name] for name in self._builders}

    def values(self):  # type: ignore[override]
        return self._all().values()

    def items(self):  # type: ignore[override]
        return self._all().items()

    def __setitem__(self, name: str, command: Any) -> None:
        self._builders.setdefault(name, lambda: command)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._builders[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders


def _with(app: typer.Typer, commands: list, groups: list) -> typer.Typer:
    clone = copy.copy(app)
    clone.registered_commands, clone.registered_groups = commands, groups
    return clone


def _built(app: typer.Typer, commands: list, groups: list, name: str) -> Any:
    return typer.main.get_group(_with(app, commands, groups)).commands[name]


def lazy_group(app: typer.Typer) -> Any:
    """The click group typer makes of `app`, its commands built on first look-up (None: typer
    would merge a group without a name into the root; then build the whole group)."""
    builders: dict[str, Callable[[], Any]] = {}
    for info in app.registered_commands:  # in typer's order: the commands, then the groups
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        builders[name] = lambda info=info, name=name: _built(app, [info], [], name)
    for info in app.registered_groups:
        name = typer.main.solve_typer_info_defaults(info).name
        if not name:
            return None
        builders[name] = lambda info=info, name=name: _built(app, [], [info], name)
    group = typer.main.get_command(_with(app, [], []))
    if not isinstance(group, TyperGroup):
        return None
    group.commands = LazyCommands(builders, lambda: typer.main.get_group(app).commands)
    return group


class ZhTyper(typer.Typer):
    """The root application: runs as `typer.Typer` does, building only the command that runs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        main = typer.main
        hook, attr = getattr(main, "except_hook", None), getattr(main, "_typer_developer_exception_attr_name", None)
        config = getattr(typer.models, "DeveloperExceptionConfig", None)
        group = lazy_group(self) if hook and attr and config else None
        if group is None:  # pragma: no cover - another typer, or a nameless group
            return super().__call__(*args, **kwargs)
        if sys.excepthook != hook:
            sys.excepthook = hook
        try:
            return group(*args, **kwargs)
        except Exception as e:  # as typer.Typer.__call__: its hook shows the developer's error
            setattr(e, attr, config(pretty_exceptions_enable=self.pretty_exceptions_enable,
                                    pretty_exceptions_show_locals=self.pretty_exceptions_show_locals,
                                    pretty_exceptions_short=self.pretty_exceptions_short))
            raise e
