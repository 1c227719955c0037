"""The demo township's extensions under cpc_2014@2 (services/demo/resolutions.py), on SQLite and
PostgreSQL: one approved by the township (probation end moved), one refused (probation as before,
step 23 open again), one waiting in the township's queue — and `verify` finds everything consistent."""
from __future__ import annotations

from engine import CandidateState, outlook, process_for
from engine.calendar import add_months
from engine.review import REVIEW_KEY
from engine.timing import anchor_date
from services.accounts.access import principal_for
from services.demo import run_demo
from services.demo.accounts import create_demo_accounts
from services.demo.resolutions import STORIES
from services.integrity.verify import verify
from services.worklist.reads import approval_queue


def _story_states(app, result):
    out = {}
    with app.uow(read_only=True) as uow:
        for cid, info in result["info"].items():
            story = STORIES.get(info["index"])
            if story is not None:
                row = uow.candidates.get(cid)
                out.setdefault(story, []).append((cid, CandidateState.from_dict(row.state),
                                                  uow.events.list_for(cid)))
    return out


def _open(app, state):
    return {o.step.id for o in outlook(process_for(app.definition(state.definition_key)), state, app.calendar)
            if not o.waiting_for}


def test_the_demo_shows_approved_refused_and_pending_extensions(app):
    result = run_demo(app)
    assert verify(app).ok
    stories = _story_states(app, result)

    # approved: the extension took effect on the township's approval; one is still probationary
    approved = stories["approved"]
    assert len(approved) == 2
    for cid, s, events in approved:
        assert s.definition_key == "cpc_2014@3" and (s.extensions, s.extension_months) == (1, 6)
        approval = next(e for e in events if e.kind == "step" and e.step == "conversion_approval")
        assert approval.evidence["approved"] is True and s.extended_on == approval.occurred_on
        assert approval.evidence[REVIEW_KEY]["opinion"]  # through the review loop (审批意见)
    still = [s for _c, s, _e in approved if s.stage == "probationary"]
    assert len(still) >= 1  # cpc_2014@3: the new application waits for a week before the moved 预备期满
    proc = process_for(app.definition("cpc_2014@3"))
    before = still[0].copy()
    before.extension_months = 0
    assert anchor_date(proc, still[0], "probation_end") == add_months(anchor_date(proc, before, "probation_end"), 6)

    # refused: no extension, the branch meeting must decide again
    [(cid, s, events)] = stories["refused"]
    assert (s.stage, s.extensions, s.extended_on, s.pending) == ("probationary", 0, None, None)
    refusal = [e for e in events if e.step == "conversion_approval" and e.kind == "step"]
    assert [e.evidence["approved"] for e in refusal] == [False]
    assert "conversion_meeting" not in s.done and "conversion_meeting" in _open(app, s)

    # pending: in the township's queue (待审批), probation not yet moved
    [(cid, s, _events)] = stories["pending"]
    assert s.pending is not None and (s.pending.decision, s.pending.months) == ("extend", 6)
    assert s.extensions == 0 and "conversion_approval" in _open(app, s)
    accounts = {u: r for u, _p, r, _o in create_demo_accounts(app, result["town"])}
    assert "zuzhi" in accounts
    with app.uow(read_only=True) as uow:
        user = uow.users.by_username("zuzhi")
    queue = approval_queue(app, principal_for(app, user.id))
    assert (cid, "conversion_approval") in {(i["candidate_id"], i["step"]) for i in queue}
