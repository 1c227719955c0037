"""services/worklist.py reads live candidates by (branch_id, stage) and keeps each one's open steps
per (candidate, version): the answers must equal a computation from scratch (the engine's outlook
over every candidate), also right after a write and after a holiday year is loaded."""
from __future__ import annotations

from datetime import date

from engine import CandidateState, outlook, process_for
from services.access import principal_for, step_side
from services.candidates import complete_step
from services.sample_evidence import sample_evidence
from services.worklist import approval_queue, week


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
    from services.worklist import _cache

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
