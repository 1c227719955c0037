"""Storage adapter against SQLite and PostgreSQL (the `engine` fixture runs both)."""
from __future__ import annotations

import itertools
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import (
    ConcurrentModification,
    DeadlineDiff,
    DeadlineSpec,
    DefinitionChanged,
    NotFound,
    TransactionAborted,
    UnitOfWork,
)
from storage.repositories import EventRepo

NOW = datetime(2024, 3, 1, 9, 30)
DEF_KEY = "cpc_2014@1"


@pytest.fixture
def tree(engine):
    """county → 2 townships → 3 branches (+ a second county that must never leak in)."""
    with UnitOfWork(engine) as uow:
        o = uow.orgs
        county = o.add("C01", "某县委", "county")
        t1 = o.add("T01", "甲镇党委", "township", parent_id=county)
        t2 = o.add("T02", "乙镇党委", "township", parent_id=county)
        b1 = o.add("B01", "甲村党支部", "branch", "rural", parent_id=t1)
        b2 = o.add("B02", "甲镇机关党支部", "branch", "organ", parent_id=t1)
        b3 = o.add("B03", "乙中学党支部", "branch", "school", parent_id=t2)
        other = o.add("C02", "另一县委", "county")
        t9 = o.add("T09", "丙镇党委", "township", parent_id=other)
        b9 = o.add("B09", "丙村党支部", "branch", "rural", parent_id=t9)
    return dict(county=county, t1=t1, t2=t2, b1=b1, b2=b2, b3=b3, other=other, t9=t9, b9=b9)


def _person(uow, name="张三", **extra):
    return uow.people.add(name=name, gender=extra.pop("gender", "男"), birth_date=date(2000, 5, 4), **extra)


def _candidate(uow, branch_id, name="张三", stage="applicant"):
    pid = _person(uow, name)
    return uow.candidates.add(pid, branch_id, DEF_KEY, stage, {"stage": stage, "seq": 0}, date(2024, 1, 2), NOW)


# ------------------------------------------------------------------ organisations


def test_org_round_trip_and_tree(engine, tree):
    with UnitOfWork(engine, read_only=True) as uow:
        b1 = uow.orgs.get(tree["b1"])
        assert (b1.code, b1.name, b1.level, b1.kind, b1.parent_id) == ("B01", "甲村党支部", "branch", "rural", tree["t1"])
        assert isinstance(b1.created_at, datetime)
        assert uow.orgs.by_code("T02").id == tree["t2"]
        assert uow.orgs.by_code("nope") is None
        assert uow.orgs.get(999_999) is None
        assert [o.code for o in uow.orgs.children(tree["t1"])] == ["B01", "B02"]
        assert len(uow.orgs.list()) == 9

        assert uow.orgs.descendants_branch_ids(tree["county"]) == sorted([tree["b1"], tree["b2"], tree["b3"]])
        assert uow.orgs.descendants_branch_ids(tree["t1"]) == sorted([tree["b1"], tree["b2"]])
        assert uow.orgs.descendants_branch_ids(tree["b3"]) == [tree["b3"]]
        assert uow.orgs.descendants_branch_ids(tree["other"]) == [tree["b9"]]
        assert uow.orgs.descendants_branch_ids(999_999) == []

    with UnitOfWork(engine) as uow:
        uow.orgs.set_workflow_variant(tree["t1"], "cpc_2014_jiazhen@1")
        with pytest.raises(NotFound):
            uow.orgs.set_workflow_variant(999_999, None)
    with UnitOfWork(engine) as uow:
        assert uow.orgs.get(tree["t1"]).workflow_variant == "cpc_2014_jiazhen@1"


def test_org_code_is_unique_and_level_checked(engine, tree):
    with pytest.raises(IntegrityError):
        with UnitOfWork(engine) as uow:
            uow.orgs.add("B01", "重复", "branch", parent_id=tree["t1"])
    with pytest.raises(IntegrityError):
        with UnitOfWork(engine) as uow:
            uow.orgs.add("X01", "错误层级", "province")


