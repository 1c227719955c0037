"""The web records the signed-in user, never the command line's recorder settings
($PARTYFLOW_ACTOR, the config file) nor the server's operating-system login (issue 16, item 5)."""
from __future__ import annotations

import getpass
import json

from services.casework.queries import show_candidate


def test_a_step_entered_on_the_web_is_recorded_as_the_signed_in_user(app, login, world, monkeypatch, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"recorder": "命令行的张三"}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("PARTYFLOW_CONFIG", str(config))
    monkeypatch.setenv("PARTYFLOW_ACTOR", "环境变量的李四")
    c = login("sec")
    r = c.form(f"/candidates/{world.fresh}/steps/first_talk",
               {"occurred_on": "2026-11-20", "f.talker": "李书记", "f.notes": "谈话", "expected_version": "1"})
    assert r.status_code == 303
    actor = show_candidate(app, world.fresh)["timeline"][-1]["actor"]
    assert actor == "用户sec（sec）"
    assert actor not in ("命令行的张三", "环境变量的李四", getpass.getuser())
