"""services/worklist/reads.py keeps each scope's live candidates and their open steps per process and patches
them from the event log (services/worklist/cache.py): the answers must equal a computation from
scratch (the engine's outlook over every candidate) — right after a write, a write by another
process (another App on the same database), a transfer, an import and its undo, a holiday year
loaded, and, on PostgreSQL, a transaction that commits after a later one with a smaller event id."""
from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import text

from engine import CandidateState, outlook, process_for
from services.ledger import intake as ledger
from services.accounts.access import principal_for, step_side
from services.app import App
from services.casework.candidates import complete_step, exceptional
from services.demo.sample_evidence import sample_evidence
from services.worklist.reads import _cache, approval_queue, week
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from workflows.registry import Registry


def _reference(app, branch_ids, side):
    """(candidate, step, due, earliest, waiting) of every open step, straight from the engine."""
    out = set()
    with app.uow(read_only=True) as uow:
        rows = uow.candidates.list(branch_ids, None, limit=None)
    for r in rows:
        state = CandidateState.from_dict(r.state)
        for o in outlook(process_for(app.definition(state.definition_key)), state, app.calendar):
            if step_side(o.step.actor) == side:
                due = o.due or o.recurring
                out.add((r.id, o.step.id, due.date.isoformat() if due else None,
                         o.earliest.date.isoformat() if o.earliest else None, bool(o.waiting_for)))
    return out


def _queue_keys(items):
    return {(i["candidate_id"], i["step"], i["due"], i["earliest"], bool(i["waiting_for_names"])) for i in items}


def test_cached_answers_equal_a_fresh_computation(app, world, users):
    town = principal_for(app, users["town"]["id"])
    sec = principal_for(app, users["sec"]["id"])
    ref = {x for x in _reference(app, town.scope("township"), "township") if not x[4]}
    assert _queue_keys(approval_queue(app, town)) == ref and ref
    assert _queue_keys(approval_queue(app, town)) == ref  # second call: from the cache

    # a write moves the candidate's version: its new open steps are seen at once
    complete_step(app, world.review, "pre_review", occurred_on=date(2026, 11, 20), actor="测试",
                  evidence=sample_evidence("pre_review", date(2026, 11, 20), cal=app.calendar))
    ref2 = {x for x in _reference(app, town.scope("township"), "township") if not x[4]}
    assert ref2 != ref and _queue_keys(approval_queue(app, town)) == ref2

    w = week(app, sec)
    shown = {(i["candidate_id"], i["step"]) for k in ("overdue", "due_soon", "possible") for i in w[k]}
    horizon = "2026-12-02"
    expected = {(c, s) for c, s, due, earliest, waiting in _reference(app, sec.scope("branch"), "branch")
                if (due and due <= horizon) or (not waiting and (earliest is None or earliest <= horizon))}
    assert shown == expected and shown


def test_other_holiday_years_drop_the_cache_and_an_equal_reread_keeps_it(app, world, users):
    import time

    from engine.calendar import WorkdayCalendar, YearSchedule

    sec = principal_for(app, users["sec"]["id"])
    week(app, sec)
    cache = _cache(app)
    entries = dict(cache.data)
    assert entries
    # the same years read again (a new calendar object after calendar_ttl): entries kept
    app._calendar, app._calendar_read_at = WorkdayCalendar(), time.monotonic()
    week(app, sec)
    assert all(cache.data[k] is v for k, v in entries.items())
    # a year loaded elsewhere: recomputed against the new calendar, equal to a fresh computation
    app._calendar = WorkdayCalendar([YearSchedule(2026, frozenset({date(2026, 11, 30), date(2026, 12, 1)}))])
    w = week(app, sec)
    assert not any(cache.data.get(k) is v for k, v in entries.items())
    shown = {(i["candidate_id"], i["step"], i["due"]) for k in ("overdue", "due_soon", "possible") for i in w[k]}
    ref = {(c, s, due) for c, s, due, _e, _w in _reference(app, sec.scope("branch"), "branch")}
    assert shown <= ref


def _town_ref(app, town):
    return {x for x in _reference(app, town.scope("township"), "township") if not x[4]}


def _week_keys(w):
    return {(i["candidate_id"], i["step"], i["due"]) for k in ("overdue", "due_soon", "possible") for i in w[k]}


def _week_ref(app, sec, horizon="2026-12-02"):
    return {(c, s, due) for c, s, due, earliest, waiting in _reference(app, sec.scope("branch"), "branch")
            if (due and due <= horizon) or (not waiting and (earliest is None or earliest <= horizon))}


def _other_app(app):
    other = App.open(str(app.engine.url.render_as_string(hide_password=False)), migrate=False)
    other.clock = app.clock
    return other


