"""Plausible evidence for every step of the national definitions, for the demo, tests and bench.

Real users type their own; this only fills a simulated township with records that pass the rules
(a vote with quorum, a 5-working-day notice, two full-member sponsors…).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Sequence

from engine.calendar import WorkdayCalendar


def notice_window(before: date, cal: WorkdayCalendar, working_days: int = 5) -> tuple[date, date]:
    """A public notice that has ended before `before`, long enough for both 5 working days and the
    7-calendar-day local variant."""
    for back in range(8, 90):
        start = before - timedelta(days=back)
        end = max(cal.add_working_days(start, working_days).date, start + timedelta(days=6))
        if end < before:
            return start, end
    raise ValueError(before)


def sample_vote(members: int, *, passed: bool = True) -> dict[str, int]:
    """A quorate vote of a branch with `members` voting full members (≥ 1): a few absent, a clear
    majority for (`passed`) or a majority short of half of 应到 (not passed; needs ≥ 2 members)."""
    present = members - min(2, (members - 1) // 3)
    yes = min(present, members // 2 + 3) if passed else members // 2  # not passed: 2 × yes ≤ 应到
    no = min(1, present - yes) if passed else present - yes
    # every voter present votes: the rest abstain (engine/rules/vote.py warns on a short tally)
    return {"should_attend": members, "present": present, "yes": yes, "no": no, "abstain": present - yes - no,
            "written": 0}


def sample_evidence(
    step: str,
    on: date,
    *,
    mentors: Sequence[int] = (),
    sponsors: Sequence[int] = (),
    cal: WorkdayCalendar | None = None,
    members: int = 20,
    seq: int = 1,
) -> dict[str, Any]:
    """Evidence for `step` recorded on `on` that satisfies the 2014/2026 definitions; `members`:
    the branch's full members with voting rights (the vote's 应到)."""
    vote = sample_vote(members)
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "application": lambda: {},
        "first_talk": lambda: {"talker": "支部书记", "notes": "了解入党动机，进行党的基本知识教育"},
        "activist_selection": lambda: {"method": "党员推荐", "decision": "支委会研究确定"},
        "activist_filing": lambda: {"filing_no": f"备字〔{on.year}〕{seq}号"},
        "mentors_assigned": lambda: {"mentors": list(mentors)},
        "cultivation": lambda: {"assessment": "表现良好，按时递交思想汇报", "assessor": "培养联系人"},
        "target_selection": lambda: _target(on, cal),
        "target_filing": lambda: {"filing_no": f"备字〔{on.year}〕{seq}号"},
        "sponsors": lambda: {"sponsors": list(sponsors)},
        "political_review": lambda: {"contents": "政治态度、历史、遵纪守法、直系亲属", "conclusion": f"政审〔{on.year}〕{seq}号", "passed": True},
        "training": lambda: {"organiser": "乡党委", "days": 3, "hours": 24, "passed": True},
        "committee_review": lambda: {"opinion": "条件成熟，同意提交预审"},
        "pre_review": lambda: {"result": "预审合格", "passed": True, "form_no": f"志愿书〔{on.year}〕{seq}号"},
        "application_form": lambda: {"form_no": f"ZYS{on.year}{seq:05d}"},
        "admission_meeting": lambda: {"vote": vote, "resolution": "同意接收为预备党员"},
        "committee_talk": lambda: {"talker": "乡党委组织委员", "opinion": "入党动机端正"},
        "admission_approval": lambda: {"approved": True, "decision_vote": "党委会集体讨论，一致同意"},
        "admission_filing": lambda: {"filing_no": f"县备〔{on.year}〕{seq}号"},
        "branch_assignment": lambda: {"party_group": "第一党小组"},
        "oath": lambda: {"organiser": "乡党委"},
        "probation_education": lambda: {"assessment": "继续教育考察，表现良好"},
        "conversion_application": lambda: {"letter": f"转正申请{seq}"},
        "conversion_meeting": lambda: {"vote": vote, "decision": "convert"},
        "conversion_approval": lambda: {"approved": True},
        "archive": lambda: {"location": "乡党委档案室", "checklist": "志愿书、申请书、政审材料、转正申请书、培养考察材料"},
    }
    return builders[step]() if step in builders else {}


def _target(on: date, cal: WorkdayCalendar | None) -> dict[str, Any]:
    cal = cal or WorkdayCalendar()
    start, end = notice_window(on, cal)
    return {"opinions_heard": "听取党小组、培养联系人、党员和群众意见", "notice_start": start.isoformat(), "notice_end": end.isoformat()}
