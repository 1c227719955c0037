"""The demo township's extensions that wait for the township (党章第七条; cpc_2014@2 step 23 → 24).

Three probationary members of the demo show the resolution and its approval through the review
loop (services/review: the branch sends the resolution up, the township approves or refuses it):

- approved (two members): the branch meeting resolves to extend the probation 6 months, the
  township approves, and the probation end moves on the approval (one has since been converted
  after the extended probation, the other is still a probationary member on the demo's last day);
- refused: the township does not approve; the probation runs on as before and step 23 is open
  again for the branch meeting (which has not met again by the demo's last day);
- pending: the resolution is adopted shortly before the demo's last day and waits in the
  township's queue (待审批) for its approval. It is not sent up through the review loop (报送): a
  ledger cannot carry a 报送, and the demo township must survive the ledger's export → import
  round trip unchanged (tests/integration/test_ledger.py).

`record_step` is the demo's one way of recording a step (services/demo/township.py calls it): it returns
the use case's result, or None when the story holds the step back (nothing recorded).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from services.casework import candidates as uc
from services.demo.accounts import demo_actor
from services.review import commands as review
from services.demo.sample_evidence import sample_evidence

# candidate index in the demo (services/demo/township.py: the i-th applicant) -> story
STORIES = {4: "approved", 20: "approved", 29: "refused", 13: "pending"}
MEETING, APPROVAL = "conversion_meeting", "conversion_approval"
OPINIONS = {
    "approved": ("同意支部大会决议，延长预备期六个月", True),
    "refused": ("该同志预备期间表现符合转正条件，不同意延长预备期，请支部大会重新讨论", False),
}


def record_step(app, cid: int, step: str, on: date, info: dict[str, Any], evidence: dict, actor: str, log):
    """Record `step` for demo candidate `cid`, as its story says (None: held back, nothing recorded)."""
    story = STORIES.get(info.get("index"))
    if story is None or step not in (MEETING, APPROVAL) or info.get("decided") == "approved":
        return uc.complete_step(app, cid, step, occurred_on=on, actor=actor, evidence=evidence)
    if step == MEETING:
        if info.get("resolved"):
            return None  # refused: the branch meeting has not met again yet
        info["resolved"] = True
        evidence = {**evidence, "decision": "extend", "extension_months": 6}
        res = uc.complete_step(app, cid, step, occurred_on=on, actor=actor, evidence=evidence)
        if story != "pending":
            review.submit(app, None, cid, APPROVAL, occurred_on=on, actor=actor,
                          note="支部大会决议延长预备期六个月，报请审批")
            log.say(f"{on} 候选人{cid}：支部大会决议延长预备期六个月，已报乡党委审批")
        return res
    if story == "pending" or info.get("decided"):
        return None  # waits in the township's queue
    info["decided"] = story
    opinion, approved = OPINIONS[story]
    ev = {**sample_evidence(APPROVAL, on), "approved": approved}
    res = review.approve(app, None, cid, APPROVAL, occurred_on=on, evidence=ev, opinion=opinion,
                         doc_no=f"南党发〔{on.year}〕{cid}号", actor=demo_actor({}, None, "township"))
    log.say(f"{on} 候选人{cid}：乡党委{'批准' if approved else '不批准'}延长预备期")
    return res
