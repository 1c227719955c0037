"""Notification text from Jinja2 templates, overridable per deployment.

A template renders the subject on its first non-blank line and the body after it. Deployments
put same-named files in an override directory (constructor or PARTYFLOW_TEMPLATE_DIR) to change
wording without touching code; `{% extends "builtin/<name>.j2" %}` reuses a built-in one and
replaces only the blocks it names.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
)

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
KINDS = ("reminder", "overdue", "escalation", "digest", "report")
# Digest sections in reading order: act now, act soon, township already watching.
SECTIONS = (
    ("overdue", "已逾期"),
    ("reminder", "即将到期"),
    ("escalation", "已升级至乡镇党委督办"),
)
WEEKDAYS = "一二三四五六日"
PROVISIONAL_NOTE = "（日期暂按周一至周五推算，该年节假日安排公布后可能变动）"


class Renderer:
    def __init__(self, override_dirs: Sequence[Path] = (), *, env: Mapping[str, str] | None = None):
        env = os.environ if env is None else env
        dirs = [Path(d) for d in override_dirs]
        dirs += [Path(p) for p in env.get("PARTYFLOW_TEMPLATE_DIR", "").split(os.pathsep) if p.strip()]
        missing = [str(d) for d in dirs if not d.is_dir()]
        if missing:
            # a typo would otherwise fall back to the built-ins without anyone noticing
            raise FileNotFoundError(f"通知模板目录不存在：{'、'.join(missing)}")
        self.override_dirs = tuple(dirs)
        self.environment = Environment(
            loader=ChoiceLoader([
                PrefixLoader({"builtin": FileSystemLoader(BUILTIN_DIR)}),
                FileSystemLoader([*dirs, BUILTIN_DIR]),
            ]),
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(
            iso=iso_date, zh_date=zh_date, weekday=weekday, days_text=days_text, salutation=salutation,
            due_day=due_day,
        )
        self.environment.globals["PROVISIONAL_NOTE"] = PROVISIONAL_NOTE

    def render(self, kind: str, **context: Any) -> tuple[str, str]:
        """(subject, body). Single kinds take item=..., the digest takes items=[...]."""
        if kind == "digest":
            context = {**context, **digest_context(context["items"])}
        text = self.environment.get_template(f"{kind}.j2").render(**context)
        return split_subject(text)


def digest_context(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Sections, counts and totals, computed once here so override templates need no logic."""
    known = {kind for kind, _ in SECTIONS}
    for item in items:
        if item["kind"] not in known:
            raise ValueError(f"摘要中的事项类型未知：{item['kind']!r}")
    sections = []
    counts = {kind: 0 for kind, _ in SECTIONS}
    for kind, title in SECTIONS:
        chosen = sorted(
            (item for item in items if item["kind"] == kind),
            key=lambda i: (as_date(i["due_on"]), str(i["branch"]), str(i["candidate_name"]), i["step_number"]),
        )
        counts[kind] = len(chosen)
        if chosen:
            sections.append({"kind": kind, "title": title, "items": chosen})
    return {
        "sections": sections,
        "counts": counts,
        "total": len(items),
        "multi_branch": len({item["branch"] for item in items}) > 1,
    }


def split_subject(text: str) -> tuple[str, str]:
    """First non-blank line is the subject; the rest, with blank-line runs collapsed, the body."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        raise ValueError("通知模板渲染结果为空：第一行应为主题")
    subject = lines[0].strip()
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines[1:])).strip("\n")
    return subject, body


def as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def iso_date(value: date | datetime | str) -> str:
    return as_date(value).isoformat()


def zh_date(value: date | datetime | str) -> str:
    d = as_date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def weekday(value: date | datetime | str) -> str:
    return "周" + WEEKDAYS[as_date(value).weekday()]


def due_day(item: Mapping[str, Any]) -> str:
    """Inside the parenthesis after a due date: the weekday, 含当日 (the due day itself is allowed)
    and `due_note` when the scan gave one (engine.calendar.day_note), without saying 周六 twice:
    "周三，含当日", "周六休息日，含当日", "周四，含当日，元旦假期", "周一，含当日；2027 年节假日安排尚未载入"."""
    day = weekday(item["due_on"])
    note = item.get("due_note") or ""
    rest, _, tail = note.partition("；")
    if rest.endswith("尚未载入"):
        rest, tail = "", rest
    first, others = (rest, "") if rest.startswith(day) else (day, f"，{rest}" if rest else "")
    return f"{first}，含当日{others}" + (f"；{tail}" if tail else "")


_ROLE_ENDINGS = ("同志", "书记", "委员", "主任", "部长", "干事")


def salutation(name: str) -> str:
    """"王建国" → "王建国同志"; a role or placeholder ("贺丰村党支部书记（未登记联系人）") stays as is."""
    name = str(name).strip()
    personal = 2 <= len(name) <= 8 and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in name)
    return f"{name}同志" if personal and not name.endswith(_ROLE_ENDINGS) else name


def days_text(item: Mapping[str, Any]) -> str:
    """"还有 7 天到期" / "明天到期" / "今天到期" / "已逾期 3 天".

    `days` is the distance to due_on: days left for a reminder, days past for overdue and
    escalation (either sign is accepted there; a reminder with negative days is overdue).
    """
    days = int(item["days"])
    if item["kind"] == "reminder" and days >= 0:
        return {0: "今天到期", 1: "明天到期"}.get(days, f"还有 {days} 天到期")
    days = abs(days)
    return "今天到期" if days == 0 else f"已逾期 {days} 天"
