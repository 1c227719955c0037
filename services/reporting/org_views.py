"""Organisation-level reads for the web: which organisations a user may report on, the overdue
dashboard across branches, and the period selector's choices.

An organisation is the user's when every branch under it is one the user reads: a secretary
reports on their branches, the township officer on the township and each of its branches, the
county viewer on the county, its townships and branches; an administrator on everything.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from services.accounts.access import Principal
from services.app import App
from services.casework.queries import overdue
from services.casework.user_commands import ForbiddenError, NotFoundError

LEVEL_ORDER = {"county": 0, "township": 1, "branch": 2}
LIST_LIMIT = 300  # overdue items listed on the page (the counts cover all)


SCOPED = 500  # readable branches up to which a page reads only them (and their ancestors) by id


def report_orgs(app: App, who: Principal) -> list[dict[str, Any]]:
    """[{id, code, name, level, parent_id}] the user may report on, county first, then townships, branches."""
    if who.readable is not None and len(who.readable) <= SCOPED:
        orgs = _scoped_wholly_readable(app, who.readable)
    else:  # an administrator or a county: (nearly) every organisation is theirs, one read of the tree
        from sqlalchemy import select

        from storage.tables import organisation

        o = organisation.c
        with app.uow(read_only=True) as uow:  # five columns as plain tuples (a county's ~30,000 organisations)
            orgs = [tuple(r) for r in uow.connection.execute(
                select(o.id, o.parent_id, o.level, o.code, o.name).order_by(o.id)).all()]  # (fetchall)
        if who.readable is not None:
            yours = _wholly_readable(orgs, who.readable)
            orgs = [r for r in orgs if r[0] in yours]
    out = [{"id": oid, "code": code, "name": name, "level": level, "parent_id": parent}
           for oid, parent, level, code, name in orgs if level in LEVEL_ORDER]
    return sorted(out, key=lambda r: (LEVEL_ORDER[r["level"]], r["code"]))


def _scoped_wholly_readable(app: App, readable: frozenset[int]) -> list[tuple]:
    """The (id, parent_id, level, code, name) rows `_wholly_readable` keeps, read without the tree:
    only the readable branches and their ancestors can qualify (one recursive query up the parent
    index). Any other child of one of them holds no readable branch, so it spoils its parent only if
    a branch lies under it: the children outside that set are grouped per parent (a branch among
    them spoils it at once), and a subtree below them is walked — stopping at its first branch —
    only where the parent still qualifies (a township officer's county: one walk; a secretary's
    township has other branches, no walk)."""
    with app.uow(read_only=True) as uow:
        rows = uow.orgs.with_ancestors(readable) if readable else []
        known = [r[0] for r in rows]
        outside = uow.orgs.children_outside(known, known) if known else {}
        children: dict[int | None, list[int]] = {}
        for oid, parent_id, *_rest in rows:
            children.setdefault(parent_id, []).append(oid)
        level = {r[0]: r[2] for r in rows}
        ok: dict[int, bool] = {}  # every branch under it readable (each has a readable branch under it)

        def walk(oid: int) -> bool:
            if oid not in ok:
                ok[oid] = False  # (a corrupt cycle stops here)
                ok[oid] = ((level[oid] != "branch" or oid in readable)
                           and all(walk(c) for c in children.get(oid, ()))
                           and not outside.get(oid, False)
                           and not (oid in outside and uow.orgs.branch_below_outside(oid, known)))
            return ok[oid]

        return [r for r in rows if walk(r[0])]


def _wholly_readable(orgs, readable: frozenset[int]) -> set[int]:
    """Ids of the organisations with at least one branch under them (themselves included), all of
    them in `readable`: the tree walked from the one list read, where `descendants_branch_ids`
    of each cost a query per organisation (~1,000 in a county, 0.2 s a page). Only the readable
    branches and their ancestors can qualify, and a walk stops at the first branch that is not
    readable: a secretary's page looks at a few organisations, not the county's ~3,000."""
    children: dict[int | None, list[int]] = {}
    level, parent = {}, {}
    for oid, parent_id, lvl, *_rest in orgs:  # (id, parent_id, level, …) tuples
        children.setdefault(parent_id, []).append(oid)
        level[oid] = lvl
        parent[oid] = parent_id
    got: dict[int, tuple[bool, bool]] = {}  # id -> (has a branch under it, all of them readable)

    def walk(oid: int) -> tuple[bool, bool]:
        if oid not in got:
            got[oid] = (False, True)  # (a corrupt cycle stops here)
            has, ok = (True, oid in readable) if level[oid] == "branch" else (False, True)
            for c in children.get(oid, ()):
                if not ok:  # not wholly readable, whatever else lies under it
                    break
                c_has, c_ok = walk(c)
                has, ok = has or c_has, ok and c_ok
            got[oid] = (has, ok)
        return got[oid]

    ancestors: set[int] = set()
    for b in readable:
        while b is not None and b in level and b not in ancestors:
            ancestors.add(b)
            b = parent[b]
    return {oid for oid in ancestors if walk(oid) == (True, True)}


def org_for(app: App, who: Principal, org_id: int) -> dict[str, Any]:
    """One organisation the user may report on, else NotFoundError / ForbiddenError."""
    with app.uow(read_only=True) as uow:
        org = uow.orgs.get(org_id) if 0 < org_id < 2**31 else None
        if org is None:
            raise NotFoundError("找不到所选的组织（链接有误，或已被删除）")
        branches = uow.orgs.descendants_branch_ids(org.id)
    if who.readable is not None and (not branches or not set(branches) <= who.readable):
        raise ForbiddenError(f"无权查看“{org.name}”的统计")
    return {"id": org.id, "code": org.code, "name": org.name, "level": org.level, "parent_id": org.parent_id}


REPORTING_MONTHS = (1, 7)  # townships report a half year in the month after it ends (July, January)


def default_period(today: date) -> str:
    """The half year a report is wanted for on `today`: in the reporting month after a half year
    ends, the half year just completed (2026H1 on 2026-07-03, 2025H2 on 2026-01-05); otherwise the
    half year `today` falls in (2018H1 for 2018-06-30, 2026H2 for 2026-08-01)."""
    if today.month in REPORTING_MONTHS:
        return f"{today.year}H1" if today.month == 7 else f"{today.year - 1}H2"
    return f"{today.year}H{1 if today.month <= 6 else 2}"


def recent_periods(today: date, count: int = 6) -> list[str]:
    """The current half year and the ones before it, and the current and last year."""
    year, half = today.year, 1 if today.month <= 6 else 2
    out = []
    for _ in range(count):
        out.append(f"{year}H{half}")
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return out + [str(today.year), str(today.year - 1)]


def overdue_dashboard(app: App, who: Principal, branch_id: int | None = None, as_of: date | None = None, *,
                      rows: int | None = None, name_contains: str = "") -> dict[str, Any]:
    """{today, total, branches: [{id, name, code, count, candidates}] (most overdue first), list:
    [...] (oldest due first, at most LIST_LIMIT), more, branch_id, rows_summary} for the user's
    readable branches (or one of them), as of `as_of` (default today: the CLI's `overdue --as-of`,
    services.casework.queries.overdue).

    `branches` is every readable branch unless `rows` is given (the page's 各党支部 table): then
    it is every branch when there are at most `rows` and no `name_contains`, else those whose name
    contains it (all when empty), `rows` of them, and `rows_summary` = {all, late, q, matched,
    shown} says what was left out (None: nothing was). A county's ~28,000 branches are then not
    read or built into rows (~100 ms of CPU a page, issue 19): the late ones come from the overdue
    items, the rest of the table from the code index, a search from the names that match."""
    today = as_of or app.today()
    large = rows is not None and branch_id is None and (who.readable is None or len(who.readable) > SCOPED)
    with app.uow(read_only=True) as uow:
        if branch_id is not None:
            org = uow.orgs.get(branch_id) if 0 < branch_id < 2**31 else None
            if org is None or org.level != "branch":
                raise NotFoundError("找不到所选的党支部（链接有误，或已被删除）")
            if not who.can_read(branch_id):
                raise ForbiddenError("无权查看其他党支部")
        if large:  # how many branches the user reads, and whether most of all: without reading them
            orgs, every = None, uow.orgs.branch_count()
            mine = every if who.readable is None else len(who.readable)
            most = who.readable is None or 2 * mine >= every
        else:  # (one branch asked for: it alone, checked readable above)
            orgs, most = (uow.orgs.branches_among([branch_id]), False) if branch_id is not None else readable_branches(uow, who)
    scope = [branch_id] if branch_id is not None else None if most else who.scope()
    items = overdue(app, today, branch_ids=scope)
    if scope is None and who.readable is not None:  # most branches, read unscoped and kept: the same rows
        items = [i for i in items if i["branch"] and who.can_read(i["branch"]["id"])]
    counts = Counter(i["branch"]["id"] for i in items if i["branch"])
    people = Counter()
    for i in {(i["branch"]["id"], i["candidate_id"]) for i in items if i["branch"]}:
        people[i[0]] += 1

    def row(oid: int, code: str, name: str) -> dict[str, Any]:
        return {"id": oid, "name": name, "code": code, "count": counts.get(oid, 0), "candidates": people.get(oid, 0)}

    summary = None
    if orgs is not None:
        branches = [row(*b) for b in orgs if branch_id is None or b[0] == branch_id]
        branches.sort(key=lambda b: (-b["count"], b["code"]))
        if rows is not None and (len(branches) > rows or name_contains):
            every_row = branches
            matched = [b for b in branches if name_contains in b["name"]] if name_contains else branches
            branches = matched[:rows]
            summary = _rows_summary(len(every_row), sum(1 for b in every_row if b["count"]), name_contains,
                                    len(matched), len(branches))
    else:
        branches, matched = _overdue_rows(app, who, rows, name_contains, items, row, mine)
        if mine > rows or name_contains:
            summary = _rows_summary(mine, len(counts), name_contains, matched, len(branches))
    board = {"today": today.isoformat(), "total": len(items), "branches": branches,
             "list": items[:LIST_LIMIT], "more": max(0, len(items) - LIST_LIMIT), "branch_id": branch_id}
    if rows is not None:
        board["rows_summary"] = summary
    return board


def _rows_summary(every: int, late: int, q: str, matched: int, shown: int) -> dict[str, Any]:
    return {"all": every, "late": late, "q": q, "matched": matched, "shown": shown}


def _overdue_rows(app: App, who: Principal, limit: int, text: str, items, row, mine: int) -> tuple[list[dict], int]:
    """(the first `limit` rows of a large scope's 各党支部 table, how many matched `text`): the
    branches with overdue items (known from the items) most overdue first, then the others by
    code read a page at a time from the code index; or the readable branches whose name contains
    `text`, read by name."""
    if text:
        with app.uow(read_only=True) as uow:
            found = [row(*b) for b in uow.orgs.branches_named(text) if text in b[2] and who.can_read(b[0])]
        found.sort(key=lambda b: (-b["count"], b["code"]))
        return found[:limit], len(found)
    late = {i["branch"]["id"]: row(i["branch"]["id"], i["branch"]["code"], i["branch"]["name"])
            for i in items if i["branch"]}
    out = sorted(late.values(), key=lambda b: (-b["count"], b["code"]))[:limit]
    after = None
    with app.uow(read_only=True) as uow:
        while len(out) < min(limit, mine):
            page = uow.orgs.branches_by_code(after, 2 * limit)
            if not page:
                break
            out += [row(*b) for b in page if b[0] not in late and who.can_read(b[0])][:limit - len(out)]
            after = page[-1][1]
    return out, mine


def readable_branches(uow, who: Principal) -> tuple[list[tuple[int, str, str]], bool]:
    """((id, code, name) of the branches the user reads, by id; whether they are at least half of
    all branches — a scope better read unscoped and filtered than bound as a list of ids).
    A scope of up to SCOPED branches is read by id; a larger one (a county's ~28,000) reads the
    branches and keeps the readable ones — never tens of thousands of bound parameters."""
    if who.readable is not None and len(who.readable) <= SCOPED:
        return (uow.orgs.branches_among(who.readable) if who.readable else []), False
    rows = uow.orgs.branches()
    mine = [r for r in rows if who.can_read(r[0])]
    return mine, who.readable is None or 2 * len(mine) >= len(rows)
