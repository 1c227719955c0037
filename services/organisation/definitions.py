"""Process definition versions for the administrator: list them, read one as a table, check an
uploaded YAML file (a new national version or a township override) and install it.

An upload is parsed and validated by the same loader the registry uses
(`workflows.loader.load_text`, `extends` resolved against the running registry) and every problem
is returned with its line, exactly as `file:line: 中文`. Installing stores the checked YAML in
`workflow_definition` (its `source`, beside the snapshot and sha256 candidates are pinned to):
every process loads those rows beside the shipped files (`App.registry`), so the CLI and the
scheduler use it without copying a file or restarting, and the web process at once. A published
key never changes content: the same key with another sha256 is refused, the same content again
changes nothing.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from services.app import App
from services.integrity.audit_log import record_in
from services.casework.candidates import definition_body
from services.casework.queries import citation_label
from storage.errors import DefinitionChanged
from storage.tables import candidate, workflow_definition
from workflows.loader import DefinitionError, Problem, load_text
from workflows.model import Definition, RuleSpec

MAX_UPLOAD = 512 * 1024  # a definition of 25 steps is ~40 KB
_w = workflow_definition.c
_PUBLISHED = "已发布的版本不能修改（候选人固定在登记时的版本上），请改用新的版本号"


def list_versions(app: App) -> list[dict[str, Any]]:
    """Every version the registry knows plus any stored snapshot it does not (a pinned version
    whose file was removed): {key, id, version, title, effective_from, local, extends, sha256,
    pinned, stored, installed, in_registry}. `pinned` counts candidates on the version (one
    grouped scan); `installed`: installed from this page (its YAML is in the database)."""
    registry = app.registry  # first: may read the installed versions
    with app.uow(read_only=True) as uow:
        pinned = dict(uow.connection.execute(
            select(candidate.c.definition_key, func.count()).group_by(candidate.c.definition_key)).all())
        rows = uow.connection.execute(select(_w.key, _w.sha256, _w.source.is_not(None))).all()
    stored = {k: sha for k, sha, _i in rows}
    installed = {k for k, _sha, i in rows if i}
    out = []
    for d in registry.definitions():
        out.append({"key": d.key, "id": d.id, "version": d.version, "title": d.title,
                    "effective_from": d.effective_from.isoformat(), "local": d.local, "extends": d.extends,
                    "sha256": d.sha256, "pinned": pinned.get(d.key, 0), "stored": d.key in stored,
                    "installed": d.key in installed,
                    "stored_differs": d.key in stored and stored[d.key] != d.sha256, "in_registry": True})
    for key in sorted(set(stored) - set(registry.keys())):
        did, _, ver = key.partition("@")
        title = "（已安装但无法加载，见服务器日志）" if key in installed else "（仅存档，文件已不在）"
        out.append({"key": key, "id": did, "version": int(ver) if ver.isdecimal() else ver, "title": title,
                    "effective_from": "", "local": False, "extends": None, "sha256": stored[key],
                    "pinned": pinned.get(key, 0), "stored": True, "installed": key in installed,
                    "stored_differs": False, "in_registry": False})
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


def _file_name(file_name: str) -> str:
    return (file_name or "upload.yaml").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload.yaml"


def _check(app: App, name: str, data: bytes) -> tuple[str, Definition | None, list[Problem], bool]:
    """(text, definition, problems, identical): `identical` when the key is already published
    with exactly this content (nothing to install)."""
    if not data:
        return "", None, [Problem(name, 0, "文件为空")], False
    if len(data) > MAX_UPLOAD:
        return "", None, [Problem(name, 0, f"文件过大（{len(data) // 1024} KB），上限 {MAX_UPLOAD // 1024} KB")], False
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")  # a browser's textarea sends CRLF
    except UnicodeDecodeError:
        return "", None, [Problem(name, 0, "文件不是 UTF-8 编码")], False
    registry = app.registry
    try:
        defn = load_text(text, name, registry.get)
    except DefinitionError as e:
        return text, None, e.problems, False
    published = registry.get(defn.key).sha256 if defn.key in registry else None
    if published is None:  # perhaps only a snapshot (its file removed) or installed elsewhere
        with app.uow(read_only=True) as uow:
            published = uow.connection.execute(select(_w.sha256).where(_w.key == defn.key)).scalar()
    if published is not None and published != defn.sha256:
        return text, defn, [Problem(name, 1, f"流程定义 {defn.key} 已发布且内容不同：{_PUBLISHED}")], False
    return text, defn, [], defn.key in registry


def _result(name: str, defn: Definition | None, problems: list[Problem], note: str, *,
            text: str | None = None, installed: bool = False) -> dict[str, Any]:
    ok = not problems
    return {"ok": ok, "file": name, "note": note, "installed": installed,
            "problems": [{"line": p.line, "message": p.message, "file": p.file, "text": str(p)} for p in problems],
            "definition": describe(defn) if ok and defn is not None else None,
            # what the install form sends back (checked again there): only for a new version
            "install": {"text": text, "sha256": defn.sha256} if ok and defn is not None and text is not None else None}


def check_upload(app: App, file_name: str, data: bytes) -> dict[str, Any]:
    """Validate an uploaded definition without installing it.

    {ok, file, problems: [{line, message, text}], definition: describe(...) | None, note,
    install: {text, sha256} | None}. Problems carry the line of the uploaded file
    ("file:line: 中文", `text`); a problem in a base version it extends names that base's file.
    `install` is set when the version is new and may be installed (`install_upload`).
    """
    name = _file_name(file_name)
    text, defn, problems, identical = _check(app, name, data)
    if problems:
        return _result(name, defn, problems, "")
    if identical:
        return _result(name, defn, [], f"与已发布的 {defn.key} 内容完全相同，无需安装")
    where = "乡镇变体" if defn.local else "全国版本"
    return _result(name, defn, [], f"校验通过：{defn.key}（{where}）尚未发布，可以安装", text=text)


def install_upload(app: App, file_name: str, data: bytes, *, expected_sha256: str | None, user_id: int | None,
                   username: str) -> dict[str, Any]:
    """Check the text again and install it: its YAML and snapshot stored under its key, an audit
    row naming the user, in one transaction; then added to this process's registry.

    The result is `check_upload`'s with `installed` (False when the same content was already
    there: nothing is written). `expected_sha256` is what the administrator saw when checking:
    another content is refused rather than installed unseen.
    """
    name = _file_name(file_name)
    text, defn, problems, identical = _check(app, name, data)
    if problems:
        return _result(name, defn, problems, "")
    if expected_sha256 and expected_sha256 != defn.sha256:
        return _result(name, defn, [Problem(name, 0, "内容与校验时不同（sha256 不符），请重新校验后再安装")], "")
    if identical:
        return _result(name, defn, [], f"{defn.key} 已发布且内容完全相同，未作改动")
    try:
        with app.uow() as uow:
            uow.definitions.ensure(defn.key, defn.sha256, definition_body(defn), app.utcnow())
            changed = uow.connection.execute(
                update(workflow_definition).where(_w.key == defn.key, _w.source.is_(None))
                .values(source=text, source_name=name)).rowcount
            if changed:
                record_in(uow, app, user_id=user_id, username=username, action="definition.install",
                          target_kind="workflow_definition", target_id=defn.key,
                          detail={"file": name, "sha256": defn.sha256, "title": defn.title, "local": defn.local,
                                  "extends": defn.extends, "effective_from": defn.effective_from.isoformat(),
                                  "steps": len(defn.steps)})
    except DefinitionChanged:  # published meanwhile with other content
        return _result(name, defn, [Problem(name, 1, f"流程定义 {defn.key} 已发布且内容不同：{_PUBLISHED}")], "")
    app.reload_definitions()  # as every other process will load it: from the stored YAML
    if not changed:
        return _result(name, defn, [], f"{defn.key} 已安装且内容完全相同，未作改动")
    return _result(name, defn, [], f"已安装 {defn.key}：命令行和定时任务无需重启即可使用", installed=True)
