"""The use cases on a real database — SQLite and PostgreSQL — with a passed-in clock."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from engine import DomainError
from services.casework import candidates as uc
from services.app import App
from services.demo.sample_evidence import sample_evidence
from services.integrity.verify import verify
from storage.errors import ConcurrentModification
from tests.helpers import ORDER, TIMELINE


def _ev(app, town, step):
    m = town["members"]
    return sample_evidence(step, TIMELINE[step], mentors=m[:2], sponsors=m[2:], cal=app.calendar)


def _road(app, town, until=None):
    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                occurred_on=TIMELINE["application"], actor="书记").candidate_id
    for step in ORDER[1:]:
        if step == until:
            break
        uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=_ev(app, town, step))
    return cid


def _snapshot(app, cid):
    with app.uow() as uow:
        return uow.candidates.get(cid), len(uow.events.list_for(cid)), len(uow.deadlines.list_for(cid))


def test_full_road_and_verify(app, town):
    cid = _road(app, town)
    row, n_events, n_deadlines = _snapshot(app, cid)
    assert row.stage == "full_member" and n_events == len(TIMELINE) and n_deadlines == 0
    with app.uow() as uow:
        assert uow.people.get(town["person"]).party_status == "full_member"
    report = verify(app)
    assert report.ok and report.candidates == 1 and report.events == len(TIMELINE)


def test_refused_step_changes_nothing(app, town):
    cid = _road(app, town, until="target_selection")
    before = _snapshot(app, cid)
    with pytest.raises(DomainError) as err:
        uc.complete_step(app, cid, "target_selection", occurred_on=date(2017, 4, 10), actor="书记",
                         evidence=_ev(app, town, "target_selection"))
    assert "培养考察未满一年，最早可于 2017-04-11 确定为发展对象（细则第十三条）" in str(err.value)
    assert _snapshot(app, cid) == before


def test_preview_writes_nothing(app, town):
    cid = _road(app, town, until="first_talk")
    before = _snapshot(app, cid)
    res = uc.complete_step(app, cid, "first_talk", occurred_on=date(2016, 4, 5), actor="书记",
                           evidence={"talker": "书记"}, preview=True)
    assert res.preview and res.decision.event.late  # 2016-03-01 + 1 month = 04-01
    assert any("逾期" in w for w in res.decision.warnings)
    assert _snapshot(app, cid) == before


def test_stale_version_is_refused(app, town):
    cid = _road(app, town, until="activist_filing")
    v = _snapshot(app, cid)[0].version
    uc.complete_step(app, cid, "activist_filing", occurred_on=TIMELINE["activist_filing"], actor="组织委员",
                     evidence=_ev(app, town, "activist_filing"))
    with pytest.raises(DomainError) as err:
        uc.complete_step(app, cid, "mentors_assigned", occurred_on=TIMELINE["mentors_assigned"], actor="书记",
                         evidence=_ev(app, town, "mentors_assigned"), expected_version=v)
    assert "已被他人修改" in str(err.value)


def test_concurrent_writers_never_lose_an_update(app, town, db_url, monkeypatch):
    """Two writers load the same version; the second to write gets ConcurrentModification (PostgreSQL)
    or waits for the first (SQLite's write lock) — never a silent overwrite."""
    cid = _road(app, town, until="activist_filing")
    barrier = threading.Barrier(2, timeout=3)
    real_decide = uc.decide

    def slow_decide(*a, **kw):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # SQLite: the other writer is blocked on the lock, go on
        return real_decide(*a, **kw)

    monkeypatch.setattr(uc, "decide", slow_decide)
    outcomes = {}

    def run(step):
        try:
            uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=_ev(app, town, step))
            outcomes[step] = "ok"
        except ConcurrentModification as e:
            outcomes[step] = str(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in ("activist_filing", "mentors_assigned")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    row, n_events, _ = _snapshot(app, cid)
    ok = [s for s, o in outcomes.items() if o == "ok"]
    assert set(row.state["done"]) >= set(ok)  # every acknowledged write is in the state
    assert n_events == 3 + len(ok)
    if db_url.startswith("postgresql"):
        assert len(ok) == 1 and any("已被他人修改" in o for o in outcomes.values())
    assert verify(app).ok


def test_exceptional_paths_and_correction_keep_log_replayable(app, town):
    cid = _road(app, town, until="target_selection")
    uc.exceptional(app, cid, "transfer", occurred_on=date(2016, 9, 1), actor="乡党委", reason="工作调动",
                   to_branch_id=town["b2"])
    with app.uow() as uow:
        seq = max(r.seq for r in uow.events.list_for(cid) if r.step == "activist_selection")
    uc.correct(app, cid, seq, actor="书记", reason="会议记录日期录错", occurred_on=date(2016, 4, 1))
    res = uc.complete_step(app, cid, "target_selection", occurred_on=TIMELINE["target_selection"], actor="书记",
                           evidence=_ev(app, town, "target_selection"))
    assert res.decision.state.branch_id == town["b2"]
    uc.exceptional(app, cid, "withdraw", occurred_on=date(2017, 5, 1), actor="书记", reason="本人申请撤回")
    row, n_events, n_deadlines = _snapshot(app, cid)
    assert row.stage == "withdrawn" and row.branch_id == town["b2"] and n_deadlines == 0
    assert verify(app).ok


def test_verify_detects_a_tampered_projection(app, town):
    cid = _road(app, town, until="sponsors")
    from sqlalchemy import update

    from storage.tables import candidate

    with app.uow() as uow:
        uow.connection.execute(update(candidate).where(candidate.c.id == cid).values(stage="full_member"))
    report = verify(app)
    assert not report.ok and report.mismatches[0]["candidate_id"] == cid


def test_definition_pinned_by_application_date(app, town):
    with app.uow() as uow:
        p2 = uow.people.add(name="李四", gender="男", birth_date=date(1995, 1, 1))
    # the revision is in force from its issue on 2026-05-11 (第四十四条), the second version of the rules
    old = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2026, 5, 10), actor="x")
    new = uc.register_applicant(app, person_id=p2, branch_id=town["b1"], occurred_on=date(2026, 5, 11), actor="x")
    assert old.decision.state.definition_key == "cpc_2014@3"
    assert new.decision.state.definition_key == "cpc_2026@3"
    with app.uow() as uow:
        assert uow.definitions.get("cpc_2014@3").sha256 == app.definition("cpc_2014@3").sha256


