"""What a user types for a step (id, number, Chinese name) resolves against the pinned definition."""
from __future__ import annotations

import re

import pytest

from engine import DomainError
from engine.commands import resolve_step_ref
from tests.helpers import definition


def test_id_number_and_name_resolve_to_the_id():
    d = definition()
    assert resolve_step_ref(d, "first_talk") == "first_talk"
    assert resolve_step_ref(d, " 3 ") == "activist_selection"
    assert resolve_step_ref(d, "支部大会讨论") == "admission_meeting"


def test_a_number_outside_the_process_is_refused_with_the_range():
    with pytest.raises(DomainError) as err:
        resolve_step_ref(definition(), "26")
    assert "步骤编号应为 1–25，没有第 26 步" in str(err.value)


def test_a_name_shared_by_two_steps_asks_for_the_number():
    with pytest.raises(DomainError) as err:
        resolve_step_ref(definition(), "上级党委审批")  # steps 17 and 24
    assert str(err.value) == "“上级党委审批”可能指：第17步 上级党委审批、第24步 上级党委审批，请写明步骤编号"


def test_a_unique_part_of_a_name_resolves_and_an_exact_name_beats_a_part():
    d = definition()
    assert resolve_step_ref(d, "宣誓") == "oath"
    assert resolve_step_ref(d, "政治审查") == "political_review"
    assert resolve_step_ref(d, "转正申请") == "conversion_application"
    assert resolve_step_ref(d, "支部大会讨论") == "admission_meeting"  # step 23 支部大会讨论转正 contains it


def test_talk_names_the_two_talks_in_chinese_without_ids():
    with pytest.raises(DomainError) as err:
        resolve_step_ref(definition(), "谈话")
    assert str(err.value) == "“谈话”可能指：第2步 党组织派人谈话、第16步 上级党委派人谈话，请写明步骤编号"
    assert not re.search(r"[A-Za-z_]{2,}", str(err.value))


def test_an_unknown_reference_is_left_for_the_engine_to_name():
    assert resolve_step_ref(definition(), "no_such_step") == "no_such_step"
