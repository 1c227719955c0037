"""Process definition versions for the administrator: list them, read one as a table, and check an
uploaded YAML file (a new national version or a township override) before it is installed.

Checking only: an upload is parsed and validated by the same loader the registry uses
(`workflows.loader.load_text`, `extends` resolved against the running registry) and every problem
is returned with its line, exactly as `file:line: 中文` — but nothing is installed. Installing a
version means placing the checked file in `workflows/definitions/` (national) or `workflows/local/`
(township variants) and restarting: the registry is read from files at start-up, and a published
key can never change (candidates pinned to it keep it for ever).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.app import App
from services.queries import citation_label
from storage.tables import candidate, workflow_definition
from workflows.loader import DefinitionError, Problem, load_text
from workflows.model import Definition, RuleSpec

MAX_UPLOAD = 512 * 1024  # a definition of 25 steps is ~40 KB


def list_versions(app: App) -> list[dict[str, Any]]:
    """Every version the registry knows plus any stored snapshot it does not (a pinned version
    whose file was removed): {key, id, version, title, effective_from, local, extends, sha256,
    pinned, stored, in_registry}. `pinned` counts candidates on the version (one grouped scan)."""
    with app.uow(read_only=True) as uow:
        pinned = dict(uow.connection.execute(
            select(candidate.c.definition_key, func.count()).group_by(candidate.c.definition_key)).all())
        stored = dict(uow.connection.execute(select(workflow_definition.c.key, workflow_definition.c.sha256)).all())
    out = []
    for d in app.registry.definitions():
        out.append({"key": d.key, "id": d.id, "version": d.version, "title": d.title,
                    "effective_from": d.effective_from.isoformat(), "local": d.local, "extends": d.extends,
                    "sha256": d.sha256, "pinned": pinned.get(d.key, 0), "stored": d.key in stored,
                    "stored_differs": d.key in stored and stored[d.key] != d.sha256, "in_registry": True})
    for key in sorted(set(stored) - set(app.registry.keys())):
        did, _, ver = key.partition("@")
        out.append({"key": key, "id": did, "version": int(ver) if ver.isdigit() else ver, "title": "（仅存档，文件已不在）",
                    "effective_from": "", "local": False, "extends": None, "sha256": stored[key],
                    "pinned": pinned.get(key, 0), "stored": True, "stored_differs": False, "in_registry": False})
    return out


def _rule_text(r: RuleSpec) -> str:
    params = "，".join(f"{k}={v}" for k, v in r.params.items())
    return f"{r.kind}（{params}）" if params else r.kind


def describe(defn: Definition) -> dict[str, Any]:
    """A definition as rows a person can read: stages, roles and every step with its fields and rules."""
    steps = []
    for s in defn.steps:
        steps.append({
            "number": s.number, "id": s.id, "name": s.name, "stage": defn.stage_name(s.stage),
            "actor": defn.roles.get(s.actor, s.actor), "requires": [defn.step(x).name for x in s.requires],
            "enters": defn.stage_name(s.enters) if s.enters else "", "repeatable": s.repeatable,
            "optional": s.optional, "citation": citation_label(s) if s.citation.article else "",
            "fields": [{"name": f.name, "label": f.label, "type": f.type, "required": f.required} for f in s.evidence],
            "rules": [{"id": r.id, "text": _rule_text(r), "citation": citation_label(r), "message": r.message or ""}
                      for r in s.rules],
        })
    return {"key": defn.key, "id": defn.id, "version": defn.version, "title": defn.title,
            "effective_from": defn.effective_from.isoformat(), "local": defn.local, "extends": defn.extends,
            "sha256": defn.sha256, "source": defn.source,
            "stages": [{"id": x.id, "name": x.name} for x in defn.stages],
            "end_states": [{"id": x.id, "name": x.name} for x in defn.end_states],
            "roles": [{"id": k, "name": v} for k, v in defn.roles.items()],
            "probation": f"{defn.probation_months} 个月，自“{defn.step(defn.probation_after).name}”起"
                         f"（{defn.probation_citation.label()}）" if defn.has_step(defn.probation_after) else "",
            "steps": steps}


def check_upload(app: App, file_name: str, data: bytes) -> dict[str, Any]:
    """Validate an uploaded definition without installing it.

    {ok, file, problems: [{line, message, text}], definition: describe(...) | None, note}. Problems
    carry the line of the uploaded file ("file:line: 中文", `text`); a problem in a base version it
    extends names that base's file.
    """
    name = (file_name or "upload.yaml").replace("\\", "/").rsplit("/", 1)[-1] or "upload.yaml"
    problems: list[Problem] = []
    defn = None
    if not data:
        problems = [Problem(name, 0, "文件为空")]
    elif len(data) > MAX_UPLOAD:
        problems = [Problem(name, 0, f"文件过大（{len(data) // 1024} KB），上限 {MAX_UPLOAD // 1024} KB")]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems = [Problem(name, 0, "文件不是 UTF-8 编码")]
        else:
            try:
                defn = load_text(text, name, app.registry.get)
            except DefinitionError as e:
                problems = e.problems
    note = ""
    if defn is not None and defn.key in app.registry:
        existing = app.registry.get(defn.key)
        if existing.sha256 != defn.sha256:
            problems = [Problem(name, 1, f"流程定义 {defn.key} 已发布且内容不同：已发布的版本不能修改，请改用新的版本号")]
        else:
            note = f"与已发布的 {defn.key} 内容完全相同"
    ok = not problems
    if ok and not note:
        folder = "workflows/local/" if defn.local else "workflows/definitions/"
        note = f"校验通过。安装：将此文件放入 {folder} 并重启服务（本页只校验，不安装）"
    return {"ok": ok, "file": name, "note": note,
            "problems": [{"line": p.line, "message": p.message, "file": p.file, "text": str(p)} for p in problems],
            "definition": describe(defn) if ok and defn is not None else None}
