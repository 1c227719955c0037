"""Preview → confirm → undo of an uploaded ledger, over `services.ledger.intake` (the CLI's import).

The plan, the writing and the undo checks are the CLI's own functions; this module decides who
may use them from the web (`scope`), keeps the upload (`uploads`) and words the service's
results for a page: no command lines, no database ids (candidates by name), times in Beijing time.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from engine.errors import DomainError, refuse
from services.accounts.access import Principal
from services.app import SHANGHAI, App
from services.imports.scope import import_org, importable_orgs
from services.imports.uploads import discard, load_upload
from services.casework.user_commands import ForbiddenError, NotFoundError

LIST_LIMIT = 200  # of each list on the preview page (the counts cover all)
ROWS_SHOWN = 100  # planned rows listed on the preview page


def beijing(t: datetime | None) -> str:
    """A stored naive-UTC time as Beijing time, to the minute."""
    if t is None:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


_PERSON_IDS = re.compile(r"，人员编号 [\d、]+")


def _clean(app: App, message: str, row: int | None = None) -> str:
    """A row message for the page: without the row prefix (the page shows the row), person ids
    or a definition key (its title instead)."""
    if row is not None:
        message = re.sub(rf"^第 {row} 行(“[^”]*”列)?：", "", message)
    message = _PERSON_IDS.sub("", message)
    for key in set(re.findall(r"[a-z][a-z0-9_]*@\d+", message)):
        try:
            message = message.replace(key, f"“{app.definition(key).title}”")
        except (KeyError, LookupError):
            pass
    return message


def _issues(app: App, items) -> list[dict]:
    return [{"row": i.row, "column": i.column, "message": _clean(app, i.message, i.row)} for i in items[:LIST_LIMIT]]


def _plan(app: App, upload) -> Any:
    from services.ledger.intake import plan_import

    return plan_import(app, upload.path, upload.org_id)


def preview_upload(app: App, who: Principal, token: str) -> dict[str, Any]:
    """What confirming the user's upload would do: counts, the rows to be created (the first
    ROWS_SHOWN), the wrong and the ambiguous rows (row, column, why), the compliance findings,
    and the seconds the check took."""
    upload = load_upload(token, who.user_id)
    org = import_org(app, who, upload.org_id)
    started = time.perf_counter()
    plan = _plan(app, upload)
    seconds = time.perf_counter() - started
    s = plan.summary()
    findings = plan.findings
    try:
        definition = app.definition(plan.definition_key).title
    except (KeyError, LookupError):
        definition = ""
    return {
        "token": upload.token, "name": upload.name, "kind": upload.kind, "org": org,
        "sheet": plan.sheet, "rows": plan.rows, "definition": definition,
        "candidates": s["candidates"], "people": s["people"], "events": s["events"], "stages": s["stages"],
        "ok": plan.ok, "errors": len(plan.errors), "ambiguous": len(plan.ambiguous),
        "error_list": _issues(app, plan.errors), "ambiguous_list": _issues(app, plan.ambiguous),
        "findings": s["findings"], "late_steps": s["late_steps"], "pending_approvals": s["pending_approvals"],
        "finding_list": [{"row": p.row, "name": p.name, "branch": p.branch_name,
                          "message": _clean(app, f.message), "late": f.kind == "late", "pending": f.kind == "notice"}
                         for p, f in findings[:LIST_LIMIT]],
        "planned": [{"row": p.row, "name": p.name, "gender": p.gender, "birth_date": p.birth_date.isoformat(),
                     "branch": p.branch_name, "stage": p.definition.stage_name(p.result.state.stage),
                     "steps": len(p.result.rows)} for p in plan.planned[:ROWS_SHOWN]],
        "more_rows": max(0, len(plan.planned) - ROWS_SHOWN), "limit": LIST_LIMIT,
        "seconds": round(seconds, 2),
    }


def confirm_upload(app: App, who: Principal, token: str, *, skip_bad_rows: bool = False) -> dict[str, Any]:
    """Import the user's upload in one transaction (services.ledger.intake.confirm), then forget it."""
    from services.ledger.intake import Audit, confirm

    upload = load_upload(token, who.user_id)
    org = import_org(app, who, upload.org_id)
    plan = _plan(app, upload)
    with app.uow(read_only=True) as uow:
        prior = uow.imports.confirmed_with_sha(plan.sha256, plan.org.id)
    if prior is not None:
        raise refuse("ledger.duplicate", f"这个台账文件已于 {beijing(prior.created_at)} 导入到{org['name']}；"
                                         "如需重新导入，请先在“导入记录”中撤销那次导入")
    if not plan.ok and not skip_bad_rows:
        raise refuse("ledger.errors", f"台账有 {len(plan.errors)} 处错误、{len(plan.ambiguous)} 处需确认，未导入任何记录；"
                                      "请修正后重新上传，或勾选“跳过有误和需确认的行”只导入无误的行")
    try:
        res = confirm(app, upload.path, upload.org_id, skip_bad_rows=skip_bad_rows, plan=plan,
                      audit=Audit(who.user_id, who.username, upload.name))
    except DomainError as e:
        if any(v.code == "ledger.duplicate" for v in e.violations):  # imported meanwhile by someone else
            raise refuse("ledger.duplicate", "这个台账文件刚刚已被导入；如需重新导入，请先在“导入记录”中撤销那次导入") from None
        raise
    discard(upload)
    return {**res, "name": upload.name, "org": org}