def test_township_variant_applies_to_its_branches(app, town):
    with app.uow() as uow:
        uow.orgs.set_workflow_variant(uow.orgs.by_code("t").id, "cpc_2014_notice7")
    res = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2018, 1, 5), actor="x")
    assert res.decision.state.definition_key == "cpc_2014_notice7@2"  # the variant's highest version in force


def test_real_clock_at_the_edge_with_freezegun(db_url, town):
    """The default clock reads Asia/Shanghai time: 2018-03-09 23:30 UTC is already 03-10 there."""
    a = App.open(db_url)
    cid = None
    with freeze_time("2018-03-09 15:30:00"):  # 23:30 in Shanghai
        assert a.today() == date(2018, 3, 9)
        with pytest.raises(DomainError):
            uc.register_applicant(a, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2018, 3, 10), actor="x")
    with freeze_time("2018-03-09 16:30:00"):  # 00:30 on 03-10 in Shanghai
        assert a.today() == date(2018, 3, 10)
        cid = uc.register_applicant(a, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2018, 3, 10), actor="x").candidate_id
    assert cid is not None
    a.close()


def test_new_definition_version_does_not_move_running_candidates(app, town):
    """Publishing a new version (@9, a shorter talk deadline) leaves a candidate pinned to @1 on @1."""
    from dataclasses import replace

    from workflows.loader import digest

    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                occurred_on=date(2018, 1, 10), actor="书记").candidate_id
    uc.migrate(app, cid, "cpc_2014@1", occurred_on=date(2018, 1, 10), actor="书记", reason="按原规则办理")
    v1 = app.definition("cpc_2014@1")
    talk = v1.step("first_talk")
    quicker = replace(talk, rules=tuple(replace(r, params={**r.params, "months": 0, "days": 7}) if r.kind == "due_within" else r
                                        for r in talk.rules))
    v2 = replace(v1, version=9, steps=tuple(quicker if s.id == "first_talk" else s for s in v1.steps))
    app.registry.add(replace(v2, sha256=digest(v2)))
    res = uc.complete_step(app, cid, "first_talk", occurred_on=date(2018, 2, 1), actor="书记", evidence={"talker": "书记"})
    assert res.decision.state.definition_key == "cpc_2014@1" and not res.decision.event.late
    assert app.registry.for_date(date(2018, 1, 10)).key == "cpc_2014@9"  # new applications get @9


