"""Load process definitions from YAML, apply overrides, validate, and freeze them.

Why this shape: an administrator who edits a definition must see every mistake at once, each with
its file and line and in Chinese; and a revision or a township variant must be a small patch of a
pinned base version, so that correcting one citation never means copying 25 steps.

This module is the public face; each stage lives in its own module:
`yaml_source` (YAML that keeps lines) → `overrides` (extends) or `normalise` (a base file) →
`validator` (checks, and builds the frozen `Definition`) → `canonical` (its data and hash).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from workflows.canonical import definition_to_data, digest
from workflows.model import Definition
from workflows.normalise import normalise_base
from workflows.overrides import Resolver, apply_override
from workflows.problems import DefinitionError, Problem, ProblemLog
from workflows.validator import validate
from workflows.yaml_source import YamlMap, is_int, parse

__all__ = [
    "DefinitionError",
    "Problem",
    "Resolver",
    "definition_to_data",
    "digest",
    "load_definition",
    "load_text",
    "load_tree",
    "peek",
    "peek_tree",
]

_NOT_A_MAPPING = "文件顶层应为映射（id、version、steps …）"


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
    log = ProblemLog()
    tree = parse(text, source_name, log)
    if log.problems:
        raise DefinitionError(log.problems)
    return load_tree(tree, source_name, resolve, log)


def load_tree(tree: object, source_name: str, resolve: Resolver | None = None, log: ProblemLog | None = None) -> Definition:
    """Like `load_text`, from the parsed YAML (`peek_tree`'s): a registry parses each file once."""
    log = log if log is not None else ProblemLog()
    if tree is None:
        raise DefinitionError([Problem(source_name, 1, "文件为空")])
    if not isinstance(tree, YamlMap):
        raise DefinitionError([Problem(source_name, 1, _NOT_A_MAPPING)])
    source = source_name
    if "extends" in tree:
        merge = apply_override(tree, resolve, log)
        if merge is None:
            raise DefinitionError(log.problems)
        tree, base = merge
        if base.source:
            source = f"{source_name}; {base.source}"
    else:
        tree = normalise_base(tree, log)
    definition = validate(tree, log, source)
    if definition is None:
        raise DefinitionError(log.problems)
    return replace(definition, sha256=digest(definition))


def peek(path: str | Path) -> tuple[str, int, str | None, bool]:
    """(id, version, extends, local) of a file without resolving anything: lets a registry order loads."""
    return peek_tree(path)[:4]


def peek_tree(path: str | Path) -> tuple[str, int, str | None, bool, YamlMap]:
    """`peek`, and the parsed file, to load with `load_tree` (once: loading may change it)."""
    path = Path(path)
    log = ProblemLog()
    try:
        tree = parse(path.read_text(encoding="utf-8"), str(path), log)
    except (OSError, UnicodeDecodeError) as e:
        raise DefinitionError([Problem(str(path), 0, f"无法读取文件：{e}")]) from None
    if log.problems:
        raise DefinitionError(log.problems)
    if not isinstance(tree, YamlMap):
        raise DefinitionError([Problem(str(path), 1, _NOT_A_MAPPING)])
    did, version = tree.get("id"), tree.get("version")
    if not isinstance(did, str) or not is_int(version):
        bad = "id" if not isinstance(did, str) else "version"
        raise DefinitionError([Problem(str(path), tree.at(bad)[1], f"定义缺少有效的 {bad}")])
    ext = tree.get("extends")
    return did, version, ext if isinstance(ext, str) else None, tree.get("local") is True, tree
