"""Load process definitions from YAML, apply overrides, validate, and freeze them.

Why this shape: an administrator who edits a definition must see every mistake at once, each with
its file and line and in Chinese; and a revision or a township variant must be a small patch of a
pinned base version, so that correcting one citation never means copying 25 steps.

The YAML is read with a node-keeping parser: every mapping remembers the file and line of each of
its keys, also after an override has merged into it, so a problem is reported where it was written.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import string
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from workflows.model import (
    COMPUTED_ANCHORS,
    FIELD_TYPES,
    RULE_KINDS,
    Citation,
    Definition,
    FieldSpec,
    Outcome,
    RuleSpec,
    StageSpec,
    StepSpec,
)

Resolver = Callable[[str], Definition]
Origin = tuple[str, int]

__all__ = [
    "DefinitionError",
    "Problem",
    "Resolver",
    "definition_to_data",
    "digest",
    "load_definition",
    "load_text",
    "peek",
]


# --------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str  # Chinese, for the administrator who edits the file

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DefinitionError(ValueError):
    """A definition file is wrong. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


class _Ctx:
    """Collects problems while loading one file; knows what an override removed."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.removed_steps: dict[str, Origin] = {}
        self.removed_fields: dict[tuple[str, str], Origin] = {}
        self.step_ids: list[str] = []  # for "did you mean" suggestions, once known

    def add(self, origin: Origin, message: str) -> None:
        p = Problem(origin[0], origin[1], message)
        if p not in self.problems:
            self.problems.append(p)

    def ref_step(self, origin: Origin, what: str, target: Any) -> None:
        """A reference to a missing step; if an override deleted it, blame the deletion."""
        if isinstance(target, str) and target in self.removed_steps:
            self.add(self.removed_steps[target], f"删除了步骤 {target}，但{what}仍引用它")
        else:
            self.add(origin, f"{what}引用了不存在的步骤 {target}{_suggest(target, self.step_ids)}")

    def ref_field(self, origin: Origin, what: str, step_id: str, name: Any, known: Iterable[str]) -> None:
        if isinstance(name, str) and (step_id, name) in self.removed_fields:
            self.add(self.removed_fields[(step_id, name)], f"删除了步骤 {step_id} 的证据字段 {name}，但{what}仍引用它")
        else:
            self.add(origin, f"{what}引用了不存在的证据字段 {name}{_suggest(name, known)}")


def _suggest(word: Any, options: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.75)
    return f"（是否为 {close[0]}？）" if close else ""


# --------------------------------------------------------------------------------------------
# YAML with origins


class _Map(dict):
    """A mapping that remembers where it and each of its keys were written."""

    def __init__(self, origin: Origin, items: Mapping | None = None, origins: Mapping | None = None):
        super().__init__(items or {})
        self.origin = origin
        self.origins: dict[Any, Origin] = dict(origins or {})

    def at(self, key: Any) -> Origin:
        return self.origins.get(key, self.origin)

    def put(self, key: Any, value: Any, origin: Origin) -> None:
        self[key] = value
        self.origins[key] = origin

    def drop(self, key: Any) -> None:
        self.pop(key, None)
        self.origins.pop(key, None)

    def copy(self) -> "_Map":  # type: ignore[override]
        return _Map(self.origin, self, self.origins)


class _Seq(list):
    """A list that remembers where it and each item were written."""

    def __init__(self, origin: Origin, items: Iterable = (), origins: Iterable[Origin] | None = None):
        super().__init__(items)
        self.origin = origin
        self.item_origins: list[Origin] = list(origins) if origins is not None else [origin] * len(self)

    def at(self, i: int) -> Origin:
        return self.item_origins[i] if i < len(self.item_origins) else self.origin


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay text, so a bad date is reported, not raised."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse(text: str, source: str, ctx: _Ctx) -> Any:
    """YAML text -> _Map/_Seq/scalars with origins; syntax errors become problems."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        ctx.add((source, line), f"YAML 语法错误：{e.problem or e}")
        return None
    except yaml.YAMLError as e:
        ctx.add((source, 0), f"YAML 语法错误：{e}")
        return None
    finally:
        loader.dispose()
    if root is None:
        return None

    def build(node: Any) -> Any:
        origin = (source, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            try:
                loader.flatten_mapping(node)  # YAML merge keys (<<: *anchor)
            except yaml.YAMLError as e:
                ctx.add(origin, f"YAML 合并键错误：{getattr(e, 'problem', e)}")
            out = _Map(origin)
            for knode, vnode in node.value:
                korigin = (source, knode.start_mark.line + 1)
                if not isinstance(knode, ScalarNode):
                    ctx.add(korigin, "映射的键必须是简单的文字")
                    continue
                key = scalar(knode)
                if not isinstance(key, str):
                    ctx.add(korigin, f"键 {knode.value} 被 YAML 解析为 {type(key).__name__}，请加引号写成文字")
                    key = knode.value
                if key in out:
                    ctx.add(korigin, f"键 {key} 重复（第{out.at(key)[1]}行已写过）")
                    continue
                out.put(key, build(vnode), korigin)
            return out
        if isinstance(node, SequenceNode):
            items = [build(n) for n in node.value]
            return _Seq(origin, items, [(source, n.start_mark.line + 1) for n in node.value])
        return scalar(node)

    def scalar(node: ScalarNode) -> Any:
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            ctx.add((source, node.start_mark.line + 1), f"无法解析的值 {node.value!r}：{getattr(e, 'problem', e)}")
            return node.value

    return build(root)


# --------------------------------------------------------------------------------------------
# Public entry points


def load_definition(path: str | Path, resolve: Resolver | None = None) -> Definition:
    """Load, merge (if it `extends` something, via `resolve`) and validate one definition file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DefinitionError([Problem(str(path), 0, "文件不是 UTF-8 编码")]) from None
    except OSError as e:
        raise DefinitionError([Problem(str(path), 0, f"无法读取文件：{e.strerror or e}")]) from None
    return load_text(text, str(path), resolve)


def load_text(text: str, source_name: str, resolve: Resolver | None = None) -> Definition:
    """Like `load_definition`, from text; `source_name` is used in problems and `Definition.source`."""
    ctx = _Ctx(source_name)
    tree = _parse(text, source_name, ctx)
    if ctx.problems:
        raise DefinitionError(ctx.problems)
    if tree is None:
        raise DefinitionError([Problem(source_name, 1, "文件为空")])
    if not isinstance(tree, _Map):
        raise DefinitionError([Problem(source_name, 1, "文件顶层应为映射（id、version、steps …）")])
    source = source_name
    if "extends" in tree:
        merged, base = _apply_override(tree, resolve, ctx)
        if merged is None:
            raise DefinitionError(ctx.problems)
        if base.source:
            source = f"{source_name}; {base.source}"
    else:
        merged = _normalise_base(tree, ctx)
    definition = _build(merged, ctx, source)
    if ctx.problems or definition is None:
        raise DefinitionError(ctx.problems or [Problem(source_name, 1, "定义无效")])
    return replace(definition, sha256=digest(definition))


def peek(path: str | Path) -> tuple[str, int, str | None, bool]:
    """(id, version, extends, local) of a file without resolving anything: lets a registry order loads."""
    path = Path(path)
    ctx = _Ctx(str(path))
    try:
        tree = _parse(path.read_text(encoding="utf-8"), str(path), ctx)
    except (OSError, UnicodeDecodeError) as e:
        raise DefinitionError([Problem(str(path), 0, f"无法读取文件：{e}")]) from None
    if ctx.problems:
        raise DefinitionError(ctx.problems)
    if not isinstance(tree, _Map):
        raise DefinitionError([Problem(str(path), 1, "文件顶层应为映射（id、version、steps …）")])
    did, version = tree.get("id"), tree.get("version")
    if not isinstance(did, str) or not _is_int(version):
        bad = "id" if not isinstance(did, str) else "version"
        raise DefinitionError([Problem(str(path), tree.at(bad)[1], f"定义缺少有效的 {bad}")])
    ext = tree.get("extends")
    return did, version, ext if isinstance(ext, str) else None, tree.get("local") is True


# --------------------------------------------------------------------------------------------
# Canonical data (hash, and the base an override patches)


def _citation_data(c: Citation, number_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {number_key: c.article, "confidence": c.confidence}
    if c.unverified:
        out["unverified"] = True
    if c.note:
        out["note"] = c.note
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _rule_data(r: RuleSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id or r.kind, "kind": r.kind}
    out.update({k: _plain(v) for k, v in r.params.items()})
    out["article"] = r.citation.article
    out.update({k: v for k, v in _citation_data(r.citation, "article").items() if k != "article"})
    if r.message:
        out["message"] = r.message
    return out


def _field_data(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type, "label": f.label}
    if not f.required:
        out["required"] = False
    if f.choices:
        out["choices"] = list(f.choices)
    if f.choice_labels:
        out["choice_labels"] = dict(f.choice_labels)
    if f.min_items is not None:
        out["min_items"] = f.min_items
    if f.max_items is not None:
        out["max_items"] = f.max_items
    return out


def _step_data(s: StepSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "number": s.number, "name": s.name, "stage": s.stage, "actor": s.actor}
    if s.requires:
        out["requires"] = list(s.requires)
    if s.enters:
        out["enters"] = s.enters
    if s.citation != Citation(""):
        out["article"] = _citation_data(s.citation, "number")
    if s.evidence:
        out["evidence"] = [_field_data(f) for f in s.evidence]
    if s.rules:
        out["rules"] = [_rule_data(r) for r in s.rules]
    if s.outcome is not None:
        o = s.outcome
        out["outcome"] = {"field": o.field, "positive": _plain(o.positive), "negative": o.negative}
        if o.effects:
            out["outcome"]["effects"] = dict(o.effects)
    if s.repeatable:
        out["repeatable"] = True
    if s.optional:
        out["optional"] = True
    return out


def definition_to_data(d: Definition) -> dict[str, Any]:
    """The merged definition as plain data in the YAML format (no lines, no source, no hash)."""
    data: dict[str, Any] = {
        "id": d.id,
        "version": d.version,
        "title": d.title,
        "effective_from": d.effective_from.isoformat(),
    }
    if d.extends:
        data["extends"] = d.extends
    if d.local:
        data["local"] = True
    data["roles"] = dict(d.roles)
    data["stages"] = [{"id": s.id, "name": s.name} for s in d.stages]
    data["end_states"] = [{"id": s.id, "name": s.name} for s in d.end_states]
    data["reconsider_reopens"] = list(d.reconsider_reopens)
    data["probation"] = {
        "after": d.probation_after,
        "months": d.probation_months,
        **_citation_data(d.probation_citation, "article"),
    }
    data["steps"] = [_step_data(s) for s in d.steps]
    return data


def digest(d: Definition) -> str:
    """sha256 of the canonical JSON of the merged definition: what a pinned candidate stores."""
    blob = json.dumps(definition_to_data(d), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _wrap(value: Any, origin: Origin) -> Any:
    if isinstance(value, dict):
        m = _Map(origin)
        for k, v in value.items():
            m.put(k, _wrap(v, origin), origin)
        return m
    if isinstance(value, list):
        return _Seq(origin, [_wrap(v, origin) for v in value])
    return value


def _wrap_definition(base: Definition) -> _Map:
    """The base as a tree whose origins point at the base file's lines (for problems)."""
    file = base.source.split("; ")[0] if base.source else f"<{base.key}>"
    data = definition_to_data(base)
    data.pop("extends", None)
    tree = _wrap({k: v for k, v in data.items() if k != "steps"}, (file, 1))
    steps = _Seq((file, 1))
    for spec, sdata in zip(base.steps, data["steps"]):
        step = _wrap({k: v for k, v in sdata.items() if k != "rules"}, (file, spec.line))
        if "rules" in sdata:
            rules = _Seq((file, spec.line))
            for rspec, rdata in zip(spec.rules, sdata["rules"]):
                rules.append(_wrap(rdata, (file, rspec.line or spec.line)))
                rules.item_origins.append((file, rspec.line or spec.line))
            step.put("rules", rules, (file, spec.line))
        steps.append(step)
        steps.item_origins.append((file, spec.line))
    tree.put("steps", steps, (file, 1))
    return tree


# --------------------------------------------------------------------------------------------
# Normalising: base files and override patches give the same tree shape to the validator


def _normalise_rules(step_id: str, value: Any, origin: Origin, ctx: _Ctx) -> _Seq:
    """Rules as a list of mappings, each with its id (explicit, else kind, else kind:after)."""
    if isinstance(value, _Map):  # a new step in an override may give rules as id -> rule
        rules = _Seq(origin)
        for rid, r in value.items():
            if not isinstance(r, _Map):
                ctx.add(value.at(rid), f"步骤 {step_id} 的规则 {rid} 应为映射")
                continue
            r = r.copy()
            if "id" in r and r["id"] != rid:
                ctx.add(r.at("id"), f"步骤 {step_id} 的规则 {rid} 的 id 与键不一致：{r['id']}")
            r.put("id", rid, value.at(rid))
            rules.append(r)
            rules.item_origins.append(value.at(rid))
        return rules
    if not isinstance(value, _Seq):
        ctx.add(origin, f"步骤 {step_id} 的 rules 应为列表")
        return _Seq(origin)
    rules = _Seq(value.origin)
    for i, r in enumerate(value):
        if not isinstance(r, _Map):
            ctx.add(value.at(i), f"步骤 {step_id} 的第 {i + 1} 条规则应为映射（kind: …）")
            continue
        rules.append(r.copy())
        rules.item_origins.append(value.at(i))
    # Ids must not depend on position (an override names rules by id): kind, else kind:after,
    # else kind:field; the validator reports ids that still collide.
    kinds = Counter(r.get("kind") for r in rules)
    for r in rules:
        if "id" in r:
            continue
        kind = r.get("kind")
        if kinds[kind] == 1:
            rid = kind
        elif "after" in r:
            rid = f"{kind}:{r.get('after')}"
        elif "field" in r:
            rid = f"{kind}:{r.get('field')}"
        else:
            rid = kind
        r.put("id", rid, r.origin)
    return rules


def _normalise_evidence(step_id: str, value: Any, origin: Origin, ctx: _Ctx) -> _Seq:
    if isinstance(value, _Map):  # name -> field, in a new step of an override
        fields = _Seq(origin)
        for name, f in value.items():
            if not isinstance(f, _Map):
                ctx.add(value.at(name), f"步骤 {step_id} 的证据字段 {name} 应为映射")
                continue
            f = f.copy()
            f.put("name", name, value.at(name))
            fields.append(f)
            fields.item_origins.append(value.at(name))
        return fields
    if not isinstance(value, _Seq):
        ctx.add(origin, f"步骤 {step_id} 的 evidence 应为列表")
        return _Seq(origin)
    fields = _Seq(value.origin)
    for i, f in enumerate(value):
        if not isinstance(f, _Map):
            ctx.add(value.at(i), f"步骤 {step_id} 的第 {i + 1} 个证据字段应为映射（name: …）")
            continue
        fields.append(f)
        fields.item_origins.append(value.at(i))
    return fields


def _normalise_step(step: _Map, ctx: _Ctx) -> _Map:
    sid = step.get("id", "?")
    step = step.copy()
    if "rules" in step:
        step.put("rules", _normalise_rules(sid, step["rules"], step.at("rules"), ctx), step.at("rules"))
    if "evidence" in step:
        step.put("evidence", _normalise_evidence(sid, step["evidence"], step.at("evidence"), ctx), step.at("evidence"))
    return step


def _normalise_base(tree: _Map, ctx: _Ctx) -> _Map:
    tree = tree.copy()
    steps = tree.get("steps")
    if "steps" in tree and isinstance(steps, _Map):
        ctx.add(tree.at("steps"), "steps 应为列表；只有继承定义（extends）中 steps 才是“步骤 id → 修改”的映射")
        tree.put("steps", _Seq(tree.at("steps")), tree.at("steps"))
    elif "steps" in tree and not isinstance(steps, _Seq):
        ctx.add(tree.at("steps"), "steps 应为步骤列表")
        tree.put("steps", _Seq(tree.at("steps")), tree.at("steps"))
    elif isinstance(steps, _Seq):
        out = _Seq(steps.origin)
        for i, s in enumerate(steps):
            if not isinstance(s, _Map):
                ctx.add(steps.at(i), f"第 {i + 1} 个步骤应为映射（id: …）")
                continue
            out.append(_normalise_step(s, ctx))
            out.item_origins.append(steps.at(i))
        tree.put("steps", out, tree.at("steps"))
    return tree


_KEY_RE = re.compile(r"^([a-z][a-z0-9_]*)@([1-9][0-9]*)$")


def _apply_override(tree: _Map, resolve: Resolver | None, ctx: _Ctx) -> tuple[_Map | None, Any]:
    """Merge an `extends` patch into its base; returns (merged tree, base definition)."""
    ext, eo = tree.get("extends"), tree.at("extends")
    if not isinstance(ext, str) or not _KEY_RE.match(ext):
        ctx.add(eo, f"extends 应写成“定义id@版本号”，例如 cpc_2014@1，实际为 {ext!r}")
        return None, None
    if resolve is None:
        ctx.add(eo, f"无法解析 extends: {ext}（加载时没有提供定义注册表）")
        return None, None
    try:
        base = resolve(ext)
    except KeyError:
        ctx.add(eo, f"extends 引用了未知的定义 {ext}")
        return None, None
    except (LookupError, DefinitionError) as e:
        ctx.add(eo, f"extends 引用的定义 {ext} 无法使用：{e.args[0] if e.args else e}")
        return None, None
    merged = _wrap_definition(base)
    merged.put("extends", ext, eo)
    for key, value in tree.items():
        ko = tree.at(key)
        if key == "extends":
            continue
        if key == "steps":
            _patch_steps(merged, value, ko, ctx)
        elif key in ("roles", "probation") and isinstance(value, _Map) and isinstance(merged.get(key), _Map):
            m = merged[key].copy()
            for k, v in value.items():
                if v is None:
                    m.drop(k)
                else:
                    m.put(k, v, value.at(k))
            merged.put(key, m, ko)
        else:
            merged.put(key, value, ko)  # scalars and whole lists replace; unknown keys reach the validator
    return merged, base


def _index(items: list, key: str, value: Any) -> int | None:
    return next((i for i, x in enumerate(items) if isinstance(x, Mapping) and x.get(key) == value), None)


def _patch_steps(merged: _Map, patch: Any, origin: Origin, ctx: _Ctx) -> None:
    if not isinstance(patch, _Map):
        ctx.add(origin, "继承定义（extends）中 steps 应为映射：步骤 id → 修改内容（null 表示删除）")
        return
    steps: _Seq = merged["steps"]
    for sid, p in patch.items():
        po = patch.at(sid)
        i = _index(steps, "id", sid)
        if p is None:
            if i is None:
                ctx.add(po, f"要删除的步骤 {sid} 不存在")
            else:
                del steps[i]
                del steps.item_origins[i]
                ctx.removed_steps[sid] = po
            continue
        if not isinstance(p, _Map):
            ctx.add(po, f"步骤 {sid} 的修改内容应为映射（或 null 表示删除）")
            continue
        if i is None:
            after = p.get("insert_after")
            if "insert_after" not in p:
                ctx.add(po, f"新增步骤 {sid} 须写出完整步骤，并用 insert_after 指定插在哪一步之后")
                continue
            j = _index(steps, "id", after)
            if j is None:
                ctx.ref_step(p.at("insert_after"), f"新增步骤 {sid} 的 insert_after ", after)
                continue
            step = p.copy()
            step.drop("insert_after")
            if "id" in step and step["id"] != sid:
                ctx.add(step.at("id"), f"新增步骤 {sid} 的 id 与键不一致：{step['id']}")
            step.put("id", sid, po)
            steps.insert(j + 1, _normalise_step(step, ctx))
            steps.item_origins.insert(j + 1, po)
            continue
        step = steps[i].copy()
        for key, value in p.items():
            ko = p.at(key)
            if key == "id":
                if value != sid:
                    ctx.add(ko, f"不能修改步骤 {sid} 的 id（要改名请删除旧步骤并新增一步）")
            elif key == "insert_after":
                ctx.add(ko, f"insert_after 只能用于新增步骤；步骤 {sid} 已存在")
            elif key == "rules":
                _patch_rules(step, value, ko, ctx)
            elif key == "evidence":
                _patch_evidence(step, value, ko, ctx)
            elif value is None:
                step.drop(key)
            else:
                step.put(key, value, ko)
        steps[i] = step


def _patch_rules(step: _Map, patch: Any, origin: Origin, ctx: _Ctx) -> None:
    sid = step.get("id")
    if not isinstance(patch, _Map):
        ctx.add(origin, f"继承定义中步骤 {sid} 的 rules 应为映射：规则 id → 修改内容（null 表示删除）")
        return
    rules = _Seq(origin, list(step.get("rules") or ()), list(getattr(step.get("rules"), "item_origins", ())))
    for rid, rp in patch.items():
        ro = patch.at(rid)
        k = _index(rules, "id", rid)
        if rp is None:
            if k is None:
                known = "、".join(str(r.get("id")) for r in rules) or "无"
                ctx.add(ro, f"要删除的规则 {rid} 在步骤 {sid} 中不存在（现有规则：{known}）")
            else:
                del rules[k]
                del rules.item_origins[k]
            continue
        if not isinstance(rp, _Map):
            ctx.add(ro, f"步骤 {sid} 的规则 {rid} 的修改内容应为映射（或 null 表示删除）")
            continue
        if "id" in rp and rp["id"] != rid:
            ctx.add(rp.at("id"), f"步骤 {sid} 的规则 {rid} 的 id 与键不一致：{rp['id']}")
        if k is None:
            r = rp.copy()
            r.put("id", rid, ro)
            rules.append(r)
            rules.item_origins.append(ro)
            continue
        r = rules[k].copy()
        for key, value in rp.items():
            if key == "id":
                continue
            if value is None:
                r.drop(key)
            else:
                r.put(key, value, rp.at(key))
        rules[k] = r
    step.put("rules", rules, origin)


def _patch_evidence(step: _Map, patch: Any, origin: Origin, ctx: _Ctx) -> None:
    sid = step.get("id")
    if not isinstance(patch, _Map):
        ctx.add(origin, f"继承定义中步骤 {sid} 的 evidence 应为映射：字段名 → 字段（null 表示删除）")
        return
    fields = _Seq(origin, list(step.get("evidence") or ()), list(getattr(step.get("evidence"), "item_origins", ())))
    for name, fp in patch.items():
        fo = patch.at(name)
        k = _index(fields, "name", name)
        if fp is None:
            if k is None:
                ctx.add(fo, f"要删除的证据字段 {name} 在步骤 {sid} 中不存在")
            else:
                del fields[k]
                del fields.item_origins[k]
                ctx.removed_fields[(sid, name)] = fo
            continue
        if not isinstance(fp, _Map):
            ctx.add(fo, f"步骤 {sid} 的证据字段 {name} 的修改内容应为映射（或 null 表示删除）")
            continue
        if k is None:
            f = fp.copy()
            f.put("name", name, fo)
            fields.append(f)
            fields.item_origins.append(fo)
            continue
        f = fields[k].copy()
        for key, value in fp.items():
            if value is None:
                f.drop(key)
            else:
                f.put(key, value, fp.at(key))
        fields[k] = f
    step.put("evidence", fields, origin)


# --------------------------------------------------------------------------------------------
# Validation and freezing

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ARTICLE_RE = re.compile(r"^第[零一二三四五六七八九十百]+条(第[零一二三四五六七八九十]+款)?$")
_CONFIDENCE = ("V", "W", "R", "L")

_TOP_KEYS = {
    "id", "version", "title", "effective_from", "extends", "local", "roles", "stages", "end_states",
    "reconsider_reopens", "probation", "steps",
}
_TOP_REQUIRED = ("id", "version", "title", "effective_from", "roles", "stages", "end_states", "steps")
_STEP_KEYS = {
    "id", "number", "name", "stage", "actor", "requires", "enters", "article", "evidence", "rules",
    "outcome", "repeatable", "optional",
}
_STEP_REQUIRED = ("id", "number", "name", "stage", "actor")
_ARTICLE_KEYS = {"number", "confidence", "unverified", "note"}
_FIELD_KEYS = {"name", "type", "label", "required", "choices", "choice_labels", "min_items", "max_items"}
_OUTCOME_KEYS = {"field", "positive", "negative", "effects"}
_PROBATION_KEYS = {"after", "months", "article", "confidence", "unverified", "note"}
_RULE_META = {"id", "kind", "article", "confidence", "unverified", "note", "message"}
_NEGATIVE = ("stay", "rejected")
_EFFECTS = ("extend_probation", "cancel_probation")

# Parameter value types (a kind's allowed names come from RULE_KINDS).
_PARAM_TYPE = {
    "after": "anchor", "until": "anchor",
    "years": "int", "months": "int", "weeks": "int", "days": "int", "working_days": "int",
    "max_months": "int", "every_months": "pos", "remind_days": "days", "min": "int", "max": "int",
    "min_days": "int", "min_hours": "int", "min_months": "int", "times": "pos",
}
# Parameters naming an evidence field of the step, and the field types each accepts.
_FIELD_PARAMS = {
    ("count", "field"): {"people"},
    ("full_members", "field"): {"people", "person"},
    ("vote", "field"): {"vote"},
    ("passed", "field"): {"bool"},
    ("not_if", "field"): {"bool"},
    ("extension", "field"): {"int"},
    ("training", "days_field"): {"int"},
    ("training", "hours_field"): {"int"},
    ("training", "waiver_field"): {"text"},
    ("public_notice", "start_field"): {"date"},
    ("public_notice", "end_field"): {"date"},
    ("public_notice", "objections_field"): {"text"},
    ("due_within", "reason_field"): {"text"},
}
# What the engine needs of each kind (it indexes these parameters directly).
_REQUIRED_PARAMS = {
    "not_before": ("after",),
    "due_within": ("after",),
    "recurring": ("every_months", "after"),
    "min_age": ("years",),
    "full_members": ("field",),
    "count": ("field",),
    "vote": ("field",),
    "passed": ("field",),
    "training": ("days_field", "hours_field", "min_days", "min_hours"),
    "public_notice": ("start_field", "end_field"),
    "not_if": ("field",),
    "extension": ("field", "min_months", "max_months"),
}
# Exactly one interval unit: the engine would otherwise add them up silently.
_ONE_OF = {
    "not_before": ("years", "months", "days", "working_days"),
    "due_within": ("years", "months", "weeks", "days", "working_days"),
    "public_notice": ("working_days", "days"),
}
_TYPE_NAMES = {"int": "非负整数", "pos": "正整数", "days": "正整数列表", "anchor": "步骤 id"}


def _is_int(v: Any) -> bool:
    return type(v) is int


class _Validator:
    def __init__(self, tree: _Map, ctx: _Ctx, source: str):
        self.tree, self.ctx, self.source = tree, ctx, source
        self.add = ctx.add
        self.anchor_uses: list[tuple[str, str, Any, Origin, str]] = []  # (step, param, anchor, origin, what)
        self.broken: set[str] = set()  # steps whose requires name a missing step
        self.step_maps: dict[str, _Map] = {}

    # --- small checks -------------------------------------------------------------------

    def keys(self, m: _Map, allowed: Iterable[str], required: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        for k in m:
            if k not in allowed:
                self.add(m.at(k), f"{what}有未知的键 {k}{_suggest(k, allowed)}")
        for k in required:
            if k not in m:
                self.add(m.origin, f"{what}缺少必填的键 {k}")

    def text(self, m: _Map, key: str, what: str, empty: bool = False) -> str | None:
        if key not in m:
            return None
        v = m[key]
        if not isinstance(v, str) or (not empty and not v.strip()):
            self.add(m.at(key), f"{what}的 {key} 应为非空文字，实际为 {v!r}")
            return None
        return v

    def ident(self, m: _Map, key: str, what: str) -> str | None:
        v = m.get(key)
        if key in m and (not isinstance(v, str) or not _ID_RE.match(v)):
            self.add(m.at(key), f"{what}的 {key} 应为小写英文标识（如 first_talk），实际为 {v!r}")
            return None
        return v if key in m else None

    def flag(self, m: _Map, key: str, what: str, default: bool = False) -> bool:
        if key not in m:
            return default
        if not isinstance(m[key], bool):
            self.add(m.at(key), f"{what}的 {key} 应为 true 或 false，实际为 {m[key]!r}")
            return default
        return m[key]

    def nat(self, m: _Map, key: str, what: str, positive: bool = False) -> int | None:
        if key not in m:
            return None
        v = m[key]
        if not _is_int(v) or v < (1 if positive else 0):
            self.add(m.at(key), f"{what}的 {key} 应为{'正' if positive else '非负'}整数，实际为 {v!r}")
            return None
        return v

    def citation(self, m: _Map, number_key: str, what: str, require: bool) -> Citation | None:
        """A citation; `require`: a rule must cite an article unless it is local practice (L)."""
        art = m.get(number_key, "")
        if not isinstance(art, str):
            self.add(m.at(number_key), f"{what}的条文编号应为文字（如 第十三条），实际为 {art!r}")
            art = ""
        art = art.strip()
        conf = m.get("confidence")
        if "confidence" not in m:
            self.add(m.origin, f"{what}缺少可信度标记 confidence（V、W、R 或 L）")
            conf = "R"
        elif conf not in _CONFIDENCE:
            self.add(m.at("confidence"), f"{what}的 confidence 应为 V、W、R 或 L，实际为 {conf!r}")
            conf = "R"
        if art and not _ARTICLE_RE.match(art):
            self.add(m.at(number_key), f"{what}的条文编号应写成“第X条”，实际为 {art!r}（多个条文请写在 note 中）")
        if require and not art and conf != "L":
            self.add(m.at(number_key) if number_key in m else m.origin,
                     f"{what}没有引用条文；非本地做法的规则必须写 {number_key}（本地做法请标 confidence: L）")
        note = m.get("note", "")
        if not isinstance(note, str):
            self.add(m.at("note"), f"{what}的 note 应为文字")
            note = ""
        return Citation(art, conf, self.flag(m, "unverified", what), note)

    def date_value(self, m: _Map, key: str, what: str) -> date | None:
        v = m.get(key)
        if isinstance(v, date):
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                pass
        self.add(m.at(key), f"{what}的 {key} 不是有效日期：{v!r}（应为 YYYY-MM-DD）")
        return None

    # --- the whole definition -------------------------------------------------------------

    def run(self) -> Definition | None:
        t, what = self.tree, "定义"
        self.keys(t, _TOP_KEYS, _TOP_REQUIRED, what)
        did = self.ident(t, "id", what)
        version = self.nat(t, "version", what, positive=True)
        title = self.text(t, "title", what)
        eff = self.date_value(t, "effective_from", what) if "effective_from" in t else None
        if "extends" in t and not isinstance(t["extends"], str):
            self.add(t.at("extends"), "extends 应为“定义id@版本号”")
        local = self.flag(t, "local", what)
        roles = self.roles(t)
        stages = self.stage_list(t, "stages")
        end_states = self.stage_list(t, "end_states")
        seen: dict[str, str] = {}
        for key, items in (("stages", stages), ("end_states", end_states)):
            for s in items:
                if s.id in seen:
                    self.add(t.at(key), f"阶段/结束状态 id {s.id} 重复")
                seen[s.id] = key
        self.stage_ids = {s.id for s in stages}
        self.roles_ids = set(roles)

        raw_steps = t.get("steps") if isinstance(t.get("steps"), _Seq) else _Seq(t.at("steps"))
        numbers: dict[int, str] = {}
        for s in raw_steps:
            sid = s.get("id")
            if not isinstance(sid, str):
                continue
            if sid in self.step_maps:
                self.add(s.at("id"), f"步骤 id {sid} 重复（第{self.step_maps[sid].at('id')[1]}行已定义）")
                continue
            self.step_maps[sid] = s
            n = s.get("number")
            if _is_int(n):
                if n in numbers:
                    self.add(s.at("number"), f"步骤编号 {n} 重复：{numbers[n]} 与 {sid}")
                else:
                    numbers[n] = sid
        self.ctx.step_ids = list(self.step_maps)

        steps = [self.step(s) for s in raw_steps]
        self.cycles()
        if not self.has_cycle:
            self.anchors()

        reopens = self.step_refs(t, "reconsider_reopens", "reconsider_reopens ")
        probation = self.probation(t)
        if not raw_steps and "steps" in t:
            self.add(t.at("steps"), "定义没有任何步骤")

        if self.ctx.problems:
            return None
        return Definition(
            id=did,
            version=version,
            title=title,
            effective_from=eff,
            stages=tuple(stages),
            end_states=tuple(end_states),
            roles=MappingProxyType(dict(roles)),
            steps=tuple(s for s in steps if s is not None),
            reconsider_reopens=tuple(reopens),
            probation_after=probation[0],
            probation_months=probation[1],
            probation_citation=probation[2],
            extends=t.get("extends"),
            local=local,
            source=self.source,
        )

    def roles(self, t: _Map) -> dict[str, str]:
        r = t.get("roles")
        if "roles" not in t:
            return {}
        if not isinstance(r, _Map):
            self.add(t.at("roles"), "roles 应为映射：角色 id → 中文名称")
            return {}
        out = {}
        for k, v in r.items():
            if not _ID_RE.match(k):
                self.add(r.at(k), f"角色 id {k} 应为小写英文标识")
            if not isinstance(v, str) or not v.strip():
                self.add(r.at(k), f"角色 {k} 的中文名称不能为空")
                continue
            out[k] = v
        return out

    def stage_list(self, t: _Map, key: str) -> list[StageSpec]:
        if key not in t:
            return []
        v = t[key]
        if not isinstance(v, _Seq):
            self.add(t.at(key), f"{key} 应为列表，每项为 {{id, name}}")
            return []
        out = []
        for i, s in enumerate(v):
            if not isinstance(s, _Map):
                self.add(v.at(i), f"{key} 的第 {i + 1} 项应为 {{id, name}}")
                continue
            what = f"{key} 的第 {i + 1} 项"
            self.keys(s, {"id", "name"}, ("id", "name"), what)
            sid, name = self.ident(s, "id", what), self.text(s, "name", what)
            if sid and name:
                out.append(StageSpec(sid, name))
        return out

    def step_refs(self, m: _Map, key: str, what: str) -> list[str]:
        if key not in m:
            return []
        v = m[key]
        if not isinstance(v, _Seq):
            self.add(m.at(key), f"{what}应为步骤 id 列表")
            return []
        out = []
        for i, x in enumerate(v):
            if x not in self.step_maps:
                self.ctx.ref_step(v.at(i), what, x)
                self.broken.add(m.get("id"))
            elif x in out:
                self.add(v.at(i), f"{what}中步骤 {x} 重复")
            else:
                out.append(x)
        return out

    def probation(self, t: _Map) -> tuple[str, int, Citation]:
        d = Definition.__dataclass_fields__
        default = (d["probation_after"].default, d["probation_months"].default, d["probation_citation"].default)
        p = t.get("probation")
        if "probation" not in t:
            return default
        what = "probation（预备期）"
        if not isinstance(p, _Map):
            self.add(t.at("probation"), f"{what}应为映射 {{after, months, article, confidence}}")
            return default
        self.keys(p, _PROBATION_KEYS, ("after", "months"), what)
        after = p.get("after", default[0])
        uses_end = any(a in COMPUTED_ANCHORS for _, _, a, _, _ in self.anchor_uses)
        if after not in self.step_maps and ("after" in p and uses_end):
            # only the computed anchor probation_end reads it; a definition without probation may omit it
            self.ctx.ref_step(p.at("after"), f"{what}的 after ", after)
        months = self.nat(p, "months", what, positive=True) or default[1]
        cit = self.citation(p, "article", what, require=True) or default[2]
        return after, months, cit

    # --- steps ----------------------------------------------------------------------------

    def step(self, s: _Map) -> StepSpec | None:
        sid = s.get("id") if isinstance(s.get("id"), str) else "?"
        what = f"步骤 {sid} "
        self.keys(s, _STEP_KEYS, _STEP_REQUIRED, what)
        self.ident(s, "id", what)
        number = self.nat(s, "number", what, positive=True)
        name = self.text(s, "name", what)
        stage, actor = s.get("stage"), s.get("actor")
        if "stage" in s and stage not in self.stage_ids:
            self.add(s.at("stage"), f"{what}的 stage 引用了未知的阶段 {stage}{_suggest(stage, self.stage_ids)}")
        if "actor" in s and actor not in self.roles_ids:
            self.add(s.at("actor"), f"{what}的 actor 引用了未定义的角色 {actor}{_suggest(actor, self.roles_ids)}")
        enters = s.get("enters")
        if enters is not None and enters not in self.stage_ids:
            self.add(s.at("enters"), f"{what}的 enters 引用了未知的阶段 {enters}{_suggest(enters, self.stage_ids)}")
        requires = self.step_refs(s, "requires", f"{what}的 requires ")
        if sid in requires:
            self.add(s.at("requires"), f"{what}不能依赖自己")
        citation = Citation("")
        if "article" in s:
            a = s["article"]
            if isinstance(a, _Map):
                self.keys(a, _ARTICLE_KEYS, ("number",), f"{what}的 article ")
                citation = self.citation(a, "number", f"{what}的 article ", require=False)
            else:
                self.add(s.at("article"), f"{what}的 article 应为映射 {{number: 第X条, confidence: V}}")
        evidence = self.evidence(s, sid, what)
        by_name = {f.name: f for f in evidence}
        rules = [self.rule(r, s.get("rules").at(i), sid, by_name) for i, r in enumerate(s.get("rules") or ())]
        seen: dict[str, int] = {}
        for r in s.get("rules") or ():
            rid = r.get("id")
            if rid in seen:
                self.add(r.at("id"), f"{what}中规则 id {rid} 重复，请用 id 给规则起不同的名字")
            seen[rid] = 1
        outcome = self.outcome(s, sid, what, by_name)
        repeatable = self.flag(s, "repeatable", what)
        optional = self.flag(s, "optional", what)
        return StepSpec(
            id=sid,
            number=number or 0,
            name=name or "",
            stage=stage,
            actor=actor,
            requires=tuple(requires),
            enters=enters,
            evidence=tuple(evidence),
            rules=tuple(r for r in rules if r is not None),
            citation=citation,
            outcome=outcome,
            repeatable=repeatable,
            optional=optional,
            line=s.origin[1],
        )

    def evidence(self, s: _Map, sid: str, what: str) -> list[FieldSpec]:
        fields = s.get("evidence")
        if fields is None:
            return []
        out: list[FieldSpec] = []
        for i, f in enumerate(fields):
            fname = f.get("name") if isinstance(f.get("name"), str) else f"#{i + 1}"
            fwhat = f"步骤 {sid} 的证据字段 {fname} "
            self.keys(f, _FIELD_KEYS, ("name", "type", "label"), fwhat)
            self.ident(f, "name", fwhat)
            if any(x.name == fname for x in out):
                self.add(fields.at(i), f"步骤 {sid} 的证据字段 {fname} 重复")
            ftype = f.get("type")
            if "type" in f and ftype not in FIELD_TYPES:
                self.add(f.at("type"), f"{fwhat}的 type 是未知的字段类型 {ftype}（可用：{'、'.join(sorted(FIELD_TYPES))}）")
            label = self.text(f, "label", fwhat) or ""
            required = self.flag(f, "required", fwhat, default=True)
            choices: tuple[str, ...] = ()
            if ftype == "choice":
                c = f.get("choices")
                if not isinstance(c, _Seq) or not c or not all(isinstance(x, str) and x for x in c):
                    self.add(f.at("choices") if "choices" in f else f.origin, f"{fwhat}是 choice 类型，须给出 choices 文字列表")
                elif len(set(c)) != len(c):
                    self.add(f.at("choices"), f"{fwhat}的 choices 有重复项")
                else:
                    choices = tuple(c)
            elif "choices" in f:
                self.add(f.at("choices"), f"{fwhat}不是 choice 类型，不能有 choices")
            labels: dict[str, str] = {}
            if "choice_labels" in f:
                cl = f.get("choice_labels")
                if not isinstance(cl, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in cl.items()):
                    self.add(f.at("choice_labels"), f"{fwhat}的 choice_labels 须为“选项: 中文名称”的映射")
                else:
                    unknown = [k for k in cl if k not in choices]
                    if unknown:
                        self.add(f.at("choice_labels"), f"{fwhat}的 choice_labels 含有不在 choices 中的选项：{'、'.join(unknown)}")
                    labels = {str(k): str(v) for k, v in cl.items()}
            lo, hi = self.nat(f, "min_items", fwhat), self.nat(f, "max_items", fwhat)
            if ("min_items" in f or "max_items" in f) and ftype != "people":
                self.add(f.at("min_items") if "min_items" in f else f.at("max_items"), f"{fwhat}只有 people 类型才能设 min_items/max_items")
            if lo is not None and hi is not None and lo > hi:
                self.add(f.at("min_items"), f"{fwhat}的 min_items（{lo}）大于 max_items（{hi}）")
            out.append(FieldSpec(fname, ftype, label, required, choices, lo, hi, labels))
        return out

    def outcome(self, s: _Map, sid: str, what: str, fields: Mapping[str, FieldSpec]) -> Outcome | None:
        if "outcome" not in s:
            return None
        o = s["outcome"]
        owhat = f"{what}的 outcome "
        if not isinstance(o, _Map):
            self.add(s.at("outcome"), f"{owhat}应为映射 {{field, positive, negative, effects}}")
            return None
        self.keys(o, _OUTCOME_KEYS, ("field",), owhat)
        name = o.get("field")
        f = fields.get(name) if isinstance(name, str) else None
        if "field" in o and f is None:
            self.ctx.ref_field(o.at("field"), owhat, sid, name, fields)
        elif f is not None and f.type not in ("bool", "choice", "vote"):
            self.add(o.at("field"), f"{owhat}的字段 {name} 类型为 {f.type}，应为 bool、choice 或 vote")
        positive: tuple[Any, ...] = (True,)
        if "positive" in o:
            p = o["positive"]
            if not isinstance(p, _Seq) or not p:
                self.add(o.at("positive"), f"{owhat}的 positive 应为非空列表")
            else:
                positive = tuple(p)
                if f is not None and f.type == "choice":
                    for x in p:
                        if x not in f.choices:
                            self.add(o.at("positive"), f"{owhat}的 positive 值 {x} 不在字段 {name} 的 choices 中")
                elif f is not None and f.type == "bool" and not all(isinstance(x, bool) for x in p):
                    self.add(o.at("positive"), f"{owhat}的 positive 应为 true/false")
        elif f is not None and f.type == "choice":
            self.add(o.origin, f"{owhat}的字段 {name} 是 choice 类型，须用 positive 列出算作通过的选项")
        negative = o.get("negative", "stay")
        if negative not in _NEGATIVE:
            self.add(o.at("negative"), f"{owhat}的 negative 应为 stay 或 rejected，实际为 {negative!r}")
        effects: dict[str, str] = {}
        if "effects" in o:
            e = o["effects"]
            if not isinstance(e, _Map):
                self.add(o.at("effects"), f"{owhat}的 effects 应为映射：选项 → 效果")
            else:
                for k, v in e.items():
                    if v not in _EFFECTS:
                        self.add(e.at(k), f"{owhat}的效果 {v!r} 未知（可用：{'、'.join(_EFFECTS)}）")
                    if f is not None and f.type == "choice" and k not in f.choices:
                        self.add(e.at(k), f"{owhat}的 effects 选项 {k} 不在字段 {name} 的 choices 中")
                    effects[k] = v
        return Outcome(name, positive, negative, MappingProxyType(effects))

    def rule(self, r: _Map, origin: Origin, sid: str, fields: Mapping[str, FieldSpec]) -> RuleSpec | None:
        rid = r.get("id", "?")
        what = f"步骤 {sid} 的规则 {rid} "
        kind = r.get("kind")
        if "kind" not in r:
            self.add(r.origin, f"{what}缺少必填的键 kind")
            return None
        if kind not in RULE_KINDS:
            self.add(r.at("kind"), f"{what}的 kind 是未知的规则类型 {kind}{_suggest(kind, RULE_KINDS)}")
            return None
        allowed = RULE_KINDS[kind]
        if not isinstance(rid, str) or not rid:
            self.add(r.at("id"), f"{what}的 id 应为文字")
        params: dict[str, Any] = {}
        for k, v in r.items():
            if k in _RULE_META:
                continue
            if k not in allowed:
                self.add(r.at(k), f"{what}的参数 {k} 不适用于 {kind} 规则（可用：{'、'.join(sorted(allowed))}）")
                continue
            params[k] = self.param(r, k, v, kind, what, sid, fields)
        for k in _REQUIRED_PARAMS.get(kind, ()):
            if k in allowed and k not in r:
                self.add(r.origin, f"{what}缺少参数 {k}")
        units = [k for k in _ONE_OF.get(kind, ()) if k in r]
        if kind in _ONE_OF and len(units) != 1:
            opts = "、".join(_ONE_OF[kind])
            self.add(r.origin, f"{what}须且只能指定一个时长（{opts} 之一），实际为 {'、'.join(units) or '无'}")
        if kind == "public_notice" and units and _is_int(r.get(units[0])) and r[units[0]] < 1:
            self.add(r.at(units[0]), f"{what}的公示时长须至少为 1")
        if kind == "due_within" and ("max_months" in r) != ("reason_field" in r):
            self.add(r.origin, f"{what}的 max_months（特殊情况上限）须与 reason_field（记录原因的字段）一起使用")
        for lo_key, hi_key in (("min", "max"), ("min_months", "max_months"), ("months", "max_months")):
            lo, hi = r.get(lo_key), r.get(hi_key)
            if kind in ("count", "extension", "due_within") and _is_int(lo) and _is_int(hi) and lo > hi:
                self.add(r.at(lo_key), f"{what}的 {lo_key}（{lo}）大于 {hi_key}（{hi}）")
        if kind == "count" and "min" not in r and "max" not in r:
            self.add(r.origin, f"{what}至少要有 min 或 max")
        citation = self.citation(r, "article", what, require=True)
        message = r.get("message")
        if message is not None:
            if not isinstance(message, str) or not message.strip():
                self.add(r.at("message"), f"{what}的 message 应为非空文字")
                message = None
            else:
                try:
                    list(string.Formatter().parse(message))
                except ValueError as e:
                    self.add(r.at("message"), f"{what}的 message 格式有误（花括号不配对？）：{e}")
        return RuleSpec(
            kind=kind,
            params=MappingProxyType(params),
            citation=citation,
            message=message,
            line=origin[1],
            id=rid if isinstance(rid, str) else kind,
        )

    def param(self, r: _Map, k: str, v: Any, kind: str, what: str, sid: str, fields: Mapping[str, FieldSpec]) -> Any:
        o = r.at(k)
        if (kind, k) in _FIELD_PARAMS or k.endswith("field"):
            f = fields.get(v) if isinstance(v, str) else None
            if f is None:
                self.ctx.ref_field(o, what, sid, v, fields)
            elif (kind, k) in _FIELD_PARAMS and f.type not in _FIELD_PARAMS[(kind, k)]:
                want = "、".join(sorted(_FIELD_PARAMS[(kind, k)]))
                self.add(o, f"{what}的参数 {k} 引用的证据字段 {v} 类型为 {f.type}，应为 {want}")
            return v
        t = _PARAM_TYPE.get(k)
        if t == "anchor":
            if v not in self.step_maps and v not in COMPUTED_ANCHORS:
                self.ctx.ref_step(o, what, v)
            else:
                self.anchor_uses.append((sid, k, v, o, what))
            return v
        if t in ("int", "pos") and (not _is_int(v) or v < (1 if t == "pos" else 0)):
            self.add(o, f"{what}的参数 {k} 应为{_TYPE_NAMES[t]}，实际为 {v!r}")
        if t == "days":
            if not isinstance(v, _Seq) or not all(_is_int(x) and x > 0 for x in v):
                self.add(o, f"{what}的参数 {k} 应为{_TYPE_NAMES[t]}（提前几天提醒），实际为 {v!r}")
                return v
            return tuple(v)
        if isinstance(v, list):
            return tuple(v)
        return v

    # --- graph ----------------------------------------------------------------------------

    def cycles(self) -> None:
        """Report every cycle in `requires` with its path."""
        graph = {sid: [x for x in (s.get("requires") or ()) if x in self.step_maps] if isinstance(s.get("requires"), list) else []
                 for sid, s in self.step_maps.items()}
        self.graph = graph
        self.has_cycle = False
        state: dict[str, int] = {}
        reported: set[frozenset] = set()
        for start in graph:
            if state.get(start):
                continue
            stack: list[tuple[str, Iterable[str]]] = [(start, iter(graph[start]))]
            path = [start]
            state[start] = 1
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                    path.pop()
                elif state.get(nxt) == 1:
                    cyc = path[path.index(nxt):] + [nxt]
                    self.has_cycle = True
                    key = frozenset(cyc)
                    if key not in reported:
                        reported.add(key)
                        first = self.step_maps[cyc[0]]
                        self.add(first.at("requires"), f"requires 形成循环：{' → '.join(cyc)}（箭头表示“依赖”）")
                elif not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, iter(graph[nxt])))
                    path.append(nxt)

    def chain_broken(self, sid: str) -> bool:
        return sid in self.broken or any(a in self.broken for a in self.ancestors(sid))

    def ancestors(self, sid: str) -> set[str]:
        memo = self.__dict__.setdefault("_anc", {})
        if sid not in memo:
            out: set[str] = set()
            for r in self.graph.get(sid, ()):
                out.add(r)
                out |= self.ancestors(r)
            memo[sid] = out
        return memo[sid]

    def anchors(self) -> None:
        """An interval counted from a step that is not a prerequisite may have no date yet: refuse it."""
        for sid, key, anchor, origin, what in self.anchor_uses:
            if key != "after" or anchor in COMPUTED_ANCHORS or self.chain_broken(sid):
                continue  # a broken requires chain is reported already
            if anchor not in self.ancestors(sid):
                self.add(origin, f"{what}从步骤 {anchor} 起算，但它不是步骤 {sid} 的前置步骤（requires 链上没有），办理时可能还没有日期")


def _build(tree: _Map, ctx: _Ctx, source: str) -> Definition | None:
    return _Validator(tree, ctx, source).run()
