"""The ledger and `verify` for extensions that wait for the township (cpc_2014@2, 党章第七条), on
SQLite and PostgreSQL: 延长预备期批准日期 imports an approved extension, an empty one a pending
extension (said in the preview); the township then approves or refuses it; verify stays clean and
the export writes the meeting and the approval dates back."""
from __future__ import annotations

from datetime import date, timedelta

from engine import CandidateState
from engine.calendar import shift
from services.ledger import intake as ledger
from services.review import commands as review
from services.integrity.verify import verify
from tests.ledger_helpers import clean_path, ledger_row, write_ledger
from workflows.registry import Registry

V2 = Registry.default().get("cpc_2014@2")
FULL = clean_path(V2, date(2015, 3, 1))
EXT_MEETING = shift(FULL["admission_meeting"], months=12) + timedelta(days=2)
EXT_APPROVED = EXT_MEETING + timedelta(days=20)
PROBATION = {k: v for k, v in FULL.items()
             if k not in ("conversion_application", "conversion_meeting", "conversion_approval", "archive")}


def _layout(app):
    with app.uow(read_only=True) as uow:
        return ledger._layout_definition(app, uow, uow.orgs.by_code("t").id)


def _rows(layout):
    def row(name, **extra):
        return ledger_row(layout, name=name, branch="贺丰村党支部", steps=PROBATION,
                          **{"延长预备期(月)": 6, "延长决定日期": EXT_MEETING, **extra})
    return [row("甲批准", 延长预备期批准日期=EXT_APPROVED), row("乙待批"), row("丙待批")]


def _state(app, name) -> tuple[int, CandidateState]:
    with app.uow(read_only=True) as uow:
        for c in uow.candidates.iter_all():
            if uow.people.get(c.person_id).name == name:
                return c.id, CandidateState.from_dict(c.state)
    raise LookupError(name)


def test_import_pending_and_approved_extensions_then_decide_them(app, town, tmp_path):
    layout = _layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", layout, _rows(layout))
    plan = ledger.preview(app, path, "t")
    assert plan.ok, plan.as_dict()["error_list"]
    assert {p.definition.key for p in plan.planned} == {"cpc_2014@3"}  # the version in force for these dates: the newest
    assert plan.summary()["pending_approvals"] == 2
    notes = [(p.name, f.message) for p, f in plan.findings if f.kind == "notice"]
    assert sorted(n for n, _ in notes) == ["丙待批", "乙待批"] and "按待上级党委审批导入" in notes[0][1]

    ledger.confirm(app, path, "t")
    assert verify(app).ok
    _cid, s = _state(app, "甲批准")
    assert (s.extensions, s.extended_on, s.pending) == (1, EXT_APPROVED, None)
    b, s = _state(app, "乙待批")
    assert s.pending is not None and s.extensions == 0
    c, _s = _state(app, "丙待批")

    on = EXT_MEETING + timedelta(days=30)
    review.approve(app, None, b, "conversion_approval", occurred_on=on, evidence={"approved": True}, opinion="同意")
    review.approve(app, None, c, "conversion_approval", occurred_on=on, evidence={"approved": False}, opinion="不同意")
    assert verify(app).ok
    s = _state(app, "乙待批")[1]
    assert (s.extensions, s.extended_on, s.pending) == (1, on, None)
    s = _state(app, "丙待批")[1]
    assert (s.extensions, s.pending) == (0, None) and "conversion_meeting" not in s.done

    # the export: the meeting and the approval of each extension; the refused one has none
    with app.uow(read_only=True) as uow:
        table = ledger.ledger_table(app, uow.orgs.by_code("t").id)
    h = table.headers
    cols = [h.index(x) for x in ("姓名", "延长预备期(月)", "延长决定日期", "延长预备期批准日期")]
    got = {r[cols[0]]: tuple(r[i] for i in cols[1:]) for r in table.rows}
    assert got == {"甲批准": (6, EXT_MEETING, EXT_APPROVED), "乙待批": (6, EXT_MEETING, on), "丙待批": (None, None, None)}


def test_a_pending_extension_exports_without_its_meeting_in_the_step_column(app, town, tmp_path):
    layout = _layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", layout, _rows(layout)[1:2])
    ledger.confirm(app, path, "t")
    with app.uow(read_only=True) as uow:
        table = ledger.ledger_table(app, uow.orgs.by_code("t").id)
    h = table.headers
    meeting_col = next(i for i, x in enumerate(h) if x.endswith("支部大会讨论转正"))
    row = table.rows[0]
    assert row[meeting_col] is None  # the sitting is 延长决定日期, not a conversion meeting
    assert (row[h.index("延长决定日期")], row[h.index("延长预备期批准日期")]) == (EXT_MEETING, None)
