"""材料 through the CLI (issue 18): attach, list, fetch, remove; a township's blocking material
refuses the step that needs it (preview and real run alike) until the file is there; hostile files
leave nothing behind; every upload, download and removal has its audit row."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from services.app import App
from tests.e2e import world
from tests.e2e.test_cli_full_road import _to, road


def _photo(path: Path, colour=(200, 180, 160)) -> Path:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG")
    return path


def _to_step(cli, w, step: str, person: int | None = None) -> int:
    """A candidate of branch B1 with every step before `step` recorded."""
    person = person or w.applicant
    cid = cli.json("apply", "--person", person, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    steps = road(w)
    _to(cli, cid, steps[:next(i for i, s in enumerate(steps) if s[0] == step)])
    return cid


def _files(cli) -> list[Path]:
    root = Path(cli.url.removeprefix("sqlite:///") + ".files")
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _audit(cli) -> list[str]:
    app = App.open(cli.url, migrate=False)
    try:
        with app.uow(read_only=True) as uow:
            return [r.action for r in reversed(uow.audit.list(limit=None))]
    finally:
        app.close()


def test_attach_list_get_remove_round_trip_with_audit(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    listing = cli.json("material", "list", cid)
    first = listing["steps"][0]
    assert first["step"] == "application" and first["materials"][0]["status"] == "missing"
    assert any(m["name"] == "入党申请书" for m in listing["missing"])

    added = cli.json("material", "add", cid, _photo(tmp_path / "申请书.jpg"), "--material", "入党申请书",
                     "--date", "2016-03-01", "--by", "红星村支书")["attachment"]
    assert added["material"] == "application_letter" and added["uploaded_by"] == "红星村支书"
    assert added["file_kind"] == "image" and added["has_thumbnail"] and added["pages"] == 1
    after = cli.json("material", "list", cid)
    status = {m["id"]: m["status"] for s in after["steps"] for m in s["materials"]}
    assert status["application_letter"] == "present" and after["percent"] > listing["percent"]

    out = tmp_path / "取回.jpg"
    cli("material", "get", added["id"], "--out", out)
    assert out.read_bytes()[:2] == b"\xff\xd8"  # the stored (re-encoded) JPEG
    again = cli("material", "get", added["id"], "--out", out, code=None)
    assert again.exit_code != 0 and "已存在，未覆盖" in again.output

    refused = cli("material", "remove", added["id"], "--reason", " ", code=None)
    assert refused.exit_code != 0 and "须填写原因" in refused.output
    removed = cli.json("material", "remove", added["id"], "--reason", "拍错了")["attachment"]
    assert removed["removed"] and removed["removed_reason"] == "拍错了"
    status = {m["id"]: m["status"] for s in cli.json("material", "list", cid)["steps"] for m in s["materials"]}
    assert status["application_letter"] == "missing"
    assert _files(cli), "the bytes are kept after a removal"
    actions = _audit(cli)
    assert [a for a in actions if a.startswith("material.")] == ["material.attach", "material.download", "material.remove"]


@pytest.mark.parametrize("name, data, words", [
    ("申请书.jpg", b"\x7fELF\x02\x01\x01" + b"\0" * 200, "可执行程序"),
    ("空.jpg", b"", "空文件"),
])
def test_a_hostile_or_empty_file_is_refused_and_nothing_is_stored(cli, tmp_path, name, data, words):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    path = tmp_path / name
    path.write_bytes(data)
    r = cli("material", "add", cid, path, "--material", "application_letter", code=None)
    assert r.exit_code != 0 and words in r.output and "Traceback" not in r.output
    assert _files(cli) == []
    assert cli.json("material", "list", cid)["steps"][0]["materials"][0]["files"] == []


def test_a_material_of_a_step_not_reached_or_not_on_the_list_is_refused(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    photo = _photo(tmp_path / "p.jpg")
    early = cli("material", "add", cid, photo, "--material", "转正申请书", code=None)
    assert early.exit_code != 0 and "尚未开始" in early.output and "转正申请书" in early.output
    unknown = cli("material", "add", cid, photo, "--material", "不存在的材料", code=None)
    assert unknown.exit_code != 0 and "材料清单中没有“不存在的材料”" in unknown.output
    assert _files(cli) == []


def test_a_blocking_material_refuses_pre_review_until_it_is_uploaded(cli, tmp_path):
    """南川乡's list (nanchuan_thought_reports) blocks 预审 without the 政审 conclusion; the national
    list only warns. The preview says exactly what the real run says."""
    w = world(cli)
    cid = _to_step(cli, w, "pre_review")
    pre = ["step", cid, "pre_review", "--date", "2017-06-09", "--set", "result=预审合格", "--set", "passed=是",
           "--set", "form_no=志愿书〔2017〕5号"]
    national = cli.json(*pre, "--preview")
    assert national["ok"] and any("政治审查结论" in x for x in national["warnings"])

    cli("org", "materials", w.township, "nanchuan_thought_reports")
    preview = cli(*pre, "--preview", code=None)
    real = cli(*pre, code=None)
    for r in (preview, real):
        assert r.exit_code == 2 and "上级党委预审须先上传材料“政治审查结论" in r.output.replace("\n", "")
    assert "pre_review" not in {e["step"] for e in cli.json("show", cid)["timeline"]}

    cli("material", "add", cid, _photo(tmp_path / "政审.jpg"), "--material", "political_review_conclusion")
    assert cli.json(*pre)["ok"]
    cli("org", "materials", w.township, "--clear")


def test_missing_list_as_excel_names_what_is_missing(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    cli("material", "add", cid, _photo(tmp_path / "a.jpg"), "--material", "application_letter")
    rows = cli.json("material", "missing", "--out", tmp_path / "unused.xlsx", "--org", w.township)
    mine = next(r for r in rows if r["candidate_id"] == cid)
    assert "谈话记录" in mine["missing"] and "入党申请书" not in mine["missing"]
    out = tmp_path / "缺少材料.xlsx"
    cli("material", "missing", "--out", out, "--org", w.township)
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert any(v[1] == "刘小红" and "谈话记录" in v[4] for v in values)
    assert "material.missing_list" in _audit(cli)


def test_archive_zip_holds_the_index_and_every_file_in_step_order(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    cli("material", "add", cid, _photo(tmp_path / "谈话.jpg", (10, 20, 30)), "--material", "first_talk_record")
    cli("material", "add", cid, _photo(tmp_path / "申请.jpg"), "--material", "application_letter")
    out = tmp_path / "档案.zip"
    cli("material", "archive", cid, "--out", out)
    names = zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()
    assert names[0].startswith("00-") and names[0].endswith(".docx")
    assert names[1].startswith("01-入党申请书-") and names[2].startswith("02-谈话记录-")
    assert "material.archive" in _audit(cli)
    from docx import Document

    index = tmp_path / "目录.docx"
    cli("material", "generate", cid, "档案目录", "--out", index)
    cells = [c.text for t in Document(index).tables for row in t.rows for c in row.cells]
    assert "入党申请书" in cells and "谈话记录" in cells


def test_a_generated_resolution_stands_in_for_its_material_in_one_action(cli, tmp_path):
    from docx import Document

    w = world(cli)
    early = _to_step(cli, w, "pre_review")
    refused = cli("material", "generate", early, "admission_resolution", "--attach", code=None)
    assert refused.exit_code != 0 and "尚未记录支部大会讨论" in refused.output

    other = cli.json("person", "add", "--name", "陈小军", "--gender", "男", "--birth", "1994-02-03")["id"]
    cid = _to_step(cli, w, "16", other)  # the branch meeting is recorded
    out = tmp_path / "决议.docx"
    cli("material", "generate", cid, "admission_resolution", "--out", out)
    text = "\n".join(p.text for p in Document(out).paragraphs)
    assert "陈小军" in text and "2017" in text
    att = cli.json("material", "generate", cid, "admission_resolution", "--attach")["attachment"]
    assert att["source"] == "generated" and att["material"] == "admission_resolution"
    status = {m["id"]: m["status"] for s in cli.json("material", "list", cid)["steps"] for m in s["materials"]}
    assert status["admission_resolution"] == "generated"


def test_a_file_that_cannot_be_read_or_written_is_one_chinese_line(cli, tmp_path):
    """No English OS text (「No such file or directory」, 「Is a directory」): cli.options.file_problem."""
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    for path, words in ((tmp_path / "nonexistent.jpg", "文件或所在目录不存在"), (tmp_path, "这是一个目录")):
        r = cli("material", "add", cid, path, "--material", "入党申请书", code=None)
        assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output
        assert "No such file" not in r.output and "Is a directory" not in r.output
    added = cli.json("material", "add", cid, _photo(tmp_path / "a.jpg"), "--material", "入党申请书")["attachment"]
    before = _audit(cli)
    r = cli("material", "get", added["id"], "--out", tmp_path / "nonexistent" / "dir" / "x.jpg", code=None)
    assert r.exit_code == 2 and "文件或所在目录不存在" in r.output and "No such file" not in r.output
    assert _audit(cli) == before, "nothing was fetched"


def test_missing_list_as_json_needs_no_out_and_without_either_says_so(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    for args in (("material", "missing", "--org", w.township, "--json"), ("--json", "material", "missing", "--org", w.township)):
        r = cli(*args, code=None)
        assert r.exit_code == 0 and "缺少选项" not in r.output, r.output
    rows = cli.json("material", "missing", "--org", w.township)
    assert any(r["candidate_id"] == cid for r in rows)
    r = cli("material", "missing", "--org", w.township, code=None)
    assert r.exit_code == 2 and "请用 --out 指定" in r.output and "Traceback" not in r.output
    assert "material.missing_list" not in _audit(cli)


def test_list_shows_the_step_of_a_file_of_no_listed_material(cli, tmp_path):
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    added = cli.json("material", "add", cid, _photo(tmp_path / "其他.jpg"), "--step", "application")["attachment"]
    assert added["material"] is None
    text = cli("material", "list", cid).output
    line = next(x for x in text.splitlines() if f"其他文件 {added['id']}" in x)
    assert "第1步" in line and "其他.jpg" in line


def test_org_materials_takes_the_id_or_the_title_and_says_both_in_chinese(cli):
    from workflows.materials import available_overrides

    w = world(cli)
    title = available_overrides()["nanchuan_thought_reports"]
    refused = cli("org", "materials", w.township, "nosuch_list", code=None)
    assert refused.exit_code == 2 and "找不到材料清单“nosuch_list”" in refused.output
    assert f"{title}（编号 nanchuan_thought_reports）" in refused.output.replace("\n", "")
    asked = cli("org", "materials", w.township, code=None)
    assert asked.exit_code == 2 and "nanchuan_thought_reports" in asked.output and "Traceback" not in asked.output

    chose = cli("org", "materials", w.township, title)  # the title, typed back
    assert f"红星乡党委已选择材料清单“{title}”" in chose.output.replace("\n", "")
    assert "nanchuan_thought_reports" not in chose.output and "T1" not in chose.output
    assert cli.json("org", "materials", w.township, "nanchuan_thought_reports")["material_list"] == "nanchuan_thought_reports"
    assert cli.json("org", "materials", w.township, "南川乡")["material_list_title"] == title  # a part of one title

    both = cli("org", "materials", w.township, title, "--clear", code=None)
    assert both.exit_code == 2 and "不要同时使用" in both.output
    cleared = cli("org", "materials", w.township, "--clear")
    assert f"红星乡党委已取消材料清单“{title}”，恢复全国材料清单" in cleared.output.replace("\n", "")
    again = cli("org", "materials", w.township, "--clear")
    assert "原本就没有选择本地材料清单" in again.output


def test_the_conversion_reply_is_named_listed_and_generated_and_a_short_name_says_what_it_may_mean(cli, tmp_path):
    """approval_reply serves step 17 and step 24 (forms.yaml `also`): both titles are listed with
    their steps and either may be typed; 转正批复 finds the 转正 one; a name several forms share says which."""
    listed = cli("material", "forms").output
    assert "上级党委审批批复（接收预备党员）（第17步" in listed and "上级党委审批批复（预备党员转正）（第24步" in listed
    rows = cli.json("material", "forms")
    assert {"kind": "approval_reply", "title": "上级党委审批批复（预备党员转正）", "step": "conversion_approval",
            "step_name": "第24步 上级党委审批"} in rows

    w = world(cli)
    cid = _to_step(cli, w, "archive")  # converted: step 24 recorded
    for typed, name in (("上级党委审批批复（预备党员转正）", "预备党员转正"), ("转正批复", "预备党员转正"),
                        ("上级党委审批批复（接收预备党员）", "接收预备党员")):
        out = tmp_path / f"{typed}.docx"
        made = cli("material", "generate", cid, typed, "--out", out, code=None)
        assert made.exit_code == 0, made.output
        assert f"上级党委审批批复（{name}）" in made.output.replace("\n", "") and out.exists()

    vague = cli("material", "generate", cid, "支部大会决议", code=None)
    assert vague.exit_code == 2 and "“支部大会决议”可指：支部大会决议（接收预备党员）、支部大会决议（预备党员转正），请写全" \
        in vague.output.replace("\n", "")
    unknown = cli("material", "generate", cid, "没有这种", code=None)
    assert unknown.exit_code == 2 and "没有文书“没有这种”" in unknown.output and "approval_reply" not in unknown.output

    wrong = cli("material", "generate", cid, "上级党委审批批复（接收预备党员）", "--attach", code=None)
    assert wrong.exit_code == 2 and "目前对应的是“上级党委审批批复（预备党员转正）”" in wrong.output.replace("\n", "")
    att = cli.json("material", "generate", cid, "转正批复", "--attach")["attachment"]
    assert att["step"] == "conversion_approval" and "预备党员转正" in att["filename"]


def test_the_same_file_added_twice_is_filed_once(cli, tmp_path):
    """A retried `material add` of the same file to the same material: exit 0, told so, one file."""
    w = world(cli)
    cid = _to_step(cli, w, "activist_selection")
    photo = _photo(tmp_path / "申请书.jpg")
    first = cli.json("material", "add", cid, photo, "--material", "入党申请书")
    assert first["already_filed"] is False
    again = cli("material", "add", cid, photo, "--material", "入党申请书")
    assert again.exit_code == 0 and "已上传过同一文件：入党申请书（申请书.jpg，" in again.output
    assert f"这次没有重复保存（文件 {first['attachment']['id']}）" in again.output
    retried = cli.json("material", "add", cid, photo, "--material", "application_letter")
    assert retried["already_filed"] is True and retried["attachment"]["id"] == first["attachment"]["id"]
    assert _audit(cli).count("material.attach") == 1

