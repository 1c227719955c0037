"""The checks of a person's fields, each refusal naming its field (one message per bad field).

Shared by every way a person is entered or changed: the people pages, the registration form, the
CLI's `person add`. Nothing here writes; a caller stores only what `check_profile` returned.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Iterable

from engine.errors import DomainError, Violation
from storage.tables import GENDERS

from .categories import check, check_tags

NAME_MAX = 40
MIN_AGE, MAX_AGE = 16, 110  # a plausible age today (applicants must be 18 on applying: the engine's rule)
# control, format (bidi overrides, zero-width), private-use, surrogate, unassigned, line/paragraph separators
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
FIELD_LABELS = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "ethnicity": "民族", "education": "学历",
                "occupation": "职业", "tags": "类别", "phone": "联系电话"}


def hidden_characters(text: str) -> bool:
    """Control, bidi-override or zero-width characters (invisible, and they make one name look like another)."""
    return any(unicodedata.category(c) in _BAD_CATEGORIES for c in text)


def check_name(name: str | None) -> tuple[str, Violation | None]:
    name = (name or "").strip()
    if not name:
        return name, Violation("person.name", "请填写姓名")
    if len(name) > NAME_MAX:
        return name, Violation("person.name", f"姓名不能超过 {NAME_MAX} 字")
    if hidden_characters(name):
        return name, Violation("person.name", "姓名含有不可见的控制字符（如从别处复制带入的零宽字符），请重新输入")
    return name, None


def check_phone(phone: str | None) -> tuple[str | None, Violation | None]:
    text = (phone or "").strip()
    if not text:
        return None, None
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if _MOBILE.fullmatch(digits):
        return digits, None
    landline = re.sub(r"\s", "", text)
    if _LANDLINE.fullmatch(landline):
        return landline, None
    return None, Violation("person.phone", f"联系电话“{text}”格式不对：应为11位手机号（如 13812345678），"
                                           f"或带区号的固定电话（如 0934-1234567）")


def check_birth_date(birth: date | None, today: date) -> Violation | None:
    if birth is None:
        return Violation("person.birth_date", "请填写出生日期")
    if birth > today:
        return Violation("person.birth_date", f"出生日期 {birth.isoformat()} 晚于今天")
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if not MIN_AGE <= age <= MAX_AGE:
        return Violation("person.birth_date", f"出生日期 {birth.isoformat()} 不合理：到今天为 {age} 岁，"
                                              f"应在 {MIN_AGE} 至 {MAX_AGE} 岁之间")
    return None


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
