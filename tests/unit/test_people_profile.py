"""A person's fields: each refusal names its field; the birth date's plausible range on both sides
of each boundary (a passed `today`, no clock)."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import DomainError
from services.people.profile import check_birth_date, check_name, check_phone, check_profile

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("born,ok", [
    (date(2010, 11, 25), True),   # 16 today
    (date(2010, 11, 26), False),  # 16 tomorrow
    (date(1915, 11, 26), True),   # 110 today, 111 tomorrow
    (date(1915, 11, 25), False),  # 111 today
    (TODAY, False),
    (date(2026, 11, 26), False),  # tomorrow: 晚于今天
])
def test_birth_date_is_plausible_on_both_sides(born, ok):
    problem = check_birth_date(born, TODAY)
    assert (problem is None) == ok
    if not ok:
        assert problem.code == "person.birth_date" and born.isoformat() in problem.message


@pytest.mark.parametrize("typed,stored", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
    ("0934-1234567", "0934-1234567"), ("010 12345678", "01012345678"), ("0934-1234567-801", "0934-1234567-801"),
    ("", None),
])
def test_phones_accepted(typed, stored):
    assert check_phone(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["12345", "1381234567", "23812345678", "138123456789", "电话", "0934"])
def test_phones_refused(typed):
    value, problem = check_phone(typed)
    assert value is None and problem.code == "person.phone" and typed in problem.message


@pytest.mark.parametrize("name,ok", [
    ("王建国", True), ("阿依古丽·买买提", True), ("张" * 40, True), ("张" * 41, False), ("  ", False),
    ("王\u200b建国", False), ("王\u202e建国", False), ("王\u2066建国", False), ("王\t建国", False), ("王\ufeff建国", False),
])
def test_names(name, ok):
    assert (check_name(name)[1] is None) == ok


def test_every_bad_field_at_once_nothing_else():
    with pytest.raises(DomainError) as e:
        check_profile(name="", gender="X", birth_date=date(1800, 1, 1), ethnicity="汉人", education="本科",
                      occupation="农民", tags=["致富能手"], phone="1", today=TODAY)
    assert [v.code for v in e.value.violations] == [
        "person.name", "person.gender", "person.birth_date", "person.ethnicity", "person.education",
        "person.occupation", "person.tags", "person.phone"]
    good = check_profile(name=" 王建国 ", gender="男", birth_date=date(1970, 1, 1), ethnicity=None, education="",
                         occupation="其他：个体", tags=[], phone=None, today=TODAY)
    assert good == {"name": "王建国", "gender": "男", "birth_date": date(1970, 1, 1), "ethnicity": "汉族",
                    "education": None, "occupation": "其他（个体）", "tags": [], "phone": None}
