"""The file as a whole: one candidate's 档案 as a ZIP (the 档案目录 first, then every file named and
ordered by step), and the missing-materials list of a branch, township or county as Excel. Both
are downloads, so both are audited."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from typing import Any

from engine.state import CandidateState
from reports.spreadsheet import put
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record
from services.materials.catalogue import catalogue_of
from services.materials.completeness import for_rows
from services.casework.user_commands import ForbiddenError

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" .") or "文件"


def index_rows(defn, catalogue, files) -> list[dict[str, Any]]:
    """The 档案目录's rows (第三十七条): each file in step order — 序号, 材料名称, 日期, 页数, 备注."""
    def order(f):
        number = defn.step(f.step).number if f.step and defn.has_step(f.step) else 99
        return (number, f.id)

    rows = []
    for i, f in enumerate(sorted(files, key=order), start=1):
        spec = catalogue.get(f.material) if f.material and f.material in catalogue else None
        day = f.document_date or f.uploaded_at.date()
        step = defn.step(f.step) if f.step and defn.has_step(f.step) else None
        where = f"第{step.number}步 {step.name}" if step else ""
        if spec is not None:
            name, note = spec.name, where
        else:  # a file put with a step (or the candidate) but no material of the list
            name = f"{step.name}的其他材料" if step else "其他材料"
            note = "；".join(x for x in (where, f"原文件名：{f.filename}") if x)
        rows.append({"序号": i, "材料名称": name, "日期": day.isoformat(), "页数": f.pages or "", "备注": note,
                     "file": f})
    return rows


def archive_zip(app: App, candidate_id: int, *, actor: str, who: Principal | None = None) -> tuple[str, bytes]:
    """(file name, ZIP bytes): 00-档案目录.docx, then NN-材料名称-原文件名 for every file not removed."""
    from services.materials.documents import generate
    from services.materials.files import _candidate

    row, state, defn = _candidate(app, who, candidate_id)
    with app.uow(read_only=True) as uow:
        catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
        files = uow.attachments.for_candidate(candidate_id)
        person = uow.people.get(row.person_id)
    rows = index_rows(defn, catalogue, files)
    index_name, index_bytes = generate(app, candidate_id, "archive_index", today=app.today(),
                                       rows=[{k: v for k, v in r.items() if k != "file"} for r in rows])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"00-{_safe(index_name)}", index_bytes)
        for r in rows:
            f = r["file"]
            z.writestr(f"{r['序号']:02d}-{_safe(r['材料名称'])}-{_safe(f.filename)}", app.objects.get(f.object_key))
    name = f"{_safe(person.name)}-入党材料档案-{app.today().isoformat()}.zip"
    record(app, user_id=who.user_id if who else None, username=who.username if who else actor,
           action="material.archive", target_kind="candidate", target_id=candidate_id,
           detail={"files": len(rows), "name": name})
    return name, buf.getvalue()


MISSING_HEADERS = ("党支部", "姓名", "当前阶段", "完成度", "缺少的必需材料", "阻止办理")


def missing_rows(app: App, org_id: int | None, *, who: Principal | None = None) -> list[dict[str, Any]]:
    """Every candidate in scope (under `org_id`, within what `who` may read) that lacks a required
    material: {candidate_id, branch, name, stage, percent, missing: [names], blocking: [names]}."""
    with app.uow(read_only=True) as uow:
        if org_id is not None:
            org = uow.orgs.get(org_id)
            if org is None:
                raise ForbiddenError("找不到该组织")
            branch_ids = set(uow.orgs.descendants_branch_ids(org_id))
        else:
            branch_ids = None
        if who is not None and who.readable is not None:
            branch_ids = set(who.readable) if branch_ids is None else branch_ids & set(who.readable)
        rows = [r for r in uow.candidates.list(sorted(branch_ids) if branch_ids is not None else None, None, limit=None)]
        done = for_rows(app, uow, rows)
        people = uow.people.by_ids({r.person_id for r in rows})
        orgs = {o.id: o.name for o in uow.orgs.list()}
    out = []
    for r in rows:
        c = done[r.id]
        if c.complete:
            continue
        state = CandidateState.from_dict(r.state)
        defn = app.definition(state.definition_key)
        out.append({"candidate_id": r.id, "branch": orgs.get(r.branch_id, ""),
                    "name": people[r.person_id].name if r.person_id in people else "",
                    "stage": defn.stage_name(r.stage), "percent": c.percent,
                    "missing": [m.name for m in c.missing_required],
                    "blocking": [m.name for m in c.blocking]})
    out.sort(key=lambda x: (x["branch"], x["name"]))
    return out


def missing_xlsx(app: App, org_id: int | None, *, actor: str, who: Principal | None = None,
                 today: date | None = None) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of `missing_rows`, formula-safe like every spreadsheet we write."""
    from openpyxl import Workbook  # here: openpyxl costs a web process ~0.3 s to import (web/warmup.py)
    from openpyxl.styles import Alignment, Font

    rows = missing_rows(app, org_id, who=who)
    today = today or app.today()
    with app.uow(read_only=True) as uow:
        where = uow.orgs.get(org_id).name if org_id is not None else "全部"
    wb = Workbook()
    ws = wb.active
    ws.title = "缺少材料"
    put(ws, 1, 1, f"{where}缺少材料清单（{today.isoformat()}）").font = Font(bold=True, size=14)
    for c, h in enumerate(MISSING_HEADERS, start=1):
        put(ws, 2, c, h).font = Font(bold=True)
    for i, r in enumerate(rows, start=3):
        values = (r["branch"], r["name"], r["stage"], f"{r['percent']}%", "、".join(r["missing"]),
                  "、".join(r["blocking"]) or "")
        for c, v in enumerate(values, start=1):
            put(ws, i, c, v).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEF", (18, 10, 14, 8, 60, 30)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    name = f"{where}-缺少材料清单-{today.isoformat()}.xlsx"
    record(app, user_id=who.user_id if who else None, username=who.username if who else actor,
           action="material.missing_list", target_kind="organisation", target_id=org_id,
           detail={"candidates": len(rows), "name": name})
    return name, buf.getvalue()
