"""The step form offers as 培养联系人 and 入党介绍人 only the branch's full members: the full_members
rule (细则第九条, 第十四条) refuses anyone else, so a probationary member in the list only led to a
refusal after the form was filled."""
from __future__ import annotations

from datetime import date

from services.casework.step_form import form_fields
from tests.integration.test_document_facts import place  # noqa: F401 (fixture)


def _options(app, place, step_id: str, field: str) -> dict[int, str]:
    step = app.definition("cpc_2014@2").step(step_id)
    return dict(next(f for f in form_fields(app, step, place["branch"]) if f["name"] == field)["options"])


def test_mentors_and_sponsors_are_offered_from_the_full_members_only(app, place):
    with app.uow() as uow:
        probationary = uow.people.add(name="孙预备", gender="男", birth_date=date(1990, 1, 1),
                                      party_status="probationary", branch_id=place["branch"])
    for step_id, field in (("mentors_assigned", "mentors"), ("sponsors", "sponsors")):
        offered = _options(app, place, step_id, field)
        assert set(offered) == set(place["members"]), (step_id, offered)
        assert probationary not in offered