# ------------------------------------------------------------------ review findings (candidates)
def _person(app, cid):
    with app.uow() as uow:
        return uow.people.get(uow.candidates.get(cid).person_id)


def _seq_of(app, cid, step):
    with app.uow() as uow:
        return max(r.seq for r in uow.events.list_for(cid) if r.step == step and r.kind == "step")


def test_party_status_follows_every_stage_change_and_transfer(app, town):
    """#3: probationary on approval, branch follows a transfer, back to 'none' when a void moves the stage back."""
    cid = _road(app, town, until="admission_filing")
    assert (_person(app, cid).party_status, _person(app, cid).branch_id) == ("probationary", town["b1"])
    uc.exceptional(app, cid, "transfer", occurred_on=date(2017, 7, 15), actor="乡党委", reason="工作调动",
                   to_branch_id=town["b2"])
    assert (_person(app, cid).party_status, _person(app, cid).branch_id) == ("probationary", town["b2"])
    uc.void(app, cid, _seq_of(app, cid, "admission_approval"), actor="乡党委", reason="审批记录录错")
    with app.uow() as uow:
        assert uow.candidates.get(cid).stage == "development_target"
    assert _person(app, cid).party_status == "none"
    assert verify(app).ok


def test_cancelled_probation_and_verify_of_party_status(app, town):
    cid = _road(app, town, until="admission_filing")
    uc.exceptional(app, cid, "cancel_probation", occurred_on=date(2017, 8, 1), actor="乡党委", reason="不履行党员义务")
    assert _person(app, cid).party_status == "none"
    assert verify(app).ok
    from sqlalchemy import update

    from storage.tables import person

    with app.uow() as uow:
        uow.connection.execute(update(person).where(person.c.id == town["person"]).values(party_status="full_member"))
    report = verify(app)
    assert [(m["candidate_id"], m["stored"], m["replayed"]) for m in report.mismatches] == [(cid, "full_member", "none")]
    assert "政治面貌" in report.mismatches[0]["problem"]


def test_corrected_application_date_moves_applied_on(app, town):
    """#4: the applied_on column follows a correction of the application; verify compares it."""
    cid = _road(app, town, until="first_talk")
    uc.correct(app, cid, 1, actor="书记", reason="申请书日期录错", occurred_on=date(2016, 2, 25))
    with app.uow() as uow:
        assert uow.candidates.get(cid).applied_on == date(2016, 2, 25)
    assert verify(app).ok
    from sqlalchemy import update

    from storage.tables import candidate

    with app.uow() as uow:
        uow.connection.execute(update(candidate).where(candidate.c.id == cid).values(applied_on=date(2016, 3, 1)))
    report = verify(app)
    assert not report.ok and report.mismatches[0]["candidate_id"] == cid


