"""Reads for the web pages: a user's week, the township's approval queue, candidates by stage and a
candidate's step table. Plain dicts (dates as ISO strings), built from the engine's outlook — the
same dates and articles `partyflow show` prints.
"""
from __future__ import annotations

import time
import weakref
from datetime import timedelta
from typing import Any

from engine import CandidateState, outlook, process_for
from services.accounts.access import Principal, step_side
from services.app import App
from services.casework.queries import citation_label, show_candidate, stage_name
from services.worklist.cache import Scope, WorklistCache
from storage.unit_of_work import UnitOfWork
from workflows.model import Definition
from engine.review import upstream
from workflows.review import is_reviewed

SOON = timedelta(days=7)


def _read(app: App) -> UnitOfWork:
    return UnitOfWork(app.engine, read_only=True)


def candidate_branch(app: App, candidate_id: int) -> int | None:
    """The branch a candidate belongs to now, or None if there is no such candidate."""
    with _read(app) as uow:
        row = uow.candidates.get(candidate_id)
    if row is None:
        return None
    return CandidateState.from_dict(row.state).branch_id or row.branch_id


def _definition(app: App, key: str) -> Definition | None:
    try:
        return app.definition(key)
    except LookupError:
        return None


# ---------------------------------------------------------------- live candidates, cached outlooks
#
# Why not the `deadline` table: seven township steps (备案, 培训, 预审, 谈话, 宣誓, …) and several
# branch steps carry no date at all, so they have no deadline row, yet they are exactly what the
# queue and "possible now" list. So the worklist keeps, per process, each scope's live candidates
# (those whose stage lets a step of the wanted side be open; ended candidates are never read) with
# their open steps, loaded once through the (branch_id, stage) index and then patched from the
# event log: a request reads the events appended since the previous one (a primary-key range,
# usually empty) and re-reads only the candidates they name. See services/worklist/cache.py for the
# invalidation rules and PostgreSQL's late-committing ids. No write is added to the step path.


def _cache(app: App) -> WorklistCache:
    c = app.__dict__.get("_outlook_cache")
    if c is None:
        c = app.__dict__.setdefault("_outlook_cache", WorklistCache())
    return c


def _side_stages(app: App, side: str | None) -> list[str] | None:
    """Stages from which a step of `side` can be open in some known definition (None: any side's)."""
    key = ("_side_stages", side, tuple(app.registry.keys()))
    got = app.__dict__.get("_side_stages_memo")
    if got is not None and got[0] == key:
        return got[1]
    stages: set[str] = set()
    for d in app.registry.definitions():
        proc = process_for(d)
        for step, _requires, sources in proc.step_index:
            if side is None or step_side(step.actor) == side:
                stages |= set(sources)
        stages -= set(proc.end_states)
    result = sorted(stages)
    app.__dict__["_side_stages_memo"] = (key, result)
    return result


def _open_steps(app: App, state: CandidateState, defn: Definition) -> tuple:
    """The candidate's open steps without today's view: (step, side, earliest, earliest_rule, due,
    due_rule, waiting_for, review) tuples, dates as ISO strings; `review` of a step the branch sends
    up (workflows/review.py): ("submitted" | "returned" | "unsent", date or None), else None."""
    out = []
    proc = process_for(defn)
    for o in outlook(proc, state, app.calendar):
        due = o.due or o.recurring
        sid = o.step.id
        review = None
        if is_reviewed(o.step):
            review = (("submitted", state.submitted[sid].isoformat()) if sid in state.submitted
                      else ("returned", state.returned[sid].isoformat()) if sid in state.returned
                      else ("unsent", None))
        out.append((o.step, step_side(o.step.actor), o.earliest.date.isoformat() if o.earliest else None,
                    citation_label(o.earliest.rule) if o.earliest else None, due.date.isoformat() if due else None,
                    citation_label(due.rule) if due else None, tuple(o.waiting_for), review))
    listed = {o[0].id for o in out}
    for sid, on in state.returned.items():  # returned with its basis reopened: no clock runs, still listed
        if sid not in listed and defn.has_step(sid):
            step = defn.step(sid)
            need = upstream(proc, sid)  # everything still to redo, not only the direct prerequisites
            waiting = tuple(s.id for s in defn.steps if s.id in need and s.id not in state.done)
            out.append((step, step_side(step.actor), None, None, None, None, waiting, ("returned", on.isoformat())))
    return tuple(out)


