"""The daily scan: due and overdue steps become notice rows in the outbox, in one transaction.

Per open step with a due date (the materialised `deadline` table, read through its
(kind, due_on) index, so the cost follows the number of due steps, not the candidates):
- a **reminder** to the branch secretary when the due date is N days away, for each N the rule's
  `remind_days` names (default 7 and 1); after missed scans only the nearest threshold is sent;
- **overdue** to the branch secretary from the day after the due date;
- **escalation** to the township organisation officer once it is `escalate_after_days` overdue.
Every row carries an idempotency key (kind, candidate, step, due date, threshold, channel,
address): running the scan twice, after a restart, or in three processes at once creates each
notice once (INSERT … ON CONFLICT DO NOTHING).

**Cost ∝ new work** (issue 19). A notice once created is never recomputed, so the daily run reads
only what can yield a new one since the last completed scan (the `job_watermark` row "scan": its
day `last` and the change mark it read up to):
(a) deadlines whose thresholds were crossed in (last, as_of]: a reminder d days before (due_on − d
    in the window), overdue (due_on + 1 in it), escalation after e days (due_on + e in it), for
    the distinct d and e of all rules and the settings: a few (kind, due_on) index ranges, merged
    when days were missed; each row is then checked against its own rule's thresholds;
(b) deadlines written or changed since that mark (`deadline.changed`, ix_deadline_changed): new
    candidates, steps, imports, transfers, recomputed provisional dates, whatever their age.
Why nothing is missed: a row in neither set has the same `notices_for` on `as_of` as on `last`
(no threshold fell in between: whether a reminder, overdue or escalation threshold has been reached
only ever turns true as the day advances), and the scan of `last` created those notices (it read
the row, or the row was unchanged and crossed nothing since an earlier scan — by induction from
the first, full scan). Why a transaction
that commits late is not missed: the mark is taken before reading, from the database
(storage.tables.change_marker): on PostgreSQL the snapshot's xmax and the xids in progress, so
the next scan reads every row this one could not see, however long (an import) its writer ran;
on SQLite the database clock under the single write lock the scan holds (BEGIN IMMEDIATE), so
every row stamped before it is committed and seen. Overlap only re-reads rows: the inserts are
idempotent. The watermark moves in the scan's own transaction (a failed scan leaves it).
The first scan (no watermark), `full=True` (`partyflow scan --full`) and a scan of a day before
the watermark's read every open deadline up to the horizon, as before. Recipients are those of
the day a notice is created: a contact registered later gets the notices created after it (a
full scan also gives it the open backlog).
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.calendar import day_note
from engine.errors import refuse
from services.app import App
from services.notices.send import inapp_targets, scan_recipients
from storage.repositories import ContactRow, ScanRow
from storage.unit_of_work import UnitOfWork
from workflows.registry import Registry

DEFAULT_REMIND_DAYS = (7, 1)
DEFAULT_ESCALATE_AFTER_DAYS = 14


@dataclass(frozen=True)
class ScanSettings:
    remind_days: tuple[int, ...] = DEFAULT_REMIND_DAYS  # when a rule names none
    escalate_after_days: int = DEFAULT_ESCALATE_AFTER_DAYS  # when a rule names none


SCAN_JOB = "scan"  # the watermark's job name (job_watermark)


@dataclass
class ScanReport:
    as_of: date
    examined: int = 0  # deadline rows that can yield a notice today (the full scan: every row read)
    read: int = 0  # deadline rows read from the database (incremental: the windows and the changes)
    full: bool = False  # read every open deadline up to the horizon (first run, --full, an earlier day)
    since: date | None = None  # the incremental window's start (exclusive): the last completed scan
    notices: int = 0
    created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    dry_run: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)  # the notices (dry run, or for display)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "examined": self.examined, "read": self.read, "full": self.full,
            "since": self.since.isoformat() if self.since else None, "notices": self.notices,
            "created": self.created, "by_kind": self.by_kind, "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run, "rows": self.rows,
        }


def _rule_settings(app: App, key: str, step: str, deadline_kind: str, s: ScanSettings) -> tuple[tuple[int, ...], int]:
    """remind_days and escalate_after_days of the rule behind a deadline (cached per definition)."""
    cache = _RULES.setdefault(key, {})
    hit = cache.get((step, deadline_kind))
    if hit is None:
        defn = app.definition(key)
        kind = "due_within" if deadline_kind == "due" else "recurring"
        remind: set[int] = set()
        escalate = None
        if defn.has_step(step):
            for r in defn.step(step).rules:
                if r.kind == kind:
                    remind.update(int(x) for x in r.params.get("remind_days") or ())
                    if r.params.get("escalate_after_days") is not None:
                        escalate = int(r.params["escalate_after_days"])
        hit = cache[(step, deadline_kind)] = (tuple(sorted(remind)) or None, escalate)
    remind, escalate = hit
    return remind or s.remind_days, s.escalate_after_days if escalate is None else escalate


_RULES: dict[str, dict] = {}


def notices_for(row: ScanRow, as_of: date, remind_days: tuple[int, ...], escalate_after: int) -> list[tuple[str, int]]:
    """(notice kind, threshold) for one deadline on `as_of`. Pure: the time rules of the schedule."""
    days_left = (row.due_on - as_of).days
    if days_left >= 0:
        crossed = [d for d in remind_days if days_left <= d]
        return [("reminder", min(crossed))] if crossed else []
    out = [("overdue", 1)]
    if -days_left >= escalate_after:
        out.append(("escalation", escalate_after))
    return out


def addresses(contacts: list[ContactRow], fallback_name: str) -> list[tuple[str, str, str]]:
    """(channel, address, name) for each way to reach the contacts; the console when nobody is set up
    (a notice is never dropped). Shared by the scan and the half-year report."""
    out = []
    for c in contacts:
        if c.email:
            out.append(("email", c.email, c.name))
        if c.webhook_url:
            out.append(("webhook", c.webhook_url, c.name))
        if not c.email and not c.webhook_url:
            out.append(("console", c.name, c.name))
    return out or [("console", fallback_name, fallback_name)]


def scan(app: App, as_of: date, *, settings: ScanSettings = ScanSettings(), dry_run: bool = False,
         full: bool = False, uow: UnitOfWork | None = None) -> ScanReport:
    """Write the day's notices to the outbox (or, with `dry_run`, only list them: the notices this
    scan would create, not the ones already there).

    Incremental from the last completed scan (module docstring); `full=True` reads every open
    deadline up to the horizon (after changing the settings' thresholds, or to give a newly
    registered contact the open backlog) and moves the watermark like any scan.

    A scan as of a later day than today is refused unless it is a dry run: its notices would be
    real rows, sent by the next dispatch, and a notice once sent cannot be taken back.
    """
    if not dry_run and as_of > app.today():
        raise refuse("scan.future", f"扫描日期 {as_of} 晚于今天（{app.today()}）：提醒一经发送无法撤回，"
                                    "预览将来的提醒请加 --dry-run")
    started = time.perf_counter()
    report = ScanReport(as_of=as_of, dry_run=dry_run)
    if uow is None:
        with app.uow(read_only=dry_run) as own:
            _scan(app, own, as_of, settings, report, full)
    else:
        _scan(app, uow, as_of, settings, report, full)
    report.seconds = time.perf_counter() - started
    return report


_THRESHOLDS: weakref.WeakKeyDictionary[Registry, tuple[int, frozenset[int], frozenset[int]]] = \
    weakref.WeakKeyDictionary()


def rule_thresholds(registry: Registry) -> tuple[frozenset[int], frozenset[int]]:
    """Every `remind_days` and every `escalate_after_days` any rule names, computed once per registry
    (the settings' defaults are added by the caller).

    Published definitions never change (Registry.add refuses that); a registry can only gain new
    versions, so the cached value is recomputed when the number of definitions changes.
    """
    count = len(registry.keys())
    hit = _THRESHOLDS.get(registry)
    if hit is not None and hit[0] == count:
        return hit[1], hit[2]
    remind: set[int] = set()
    escalate: set[int] = set()
    for d in registry.definitions():
        for step in d.steps:
            for r in step.rules:
                remind.update(int(x) for x in r.params.get("remind_days") or ())
                if r.params.get("escalate_after_days") is not None:
                    escalate.add(int(r.params["escalate_after_days"]))
    _THRESHOLDS[registry] = (count, frozenset(remind), frozenset(escalate))
    return frozenset(remind), frozenset(escalate)


def _max_remind(registry: Registry) -> int:
    """The largest `remind_days` of any rule (the full scan's look-ahead), cached per registry."""
    return max(rule_thresholds(registry)[0], default=0)


def windows(last: date, as_of: date, remind_days: frozenset[int], escalate_days: frozenset[int]) -> list[tuple[date, date]]:
    """The due_on ranges (inclusive, merged) of deadlines with a threshold crossed in (last, as_of]:
    reminder d days before (last < due_on − d <= as_of), overdue from the day after (last <
    due_on + 1 <= as_of), escalation e days overdue (last < due_on + e <= as_of)."""
    if as_of <= last:
        return []
    one = timedelta(days=1)
    shifts = {-d for d in remind_days} | {1} | set(escalate_days)  # threshold day = due_on + shift
    spans = sorted((last + one - timedelta(days=k), as_of - timedelta(days=k)) for k in shifts)
    merged: list[tuple[date, date]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + one:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def crossed(due_on: date, last: date, as_of: date, remind_days: tuple[int, ...], escalate_after: int) -> bool:
    """Whether one of this deadline's own thresholds fell in (last, as_of] (see `windows`)."""
    return (any(last < due_on - timedelta(days=d) <= as_of for d in remind_days)
            or last < due_on + timedelta(days=1) <= as_of
            or last < due_on + timedelta(days=escalate_after) <= as_of)


def _scan(app: App, uow: UnitOfWork, as_of: date, settings: ScanSettings, report: ScanReport, full: bool) -> None:
    mark = uow.deadlines.change_mark()  # before reading: rows this scan cannot see are at or after it
    mark_ = None if full else uow.job_runs.watermark(SCAN_JOB)
    if mark_ is None or as_of < mark_.as_of:  # first run, --full, or a day before the last scan's
        report.full = True
        horizon = as_of + timedelta(days=max(max(settings.remind_days), _max_remind(app.registry)))
        rows = uow.deadlines.due_until(horizon)
        report.read = len(rows)
    else:
        report.since = last = mark_.as_of
        remind_all, escalate_all = rule_thresholds(app.registry)
        ranges = windows(last, as_of, remind_all | set(settings.remind_days),
                         escalate_all | {settings.escalate_after_days})
        seen: set[tuple[int, str, str]] = set()
        rows = []
        changed = uow.deadlines.changed_since(mark_.changed, mark_.in_flight)
        due = uow.deadlines.due_in(ranges)
        report.read = len(changed) + len(due)
        for r in changed:
            if (r.candidate_id, r.step, r.kind) not in seen:
                seen.add((r.candidate_id, r.step, r.kind))
                rows.append(r)
        for r in due:
            if (r.candidate_id, r.step, r.kind) in seen:
                continue
            seen.add((r.candidate_id, r.step, r.kind))
            remind, escalate = _rule_settings(app, r.definition_key, r.step, r.kind, settings)
            if crossed(r.due_on, last, as_of, remind, escalate):
                rows.append(r)
    report.examined = len(rows)
    if not report.dry_run and not (mark_ is not None and as_of < mark_.as_of):
        uow.job_runs.set_watermark(SCAN_JOB, as_of, mark[0], mark[1], app.utcnow())
    if not rows:
        return
    orgs = {o.id: o for o in uow.orgs.list()}
    townships = {b: orgs[b].parent_id for b in {r.branch_id for r in rows} if b in orgs}
    secretaries = uow.contacts.for_orgs({r.branch_id for r in rows}, "branch_secretary")
    officers = uow.contacts.for_orgs({t for t in townships.values() if t}, "township_officer")
    # the web users of each side get every notice in-app too (services/notices), one per person
    users = scan_recipients(uow, {r.branch_id for r in rows}, {t for t in townships.values() if t})
    now = app.utcnow()
    out: list[dict[str, Any]] = []
    for r in rows:
        remind, escalate = _rule_settings(app, r.definition_key, r.step, r.kind, settings)
        for kind, threshold in notices_for(r, as_of, remind, escalate):
            branch = orgs.get(r.branch_id)
            branch_name = branch.name if branch else str(r.branch_id)
            org_name = branch_name
            if kind == "escalation":
                org_id = townships.get(r.branch_id) or r.branch_id
                org_name = orgs[org_id].name if org_id in orgs else branch_name
                targets = addresses(officers.get(org_id, []), f"{org_name}组织委员（未登记联系人）")
                targets += inapp_targets(users["township"].get(org_id, []))
            else:
                org_id = r.branch_id
                targets = addresses(secretaries.get(r.branch_id, []), f"{branch_name}书记（未登记联系人）")
                targets += inapp_targets(users["branch"].get(org_id, []))
            item = _item(app, r, kind, as_of, branch_name)
            item["org_name"] = org_name if kind == "escalation" else branch_name  # the recipient's organisation
            for channel, address, name in targets:
                out.append({
                    "key": f"{kind}:{r.candidate_id}:{r.step}:{r.kind}:{r.due_on.isoformat()}:{threshold}:{channel}:{address}",
                    "kind": kind, "candidate_id": r.candidate_id, "step": r.step, "due_on": r.due_on,
                    "created_on": as_of, "channel": channel, "address": address, "recipient_name": name,
                    "org_id": org_id, "payload": item, "status": "pending", "attempts": 0,
                    "next_attempt_at": now, "created_at": now,
                })
    report.notices = len(out)
    for row in out:
        report.by_kind[row["kind"]] = report.by_kind.get(row["kind"], 0) + 1
    if report.dry_run:
        report.rows = [{k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in row.items()} for row in out]
        return
    report.created = uow.outbox.add_many(out)


def _item(app: App, r: ScanRow, kind: str, as_of: date, branch_name: str) -> dict[str, Any]:
    """One notice as the templates read it (notifications/templates)."""
    defn = app.definition(r.definition_key)
    step = defn.step(r.step) if defn.has_step(r.step) else None
    return {
        "candidate_id": r.candidate_id, "candidate_name": r.person_name, "branch": branch_name,
        "step_number": step.number if step else 0, "step_name": step.name if step else r.step,
        "due_on": r.due_on.isoformat(), "days": abs((r.due_on - as_of).days),
        "citation": f"细则{r.article}" if r.article else "本地规定", "provisional": bool(r.provisional),
        "due_note": day_note(r.due_on, app.calendar),  # "元旦假期", "2027 年节假日安排尚未载入" (templates)
        "kind": kind, "deadline_kind": r.kind, "as_of": as_of.isoformat(),
    }
