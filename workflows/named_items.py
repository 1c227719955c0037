"""Rules and evidence fields: the two lists in a step whose items have names.

Why one description for both: a file may write either as a list or as a mapping name -> item, and
an override adds, patches and removes their items by name; normalising and patching treat both
alike, and the ways they differ are written here, side by side (the two that concern only a
removal by an override are in `overrides._patch_items`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NamedItems:
    key: str  # the step's key
    name_key: str  # the item's key that names it
    noun: str  # in messages
    measure: str  # the Chinese measure word of `noun`
    hint: str  # the key an item usually starts with, shown when an item is not a mapping
    name_is_fixed: bool  # an item's own name must match the key it is given under; a patch cannot change it
    patch_shape: str  # what an override's patch of the list maps, in messages

    def name_mismatch(self, step_id: Any, name: Any, given: Any) -> str:
        return f"步骤 {step_id} 的{self.noun} {name} 的 {self.name_key} 与键不一致：{given}"


RULES = NamedItems(
    key="rules", name_key="id", noun="规则", measure="条", hint="kind", name_is_fixed=True,
    patch_shape="规则 id → 修改内容",
)
EVIDENCE = NamedItems(
    key="evidence", name_key="name", noun="证据字段", measure="个", hint="name", name_is_fixed=False,
    patch_shape="字段名 → 字段",
)