def _scope(app: App, branch_ids: list[int] | None, side: str | None) -> Scope | None:
    """The up-to-date live candidates of the branches whose stage lets a step of `side` be open."""
    if branch_ids is not None and not branch_ids:
        return None
    cache = _cache(app)
    cache.check_calendar(app.calendar)
    return cache.scope(lambda: _read(app), branch_ids, _side_stages(app, side), tuple(app.registry.keys()),
                       _compute(app))


def start(app: App) -> None:
    """At a web process's start (web/warmup.py): the worklist cache's first change-feed read."""
    cache = _cache(app)
    cache.check_calendar(app.calendar)
    cache.start(lambda: _read(app))


def _compute(app: App):
    """(open steps, state's branch) of a candidate's stored state: what a scope keeps of it."""
    def compute(state_dict):
        state = CandidateState.from_dict(state_dict)
        defn = _definition(app, state.definition_key)
        return (_open_steps(app, state, defn) if defn is not None else ()), state.branch_id

    return compute


def _live(app: App, branch_ids: list[int] | None, side: str | None):
    """[(row-like (id, person_id, branch_id, version, definition_key, stage), open steps, branch)] of
    the candidates in the branches whose stage lets a step of `side` be open."""
    s = _scope(app, branch_ids, side)
    if s is None:
        return []
    return _cache(app).derive(s, "live", None, lambda: list(s.members.values()))


def open_items(app: App, branch_ids: list[int] | None, side: str | None = None, keep=None,
               candidate_ids: set[int] | None = None) -> list[dict[str, Any]]:
    """Every open step (passing `keep(step tuple, today)`) of every live candidate in the branches
    (and, given `candidate_ids`, among them: names are read for those only), one item each.

    Item: {candidate_id, name, branch_id, branch, stage_name, version, step, number, step_name,
    actor, side, earliest, earliest_citation, due, due_citation, waiting_for_names, ready}.
    `ready`: the step can be recorded today (prerequisites done, earliest date reached).
    """
    live = _live(app, branch_ids, side)
    return _items(app, [e for e in live if candidate_ids is None or e[0].id in candidate_ids], side, keep)


def _items(app: App, live, side: str | None, keep=None) -> list[dict[str, Any]]:
    """Items of the open steps of `side` (and passing `keep(step tuple)`), names filled in for those only."""
    return _build(app, _pick(live, side, keep, app.today().isoformat()))


def _pick(live, side: str | None, keep, today: str) -> list:
    """(row, step tuple, branch) of the open steps of `side` passing `keep(step tuple, today)`."""
    picked = []
    for r, steps, branch_id in live:
        for st in steps:
            if side is not None and st[1] != side:
                continue
            if keep is not None and not keep(st, today):
                continue
            picked.append((r, st, branch_id))
    return picked


def _build(app: App, picked: list) -> list[dict[str, Any]]:
    """Item dicts for (row, step tuple, branch) triples, in their order."""
    if not picked:
        return []
    today = app.today().isoformat()
    with _read(app) as uow:
        people = uow.people.by_ids({r.person_id for r, _s, _b in picked})
    orgs = _org_names(app, {b for _r, _s, b in picked})
    items = []
    for r, (step, s, earliest, earliest_cit, due, due_cit, waiting, review), branch_id in picked:
        defn = _definition(app, r.definition_key)
        items.append({
            "candidate_id": r.id,
            "name": people[r.person_id].name if r.person_id in people else "",
            "branch_id": branch_id,
            "branch": orgs.get(branch_id, str(branch_id)),
            "stage_name": stage_name(defn, r.stage),
            "version": r.version,
            "definition_key": r.definition_key,
            "step": step.id,
            "number": step.number,
            "step_name": step.name,
            "actor": step.actor,
            "actor_name": defn.roles.get(step.actor, step.actor),
            "side": s,
            "earliest": earliest,
            "earliest_citation": earliest_cit,
            "due": due,
            "due_citation": due_cit,
            "waiting_for_names": [defn.step(w).name for w in waiting],
            "ready": not waiting and (earliest is None or earliest <= today),
            "review": review[0] if review else None,  # submitted | returned | unsent (the review loop)
            "review_on": review[1] if review else None,
        })
    return items


