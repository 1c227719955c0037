"""The web process warms the report and 文书 libraries when it starts (web/warmup.py, issue 19):
in a fresh interpreter, a started app has imported them without any request asking for one."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_started_server_has_the_report_libraries_loaded_before_any_request(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from fastapi.testclient import TestClient
        from services.app import App
        from web.app import create_app

        app = App.open("sqlite:///{tmp_path / 'w.db'}")
        web = create_app(app, secret_key="warm-up-test-secret-0123456789", secure_cookies=False)
        before = "docx" in sys.modules or "openpyxl" in sys.modules
        with TestClient(web):  # runs the lifespan: the server has started
            assert web.state.warmup.done.wait(300), "the warm-up did not finish"
            loaded = [m for m in ("openpyxl", "docx", "docxtpl", "reports.render.docx") if m in sys.modules]
        print(before, loaded, web.state.warmup.failed)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False ['openpyxl', 'docx', 'docxtpl', 'reports.render.docx'] []", out.stdout


def test_the_warm_up_compiles_a_branch_and_a_county_reports_statements(app, world):
    """web/warmup.py builds one branch's report and one over every branch at start-up: a township's
    report and the county's (the whole deployment) afterwards, for another period, run only
    statements SQLAlchemy has already compiled."""
    from reports.build import build
    from reports.model import OrgRef
    from reports.period import parse_period
    from services.reporting.period_report import _rule_of, _step_names
    from web.warmup import Warmup

    Warmup._report(app)
    cache = app.engine._compiled_cache
    before = len(cache)
    assert before > 0
    with app.uow(read_only=True) as uow:
        report = build(uow.connection, OrgRef(world.township, "南川乡党委", "township"), [world.b1, world.b2],
                       parse_period("2026H1"), app.today(), step_names=_step_names(app),
                       plan={"admit_target": 3, "targets": {}}, rule_of=_rule_of(app),
                       definitions=app.registry.definitions())
        assert report.measures["applicants"].total == 1  # the activist applied 2026-05-01
        county = build(uow.connection, OrgRef(world.county, "镇原县委", "county"), [world.b1, world.b2, world.b3],
                       parse_period("2026H1"), app.today(), step_names=_step_names(app),
                       plan={"admit_target": 3, "targets": {}}, rule_of=_rule_of(app),
                       definitions=app.registry.definitions())
        assert county.measures["applicants"].total == 1
    assert len(cache) == before


def test_the_start_up_heap_is_frozen_while_the_server_runs(web):
    """The garbage collector's full passes skip what the start-up built while the server runs
    (gc.freeze, web/warmup.py), and take it back when the server stops."""
    import gc

    from fastapi.testclient import TestClient

    with TestClient(web):
        assert web.state.warmup.done.wait(300), "the warm-up did not finish"
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
