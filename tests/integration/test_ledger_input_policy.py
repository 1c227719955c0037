"""The ledger import follows the same input policy as the CLI and the web (engine/input_policy.py):
a hostile name, an impossible birth date or a hidden character in 学历 is a row error naming its
column, on SQLite and PostgreSQL; the good rows still plan, nothing is written by a preview."""
from __future__ import annotations

from datetime import date

import pytest

from services.ledger import intake as ledger
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from workflows.registry import Registry

D = Registry.default().get("cpc_2014@2")


@pytest.mark.parametrize("change,column,words", [
    ({"name": "\u202e\u200b\ufeff王"}, "姓名", "不可见"),
    ({"name": "王\ue000"}, "姓名", "不可见"),  # private use (a control character cannot even be in an xlsx)
    ({"name": "王" * 41}, "姓名", "不能超过 40 字"),
    ({"birth": "1899.12.31"}, "出生日期", "1900"),  # as text: Excel has no dates before 1900
    ({"birth": date(2026, 11, 26)}, "出生日期", "晚于今天"),
    ({"学历": "大专\u200b"}, "学历", "不可见"),
])
def test_a_hostile_row_is_an_error_naming_its_column(app, town, tmp_path, change, column, words):
    L = township_layout(app)
    steps = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    fields = {"name": "甲", "branch": "贺丰村党支部", "steps": steps, **change}
    bad = ledger_row(L, **fields)
    good = ledger_row(L, name="乙", branch="贺丰村党支部", steps=steps, birth=date(1900, 1, 1))
    plan = ledger.plan_import(app, write_ledger(tmp_path / "台账.xlsx", L, [bad, good]), "t")
    [error] = plan.errors  # the sheet's first data row is row 3 (a title row, then the headers)
    assert (error.row, error.column) == (3, column) and words in error.message and "第 3 行" in error.message
    assert [p.name for p in plan.planned] == ["乙"]  # 1900-01-01: the earliest birth date still plans
    with app.uow(read_only=True) as uow:
        assert uow.candidates.count() == 0  # a plan writes nothing