def test_a_step_by_another_process_shows_in_the_next_request(app, world, users):
    town = principal_for(app, users["town"]["id"])
    sec = principal_for(app, users["sec"]["id"])
    assert _queue_keys(approval_queue(app, town)) == _town_ref(app, town)
    assert _week_keys(week(app, sec)) == _week_ref(app, sec)
    before = {(i["candidate_id"], i["step"]) for i in approval_queue(app, town)}
    assert (world.review, "pre_review") in before

    other = _other_app(app)  # its own engine and caches: nothing tells this process's cache
    try:
        complete_step(other, world.review, "pre_review", occurred_on=date(2026, 11, 20), actor="测试",
                      evidence=sample_evidence("pre_review", date(2026, 11, 20), cal=other.calendar))
        complete_step(other, world.fresh, "first_talk", occurred_on=date(2026, 11, 21), actor="测试",
                      evidence=sample_evidence("first_talk", date(2026, 11, 21), cal=other.calendar))
    finally:
        other.close()
    after = _queue_keys(approval_queue(app, town))
    assert after == _town_ref(app, town) and (world.review, "pre_review") not in {(c, s) for c, s, *_ in after}
    assert _week_keys(week(app, sec)) == _week_ref(app, sec)
    assert not any(c == world.fresh and s == "first_talk" for c, s, _d in _week_keys(week(app, sec)))
    # the versions shown are the current ones (forms post them back as the optimistic lock)
    shown = {(i["candidate_id"], i["version"]) for i in week(app, sec)["overdue"] + week(app, sec)["possible"]}
    with app.uow(read_only=True) as uow:
        assert shown and all(uow.candidates.get(c).version == v for c, v in shown)
    assert any(c == world.review for c, _v in shown)


def test_a_transfer_moves_the_candidate_between_scopes(app, world, users):
    town = principal_for(app, users["town"]["id"])
    sec = principal_for(app, users["sec"]["id"])
    week(app, sec), approval_queue(app, town)  # both scopes loaded
    assert any(i["candidate_id"] == world.activist for k in ("overdue", "due_soon", "possible")
               for i in week(app, sec)[k])

    # b1 -> b2 (same township): gone from the b1 secretary's week, still in the township's queue under b2
    exceptional(app, world.activist, "transfer", occurred_on=date(2026, 11, 20), actor="测试", reason="迁居",
                to_branch_id=world.b2)
    w = week(app, sec)
    assert not any(i["candidate_id"] == world.activist for k in ("overdue", "due_soon", "possible") for i in w[k])
    assert _week_keys(w) == _week_ref(app, sec)
    q = approval_queue(app, town)
    assert _queue_keys(q) == _town_ref(app, town)
    assert {i["branch_id"] for i in q if i["candidate_id"] == world.activist} == {world.b2}

    # b2 -> b3 (another township): out of this township's queue
    exceptional(app, world.activist, "transfer", occurred_on=date(2026, 11, 22), actor="测试", reason="迁居",
                to_branch_id=world.b3)
    q = approval_queue(app, town)
    assert world.activist not in {i["candidate_id"] for i in q} and _queue_keys(q) == _town_ref(app, town)


def test_an_import_appears_and_its_undo_removes_it(app, world, users, tmp_path):
    town = principal_for(app, users["town"]["id"])
    sec = principal_for(app, users["sec"]["id"])
    before_q, before_w = _queue_keys(approval_queue(app, town)), _week_keys(week(app, sec))
    d, layout = Registry.default().get("cpc_2014@2"), township_layout(app)  # layout: cpc_2026@2 on the test clock
    path = write_ledger(tmp_path / "台账.xlsx", layout, [
        ledger_row(layout, name="导入甲", branch="贺丰村党支部", steps=clean_path(d, date(2024, 3, 1), until="committee_review")),
        ledger_row(layout, name="导入乙", branch="东王村党支部", steps=clean_path(layout, date(2026, 6, 1), until="first_talk")),
    ])
    res = ledger.confirm(app, path, "t")
    q, w = _queue_keys(approval_queue(app, town)), _week_keys(week(app, sec))
    assert q == _town_ref(app, town) and q > before_q  # the imported candidates arrive through their events
    assert w == _week_ref(app, sec)

    ledger.undo(app, res["import_id"])  # deletes candidates and events: no event tells the feed
    assert _queue_keys(approval_queue(app, town)) == before_q == _town_ref(app, town)
    assert _week_keys(week(app, sec)) == before_w == _week_ref(app, sec)


def _settle(app, town, feed, timeout: float = 120.0) -> None:
    """Read until the feed's floor has caught up with every id it has seen: it moves once every
    transaction running at its last checkpoint has ended, which another session of the database
    (autovacuum's ANALYZE, say) may delay on a loaded machine — a condition waited on, no timing."""
    deadline = time.monotonic() + timeout
    while feed.floor != feed.top and time.monotonic() < deadline:
        approval_queue(app, town)
        threading.Event().wait(0.05)