ORG_NAMES_TTL = 60.0  # seconds an organisation's name is kept per process (a rename shows within it)


def _org_names(app: App, needed: set[int]) -> dict[int, str]:
    """The names of the organisations `needed`, read by id for those not kept or older than
    ORG_NAMES_TTL — not the whole tree (~30,000 rows at 1 M candidates, read once a minute by
    every process and on every unknown id: the slow request of the minute, issue 19)."""
    memo = app.__dict__.get("_org_names_memo")
    now = time.monotonic()
    if memo is None or now - memo[0] > ORG_NAMES_TTL:
        memo = app.__dict__["_org_names_memo"] = (now, {})
    names = memo[1]
    missing = [i for i in needed if i not in names]
    if missing:  # (a page's ≤ 50 branches: a cached statement; a county's many: one pass of the tree)
        with _read(app) as uow:
            got = {i: o.name for i, o in uow.orgs.by_ids(missing).items()}
        names.update(got)  # (one dict update: a concurrent request sees a name or its absence)
    return names


def week(app: App, who: Principal) -> dict[str, Any]:
    """"本周待办" for the branch side of the user: {today, overdue, due_soon, possible}.

    overdue: due before today; due_soon: due within 7 days; possible: ready today, or becoming
    possible within 7 days (earliest date), and not already listed as due.
    """
    today = app.today()
    horizon = (today + SOON).isoformat()
    def keep(st, _today):  # (step, side, earliest, earliest_rule, due, due_rule, waiting_for)
        return (st[4] is not None and st[4] <= horizon) or (not st[6] and (st[2] is None or st[2] <= horizon))

    s = _scope(app, who.scope("branch"), "branch")
    picked = [] if s is None else _cache(app).derive(
        s, "week", horizon, lambda: _pick(s.members.values(), "branch", keep, today.isoformat()))
    items = _build(app, picked)
    overdue = [i for i in items if i["due"] and i["due"] < today.isoformat()]
    due_soon = [i for i in items if i["due"] and today.isoformat() <= i["due"] <= horizon]
    listed = {(i["candidate_id"], i["step"]) for i in overdue + due_soon}
    possible = [i for i in items if (i["candidate_id"], i["step"]) not in listed and not i["waiting_for_names"]
                and (i["earliest"] is None or i["earliest"] <= horizon)]
    key = lambda i: (i["due"] or "9999", i["earliest"] or "", i["candidate_id"], i["number"])  # noqa: E731
    return {"today": today.isoformat(), "overdue": sorted(overdue, key=key), "due_soon": sorted(due_soon, key=key),
            "possible": sorted(possible, key=lambda i: (i["earliest"] or "", i["candidate_id"], i["number"]))}


def _queue_live(app: App, who: Principal) -> list:
    """The queue's (row, step tuple, branch) triples, oldest due first (no names looked up yet)."""
    s = _scope(app, who.scope("township"), "township")
    if s is None:
        return []

    def compute():
        # a returned step waits for the branch; what the branch sent comes first (oldest sending
        # first), then the committee's own steps and what it may record from paper, oldest due first
        picked = [(r, st, b) for r, steps, b in s.members.values() for st in steps
                  if st[1] == "township" and not st[6] and (st[7] is None or st[7][0] != "returned")]
        picked.sort(key=lambda x: (0 if x[1][7] and x[1][7][0] == "submitted" else 1,
                                   x[1][7][1] if x[1][7] and x[1][7][0] == "submitted" else "",
                                   x[1][4] or "9999", x[1][2] or "", x[0].id, x[1][0].number))
        return picked

    return _cache(app).derive(s, "queue", None, compute)


