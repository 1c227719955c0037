"""An override (`extends: id@version`) merged into the exact base version it patches.

Why patches: a revision or a township variant must be a small patch of a pinned base version, so
that correcting one citation never means copying 25 steps. The base is turned back into a tree
whose origins point at the base file, the patch is laid over it keeping the patch's own lines,
and the merged tree is then validated as a whole, like a base file.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping

from workflows.canonical import definition_to_data
from workflows.model import Definition
from workflows.named_items import EVIDENCE, RULES, NamedItems
from workflows.normalise import normalise_step
from workflows.problems import DefinitionError, Origin, ProblemLog
from workflows.yaml_source import YamlList, YamlMap, from_plain

Resolver = Callable[[str], Definition]  # key ("cpc_2014@1") -> the loaded definition

_KEY_RE = re.compile(r"^([a-z][a-z0-9_]*)@([1-9][0-9]*)$")


def apply_override(tree: YamlMap, resolve: Resolver | None, log: ProblemLog) -> tuple[YamlMap, Definition] | None:
    """Merge an `extends` patch into its base: (merged tree, base definition), or None if there is no base."""
    ext, eo = tree.get("extends"), tree.at("extends")
    if not isinstance(ext, str) or not _KEY_RE.match(ext):
        log.add(eo, f"extends 应写成“定义id@版本号”，例如 cpc_2014@1，实际为 {ext!r}")
        return None
    if resolve is None:
        log.add(eo, f"无法解析 extends: {ext}（加载时没有提供定义注册表）")
        return None
    try:
        base = resolve(ext)
    except KeyError:
        log.add(eo, f"extends 引用了未知的定义 {ext}")
        return None
    except (LookupError, DefinitionError) as e:
        log.add(eo, f"extends 引用的定义 {ext} 无法使用：{e.args[0] if e.args else e}")
        return None
    merged = _as_tree(base)
    merged.put("extends", ext, eo)
    for key, value in tree.items():
        ko = tree.at(key)
        if key == "extends":
            continue
        if key == "steps":
            _patch_steps(merged, value, ko, log)
        elif key in ("roles", "probation") and isinstance(value, YamlMap) and isinstance(merged.get(key), YamlMap):
            merged.put(key, _laid_over(merged[key], value), ko)
        else:
            merged.put(key, value, ko)  # scalars and whole lists replace; unknown keys reach the validator
    return merged, base


def _as_tree(base: Definition) -> YamlMap:
    """The base as a tree whose origins point at the base file's lines (for problems)."""
    file = base.source.split("; ")[0] if base.source else f"<{base.key}>"
    data = definition_to_data(base)
    data.pop("extends", None)
    tree = from_plain({k: v for k, v in data.items() if k != "steps"}, (file, 1))
    steps = YamlList((file, 1))
    for spec, sdata in zip(base.steps, data["steps"]):
        step = from_plain({k: v for k, v in sdata.items() if k != "rules"}, (file, spec.line))
        if "rules" in sdata:
            rules = YamlList((file, spec.line))
            for rspec, rdata in zip(spec.rules, sdata["rules"]):
                rules.add(from_plain(rdata, (file, rspec.line or spec.line)), (file, rspec.line or spec.line))
            step.put("rules", rules, (file, spec.line))
        steps.add(step, (file, spec.line))
    tree.put("steps", steps, (file, 1))
    return tree


def _laid_over(base: YamlMap, patch: YamlMap, fixed: Iterable[str] = ()) -> YamlMap:
    """`base` with `patch` merged in key by key: a null value removes the key; `fixed` keys are not patched."""
    out = base.copy()
    for key, value in patch.items():
        if key in fixed:
            continue
        if value is None:
            out.drop(key)
        else:
            out.put(key, value, patch.at(key))
    return out


def _index(items: list, key: str, value: Any) -> int | None:
    return next((i for i, x in enumerate(items) if isinstance(x, Mapping) and x.get(key) == value), None)


