"""材料日期 (issue 18 review): a material's date is refused before 1950-01-01 (it was printed as
1900-01-01 in the 档案目录) and after today — through the service and through `material add`,
both sides of the boundary, with nothing stored."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.errors import DomainError
from services.app import App
from services.materials.files import attach
from tests.e2e import world
from tests.e2e.test_cli_materials import _files, _photo, _to_step


def _jpeg(tmp_path) -> bytes:
    return _photo(tmp_path / "p.jpg").read_bytes()


def test_the_service_refuses_a_material_date_before_1950(cli, tmp_path):
    cid = _to_step(cli, world(cli), "activist_selection")
    app = App.open(cli.url, migrate=False)
    try:
        for day in (date(1900, 1, 1), date(1949, 12, 31)):
            with pytest.raises(DomainError) as info:
                attach(app, cid, _jpeg(tmp_path), "申请书.jpg", actor="书记", material="application_letter",
                       document_date=day)
            v = info.value.violations[0]
            assert v.code == "material.date" and "材料日期" in v.message and day.isoformat() in v.message
            assert "1950-01-01" in v.message, v.message
        assert _files(cli) == []
        with pytest.raises(DomainError) as info:
            attach(app, cid, _jpeg(tmp_path), "申请书.jpg", actor="书记", material="application_letter",
                   document_date=app.today() + timedelta(days=1))
        assert "材料日期" in info.value.violations[0].message and "晚于今天" in info.value.violations[0].message
        kept = attach(app, cid, _jpeg(tmp_path), "申请书.jpg", actor="书记", material="application_letter",
                      document_date=date(1950, 1, 1))
        assert kept["document_date"] == "1950-01-01"
    finally:
        app.close()


def test_material_add_refuses_1900_01_01(cli, tmp_path):
    cid = _to_step(cli, world(cli), "activist_selection")
    photo = _photo(tmp_path / "申请书.jpg")
    r = cli("material", "add", cid, photo, "--material", "入党申请书", "--date", "1900-01-01", code=None)
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "材料日期" in r.output and "1900-01-01" in r.output and "1950-01-01" in r.output, r.output
    assert _files(cli) == []
    assert cli.json("material", "list", cid)["steps"][0]["materials"][0]["files"] == []
    ok = cli.json("material", "add", cid, photo, "--material", "入党申请书", "--date", "1950-01-01")
    assert ok["attachment"]["document_date"] == "1950-01-01"