# ------------------------------------------------------------------ people


def test_person_round_trip(engine, tree):
    with UnitOfWork(engine) as uow:
        a = _person(uow, "李四", gender="女", tags=["大学生", "少数民族"], ethnicity="回族", phone="13800000000")
        b = _person(uow, "李四")
        c = _person(uow, "王五", education="本科", occupation="教师", email="w@example.cn")
    with UnitOfWork(engine) as uow:
        p = uow.people.get(a)
        assert (p.name, p.gender, p.birth_date, p.ethnicity, p.tags, p.phone) == (
            "李四", "女", date(2000, 5, 4), "回族", ["大学生", "少数民族"], "13800000000"
        )
        q = uow.people.get(b)
        assert (q.ethnicity, q.tags, q.party_status, q.rights_suspended, q.branch_id) == ("汉族", [], "none", False, None)
        assert [x.id for x in uow.people.find_by_name("李四")] == [a, b]
        assert uow.people.find_by_name("赵六") == []
        found = uow.people.by_ids([a, c, 999_999])
        assert set(found) == {a, c} and found[c].education == "本科"
        assert uow.people.by_ids([]) == {}
        # many ids take the Core path (expanding IN); both read the same values
        many = [_person(uow, f"批量{i}", tags=["t"]) for i in range(20)] + [a]
        assert list(uow.people.by_ids(many).values()) == [uow.people.get(i) for i in many]
        assert uow.people.get(999_999) is None

        uow.people.set_party_status(c, "probationary", branch_id=tree["b1"])
        uow.people.set_party_status(c, "full_member")  # keeps the branch
        with pytest.raises(NotFound, match="人员 999999 不存在"):
            uow.people.set_party_status(999_999, "full_member")
        with pytest.raises(TypeError):
            uow.people.add(name="x", gender="男", birth_date=date(2000, 1, 1), nickname="x")
    with UnitOfWork(engine) as uow:
        p = uow.people.get(c)
        assert (p.party_status, p.branch_id) == ("full_member", tree["b1"])


# ------------------------------------------------------------------ candidates


def test_candidate_round_trip(engine, tree):
    state = {"stage": "applicant", "seq": 0, "dates": {"applied": "2024-01-02"}, "备注": "中文"}
    with UnitOfWork(engine) as uow:
        pid = _person(uow)
        cid = uow.candidates.add(pid, tree["b1"], DEF_KEY, "applicant", state, date(2024, 1, 2), NOW)
        other = _candidate(uow, tree["b3"], "王五", stage="activist")
    with UnitOfWork(engine) as uow:
        row = uow.candidates.get(cid)
        assert (row.id, row.person_id, row.branch_id, row.definition_key, row.stage, row.state, row.version,
                row.applied_on, row.updated_at) == (cid, pid, tree["b1"], DEF_KEY, "applicant", state, 1,
                                                    date(2024, 1, 2), NOW)
        later = NOW + timedelta(days=1)
        assert uow.candidates.update(cid, 1, stage="activist", state={"seq": 1}, now=later) == 2
        assert uow.candidates.update(cid, 2, stage="activist", state={"seq": 2}, branch_id=tree["b2"], now=later) == 3
        assert uow.candidates.get(999_999) is None
    with UnitOfWork(engine) as uow:
        row = uow.candidates.get(cid)
        assert (row.stage, row.state, row.version, row.branch_id, row.updated_at) == (
            "activist", {"seq": 2}, 3, tree["b2"], NOW + timedelta(days=1)
        )
        assert uow.candidates.count() == 2
        assert [c.id for c in uow.candidates.list()] == [cid, other]
        assert [c.id for c in uow.candidates.list(branch_ids=[tree["b3"]])] == [other]
        assert [c.id for c in uow.candidates.list(stage="activist", branch_ids=[tree["b2"], tree["b3"]])] == [cid, other]
        assert uow.candidates.list(branch_ids=[]) == []
        assert [c.id for c in uow.candidates.list(limit=1, offset=1)] == [other]
        assert [c.id for c in uow.candidates.iter_all(batch=1)] == [cid, other]
        # the hot path (raw driver) and Core read the same values back
        assert uow.candidates.list() == [uow.candidates.get(cid), uow.candidates.get(other)]
        assert list(uow.candidates.iter_all()) == uow.candidates.list()
        with pytest.raises(NotFound, match="候选人 999999 不存在"):
            uow.candidates.update(999_999, 1, stage="x", state={}, now=NOW)


