"""The 发展党员工作台账 in and out: import preview → confirm, undo (docs/ledger.md); the export
lives in services/ledger/export.py and is re-exported here.

Import: `preview` reads the file safely (`reports/ledger/reader.py`), resolves each row (person
fields, branch by name within the township, dates) and folds it with the engine
(`engine/backfill.py`) exactly as `replay` would — so it knows, before anything is written, what
will be created, which rows are wrong and why (row and column), what is ambiguous (a person with
the same name and birth date already on record, a branch name that matches several branches) and
which compliance findings the history carries. `confirm` does the same again and writes it all in
ONE transaction (`storage/bulk_load.py`: tuples to `executemany` on SQLite, `COPY` on
PostgreSQL, a progress callback per batch): a failure or an
interruption leaves nothing behind, and a finished import is one `import_batch` row that `undo`
removes as a whole. One transaction was chosen over committed batches: a half-written import
would need a status of its own and a cleanup path, while the cost — SQLite's write lock held for
the duration (≈ 15 s for 100k candidates) — is acceptable for a one-off adoption import.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from engine.backfill import Backfill, Finding, LedgerRecord, backfill
from engine.context import Context
from engine.errors import refuse
from engine.evidence import people_ids
from engine.input_policy import birth_problem, name_problem, shown, text_problem
from engine.milestones import milestones
from engine.process import process_for
from reports.ledger.dates import LedgerDateError, parse_date, parse_dates
from reports.ledger.layout import (APPROVAL_COLUMN, TAG_SEPARATORS, TAIL_COLUMNS, HEAD_COLUMNS, LedgerLayout, layout_for,
                                   normalise_header)
from reports.ledger.reader import LedgerFileError, Limits, read_ledger
from services.app import App
from services.integrity.audit_log import record_in
from services.casework.candidates import _variants, definition_body, party_status_for
from services.organisation.directory import resolve_org
from services.ledger.export import _layout_definition, export, ledger_table  # noqa: F401 - the module's public face
from storage.bulk_load import BulkWriter, PipelinedWriter
from storage.repositories import profile_of
from storage.tables import organisation, person
from workflows.model import Definition

ACTOR = "台账导入"
GENDERS = ("男", "女")
_KEY_HEADERS = {k: h for h, k in (*HEAD_COLUMNS, *TAIL_COLUMNS, APPROVAL_COLUMN)}
PROFILE_TEXT_MAX = 200  # 民族, 学历, 职业 and 类别 cells (several 类别 in one cell)


# ------------------------------------------------------------------------------------ import plan
@dataclass(frozen=True)
class RowIssue:
    row: int  # the row number in the sheet
    column: str  # the column header ("" for the whole row)
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PlannedRow:
    row: int
    name: str
    gender: str
    birth_date: date
    ethnicity: str
    education: str | None
    occupation: str | None
    tags: list[str]
    branch_id: int
    branch_name: str
    definition: Definition
    result: Backfill

    @property
    def person_key(self) -> tuple[str, date]:
        return (self.name, self.birth_date)

    @property
    def applied_on(self) -> date:
        return self.result.state.applied_on


@dataclass
class ImportPlan:
    file: str
    sha256: str
    sheet: str
    org: Any  # OrgRow
    definition_key: str  # the layout's definition
    rows: int  # data rows read
    planned: list[PlannedRow] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    ambiguous: list[RowIssue] = field(default_factory=list)

    @property
    def findings(self) -> list[tuple[PlannedRow, Finding]]:
        return [(p, f) for p in self.planned for f in p.result.findings]

    @property
    def events(self) -> int:
        return sum(len(p.result.rows) for p in self.planned)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.ambiguous

    def summary(self) -> dict:
        stages = Counter(p.definition.stage_name(p.result.state.stage) for p in self.planned)
        findings = self.findings
        return {
            "file": self.file, "sha256": self.sha256, "sheet": self.sheet,
            "org": {"id": self.org.id, "code": self.org.code, "name": self.org.name},
            "definition": self.definition_key, "rows": self.rows,
            "candidates": len(self.planned), "people": len({p.person_key for p in self.planned}),
            "events": self.events, "stages": dict(stages),
            "errors": len(self.errors), "ambiguous": len(self.ambiguous),
            "findings": sum(1 for _, f in findings if f.kind == "guard"),
            "late_steps": sum(1 for _, f in findings if f.kind == "late"),
            # extensions imported as waiting for the higher committee (no 延长预备期批准日期)
            "pending_approvals": sum(1 for _, f in findings if f.kind == "notice"),
        }

    def as_dict(self, limit: int | None = 200) -> dict:
        def cut(items):
            return items if limit is None else items[:limit]

        return {
            **self.summary(),
            "ok": self.ok,
            "error_list": [e.as_dict() for e in cut(self.errors)],
            "ambiguous_list": [a.as_dict() for a in cut(self.ambiguous)],
            "finding_list": [{"row": p.row, "name": p.name, "branch": p.branch_name, **f.as_dict()}
                             for p, f in cut(self.findings)],
            "truncated": limit is not None and max(len(self.errors), len(self.ambiguous), len(self.findings)) > limit,
        }


def _branch_index(uow, org_id: int) -> dict[str, list[tuple[int, str]]]:
    """Ways a row may name a branch of the organisation: its name, its name without 党支部/党总支,
    its code. A key may match several branches (ambiguous)."""
    ids = uow.orgs.descendants_branch_ids(org_id)
    index: dict[str, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return index
    for r in uow.connection.execute(
        select(organisation.c.id, organisation.c.code, organisation.c.name).where(organisation.c.id.in_(ids))
    ):
        keys = {normalise_header(r.name), normalise_header(r.code)}
        short = re.sub(r"(党总支部|党总支|党支部|支部)$", "", normalise_header(r.name))
        if short:
            keys.add(short)
        for k in keys:
            if (r.id, r.name) not in index[k]:
                index[k].append((r.id, r.name))
    return index


def _stage_index(defn: Definition) -> dict[str, str]:
    out = {}
    for s in (*defn.stages, *defn.end_states):
        out[normalise_header(s.name)] = s.id
        out[s.id] = s.id
    # common wording in ledgers
    out.setdefault("申请人", "applicant")
    out.setdefault("积极分子", "activist")
    out.setdefault("党员", "full_member")
    return out


def _text(v) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s or None


def _months(v) -> int:
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0
    if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer():
        return int(v)
    m = re.fullmatch(r"\s*(\d+)\s*(个月|月)?\s*", str(v))
    if not m:
        raise ValueError(v)
    return int(m.group(1))


def plan_import(app: App, path: str | Path, org_ref: str | int, *, limits: Limits | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportPlan:
    """Read and resolve the whole file without writing anything (the preview)."""
    with app.uow(read_only=True) as uow:
        org = resolve_org(uow, org_ref)
        if org.level not in ("township", "county"):
            raise refuse("ledger.org", f"台账须导入到乡镇党委或县级组织，“{org.name}”是党支部；行中的“所在党支部”指明各人所属支部")
        layout_defn = _layout_definition(app, uow, org.id)
        layout = layout_for(layout_defn)
        try:
            f = read_ledger(path, layout, limits)
        except LedgerFileError as e:
            raise refuse("ledger.file", str(e)) from None
        branches = _branch_index(uow, org.id)
        variants_of: dict[int, dict] = {}
        for bid in {b for v in branches.values() for b, _ in v}:
            variants_of[bid] = _variants(app, uow, bid)
        names = {_text(v[1][_col_index(f, "name")]) for v in f.rows} if _col_index(f, "name") is not None else set()
        existing = _existing_people(uow, names)
    plan = ImportPlan(Path(path).name, f.sha256, f.sheet, org, layout.definition_key, len(f.rows))
    today, now, cal = app.today(), app.now(), app.calendar
    seen: dict[tuple[str, date], list[tuple[int, PlannedRow]]] = defaultdict(list)
    total = len(f.rows)
    rc = _RowContext(app, plan, layout, f.columns, branches, variants_of, today, now, cal)
    for i, (n, values) in enumerate(f.rows):
        row = _plan_row(rc, n, values)
        if row is not None:
            key = row.person_key
            if key in existing:
                ids = "、".join(str(x) for x in existing[key][:3])
                plan.ambiguous.append(RowIssue(n, "姓名", f"系统中已有同名且出生日期相同的人员“{row.name}”（{row.birth_date}，人员编号 {ids}），"
                                                         "可能已录入；确认不是同一人或已核对后再导入"))
            else:
                dup = _duplicate_of(seen[key], row)
                if dup is not None:
                    plan.errors.append(RowIssue(n, "姓名", f"与第 {dup} 行重复（同一人“{row.name}”{row.birth_date}有两条未结束或申请日期相同的记录）"))
                else:
                    seen[key].append((n, row))
                    plan.planned.append(row)
        if progress and (i + 1) % 5000 == 0:
            progress(i + 1, total)
    if progress:
        progress(total, total)
    return plan


def _col_index(f, key: str) -> int | None:
    return next((i for i, c in enumerate(f.columns) if c.key == key), None)


def _existing_people(uow, names: set) -> dict[tuple[str, date], list[int]]:
    names = [n for n in names if n]
    out: dict[tuple[str, date], list[int]] = defaultdict(list)
    p = person.c
    for i in range(0, len(names), 900):
        for r in uow.connection.execute(select(p.id, p.name, p.birth_date).where(p.name.in_(names[i:i + 900]))):
            bd = r.birth_date if isinstance(r.birth_date, date) else date.fromisoformat(str(r.birth_date))
            out[(r.name, bd)].append(r.id)
    return out


def _duplicate_of(earlier: list[tuple[int, PlannedRow]], row: PlannedRow) -> int | None:
    """A second row for the same person is allowed only as a separate candidacy: an ended one and a
    later application. Two live ones, or the same application date, are a duplicate."""
    for n, other in earlier:
        ends = (process_for(other.definition).end_states, process_for(row.definition).end_states)
        live = (other.result.state.stage not in ends[0]) + (row.result.state.stage not in ends[1])
        if live > 1 or other.applied_on == row.applied_on:
            return n
    return None


class _RowContext:
    """What every row of one file shares: the column plan, the branch index, the per-branch
    variants and the definitions resolved so far (a row's definition is the one in force on its
    application date: `registry.for_date`, cached per branch and date)."""

    def __init__(self, app, plan, layout: LedgerLayout, columns, branches, variants_of, today, now, cal):
        self.app, self.plan, self.layout = app, plan, layout
        self.branches, self.variants_of = branches, variants_of
        self.today, self.now, self.cal = today, now, cal
        # (index, kind, column): kind 0 a step date cell, 1 a date cell, 2 any other kept cell
        self.cells = tuple((i, 0 if c.key == "step" else 1 if c.is_date else 2, c)
                           for i, c in enumerate(columns) if c.key != "ignored")
        step_columns = layout.step_columns
        self.first_step = step_columns[0] if step_columns else None
        self.step_headers = {c.step: c.header for c in step_columns}
        self.fallback = app.definition(layout.definition_key)
        self._defs: dict[tuple[int, date], Definition] = {}
        self._stages: dict[str, dict[str, str]] = {}

    def definition(self, branch_id: int, applied: date) -> Definition:
        key = (branch_id, applied)
        d = self._defs.get(key)
        if d is None:
            d = self._defs[key] = self.app.registry.for_date(applied, self.variants_of.get(branch_id) or {})
        return d

    def stages(self, defn: Definition) -> dict[str, str]:
        s = self._stages.get(defn.key)
        if s is None:
            s = self._stages[defn.key] = _stage_index(defn)
        return s


def _plan_row(rc: _RowContext, n: int, values: tuple) -> PlannedRow | None:
    plan = rc.plan
    issues: list[RowIssue] = []

    def bad(header: str, message: str):
        issues.append(RowIssue(n, header, message))

    cells: dict[str, Any] = {}
    steps: dict[str, tuple[date, ...]] = {}
    for i, kind, col in rc.cells:
        v = values[i]
        if kind == 0:
            if v is None:
                continue
            if v.__class__ is date:  # the common case: a real Excel date
                steps[col.step] = (v,)
                continue
            try:
                dates = parse_dates(v, row=n, column=col.header)
            except LedgerDateError as e:
                bad(col.header, str(e))
                continue
            if dates:
                steps[col.step] = dates
        elif kind == 1:
            if v is None or v.__class__ is date:
                cells[col.key] = v
                continue
            try:
                cells[col.key] = parse_date(v, row=n, column=col.header)
            except LedgerDateError as e:
                bad(col.header, str(e))
        else:
            cells[col.key] = v
    today = rc.today
    name = _text(cells.get("name"))
    if not name:
        bad("姓名", f"第 {n} 行：姓名不能为空")
    elif problem := name_problem(name):  # the input policy every surface follows (engine/input_policy.py)
        bad("姓名", f"第 {n} 行：{problem}")
    for key in ("ethnicity", "education", "occupation", "tags"):
        text = _text(cells.get(key))
        header = _KEY_HEADERS.get(key, key)
        if text and (problem := text_problem(text, label=header, limit=PROFILE_TEXT_MAX, lines=False)):
            bad(header, f"第 {n} 行：{problem}")
    gender = _text(cells.get("gender"))
    if gender not in GENDERS:
        bad("性别", f"第 {n} 行：性别应为“男”或“女”，不是“{shown(gender or '', 10)}”")
    birth = cells.get("birth_date")
    if birth is None and not any(i.column == "出生日期" for i in issues):
        bad("出生日期", f"第 {n} 行：出生日期不能为空")
    elif birth is not None and (problem := birth_problem(birth, today, ages=None)):  # a register: no age today
        bad("出生日期", f"第 {n} 行：{problem}")
    branch_text = _text(cells.get("branch"))
    branch_id, branch_name = None, ""
    if not branch_text:
        bad("所在党支部", f"第 {n} 行：所在党支部不能为空")
    else:
        matches = rc.branches.get(branch_text) or rc.branches.get(normalise_header(branch_text), [])
        if not matches:
            bad("所在党支部", f"第 {n} 行：{plan.org.name}下没有名为“{shown(branch_text, 40)}”的党支部")
        elif len(matches) > 1:
            plan.ambiguous.append(RowIssue(n, "所在党支部", f"第 {n} 行：“{branch_text}”对应多个党支部（"
                                                          f"{'、'.join(m[1] for m in matches)}），请写全称或支部代码"))
            return None
        else:
            branch_id, branch_name = matches[0]
    ext = cells.get("extension_months")
    if ext is None:
        ext_months = 0
    else:
        try:
            ext_months = _months(ext)
        except ValueError:
            bad(_KEY_HEADERS["extension_months"], f"第 {n} 行：延长预备期应为月数（如 6），不是“{ext}”")
            ext_months = 0
    tags_text = _text(cells.get("tags"))
    tags = [t for t in TAG_SEPARATORS.split(tags_text) if t] if tags_text else []
    applied = (steps.get(rc.first_step.step) or (None,))[0] if rc.first_step is not None else None
    defn = None
    if branch_id is not None and applied is not None:
        try:
            defn = rc.definition(branch_id, applied)
        except LookupError as e:
            bad(rc.first_step.header, f"第 {n} 行：{e}")
    defn = defn or rc.fallback
    stage_text = _text(cells.get("stage"))
    stage = None
    if stage_text:
        stage = rc.stages(defn).get(normalise_header(stage_text))
        if stage is None:
            names = "、".join(s.name for s in (*defn.stages, *defn.end_states))
            bad("当前阶段", f"第 {n} 行：当前阶段“{stage_text}”无法识别，可填：{names}")
    if issues or branch_id is None:
        plan.errors.extend(issues)
        return None
    if defn.key != rc.layout.definition_key:  # another definition: its steps may differ from the columns
        for sid in steps:
            if not defn.has_step(sid):
                header = rc.step_headers[sid]
                bad(header, f"第 {n} 行：该候选人适用的《{defn.title}》没有“{header}”这一步骤")
        if issues:
            plan.errors.extend(issues)
            return None
    rec = LedgerRecord(branch_id=branch_id, birth_date=birth, steps=steps, stage=stage,
                       ended_on=cells.get("ended_on"), extension_months=ext_months, extended_on=cells.get("extended_on"),
                       extension_approved_on=cells.get("extension_approved_on"))
    ctx = Context(today=today, now=rc.now, calendar=rc.cal, birth_date=birth)
    result = backfill(defn, rec, ctx)
    if not result.ok:
        step_headers = rc.step_headers
        for p in result.problems:
            header = step_headers.get(p.column) or _KEY_HEADERS.get(p.column, p.column)
            plan.errors.append(RowIssue(n, header, f"第 {n} 行：{p.message}"))
        return None
    return PlannedRow(n, name, gender, birth, _text(cells.get("ethnicity")) or "汉族", _text(cells.get("education")),
                      _text(cells.get("occupation")), tags, branch_id, branch_name, defn, result)


def preview(app: App, path: str | Path, org_ref: str | int, *, limits: Limits | None = None) -> ImportPlan:
    return plan_import(app, path, org_ref, limits=limits)


# ------------------------------------------------------------------------------------ confirm
@dataclass(frozen=True)
class Audit:
    """Who imports or undoes (the audit row written in the same transaction): a web user, or the
    command line's recorder (user_id None). `file`: the name the user knows the file by."""

    user_id: int | None
    username: str
    file: str | None = None



