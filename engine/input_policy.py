"""One input policy: what a typed value may be, wherever it is typed — the CLI, the web forms, the
JSON API and the ledger import all check names, phones, e-mail addresses, birth dates, integers
and free text here, so one surface cannot accept what another refuses (issue 17, finding 5).

Pure (no I/O, no clock: `today` is passed in), so the engine's evidence checks use it too. Each
check returns the problem as a Chinese sentence (None when the value is fine); the caller wraps it
in its own `Violation` code. A `label` is the field's Chinese name, put in front of the sentence
("姓名不能超过 40 字"); an empty label gives the rule alone, for callers that name the field
themselves ("谈话记录：不能超过 2000 字").
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

NAME_MAX = 40  # a person's name (the web form's limit; names with a title fit too: "贺丰村党支部书记 王建国")
TEXT_MAX = 2000  # a free-text record (talk notes, opinions): a page of writing
DOCREF_MAX = 200  # a document number or file reference
EMAIL_MAX = 254  # RFC 5321's longest forward path
MAX_INT = 2**31 - 1  # INTEGER columns: candidate, person and organisation ids, versions, counts, hours
MAX_ID = 2**63 - 1  # BIGINT ids (events, outbox rows)
EARLIEST_BIRTH = date(1900, 1, 1)  # nobody on a register was born before (the ledger's oldest members included)
MIN_AGE, MAX_AGE = 16, 110  # a plausible age today for someone entered now (18 on applying: the engine's rule)

# Unicode categories no typed name or record needs: control (Cc: NUL, ESC of ANSI colour codes, DEL),
# format (Cf: bidi overrides U+202A–202E / 2066–2069, zero-width U+200B–200F, BOM U+FEFF), private
# use, surrogates (Cs: a lone surrogate from undecodable bytes), unassigned, line/paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_LINE_BREAKS = frozenset("\n\r\t")  # allowed in multi-line text only
# CJK ideographs added after this Python's Unicode tables (e.g. Extension H/I, Unicode 15) read as
# "unassigned"; planes 2 and 3 hold nothing but ideographs, so a rare character in a name stays typable.
_IDEOGRAPH_PLANES = range(0x20000, 0x40000)

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?", re.ASCII)
# The WHATWG "valid e-mail address" (what a browser's <input type=email> accepts), ASCII only.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")

NAME_RULE = "只能由文字组成，可含间隔号“·”（如 阿依古丽·买买提），不能含数字或符号"
_NAME_MARKS = frozenset("·•・‧.-'’ ")
HIDDEN_RULE = "含有不可见的控制字符（如从别处复制带入的零宽字符、方向控制符或颜色代码），请重新输入"


def _hidden(c: str) -> bool:
    return unicodedata.category(c) in _HIDDEN and not (ord(c) in _IDEOGRAPH_PLANES and unicodedata.category(c) == "Cn")


def _plain_class(*spans: tuple[int, int]) -> re.Pattern:
    """A regex matching text made only of the characters of `spans` that `_hidden` allows (checked
    one by one here, against this Python's own Unicode tables)."""
    runs: list[list[int]] = []  # allowed characters as [first, last] runs: a short class compiles at once
    for lo, hi in spans:
        for c in range(lo, hi + 1):
            if _hidden(chr(c)):
                continue
            if runs and runs[-1][1] == c - 1:
                runs[-1][1] = c
            else:
                runs.append([c, c])
    cls = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)
    return re.compile("[" + cls + "]*")


# Printable ASCII, CJK punctuation, the unified ideographs, fullwidth forms, general punctuation:
# nearly every value typed here. Text made of them alone has nothing hidden (the fast path of
# `hidden_characters`, a step's evidence runs it on every text field).
_PLAIN = _plain_class((0x20, 0x7E), (0x2010, 0x2027), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E))


def hidden_characters(text: str, *, lines: bool = False) -> bool:
    """Control, bidi-override, zero-width, private-use, surrogate or unassigned characters: they
    hide or reorder what a record says (「李书记\u202e1234」 reads backwards), make one name look like
    another, or cannot even be stored (a lone surrogate is not UTF-8). `lines`: line breaks and
    tabs are allowed (multi-line notes)."""
    if _PLAIN.fullmatch(text):
        return False
    return any(_hidden(c) and not (lines and c in _LINE_BREAKS) for c in text)


def shown(text: str, limit: int = 20) -> str:
    """A typed value quoted back in a message: hidden characters as �, at most `limit` characters
    (a refusal must not print a lone surrogate, a colour code or 40,000 characters back)."""
    clean = "".join("\ufffd" if _hidden(c) else c for c in text[:limit + 1])
    return clean if len(clean) <= limit else clean[:limit] + "…"


