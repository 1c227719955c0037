"""Human output: the services' dicts as short Chinese text and rich tables (no rules here).

Everything rendered comes from the documented dicts (services.casework.queries, CommandResult.as_dict), so
what a person reads and what `--json` prints can never disagree.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from rich.table import Table
from rich.text import Text

from cli.options import Run

if TYPE_CHECKING:
    from engine.calendar import WorkdayCalendar

# The engine and the services are imported where a render needs them, not here: cli.main imports
# this module, and `partyflow --help` must start without them (issue 19).

PREVIEW_BANNER = "【预演，未写入】"
PROVISIONAL = "（暂按周一至周五推算）"


def _date(rd: Mapping[str, Any] | None) -> str:
    """A computed date with its provisional mark (a year whose holidays are not published yet)."""
    if not rd:
        return "—"
    return rd["date"] + (PROVISIONAL if rd.get("provisional") else "")


def _due(cal: WorkdayCalendar, day: str, provisional: bool = False) -> str:
    """A due date as it is meant: inclusive, with its day's holiday or unloaded-year note
    ("2027-01-01（含当日，元旦；2027 年节假日安排尚未载入）"). The date itself never moves."""
    from engine.calendar import due_note

    return day + due_note(date.fromisoformat(day), cal, provisional)


def _cite(*rds: Mapping[str, Any] | None, fallback: str = "") -> str:
    seen: list[str] = []
    for rd in rds:
        if rd and rd.get("citation") and rd["citation"] not in seen:
            seen.append(rd["citation"])
    return "、".join(seen) or fallback


def _table(*columns: str, title: str | None = None) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def _t(value: Any) -> Text:
    """User data as plain text (a "[" in a note must not be read as rich markup)."""
    return Text("" if value is None else str(value))


def next_steps_table(steps: Iterable[Mapping[str, Any]], cal: WorkdayCalendar, title: str = "下一步") -> Table | None:
    steps = list(steps)
    if not steps:
        return None
    t = _table("步骤", "最早可办理日期", "最迟办理日期", "依据条款", title=title)
    for s in steps:
        due = s.get("due") or s.get("recurring")
        hard = f"（特殊情况最迟 {s['hard_due']}）" if s.get("hard_due") and s.get("due") and s["hard_due"] != s["due"]["date"] else ""
        waiting = s.get("waiting_for_names") or s.get("waiting_for") or []
        t.add_row(
            _t(f"{s['number']}. {s['name']}"),
            _t(f"待完成：{'、'.join(waiting)}" if waiting else _date(s.get("earliest")) if s.get("earliest") else "随时"),
            _t(_due(cal, due["date"], bool(due.get("provisional"))) + hard if due else "—"),
            _t(_cite(s.get("earliest"), due, fallback=s.get("citation", ""))),
        )
    return t


def command_result(run: Run, view: Mapping[str, Any], done: str) -> None:
    """After a write (or its preview): what happened, the stage, warnings, what comes next."""
    if view.get("preview"):
        run.line(PREVIEW_BANNER + "以下为若执行将产生的结果，数据库未作任何修改", "bold cyan")
    run.line(done)
    before, after = view.get("stage_before_name"), view.get("stage_name") or view.get("stage")
    if view.get("stage_before") != view.get("stage") and before and before != "未登记":
        run.line(f"阶段：{before} → {after}", "bold")
    else:
        run.line(f"当前阶段：{after}", "bold")
    for w in view.get("warnings") or []:
        run.warn(w)
    if view.get("version") is not None and not view.get("preview"):
        run.line(f"记录版本：{view['version']}（并发修改时可用 --expect-version 核对）", "dim")
    table = next_steps_table(view.get("next_steps") or [], run.app.calendar)
    if table is not None:
        run.out.print(table)
    elif view.get("stage") not in (None, "full_member"):
        run.line("没有待办步骤。")


def show(run: Run, data: Mapping[str, Any]) -> None:
    p, c = data["person"], data["candidate"]
    branch = c.get("branch") or {}
    run.line(f"{p['name']}（候选人 {c['id']}，{p['gender']}，{p['birth_date']} 生，{p['ethnicity']}）", "bold")
    run.line(f"党支部：{branch.get('name', '')}（{branch.get('code', '')}）  阶段：{c['stage_name']}  "
             f"申请日期：{c['applied_on']}  版本：{c['version']}")
    run.line(f"适用流程：{c['definition_title']}")
    extra = []
    if c.get("probation_end"):
        extra.append(f"预备期满：{c['probation_end']}" + (f"（已延长 {c['extension_months']} 个月）" if c.get("extension_months") else ""))
    if c.get("pending_resolution"):
        extra.append(f"待审批：{c['pending_resolution']['text']}")
    if c.get("ended_on"):
        extra.append(f"结束日期：{c['ended_on']}")
    if p.get("tags"):
        extra.append("标签：" + "、".join(p["tags"]))
    if extra:
        run.line("  ".join(extra))

    t = _table("序号", "日期", "事项", "办理人", "记录内容", "标记", title="办理记录")
    for e in data["timeline"]:
        marks = []
        if e.get("late"):
            marks.append("逾期")
        if e["status"] not in ("corrected", "voided"):
            if e.get("provisional"):
                marks.append("临时结果（节假日安排未载入）")
            if e.get("compliance"):
                marks.append("公示期不足（按正式节假日安排）")
        if e["status"] == "corrected":
            marks.append("已更正（见 " + "、".join(str(s) for s in e["corrected_by"]) + "）")
        elif e["status"] == "voided":
            marks.append(f"已作废（见 {e['voided_by']}）")
        elif e["kind"] == "correct":
            marks.append(f"更正第 {e['supersedes']} 条")
        elif e["kind"] == "void":
            marks.append(f"作废第 {e['supersedes']} 条")
        what = f"{e['number']}. {e['step_name']}" if e.get("number") else (e.get("step_name") or "")
        if e["kind"] != "step":
            if not what.startswith(e["kind_name"] + "："):  # 报送/退回 rows already say what they are
                what = e["kind_name"] + (f"：{what}" if what else "")
        detail = e.get("evidence_summary") or ""
        if e.get("reason"):
            detail = (detail + "；" if detail else "") + f"原因：{e['reason']}"
        style = "dim" if e["status"] in ("corrected", "voided") else ("yellow" if e.get("late") else None)
        t.add_row(_t(e["seq"]), _t(e["occurred_on"]), _t(what), _t(e["actor"]), _t(detail), _t("；".join(marks)), style=style)
    run.out.print(t)

    if data.get("late"):
        run.warn("逾期办理：" + "；".join(f"{x['step_name']}（最迟应于 {x['due_on']}（含当日）完成）" for x in data["late"]))
    table = next_steps_table(data.get("next_steps") or [], run.app.calendar)
    if table is not None:
        run.out.print(table)
    else:
        run.line("没有待办步骤。")


def candidates_by_stage(run: Run, items: list[Mapping[str, Any]], stage_order: list[str]) -> None:
    if not items:
        run.line("没有符合条件的候选人。")
        return
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for it in items:
        groups.setdefault(it["stage"], []).append(it)
    order = [s for s in stage_order if s in groups] + [s for s in groups if s not in stage_order]
    for stage in order:
        rows = groups[stage]
        t = _table("编号", "姓名", "党支部", "申请日期", "下一步", "最迟办理日期", title=f"{rows[0]['stage_name']}（{len(rows)} 人）")
        for it in rows:
            nxt = it.get("next_due")
            first = it["next_steps"][0] if it.get("next_steps") else None
            step = nxt or first
            t.add_row(
                _t(it["id"]), _t(it["name"]), _t((it.get("branch") or {}).get("name", "")), _t(it["applied_on"]),
                _t(f"{step.get('number', '') or ''}{'. ' if step and step.get('number') else ''}{step['name']}" if step else "—"),
                _t((_due(run.app.calendar, nxt["date"]) if nxt else "—") + ("（逾期办理过）" if it.get("late") else "")),
            )
        run.out.print(t)
    run.line(f"共 {len(items)} 人。")


def overdue(run: Run, items: list[Mapping[str, Any]], as_of: str) -> None:
    if not items:
        run.line(f"截至 {as_of} 没有逾期未办的事项。")
        return
    t = _table("候选人", "姓名", "党支部", "事项", "最迟办理日期", "逾期天数", "依据条款", title=f"截至 {as_of} 逾期未办")
    for it in items:
        due = _due(run.app.calendar, it["due_on"], bool(it.get("provisional")))
        what = f"{it['number']}. {it['step_name']}" if it.get("number") else it["step_name"]
        if it["kind"] == "recurring":
            what += "（定期）"
        t.add_row(_t(it["candidate_id"]), _t(it["name"]), _t((it.get("branch") or {}).get("name", "")), _t(what),
                  _t(due), _t(it["days_overdue"]), _t(it["citation"]))
    run.out.print(t)
    run.warn(f"共 {len(items)} 项逾期。")


def process_table(run: Run, data: Mapping[str, Any]) -> None:
    from services.casework.queries import is_time_rule

    run.line(f"{data['title']}（{data['effective_from']} 起施行）", "bold")  # steps are typed by number or name: no ids
    t = _table("序号", "步骤", "阶段", "办理主体", "时间要求", "其他要求", "依据")
    for s in data["steps"]:
        times = [f"{r['text']}（{r['citation']}）" for r in s["rules"] if is_time_rule(r["kind"])]
        others = [f"{r['text']}（{r['citation']}）" for r in s["rules"] if not is_time_rule(r["kind"])]
        t.add_row(_t(s["number"]), _t(s["name"]), _t(s["stage_name"]), _t(s["actor_name"]),
                  _t("\n".join(times) or "—"), _t("\n".join(others) or "—"), _t(s["citation"] or "—"))
    run.out.print(t)
    pr = data["probation"]
    after = next((f"第{x['number']}步“{x['name']}”" for x in data["steps"] if x["id"] == pr["after"]), "支部大会讨论")
    run.line(f"预备期 {pr['months']} 个月，自{after}之日起计算（{pr['citation']}）。")


def definitions(run: Run, items: list[Mapping[str, Any]]) -> None:
    t = _table("版本代号", "名称", "施行日期", "类型", "步骤数")
    for d in items:
        kind = f"乡镇变体（基于 {d['extends']}）" if d["local"] else ("修订（基于 " + d["extends"] + "）" if d["extends"] else "全国")
        if d.get("installed"):
            kind += "，网页安装"
        t.add_row(_t(d["key"]), _t(d["title"]), _t(d["effective_from"]), _t(kind), _t(d["steps"]))
    run.out.print(t)


def orgs(run: Run, items: list[Mapping[str, Any]]) -> None:
    if not items:
        run.line("还没有组织，请先用 org add 添加。")
        return
    t = _table("编号", "代码", "名称", "层级", "类别", "上级", "乡镇变体")
    for o in items:
        t.add_row(_t(o["id"]), _t(o["code"]), _t(o["name"]), _t(o["level_name"]), _t(o.get("kind_name") or "—"),
                  _t(o.get("parent_code") or "—"), _t(o.get("workflow_variant") or "—"))
    run.out.print(t)


def people(run: Run, items: list[Mapping[str, Any]]) -> None:
    if not items:
        run.line("还没有人员，请先用 person add 添加。")
        return
    t = _table("编号", "姓名", "性别", "出生日期", "民族", "学历", "职业", "政治面貌", "党支部", "标签")
    for p in items:
        t.add_row(_t(p["id"]), _t(p["name"]), _t(p["gender"]), _t(p["birth_date"]), _t(p["ethnicity"]),
                  _t(p.get("education") or "—"), _t(p.get("occupation") or "—"),
                  _t(p["party_status_name"] + ("（权利停止）" if p.get("rights_suspended") else "")),
                  _t(p.get("branch_code") or "—"), _t("、".join(p.get("tags") or []) or "—"))
    run.out.print(t)
