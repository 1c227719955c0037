"""`reopenable` kept per process, step and set of done steps (issue 19: a queue page asked for
~130 reopen closures): the kept answer is the one computed afresh, for every state along the
path and after returns that reopen steps, on each shipped definition version."""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine.process import process_for
from engine.review import HIGHER_ACTORS, _reopenable, apply_return, reopen_closure, reopenable
from tests.helpers import ORDER, TIMELINE, definition, walk


def _states(key: str):
    """The state before each step of the path, and each with one reopenable step returned."""
    defn = definition(key)
    proc = process_for(defn)
    for until in ORDER[1:]:
        if not defn.has_step(until):
            continue
        state = walk(until, defn)
        yield state
        for s in proc.definition.steps:
            if s.actor in HIGHER_ACTORS and s.id not in state.done:
                for r in _reopenable(proc, state, s.id)[:2]:
                    yield apply_return(state, s.id, TIMELINE[until], reopen_closure(proc, state, (r,)))


@pytest.mark.parametrize("key", ["cpc_2014@1", "cpc_2014@2"])
def test_the_kept_answer_is_the_computed_one(key):
    proc = process_for(definition(key))
    higher = [s.id for s in proc.definition.steps if s.actor in HIGHER_ACTORS]
    seen = set()
    for state in _states(key):
        for sid in higher:
            fresh = _reopenable(proc, state, sid)
            assert reopenable(proc, state, sid) == fresh
            assert reopenable(proc, state, sid) == fresh  # and again, from the memo
            seen.add(tuple(fresh))
    assert len(seen) > 2  # the states differ in what may be reopened: the memo told them apart


def test_the_done_dates_and_order_do_not_matter_but_the_set_does():
    defn = definition()
    proc = process_for(defn)
    state = walk("pre_review", defn)
    first = reopenable(proc, state, "pre_review")
    assert first and "political_review" in first
    first.append("mutated")  # the caller's copy: the memo is not changed through it
    shuffled = replace(state, done=dict(reversed([(k, TIMELINE["application"]) for k in state.done])))
    assert reopenable(proc, shuffled, "pre_review") == _reopenable(proc, state, "pre_review")
    fewer = replace(state, done={k: v for k, v in state.done.items() if k != "political_review"})
    assert reopenable(proc, fewer, "pre_review") == _reopenable(proc, fewer, "pre_review")
    assert "political_review" not in reopenable(proc, fewer, "pre_review")