def test_concurrent_modification(engine, tree):
    with UnitOfWork(engine) as uow:
        cid = _candidate(uow, tree["b1"])
    with UnitOfWork(engine, read_only=True) as uow:
        seen = uow.candidates.get(cid).version  # both editors loaded version 1

    with UnitOfWork(engine) as first:
        first.candidates.update(cid, seen, stage="activist", state={"by": "first"}, now=NOW)

    with pytest.raises(ConcurrentModification) as info:
        with UnitOfWork(engine) as second:
            second.events.append(cid, 1, "step", "x", date(2024, 3, 1), NOW, "second", {}, definition_key=DEF_KEY)
            second.candidates.update(cid, seen, stage="party_member", state={"by": "second"}, now=NOW)
    assert str(info.value) == f"候选人 {cid} 已被他人修改，请刷新后重试"
    assert info.value.candidate_id == cid and info.value.expected_version == 1

    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.candidates.get(cid)
        assert (row.stage, row.state, row.version) == ("activist", {"by": "first"}, 2)
        assert uow.events.list_for(cid) == []  # the second writer's event was rolled back


def test_concurrent_writers_from_threads(engine, tree):
    """Read-modify-write from several threads: no 'database is locked', no lost update."""
    with UnitOfWork(engine) as uow:
        cid = _candidate(uow, tree["b1"])
    threads, per_thread, errors = 4, 15, []

    def work():
        try:
            for _ in range(per_thread):
                while True:
                    try:
                        with UnitOfWork(engine) as uow:
                            row = uow.candidates.get(cid)
                            n = row.state["seq"] + 1
                            uow.events.append(cid, n, "step", "s", date(2024, 3, 1), NOW, "t", {"n": n},
                                              definition_key=DEF_KEY)
                            uow.candidates.update(cid, row.version, stage=row.stage, state={"seq": n}, now=NOW)
                        break
                    except ConcurrentModification:
                        continue
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    with UnitOfWork(engine, read_only=True) as uow:
        total = threads * per_thread
        assert uow.candidates.get(cid).state == {"seq": total}
        assert [e.seq for e in uow.events.list_for(cid)] == list(range(1, total + 1))


# ------------------------------------------------------------------ events


