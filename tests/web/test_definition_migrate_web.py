"""The administrator moves every candidate on one rule version to another from the definitions
page: a preview that writes nothing (with the resolutions that will wait for the township), then
the confirmed move, audited; bad input is refused next to its field. SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.integrity.audit_log import entries
from services.casework.candidates import migrate
from services.casework.queries import show_candidate


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def admin(login):
    return login("admin")


def test_preview_then_confirm(app, world, admin):
    migrate(app, world.fresh, "cpc_2014@3", occurred_on=date(2026, 10, 2), actor="测试", reason="试点")
    with app.uow(read_only=True) as uow:
        on_2014 = uow.candidates.ids_on_definition("cpc_2014@3")
    assert world.fresh in on_2014 and world.activist in on_2014  # the activist applied before 2026-05-11
    page = _text(admin.get("/admin/definitions").text)
    assert "将候选人迁移到另一版本" in page and f"（{len(on_2014)} 人）" in page
    form = {"from_key": "cpc_2014@3", "to_key": "cpc_2026@3", "occurred_on": "2026-11-20", "reason": "乡镇党委决定"}
    r = admin.form("/admin/definitions/migrate", form)
    assert r.status_code == 200 and f"预演：将迁移 {len(on_2014)} 名候选人" in _text(r.text)
    assert show_candidate(app, world.fresh)["candidate"]["definition_key"] == "cpc_2014@3"  # nothing written
    r = admin.form("/admin/definitions/migrate", {**form, "confirm": "1"})
    assert r.status_code == 303
    assert f"已迁移 {len(on_2014)} 名候选人" in _text(admin.get("/admin/definitions").text)
    for cid in on_2014:
        view = show_candidate(app, cid)
        assert view["candidate"]["definition_key"] == "cpc_2026@3"
        assert view["timeline"][-1]["actor"] == "用户admin（admin）"
    audit = entries(app, target_kind="definition")[0]
    assert audit["action"] == "definition.migrate" and audit["detail"]["moved"] == len(on_2014)


@pytest.mark.parametrize("change, field, message", [
    ({"from_key": "cpc_2099@1"}, "from_key", "请选择原流程版本"),
    ({"to_key": "cpc_2014@3"}, "to_key", "目标版本与原版本相同"),
    ({"occurred_on": ""}, "occurred_on", "请填写迁移日期"),
    ({"occurred_on": "2026-13-01"}, "occurred_on", "格式应为"),
    ({"reason": " "}, "reason", "请写明乡镇党委的决定或原因"),
    # what refuses every candidate alike: once, next to the field, not one line per candidate
    ({"occurred_on": "2026-05-10"}, "occurred_on", "自 2026-05-11 起施行，迁移日期 2026-05-10 早于施行日期"),
    ({"occurred_on": "2026-11-26"}, "occurred_on", "迁移日期 2026-11-26 晚于今天（2026-11-25）"),
])
def test_bad_input_is_refused_next_to_its_field(app, world, admin, change, field, message):
    migrate(app, world.fresh, "cpc_2014@3", occurred_on=date(2026, 10, 2), actor="测试", reason="试点")
    form = {"from_key": "cpc_2014@3", "to_key": "cpc_2026@3", "occurred_on": "2026-11-20", "reason": "乡镇党委决定",
            **change}
    r = admin.form("/admin/definitions/migrate", form)
    assert r.status_code == 400 and message in _text(r.text)
    assert _text(r.text).count(message) == 1 and "预演：将迁移" not in _text(r.text)
    errors = re.findall(r'<p class="field-error">([^<]*)</p>', r.text)  # shown next to a field, not on top
    assert any(message in e for e in errors), errors
    assert show_candidate(app, world.fresh)["candidate"]["definition_key"] == "cpc_2014@3"


def test_only_the_administrator(app, world, login):
    r = login("town").form("/admin/definitions/migrate", {"from_key": "cpc_2026@3", "to_key": "cpc_2014@3",
                                                          "occurred_on": "2026-11-20", "reason": "x"})
    assert r.status_code == 403
