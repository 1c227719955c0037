"""Pictures of each form's first page, filled from the demo township (docs/screenshots/).

    .venv/bin/python -m documents.screenshots [OUT_DIR]     # default docs/screenshots

A developer's tool, not part of the package's use: it runs the demo (`partyflow demo`: 南川乡 on
a simulated clock to 2018-06-30) into a temporary SQLite file, picks for each form a candidate
whose record has the form's step, generates the .docx (services/materials/documents.py), converts
it with LibreOffice headless to PDF and its first page with poppler's pdftoppm to a 60 dpi PNG
(docs/screenshots/document-<kind>.png). Needs `soffice` and `pdftoppm` (Debian:
libreoffice-writer-nogui, poppler-utils, fonts-noto-cjk).

LibreOffice gets a throw-away profile whose font replacement table maps the 公文 fonts, absent on
Linux, to Noto CJK SC (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 宋体 → Noto Serif CJK SC; 黑体 →
Noto Sans CJK SC): without it LibreOffice falls back to Noto Sans CJK with Japanese glyph forms.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2018, 7, 5)  # a few days after the demo's last day
REPLACEMENTS = {"仿宋_GB2312": "Noto Serif CJK SC", "方正小标宋简体": "Noto Serif CJK SC",
                "楷体_GB2312": "Noto Serif CJK SC", "宋体": "Noto Serif CJK SC", "黑体": "Noto Sans CJK SC"}
# (material, step whose date it carries, pages) — the 档案目录's rows are the caller's; these are
# an illustration (a real list comes from the candidate's attached materials)
ARCHIVE_ROWS = [("入党申请书", "application", 2), ("入党积极分子培养教育考察登记表", "cultivation", 6),
                ("确定入党积极分子的支部委员会决定及备案材料", "activist_filing", 2),
                ("发展对象公示及备案材料", "target_filing", 2), ("政治审查综合材料", "political_review", 5),
                ("集中培训结业证书", "training", 1), ("入党志愿书", "application_form", 8),
                ("支部大会决议（接收预备党员）", "admission_meeting", 1), ("上级党委审批意见", "admission_approval", 1),
                ("预备党员教育考察登记表", "probation_education", 4), ("转正申请书", "conversion_application", 2),
                ("支部大会决议（预备党员转正）", "conversion_meeting", 1), ("转正批复", "conversion_approval", 1)]
# forms shown for step 24 rather than their own step (the 批复 with its 文号: the demo records the
# admission approvals without one, and its extension approvals with one)
SHOWN_FOR = {"approval_reply": "conversion_approval"}


def _profile(base: Path) -> str:
    """A LibreOffice user profile with the font replacement table; its file:// URL."""
    user = base / "user"
    user.mkdir(parents=True)
    pairs = "".join(
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs"><node oor:name="_{i}" '
        f'oor:op="replace"><prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
        f'<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{src}</value></prop>'
        f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{dst}</value></prop></node></item>'
        for i, (src, dst) in enumerate(REPLACEMENTS.items()))
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution"><prop oor:name="Replacement" '
        f'oor:op="fuse"><value>true</value></prop></item>{pairs}</oor:items>\n', encoding="utf-8")
    return base.as_uri()


def _documents(work: Path) -> dict[str, Path]:
    """The demo township, and each form filled for a candidate that has its step."""
    from documents import FORMS, file_name
    from engine.errors import DomainError
    from services.app import App
    from services.demo import run_demo
    from services.materials.documents import document_facts
    import documents

    app = App.open(f"sqlite:///{work / 'demo.db'}")
    run_demo(app)
    # the fullest records first: the pictures show as many facts as the demo has
    with app.uow(read_only=True) as uow:
        size = {c.id: len(uow.events.list_for(c.id)) for c in uow.candidates.iter_all()}
    ids = sorted(size, key=lambda c: (-size[c], c))
    out: dict[str, Path] = {}
    for kind in FORMS:
        for cid in ids:
            try:
                facts = document_facts(app, cid, kind, today=TODAY, step=SHOWN_FOR.get(kind))
            except DomainError:
                continue
            if kind == "approval_reply" and not facts.get("doc_no"):
                continue
            if kind == "archive_index":
                facts = document_facts(app, cid, kind, today=TODAY, rows=[
                    {"材料名称": name, "日期": (facts["steps"].get(step) or {}).get("date"), "页数": pages}
                    for name, step, pages in ARCHIVE_ROWS if step in facts["steps"]])
            path = work / f"{kind}.docx"
            path.write_bytes(documents.render(kind, facts))
            out[kind] = path
            print(f"{kind}: 候选人 {cid} → {file_name(kind, facts)}")
            break
    app.close()
    return out


def make(out_dir: Path) -> list[Path]:
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"需要 {tool}（Debian：apt-get install libreoffice-writer-nogui poppler-utils fonts-noto-cjk）")
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = _documents(work)
        profile = _profile(work / "lo")
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work), *map(str, docs.values())], check=True, capture_output=True, timeout=600)
        for kind, docx in docs.items():
            target = out_dir / f"document-{kind}"
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                            str(docx.with_suffix(".pdf")), str(target)], check=True, timeout=120)
            made.append(target.with_suffix(".png"))
    return made


if __name__ == "__main__":
    for p in make(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"):
        print(p, p.stat().st_size // 1024, "KB")
