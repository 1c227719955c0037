"""Inputs found by fuzzing: digits int() refuses ("³") and control characters in a CSV cell get one
Chinese refusal, never a traceback."""
from __future__ import annotations

import pytest

from engine.commands import resolve_step_ref
from engine.errors import DomainError
from services.imports.uploads import csv_to_xlsx
from tests.helpers import definition


def test_a_superscript_digit_is_not_a_step_number():
    defn = definition()
    assert "³".isdigit() and not "³".isdecimal()
    assert resolve_step_ref(defn, "³") == "³"  # not a number: left for the engine to name as unknown
    assert resolve_step_ref(defn, "13") == "pre_review"


def test_a_control_character_in_a_csv_cell_is_refused(tmp_path):
    with pytest.raises(DomainError, match="第 2 行含有不可见的控制字符"):
        csv_to_xlsx("姓名,性别\n王\x01,男\n".encode(), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_a_broken_csv_is_refused_in_chinese(tmp_path):
    with pytest.raises(DomainError) as e:
        csv_to_xlsx(b'a,b\n"x\x00,y\n', tmp_path / "x.xlsx")
    assert "CSV 文件格式有误" in str(e.value) or "控制字符" in str(e.value)
    assert not any(c.isascii() and c.isalpha() for c in str(e.value).replace("CSV", "").replace("Excel/WPS", "").replace("xlsx", ""))
