"""Load the material list files: national lists (`national/*.yaml`) and township overrides
(`local/*.yaml`), each validated against the definition versions it applies to.

Why files beside the definitions and not inside them: a published definition is pinned by its
sha256, so materials are an overlay keyed by definition version (docs/materials.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from workflows.model import Definition
from workflows.problems import DefinitionError, Problem, ProblemLog
from workflows.registry import Registry
from workflows.yaml_source import YamlMap, parse
from workflows.materials.validator import NationalList, Override, family_of, validate_national, validate_override

_DIR = Path(__file__).parent


class MaterialsError(DefinitionError):
    """A material list file is wrong; carries every problem found (file:line, Chinese)."""


@dataclass(frozen=True)
class Materials:
    """Every loaded list: national lists by family, overrides by id."""

    nationals: Mapping[str, tuple[NationalList, ...]]
    overrides: Mapping[str, Override]

    def national_for(self, key: str) -> NationalList | None:
        """The national list for an exact version key."""
        return next((n for n in self.nationals.get(family_of(key), ()) if key in n.applies_to), None)


def default_paths() -> tuple[list[Path], list[Path]]:
    """The shipped national lists and township overrides (package data)."""
    return sorted((_DIR / "national").glob("*.yaml")), sorted((_DIR / "local").glob("*.yaml"))


def _read(path: Path, log: ProblemLog) -> YamlMap | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        log.add((str(path), 0), "文件不是 UTF-8 编码")
        return None
    except OSError as e:
        log.add((str(path), 0), f"无法读取文件：{e.strerror or e}")
        return None
    return _tree(text, str(path), log)


def _tree(text: str, source: str, log: ProblemLog) -> YamlMap | None:
    tree = parse(text, source, log)
    if tree is None and not log.problems:
        log.add((source, 1), "文件为空")
    elif tree is not None and not isinstance(tree, YamlMap):
        log.add((source, 1), "文件顶层应为映射")
        return None
    return tree


def national_root(definition: Definition, registry: Registry) -> Definition:
    """The national version a township variant stands on (following `extends` while local)."""
    seen = set()
    d = definition
    while d.local and d.extends and d.key not in seen:
        seen.add(d.key)
        d = registry.get(d.extends)
    return d


def family_definitions(registry: Registry) -> dict[str, list[Definition]]:
    """family -> its national versions and the township variants standing on them."""
    out: dict[str, list[Definition]] = {}
    for d in registry.definitions():
        try:
            root = national_root(d, registry)
        except LookupError:
            continue
        out.setdefault(root.id, []).append(d)
    return out


def load(national: Iterable[Path | str], local: Iterable[Path | str], registry: Registry | None = None,
         texts: Mapping[str, str] | None = None) -> Materials:
    """Load and validate national lists, then overrides; every problem of every file is raised at once.

    `texts` (source name -> YAML text) adds overrides not on disk (tests; a township's own file)."""
    registry = registry or Registry.default()
    definitions = {d.key: d for d in registry.definitions()}
    problems: list[Problem] = []
    nationals: dict[str, list[NationalList]] = {}
    owner: dict[str, str] = {}
    for path in map(Path, national):
        log = ProblemLog()
        tree = _read(path, log)
        lst = validate_national(tree, log, str(path), definitions) if tree is not None else None
        problems.extend(log.problems)
        if lst is None:
            continue
        for key in lst.applies_to:
            if key in owner:
                problems.append(Problem(str(path), tree.at("applies_to")[1], f"{key} 的全国材料清单重复：{owner[key]} 中已有"))
            owner[key] = str(path)
        nationals.setdefault(lst.family, []).append(lst)
    frozen = {f: tuple(v) for f, v in nationals.items()}
    fams = family_definitions(registry)
    overrides: dict[str, Override] = {}
    sources = [(str(p), None) for p in map(Path, local)] + [(name, text) for name, text in (texts or {}).items()]
    for source, text in sources:
        log = ProblemLog()
        tree = _read(Path(source), log) if text is None else _tree(text, source, log)
        ov = validate_override(tree, log, source, frozen, fams) if tree is not None else None
        problems.extend(log.problems)
        if ov is None:
            continue
        if ov.id in overrides:
            problems.append(Problem(source, tree.at("id")[1], f"乡镇材料清单 {ov.id} 重复：{overrides[ov.id].source} 中已有"))
            continue
        overrides[ov.id] = ov
    if problems:
        raise MaterialsError(problems)
    return Materials(frozen, overrides)


@lru_cache(maxsize=1)
def shipped() -> Materials:
    """The shipped lists, validated against the shipped definitions (read once per process)."""
    national, local = default_paths()
    return load(national, local, Registry.default())


def load_all() -> Materials:
    """Validate every shipped material file (a test fails on any bad one); raises MaterialsError."""
    return shipped()
