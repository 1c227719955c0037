"""A registration posted by a role that registers nowhere (the township, the county viewer — a
forged or replayed form) is refused with the words its form page gives ("你的角色不能登记"), not
"只能为本党支部登记" as if it had a branch of its own; a secretary posting another branch is told
"本党支部"; nothing is written either way (from an outside review)."""
from __future__ import annotations

import re

from tests.web.web_support import World

FORM = {"name": "刘建国", "gender": "男", "birth_date": "1998-03-01", "applied_on": "2026-11-20", "ethnicity": "汉族"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_registration_refused_in_the_words_of_the_users_role(app, login, world: World):
    with app.uow(read_only=True) as uow:
        before = len(uow.people.find_by_name("刘建国"))
    for who in ("county", "town"):
        c = login(who)
        assert "你的角色不能登记" in _text(c.get("/candidates/new").text)
        r = c.form("/candidates/new", {**FORM, "branch_id": str(world.b1)})
        assert r.status_code == 403, (who, r.status_code)
        shown = _text(r.text)
        assert "入党申请由党支部登记，你的角色不能登记" in shown and "本党支部" not in shown, (who, shown[:300])
    r = login("sec").form("/candidates/new", {**FORM, "branch_id": str(world.b3)})
    assert r.status_code == 403 and "只能为本党支部登记入党申请" in _text(r.text)
    with app.uow(read_only=True) as uow:
        assert len(uow.people.find_by_name("刘建国")) == before == 0