def test_register_refuses_members_and_second_live_candidacy(app, town):
    """#7: a party member, or a person with a candidacy in progress, cannot apply (again)."""
    with pytest.raises(DomainError) as err:
        uc.register_applicant(app, person_id=town["members"][0], branch_id=town["b1"],
                              occurred_on=date(2018, 1, 5), actor="书记")
    assert str(err.value) == "已是党员，不能登记入党申请"
    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                occurred_on=date(2018, 1, 5), actor="书记").candidate_id
    with pytest.raises(DomainError) as err:
        uc.register_applicant(app, person_id=town["person"], branch_id=town["b2"],
                              occurred_on=date(2018, 2, 5), actor="书记", preview=True)
    assert str(err.value) == "已有进行中的入党申请（2018-01-05 递交）"  # no bare id (an earlier review)
    uc.exceptional(app, cid, "withdraw", occurred_on=date(2018, 3, 1), actor="书记", reason="本人申请撤回")
    # candidacies never overlap: a new application comes after the day the last one ended
    for on in (date(2018, 2, 28), date(2018, 3, 1)):
        with pytest.raises(DomainError) as err:
            uc.register_applicant(app, person_id=town["person"], branch_id=town["b2"], occurred_on=on, actor="书记")
        assert str(err.value) == f"前一次入党申请（2018-01-05 递交）至 2018-03-01 才结束，新的申请日期 {on} 须在其后"
    uc.register_applicant(app, person_id=town["person"], branch_id=town["b2"], occurred_on=date(2018, 3, 2), actor="书记",
                          preview=True)
    again = uc.register_applicant(app, person_id=town["person"], branch_id=town["b2"],
                                  occurred_on=date(2019, 1, 5), actor="书记").candidate_id
    assert again != cid and verify(app).ok
    uc.exceptional(app, again, "death", occurred_on=date(2019, 5, 1), actor="书记", reason="因病去世")
    with pytest.raises(DomainError) as err:
        uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2019, 6, 1),
                              actor="书记")
    assert str(err.value) == "该人员已于 2019-05-01 去世，不能登记入党申请"


def test_correcting_a_transfer_needs_an_existing_branch(app, town):
    """#2: the corrected to_branch_id is checked like the one of a transfer."""
    with app.uow() as uow:
        b3 = uow.orgs.add(code="b3", name="西庄村党支部", level="branch", kind="rural",
                          parent_id=uow.orgs.by_code("t").id)
        township = uow.orgs.by_code("t").id
    cid = _road(app, town, until="activist_selection")
    uc.exceptional(app, cid, "transfer", occurred_on=date(2016, 4, 1), actor="乡党委", reason="工作调动",
                   to_branch_id=town["b2"])
    with app.uow() as uow:
        seq = max(r.seq for r in uow.events.list_for(cid) if r.kind == "transfer")
    gone = "找不到所选的转入党支部（可能已被删除），请从列表中选择"  # no bare id (an earlier review)
    for bad, msg in ((999_999, gone), (township, gone), ("abc", "转入的党支部无效，请从列表中选择")):
        with pytest.raises(DomainError) as err:
            uc.correct(app, cid, seq, actor="乡党委", reason="转入支部录错", evidence={"to_branch_id": bad})
        assert str(err.value) == msg
    res = uc.correct(app, cid, seq, actor="乡党委", reason="转入支部录错", evidence={"to_branch_id": str(b3)})
    assert res.decision.state.branch_id == b3
    assert _snapshot(app, cid)[0].branch_id == b3 and verify(app).ok


def test_sponsors_written_as_text_are_checked_as_people(app, town):
    """#10: the people a step names are read with the engine's parser (any separator it accepts)."""
    with app.uow() as uow:
        outsider = uow.people.add(name="王群众", gender="男", birth_date=date(1980, 1, 1))
    cid = _road(app, town, until="sponsors")
    ev = _ev(app, town, "sponsors")
    ev["sponsors"] = f"{town['members'][2]} {outsider}"  # spaces separate people as in the evidence parser
    with pytest.raises(DomainError) as err:
        uc.complete_step(app, cid, "sponsors", occurred_on=TIMELINE["sponsors"], actor="书记", evidence=ev)
    assert "王群众不是正式党员" in str(err.value)


def test_verify_reads_without_the_write_lock_and_streams_deadlines(app, town, monkeypatch):
    """#15: verify runs in a read-only unit of work (a writer may hold the lock meanwhile) and
    merges the deadline rows instead of one query per candidate."""
    from storage.repositories.deadlines import DeadlineRepo

    cids = [_road(app, town, until="first_talk")]
    with app.uow() as uow:
        p2 = uow.people.add(name="李四", gender="男", birth_date=date(1995, 1, 1))
    cids.append(uc.register_applicant(app, person_id=p2, branch_id=town["b2"], occurred_on=date(2018, 1, 5),
                                      actor="书记").candidate_id)
    monkeypatch.setattr(DeadlineRepo, "list_for", lambda *a, **k: pytest.fail("verify queried one candidate"))
    uow = app.uow()
    with uow:  # a writer in the middle of its transaction
        uow.orgs.add(code="b9", name="新支部", level="branch", kind="rural")
        report = verify(app, batch=1)
    assert report.ok and report.candidates == 2
    from sqlalchemy import delete

    from storage.tables import deadline

    with app.uow() as uow:
        uow.connection.execute(delete(deadline).where(deadline.c.candidate_id == cids[0]))
    report = verify(app, batch=1)
    assert [m["candidate_id"] for m in report.mismatches] == [cids[0]]


