"""One tree shape for the validator, however a file wrote its steps, rules and evidence fields.

Why: a step's rules and evidence fields may be written as a list or, in a new step of an override,
as a mapping name -> item; and an override names rules by id, so every rule needs an id that does
not depend on its position. Base files and overrides both pass through here, so the validator
sees lists of mappings, each named, and checks one shape only.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from workflows.named_items import EVIDENCE, RULES, NamedItems
from workflows.problems import Origin, ProblemLog
from workflows.yaml_source import YamlList, YamlMap


def normalise_base(tree: YamlMap, log: ProblemLog) -> YamlMap:
    """A base file (no `extends`): its steps must be a list; each step is normalised."""
    tree = tree.copy()
    steps = tree.get("steps")
    if "steps" in tree and isinstance(steps, YamlMap):
        log.add(tree.at("steps"), "steps 应为列表；只有继承定义（extends）中 steps 才是“步骤 id → 修改”的映射")
        tree.put("steps", YamlList(tree.at("steps")), tree.at("steps"))
    elif "steps" in tree and not isinstance(steps, YamlList):
        log.add(tree.at("steps"), "steps 应为步骤列表")
        tree.put("steps", YamlList(tree.at("steps")), tree.at("steps"))
    elif isinstance(steps, YamlList):
        out = YamlList(steps.origin)
        for i, s in enumerate(steps):
            if not isinstance(s, YamlMap):
                log.add(steps.at(i), f"第 {i + 1} 个步骤应为映射（id: …）")
                continue
            out.add(normalise_step(s, log), steps.at(i))
        tree.put("steps", out, tree.at("steps"))
    return tree


# Keys whose value is a single word (an id or a reference); a list or mapping there is reported and
# dropped, so the checks after this never meet an unhashable value.
SCALAR_KEYS = {"step": ("id", "name", "stage", "actor", "enters"), "rules": ("id", "kind", "after", "until", "field"),
               "evidence": ("name", "type", "label")}


def _drop_non_scalars(m: YamlMap, keys: tuple[str, ...], what: str, log: ProblemLog) -> YamlMap:
    for key in keys:
        if isinstance(m.get(key), (YamlList, YamlMap)):
            log.add(m.at(key), f"{what}的 {key} 应为单个值（文字），不能是列表或映射")
            m = m.copy()
            del m[key]
    return m


def normalise_step(step: YamlMap, log: ProblemLog) -> YamlMap:
    """A whole step as written: its rules and evidence as lists of named mappings."""
    sid0 = step.get("id")
    step = _drop_non_scalars(step, SCALAR_KEYS["step"], f"步骤 {sid0}" if isinstance(sid0, str) else "步骤", log)
    sid = step.get("id", "?")
    step = step.copy()
    for items in (RULES, EVIDENCE):
        if items.key in step:
            origin = step.at(items.key)
            named = _as_named_list(items, sid, step[items.key], origin, log)
            clean = YamlList(named.origin)
            for i, item in enumerate(named):
                clean.add(_drop_non_scalars(item, SCALAR_KEYS[items.key], f"步骤 {sid} 的{items.noun}", log), named.at(i))
            step.put(items.key, clean, origin)
    if RULES.key in step:
        _give_rule_ids(step[RULES.key])
    return step


def _as_named_list(items: NamedItems, step_id: Any, value: Any, origin: Origin, log: ProblemLog) -> YamlList:
    """A list or a mapping name -> item, as a list of mappings; what is not a mapping is reported and left out."""
    if isinstance(value, YamlMap):
        out = YamlList(origin)
        for name, item in value.items():
            if not isinstance(item, YamlMap):
                log.add(value.at(name), f"步骤 {step_id} 的{items.noun} {name} 应为映射")
                continue
            item = item.copy()
            if items.name_is_fixed and items.name_key in item and item[items.name_key] != name:
                log.add(item.at(items.name_key), items.name_mismatch(step_id, name, item[items.name_key]))
            item.put(items.name_key, name, value.at(name))
            out.add(item, value.at(name))
        return out
    if not isinstance(value, YamlList):
        log.add(origin, f"步骤 {step_id} 的 {items.key} 应为列表")
        return YamlList(origin)
    out = YamlList(value.origin)
    for i, item in enumerate(value):
        if not isinstance(item, YamlMap):
            log.add(value.at(i), f"步骤 {step_id} 的第 {i + 1} {items.measure}{items.noun}应为映射（{items.hint}: …）")
            continue
        out.add(item.copy(), value.at(i))
    return out


def _give_rule_ids(rules: YamlList) -> None:
    """Ids must not depend on position (an override names rules by id): an explicit id, else the
    kind, else kind:after, else kind:field; the validator reports ids that still collide."""
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
