"""Refusals name the root cause through the services and the CLI, on SQLite and PostgreSQL.

After a failed 政治审查 (recorded, `negative: stay`), the committee review and the pre-review are
refused with the real reason — 政审不合格的，不能发展入党（细则第十六条）— as well as the missing
step; a step after a 退回 names the return. Nothing is written; the codes stay as they were.
"""
from __future__ import annotations

from datetime import date

import pytest

from engine.commands import Return, Submit
from engine.errors import DomainError
from services.casework.candidates import complete_step, register_applicant, run_command
from services.casefile import step_gate
from services.demo.sample_evidence import sample_evidence
from tests.e2e import Cli

WALK = [("first_talk", date(2024, 3, 20)), ("activist_selection", date(2024, 4, 1)),
        ("activist_filing", date(2024, 4, 10)), ("mentors_assigned", date(2024, 4, 10)),
        ("target_selection", date(2025, 4, 20)), ("target_filing", date(2025, 4, 25)),
        ("sponsors", date(2025, 4, 25)), ("political_review", date(2025, 6, 1)), ("training", date(2025, 6, 10))]
FAILED = "政治审查于 2025-06-01 记为不合格：政审不合格的，不能发展入党（细则第十六条）"


def _art(app, cid, step: str) -> str:
    """The candidate's own definition's citation of `step` (new candidates get the newest version)."""
    with app.uow(read_only=True) as uow:
        key = uow.candidates.get(cid).definition_key
    return app.definition(key).step(step).citation.label()


def _step(app, cid, step, on, town, preview=False, **overrides):
    ev = {**sample_evidence(step, on, mentors=town["members"][:1], sponsors=town["members"][1:3], cal=app.calendar),
          **overrides}
    return complete_step(app, cid, step, occurred_on=on, actor="测试", evidence=ev, preview=preview)


@pytest.fixture
def failed(app, town) -> int:
    """A development target whose political review was recorded as not passed."""
    cid = register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2024, 3, 1),
                             actor="测试").candidate_id
    for step, on in WALK:
        _step(app, cid, step, on, town, **({"passed": False} if step == "political_review" else {}))
    return cid


def _refusal(call) -> tuple[str, str]:
    with pytest.raises(DomainError) as e:
        call()
    [v] = [v for v in e.value.violations if v.code in ("step.requires", "submit.requires")]
    return v.code, v.message


def _version(app, cid) -> int:
    with app.uow(read_only=True) as uow:
        return uow.candidates.get(cid).version


def test_the_services_name_the_failed_political_review(app, town, failed):
    before = _version(app, failed)
    for preview in (False, True):
        code, message = _refusal(lambda: _step(app, failed, "committee_review", date(2025, 7, 1), town, preview=preview))
        assert code == "step.requires"
        assert message == f"支部委员会审查须先完成：政治审查（{_art(app, failed, 'committee_review')}）；{FAILED}"
        code, message = _refusal(lambda: _step(app, failed, "pre_review", date(2025, 7, 1), town, preview=preview))
        assert message == f"上级党委预审须先完成：支部委员会审查（{_art(app, failed, 'pre_review')}）；{FAILED}"
    code, message = _refusal(lambda: run_command(app, failed, Submit("pre_review", date(2025, 7, 1), "测试")))
    assert code == "submit.requires" and message.endswith(f"；{FAILED}")
    assert _version(app, failed) == before  # nothing written
    # the step form's gate says it too, as its own line
    gate = step_gate(app, failed, "committee_review")
    assert gate["title"] == "须先完成前面的步骤" and gate["lines"][:2] == [f"须先完成：政治审查（{_art(app, failed, 'committee_review')}）", FAILED]
    assert FAILED in gate["message"]
    # passed on a second review: no cause left, the step is open
    _step(app, failed, "political_review", date(2025, 6, 20), town)
    assert step_gate(app, failed, "committee_review") is None


def test_a_step_after_a_return_names_the_return(app, town, failed):
    _step(app, failed, "political_review", date(2025, 6, 20), town)
    _step(app, failed, "committee_review", date(2025, 7, 1), town)
    run_command(app, failed, Return("pre_review", date(2025, 7, 10), "乡党委", "政审材料不全", ("political_review",)))
    code, message = _refusal(lambda: _step(app, failed, "application_form", date(2025, 7, 20), town))
    assert code == "step.requires" and message == (
        f"填写入党志愿书须先完成：上级党委预审（{_art(app, failed, 'application_form')}）；"
        "上级党委预审于 2025-07-10 被退回党支部（退回原因：政审材料不全），"
        f"须重新办理政治审查、支部委员会审查后重新报送（{_art(app, failed, 'pre_review')}）")


def test_the_cli_says_it_too(app, town, failed, db_url):
    """`partyflow step` and its `--preview`, plain and `--json`: the same sentence, exit 2, nothing written."""
    cli = Cli(db_url, today="2026-11-25")
    before = _version(app, failed)
    for extra in ((), ("--preview",)):
        r = cli("step", failed, "12", "--date", "2025-07-01", "--set", "opinion=同意", *extra, code=2)
        assert r.output.strip() == f"支部委员会审查须先完成：政治审查（{_art(app, failed, 'committee_review')}）；{FAILED}"
    out = cli.json("step", failed, "上级党委预审", "--date", "2025-07-01", "--set", "result=合格", "--set", "passed=是", code=2)
    [v] = [v for v in out["violations"] if v["code"] == "step.requires"]
    assert v["message"].endswith(FAILED) and f"细则{v['article']}" == _art(app, failed, "pre_review")
    assert _version(app, failed) == before
