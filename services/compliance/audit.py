"""`partyflow audit`: the compliance findings of an organisation and period (docs/ledger.md).

Two sources, one list, ordered by the date of the act:
- stored findings (table `finding`): history that broke a guard ("not before" rules such as
  培养考察不满一年 第十三条, the age rule), written by the ledger import (source "import") and by a
  correction that broke a rule when it was recorded (source "correction") — the live path refuses
  such steps, so only imported or corrected history can carry them;
- steps done late: every effective step event marked `late` (a "within" deadline missed, e.g.
  上级党委审批超过三个月 第二十五条), live or imported alike. An event superseded by a correction
  is left out (its correction carries its own flag). Late steps are not copied into `finding`, so
  nothing is counted twice.
The period selects by the date the act happened (`occurred_on`), not by when it was recorded.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from reports.model import Period
from reports.health import late_step_filter
from services.app import App
from services.organisation.directory import resolve_org
from storage.tables import candidate, event, organisation, person


def _as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _step_label(app: App, key: str, step: str | None) -> tuple[str, str]:
    """("17 上级党委审批", article of its deadline rule)."""
    if not step:
        return "", ""
    try:
        defn = app.definition(key)
    except Exception:  # noqa: BLE001 - an unknown key: show the id
        return step, ""
    if not defn.has_step(step):
        return step, ""
    s = defn.step(step)
    rule = next((r for r in s.rules if r.kind in ("due_within", "recurring")), None)
    return f"{s.number} {s.name}", (rule.citation.article if rule else s.citation.article)


def audit(app: App, org_ref: str | int, period: Period | None = None) -> dict:
    start, end = (period.start, period.end) if period else (None, None)
    with app.uow(read_only=True) as uow:
        org = resolve_org(uow, org_ref)
        branch_ids = uow.orgs.descendants_branch_ids(org.id)
        stored = uow.findings.list(branch_ids, start, end) if branch_ids else []
        late = []
        if branch_ids:
            e, c = event.c, candidate.c
            stmt = (
                select(e.candidate_id, e.kind, e.step, e.occurred_on, e.definition_key, c.branch_id, c.state, c.import_id,
                       person.c.name.label("person_name"), organisation.c.name.label("branch_name"))
                .select_from(event.join(candidate, c.id == e.candidate_id)
                             .join(person, person.c.id == c.person_id)
                             .join(organisation, organisation.c.id == c.branch_id))
                .where(*late_step_filter(start, end), c.branch_id.in_(branch_ids))
                .order_by(e.occurred_on, e.candidate_id, e.seq)
            )
            late = list(uow.connection.execute(stmt))
    items = []
    for f in stored:
        label, _ = _step_label(app, f.definition_key, f.step)
        items.append({
            "kind": "finding", "source": f.source, "candidate_id": f.candidate_id, "person": f.person_name,
            "branch": f.branch_name, "step": f.step, "step_name": label, "rule": f.rule, "article": f.article or "",
            "message": f.message, "occurred_on": _as_date(f.occurred_on).isoformat(), "import_id": f.import_id,
        })
    for r in late:
        label, article = _step_label(app, r.definition_key, r.step)
        on = _as_date(r.occurred_on)
        missed = (r.state or {}).get("late", {}).get(r.step) if isinstance(r.state, dict) else None
        if missed:
            days = (on - date.fromisoformat(missed)).days
            text = f"{label}：最迟应于 {missed}（含当日）完成，实际 {on}，逾期 {days} 天" if days > 0 else f"{label}：逾期完成（{on}）"
        else:
            text = f"{label}：逾期完成（{on}）"
        if article:
            text += f"（细则{article}）"
        items.append({
            "kind": "late", "source": "import" if r.import_id else "live", "candidate_id": r.candidate_id,
            "person": r.person_name, "branch": r.branch_name, "step": r.step, "step_name": label, "rule": "late",
            "article": article, "message": text, "occurred_on": on.isoformat(), "import_id": r.import_id,
        })
    items.sort(key=lambda x: (x["occurred_on"], x["candidate_id"], x["kind"]))
    counts: dict[str, int] = {}
    for it in items:
        key = it["article"] or "本地规定"
        counts[key] = counts.get(key, 0) + 1
    return {
        "org": {"id": org.id, "code": org.code, "name": org.name},
        "period": None if period is None else {"key": period.key, "label": period.label,
                                               "start": period.start.isoformat(), "end": period.end.isoformat()},
        "total": len(items),
        "findings": sum(1 for i in items if i["kind"] == "finding"),
        "late": sum(1 for i in items if i["kind"] == "late"),
        "by_article": counts,
        "items": items,
    }

