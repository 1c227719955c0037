"""What to do now on one candidate, for one user: the open steps of the step table, each with its
earliest and due dates in words, the rule and article behind each date, and whether this user
records it (then the page shows the 办理 button)."""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.calendar import due_note
from services.accounts.access import Principal
from services.app import App
from services.casefile.history import history_by_stage
from services.worklist.reads import SOON, step_table

# step_table statuses that are "next": in the engine's outlook, not done
NEXT = ("open", "blocked", "waiting")
PROVISIONAL = "（按周一至周五推算，该年节假日安排尚未载入）"


def _days(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def earliest_line(step: dict[str, Any], today: str) -> str | None:
    """'最早可于 2019-06-15 办理（含当日），还有 N 天' for a date still ahead, else None."""
    e = step.get("earliest")
    if not e or e <= today:
        return None
    return f"最早可于 {e} 办理（含当日），还有 {_days(today, e)} 天" + (PROVISIONAL if step.get("earliest_provisional") else "")


def due_line(step: dict[str, Any], today: str) -> str | None:
    """The due date in words: how long is left, or how late it already is. `due_note` (set by
    case_file: "（含当日，元旦假期）", engine.calendar.due_note) names the day; without it, "（含当日）"."""
    d = step.get("due")
    if not d:
        return None
    paren = step.get("due_note")
    note = ""
    if not paren:
        paren, note = "（含当日）", PROVISIONAL if step.get("due_provisional") else ""
    if d < today:
        return f"已逾期 {_days(d, today)} 天：最迟应于 {d}{paren}办理" + note
    if d == today:
        return f"今天截止：最迟于 {d}{paren}办理" + note
    return f"最迟于 {d}{paren}办理，还有 {_days(today, d)} 天" + note


def rule_lines(step: dict[str, Any]) -> list[str]:
    """The rules behind the dates in plain words with their articles ("…满1年后方可办理（细则第十三条）")."""
    return [t for t in (step.get("earliest_text"), step.get("due_text")) if t]


def _with_provisional(view: dict[str, Any]) -> None:
    """Copy the outlook's 'counted on a guessed calendar' flags onto the step table's rows."""
    by_step = {n["step"]: n for n in view.get("next_steps", ())}
    for s in view["steps"]:
        n = by_step.get(s["id"]) or {}
        due = n.get("due") or n.get("recurring") or {}
        s["earliest_provisional"] = bool((n.get("earliest") or {}).get("provisional"))
        s["due_provisional"] = bool(due.get("provisional"))


def next_actions(view: dict[str, Any], today: str) -> dict[str, Any]:
    """{act, later, others, ended} from a step table (`view`, with `can_act` set on each step).

    act: steps this user records that can be done today (each gets the 办理 button);
    later: this user's steps that cannot be done yet (not before a date, or a prerequisite missing),
    with why and when; others: steps of the other side (e.g. the township's), "等待…办理";
    ended: the reason the process has ended, or None. Each list: overdue first, then due within
    the week, then in process order.
    """
    out: dict[str, Any] = {"act": [], "later": [], "others": [], "ended": None}
    for s in view["steps"]:
        if s["status"] == "ended":
            out["ended"] = s["reason"]
        if s["status"] not in NEXT:
            continue
        item = {**s, "when": [x for x in (earliest_line(s, today), due_line(s, today)) if x],
                "rules": rule_lines(s), "overdue": bool(s.get("due") and s["due"] < today),
                "waiting": s["reason"] if s["status"] == "waiting" else None}
        if not s["can_act"]:
            out["others"].append(item)
        elif s["status"] == "open":
            out["act"].append(item)
        else:
            out["later"].append(item)
    soon = (date.fromisoformat(today) + SOON).isoformat()

    def order(i):  # overdue first, then due within the week (as 本周待办), then in process order
        due = i.get("due") or "9999"
        return (not i["overdue"], due > soon, i["number"] if due > soon else due, i["number"])

    for k in ("act", "later", "others"):
        out[k].sort(key=order)
    return out


def _with_review(view: dict[str, Any], thread: list[dict[str, Any]] | None, candidate_id: int) -> None:
    """Steps the branch sends up (the review loop): their status in the thread ("待报送",
    "已报送，待审核", …) and, for the committee, the button goes to the approval page."""
    by_step = {t["step"]: t for t in thread or ()}
    refused = {t["reopens"]: t["entries"][-1] for t in thread or () if t.get("reopens")}
    for s in view["steps"]:
        t = by_step.get(s["id"])
        s["review"] = t
        r = refused.get(s["id"])  # a branch meeting the higher committee's refusal sent back
        # the resolution only: the opinion and 批复文号 are in the 报送与审批 card below
        s["refusal"] = (f"上级党委 {r['on']} 不批准：{r['text'].split('；审批意见')[0]}；支部大会须重新讨论（党章第七条）"
                        if r else None)
        s["href"] = f"/candidates/{candidate_id}/steps/{s['id']}"
        s["button"] = "办理"
        if t is not None and s["side"] == "township" and t["status"] in ("open", "submitted"):
            s["href"], s["button"] = f"/queue/approve?candidate_id={candidate_id}&step={s['id']}", t.get("verb", "审批")


def case_file(app: App, who: Principal, candidate_id: int, branch_id: int,
              thread: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The candidate page's data: `step_table` with `can_act`, `href` and `button` on each step,
    plus `now` (next_actions) and `history` (the log by stage, history_by_stage). `thread`: the
    review thread (services.review.review_thread), to show each sent-up step's status with it."""
    view = step_table(app, candidate_id)
    _with_provisional(view)
    cal = app.calendar
    for s in view["steps"]:
        if s.get("due"):
            s["due_note"] = due_note(date.fromisoformat(s["due"]), cal, s["due_provisional"])
    _with_review(view, thread, candidate_id)
    for s in view["steps"]:
        s["can_act"] = s["status"] in ("open", "blocked", "waiting") and who.can_act(branch_id, s["actor"])
    view["now"] = next_actions(view, app.today().isoformat())
    view["history"] = history_by_stage(app, view)
    return view
