"""The one input policy (engine/input_policy.py): both sides of each boundary, and the hostile
values of issue 17's finding 5 (bidi/zero-width/ANSI/surrogates, 40,000 characters, huge numbers)."""
from __future__ import annotations

from datetime import date

import pytest

from engine import input_policy as ip

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("name,ok", [
    ("王" * 40, True), ("王" * 41, False), ("贺丰村党支部书记 王建国", True), ("𰻞𰻞面", True),  # Ext G
    ("\U00031350王", True),  # CJK Extension H (Unicode 15): unassigned in older tables, still a name
    ("\u202e\u200b\ufeff王", False), ("王\u200b建国", False), ("\x1b[31m王\x1b[0m", False), ("a\udced\udcb3\udcbf", False),
    ("王\n建国", False), ("王\t建国", False), ("王\x00", False), ("王\ue000", False), ("王\u2028", False),
])
def test_names(name, ok):
    problem = ip.name_problem(name)
    assert (problem is None) == ok
    if not ok:
        assert problem.startswith("姓名")


@pytest.mark.parametrize("name,ok", [
    ("阿依古丽·买买提", True), ("玛丽亚・王", True), ("王〇", True), ("Mary-Jane O'Neil", True), ("Tom", True), ("李 四", True),
    ("12345", False), ("张3", False), ("<b>Tom</b>", False), ("王@建国", False), ("·", False), ("--", False),
])
def test_a_name_is_letters_with_the_separators_names_use(name, ok):
    """The reviewer's 「12345」 and 「<b>Tom</b>」 were registered as applicants: a name is letters of any
    script with 间隔号, hyphen, apostrophe or space between them — never digits or symbols alone."""
    problem = ip.name_problem(name)
    assert (problem is None) == ok
    if not ok:
        assert problem == "姓名" + ip.NAME_RULE


def test_free_text_allows_line_breaks_but_nothing_hidden_and_at_most_2000():
    assert ip.text_problem("第一行\n第二行\t缩进") is None
    assert ip.text_problem("长" * 2000) is None
    assert "不能超过 2000 字（现有 40000 字）" in ip.text_problem("长" * 40000, label="决议")
    assert "不可见" in ip.text_problem("同意\u202e")
    assert "不可见" in ip.text_problem("一行\n两行", lines=False)


@pytest.mark.parametrize("born,ok", [
    (date(1900, 1, 1), True), (date(1899, 12, 31), False), (date(1800, 1, 1), False),
    (TODAY, True), (date(2026, 11, 26), False),
])
def test_birth_dates_of_a_register_without_ages(born, ok):
    assert (ip.birth_problem(born, TODAY, ages=None) is None) == ok


@pytest.mark.parametrize("born,ok", [
    (date(2010, 11, 25), True), (date(2010, 11, 26), False),  # 16 today / tomorrow
    (date(1916, 11, 25), True), (date(1915, 11, 25), False),  # 110 / 111 today
])
def test_birth_dates_of_someone_entered_today(born, ok):
    problem = ip.birth_problem(born, TODAY)
    assert (problem is None) == ok
    assert ok or ("不合理" in problem and born.isoformat() in problem)


@pytest.mark.parametrize("text,stored", [
    ("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("0934-1234567", "0934-1234567"),
    ("'; DROP TABLE person;--", None), ("1381234567", None), ("138123456789", None), ("１３８１２３４５６７８", None), ("1３８１２３４５６７８", None),
])
def test_phones(text, stored):
    assert ip.normal_phone(text) == stored
    assert (ip.phone_problem(text) is None) == (stored is not None)


@pytest.mark.parametrize("text,ok", [
    ("wang@example.cn", True), ("a.b+c@mail.example.com", True), ("x@y.z", True),
    ("notanemail", False), ("a@b", False), ("a b@example.cn", False), ("a@-x.cn", False), ("@example.cn", False),
    ("王@例子.中国", False), ("a@b.c\n", False), ("a" * 250 + "@b.cn", False),
])
def test_emails(text, ok):
    problem = ip.email_problem(text)
    assert (problem is None) == ok
    assert ok or "电子邮箱" in problem


@pytest.mark.parametrize("value,result", [
    ("0", 0), (" 7 ", 7), (2**31 - 1, 2**31 - 1), (str(2**31 - 1), 2**31 - 1),
    (2**31, None), ("2147483648", None), ("99999999999999999999", None), ("9" * 5000, None), (10**30, None),
    ("-1", None), (-1, None), ("³", None), ("1_000", None), ("1.5", None), (1.5, None), (True, None), (None, None),
    ([1], None), ("", None), ("+", None), ("\udcff", None),
])
def test_integers_within_their_range(value, result):
    n, problem = ip.parse_int(value)
    assert n == result
    assert (problem is None) == (result is not None)
    assert problem is None or "\udcff" not in problem  # what is echoed back can be printed


def test_values_echoed_back_are_short_and_printable():
    assert ip.shown("王\x1b[31m" + "长" * 100, 5) == "王\ufffd[31…"
    assert ip.shown("\udced", 5) == "\ufffd"
    assert "…" in ip.phone_problem("1" * 41) and len(ip.phone_problem("1" * 40000)) < 120


def test_plain_fast_path_matches_exactly_the_characters_the_full_check_allows():
    """The fast path's class is built as runs of allowed characters: every character of its spans,
    and one on either side of each span, must agree with the one-by-one check."""
    spans = ((0x20, 0x7E), (0x2010, 0x2027), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E))
    for lo, hi in spans:
        for c in range(lo - 1, hi + 2):
            ch = chr(c)
            inside = lo <= c <= hi
            assert bool(ip._PLAIN.fullmatch(ch)) == (inside and not ip._hidden(ch)), hex(c)
    assert ip._PLAIN.fullmatch("张三 2026年5月，支部大会（第3次）")
    assert not ip._PLAIN.fullmatch("李书记\u202e1234")