def _patch_steps(merged: YamlMap, patch: Any, origin: Origin, log: ProblemLog) -> None:
    """`steps:` maps a step id to null (remove), a patch of that step, or a new step with `insert_after`."""
    if not isinstance(patch, YamlMap):
        log.add(origin, "继承定义（extends）中 steps 应为映射：步骤 id → 修改内容（null 表示删除）")
        return
    steps: YamlList = merged["steps"]
    for sid, p in patch.items():
        po = patch.at(sid)
        i = _index(steps, "id", sid)
        if p is None:
            if i is None:
                log.add(po, f"要删除的步骤 {sid} 不存在")
            else:
                steps.remove_at(i)
                log.removed_steps[sid] = po
        elif not isinstance(p, YamlMap):
            log.add(po, f"步骤 {sid} 的修改内容应为映射（或 null 表示删除）")
        elif i is None:
            _insert_step(steps, sid, p, po, log)
        else:
            steps[i] = _patched_step(steps[i], sid, p, log)


def _insert_step(steps: YamlList, sid: str, step: YamlMap, origin: Origin, log: ProblemLog) -> None:
    if "insert_after" not in step:
        log.add(origin, f"新增步骤 {sid} 须写出完整步骤，并用 insert_after 指定插在哪一步之后")
        return
    after = step.get("insert_after")
    j = _index(steps, "id", after)
    if j is None:
        log.missing_step(step.at("insert_after"), f"新增步骤 {sid} 的 insert_after ", after)
        return
    step = step.copy()
    step.drop("insert_after")
    if "id" in step and step["id"] != sid:
        log.add(step.at("id"), f"新增步骤 {sid} 的 id 与键不一致：{step['id']}")
    step.put("id", sid, origin)
    steps.insert_at(j + 1, normalise_step(step, log), origin)


def _patched_step(step: YamlMap, sid: str, patch: YamlMap, log: ProblemLog) -> YamlMap:
    """Step keys replace (null removes); rules and evidence are patched item by item."""
    step = step.copy()
    for key, value in patch.items():
        ko = patch.at(key)
        if key == "id":
            if value != sid:
                log.add(ko, f"不能修改步骤 {sid} 的 id（要改名请删除旧步骤并新增一步）")
        elif key == "insert_after":
            log.add(ko, f"insert_after 只能用于新增步骤；步骤 {sid} 已存在")
        elif key == RULES.key:
            _patch_items(RULES, step, value, ko, log)
        elif key == EVIDENCE.key:
            _patch_items(EVIDENCE, step, value, ko, log)
        elif value is None:
            step.drop(key)
        else:
            step.put(key, value, ko)
    return step


def _patch_items(items: NamedItems, step: YamlMap, patch: Any, origin: Origin, log: ProblemLog) -> None:
    """A step's rules or evidence patched by name: null removes an item, a new name adds a whole
    item, a known name merges into that item."""
    sid = step.get("id")
    if not isinstance(patch, YamlMap):
        log.add(origin, f"继承定义中步骤 {sid} 的 {items.key} 应为映射：{items.patch_shape}（null 表示删除）")
        return
    current = step.get(items.key)
    out = YamlList(origin, list(current or ()), list(getattr(current, "item_origins", ())))
    for name, p in patch.items():
        po = patch.at(name)
        k = _index(out, items.name_key, name)
        if p is None:
            if k is None:
                message = f"要删除的{items.noun} {name} 在步骤 {sid} 中不存在"
                if items is RULES:
                    existing = "、".join(str(x.get(items.name_key)) for x in out) or "无"
                    message += f"（现有{items.noun}：{existing}）"
                log.add(po, message)
            else:
                out.remove_at(k)
                if items is EVIDENCE:  # a rule or outcome still naming the field is blamed on this line
                    log.removed_fields[(sid, name)] = po
            continue
        if not isinstance(p, YamlMap):
            log.add(po, f"步骤 {sid} 的{items.noun} {name} 的修改内容应为映射（或 null 表示删除）")
            continue
        if items.name_is_fixed and items.name_key in p and p[items.name_key] != name:
            log.add(p.at(items.name_key), items.name_mismatch(sid, name, p[items.name_key]))
        if k is None:
            item = p.copy()
            item.put(items.name_key, name, po)
            out.add(item, po)
        else:
            out[k] = _laid_over(out[k], p, fixed=(items.name_key,) if items.name_is_fixed else ())
    step.put(items.key, out, origin)
