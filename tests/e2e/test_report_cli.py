"""`partyflow report` and `partyflow plan` as a user runs them (SQLite file, today frozen)."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.e2e import Cli, World, world
from tests.e2e.test_cli_full_road import road

SEED = "全乡2017年下半年共发展党员 1 名，其中致富带头人 1 名"


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'partyflow.db'}", today="2018-01-05")


@pytest.fixture
def w(cli) -> World:
    return world(cli)


def admit(cli: Cli, w: World) -> int:
    """The applicant walked to 上级党委审批 on 2017-07-10 (the full road's lawful dates)."""
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    for step, on, sets in road(w):
        args = ["step", cid, step, "--date", on]
        for kv in sets:
            args += ["--set", kv]
        cli(*args)
        if step == "admission_approval":
            return cid
    raise AssertionError("no approval on the road")


def test_report_text_json_and_files(cli, w, tmp_path):
    admit(cli, w)
    text = cli("report", "--period", "2017H2", "--org", w.township).stdout
    assert SEED in text and "南川乡" not in text
    data = cli.json("report", "--period", "2017年下半年", "--org", w.township)
    assert data["ok"] and data["period"]["key"] == "2017H2" and data["measures"]["admitted"]["total"] == 1
    assert data["measures"]["admitted"]["breakdowns"]["tag"]["counts"] == [
        {"category": "致富带头人", "count": 1}, {"category": "青年农民", "count": 1}]
    assert data["measures"]["admitted"]["breakdowns"]["education"]["derived"] == [
        {"category": "高中及以上", "count": 1}, {"category": "大专及以上", "count": 1}]
    assert SEED in data["paragraph"] and data["file"] is None
    md = tmp_path / "r.md"
    cli("report", "--period", "2017H2", "--org", w.township, "--format", "md", "--out", md)
    assert SEED in md.read_text(encoding="utf-8")
    xlsx = tmp_path / "r.xlsx"
    out = cli.json("report", "--period", "2017H2", "--org", w.township, "--format", "xlsx", "--out", xlsx)
    assert out["file"] == str(xlsx) and load_workbook(xlsx).sheetnames
    docx = tmp_path / "r.docx"
    assert "已生成" in cli("report", "--period", "2017H2", "--org", w.township, "--format", "docx", "--out", docx).stdout
    assert docx.stat().st_size > 0
    # the half year before: nothing admitted
    assert cli.json("report", "--period", "2017H1", "--org", w.township)["measures"]["admitted"]["total"] == 0


@pytest.mark.parametrize("args, want", [
    (("--period", "2018H3", "--org", "T1"), "统计期间“2018H3”无法识别"),
    (("--period", "2018-06-30..2018-01-01", "--org", "T1"), "早于开始日期"),
    (("--period", "2018H1", "--org", "nope"), "找不到组织“nope”"),
    (("--period", "2018H1", "--org", "T1", "--format", "pdf"), "报告格式“pdf”不支持"),
    (("--period", "2019H1", "--org", "T1"), "尚未开始"),
    (("--period", "2017H2", "--org", "T1", "--as-of", "2018-08-01"), "晚于今天"),
])
def test_bad_requests_are_one_chinese_line(cli, w, args, want):
    r = cli("report", *args, code=2)
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and want in lines[0], r.output
    assert "Traceback" not in r.output
    bad = cli.json("report", *args, code=2)
    assert bad["ok"] is False and want in bad["violations"][0]["message"]


def test_plan_set_show_and_plan_vs_actual(cli, w):
    out = cli.json("plan", "set", "--org", w.township, "--year", "2017", "--admit", "4", "--target", "under_35=60%",
                   "--target", "tag:致富带头人=2", "--note", "乡党委〔2018〕1号")
    assert out["admit_target"] == 4 and out["targets"][0] == {"key": "under_35", "label": "35岁及以下", "value": 0.6,
                                                             "is_share": True}
    assert "发展党员 4 名，35岁及以下占比 60%，致富带头人 2 名" in cli("plan", "show", "--org", w.township).stdout
    admit(cli, w)
    plan = cli.json("report", "--period", "2017H2", "--org", w.township)["plan"]
    assert plan[0] == {"label": "发展党员", "planned": 4.0, "actual": 1.0, "is_share": False}
    r = cli("plan", "set", "--org", w.township, "--year", "2018", "--admit", "4", "--target", "youth=1", code=2)
    assert "未知的计划指标“youth”" in r.output and "Traceback" not in r.output


def test_an_output_path_that_is_a_directory_is_one_chinese_line(cli, w, tmp_path):
    r = cli("report", "--period", "2017H2", "--org", w.township, "--format", "xlsx", "--out", str(tmp_path), code=2)
    assert "是目录，请给出文件名" in r.output and "Traceback" not in r.output


def test_the_report_workbook_imports_back_as_a_ledger(cli, w, tmp_path):
    """The ledger sheet of the report's workbook is the export's layout: the import finds it."""
    admit(cli, w)
    out = tmp_path / "report.xlsx"
    cli("report", "--period", "2017H2", "--org", w.township, "--format", "xlsx", "--out", str(out))
    r = cli("ledger", "import", str(out), "--org", w.township, "--preview", code=None)
    assert "找不到名为" not in r.output and "Traceback" not in r.output
