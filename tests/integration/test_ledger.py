"""The ledger in and out on SQLite and PostgreSQL: preview → confirm → undo, the demo township's
round trip, compliance findings on both sides of their boundaries, and bad files that change nothing."""
from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from engine import DomainError
from engine.calendar import shift
from reports.ledger.layout import layout_for
from reports.ledger.reader import Limits
from services.casework import candidates as uc
from services.ledger import intake as ledger
from services.app import SHANGHAI, App
from services.compliance.audit import audit
from services.demo import run_demo
from services.demo.sample_evidence import sample_evidence
from services.integrity.verify import verify
from reports.period import parse_period
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from workflows.registry import Registry

# The rows' dates follow the rules they are imported under (applications in 2014–2015: cpc_2014@3);
# the sheet's headers are the township's layout on the test clock (township_layout: cpc_2026@2).
D = Registry.default().for_date(date(2015, 3, 1))  # the version these rows are imported under (cpc_2014@3)


def _counts(app):
    from sqlalchemy import func, select

    from storage.tables import deadline, finding, milestone

    with app.uow(read_only=True) as uow:
        tables = [uow.connection.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (deadline, milestone, finding)]
        return (uow.candidates.count(), uow.events.count(), len(uow.people.list()), len(uow.imports.list()), *tables)


def _rows(L):
    """Four candidates: compliant, cultivation one day short of a year, approval one day over
    three months, and exactly on both boundaries; headed by the layout `L`."""
    a = clean_path(D, date(2015, 3, 1))
    base = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    short = clean_path(D, date(2015, 3, 1), until="target_filing", overrides={
        **base, "target_selection": shift(base["activist_selection"], years=1) - timedelta(days=1)})
    exact = clean_path(D, date(2015, 3, 1), until="target_filing", overrides={
        **base, "target_selection": shift(base["activist_selection"], years=1)})
    meet = clean_path(D, date(2015, 4, 1), until="admission_meeting")
    late = clean_path(D, date(2015, 4, 1), until="admission_approval", overrides={
        **meet, "committee_talk": meet["admission_meeting"] + timedelta(days=3),
        "admission_approval": shift(meet["admission_meeting"], months=3) + timedelta(days=1)})
    ontime = clean_path(D, date(2015, 4, 1), until="admission_approval", overrides={
        **meet, "committee_talk": meet["admission_meeting"] + timedelta(days=3),
        "admission_approval": shift(meet["admission_meeting"], months=3)})
    return [
        ledger_row(L, name="甲正式", branch="贺丰村党支部", steps=a, stage="正式党员"),
        ledger_row(L, name="乙短期", branch="贺丰村", steps=short, birth="1991.2.3"),
        ledger_row(L, name="丙满年", branch="b2", steps=exact, birth="1992年3月4日"),
        ledger_row(L, name="丁迟批", branch="东王村党支部", steps=late, gender="男"),
        ledger_row(L, name="戊按期", branch="东王村党支部", steps=ontime, gender="男"),
    ]