def test_correction_maps_supersedes_from_the_loaded_log(app, town, monkeypatch):
    """#18: the log is read once; migrate (and its void) keep candidate.definition_key in the versioned update."""
    from storage.repositories.events import EventRepo

    cid = _road(app, town, until="activist_selection")
    reads = []
    real = EventRepo.list_for
    monkeypatch.setattr(EventRepo, "list_for", lambda self, c: reads.append(c) or real(self, c))
    uc.correct(app, cid, 2, actor="书记", reason="谈话日期录错", occurred_on=date(2016, 3, 14))
    assert reads == [cid]
    with app.uow() as uow:
        rows = {r.seq: r for r in real(uow.events, cid)}
    assert rows[3].kind == "correct" and rows[3].supersedes == rows[2].id
    version = _snapshot(app, cid)[0].version
    res = uc.migrate(app, cid, "cpc_2026@1", occurred_on=date(2026, 6, 1), actor="乡党委", reason="乡党委决定")
    row = _snapshot(app, cid)[0]
    assert (row.definition_key, row.version, res.version) == ("cpc_2026@1", version + 1, version + 1)
    uc.void(app, cid, 4, actor="乡党委", reason="迁移决定撤销")
    row = _snapshot(app, cid)[0]
    assert row.definition_key == "cpc_2014@3" == row.state["definition_key"]
    assert verify(app).ok


def test_overdue_names_steps_without_reading_each_candidate(app, town, monkeypatch):
    """#20: OverdueRow carries the definition key."""
    from services.casework import queries
    from storage.repositories.candidates import CandidateRepo

    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                occurred_on=date(2026, 6, 1), actor="书记").candidate_id
    monkeypatch.setattr(CandidateRepo, "get", lambda *a: pytest.fail("read the candidate again"))
    items = queries.overdue(app, date(2026, 11, 25))
    assert [(i["candidate_id"], i["step"], i["step_name"]) for i in items] == [(cid, "first_talk", "党组织派人谈话")]
    with app.uow() as uow:
        assert {r.definition_key for r in uow.deadlines.overdue(date(2026, 11, 25))} == {"cpc_2026@3"}


def test_death_keeps_the_membership_the_log_shows(app, town):
    cid = _road(app, town)
    uc.exceptional(app, cid, "death", occurred_on=date(2019, 1, 5), actor="书记", reason="病故")
    with app.uow() as uow:
        assert uow.people.get(town["person"]).party_status == "full_member"
    assert verify(app).ok


def test_kept_connection_per_thread_survives_nesting_and_failures(app, town):
    """The App reuses one connection per thread; a nested unit of work gets its own, and a unit of
    work that failed leaves the kept connection usable."""
    import threading

    with app.uow() as outer:
        with app.uow(read_only=True) as inner:  # e.g. the calendar loaded inside a writer
            assert inner.connection is not outer.connection
            assert inner.orgs.get(town["b1"]) is not None
    kept = outer.connection
    with pytest.raises(RuntimeError):
        with app.uow() as uow:
            uow.people.add(name="回滚", gender="男", birth_date=date(1990, 1, 1))
            raise RuntimeError("boom")
    with app.uow() as uow:
        assert uow.connection is kept and uow.people.find_by_name("回滚") == []
    seen = []

    def other_thread():
        with app.uow(read_only=True) as uow:
            seen.append(uow.connection)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert seen[0] is not kept