def confirm(app: App, path: str | Path, org_ref: str | int, *, actor: str = ACTOR, skip_bad_rows: bool = False,
            limits: Limits | None = None, batch_size: int = 2000,
            progress: Callable[[int, int], None] | None = None,
            plan: ImportPlan | None = None, audit: Audit | None = None) -> dict:
    """Import the file: refused (nothing written) while the preview shows errors or ambiguities,
    unless `skip_bad_rows` (then only the clean rows are imported and the others listed).
    `progress(events_written, events_total)` is called after each batch. `audit`: who imports,
    written to the audit log in the import's own transaction (they commit together)."""
    started = time.perf_counter()
    plan = plan or plan_import(app, path, org_ref, limits=limits)
    with app.uow(read_only=True) as uow:
        _refuse_duplicate(uow, plan)
    if not plan.ok and not skip_bad_rows:
        raise refuse("ledger.errors", f"台账有 {len(plan.errors)} 处错误、{len(plan.ambiguous)} 处需确认，未导入任何记录；"
                                      "请用 --preview 查看并修正后再导入，或加 --skip-bad-rows 只导入无误的行")
    if not plan.planned:
        raise refuse("ledger.empty", "台账中没有可导入的记录")
    total_events = plan.events
    with app.uow() as uow:
        _refuse_duplicate(uow, plan)  # again, inside the writing transaction
        now = app.now()
        summary = plan.summary()
        import_id = uow.imports.add(file_name=plan.file, sha256=plan.sha256, org_id=plan.org.id, actor=actor,
                                    rows=len(plan.planned), summary=summary, now=now)
        for d in {p.definition.key: p.definition for p in plan.planned}.values():
            uow.definitions.ensure(d.key, d.sha256, definition_body(d), now)
        # people: one per (name, birth date); their status and branch follow their latest candidacy
        planned = sorted(plan.planned, key=lambda p: (p.applied_on, p.row))
        latest: dict[tuple, PlannedRow] = {}
        for p in planned:
            latest[p.person_key] = p
        person_ids = dict(zip(latest, uow.imports.allocate_ids("person", len(latest))))
        candidate_ids = uow.imports.allocate_ids("candidate", len(planned))
        w = BulkWriter(uow.connection)
        day, day_or_none, js, shared_js = w.date, w.date_or_none, w.json, w.shared_json
        now_dt = w.dt(now)
        w.write("person", [
            (person_ids[key], p.name, p.gender, day(p.birth_date), p.ethnicity, p.education, p.occupation, js(p.tags),
             party_status_for(p.result.state, p.definition), False, p.branch_id, now_dt, import_id)
            for key, p in latest.items()])
        people = len(latest)
        profiles = {key: profile_of(p) for key, p in latest.items()}
        profile_ids = uow.profiles.ids_for(profiles.values())
        written = 0
        stored_findings = 0
        events_done = [0]

        def batch_written(batch) -> None:  # in the writer's thread, after the batch's rows are in
            events_done[0] += sum(len(rows) for table, rows in batch if table == "event")
            if progress:
                progress(events_done[0], total_events)

        with PipelinedWriter(w, done=batch_written) as pipe:
            for i in range(0, len(planned), batch_size):
                pairs = list(zip(planned[i:i + batch_size], candidate_ids[i:i + batch_size]))
                cands, events, deadlines, miles, findings = [], [], [], [], []
                for p, cid in pairs:
                    res = p.result
                    st = res.state
                    pid = person_ids[p.person_key]
                    branch = st.branch_id
                    cands.append((cid, pid, branch, st.definition_key, st.stage, js(st.to_dict()), 1, day(st.applied_on),
                                  now_dt, import_id))
                    recorded, dkey = w.dt(res.recorded_at), res.definition_key
                    for seq, kind, on, step, evidence, reason, late in res.rows:
                        events.append((cid, seq, kind, step, day(on), recorded, actor,
                                       js(evidence) if seq == 1 else shared_js(evidence), reason, late, dkey))
                    for d in res.deadlines:
                        deadlines.append((cid, branch, d.step, d.kind, day(d.due_on), d.provisional, d.article))
                    m = milestones(st, p.definition)
                    miles.append((cid, pid, m.branch_id, day_or_none(m.applied_on), day_or_none(m.activist_on),
                                  day_or_none(m.target_on), day_or_none(m.admitted_on), day_or_none(m.probation_from),
                                  day_or_none(m.full_on), day_or_none(m.extended_on), day_or_none(m.ended_on),
                                  m.end_stage, day_or_none(m.first_on), day_or_none(m.closed_on),
                                  profile_ids[profiles[p.person_key]], day(p.birth_date)))
                    for f in res.findings:
                        if f.kind == "guard":
                            findings.append((cid, branch, import_id, "import", f.step, f.rule, f.article or None,
                                             f.message, day(f.occurred_on), now_dt))
                # written by the writer thread while the next batch is built here
                pipe.put([("candidate", cands), ("event", events), ("deadline", deadlines), ("milestone", miles),
                          ("finding", findings)])
                written += len(events)
                stored_findings += len(findings)
        skipped = sorted({i.row for i in (*plan.errors, *plan.ambiguous)})
        summary = {**summary, "skipped_rows": skipped[:1000], "skipped": len(skipped)}
        uow.imports.set_summary(import_id, summary)
        a = audit or Audit(None, actor)
        record_in(uow, app, user_id=a.user_id, username=a.username, action="ledger.import", target_kind="import",
                  target_id=import_id, detail={"org_id": plan.org.id, "file": a.file or plan.file,
                                               "candidates": len(planned)})
    return {"import_id": import_id, "candidates": len(planned), "people": people, "events": written,
            "findings": stored_findings, "late_steps": summary["late_steps"], "skipped": len(skipped),
            "skipped_rows": skipped[:200], "seconds": round(time.perf_counter() - started, 3)}