def test_preview_confirm_audit_undo(app, town, tmp_path):
    L = township_layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", L, _rows(L))
    before = _counts(app)
    plan = ledger.preview(app, path, "t")
    assert plan.ok and len(plan.planned) == 5 and _counts(app) == before  # preview writes nothing
    found = {(p.name, f.rule, f.article) for p, f in plan.findings}
    assert {p.definition.key for p in plan.planned} == {"cpc_2014@3"}
    assert found == {("乙短期", "not_before", "第十三条"), ("丁迟批", "late", "第二十六条")}
    stages = plan.summary()["stages"]
    assert stages == {"正式党员": 1, "发展对象": 2, "预备党员": 2}

    progress = []
    res = ledger.confirm(app, path, "t", progress=lambda d, t: progress.append((d, t)), batch_size=2)
    assert res["candidates"] == 5 and res["findings"] == 1 and res["late_steps"] == 1
    assert progress[-1] == (res["events"], res["events"]) and len(progress) == 3
    assert verify(app).ok
    with app.uow(read_only=True) as uow:
        people = {p.name: p for p in uow.people.list()}
    assert people["甲正式"].party_status == "full_member" and people["丁迟批"].party_status == "probationary"
    assert people["乙短期"].birth_date == date(1991, 2, 3) and people["乙短期"].tags == ["致富带头人"]

    report = audit(app, "t", parse_period("2016"))
    kinds = {(i["person"], i["kind"], i["article"]) for i in report["items"]}
    assert ("乙短期", "finding", "第十三条") in kinds
    assert all(i["occurred_on"].startswith("2016") for i in report["items"])
    everything = audit(app, "t")
    assert {(i["person"], i["article"]) for i in everything["items"]} >= {("乙短期", "第十三条"), ("丁迟批", "第二十六条")}

    # the same file again: refused as a duplicate import
    with pytest.raises(DomainError, match="已于"):
        ledger.confirm(app, path, "t")
    # re-reading it shows every row as possibly already on record
    assert len(ledger.preview(app, path, "t").ambiguous) == 5

    out = ledger.undo(app, res["import_id"])
    assert out["candidates"] == 5 and out["people"] == 5 and out["findings"] == 1
    assert _counts(app)[:3] == before[:3] and verify(app).ok
    with pytest.raises(DomainError, match="已于"):
        ledger.undo(app, res["import_id"])


def test_undo_refused_after_a_later_step(app, town, tmp_path):
    steps = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    L = township_layout(app)
    path = write_ledger(tmp_path / "l.xlsx", L, [ledger_row(L, name="己", branch="贺丰村党支部", steps=steps)])
    res = ledger.confirm(app, path, "t")
    with app.uow(read_only=True) as uow:
        cid = uow.candidates.iter_all().__next__().id
    on = steps["mentors_assigned"] + timedelta(days=30)
    uc.complete_step(app, cid, "cultivation", occurred_on=on, actor="书记",
                     evidence=sample_evidence("cultivation", on, cal=app.calendar))
    with pytest.raises(DomainError, match="导入后又登记"):
        ledger.undo(app, res["import_id"])
    assert _counts(app)[0] == 1 and verify(app).ok


def test_round_trip_of_the_demo_township(app, tmp_path):
    src = App.open(f"sqlite:///{tmp_path / 'demo.db'}")
    run_demo(src)
    path = tmp_path / "demo.xlsx"
    ledger.export(src, "nanchuan", path)
    with app.uow() as uow, src.uow(read_only=True) as s:
        ids = {}
        for o in s.orgs.list():
            ids[o.id] = uow.orgs.add(code=o.code, name=o.name, level=o.level, kind=o.kind,
                                     parent_id=ids.get(o.parent_id))
    app.clock = lambda: datetime(2018, 6, 30, 18, 0, tzinfo=SHANGHAI)
    res = ledger.confirm(app, path, "nanchuan")
    assert verify(app).ok

    def states(a):
        with a.uow(read_only=True) as uow:
            out = {}
            for c in uow.candidates.iter_all():
                p = uow.people.get(c.person_id)
                s = dict(c.state)
                s.pop("seq"), s.pop("branch_id")
                with_branch = uow.orgs.get(c.branch_id).code
                out[(p.name, p.birth_date, c.applied_on)] = (c.stage, with_branch, s, p.party_status, tuple(p.tags))
            return out

    want, got = states(src), states(app)
    assert res["candidates"] == len(want) == 36
    assert got == want
    # and out again: the same ledger, row for row (only the title's org name could differ)
    with src.uow(read_only=True) as s, app.uow(read_only=True) as uow:
        a_id, b_id = s.orgs.by_code("nanchuan").id, uow.orgs.by_code("nanchuan").id
    assert ledger.ledger_table(app, b_id).rows == ledger.ledger_table(src, a_id).rows
    src.close()


def test_stage_counts_and_export_layout(app, town, tmp_path):
    L = township_layout(app)
    path = write_ledger(tmp_path / "l.xlsx", L, _rows(L))
    ledger.confirm(app, path, "t")
    out = tmp_path / "out.xlsx"
    ledger.export(app, "t", out)
    ws = load_workbook(out)["发展党员工作台账"]
    headers = [c.value for c in ws[2]]
    assert headers[:9] == ["序号", "姓名", "性别", "出生日期", "民族", "学历", "职业", "类别(标签)", "所在党支部"]
    assert headers[9] == "1 递交入党申请书" and headers[33] == "25 材料归档" and headers[-1] == "备注"
    assert ws.freeze_panes == "C3" and ws.page_setup.orientation == "landscape"
    assert ws.cell(3, 4).number_format == "yyyy-mm-dd" and isinstance(ws.cell(3, 10).value, datetime)
    assert ws.cell(2, 1).font.bold