def test_a_sponsor_admitted_through_the_system_counts_from_the_day_they_became_a_full_member(app, town):
    """第十四条 on a back-dated step: the sponsor's status on the step's own date, as the log shows it."""
    _road(app, town)  # town["person"] goes the whole way
    with app.uow() as uow:
        since = uow.milestones.full_since([town["person"], town["members"][2]])
        second = uow.people.add(name="陈申请", gender="女", birth_date=date(1992, 2, 2))
    assert list(since) == [town["person"]]  # the other sponsor was recorded as a member: no date known
    became = since[town["person"]]
    cid = uc.register_applicant(app, person_id=second, branch_id=town["b1"], occurred_on=TIMELINE["application"],
                                actor="书记").candidate_id
    for step in ORDER[1:ORDER.index("sponsors")]:
        uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=_ev(app, town, step))
    ev = {**_ev(app, town, "sponsors"), "sponsors": [town["members"][2], town["person"]]}
    before = _snapshot(app, cid)
    with pytest.raises(DomainError) as err:
        uc.complete_step(app, cid, "sponsors", occurred_on=became - timedelta(days=1), actor="书记", evidence=ev)
    assert f"于 {became} 才转为正式党员" in str(err.value) and "第十四条" in str(err.value)
    assert _snapshot(app, cid) == before
    uc.complete_step(app, cid, "sponsors", occurred_on=became, actor="书记", evidence=ev)
    assert verify(app).ok


def test_verify_details_are_json_values(app, town):
    """A script reading `verify --json` gets dates as ISO text, not Python reprs."""
    import json

    from sqlalchemy import delete

    from storage.tables import deadline

    cid = _road(app, town, until="admission_approval")
    with app.uow() as uow:
        gone = uow.deadlines.list_for(cid)[0]
        uow.connection.execute(delete(deadline).where(deadline.c.candidate_id == cid, deadline.c.step == gone.step))
    report = verify(app)
    (m,) = report.mismatches
    assert m["problem"] == "到期日表与计算结果不一致" and m["extra"] == []
    assert {"step": gone.step, "kind": gone.kind, "due_on": gone.due_on.isoformat(), "provisional": bool(gone.provisional),
            "article": gone.article or ""} in m["missing"]
    assert json.loads(json.dumps(report.as_dict()))["mismatches"][0]["missing"] == m["missing"]


def test_what_a_correction_breaks_is_kept_as_a_finding_the_audit_lists(app, town):
    """A correction is history: recorded, and the rule it broke stays on record (source correction)."""
    from services.compliance.audit import audit

    cid = _road(app, town, until="target_filing")  # activist 2016-04-11, target 2017-04-20
    activist = _seq_of(app, cid, "activist_selection")
    preview = uc.correct(app, cid, activist, actor="乡党委", reason="日期录错", occurred_on=date(2016, 5, 2), preview=True)
    assert any("培养考察" in w or "第十三条" in w for w in preview.decision.warnings)
    with app.uow() as uow:
        assert uow.findings.list(None) == []  # a preview keeps nothing
    uc.correct(app, cid, activist, actor="乡党委", reason="日期录错", occurred_on=date(2016, 5, 2))
    with app.uow() as uow:
        found = {(f.source, f.step, f.rule, f.article, f.occurred_on, f.import_id) for f in uow.findings.list(None)}
    # filing and mentors (2016-04-20) now predate the activist selection; the target, 2017-04-20, is < 1 year after it
    assert found == {("correction", "target_selection", "not_before", "第十三条", TIMELINE["target_selection"], None),
                     ("correction", "activist_filing", "date.order", "第八条", date(2016, 4, 20), None),
                     ("correction", "mentors_assigned", "date.order", "第九条", date(2016, 4, 20), None)}
    items = [i for i in audit(app, "t")["items"] if i["kind"] == "finding"]
    assert len(items) == 3 and {i["source"] for i in items} == {"correction"}
    assert any("培养考察未满一年" in i["message"] and i["article"] == "第十三条" for i in items)
    # a correction that keeps every rule leaves no finding
    uc.correct(app, cid, _seq_of(app, cid, "first_talk"), actor="乡党委", reason="日期录错", occurred_on=date(2016, 3, 16))
    with app.uow() as uow:
        assert len(uow.findings.list(None)) == 3
    assert verify(app).ok
