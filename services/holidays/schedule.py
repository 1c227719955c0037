"""A year's official holiday schedule: list, preview, load.

The preview answers before anything is stored: the holidays as date ranges and the make-up
working days (调休上班), by date in Chinese; each day of the year whose status changes against the
calendar in force (a loaded year, the chinese-calendar package, or Mon–Fri while the year is
unknown); and the due dates of open candidates that loading moves — the deadlines now counted on
a provisional calendar, recomputed with the new one exactly as the load recomputes them (deadlines
already firm stay as stored until the candidate's next event or `verify`, docs/calendar.md).
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.calendar import ScheduleFileError, WorkdayCalendar, YearSchedule, parse_year_schedule
from engine.errors import refuse
from services.app import App
from services.imports.flow import beijing
from storage.tables import holiday_year

# The file's keys in Chinese (年份/来源/放假/调休上班), as the page's example shows them; the reader
# (engine/calendar/schedule_file.py) knows the English ones, which are accepted as well.
KEYS_ZH = {"year": "年份", "source": "来源", "holidays": "放假", "workdays": "调休上班"}
_ZH_KEY = re.compile(r"^(\s*)(年份|来源|放假日期|放假|调休上班日期|调休上班)\s*[:：]", re.M)
_EN_KEY = re.compile(r"(?<![A-Za-z])(year|source|holidays|workdays)(?![A-Za-z])")
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
MAX_TEXT = 20_000  # characters of YAML (a year's schedule is well under 2,000)
LIST_LIMIT = 200


def day_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def _ranges(days) -> list[tuple[date, date]]:
    out: list[list[date]] = []
    for d in sorted(days):
        if out and d - out[-1][1] == timedelta(days=1):
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def _range_label(a: date, b: date) -> str:
    if a == b:
        return day_label(a)
    end = f"{b.month}月{b.day}日（{WEEKDAYS[b.weekday()]}）"
    return f"{day_label(a)}至{end}，共 {(b - a).days + 1} 天"


def loaded_years(app: App) -> list[dict[str, Any]]:
    """The years an administrator loaded, newest first: {year, holidays, workdays, source, loaded_at}."""
    h = holiday_year.c
    with app.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(h.year, h.body, h.loaded_at).order_by(h.year.desc())).all()
    return [{"year": r.year, "holidays": len(r.body.get("holidays", [])), "workdays": len(r.body.get("workdays", [])),
             "source": r.body.get("source", ""), "loaded_at": beijing(r.loaded_at)} for r in rows]


def _parse(text: str, name: str) -> YearSchedule:
    text = (text or "").lstrip("\ufeff")
    if not text.strip():
        raise refuse("holidays.empty", "请粘贴或上传节假日安排（格式见示例）")
    if len(text) > MAX_TEXT:
        raise refuse("holidays.size", f"内容过长（{len(text)} 字），一年的节假日安排不超过 {MAX_TEXT} 字")
    text = _ZH_KEY.sub(lambda m: m[1] + {"年份": "year", "来源": "source", "放假日期": "holidays", "放假": "holidays",
                                         "调休上班日期": "workdays", "调休上班": "workdays"}[m[2]] + ": ", text)
    try:
        return parse_year_schedule(text, source=name)
    except ScheduleFileError as e:
        raise refuse("holidays.file", _chinese(str(e))) from None


def _chinese(message: str) -> str:
    """The reader's message with the file's keys in Chinese and no parser English."""
    message = re.sub(r"YAML 格式错误（.*）", "格式有误：请检查冒号、缩进和每行开头的“- ”", message, flags=re.S)
    message = message.replace("YYYY-MM-DD ~ YYYY-MM-DD", "2027-10-01 ~ 2027-10-07").replace("YYYY-MM-DD", "2027-10-01")
    return _EN_KEY.sub(lambda m: KEYS_ZH[m[1]], message)


def example_zh(text: str) -> str:
    """An English-keyed schedule file shown with the Chinese keys (comment lines dropped)."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return re.sub(r"^(year|source|holidays|workdays):", lambda m: KEYS_ZH[m[1]] + ":", "\n".join(lines), flags=re.M)