def test_postgresql_an_earlier_id_committed_later_is_not_missed(app, world, users, monkeypatch):
    """Transaction A draws event id N and is held before it commits; B draws N+1 and commits; a
    request sees N+1 only and the feed's floor stays below it. When A commits, the next request
    must still see A's change, and the feed then settles."""
    if app.engine.dialect.name != "postgresql":
        import pytest
        pytest.skip("SQLite: one writer, ids in commit order")
    from storage.repositories.deadlines import DeadlineRepo

    town = principal_for(app, users["town"]["id"])
    approval_queue(app, town)
    drawn, release = threading.Event(), threading.Event()
    real_replace = DeadlineRepo.replace

    def replace(self, *a, **kw):  # runs right after the event insert, inside A's transaction
        if threading.current_thread().name == "writer-A":
            drawn.set()
            assert release.wait(120), "the test never released writer A"
        return real_replace(self, *a, **kw)

    monkeypatch.setattr(DeadlineRepo, "replace", replace)
    errors = []

    def slow():
        try:
            complete_step(app, world.review, "pre_review", occurred_on=date(2026, 11, 20), actor="甲",
                          evidence=sample_evidence("pre_review", date(2026, 11, 20), cal=app.calendar))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=slow, name="writer-A")
    t.start()
    try:
        assert drawn.wait(120), "writer A never reached its event insert"
        complete_step(app, world.activist, "activist_filing", occurred_on=date(2026, 11, 21), actor="乙",
                      evidence=sample_evidence("activist_filing", date(2026, 11, 21), cal=app.calendar))
        feed = _cache(app).feed
        q = _queue_keys(approval_queue(app, town))  # sees B (id N+1) but not A (id N, uncommitted)
        assert q == _town_ref(app, town) and (world.review, "pre_review") in {(c, s) for c, s, *_ in q}
        assert feed.floor < feed.top  # the floor may not pass N+1 while A is running
        approval_queue(app, town)
        assert feed.floor < feed.top  # however often it is read
    finally:
        release.set()
        t.join(120)
    assert not errors
    with app.engine.connect() as conn:
        last = dict(conn.execute(text("SELECT candidate_id, max(id) FROM event WHERE candidate_id IN (:a, :b) "
                                      "GROUP BY candidate_id"), {"a": world.review, "b": world.activist}).all())
    assert last[world.review] < last[world.activist]  # A's id is the smaller one, committed last
    q = _queue_keys(approval_queue(app, town))
    assert (world.review, "pre_review") not in {(c, s) for c, s, *_ in q} and q == _town_ref(app, town)
    _settle(app, town, feed)
    assert feed.floor == feed.top and not feed.seen and not feed.checkpoints  # settled


def test_a_burst_of_events_reloads_the_scopes(app, world, users, monkeypatch):
    """More new events than FEED_LIMIT in one read (a ledger import): scopes reloaded, not patched."""
    import services.worklist.cache as wc

    town = principal_for(app, users["town"]["id"])
    sec = principal_for(app, users["sec"]["id"])
    approval_queue(app, town), week(app, sec)
    monkeypatch.setattr(wc, "FEED_LIMIT", 1)
    complete_step(app, world.review, "pre_review", occurred_on=date(2026, 11, 20), actor="测试",
                  evidence=sample_evidence("pre_review", date(2026, 11, 20), cal=app.calendar))
    complete_step(app, world.fresh, "first_talk", occurred_on=date(2026, 11, 21), actor="测试",
                  evidence=sample_evidence("first_talk", date(2026, 11, 21), cal=app.calendar))
    assert _queue_keys(approval_queue(app, town)) == _town_ref(app, town)
    assert _week_keys(week(app, sec)) == _week_ref(app, sec)
    # the feed restarted at the newest event: a later single step is patched in again
    complete_step(app, world.activist, "activist_filing", occurred_on=date(2026, 11, 22), actor="测试",
                  evidence=sample_evidence("activist_filing", date(2026, 11, 22), cal=app.calendar))
    assert _queue_keys(approval_queue(app, town)) == _town_ref(app, town)


# ------------------------------------------------------------------ candidates by stage


def _by_stage_ref(app, branch_ids):
    """{stage: [(id, name, branch, applied_on, late)]}, every candidate read from scratch."""
    out: dict[str, list] = {}
    with app.uow(read_only=True) as uow:
        rows = uow.candidates.list(branch_ids, None, limit=None)
        people = uow.people.by_ids({r.person_id for r in rows})
        orgs = {o.id: o.name for o in uow.orgs.list()}
    for r in rows:
        state = CandidateState.from_dict(r.state)
        out.setdefault(r.stage, []).append((r.id, people[r.person_id].name, orgs[state.branch_id or r.branch_id],
                                            r.applied_on.isoformat(), len(state.late)))
    return out