def _visible_imports(app: App, who: Principal) -> tuple[list, dict[int, str]]:
    orgs = {o["id"]: o["name"] for o in importable_orgs(app, who)}
    with app.uow(read_only=True) as uow:
        rows = [r for r in uow.imports.list() if r.org_id in orgs]
    return rows, orgs


def history(app: App, who: Principal) -> list[dict[str, Any]]:
    """The imports into the organisations the user may import into, newest first."""
    rows, orgs = _visible_imports(app, who)
    out = []
    for r in reversed(rows):
        summary = r.summary or {}
        out.append({"id": r.id, "file": r.file_name, "org": orgs[r.org_id], "rows": r.rows,
                    "candidates": summary.get("candidates", r.rows), "events": summary.get("events"),
                    "skipped": summary.get("skipped", 0), "undone": r.status == "undone",
                    "created_at": beijing(r.created_at), "undone_at": beijing(r.undone_at)})
    return out


def import_item(app: App, who: Principal, import_id: int) -> dict[str, Any]:
    """One import as `history` lists it (NotFoundError / ForbiddenError as for undo)."""
    _import_row(app, who, import_id)
    return next(i for i in history(app, who) if i["id"] == import_id)


def _import_row(app: App, who: Principal, import_id: int):
    with app.uow(read_only=True) as uow:
        batch = uow.imports.get(import_id) if 0 < import_id < 2**31 else None
    if batch is None:
        raise NotFoundError("找不到这次导入")
    if batch.org_id not in {o["id"] for o in importable_orgs(app, who)}:
        raise ForbiddenError("无权撤销其他乡镇的台账导入")
    return batch


def _names(app: App, text: str) -> str:
    """"候选人 12、13" → the candidates' names (the service names candidates by id)."""
    ids = {int(x) for m in re.findall(r"候选人 ([\d、]+)", text) for x in m.split("、") if x}
    if not ids:
        return text
    from sqlalchemy import select

    from storage.tables import candidate, person

    with app.uow(read_only=True) as uow:
        names = dict(uow.connection.execute(
            select(candidate.c.id, person.c.name).join(person, person.c.id == candidate.c.person_id)
            .where(candidate.c.id.in_(ids))).all())
    text = re.sub(r"候选人 (\d+) 第 (\d+) 条记录", lambda m: f"{names.get(int(m[1]), '某候选人')}的第 {m[2]} 条记录", text)
    return re.sub(r"候选人 ([\d、]+)", lambda m: "、".join(names.get(int(x), "某候选人") for x in m[1].split("、") if x), text)


def undo_import(app: App, who: Principal, import_id: int) -> dict[str, Any]:
    """Remove the import as a whole (services.ledger.intake.undo), refused as the CLI refuses."""
    from services.ledger.intake import Audit, undo

    batch = _import_row(app, who, import_id)
    if batch.status == "undone":
        raise refuse("ledger.import.undone", f"“{batch.file_name}”的这次导入已于 {beijing(batch.undone_at)} 撤销")
    try:
        res = undo(app, import_id, Audit(who.user_id, who.username))
    except DomainError as e:
        v = e.violations[0]
        if v.code == "ledger.undo.later":
            detail = v.message.split("：", 1)[-1]
            raise refuse(v.code, f"不能撤销“{batch.file_name}”的这次导入：{_names(app, detail)}") from None
        raise
    return {**res, "file": batch.file_name}
