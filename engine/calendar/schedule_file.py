"""Reading an administrator's holiday-schedule file for one year.

The State Council publishes next year's arrangement around November, before
``chinese_calendar`` ships it, so an administrator types it into a small YAML
file (see docs/calendar.md).  Mistakes here shift every 公示 deadline, so the
file is validated strictly and errors name the line, in Chinese.
"""

from __future__ import annotations

import os
import re
from datetime import date

import yaml

from .workdays import YearSchedule

__all__ = ["ScheduleFileError", "parse_year_schedule", "load_year_schedule"]

_KEYS = ("year", "source", "holidays", "workdays")
_RANGE_SEP = re.compile(r"\s*(?:~|～|至)\s*")
_WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class ScheduleFileError(ValueError):
    """An invalid schedule file; ``line`` is 1-based or None when not tied to a line."""

    def __init__(self, message: str, line: int | None = None, source: str = "") -> None:
        self.detail = message
        self.line = line
        self.source = source
        text = f"第 {line} 行：{message}" if line is not None else message
        if source:
            text = f"{source}：{text}"
        super().__init__(text)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _parse_date(text: str, line: int, source: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ScheduleFileError(
            f"无法识别的日期“{text}”，应写作 YYYY-MM-DD 或 YYYY-MM-DD ~ YYYY-MM-DD", line, source
        ) from None


def _parse_dates(key: str, node: yaml.Node | None, year: int, source: str) -> dict[date, int]:
    """Expand a list of dates and ranges into {date: line}."""
    result: dict[date, int] = {}
    if node is None:
        return result
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return result
    if not isinstance(node, yaml.SequenceNode):
        raise ScheduleFileError(f"{key} 应为日期列表（每行以“- ”开头）", _line(node), source)
    for item in node.value:
        line = _line(item)
        if not isinstance(item, yaml.ScalarNode):
            raise ScheduleFileError(f"{key} 的每一项应为一个日期或日期范围", line, source)
        text = str(item.value).strip()
        parts = _RANGE_SEP.split(text)
        if len(parts) == 1:
            first = last = _parse_date(parts[0], line, source)
        elif len(parts) == 2:
            first = _parse_date(parts[0], line, source)
            last = _parse_date(parts[1], line, source)
            if first > last:
                raise ScheduleFileError(
                    f"日期范围 {first.isoformat()} ~ {last.isoformat()} 的开始日期晚于结束日期",
                    line,
                    source,
                )
        else:
            raise ScheduleFileError(f"无法识别的日期范围“{text}”", line, source)
        for d in (first, last):
            if d.year != year:
                raise ScheduleFileError(f"日期 {d.isoformat()} 不属于 {year} 年", line, source)
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            result.setdefault(date.fromordinal(ordinal), line)
    return result


def parse_year_schedule(text: str, source: str = "") -> YearSchedule:
    """Parse and validate one year's schedule from YAML text.

    ``source`` names where the text came from (e.g. the file path); it prefixes
    error messages and is the schedule's ``source`` when the file has none.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "无法解析"
        raise ScheduleFileError(f"YAML 格式错误（{problem}）", line, source) from exc
    except yaml.YAMLError as exc:
        raise ScheduleFileError(f"YAML 格式错误（{exc}）", None, source) from exc

    if root is None:
        raise ScheduleFileError("文件为空，应包含 year 和 holidays", None, source)
    if not isinstance(root, yaml.MappingNode):
        raise ScheduleFileError(
            "文件顶层应为 year、source、holidays、workdays 等字段", _line(root), source
        )

    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in _KEYS:
            raise ScheduleFileError(
                f"未知字段“{key}”，只允许 {'、'.join(_KEYS)}", _line(key_node), source
            )
        if key in fields:
            raise ScheduleFileError(f"字段 {key} 重复出现", _line(key_node), source)
        fields[key] = value_node

    year_node = fields.get("year")
    if year_node is None:
        raise ScheduleFileError("缺少字段 year（年份）", None, source)
    year_text = str(year_node.value).strip() if isinstance(year_node, yaml.ScalarNode) else ""
    if not re.fullmatch(r"\d{4}", year_text) or year_text.startswith("0"):
        raise ScheduleFileError(f"年份“{year_text}”无效，应为四位数字，如 2027", _line(year_node), source)
    year = int(year_text)

    notice = ""
    source_node = fields.get("source")
    if source_node is not None:
        if not isinstance(source_node, yaml.ScalarNode):
            raise ScheduleFileError("source 应为一行文字（通知名称）", _line(source_node), source)
        if source_node.tag != "tag:yaml.org,2002:null":
            notice = str(source_node.value).strip()

    if "holidays" not in fields:
        raise ScheduleFileError("缺少字段 holidays（放假日期）", None, source)
    holidays = _parse_dates("holidays", fields["holidays"], year, source)
    if not holidays:
        raise ScheduleFileError("holidays 不能为空：每年至少有元旦等法定假日", _line(fields["holidays"]), source)
    workdays = _parse_dates("workdays", fields.get("workdays"), year, source)

    for d, line in sorted(workdays.items()):
        if d in holidays:
            raise ScheduleFileError(
                f"日期 {d.isoformat()} 同时出现在 holidays（第 {holidays[d]} 行）和 workdays 中",
                line,
                source,
            )
        if d.weekday() < 5:
            raise ScheduleFileError(
                f"调休上班日 {d.isoformat()} 是{_WEEKDAY_NAMES[d.weekday()]}，应为周六或周日",
                line,
                source,
            )

    return YearSchedule(
        year=year,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        source=notice or source,
    )


def load_year_schedule(path: str | os.PathLike[str]) -> YearSchedule:
    """Read and validate a schedule file (UTF-8, a BOM from Windows editors is fine)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8-sig") as fh:
            text = fh.read()
    except OSError as exc:
        raise ScheduleFileError(f"无法读取文件（{exc.strerror or exc}）", None, name) from exc
    except UnicodeDecodeError as exc:
        raise ScheduleFileError("文件不是 UTF-8 编码", None, name) from exc
    return parse_year_schedule(text, source=name)
