"""The material list of one definition version, with a township's override laid over it.

Why per version: a candidate pinned to cpc_2014@1 gets the list written for @1's steps; a
township variant (local: true) gets the list of the national version it `extends`; a version with
no list of its own (installed later on the web admin page) gets its family's nearest earlier one,
limited to the steps it has.
"""
from __future__ import annotations

from dataclasses import replace
from threading import Lock
from types import MappingProxyType

from workflows.model import Definition
from workflows.registry import Registry
from workflows.materials.loader import Materials, national_root, shipped
from workflows.materials.model import CatalogueStep, MaterialCatalogue, MaterialSpec
from workflows.materials.validator import NationalList, Override

# (version, its sha256, override, which loaded lists) -> (those lists, catalogue): the lists are kept
# with the entry so an id() reused after garbage collection cannot return another set's catalogue
_CACHE: dict[tuple[str, str, str | None, int], tuple[Materials, MaterialCatalogue]] = {}
_LOCK = Lock()


def available_overrides(materials: Materials | None = None) -> dict[str, str]:
    """Township overrides a township may choose: id -> Chinese title."""
    m = materials or shipped()
    return {o.id: o.title for o in m.overrides.values()}


def catalogue_for(definition: Definition, override_id: str | None = None, registry: Registry | None = None,
                  materials: Materials | None = None) -> MaterialCatalogue:
    """The materials of `definition` (+ override `override_id`), cached per (version, override).

    An override written for another family (a cpc_2014 override, a candidate on cpc_2026) does not
    apply: the national list is returned (`catalogue.override` is None). An unknown override id
    raises LookupError with a Chinese message."""
    m = materials or shipped()
    cache_key = (definition.key, definition.sha256, override_id, id(m))
    hit = _CACHE.get(cache_key)
    if hit is not None and hit[0] is m:
        return hit[1]
    if override_id is not None and override_id not in m.overrides:
        known = "、".join(f"{k}（{o.title}）" for k, o in m.overrides.items()) or "无"
        raise LookupError(f"未找到乡镇材料清单 {override_id}（已有：{known}）")
    root = national_root(definition, registry or Registry.default())
    national = _national_list(m, root)
    items = [_fit(s, definition) for s in (national.for_key(national_key(national, root)) if national else ())]
    override = m.overrides.get(override_id) if override_id else None
    if override is not None and override.family != root.id:
        override = None
    if override is not None:
        items = _overlay(items, override, definition)
    order = {s.id: i for i, s in enumerate(definition.steps)}  # the definition's order: a local step sits where inserted
    items = sorted((i for i in items if i.step in order), key=lambda i: order[i.step])  # stable: list order within a step
    cat = MaterialCatalogue(
        key=definition.key + (f"+{override.id}" if override else ""),
        items=tuple(items),
        steps=tuple(CatalogueStep(s.id, s.number, s.name, s.requires, s.repeatable) for s in definition.steps),
        list_key=national_key(national, root) if national else "",
        override=override.id if override else None,
        roles=MappingProxyType(dict(definition.roles)),
    )
    with _LOCK:
        _CACHE[cache_key] = (m, cat)
    return cat


def national_key(national: NationalList, root: Definition) -> str:
    """The version key of `national` used for `root`: its own, else the nearest earlier one listed."""
    if root.key in national.applies_to:
        return root.key
    return max((k for k in national.applies_to if int(k.rsplit("@", 1)[1]) <= root.version),
               key=lambda k: int(k.rsplit("@", 1)[1]), default=national.applies_to[0])


def _national_list(m: Materials, root: Definition) -> NationalList | None:
    exact = m.national_for(root.key)
    if exact is not None:
        return exact
    lists = [n for n in m.nationals.get(root.id, ()) if any(int(k.rsplit("@", 1)[1]) <= root.version for k in n.applies_to)]
    return max(lists, key=lambda n: max(int(k.rsplit("@", 1)[1]) for k in n.applies_to), default=None)


def _fit(spec: MaterialSpec, definition: Definition) -> MaterialSpec:
    """A spec limited to the steps `definition` has (needed_by naming a step it lacks is dropped)."""
    needed = tuple(s for s in spec.needed_by if definition.has_step(s))
    if needed == spec.needed_by:
        return spec
    return replace(spec, needed_by=needed, missing=spec.missing if needed else "warn")


def _overlay(items: list[MaterialSpec], override: Override, definition: Definition) -> list[MaterialSpec]:
    """National items with the override's marks (only ever stricter), then the items it adds."""
    out = []
    for spec in items:
        mark = override.marks.get(spec.id)
        if mark is not None:
            needed = spec.needed_by + tuple(s for s in mark.needed_by if s not in spec.needed_by and definition.has_step(s))
            spec = replace(spec, required=spec.required or bool(mark.required), missing=mark.missing or spec.missing,
                           needed_by=needed)
            if spec.missing == "block" and not spec.needed_by:
                spec = replace(spec, missing="warn")
        out.append(spec)
    out.extend(_fit(s, definition) for s in override.added if definition.has_step(s.step))
    return out
