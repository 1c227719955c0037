"""Chinese for what typer/click print themselves: help panel titles, the help option, usage errors.

Why: the users are township and village clerks; an English "Missing option '--date'" is as opaque
to them as a traceback. The library has no translation hook, so this module (a) sets typer's
panel-title constants, (b) gives the help option a Chinese text, and (c) renders usage errors in
Chinese from the exception's data (exit code unchanged: 2).
"""
from __future__ import annotations

import re
import sys
from typing import Any

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
    m = re.match(r"^No such command '(.*)'\.?$", text)
    if m:
        return f"没有命令“{m.group(1)}”"
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


class _HelpInChinese:
    def format_help(self, ctx, formatter):  # noqa: D401 - click API
        chinese_rich_texts()
        return super().format_help(ctx, formatter)  # type: ignore[misc]

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
