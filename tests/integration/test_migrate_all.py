"""Moving every candidate on cpc_2014@1 to @2 (services/casework/migration, `partyflow migrate-all`): one
audited migrate event each, a resolution the old rules carried out waits for the township, ended
candidacies are reported and left alone; a preview writes nothing. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

from services.casework.candidates import complete_step, exceptional, migrate, register_applicant
from services.casework.migration import migrate_all
from services.casework.queries import show_candidate
from services.demo.sample_evidence import sample_evidence

ROAD = [("first_talk", date(2018, 3, 20)), ("activist_selection", date(2018, 4, 1)),
        ("activist_filing", date(2018, 4, 10)), ("mentors_assigned", date(2018, 4, 10)),
        ("target_selection", date(2019, 4, 20)), ("target_filing", date(2019, 4, 25)),
        ("sponsors", date(2019, 4, 25)), ("political_review", date(2019, 6, 1)), ("training", date(2019, 6, 10)),
        ("committee_review", date(2019, 7, 1)), ("pre_review", date(2019, 7, 5)),
        ("application_form", date(2019, 7, 10)), ("admission_meeting", date(2019, 7, 20)),
        ("committee_talk", date(2019, 8, 1)), ("admission_approval", date(2019, 8, 10)),
        ("conversion_application", date(2020, 7, 20))]


def _legacy(app, town, name: str, steps=ROAD) -> int:
    """A candidate on cpc_2014@1, as a deployment from before the second version has them."""
    with app.uow() as uow:
        person = uow.people.add(name=name, gender="男", birth_date=date(1990, 1, 1))
    cid = register_applicant(app, person_id=person, branch_id=town["b1"], occurred_on=date(2018, 3, 1),
                             actor="测试").candidate_id
    migrate(app, cid, "cpc_2014@1", occurred_on=date(2018, 3, 1), actor="测试", reason="按原规则办理的存量候选人")
    for step, on in steps:
        complete_step(app, cid, step, occurred_on=on, actor="测试",
                      evidence=sample_evidence(step, on, cal=app.calendar, mentors=town["members"][:1],
                                               sponsors=town["members"][1:3]))
    return cid


def test_migrate_all_carries_an_extension_over_and_skips_ended_candidacies(app, town):
    extended = _legacy(app, town, "延长者")
    complete_step(app, extended, "conversion_meeting", occurred_on=date(2020, 7, 25), actor="测试",
                  evidence={**sample_evidence("conversion_meeting", date(2020, 7, 25), cal=app.calendar),
                            "decision": "extend", "extension_months": 6})
    plain = _legacy(app, town, "在途者", ROAD[:5])
    gone = _legacy(app, town, "撤回者", ROAD[:2])
    exceptional(app, gone, "withdraw", occurred_on=date(2018, 5, 1), actor="测试", reason="本人书面申请撤回")
    assert show_candidate(app, extended)["candidate"]["extensions"] == 1  # @1: the meeting extended at once

    preview = migrate_all(app, "cpc_2014@1", "cpc_2014@2", occurred_on=date(2020, 8, 1), actor="乡镇组织委员",
                          reason="乡镇党委决定改按第2版规则办理", preview=True)
    assert sorted(preview.moved) == sorted([extended, plain]) and preview.preview
    assert show_candidate(app, extended)["candidate"]["definition_key"] == "cpc_2014@1"  # nothing written

    report = migrate_all(app, "cpc_2014@1", "cpc_2014@2", occurred_on=date(2020, 8, 1), actor="乡镇组织委员",
                         reason="乡镇党委决定改按第2版规则办理")
    assert sorted(report.moved) == sorted([extended, plain])
    assert report.pending == [{"candidate_id": extended, "name": "延长者",
                               "text": "支部大会 2020-07-25 决议延长预备期 6 个月，待上级党委审批后生效"}]
    assert [s["candidate_id"] for s in report.skipped] == [gone] and "已撤回" in report.skipped[0]["reason"]
    view = show_candidate(app, extended)
    assert view["candidate"]["definition_key"] == "cpc_2014@2" and view["candidate"]["extensions"] == 0
    assert view["candidate"]["probation_end"] == "2020-07-20"  # the extension waits for the approval
    last = view["timeline"][-1]
    assert last["kind"] == "migrate" and last["actor"] == "乡镇组织委员"
    assert "转为待审批的决议：支部大会 2020-07-25 决议延长预备期 6 个月" in last["evidence_summary"]
    assert "cpc_" not in last["evidence_summary"]  # titles, not keys
    assert migrate_all(app, "cpc_2014@1", "cpc_2014@2", occurred_on=date(2020, 8, 1), actor="乡镇组织委员",
                       reason="再次执行").moved == []  # nothing left on @1


def test_cli_migrate_all(app, town, capsys):
    from typer.testing import CliRunner

    from cli.main import app as cli

    _legacy(app, town, "在途者", ROAD[:3])
    url = str(app.engine.url.render_as_string(hide_password=False))
    r = CliRunner().invoke(cli, ["--db", url, "migrate-all", "cpc_2014@1", "cpc_2014@2", "--date", "2018-06-01",
                                 "--reason", "乡镇党委决定", "--actor", "组织委员"])
    assert r.exit_code == 0, r.output
    assert "已迁移 1 名候选人" in r.output