# ------------------------------------------------------------------ bad files: one Chinese error, nothing changed

def _bad(app, path, match, **kw):
    before = _counts(app)
    with pytest.raises(DomainError, match=match):
        ledger.confirm(app, path, "t", **kw)
    assert _counts(app) == before


def test_not_an_xlsx(app, town, tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_text("姓名,性别\n张三,男\n", encoding="utf-8")
    _bad(app, p, "不是 Excel")
    q = tmp_path / "y.xlsx"
    with zipfile.ZipFile(q, "w") as z:
        z.writestr("hello.txt", "hi")
    _bad(app, q, "不是 Excel")


def test_wrong_sheet(app, town, tmp_path):
    wb = Workbook()
    wb.active.title = "汇总"
    wb.create_sheet("其他")
    wb.save(tmp_path / "s.xlsx")
    _bad(app, tmp_path / "s.xlsx", "找不到名为“发展党员工作台账”的工作表")


def test_merged_header(app, town, tmp_path):
    L = township_layout(app)
    p = write_ledger(tmp_path / "m.xlsx", L, _rows(L)[:1])
    wb = load_workbook(p)
    wb.active.merge_cells("B2:C2")
    wb.save(p)
    _bad(app, p, "合并单元格（B2:C2）")


def test_formula_without_cached_value(app, town, tmp_path):
    L = township_layout(app)
    p = write_ledger(tmp_path / "f.xlsx", L, _rows(L)[:1])
    wb = load_workbook(p)
    wb.active["D3"] = "=DATE(1990,5,1)"
    wb.save(p)
    _bad(app, p, "D3 是公式且没有计算结果")


def test_too_many_rows(app, town, tmp_path):
    L = township_layout(app)
    p = write_ledger(tmp_path / "n.xlsx", L, _rows(L))
    _bad(app, p, "超过单次导入上限 3 行", limits=Limits(max_rows=3))


def test_zip_bomb_is_refused_before_parsing(app, town, tmp_path):
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (40 * 2**20))
    _bad(app, p, "压缩炸弹")


def test_duplicate_rows_out_of_order_dates_unknown_headers(app, town, tmp_path):
    L = township_layout(app)
    rows = _rows(L)
    p = write_ledger(tmp_path / "d.xlsx", L, [rows[0], dict(rows[0])])
    _bad(app, p, "1 处错误")
    plan = ledger.preview(app, p, "t")
    assert plan.errors[0].row == 4 and "与第 3 行重复" in plan.errors[0].message

    steps = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    steps["activist_filing"] = steps["activist_selection"] - timedelta(days=2)
    p = write_ledger(tmp_path / "o.xlsx", L, [ledger_row(L, name="庚", branch="贺丰村党支部", steps=steps)])
    plan = ledger.preview(app, p, "t")
    assert plan.errors[0].column == "4 报上级党委备案" and "早于前置步骤" in plan.errors[0].message
    _bad(app, p, "错误")

    headers = (*layout_for(L).headers, "政治面貌")
    p = write_ledger(tmp_path / "u.xlsx", L, rows[:1], headers=headers)
    _bad(app, p, "无法识别的表头：.*政治面貌")
    # the 2014 layout's 「8 报上级党委备案」 is not the township's column now (cpc_2026@2: 报上级党委同意)
    steps = clean_path(D, date(2015, 3, 1), until="target_filing")
    p = write_ledger(tmp_path / "v.xlsx", D, [ledger_row(D, name="辛", branch="贺丰村党支部", steps=steps)])
    _bad(app, p, "无法识别的表头：.*8 报上级党委备案")