def _refuse_duplicate(uow, plan: ImportPlan) -> None:
    prior = uow.imports.confirmed_with_sha(plan.sha256, plan.org.id)
    if prior is not None:
        raise refuse("ledger.duplicate", f"该台账文件已于 {prior.created_at:%Y-%m-%d %H:%M} 导入（导入编号 {prior.id}）；"
                                         f"如需重新导入，请先撤销：partyflow ledger undo {prior.id}")


# ------------------------------------------------------------------------------------ undo
def _candidate_name(uow, candidate_id: int) -> str:
    """A candidate in words for a message: the person's name (never the bare id)."""
    row = uow.candidates.get(candidate_id)
    person = uow.people.get(row.person_id) if row else None
    return person.name if person else "一名候选人"


def undo(app: App, import_id: int, audit: Audit | None = None) -> dict:
    """Remove everything the import created, as a whole — refused if anything was recorded on its
    candidates (or a new candidacy of its people) after the import. `audit`: who undoes it, written
    in the undo's own transaction (a crash cannot leave an undo without its audit row)."""
    with app.uow() as uow:
        batch = uow.imports.get(import_id)
        if batch is None:
            raise refuse("ledger.import.unknown", "找不到这次导入（可能已被删除）")
        if batch.status == "undone":
            raise refuse("ledger.import.undone", f"这次导入（{batch.file_name}）已于 {batch.undone_at:%Y-%m-%d %H:%M} 撤销")
        later = uow.imports.later_changes(import_id)
        named = _named_since(app, uow, import_id, batch.created_at)
        if later["changed"] or later["other_candidacies"] or named:
            parts = []
            if later["changed"]:
                ex = "、".join(_candidate_name(uow, x) for x in later["examples"])
                parts.append(f"{later['changed']} 名候选人在导入后又登记了步骤或更正（如{ex}）")
            if later["other_candidacies"]:
                parts.append(f"导入的人员有 {later['other_candidacies']} 条导入后新登记的入党申请")
            if named:
                ex = "、".join(f"{_candidate_name(uow, cid)}的第 {seq} 条记录" for cid, seq in named[:3])
                parts.append(f"导入的人员在导入后被 {len(named)} 条其他记录列为培养联系人或入党介绍人等（如{ex}）")
            raise refuse("ledger.undo.later", f"不能撤销这次导入（{batch.file_name}）：{'；'.join(parts)}。"
                                              "整批撤销会丢失这些记录；请先作废这些记录，或逐人更正")
        counts = uow.imports.delete_created(import_id)
        uow.imports.mark_undone(import_id, app.utcnow())
        a = audit or Audit(None, ACTOR)
        record_in(uow, app, user_id=a.user_id, username=a.username, action="ledger.undo", target_kind="import",
                  target_id=import_id, detail={"org_id": batch.org_id, "file": batch.file_name})
    return {"import_id": import_id, "file": batch.file_name, **counts}


def _named_since(app: App, uow, import_id: int, since) -> list[tuple[int, int]]:
    """(candidate, seq) of records entered since the import, on other candidates, that name a
    person the import created (a sponsor, a mentor): undoing would leave them naming nobody."""
    created = uow.imports.people_created(import_id)
    if not created:
        return []
    named = []
    for cid, seq, key, step_id, evidence in uow.imports.steps_recorded_since(import_id, since):
        defn = app.definition(key)
        if defn.has_step(step_id) and created.intersection(people_ids(defn.step(step_id), evidence or {})):
            named.append((cid, seq))
    return named


def list_imports(app: App) -> list[dict]:
    with app.uow(read_only=True) as uow:
        rows = uow.imports.list()
    return [{"id": r.id, "file": r.file_name, "org_id": r.org_id, "status": r.status, "rows": r.rows,
             "created_at": r.created_at.isoformat(sep=" ", timespec="seconds"),
             "undone_at": r.undone_at.isoformat(sep=" ", timespec="seconds") if r.undone_at else None}
            for r in rows]

