"""合规检查 (/findings) scoped by role and filtered; overdue as of a chosen date equals the CLI's
`overdue --as-of`."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from services.casework.candidates import complete_step, correct
from services.casework.queries import show_candidate
from services.demo.sample_evidence import sample_evidence


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def findings_world(app, world):
    """Late first talks in b1, b2, b3 (due 2026-11-01, done 2026-11-20) and a correction of the
    review candidate's 确定发展对象 to less than a year after 确定入党积极分子 (a 第十三条 finding, 2025)."""
    for cid in (world.fresh, world.b2_candidate, world.b3_candidate):
        complete_step(app, cid, "first_talk", occurred_on=date(2026, 11, 20), actor="测试",
                      evidence=sample_evidence("first_talk", date(2026, 11, 20), cal=app.calendar))
    seq = next(e for e in show_candidate(app, world.review)["timeline"] if e["step"] == "target_selection")["seq"]
    correct(app, world.review, seq, actor="测试", reason="日期填错", occurred_on=date(2025, 3, 1))
    return world


def _names(html: str) -> set[str]:
    return set(re.findall(r'<a href="/candidates/\d+"><b>([^<]+)</b></a>', html))


def test_each_role_sees_its_scope(login, findings_world):
    w = findings_world
    sec = login("sec").get("/findings")
    assert sec.status_code == 200
    assert _names(sec.text) == {"张秀英", "王芳"}  # b1 only
    assert _names(login("town").get("/findings").text) == {"张秀英", "王芳", "赵敏"}  # the township's branches
    assert _names(login("county").get("/findings").text) == {"张秀英", "王芳", "赵敏", "孙丽"}
    assert _names(login("admin").get("/findings").text) == {"张秀英", "王芳", "赵敏", "孙丽"}
    t = _text(sec.text)
    assert "第2步 党组织派人谈话" in t and "第7步" in t
    assert "细则第十三条" in t and "逾期办理" in t and "来源：更正记录" in t and "来源：日常登记" in t
    assert f'href="/candidates/{w.review}"' in sec.text
    # an organisation outside the scope: 403; unknown: 404
    assert login("sec").get(f"/findings?org={w.b2}").status_code == 403
    assert login("town").get(f"/findings?org={w.b3}").status_code == 403
    assert login("town").get("/findings?org=999999").status_code == 404
    assert _names(login("town").get(f"/findings?org={w.b2}").text) == {"赵敏"}


def test_filters_period_range_source_kind(login, findings_world):
    c = login("county")
    assert _names(c.get("/findings", params={"period": "2025年"}).text) == {"王芳"}
    assert _names(c.get("/findings", params={"period": "2026年下半年"}).text) == {"张秀英", "赵敏", "孙丽"}
    assert _names(c.get("/findings", params={"period": "2026年第四季度"}).text) == {"张秀英", "赵敏", "孙丽"}
    assert _names(c.get("/findings", params={"period": "2026年第三季度"}).text) == set()
    assert _names(c.get("/findings", params={"since": "2025-01-01", "until": "2025-12-31"}).text) == {"王芳"}
    assert _names(c.get("/findings", params={"since": "2026-11-20"}).text) == {"张秀英", "赵敏", "孙丽"}
    assert _names(c.get("/findings", params={"source": "correction"}).text) == {"王芳"}
    assert _names(c.get("/findings", params={"kind": "late"}).text) == {"张秀英", "赵敏", "孙丽"}
    page = c.get("/findings", params={"period": "2025年"}).text
    assert re.search(r'<option value="2025年" selected>2025年</option>', page)
    assert "2026年上半年" in page and "2026年第三季度" in page  # Chinese choices, no codes


