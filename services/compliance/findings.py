"""The audit findings a user may see (the web's 合规检查 page and its API), by organisation,
period, source and kind.

The list is `services.compliance.audit.audit` — the CLI's `partyflow audit` — run for the chosen organisation,
or for each organisation at the top of the user's scope (a secretary's branches, the township, the
county; an administrator's counties), and merged: nothing is counted twice, since those scopes
do not overlap. Scope: services/reporting/org_views.py `report_orgs` / `org_for` (an organisation is the
user's when every branch under it is one the user reads).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from reports.model import Period
from services.accounts.access import Principal
from services.app import App
from services.compliance.audit import audit
from services.reporting.org_views import org_for, report_orgs

SOURCE_NAMES = {"live": "日常登记", "correction": "更正记录", "import": "导入台账"}
KIND_NAMES = {"finding": "违反时间等规定", "late": "逾期办理"}
LIST_LIMIT = 300  # findings shown on a page (the counts cover all)


def period_choices(today: date, years: int = 3) -> list[str]:
    """The period choices in Chinese, newest year first: 2018年, 2018年上半年, 2018年下半年,
    2018年第一季度 … 第四季度 (what `reports.period.parse_period` reads back)."""
    out = []
    for y in range(today.year, today.year - years, -1):
        out += [f"{y}年", f"{y}年上半年", f"{y}年下半年", *(f"{y}年第{q}季度" for q in "一二三四")]
    return out


def _scope(app: App, who: Principal, orgs: list[dict]) -> list[dict]:
    """The whole scope as disjoint organisations: those of the user's roles (a secretary's branches,
    the township, the county), or for an administrator every top organisation; none inside another."""
    own = {r.org_id for r in who.roles}
    chosen = [o for o in orgs if o["id"] in own] or orgs
    ids = {o["id"] for o in chosen}
    with app.uow(read_only=True) as uow:
        def inside(org_id: int) -> bool:
            parent = uow.orgs.get(org_id).parent_id
            while parent is not None:
                if parent in ids:
                    return True
                parent = uow.orgs.get(parent).parent_id
            return False
        return [o for o in chosen if not inside(o["id"])]


def _step_heading(step_name: str) -> str:
    """"17 上级党委审批" (services/compliance/audit.py) → "第17步 上级党委审批"."""
    number, _, name = step_name.partition(" ")
    return f"第{number}步 {name}" if number.isdecimal() and name else step_name


def _item(it: dict) -> dict:
    message = it["message"]
    if it["step_name"] and message.startswith(it["step_name"] + "："):
        message = message[len(it["step_name"]) + 1:]
    article = it["article"]
    if article and message.endswith(f"（细则{article}）"):
        message = message[:-len(f"（细则{article}）")]  # the article is shown on its own line
    return {**it, "heading": _step_heading(it["step_name"]) if it["step_name"] else "",
            "text": message, "article_label": f"细则{article}" if article else "本地规定",
            "source_name": SOURCE_NAMES.get(it["source"], "其他"), "kind_name": KIND_NAMES.get(it["kind"], "其他")}


def findings_for(app: App, who: Principal, *, org_id: int | None = None, period: Period | None = None,
                 source: str | None = None, kind: str | None = None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """{orgs (the choices), org (chosen or None = the whole scope), scope (names), total, findings,
    late, by_article: [(label, n)], items (newest first, at most `limit`), more}."""
    orgs = report_orgs(app, who)
    chosen = org_for(app, who, org_id) if org_id is not None else None
    items: list[dict] = []
    scope = [chosen] if chosen else _scope(app, who, orgs)
    for o in scope:
        items += audit(app, o["code"], period)["items"]
    if source:
        items = [i for i in items if i["source"] == source]
    if kind:
        items = [i for i in items if i["kind"] == kind]
    items.sort(key=lambda x: (x["occurred_on"], x["candidate_id"], x["kind"]), reverse=True)
    counts: dict[str, int] = {}
    for it in items:
        label = f"细则{it['article']}" if it["article"] else "本地规定"
        counts[label] = counts.get(label, 0) + 1
    return {
        "orgs": orgs, "org": chosen, "scope": [o["name"] for o in scope],
        "period": None if period is None else {"label": period.label, "start": period.start.isoformat(),
                                               "end": period.end.isoformat()},
        "total": len(items), "findings": sum(1 for i in items if i["kind"] == "finding"),
        "late": sum(1 for i in items if i["kind"] == "late"),
        "by_article": sorted(counts.items(), key=lambda kv: -kv[1]),
        "items": [_item(i) for i in items[:limit]], "more": max(0, len(items) - limit),
    }


CANDIDATE_LINES = 10  # findings named on a candidate's page; the rest are counted (合规检查 lists them all)


def candidate_findings(app: App, candidate_id: int) -> dict:
    """The compliance findings stored for one candidate (an imported ledger's under-age application,
    第五条; a correction that broke a rule), as short lines for the candidate's page, so the
    secretary and the township see them where they work, not only on the 合规检查 page.
    {lines: [str], more: int}."""
    with app.uow(read_only=True) as uow:
        rows = uow.findings.for_candidate(candidate_id, CANDIDATE_LINES)
        more = uow.findings.count_for_candidate(candidate_id) - len(rows) if len(rows) == CANDIDATE_LINES else 0
    lines = []
    for r in rows:
        on = _as_day(r.occurred_on)
        lines.append(f"{on}：{r.message}（{SOURCE_NAMES.get(r.source, r.source)}）")
    return {"lines": lines, "more": more}


def _as_day(v) -> str:
    return v.isoformat() if isinstance(v, date) else str(v)[:10]