def test_bad_cells_are_named_and_skip_bad_rows(app, town, tmp_path):
    L = township_layout(app)
    rows = _rows(L)
    rows[1]["出生日期"] = "九一年"
    rows[2]["所在党支部"] = "不存在村"
    rows[3]["性别"] = "未知"
    p = write_ledger(tmp_path / "b.xlsx", L, rows)
    plan = ledger.preview(app, p, "t")
    errs = {(e.row, e.column) for e in plan.errors}
    assert errs == {(4, "出生日期"), (5, "所在党支部"), (6, "性别")}
    _bad(app, p, "3 处错误")
    res = ledger.confirm(app, p, "t", skip_bad_rows=True)
    assert res["candidates"] == 2 and res["skipped_rows"] == [4, 5, 6]
    assert verify(app).ok


def test_undo_refused_once_an_imported_member_is_named_as_a_sponsor(app, town, tmp_path):
    """An imported full member named later as someone's mentor: undoing the import would delete
    the person that record names: refused, naming the record, and nothing changed."""
    full = clean_path(D, date(2014, 7, 1))
    mentor_too = clean_path(D, date(2014, 8, 1))
    L = township_layout(app)
    path = write_ledger(tmp_path / "l.xlsx", L, [
        ledger_row(L, name="庚正式", branch="贺丰村党支部", steps=full, stage="正式党员"),
        ledger_row(L, name="辛正式", branch="贺丰村党支部", steps=mentor_too, stage="正式党员"),
    ])
    plan = ledger.preview(app, path, "t")
    assert plan.ok, plan.errors
    res = ledger.confirm(app, path, "t")
    with app.uow(read_only=True) as uow:
        members = sorted(p.id for p in uow.people.list() if p.name in ("庚正式", "辛正式"))
    with app.uow() as uow:
        applicant = uow.people.add(name="壬申请", gender="女", birth_date=date(1996, 5, 5))
    cid = uc.register_applicant(app, person_id=applicant, branch_id=town["b1"], occurred_on=date(2018, 1, 2),
                                actor="书记").candidate_id
    for step, on in (("first_talk", date(2018, 1, 20)), ("activist_selection", date(2018, 2, 1)),
                     ("activist_filing", date(2018, 2, 5))):
        uc.complete_step(app, cid, step, occurred_on=on, actor="书记", evidence=sample_evidence(step, on, cal=app.calendar))
    on = date(2018, 2, 6)
    uc.complete_step(app, cid, "mentors_assigned", occurred_on=on, actor="书记",
                     evidence=sample_evidence("mentors_assigned", on, mentors=members, cal=app.calendar))
    before = _counts(app)
    with pytest.raises(DomainError, match="被 1 条其他记录列为培养联系人或入党介绍人") as e:
        ledger.undo(app, res["import_id"])
    assert "壬申请的第 5 条记录" in str(e.value) and f"候选人 {cid}" not in str(e.value)  # a name, not an id
    assert _counts(app) == before and verify(app).ok


@pytest.mark.parametrize("birth, found", [(date(1997, 3, 2), True), (date(1997, 3, 1), False)])  # 18 on 2015-03-01
def test_an_imported_under_age_application_is_shown_on_the_candidates_page(app, town, tmp_path, birth, found):
    """第五条: the ledger is imported as it is (the finding records the breach), and the candidate's
    own page lists the finding with its article (services.compliance.findings.candidate_findings)."""
    from services.compliance.findings import candidate_findings

    L = township_layout(app)
    steps = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    path = write_ledger(tmp_path / "台账.xlsx", L, [ledger_row(L, name="少年甲", branch="贺丰村党支部", steps=steps,
                                                             birth=birth)])
    res = ledger.confirm(app, path, "t")
    assert res["candidates"] == 1 and res["findings"] == (1 if found else 0)
    with app.uow(read_only=True) as uow:
        cid = uow.candidates.list([uow.orgs.by_code("b1").id])[0].id
    shown = candidate_findings(app, cid)
    if not found:
        assert shown == {"lines": [], "more": 0}
        return
    assert len(shown["lines"]) == 1 and shown["more"] == 0
    line = shown["lines"][0]
    assert line.startswith("2015-03-01：") and "年满18周岁" in line and "细则第五条" in line and line.endswith("（导入台账）")
