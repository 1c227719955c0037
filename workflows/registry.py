"""Every known definition version, by key, and the choice of version by date.

Why keys and not "the latest": a candidate is pinned to the version in force on their application
date ("cpc_2014@1"); publishing a new version must never change what a pinned candidate sees, so
versions are only ever added, and `get` returns exactly the pinned one.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from workflows.loader import DefinitionError, Problem, load_definition, peek
from workflows.model import Definition

_PACKAGE_DIR = Path(__file__).parent


def default_paths() -> list[Path]:
    """The shipped national definitions and township variants (package data)."""
    return sorted((_PACKAGE_DIR / "definitions").glob("*.yaml")) + sorted((_PACKAGE_DIR / "local").glob("*.yaml"))


@lru_cache(maxsize=1)
def _default_definitions() -> tuple[Definition, ...]:
    return tuple(Registry.from_paths(default_paths())._by_key.values())


class Registry:
    def __init__(self, definitions: Iterable[Definition] = ()):
        self._by_key: dict[str, Definition] = {}
        for d in definitions:
            self.add(d)

    @classmethod
    def default(cls) -> "Registry":
        """The shipped definitions; files are read once per process, each call gets its own registry."""
        return cls(_default_definitions())

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> "Registry":
        """Load files in any order: a file that `extends` another is loaded after its base.

        Problems of every file are collected and raised together as one DefinitionError.
        """
        files: dict[str, Path] = {}
        problems: list[Problem] = []
        for p in map(Path, paths):
            try:
                did, version, _ext, _local = peek(p)
            except DefinitionError as e:
                problems.extend(e.problems)
                continue
            key = f"{did}@{version}"
            if key in files:
                problems.append(Problem(str(p), 1, f"流程定义 {key} 重复：{files[key]} 中已有同一 id 和版本"))
                continue
            files[key] = p

        loaded: dict[str, Definition] = {}
        failed: set[str] = set()
        loading: list[str] = []

        def resolve(key: str) -> Definition:
            if key in loaded:
                return loaded[key]
            if key in failed:
                raise LookupError(f"{key} 本身有错误，见其文件的报错")
            if key not in files:
                raise KeyError(key)
            if key in loading:
                raise LookupError(f"extends 形成循环：{' → '.join(loading[loading.index(key):] + [key])}")
            loading.append(key)
            try:
                loaded[key] = load_definition(files[key], resolve)
            except DefinitionError as e:
                failed.add(key)
                problems.extend(e.problems)
                raise LookupError(f"{key} 本身有错误，见其文件的报错") from None
            finally:
                loading.pop()
            return loaded[key]

        for key in files:
            try:
                resolve(key)
            except LookupError:
                pass  # its problems are already collected
        if problems:
            raise DefinitionError(problems)
        return cls(loaded[k] for k in files)

    # --- lookup ---------------------------------------------------------------------------

    def add(self, definition: Definition) -> None:
        """Add a version. Re-adding the same content is harmless; changing a published one is refused."""
        old = self._by_key.get(definition.key)
        if old is not None and old.sha256 != definition.sha256:
            raise ValueError(f"流程定义 {definition.key} 已存在且内容不同：已发布的版本不能修改，请发布新版本号")
        self._by_key.setdefault(definition.key, definition)

    def get(self, key: str) -> Definition:
        """The exact version a candidate is pinned to ("cpc_2014@1"); a bare id gives its newest version."""
        if key in self._by_key:
            return self._by_key[key]
        if "@" not in key:
            versions = [d for d in self._by_key.values() if d.id == key]
            if versions:
                return max(versions, key=lambda d: d.version)
        raise LookupError(f"未找到流程定义 {key}（已有：{'、'.join(self.keys()) or '无'}）")

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def keys(self) -> list[str]:
        return sorted(self._by_key, key=lambda k: (k.split("@")[0], int(k.split("@")[1])))

    def definitions(self) -> list[Definition]:
        return [self._by_key[k] for k in self.keys()]

    def for_date(self, d: date, variants: Mapping[str, str] | None = None) -> Definition:
        """The version in force on `d` (e.g. an application date), with the township's variant if any.

        National definitions only compete by date (greatest effective_from <= d, then highest
        version); `variants` maps a national id to a local variant id chosen by the township.
        """
        national = [x for x in self._by_key.values() if not x.local and x.effective_from <= d]
        if not national:
            known = [x.effective_from for x in self._by_key.values() if not x.local]
            first = f"（最早的施行日期为 {min(known).isoformat()}）" if known else ""
            raise LookupError(f"{d.isoformat()} 没有施行中的发展党员工作细则{first}")
        chosen = max(national, key=lambda x: (x.effective_from, x.version, x.id))
        variant_id = (variants or {}).get(chosen.id)
        if not variant_id:
            return chosen
        candidates = [x for x in self._by_key.values() if x.id == variant_id]
        if not candidates:
            raise LookupError(f"未找到乡镇变体 {variant_id}（用于 {chosen.key}）")
        if not all(x.local for x in candidates):
            raise LookupError(f"{variant_id} 不是乡镇变体（没有标记 local: true），不能作为 {chosen.id} 的变体")
        in_force = [x for x in candidates if x.effective_from <= d]
        if not in_force:
            raise LookupError(f"乡镇变体 {variant_id} 在 {d.isoformat()} 尚未施行")
        return max(in_force, key=lambda x: x.version)