def _by_stage(app, branch_ids):
    from services.worklist.reads import candidates_by_stage

    groups = candidates_by_stage(app, branch_ids)
    return {g["stage"]: [(c["id"], c["name"], c["branch"], c["applied_on"], c["late"]) for c in g["candidates"]]
            for g in groups}, [g["stage"] for g in groups]


def test_candidates_by_stage_follow_every_write(app, world, users):
    """The stages page reads the database on each request (paged in SQL): a step recorded here or
    by another process, a transfer and an import's undo show in the next request."""
    sec, town = world.b1, [world.b1, world.b2]
    got, order = _by_stage(app, [sec])
    assert got == _by_stage_ref(app, [sec])
    assert order == ["applicant", "activist", "development_target"]  # process order
    assert _by_stage(app, town)[0] == _by_stage_ref(app, town) and _by_stage(app, None)[0] == _by_stage_ref(app, None)

    # a step recorded late (the first talk was due 2026-11-01): the late count moves at once
    complete_step(app, world.fresh, "first_talk", occurred_on=date(2026, 11, 20), actor="测试",
                  evidence=sample_evidence("first_talk", date(2026, 11, 20), cal=app.calendar))
    got = _by_stage(app, [sec])[0]
    assert got == _by_stage_ref(app, [sec])
    assert [c for c in got["applicant"] if c[0] == world.fresh][0][4] == 1

    # a step by another process moves the candidate to the next stage in the next request
    other = _other_app(app)
    try:
        complete_step(other, world.fresh, "activist_selection", occurred_on=date(2026, 11, 21), actor="测试",
                      evidence=sample_evidence("activist_selection", date(2026, 11, 21), cal=other.calendar))
    finally:
        other.close()
    got = _by_stage(app, [sec])[0]
    assert "applicant" not in got and world.fresh in {c[0] for c in got["activist"]}
    assert got == _by_stage_ref(app, [sec]) and _by_stage(app, town)[0] == _by_stage_ref(app, town)

    # a transfer b1 -> b3 leaves b1's list and the township's, enters b3's
    exceptional(app, world.activist, "transfer", occurred_on=date(2026, 11, 22), actor="测试", reason="迁居",
                to_branch_id=world.b3)
    for scope in ([sec], town, [world.b3], None):
        assert _by_stage(app, scope)[0] == _by_stage_ref(app, scope), scope
    assert world.activist not in {c[0] for rows in _by_stage(app, town)[0].values() for c in rows}
    # the week page, read after all of it, has followed the same writes through the change feed
    w = week(app, principal_for(app, users["sec"]["id"]))
    assert _week_keys(w) == _week_ref(app, principal_for(app, users["sec"]["id"]))


def test_candidates_by_stage_of_every_branch_read_through_a_subquery(app, world, monkeypatch):
    """A scope that is every branch of the deployment (a county) is read as a subquery of the
    branches instead of one bound parameter per branch: the same groups as the list of ids."""
    import services.worklist.reads as reads

    monkeypatch.setattr(reads, "LONG_SCOPE", 0)
    every, some = [world.b1, world.b2, world.b3], [world.b1, world.b3]
    with app.uow(read_only=True) as uow:
        assert "SELECT" in str(reads._branch_scope(uow.connection, every))  # the subquery
        assert "SELECT" not in str(reads._branch_scope(uow.connection, some))
    for scope in (every, some):
        got, order = _by_stage(app, scope)
        assert got == _by_stage_ref(app, scope) and order[0] == "applicant", scope
    assert reads.candidates_by_stage(app, every, stage="activist", branch=world.b1)[0]["total"] == 1


def test_an_ended_candidate_stays_listed_and_an_undo_reloads(app, world, users, tmp_path):
    got = _by_stage(app, [world.b1])[0]
    exceptional(app, world.activist, "withdraw", occurred_on=date(2026, 11, 20), actor="测试", reason="本人申请撤回")
    got2, order = _by_stage(app, [world.b1])
    assert got2 == _by_stage_ref(app, [world.b1]) and got2 != got
    assert order[-1] == "withdrawn"  # end states last
    d, layout = Registry.default().get("cpc_2014@2"), township_layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", layout, [
        ledger_row(layout, name="导入甲", branch="贺丰村党支部", steps=clean_path(d, date(2024, 3, 1), until="committee_review"))])
    res = ledger.confirm(app, path, "t")
    assert "导入甲" in {c[1] for rows in _by_stage(app, [world.b1])[0].values() for c in rows}
    ledger.undo(app, res["import_id"])
    assert _by_stage(app, [world.b1])[0] == got2 == _by_stage_ref(app, [world.b1])
