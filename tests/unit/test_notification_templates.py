"""Notification templates: every kind renders natural Chinese, the digest groups and counts,
deployments can override a template, and a missing variable is an error, not a blank.

docs/digest-example.txt is checked against the real renderer output here; regenerate it with
PARTYFLOW_WRITE_DOCS=1 .venv/bin/pytest tests/unit/test_notification_templates.py
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from notifications.render import (
    KINDS,
    PROVISIONAL_NOTE,
    Renderer,
    days_text,
    salutation,
    split_subject,
)

ROOT = Path(__file__).resolve().parents[2]
DIGEST_EXAMPLE = ROOT / "docs" / "digest-example.txt"


def item(**overrides):
    base = {
        "candidate_id": 42,
        "candidate_name": "张秀英",
        "branch": "贺丰村党支部",
        "step_number": 17,
        "step_name": "上级党委审批",
        "due_on": "2018-06-30",
        "days": 7,
        "citation": "细则第二十五条",
        "provisional": False,
        "kind": "reminder",
    }
    return {**base, **overrides}


def single(kind, renderer=None, **overrides):
    renderer = renderer or Renderer(env={})
    org = "南川乡党委" if kind == "escalation" else "贺丰村党支部"
    return renderer.render(
        kind, item=item(kind=kind, **overrides), recipient_name="王建国", org_name=org, as_of=date(2018, 6, 23)
    )


@pytest.fixture
def renderer():
    return Renderer(env={})


# --- single items -------------------------------------------------------------------------------


def test_reminder(renderer):
    subject, body = single("reminder", renderer)
    assert subject == "【发展党员提醒】张秀英“上级党委审批”还有 7 天到期"
    assert body.startswith("王建国同志：\n\n贺丰村党支部有一项发展党员工作即将到期：")
    assert "张秀英 · 第17步“上级党委审批”" in body
    assert "最迟于 2018年6月30日（周六，含当日）办理，还有 7 天到期；依据细则第二十五条。" in body
    assert body.endswith("—— 发展党员工作系统 2018-06-23 自动发送，请勿直接回复。")
    assert "\n\n\n" not in body and "{" not in body


def test_overdue(renderer):
    subject, body = single("overdue", renderer, days=3, due_on="2018-06-20")
    assert subject == "【发展党员逾期】张秀英“上级党委审批”已逾期 3 天"
    assert "有一项发展党员工作已逾期" in body
    assert "最迟于 2018年6月20日（周三，含当日）办理，已逾期 3 天；依据细则第二十五条。" in body


def test_escalation_names_the_branch(renderer):
    subject, body = single("escalation", renderer, days=-12, due_on="2018-06-11")
    assert subject == "【发展党员督办】贺丰村党支部 张秀英“上级党委审批”已逾期 12 天"
    assert "已升级至乡镇党委督办" in body
    assert "贺丰村党支部 张秀英 · 第17步" in body
    assert "请督促该支部尽快办理" in body


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "report"])  # the report notice: its own test
def test_every_kind_renders_a_one_line_subject_and_a_body(renderer, kind):
    context = {"recipient_name": "王建国", "org_name": "贺丰村党支部", "as_of": "2018-06-23"}
    if kind == "digest":
        subject, body = renderer.render(kind, items=[item()], **context)
    else:
        subject, body = renderer.render(kind, item=item(kind=kind), **context)
    assert subject and "\n" not in subject and subject.startswith("【发展党员")
    assert "张秀英" in body and "依据细则第二十五条" in body and "2018年6月30日" in body


@pytest.mark.parametrize(
    "kind, days, phrase",
    [
        ("reminder", 7, "还有 7 天到期"),
        ("reminder", 1, "明天到期"),
        ("reminder", 0, "今天到期"),
        ("reminder", -2, "已逾期 2 天"),
        ("overdue", 3, "已逾期 3 天"),
        ("overdue", -3, "已逾期 3 天"),
        ("escalation", 30, "已逾期 30 天"),
    ],
)
def test_days_phrases(kind, days, phrase):
    assert days_text({"kind": kind, "days": days}) == phrase


@pytest.mark.parametrize(
    "name, greeting",
    [
        ("王建国", "王建国同志"),
        ("欧阳建国", "欧阳建国同志"),
        ("阿依古丽·买买提", "阿依古丽·买买提同志"),
        ("王建国同志", "王建国同志"),
        ("李书记", "李书记"),
        ("贺丰村党支部书记（未登记联系人）", "贺丰村党支部书记（未登记联系人）"),
        ("console", "console"),
    ],
)
def test_salutation_adds_tongzhi_to_personal_names_only(name, greeting):
    assert salutation(name) == greeting


def test_provisional_dates_are_marked(renderer):
    _, body = single("reminder", renderer, due_on="2027-01-04", provisional=True)
    assert "最迟于 2027年1月4日（周一，含当日）办理，还有 7 天到期；依据细则第二十五条。" + PROVISIONAL_NOTE in body
    assert PROVISIONAL_NOTE == "（日期暂按周一至周五推算，该年节假日安排公布后可能变动）"
    _, body = single("reminder", renderer)
    assert "暂按" not in body


def test_the_due_day_note_is_said_when_the_scan_gave_one(renderer):
    """The scan puts engine.calendar.day_note on the item (a holiday, a rest day, an unloaded
    year); items queued before it have none and read as before."""
    _, body = single("reminder", renderer, due_on="2026-01-01", due_note="元旦假期")
    assert "最迟于 2026年1月1日（周四，含当日，元旦假期）办理，" in body
    _, body = single("overdue", renderer, due_on="2027-01-01", due_note="元旦；2027 年节假日安排尚未载入")
    assert "最迟于 2027年1月1日（周五，含当日，元旦；2027 年节假日安排尚未载入）办理，" in body
    _, body = single("reminder", renderer, due_note=None)
    assert "（周六，含当日）办理" in body
    _, body = single("reminder", renderer, due_note="周六休息日")  # 周六 said once
    assert "最迟于 2018年6月30日（周六休息日，含当日）办理" in body
    _, body = single("reminder", renderer, due_on="2027-01-09", due_note="周六；2027 年节假日安排尚未载入")
    assert "最迟于 2027年1月9日（周六，含当日；2027 年节假日安排尚未载入）办理" in body
    _, body = single("reminder", renderer, due_on="2027-01-04", due_note="2027 年节假日安排尚未载入")
    assert "最迟于 2027年1月4日（周一，含当日；2027 年节假日安排尚未载入）办理" in body


def test_dates_may_be_date_objects_or_iso_strings(renderer):
    assert single("reminder", renderer, due_on=date(2018, 6, 30)) == single("reminder", renderer)


# --- digest -------------------------------------------------------------------------------------


def digest_items():
    return [
        item(candidate_name="周红", kind="reminder", step_number=22, step_name="提出转正申请",
             due_on="2018-07-02", days=7, citation="细则第三十二条"),
        item(candidate_name="张秀英", kind="reminder", due_on="2018-06-25", days=0),
        item(candidate_name="刘海燕", kind="overdue", step_number=2, step_name="党组织派人谈话",
             due_on="2018-06-22", days=3, citation="细则第七条"),
        item(candidate_name="孙丽", kind="reminder", step_number=2, step_name="党组织派人谈话",
             due_on="2018-06-26", days=1, citation="细则第七条"),
        item(candidate_name="陈志强", kind="overdue", step_number=6, step_name="培养教育考察",
             due_on="2018-06-15", days=10, citation="细则第十一条"),
    ]


def test_digest_groups_sorts_and_counts(renderer):
    subject, body = renderer.render(
        "digest", items=digest_items(), recipient_name="王建国", org_name="贺丰村党支部", as_of="2018-06-25"
    )
    assert subject == "【发展党员提醒】贺丰村党支部 2018-06-25：逾期 2 项，即将到期 3 项"
    assert "共" not in subject
    assert "有 5 项需要关注：逾期 2 项，即将到期 3 项。" in body
    overdue_at = body.index("一、已逾期（2 项）")
    soon_at = body.index("二、即将到期（3 项）")
    assert overdue_at < soon_at
    assert "已升级至乡镇党委督办" not in body  # empty sections are left out
    # sorted by date inside each section
    order = [body.index(name) for name in ("陈志强", "刘海燕")]
    assert overdue_at < order[0] < order[1] < soon_at
    order = [body.index(name) for name in ("张秀英", "孙丽", "周红")]
    assert soon_at < order[0] < order[1] < order[2]
    assert "1. 张秀英 · 第17步“上级党委审批”\n   最迟于 2018年6月25日（周一，含当日）办理，今天到期；依据细则第二十五条。" in body
    assert "2. 孙丽 · 第2步“党组织派人谈话”\n   最迟于 2018年6月26日（周二，含当日）办理，明天到期；依据细则第七条。" in body
    # one branch: the branch is said once, in the opening line, not on every item
    assert body.count("贺丰村党支部") == 1


def test_digest_for_the_township_names_branches_and_says_escalated(renderer):
    items = [
        item(candidate_name="王磊", branch="石岭村党支部", kind="escalation", due_on="2018-05-31", days=25),
        item(candidate_name="陈志强", kind="escalation", step_number=6, step_name="培养教育考察",
             due_on="2018-06-15", days=10, citation="细则第十一条"),
    ]
    subject, body = renderer.render(
        "digest", items=items, recipient_name="李红梅", org_name="南川乡党委", as_of="2018-06-25"
    )
    assert subject == "【发展党员督办】南川乡党委 2018-06-25：已升级督办 2 项"
    assert "一、已升级至乡镇党委督办（2 项）" in body
    assert body.index("石岭村党支部 王磊") < body.index("贺丰村党支部 陈志强")
    assert "请督促相关党支部尽快办理" in body and "请及时办理" not in body


def test_empty_digest_still_reads(renderer):
    subject, body = renderer.render("digest", items=[], recipient_name="王建国", org_name="贺丰村党支部", as_of="2018-06-25")
    assert subject == "【发展党员提醒】贺丰村党支部 2018-06-25：无待办事项"
    assert "没有需要关注的事项" in body


def test_digest_refuses_an_unknown_item_kind(renderer):
    with pytest.raises(ValueError, match="未知"):
        renderer.render("digest", items=[item(kind="memo")], recipient_name="王", org_name="贺丰村党支部", as_of="2018-06-25")


# --- overrides and strictness -------------------------------------------------------------------


def test_an_override_directory_replaces_one_template(tmp_path):
    (tmp_path / "reminder.j2").write_text(
        "【村级提醒】{{ item.candidate_name }}：{{ item.step_name }}\n\n请{{ recipient_name }}于{{ item.due_on | zh_date }}前办结。\n",
        encoding="utf-8",
    )
    renderer = Renderer([tmp_path], env={})
    subject, body = single("reminder", renderer)
    assert (subject, body) == ("【村级提醒】张秀英：上级党委审批", "请王建国于2018年6月30日前办结。")
    # the other kinds still come from the built-in templates
    assert single("overdue", renderer) == single("overdue")


def test_an_override_may_extend_the_builtin_and_change_only_the_subject(tmp_path):
    (tmp_path / "overdue.j2").write_text(
        '{% extends "builtin/overdue.j2" %}\n'
        "{% block subject %}【请速办】{{ item.candidate_name }} {{ item | days_text }}{% endblock %}\n",
        encoding="utf-8",
    )
    subject, body = single("overdue", Renderer([tmp_path], env={}), days=3)
    assert subject == "【请速办】张秀英 已逾期 3 天"
    assert body == single("overdue", days=3)[1]


def test_the_template_dir_comes_from_the_environment_too(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (first / "reminder.j2").write_text("甲\n正文\n", encoding="utf-8")
    (second / "reminder.j2").write_text("乙\n正文\n", encoding="utf-8")
    (second / "overdue.j2").write_text("丙\n正文\n", encoding="utf-8")
    renderer = Renderer(env={"PARTYFLOW_TEMPLATE_DIR": os.pathsep.join([str(first), str(second)])})
    assert single("reminder", renderer)[0] == "甲"
    assert single("overdue", renderer)[0] == "丙"
    # explicit directories are searched before the environment's
    assert single("reminder", Renderer([second], env={"PARTYFLOW_TEMPLATE_DIR": str(first)}))[0] == "乙"


def test_a_missing_override_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="模板目录不存在"):
        Renderer([tmp_path / "nope"], env={})
    with pytest.raises(FileNotFoundError):
        Renderer(env={"PARTYFLOW_TEMPLATE_DIR": str(tmp_path / "nope")})


def test_a_missing_variable_is_an_error_not_a_blank(renderer):
    broken = item()
    del broken["citation"]
    with pytest.raises(UndefinedError, match="citation"):
        renderer.render("reminder", item=broken, recipient_name="王建国", org_name="贺丰村党支部", as_of="2018-06-23")
    with pytest.raises(UndefinedError, match="recipient_name"):
        renderer.render("reminder", item=item(), org_name="贺丰村党支部", as_of="2018-06-23")


def test_a_missing_variable_in_an_override_is_an_error(tmp_path):
    (tmp_path / "reminder.j2").write_text("{{ item.candidate_name }}\n{{ item.phone }}\n", encoding="utf-8")
    with pytest.raises(UndefinedError, match="phone"):
        single("reminder", Renderer([tmp_path], env={}))


def test_an_unknown_kind_has_no_template(renderer):
    with pytest.raises(TemplateNotFound):
        renderer.render("memo", item=item())


def test_an_empty_rendering_is_an_error():
    with pytest.raises(ValueError, match="主题"):
        split_subject("\n  \n")


# --- the rendered example in docs/ --------------------------------------------------------------


def realistic_day() -> str:
    """One Monday in a township: the branch secretary's digest and the organisation officer's."""
    renderer = Renderer(env={})
    as_of = date(2026, 12, 21)
    branch_items = [
        item(candidate_name="陈志强", kind="overdue", step_number=6, step_name="培养教育考察",
             due_on="2026-12-11", days=10, citation="细则第十一条"),
        item(candidate_name="刘海燕", kind="overdue", step_number=2, step_name="党组织派人谈话",
             due_on="2026-12-18", days=3, citation="细则第七条"),
        item(candidate_name="孙丽", kind="reminder", step_number=2, step_name="党组织派人谈话",
             due_on="2026-12-22", days=1, citation="细则第七条"),
        item(candidate_name="张秀英", kind="reminder", due_on="2026-12-24", days=3),
        item(candidate_name="赵明", kind="reminder", step_number=22, step_name="提出转正申请",
             due_on="2027-01-04", days=14, citation="细则第三十二条", provisional=True,
             due_note="2027 年节假日安排尚未载入"),
    ]
    township_items = [
        item(candidate_name="王磊", branch="石岭村党支部", kind="escalation", due_on="2026-11-30", days=21),
        item(candidate_name="陈志强", kind="escalation", step_number=6, step_name="培养教育考察",
             due_on="2026-12-11", days=10, citation="细则第十一条"),
    ]
    parts = []
    for title, items, name, org in (
        ("贺丰村党支部书记收到的每日摘要", branch_items, "王建国", "贺丰村党支部"),
        ("南川乡党委组织委员收到的每日摘要", township_items, "李红梅", "南川乡党委"),
    ):
        subject, body = renderer.render("digest", items=items, recipient_name=name, org_name=org, as_of=as_of)
        parts.append(f"# {title}（Renderer().render(\"digest\", ...) 的实际输出）\n\n主题：{subject}\n\n{body}\n")
    return "\n\n".join(parts)


def test_docs_digest_example_is_the_real_output():
    text = realistic_day()
    if os.environ.get("PARTYFLOW_WRITE_DOCS") == "1":
        DIGEST_EXAMPLE.write_text(text, encoding="utf-8")
    assert DIGEST_EXAMPLE.read_text(encoding="utf-8") == text, (
        "docs/digest-example.txt is stale: rerun with PARTYFLOW_WRITE_DOCS=1"
    )


def test_half_year_report_notice():
    from notifications.render import Renderer

    subject, body = Renderer().render("report", item={"period": "2018H1", "org": "南川乡党委", "as_of": "2018-06-30", "kind": "report"},
                                      recipient_name="组织委员", org_name="南川乡党委", as_of="2018-06-30")
    assert subject == "【发展党员】南川乡党委 2018年上半年发展党员工作统计提醒"
    assert "2018年上半年（截至 2018-06-30）" in body