def text_problem(text: str, *, label: str = "", limit: int = TEXT_MAX, lines: bool = True) -> str | None:
    """A free-text value: at most `limit` characters, nothing hidden (line breaks only when `lines`)."""
    if len(text) > limit:
        return f"{label}不能超过 {limit} 字（现有 {len(text)} 字）"
    if hidden_characters(text, lines=lines):
        return f"{label}{HIDDEN_RULE}"
    return None


def name_problem(name: str, *, label: str = "姓名", limit: int = NAME_MAX) -> str | None:
    """A name (a person, a recorder): one line, at most `limit` characters, nothing hidden. `name`
    is the trimmed value; an empty one is the caller's "请填写" (optional for some fields)."""
    if len(name) > limit:
        return f"{label}不能超过 {limit} 字"
    if hidden_characters(name):
        return f"{label}{HIDDEN_RULE}"
    if not all(_name_character(c) for c in name) or all(c in _NAME_MARKS for c in name):
        return f"{label}{NAME_RULE}"
    return None


def _name_character(c: str) -> bool:
    """Letters of any script (and their combining marks), the 间隔号 of minority and foreign names,
    hyphen, apostrophe, full stop and space; digits and symbols (「12345」, 「<b>张三</b>」) are not names."""
    return (unicodedata.category(c)[0] in "LM" or c in _NAME_MARKS or c == "〇"  # 〇 is a number (Nl), also in names
            or ord(c) in _IDEOGRAPH_PLANES)  # Ext H on old tables


def normal_phone(text: str) -> str | None:
    """A phone number as stored (an 11-digit mobile without +86, or a landline with its area code),
    or None when `text` is neither."""
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if _MOBILE.fullmatch(digits):
        return digits
    landline = re.sub(r"\s", "", text)
    return landline if _LANDLINE.fullmatch(landline) else None


def phone_problem(text: str, *, label: str = "联系电话") -> str | None:
    if normal_phone(text) is None:
        return (f"{label}“{shown(text, 40)}”格式不对：应为11位手机号（如 13812345678），"
                "或带区号的固定电话（如 0934-1234567）")
    return None


def email_problem(text: str, *, label: str = "电子邮箱") -> str | None:
    """An e-mail address as a browser's e-mail field accepts it (name@example.com), ≤ 254 characters."""
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        return f"{label}“{shown(text, 60)}”格式不对，应形如 name@example.com"
    return None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth_problem(birth: date, today: date, *, label: str = "出生日期", ages: tuple[int, int] | None = (MIN_AGE, MAX_AGE)) -> str | None:
    """A birth date: not after today, not before 1900, and (`ages`, for someone entered today) a
    plausible age. A historical register (the ledger import) passes `ages=None`: its members may
    have died long ago, and the engine checks the age on applying."""
    if birth > today:
        return f"{label} {birth.isoformat()} 晚于今天"
    if birth < EARLIEST_BIRTH:
        return f"{label} {birth.isoformat()} 不合理：应不早于 {EARLIEST_BIRTH.isoformat()}"
    if ages is not None:
        age = age_on(birth, today)
        if not ages[0] <= age <= ages[1]:
            return f"{label} {birth.isoformat()} 不合理：到今天为 {age} 岁，应在 {ages[0]} 至 {ages[1]} 岁之间"
    return None


def int_problem(value: Any, *, label: str = "", low: int = 0, high: int = MAX_INT) -> str | None:
    """An integer within [low, high] (ints beyond the database's INTEGER are a typing error and
    would overflow the driver). Booleans are not integers here."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{label}应为整数"
    if value < low:
        return f"{label}不能小于 {low}" if low else f"{label}不能为负数"
    if value > high:
        return f"{label}数值过大（最大 {high}），请核对"
    return None


def parse_int(value: Any, *, label: str = "", low: int = 0, high: int = MAX_INT) -> tuple[int | None, str | None]:
    """(the integer, None) or (None, the problem) for an int or typed text ("12", " 7 "): ASCII
    digits only (int() would also take "³"-like digits and "1_000"), at most 19 before converting."""
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        digits = s[1:] if s[:1] in "+-" else s
        if not digits or not digits.isascii() or not digits.isdigit():
            return None, f"{label}“{shown(s)}”不是整数"
        if len(digits) > 19:
            return None, f"{label}数值过大（最大 {high}），请核对"
        n = -int(digits) if s[:1] == "-" else int(digits)
    else:
        return None, f"{label}应为整数"
    problem = int_problem(n, label=label, low=low, high=high)
    return (None, problem) if problem else (n, None)
