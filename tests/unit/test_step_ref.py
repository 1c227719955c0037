"""What a user types for a step (id, number, Chinese name) resolves against the pinned definition."""
from __future__ import annotations

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
    assert "17（admission_approval）" in str(err.value) and "24（conversion_approval）" in str(err.value)


def test_an_unknown_reference_is_left_for_the_engine_to_name():
    assert resolve_step_ref(definition(), "no_such_step") == "no_such_step"