def test_bad_filters_are_400_next_to_the_field(login, findings_world):
    c = login("town")
    r = c.get("/findings", params={"period": "2018年第五季度"})
    assert r.status_code == 400 and re.search(r'class="field-error">统计期间“2018年第五季度”无法识别', r.text)
    r = c.get("/findings", params={"since": "2026-12-01", "until": "2026-11-01"})
    assert r.status_code == 400 and "早于开始日期" in r.text
    r = c.get("/findings", params={"since": "昨天"})
    assert r.status_code == 400 and "开始日期" in r.text
    r = c.get("/findings", params={"kind": "bogus"})
    assert r.status_code == 400 and "请从列表中选择类别" in r.text


def test_api_findings(login, findings_world):
    d = login("sec").get("/api/findings", params={"period": "2026年"}).json()
    assert {i["person"] for i in d["items"]} == {"张秀英"} and d["late"] == 1 and d["findings"] == 0
    assert login("sec").get("/api/findings", params={"period": "nonsense"}).status_code == 422


# ------------------------------------------------------------------ overdue as of a date


def _web_overdue(html: str) -> list[tuple[int, str, int]]:
    """(candidate id, due date, days overdue) of each listed item, in order."""
    out = []
    for item in re.findall(r"<li>(.*?)</li>", html.split("逾期清单", 1)[1], re.S):
        cid = re.search(r'href="/candidates/(\d+)', item)[1]
        due, days = re.search(r"最迟应于 ([\d-]+)（含当日[^）]*）办理，已逾期 (-?\d+) 天", item).groups()
        out.append((int(cid), due, int(days)))
    return out


@pytest.mark.parametrize("as_of", ["2026-11-10", "2025-01-01", "2027-06-30"])
def test_overdue_as_of_equals_the_cli(app, db_url, login, world, as_of):
    cases = [("sec", f"branch={world.b1}", "b1"), ("town", "", "t"), ("county", "", "c")]
    for role, query, org in cases:
        r = login(role).get(f"/overdue?as_of={as_of}&{query}")
        assert r.status_code == 200 and f"截至 {as_of}" in r.text
        out = CliRunner().invoke(cli, ["--json", "overdue", "--as-of", as_of, "--org", org, "--db", db_url])
        assert out.exit_code == 0, out.output
        expected = [(i["candidate_id"], i["due_on"], i["days_overdue"]) for i in json.loads(out.output)]
        assert _web_overdue(r.text) == expected, (role, as_of)
    if as_of == "2027-06-30":
        assert expected  # a future date lists what will be overdue by then
    if as_of == "2025-01-01":
        assert not expected


def test_overdue_as_of_default_and_bad_date(login, world):
    c = login("sec")
    assert "截至 2026-11-25" in c.get("/overdue").text  # today on the test clock
    r = c.get("/overdue?as_of=2026-13-40")
    assert r.status_code == 400 and "截至日期" in r.text and 'class="field-error"' in r.text
    assert 'name="branch" value="%d"' % world.b1 in c.get(f"/overdue?branch={world.b1}").text


def test_overdue_branch_links_keep_the_date(login, world):
    page = login("town").get("/overdue?as_of=2027-01-01").text
    assert f'href="/overdue?branch={world.b1}&amp;as_of=2027-01-01"' in page
    page = login("town").get(f"/overdue?as_of=2027-01-01&branch={world.b1}").text
    assert 'href="/overdue?as_of=2027-01-01"' in page and "截至 2027-01-01" in page
    assert f'href="/overdue?branch={world.b1}"' in login("town").get("/overdue").text  # today: no date in the link


def test_the_candidates_page_shows_its_own_findings(login, findings_world):
    """A finding (here a correction's 第十三条; an imported under-age application's 第五条 alike) is
    shown on the candidate's own page, where the secretary and the township work, not only on 合规检查."""
    w = findings_world
    for who in ("sec", "town"):
        t = _text(login(who).get(f"/candidates/{w.review}").text)
        assert re.search(r"合规发现 \d+ 条（历史记录不符合规定，照实记录，请核实处理）：", t)
        line = t[t.index("合规发现"):]
        assert "2025-03-01：" in line and "细则第十三条" in line and "（更正记录）" in line
    assert "合规发现" not in _text(login("sec").get(f"/candidates/{w.fresh}").text)  # a late step is not one