def approval_queue(app: App, who: Principal, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """The township's queue: township-side steps (备案, 培训, 预审, 谈话, 审批, 宣誓) whose
    prerequisites are done, in the branches the user records township steps for; oldest due first.
    `limit`/`offset` page it: only the page's items are built (names read for those only)."""
    picked = _queue_live(app, who)
    end = None if limit is None else offset + limit
    return _build(app, picked[offset:end])


def queue_page(app: App, who: Principal, limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """(total, the page's items) of the approval queue."""
    picked = _queue_live(app, who)
    return len(picked), _build(app, picked[offset:offset + limit])


def queue_size(app: App, who: Principal) -> int:
    return len(_queue_live(app, who))


def review_items(app: App, who: Principal) -> dict[str, list[dict[str, Any]]]:
    """The branch side's part of the review loop, over the user's branches: {returned (被退回, newest
    first), unsent (ready to send up), submitted (waiting for the committee)}."""
    s = _scope(app, who.scope("branch"), "township")
    if s is None:
        return {"returned": [], "unsent": [], "submitted": []}

    def compute():
        return [(r, st, b) for r, steps, b in s.members.values() for st in steps
                if st[7] is not None and (st[7][0] == "returned" or not st[6])]

    items = _build(app, _cache(app).derive(s, "review", None, compute))
    out = {k: [i for i in items if i["review"] == k] for k in ("returned", "unsent", "submitted")}
    out["returned"].sort(key=lambda i: (i["review_on"] or "", i["candidate_id"]), reverse=True)
    for k in ("unsent", "submitted"):
        out[k].sort(key=lambda i: (i["due"] or "9999", i["review_on"] or "", i["candidate_id"]))
    return out


def candidates_by_stage(app: App, branch_ids: list[int] | None, *, stage: str | None = None,
                        branch: int | None = None, name: str | None = None, limit: int | None = None,
                        offset: int = 0) -> list[dict[str, Any]]:
    """[{stage, stage_name, total, candidates: [{id, name, branch, applied_on, late}]}] in process
    order, end states last; candidates by id.

    Paged in SQL, in one read transaction: the stages' counts and first ids from one GROUP BY over
    the `candidate` (branch_id, stage) index, then each shown stage's page of ids (ORDER BY id,
    LIMIT/OFFSET) and the states and names of those rows only. A county's first visit used to load
    every one of its 100k candidates' states into a per-process listing (1.9 s, issue 19).
    `stage` keeps one group, `branch` one branch's candidates (within `branch_ids`), `name` those
    whose name contains it (LIKE wildcards in it taken literally); `total` counts a group's matches
    and `candidates` holds rows offset..offset+limit of them (all with no limit). A group's name
    is the stage's in the definition of its first candidate, the order that of the first
    candidate's known definition (unknown stages last, by first candidate); a group with no
    match is left out unless `stage` asked for it.
    """
    if branch_ids is not None and not branch_ids:
        return []
    from sqlalchemy import func, select

    from storage.tables import candidate, person

    c = candidate.c
    with _read(app) as uow:
        conn = uow.connection
        scope = [] if branch_ids is None else [_branch_scope(conn, branch_ids)]
        if stage is not None:
            scope.append(c.stage == stage)
        wanted = list(scope)
        if branch is not None:  # the column follows the state's branch on every write (casework._persist)
            wanted.append(c.branch_id == branch)
        if name:
            wanted.append(c.person_id.in_(select(person.c.id).where(person.c.name.contains(name, autoescape=True))))
        firsts = {st: (n, first) for st, n, first in conn.execute(
            select(c.stage, func.count(), func.min(c.id)).where(*scope).group_by(c.stage))}
        if not firsts:
            return []
        skeleton = _stage_skeleton(app, conn, scope, firsts)
        end = None if limit is None else offset + limit
        if name:  # the matches by name, once (a name's candidates: through the person_id index)
            matched: dict[str, list[int]] = {}
            for cid, st in conn.execute(select(c.id, c.stage).where(*wanted).order_by(c.id)):
                matched.setdefault(st, []).append(cid)
            totals = {st: len(ids) for st, ids in matched.items()}
        else:
            totals = ({st: n for st, (n, _f) in firsts.items()} if branch is None else
                      dict(conn.execute(select(c.stage, func.count()).where(*wanted).group_by(c.stage)).all()))
        groups = [(st, label, totals.get(st, 0)) for st, label in skeleton if totals.get(st, 0) or stage is not None]
        pages: dict[str, list[int]] = {}
        for st, _label, total in groups:
            if name:
                pages[st] = matched.get(st, [])[offset:end]
            elif total > offset and limit != 0:
                # past the first page, ORDER BY id + 0: the ids then come from the (branch_id, stage)
                # index and are sorted, where SQLite would walk the whole table in id order for a
                # county's long IN list, at a cost growing with the offset (0.1 s at page 500)
                order = c.id if not offset else c.id + 0
                pages[st] = list(conn.scalars(select(c.id).where(*wanted, c.stage == st).order_by(order)
                                              .limit(limit).offset(offset or None)))
        shown = [i for ids in pages.values() for i in ids]
        rows = {}
        for i in range(0, len(shown), 500):
            rows.update((r[0], r) for r in conn.execute(select(c.id, c.person_id, c.branch_id, c.applied_on, c.state)
                                                         .where(c.id.in_(shown[i:i + 500]))))
        people = uow.people.by_ids({r[1] for r in rows.values()})
    listed = {i: _list_entry(rows[i]) for i in shown if i in rows}
    orgs = _org_names(app, {e[1] for e in listed.values()})
    return [{"stage": st, "stage_name": label, "total": total, "candidates": [
        {"id": i, "name": people[rows[i][1]].name if rows[i][1] in people else "",
         "branch": orgs.get(listed[i][1], str(listed[i][1])), "applied_on": rows[i][3].isoformat(), "late": listed[i][0]}
        for i in pages.get(st, ()) if i in listed]} for st, label, total in groups]


LONG_SCOPE = 100  # branches in scope above which "all of them" is checked for (a short list costs little)


def _branch_scope(conn, branch_ids: list[int]):
    """`candidate.branch_id IN` the branches: as a subquery of every branch when they are all of
    them (a county that is the whole deployment), which SQLAlchemy renders without one bound
    parameter per branch — 2,778 of them, rendered again for each of the page's ten statements,
    were half of a county's /candidates at 100k."""
    from sqlalchemy import select

    from storage.tables import candidate, organisation

    o = organisation.c
    every = select(o.id).where(o.level == "branch")
    if len(branch_ids) > LONG_SCOPE and set(branch_ids) == _every_branch(conn):
        return candidate.c.branch_id.in_(every)
    return candidate.c.branch_id.in_(branch_ids)


_EVERY_BRANCH: "weakref.WeakKeyDictionary[Any, tuple[tuple, frozenset[int]]]" = weakref.WeakKeyDictionary()  # engine ->


def _every_branch(conn) -> frozenset[int]:
    """Every branch's id, kept per engine while the branches' (count, highest id, sum of ids) stay
    the same: one one-row aggregate instead of reading ~28,000 ids on each county page (issue 19).
    Ids only grow, so a branch added, removed or re-levelled moves at least one of the three."""
    from sqlalchemy import func, select

    from storage.tables import organisation

    o = organisation.c
    fp = tuple(conn.execute(select(func.count(), func.max(o.id), func.sum(o.id)).where(o.level == "branch")).one())
    got = _EVERY_BRANCH.get(conn.engine)
    if got is not None and got[0] == fp:
        return got[1]
    ids = frozenset(conn.scalars(select(o.id).where(o.level == "branch")))
    _EVERY_BRANCH[conn.engine] = (fp, ids)
    return ids


def _list_entry(row) -> tuple[int, int]:
    """(late steps, the state's branch, else the row's) of a (id, person_id, branch_id, applied_on, state) row."""
    state = row[4] or {}
    return len(state.get("late") or ()), state.get("branch_id") or row[2]


def _stage_skeleton(app: App, conn, scope: list, firsts: dict[str, tuple[int, int]]) -> list[tuple[str, str]]:
    """[(stage, name)] of the stages in `firsts` ({stage: (count, first id)}): each named as in its
    first candidate's definition, ordered as the stages of the first candidate whose definition is
    known (the lowest id), unknown stages last by first candidate."""
    from sqlalchemy import func, select

    from storage.tables import candidate

    c = candidate.c
    keys = dict(conn.execute(select(c.id, c.definition_key).where(c.id.in_([f for _n, f in firsts.values()]))).all())
    by_first = sorted(firsts, key=lambda st: firsts[st][1])
    defns = {st: _definition(app, keys[firsts[st][1]]) if firsts[st][1] in keys else None for st in by_first}
    leader = next((defns[st] for st in by_first if defns[st] is not None), None)
    if leader is None or any(d is None for d in defns.values()):
        # a candidate of an unknown definition comes first in some stage: the first known one
        # overall may lie inside a stage (a scan of the scope's rows; only with unknown definitions)
        known = sorted((first, key) for key, first in conn.execute(
            select(c.definition_key, func.min(c.id)).where(*scope).group_by(c.definition_key))
            if _definition(app, key) is not None)
        leader = _definition(app, known[0][1]) if known else None
    order = {s.id: i for i, s in enumerate((*leader.stages, *leader.end_states))} if leader is not None else {}
    return [(st, stage_name(defns[st], st)) for st in sorted(by_first, key=lambda st: order.get(st, 99))]


def branches_named(app: App, readable, text: str, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(how many, the first `limit` by code as [{id, name}]) of the branches that `readable(id)`
    allows whose name contains `text` (wildcards taken literally), or just the one named exactly
    `text` if there is one: a county's filter finds a branch by name instead of choosing among
    ~28,000 (issue 19)."""
    from sqlalchemy import select

    from storage.tables import organisation

    o = organisation.c
    with _read(app) as uow:
        rows = uow.connection.execute(select(o.id, o.name).where(
            o.level == "branch", o.name.contains(text, autoescape=True)).order_by(o.code)).all()
    found = [{"id": i, "name": name} for i, name in rows if readable(i)]
    exact = [b for b in found if b["name"] == text]
    if len(exact) == 1:  # a branch named exactly so is the one meant, though others contain its name
        return 1, exact
    return len(found), found[:limit]


def branch_name(app: App, branch_id: int) -> str | None:
    """The name of the branch `branch_id`, or None when it is not a branch."""
    with _read(app) as uow:
        got = uow.orgs.branches_among([branch_id])
    return got[0][2] if got else None


def stage_counts(app: App, branch_ids: list[int] | None) -> list[dict[str, Any]]:
    """[{stage, stage_name, count}] of the branches' candidates (None: all), in process order, end
    states last: one GROUP BY that reads only the (branch_id, stage) index, for a home page that
    would otherwise list every candidate of a county (5.8 s of server time for 100k, issue 19)."""
    if branch_ids is not None and not branch_ids:
        return []
    from sqlalchemy import func, select

    from storage.tables import candidate

    c = candidate.c
    counts: dict[str, int] = {}
    with _read(app) as uow:
        conn = uow.connection
        if branch_ids is None or len(branch_ids) > LONG_SCOPE:
            # one row a stage: a whole county's (branch, stage) pairs were ~250,000 rows to fetch
            # and add up in Python at 1 M candidates (0.3 s of server CPU, issue 19)
            stmt = select(c.stage, func.count()).group_by(c.stage)
            if branch_ids is not None:
                stmt = stmt.where(_branch_scope(conn, branch_ids))
        else:  # a few branches: the (branch_id, stage) index's order, no sort
            stmt = select(c.stage, func.count()).where(c.branch_id.in_(branch_ids)).group_by(c.branch_id, c.stage)
        for stage, n in conn.execute(stmt):
            counts[stage] = counts.get(stage, 0) + n
    order: dict[str, int] = {}
    defn_of: dict[str, Definition] = {}
    for d in app.registry.definitions():  # a stage's name and place from the first definition knowing it
        for i, st in enumerate((*d.stages, *d.end_states)):
            order.setdefault(st.id, i)
            defn_of.setdefault(st.id, d)
    return [{"stage": st, "stage_name": stage_name(defn_of.get(st), st), "count": counts[st]}
            for st in sorted(counts, key=lambda st: (order.get(st, 99), st))]


def step_table(app: App, candidate_id: int) -> dict[str, Any]:
    """`show_candidate` plus `steps`: every step of the definition with its status.

    Step: {number, id, name, actor_name, side, status, date, late, earliest, earliest_text, due,
    due_text, reason, citation}; status is done | open | waiting | blocked | pending | ended.
    open: can be recorded today; waiting: its clock runs but a prerequisite is missing; blocked: not
    before its earliest date (reason names the rule and article); pending: prerequisites missing.
    """
    view = show_candidate(app, candidate_id)
    today = app.today().isoformat()
    defn = app.definition(view["candidate"]["definition_key"])
    with _read(app) as uow:
        state = CandidateState.from_dict(uow.candidates.get(candidate_id).state)
    proc = process_for(defn)
    ended = state.stage in proc.end_states
    next_by_step = {n["step"]: n for n in view["next_steps"]}
    steps = []
    for s in defn.steps:
        n = next_by_step.get(s.id)
        item = {"number": s.number, "id": s.id, "name": s.name, "actor": s.actor,
                "actor_name": defn.roles.get(s.actor, s.actor), "side": step_side(s.actor),
                "date": state.done[s.id].isoformat() if s.id in state.done else None,
                "late": s.id in state.late, "earliest": None, "earliest_text": None, "due": None, "due_text": None,
                "reason": None, "citation": citation_label(s) if s.citation.article else "", "repeatable": s.repeatable}
        if n is not None:
            due = n.get("due") or n.get("recurring")
            if due:
                item["due"], item["due_text"] = due["date"], f"{due['text']}（{due['citation']}）"
            if n.get("earliest"):
                e = n["earliest"]
                item["earliest"], item["earliest_text"] = e["date"], f"{e['text']}（{e['citation']}）"
        if s.id in state.done and not (s.repeatable and n is not None):
            item["status"] = "done"
        elif ended:
            item["status"] = "ended"
            item["reason"] = f"流程已结束（{view['candidate']['stage_name']}）"
        elif n is None:
            item["status"] = "pending"
            missing = [defn.step(x).name for x in s.requires if x not in state.done]
            item["reason"] = ("须先完成：" + "、".join(missing)) if missing else "当前阶段不能办理"
        elif n["waiting_for"]:
            item["status"] = "waiting"
            item["reason"] = "须先完成：" + "、".join(n["waiting_for_names"])
        elif s.id in state.returned:  # the review loop: back with the branch until it sends it again
            item["status"] = "waiting"
            item["reason"] = f"已于 {state.returned[s.id]} 退回党支部，须等党支部重新报送"
            item["returned"] = True
        elif item["earliest"] and item["earliest"] > today:
            item["status"] = "blocked"
            item["reason"] = f"最早可于 {item['earliest']} 办理：{item['earliest_text']}"
        else:
            item["status"] = "open"
        steps.append(item)
    view["steps"] = steps
    return view