def _schedules(uow, but: int | None = None) -> list[YearSchedule]:
    return [YearSchedule(year=int(y), holidays=frozenset(date.fromisoformat(d) for d in body.get("holidays", [])),
                         workdays=frozenset(date.fromisoformat(d) for d in body.get("workdays", [])),
                         source=body.get("source", ""))
            for y, body in uow.holidays.all().items() if int(y) != but]


def _status(cal: WorkdayCalendar, d: date) -> str:
    working, provisional = cal.is_working_day(d)
    if provisional:
        return "按周一至周五暂定" + ("（工作日）" if working else "（休息日）")
    return "工作日" if working else "休息日"


def _moved(app: App, uow, new_cal: WorkdayCalendar) -> list[dict[str, Any]]:
    """Deadlines of candidates counted on a provisional calendar that the new one changes."""
    from engine import CandidateState, deadlines, process_for

    out = []
    for cid in uow.deadlines.provisional_candidates():
        row = uow.candidates.get(cid)
        state = CandidateState.from_dict(row.state)
        defn = app.definition(state.definition_key)
        stored = {(d.step, d.kind): d for d in uow.deadlines.list_for(cid)}
        person = uow.people.get(row.person_id)
        branch = uow.orgs.get(state.branch_id)
        for d in deadlines(process_for(defn), state, new_cal):
            old = stored.get((d.step, d.kind))
            if old is None or (old.due_on == d.due_on and old.provisional == d.provisional):
                continue
            out.append({"candidate_id": cid, "name": person.name if person else "", "branch": branch.name if branch else "",
                        "step": defn.step(d.step).name if defn.has_step(d.step) else "",
                        "kind": {"due": "最迟", "earliest": "最早", "recurring": "下次"}.get(d.kind, ""),
                        "before": day_label(old.due_on) + ("（暂定）" if old.provisional else ""),
                        "after": day_label(d.due_on) + ("（暂定）" if d.provisional else "")})
    return out


def preview_schedule(app: App, text: str, name: str = "") -> dict[str, Any]:
    """What loading `text` would do (nothing is written)."""
    schedule = _parse(text, name)
    year = schedule.year
    with app.uow(read_only=True) as uow:
        current_body = uow.holidays.get(year)
        others = _schedules(uow, but=year)
        current = WorkdayCalendar(_schedules(uow))
        new = WorkdayCalendar([*others, schedule])
        moved = _moved(app, uow, new)
    changes = []
    d = date(year, 1, 1)
    while d.year == year:
        before, after = _status(current, d), _status(new, d)
        if before != after:
            changes.append({"day": day_label(d), "before": before, "after": after})
        d += timedelta(days=1)
    return {
        "year": year, "source": schedule.source, "replaces": current_body is not None,
        "previous_source": (current_body or {}).get("source", ""),
        "known_before": current.known_year(year) and current_body is None,
        "holidays": [_range_label(a, b) for a, b in _ranges(schedule.holidays)],
        "workdays": [day_label(w) for w in sorted(schedule.workdays)],
        "holiday_days": len(schedule.holidays), "workday_days": len(schedule.workdays),
        "changes": changes[:LIST_LIMIT], "change_count": len(changes),
        "moved": moved[:LIST_LIMIT], "moved_count": len(moved),
    }


def load_schedule(app: App, text: str, name: str = "") -> dict[str, Any]:
    """Store the year (replacing a loaded one) and recompute the provisional deadlines in the
    same transaction, as `partyflow holidays load` does. Returns {year, holidays, workdays,
    source, recomputed}."""
    from services.organisation.directory import _recompute_provisional

    schedule = _parse(text, name)
    body = {"holidays": sorted(d.isoformat() for d in schedule.holidays),
            "workdays": sorted(d.isoformat() for d in schedule.workdays), "source": schedule.source}
    try:
        with app.uow() as uow:
            uow.holidays.put(schedule.year, body, app.now())
            recomputed = _recompute_provisional(app, uow)
    finally:
        app.forget_calendar()
    return {"year": schedule.year, "holidays": len(body["holidays"]), "workdays": len(body["workdays"]),
            "source": schedule.source, "recomputed": recomputed}
