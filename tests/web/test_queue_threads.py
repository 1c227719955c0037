"""The queue page's review threads read together (issue 19): two queries for the page's items
instead of two per item, the same threads as read one candidate at a time, and as many
statements for 30 items as for 5 (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest

from bench.review_threads import counted_statements
from services.accounts.access import principal_for
from services.casework.candidates import load_history
from services.review import approve, branch_review, return_to_branch, review_thread, submit
from services.review.thread import _thread, review_threads
from services.casework.user_commands import record_step
from services.worklist.reads import queue_page
from tests.web.web_support import new_candidate

# what the world's `review` candidate went through: the next step is 上级党委预审 (pre_review)
TO_PRE_REVIEW = [("first_talk", date(2024, 3, 20)), ("activist_selection", date(2024, 4, 1)),
                 ("activist_filing", date(2024, 4, 10)), ("mentors_assigned", date(2024, 4, 10)),
                 ("cultivation", date(2024, 10, 1)), ("cultivation", date(2025, 4, 1)),
                 ("target_selection", date(2025, 4, 20)), ("target_filing", date(2025, 4, 25)),
                 ("sponsors", date(2025, 4, 25)), ("political_review", date(2025, 6, 1)),
                 ("training", date(2025, 6, 10)), ("committee_review", date(2025, 7, 1))]
PASSED = {"result": "合格", "passed": True}


@pytest.fixture
def people(app, users):
    return {k: principal_for(app, u["id"]) for k, u in users.items()}


def _ready(app, world, n: int, first: int = 0) -> list[int]:
    return [new_candidate(app, world, f"对象{first + i}", date(2024, 3, 1), TO_PRE_REVIEW) for i in range(n)]


def _one_at_a_time(app, ids) -> dict[int, list]:
    """The threads as the candidate's row and log repositories read them, one candidate each."""
    out = {}
    for cid in ids:
        with app.uow(read_only=True) as uow:
            row = uow.candidates.get(cid)
            if row is not None:
                out[cid] = _thread(app, row.state, load_history(uow, cid))
    return out


def test_the_page_threads_are_those_read_one_at_a_time(app, world, people):
    sec, town = people["sec"], people["town"]
    resubmitted, returned, approved, unsent = [world.review, *_ready(app, world, 3)]
    day = app.today()
    # 报送 → 退回 (reopening 政治审查 and so 支部委员会审查) → redo → 再报送
    submit(app, sec, resubmitted, "pre_review", note="请预审")
    return_to_branch(app, town, resubmitted, "pre_review", reason="缺少直系亲属证明", reopen=("political_review",))
    record_step(app, sec, resubmitted, "political_review", occurred_on=day,
                evidence={"contents": "本人及直系亲属", "conclusion": "政审-2", "passed": True}, expected_version=None)
    record_step(app, sec, resubmitted, "committee_review", occurred_on=day, evidence={"opinion": "同意报预审"},
                expected_version=None)
    submit(app, sec, resubmitted, "pre_review", note="已补充")
    submit(app, sec, returned, "pre_review")
    return_to_branch(app, town, returned, "pre_review", reason="培训证明不清楚")
    submit(app, sec, approved, "pre_review")
    approve(app, town, approved, "pre_review", occurred_on=day, evidence=PASSED, opinion="同意", doc_no="南组预〔2026〕1号")

    ids = [unsent, 999_999, resubmitted, returned, world.fresh, approved, resubmitted]  # unknown, repeated
    batched = review_threads(app, ids)
    assert list(batched) == [unsent, resubmitted, returned, world.fresh, approved]  # order kept, unknown left out
    assert batched == _one_at_a_time(app, ids)
    thread = next(t for t in batched[resubmitted] if t["step"] == "pre_review")
    assert (thread["status"], [e["kind"] for e in thread["entries"]]) == ("submitted", ["submit", "return", "submit"])
    assert thread["entries"][1]["reopened"] == ["政治审查", "支部委员会审查"] and thread["reopenable"]
    assert next(t for t in batched[returned] if t["step"] == "pre_review")["status"] == "returned"
    assert next(t for t in batched[approved] if t["step"] == "pre_review")["entries"][-1]["kind"] == "approve"
    assert review_thread(app, resubmitted) == batched[resubmitted]
    # the queue's own items, as the page asks for them
    items = queue_page(app, town, 50)[1]
    page_ids = [i["candidate_id"] for i in items if i["review"] in ("submitted", "unsent")]
    assert {resubmitted, unsent} <= set(page_ids)
    assert review_threads(app, page_ids) == _one_at_a_time(app, page_ids)
    # the branch's 被退回 carries the reason of the latest return, read from the logs together
    back = {i["candidate_id"]: i["reason"] for i in branch_review(app, sec)["returned"]}
    assert back == {returned: "培训证明不清楚"}


def _queue_statements(app, town) -> tuple[int, int]:
    """(items with a thread, statements of a warm queue request: the page and its threads)."""
    queue_page(app, town, 50)  # the queue's cache filled after the writes
    with counted_statements(app) as seen:
        items = queue_page(app, town, 50)[1]
        ids = [i["candidate_id"] for i in items if i["review"] in ("submitted", "unsent")]
        review_threads(app, ids)
    return len(ids), seen[0]


def test_the_statements_do_not_grow_with_the_items(app, world, people):
    sec, town = people["sec"], people["town"]
    ids = [world.review, *_ready(app, world, 3)]  # and the world's activist (积极分子备案): 5 items
    for cid in ids[::2]:
        submit(app, sec, cid, "pre_review")
    few, few_statements = _queue_statements(app, town)
    more = _ready(app, world, 25, first=3)
    for cid in more[::2]:
        submit(app, sec, cid, "pre_review")
    many, many_statements = _queue_statements(app, town)
    assert (few, many) == (5, 30)
    assert many_statements == few_statements
    with counted_statements(app) as seen:
        threads = review_threads(app, ids + more)
    assert len(threads) == 29 and seen[0] == 2  # the candidates' states, their logs
