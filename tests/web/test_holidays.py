"""节假日安排 in the web: preview (days in Chinese, changes, moved due dates) → load; the administrator only."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from services.holidays import loaded_years

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "holidays-2027.example.yaml").read_text(encoding="utf-8")


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<main>")[1]))


def test_preview_lists_the_days_and_changes_nothing_then_load(app, world, login):
    c = login("admin")
    assert "还没有导入过" in c.get("/holidays").text
    r = c.form("/holidays", {"action": "preview", "text": EXAMPLE})
    assert r.status_code == 200
    text = _visible(r.text)
    assert "预览：2027年节假日安排" in text and "来源：示例（非官方，仅演示格式）" in text
    assert "2027年2月5日（星期五）至2月13日（星期六），共 9 天" in text
    assert "2027年1月1日（星期五）" in text
    assert "调休上班（5 天）" in text and "2027年2月14日（星期日）" in text
    # 2027 is unknown before: a Friday holiday and a Sunday make-up day change
    assert "2027年1月1日（星期五）：按周一至周五暂定（工作日） → 休息日" in text
    assert "2027年2月14日（星期日）：按周一至周五暂定（休息日） → 工作日" in text
    assert loaded_years(app) == []  # the preview writes nothing
    r = c.form("/holidays", {"action": "load", "text": EXAMPLE})
    assert r.status_code == 303
    page = c.get("/holidays").text
    assert "已导入 2027 年节假日安排：放假 27 天，调休上班 5 天" in page
    assert [y["year"] for y in loaded_years(app)] == [2027]
    again = _visible(c.form("/holidays", {"action": "preview", "text": EXAMPLE}).text)
    assert "将替换已导入的 2027 年安排" in again and "有变化的日子（0 天）" in again


def test_preview_names_the_due_dates_it_moves(app, world, login):
    """A deadline counted Mon–Fri into an unknown year (provisional) is recomputed by the load; the
    preview names it with its old and new date (the candidate by name, linked)."""
    from sqlalchemy import update

    from storage.tables import deadline

    with app.uow() as uow:
        (row,) = [r for r in uow.deadlines.list_for(world.fresh) if r.kind == "due"]
        uow.connection.execute(update(deadline).where(deadline.c.candidate_id == world.fresh,
                                                      deadline.c.step == row.step, deadline.c.kind == row.kind)
                               .values(provisional=True, due_on=date(2027, 2, 8)))
    c = login("admin")
    text = _visible(c.form("/holidays", {"action": "preview", "text": EXAMPLE}).text)
    assert "将改变的期限（1 项）" in text
    assert ("张秀英 （贺丰村党支部）党组织派人谈话最迟日期：2027年2月8日（星期一）（暂定） → "
            f"{row.due_on.year}年{row.due_on.month}月{row.due_on.day}日") in text
    r = c.form("/holidays", {"action": "load", "text": EXAMPLE})
    assert "已按新安排重算 1 名候选人的暂定期限" in c.get(r.headers["location"]).text
    with app.uow(read_only=True) as uow:
        (fixed,) = [r for r in uow.deadlines.list_for(world.fresh) if r.kind == "due"]
    assert (fixed.due_on, fixed.provisional) == (row.due_on, False)


def test_a_bad_schedule_is_one_message_naming_the_line(app, world, login):
    c = login("admin")
    bad = EXAMPLE.replace("  - 2027-02-20                 # 春节调休（星期六）", "  - 2027-02-22")
    r = c.form("/holidays", {"action": "load", "text": bad})
    assert r.status_code == 400
    errors = re.findall(r'<p class="error" role="alert">([^<]+)</p>', r.text)
    assert errors == ["第 20 行：调休上班日 2027-02-22 是星期一，应为周六或周日"]
    assert loaded_years(app) == []
    r = c.form("/holidays", {"action": "preview", "text": ""})
    assert r.status_code == 400 and "请粘贴或上传节假日安排" in r.text


def test_upload_a_file(app, world, login):
    c = login("admin")
    r = c.post("/holidays", data={"action": "preview", "csrf_token": c.csrf()},
               files={"file": ("holidays-2027.yaml", io.BytesIO(EXAMPLE.encode("utf-8")), "application/x-yaml")})
    assert r.status_code == 200 and "预览：2027年节假日安排" in r.text
    r = c.post("/holidays", data={"action": "preview", "csrf_token": c.csrf()},
               files={"file": ("h.yaml", io.BytesIO(EXAMPLE.encode("gb18030")), "application/x-yaml")})
    assert r.status_code == 400 and "不是 UTF-8 编码" in r.text


def test_only_the_administrator_loads(app, world, login):
    for role in ("sec", "town", "county"):
        c = login(role)
        page = c.get("/holidays")
        assert page.status_code == 200 and "由系统管理员导入" in page.text and 'name="text"' not in page.text
        assert c.form("/holidays", {"action": "load", "text": EXAMPLE}).status_code == 403
    assert loaded_years(app) == []


def test_the_page_speaks_chinese_keys_and_reads_both(app, world, login):
    """The example on the page has the keys 年份/来源/放假/调休上班; a file with those keys or the
    English ones (docs/calendar.md) reads the same; the reader's messages name the Chinese keys."""
    from services.holidays.schedule import example_zh

    c = login("admin")
    page = c.get("/holidays").text
    zh = example_zh(EXAMPLE)
    assert "年份: 2027" in page and "调休上班:" in page and "holidays" not in _visible(page)
    both = [c.form("/holidays", {"action": "preview", "text": t}).text.split('<section class="card preview">')[1]
            .split("<form")[0] for t in (zh, EXAMPLE)]
    assert both[0] == both[1] and "放假（27 天）" in both[0]
    r = c.form("/holidays", {"action": "preview", "text": "年份：2027\n来源：测试\n"})
    assert r.status_code == 400
    assert re.findall(r'<p class="error" role="alert">([^<]+)</p>', r.text) == ["缺少字段 放假（放假日期）"]
    r = c.form("/holidays", {"action": "preview", "text": "年份: 2027\n放假:\n  - 2027年10月1日\n"})
    assert re.findall(r'<p class="error" role="alert">([^<]+)</p>', r.text) == [
        "第 3 行：无法识别的日期“2027年10月1日”，应写作 2027-10-01 或 2027-10-01 ~ 2027-10-07"]
