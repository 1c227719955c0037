"""The checks of a person's fields, each refusal naming its field (one message per bad field).

Shared by every way a person is entered or changed: the people pages, the registration form, the
JSON API, the CLI's `person add`; the rules themselves are engine/input_policy.py's (one policy).
Nothing here writes; a caller stores only what `check_profile` returned.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from engine.errors import DomainError, Violation
from engine.input_policy import (MAX_AGE, MIN_AGE, NAME_MAX, birth_problem, email_problem, hidden_characters,
                                 name_problem, normal_phone, phone_problem)
from storage.tables import GENDERS

from .categories import check, check_tags

__all__ = ["MAX_AGE", "MIN_AGE", "NAME_MAX", "check_birth_date", "check_email", "check_name", "check_phone",
           "check_profile", "hidden_characters"]
FIELD_LABELS = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "ethnicity": "民族", "education": "学历",
                "occupation": "职业", "tags": "类别", "phone": "联系电话"}


def check_name(name: str | None) -> tuple[str, Violation | None]:
    name = (name or "").strip()
    if not name:
        return name, Violation("person.name", "请填写姓名")
    problem = name_problem(name)
    return name, Violation("person.name", problem) if problem else None


def check_phone(phone: str | None) -> tuple[str | None, Violation | None]:
    text = (phone or "").strip()
    if not text:
        return None, None
    problem = phone_problem(text)
    return (None, Violation("person.phone", problem)) if problem else (normal_phone(text), None)


def check_email(email: str | None) -> tuple[str | None, Violation | None]:
    text = (email or "").strip()
    if not text:
        return None, None
    problem = email_problem(text)
    return (None, Violation("person.email", problem)) if problem else (text, None)


def check_birth_date(birth: date | None, today: date) -> Violation | None:
    if birth is None:
        return Violation("person.birth_date", "请填写出生日期")
    problem = birth_problem(birth, today)
    return Violation("person.birth_date", problem) if problem else None


def check_profile(*, name: str | None, gender: str | None, birth_date: date | None, ethnicity: str | None,
                  education: str | None, occupation: str | None, tags: Iterable[str] = (), phone: str | None,
                  today: date, on_record: Any = None) -> dict[str, Any]:
    """The checked values ({field: value} for every FIELD_LABELS field, ready to store: blank
    optional fields None, tags a list), or a `DomainError` with one violation per bad field (codes
    `person.<field>`). `on_record`: the person as stored (an edit): values already on record that
    the lists no longer offer may be kept unchanged."""
    problems: list[Violation] = []
    name, v = check_name(name)
    problems += [v] if v else []
    if gender not in GENDERS:
        problems.append(Violation("person.gender", "请选择性别（男 或 女）"))
    v = check_birth_date(birth_date, today)
    problems += [v] if v else []
    values: dict[str, Any] = {}
    for field, value in (("ethnicity", ethnicity), ("education", education), ("occupation", occupation)):
        values[field], v = check(field, value, on_record=getattr(on_record, field, None))
        problems += [v] if v else []
    values["tags"], v = check_tags(tags, on_record=getattr(on_record, "tags", None) or ())
    problems += [v] if v else []
    values["phone"], v = check_phone(phone)
    problems += [v] if v else []
    if problems:
        raise DomainError(problems)
    return {"name": name, "gender": gender, "birth_date": birth_date, **values,
            "ethnicity": values["ethnicity"] or "汉族"}
