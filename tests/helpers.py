"""Test helpers: walk a candidate through the engine with explicit dates (a passed-in clock)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from engine import CandidateState, CompleteStep, Context, PersonFacts, decide, register
from engine.calendar import WorkdayCalendar
from services.demo.sample_evidence import sample_evidence
from workflows.registry import Registry

TODAY = date(2026, 11, 25)
CAL = WorkdayCalendar()
MENTORS = (101, 102)
SPONSORS = (201, 202)
PEOPLE = {
    101: PersonFacts(101, "王培养", "full_member"),
    102: PersonFacts(102, "李培养", "full_member"),
    201: PersonFacts(201, "张介绍", "full_member"),
    202: PersonFacts(202, "赵介绍", "full_member"),
    301: PersonFacts(301, "钱预备", "probationary"),
    302: PersonFacts(302, "孙察看", "full_member", rights_suspended=True),
    303: PersonFacts(303, "周群众", "none"),
}

# A lawful default timeline (application in 2016, full member in 2018).
TIMELINE: dict[str, date] = {
    "application": date(2016, 3, 1),
    "first_talk": date(2016, 3, 15),
    "activist_selection": date(2016, 4, 11),
    "activist_filing": date(2016, 4, 20),
    "mentors_assigned": date(2016, 4, 20),
    "target_selection": date(2017, 4, 20),
    "target_filing": date(2017, 4, 25),
    "sponsors": date(2017, 4, 25),
    "political_review": date(2017, 5, 10),
    "training": date(2017, 5, 20),
    "committee_review": date(2017, 6, 1),
    "pre_review": date(2017, 6, 9),
    "application_form": date(2017, 6, 15),
    "admission_meeting": date(2017, 6, 20),
    "committee_talk": date(2017, 7, 3),
    "admission_approval": date(2017, 7, 10),
    "admission_filing": date(2017, 7, 20),
    "branch_assignment": date(2017, 7, 20),
    "oath": date(2017, 7, 20),
    "conversion_application": date(2018, 6, 13),  # from a week before 预备期满 (cpc_2014@3, 第三十三条)
    "conversion_meeting": date(2018, 6, 20),
    "conversion_approval": date(2018, 7, 10),
    "archive": date(2018, 7, 16),
}
ORDER = list(TIMELINE)


def definition(key: str = "cpc_2014@1"):
    return Registry.default().get(key)


def ctx(today: date = TODAY, birth: date = date(1990, 5, 1), cal: WorkdayCalendar = CAL) -> Context:
    return Context(today=today, now=datetime(today.year, today.month, today.day, 9, 0), calendar=cal,
                   birth_date=birth, people=PEOPLE)


def evidence(step: str, on: date, **overrides: Any) -> dict[str, Any]:
    ev = sample_evidence(step, on, mentors=MENTORS, sponsors=SPONSORS, cal=CAL)
    ev.update(overrides)
    return ev


def start(defn=None, on: date = TIMELINE["application"], branch_id: int = 1, **kw) -> CandidateState:
    defn = defn or definition()
    d = register(defn, branch_id, CompleteStep("application", on, "测试", {}), ctx(**kw)).raise_if_refused()
    return d.state


def walk(until: str, defn=None, dates: Mapping[str, date] | None = None, *, include: bool = False,
         events: list | None = None) -> CandidateState:
    """The state of a candidate taken through every step before `until` (or up to it, `include`)."""
    defn = defn or definition()
    given = dict(dates or {})
    dates, prev = {}, date.min
    for step in ORDER:  # defaults never fall before an earlier (overridden) date
        dates[step] = prev = given.get(step, max(TIMELINE[step], prev))
    first = register(defn, 1, CompleteStep("application", dates["application"], "测试", {}), ctx()).raise_if_refused()
    state = first.state
    if events is not None:
        events.append(first.event)
    for step in ORDER[1:]:
        if step == until and not include:
            break
        d = decide(defn, state, CompleteStep(step, dates[step], "测试", evidence(step, dates[step])), ctx())
        d.raise_if_refused()
        state = d.state
        if events is not None:
            events.append(d.event)
        if step == until:
            break
    return state


def attempt(state: CandidateState, step: str, on: date, defn=None, **overrides: Any):
    """decide() a step on `on` with lawful sample evidence patched by `overrides`."""
    defn = defn or definition()
    return decide(defn, state, CompleteStep(step, on, "测试", evidence(step, on, **overrides)), ctx())


def messages(decision) -> str:
    return "；".join(v.message for v in decision.violations)
