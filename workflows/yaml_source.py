"""YAML read into plain mappings and lists that remember the file and line of what they hold.

Why: every problem is reported where it was written, also after an override has merged its patch
into a base definition; so each mapping keeps the origin of each of its keys, each list the origin
of each item, and a merge carries those origins along.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from workflows.problems import Origin, ProblemLog


class YamlMap(dict):
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

    def copy(self) -> YamlMap:  # type: ignore[override]
        return YamlMap(self.origin, self, self.origins)


class YamlList(list):
    """A list that remembers where it and each item were written."""

    def __init__(self, origin: Origin, items: Iterable = (), origins: Iterable[Origin] | None = None):
        super().__init__(items)
        self.origin = origin
        self.item_origins: list[Origin] = list(origins) if origins is not None else [origin] * len(self)

    def at(self, i: int) -> Origin:
        return self.item_origins[i] if i < len(self.item_origins) else self.origin

    def add(self, item: Any, origin: Origin) -> None:
        self.append(item)
        self.item_origins.append(origin)

    def insert_at(self, i: int, item: Any, origin: Origin) -> None:
        self.insert(i, item)
        self.item_origins.insert(i, origin)

    def remove_at(self, i: int) -> None:
        del self[i]
        del self.item_origins[i]


def is_int(v: Any) -> bool:
    """A YAML integer: Python counts true/false as ints, a definition must not."""
    return type(v) is int


def from_plain(value: Any, origin: Origin) -> Any:
    """Plain dicts and lists as YamlMap/YamlList, everything in them said to come from `origin`."""
    if isinstance(value, dict):
        m = YamlMap(origin)
        for k, v in value.items():
            m.put(k, from_plain(v, origin), origin)
        return m
    if isinstance(value, list):
        return YamlList(origin, [from_plain(v, origin) for v in value])
    return value


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without the timestamp resolver: dates stay text, so a bad date is reported, not raised.

    libyaml's parser where PyYAML has it (~17 × faster: every CLI command reads the definitions);
    its nodes carry the same line marks, so problems still name file:line."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str, source: str, log: ProblemLog) -> Any:
    """YAML text -> YamlMap/YamlList/scalars with origins; syntax errors become problems (and None)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        log.add((source, line), f"YAML 语法错误：{e.problem or e}")
        return None
    except yaml.YAMLError as e:
        log.add((source, 0), f"YAML 语法错误：{e}")
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
                log.add(origin, f"YAML 合并键错误：{getattr(e, 'problem', e)}")
            out = YamlMap(origin)
            for knode, vnode in node.value:
                korigin = (source, knode.start_mark.line + 1)
                if not isinstance(knode, ScalarNode):
                    log.add(korigin, "映射的键必须是简单的文字")
                    continue
                key = scalar(knode)
                if not isinstance(key, str):
                    log.add(korigin, f"键 {knode.value} 被 YAML 解析为 {type(key).__name__}，请加引号写成文字")
                    key = knode.value
                if key in out:
                    log.add(korigin, f"键 {key} 重复（第{out.at(key)[1]}行已写过）")
                    continue
                out.put(key, build(vnode), korigin)
            return out
        if isinstance(node, SequenceNode):
            items = [build(n) for n in node.value]
            return YamlList(origin, items, [(source, n.start_mark.line + 1) for n in node.value])
        return scalar(node)

    def scalar(node: ScalarNode) -> Any:
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            log.add((source, node.start_mark.line + 1), f"无法解析的值 {node.value!r}：{getattr(e, 'problem', e)}")
            return node.value

    return build(root)