def test_event_log_round_trip(engine, tree):
    recorded = datetime(2024, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    with UnitOfWork(engine) as uow:
        a = _candidate(uow, tree["b1"], "甲")
        b = _candidate(uow, tree["b2"], "乙")
        assert uow.events.next_seq(a) == 1
        e2 = uow.events.append(b, 1, "step", "application", date(2024, 1, 2), NOW, "书记", {"file": "申请书"},
                               definition_key=DEF_KEY)
        e1 = uow.events.append(a, 1, "step", "application", date(2024, 1, 2), recorded, "书记",
                               {"vote": {"yes": 7, "no": 0}}, definition_key=DEF_KEY, late=True)
        e3 = uow.events.append(a, 2, "correct", None, date(2024, 1, 3), NOW, "组织委员", None,
                               definition_key=DEF_KEY, supersedes=e1, reason="日期录错")
        assert uow.events.next_seq(a) == 3
    with pytest.raises(ConcurrentModification):
        with UnitOfWork(engine) as uow:  # a taken seq means another writer was first
            uow.events.append(a, 2, "step", "x", date(2024, 1, 4), NOW, "x", {}, definition_key=DEF_KEY)
    with UnitOfWork(engine, read_only=True) as uow:
        events = uow.events.list_for(a)
        assert [e.id for e in events] == [e1, e3]
        first, correction = events
        assert (first.kind, first.step, first.occurred_on, first.actor, first.evidence, first.late) == (
            "step", "application", date(2024, 1, 2), "书记", {"vote": {"yes": 7, "no": 0}}, True
        )
        assert first.recorded_at == datetime(2024, 3, 2, 0, 0)  # stored as naive UTC
        assert (correction.supersedes, correction.reason, correction.evidence, correction.late) == (e1, "日期录错", {}, False)
        assert [(e.candidate_id, e.seq) for e in uow.events.iter_all(batch=2)] == [(a, 1), (a, 2), (b, 1)]
        assert uow.events.count() == 3
        assert e2 > 0


def test_two_streams_and_queries_interleave(engine, tree):
    """verify walks candidates and events side by side and queries deadlines meanwhile."""
    with UnitOfWork(engine) as uow:
        ids = [_candidate(uow, tree["b1"], f"人{i}") for i in range(5)]
        for cid in ids:
            for seq in (1, 2, 3):
                uow.events.append(cid, seq, "step", f"s{seq}", date(2024, 1, seq), NOW, "书记", {"n": seq},
                                  definition_key=DEF_KEY)
            uow.deadlines.replace(cid, tree["b1"], [DeadlineSpec("s4", "due", date(2024, 2, 1))])
    with UnitOfWork(engine, read_only=True) as uow:
        candidates = uow.candidates.iter_all(batch=2)
        seen = []
        for cid, rows in itertools.groupby(uow.events.iter_all(batch=2), key=lambda r: r.candidate_id):
            assert next(candidates).id == cid
            assert [r.seq for r in rows] == [1, 2, 3]
            assert [d.step for d in uow.deadlines.list_for(cid)] == ["s4"]
            seen.append(cid)
        assert seen == ids and next(candidates, None) is None
        abandoned = uow.events.iter_all(batch=1)
        next(abandoned)
        abandoned.close()  # closes its cursor; the transaction goes on
        assert uow.events.count() == 15


def test_event_log_is_append_only():
    public = {name for name in dir(EventRepo) if not name.startswith("_")}
    assert public == {"append", "count", "conn", "iter_all", "iter_chains", "list_for", "list_for_many", "next_seq"}
    assert not any(w in name for name in public for w in ("update", "delete", "remove", "set", "replace"))


def test_event_kinds_cover_the_engine():
    """The CHECK constraint must accept every kind the engine can emit."""
    from engine.state import EVENT_KINDS as ENGINE_KINDS
    from storage.tables import EVENT_KINDS

    assert set(ENGINE_KINDS) <= set(EVENT_KINDS)


def test_event_kind_is_checked(engine, tree):
    with pytest.raises(IntegrityError):
        with UnitOfWork(engine) as uow:
            cid = _candidate(uow, tree["b1"])
            uow.events.append(cid, 1, "teleport", None, date(2024, 1, 1), NOW, "x", {}, definition_key=DEF_KEY)


# ------------------------------------------------------------------ deadlines


def test_deadline_replace_writes_the_diff(engine, tree):
    with UnitOfWork(engine) as uow:
        cid = _candidate(uow, tree["b1"])
        d = uow.deadlines
        first = [
            DeadlineSpec("talk", "due", date(2024, 2, 1), article="第六条"),
            DeadlineSpec("activist_selection", "earliest", date(2024, 7, 2), provisional=True, article="第九条"),
            {"step": "report", "kind": "recurring", "due_on": date(2024, 4, 2), "article": "第十二条"},
        ]
        assert d.replace(cid, tree["b1"], first) == DeadlineDiff(inserted=3, updated=0, deleted=0)
        assert d.replace(cid, tree["b1"], first) == DeadlineDiff(0, 0, 0)  # idempotent: no writes

        second = [
            DeadlineSpec("activist_selection", "earliest", date(2024, 7, 2), provisional=False, article="第九条"),
            DeadlineSpec("report", "recurring", date(2024, 4, 2), article="第十二条"),
            DeadlineSpec("education", "due", date(2025, 1, 2), article="第十二条"),
        ]  # talk done (deleted), selection no longer provisional (updated), education new (inserted)
        assert d.replace(cid, tree["b1"], second) == DeadlineDiff(inserted=1, updated=1, deleted=1)
        rows = d.list_for(cid)
        assert [(r.step, r.kind, r.due_on, r.provisional, r.article, r.branch_id) for r in rows] == [
            ("report", "recurring", date(2024, 4, 2), False, "第十二条", tree["b1"]),
            ("activist_selection", "earliest", date(2024, 7, 2), False, "第九条", tree["b1"]),
            ("education", "due", date(2025, 1, 2), False, "第十二条", tree["b1"]),
        ]
        # a transfer moves every row to the new branch in place
        assert d.replace(cid, tree["b3"], rows) == DeadlineDiff(0, 3, 0)
        assert [(r.step, r.kind, r.due_on) for r in d.list_for(cid)] == [(r.step, r.kind, r.due_on) for r in rows]
        assert {r.branch_id for r in d.list_for(cid)} == {tree["b3"]}

        with pytest.raises(ValueError):
            d.replace(cid, tree["b3"], [DeadlineSpec("a", "due", date(2024, 1, 1))] * 2)
        assert d.count() == 3
        assert d.replace(cid, tree["b3"], []) == DeadlineDiff(0, 0, 3)
        assert d.list_for(cid) == [] and d.count() == 0


@contextmanager
def _statements(uow):
    """The SQL statements run meanwhile on SQLite's driver connection (None elsewhere)."""
    raw = uow.connection.connection.dbapi_connection
    if uow.connection.dialect.name != "sqlite":
        yield None
        return
    seen: list[str] = []
    raw.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        raw.set_trace_callback(None)


def test_deadline_replace_reuses_rows_that_go_for_rows_that_come(engine, tree):
    """A row that goes and one that comes are one UPDATE in place; the diff still counts both."""
    def spec(step, kind="due", day=1):
        return DeadlineSpec(step, kind, date(2024, 3, day), article="第七条")

    with UnitOfWork(engine) as uow:
        cid = _candidate(uow, tree["b1"])
        d = uow.deadlines
        assert d.replace(cid, tree["b1"], [spec("a"), spec("b"), spec("c")], fresh=True) == DeadlineDiff(3, 0, 0)
        # two go, two come (one of them the same step under another kind), one stays with a new date
        with _statements(uow) as seen:
            assert d.replace(cid, tree["b1"], [spec("b", "earliest"), spec("c", day=9), spec("d")]) == DeadlineDiff(2, 1, 2)
        rows = d.list_for(cid)
        assert {(r.step, r.kind, r.due_on.day) for r in rows} == {("b", "earliest", 1), ("c", "due", 9), ("d", "due", 1)}
        if seen is not None:  # no row deleted, none inserted: the two that went became the two that came
            assert [w.split()[0] for w in seen] == ["SELECT", "UPDATE", "UPDATE", "UPDATE"], seen
        assert d.replace(cid, tree["b1"], [spec("e"), spec("f")]) == DeadlineDiff(2, 0, 3)  # 2 reused, 1 deleted
        assert d.replace(cid, tree["b1"], [spec("e"), spec("f"), spec("g"), spec("h")]) == DeadlineDiff(2, 0, 0)
        assert [r.step for r in sorted(d.list_for(cid), key=lambda r: r.step)] == ["e", "f", "g", "h"]
        assert d.count() == 4


def test_due_between_and_overdue(engine, tree):
    with UnitOfWork(engine) as uow:
        a = _candidate(uow, tree["b1"], "甲", stage="activist")
        b = _candidate(uow, tree["b3"], "乙", stage="development_target")
        c = _candidate(uow, tree["b9"], "丙", stage="activist")
        d = uow.deadlines
        d.replace(a, tree["b1"], [
            DeadlineSpec("talk", "due", date(2024, 3, 1), article="第六条"),
            DeadlineSpec("report", "recurring", date(2024, 3, 10)),
            DeadlineSpec("activist_selection", "earliest", date(2024, 1, 1)),  # never overdue
        ])
        d.replace(b, tree["b3"], [DeadlineSpec("review", "due", date(2024, 3, 20), provisional=True)])
        d.replace(c, tree["b9"], [DeadlineSpec("talk", "due", date(2024, 2, 1))])

    with UnitOfWork(engine, read_only=True) as uow:
        d = uow.deadlines
        assert [(r.candidate_id, r.step) for r in d.due_between("due", date(2024, 2, 1), date(2024, 3, 20))] == [
            (c, "talk"), (a, "talk"), (b, "review")
        ]
        county = uow.orgs.descendants_branch_ids(tree["county"])
        assert [r.candidate_id for r in d.due_between("due", date(2024, 1, 1), date(2024, 12, 31), county)] == [a, b]
        assert d.due_between("recurring", date(2024, 3, 11), date(2024, 12, 31)) == []
        # Core (due_between) and the hot path (list_for) read identical rows
        assert d.due_between("due", date(2024, 3, 1), date(2024, 3, 1)) == [
            r for r in d.list_for(a) if r.kind == "due"
        ]

        overdue = d.overdue(date(2024, 3, 15))
        assert [(r.candidate_id, r.step, r.kind) for r in overdue] == [
            (c, "talk", "due"), (a, "talk", "due"), (a, "report", "recurring")
        ]
        talk = overdue[1]
        assert (talk.person_name, talk.stage, talk.due_on, talk.article, talk.branch_id) == (
            "甲", "activist", date(2024, 3, 1), "第六条", tree["b1"]
        )
        assert [r.candidate_id for r in d.overdue(date(2024, 3, 21), branch_ids=[tree["b3"]])] == [b]
        assert d.overdue(date(2024, 3, 21), branch_ids=[]) == []
        assert d.overdue(date(2024, 1, 1)) == []


# ------------------------------------------------------------------ definitions, holidays


def test_definitions_are_pinned(engine):
    body = {"id": "cpc_2014", "version": 1, "steps": [{"id": "application", "名称": "递交入党申请书"}]}
    with UnitOfWork(engine) as uow:
        assert uow.definitions.ensure(DEF_KEY, "a" * 64, body, NOW) is True
        assert uow.definitions.ensure(DEF_KEY, "a" * 64, body, NOW) is False
    with UnitOfWork(engine) as uow:
        row = uow.definitions.get(DEF_KEY)
        assert (row.key, row.sha256, row.body, row.loaded_at) == (DEF_KEY, "a" * 64, body, NOW)
        assert uow.definitions.get("cpc_2014@2") is None
    with pytest.raises(DefinitionChanged) as info:
        with UnitOfWork(engine) as uow:
            uow.definitions.ensure(DEF_KEY, "b" * 64, {**body, "steps": []}, NOW)
    assert "流程定义 cpc_2014@1" in str(info.value) and "新的版本号" in str(info.value)
    with UnitOfWork(engine) as uow:
        assert uow.definitions.get(DEF_KEY).sha256 == "a" * 64


def test_holidays_upsert(engine):
    y2027 = {"holidays": ["2027-01-01"], "workdays": [], "source": "国务院办公厅通知"}
    with UnitOfWork(engine) as uow:
        uow.holidays.put(2027, y2027, NOW)
        uow.holidays.put(2028, {"holidays": [], "workdays": [], "source": "草稿"}, NOW)
        uow.holidays.put(2028, {"holidays": ["2028-01-01"], "workdays": ["2028-01-02"], "source": "正式"}, NOW)
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.holidays.all() == {
            2027: y2027,
            2028: {"holidays": ["2028-01-01"], "workdays": ["2028-01-02"], "source": "正式"},
        }
        assert uow.holidays.get(2027) == y2027
        assert uow.holidays.get(2030) is None


# ------------------------------------------------------------------ unit of work, engine


def test_unit_of_work_rolls_back_on_error_and_commits_early(engine, tree):
    with pytest.raises(RuntimeError):
        with UnitOfWork(engine) as uow:
            _person(uow, "回滚")
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        with UnitOfWork(engine) as uow:
            _person(uow, "已提交")
            uow.commit()
            _person(uow, "未提交")
            raise RuntimeError("boom")
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.people.find_by_name("回滚") == []
        assert len(uow.people.find_by_name("已提交")) == 1
        assert uow.people.find_by_name("未提交") == []


def test_hot_statements_commit_and_roll_back_with_the_unit_of_work(engine, tree):
    """Hot statements run on the driver connection (on SQLite in a transaction the unit of work began
    there, outside SQLAlchemy): alone or mixed with Core statements, they share its fate."""
    with UnitOfWork(engine) as uow:
        cid = _candidate(uow, tree["b1"], "热路径")
    talk = [DeadlineSpec("talk", "due", date(2024, 2, 1), article="第六条")]

    def event(uow, seq):
        uow.events.append(cid, seq, "step", "application", date(2024, 1, 2), NOW, "x", {}, definition_key=DEF_KEY)

    with pytest.raises(RuntimeError):
        with UnitOfWork(engine) as uow:  # hot statements only
            event(uow, 1)
            uow.deadlines.replace(cid, tree["b1"], talk)
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        with UnitOfWork(engine) as uow:  # hot, then Core on the same transaction, an early commit, hot again
            uow.deadlines.replace(cid, tree["b1"], talk)
            _person(uow, "同一事务")
            uow.commit()
            event(uow, 1)
            raise RuntimeError("boom")
    with UnitOfWork(engine, read_only=True) as uow:
        assert [(d.step, d.kind) for d in uow.deadlines.list_for(cid)] == [("talk", "due")]
        assert len(uow.people.find_by_name("同一事务")) == 1
        assert uow.events.list_for(cid) == []
    with UnitOfWork(engine) as uow:  # a clean exit commits hot-only work
        event(uow, 1)
        assert uow.deadlines.replace(cid, tree["b1"], []) == DeadlineDiff(0, 0, 1)
    with UnitOfWork(engine, read_only=True) as uow:
        assert [e.seq for e in uow.events.list_for(cid)] == [1]
        assert uow.deadlines.list_for(cid) == []


def test_caught_failure_does_not_pass_for_a_commit(engine, tree):
    """PostgreSQL would turn COMMIT of an aborted transaction into a silent ROLLBACK."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite undoes only the failed statement; nothing is silently lost")
    with pytest.raises(TransactionAborted, match="全部修改已撤销"):
        with UnitOfWork(engine) as uow:
            _person(uow, "丢失")
            with pytest.raises(IntegrityError):
                uow.orgs.add("B01", "重复", "branch")
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.people.find_by_name("丢失") == []


def test_sqlite_pragmas_and_begin_immediate(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    # a writer holds the write lock from BEGIN on; a read-only unit of work still reads beside it
    with UnitOfWork(engine) as writer:
        _person(writer, "写入中")
        with UnitOfWork(engine, read_only=True) as reader:
            assert reader.people.find_by_name("写入中") == []  # not yet committed
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_foreign_keys_enforced(engine):
    with pytest.raises(IntegrityError):
        with UnitOfWork(engine) as uow:
            uow.candidates.add(424242, 424242, DEF_KEY, "applicant", {}, date(2024, 1, 1), NOW)


def test_json_keeps_chinese_readable(engine, tree):
    with UnitOfWork(engine) as uow:
        _candidate(uow, tree["b1"], stage="申请人")
        raw = uow.connection.execute(text("SELECT CAST(state AS TEXT) FROM candidate")).scalar_one()
    assert "申请人" in raw
