"""Every known definition version, by key, and the choice of version by date.

Why keys and not "the latest": a candidate is pinned to the version in force on their application
date ("cpc_2014@1"); publishing a new version must never change what a pinned candidate sees, so
versions are only ever added, and `get` returns exactly the pinned one.
"""
from __future__ import annotations

import threading
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple

from workflows.loader import DefinitionError, Problem, load_text, load_tree, peek_tree
from workflows.model import Definition

_PACKAGE_DIR = Path(__file__).parent


def default_paths() -> list[Path]:
    """The shipped national definitions and township variants (package data)."""
    return sorted((_PACKAGE_DIR / "definitions").glob("*.yaml")) + sorted((_PACKAGE_DIR / "local").glob("*.yaml"))


class Installed(NamedTuple):
    """A version installed from the web admin page: the checked YAML stored in the database
    (`workflow_definition.source`), with the sha256 it was published under."""

    key: str
    sha256: str
    name: str
    text: str


def installed_label(name: str) -> str:
    """`Definition.source` of an installed version (it names no file on disk)."""
    return f"{name}（网页安装）"


# (key, published sha256) -> loaded definition: a process that builds several registries (tests,
# one App per CLI command) parses each installed YAML once. Safe because a published key never
# changes content, and an `extends` base is itself an immutable key.
_INSTALLED: dict[tuple[str, str], Definition] = {}


class _Shipped:
    """The shipped files, each version loaded (merged, validated, hashed) when first asked for:
    `partyflow show` needs its candidate's version, not all seven (issue 19, CLI start). Every
    file is read and parsed at once, so a duplicate key or a file that is not a definition is
    refused at once as by `from_paths`; a version's own problems are raised when it (or a version
    extending it) is first used."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.files, self._trees, problems = _peek_all(paths)
        if problems:
            raise DefinitionError(problems)
        self._loaded: dict[str, Definition] = {}
        self._failed: dict[str, DefinitionError] = {}
        self._lock = threading.RLock()  # each version loaded once, whichever thread asks first

    def load(self, key: str) -> Definition:
        """The version `key` (KeyError if no file has it), loading it and its bases if need be."""
        d = self._loaded.get(key)
        if d is not None:
            return d
        with self._lock:
            if key in self._failed:
                raise self._failed[key]
            if key not in self._loaded:
                try:
                    self._loaded[key] = load_tree(self._trees.pop(key), str(self.files[key]), self.load)
                except DefinitionError as e:
                    self._failed[key] = e
                    raise
            return self._loaded[key]


@lru_cache(maxsize=1)
def _shipped() -> _Shipped:
    return _Shipped(default_paths())


def _peek_all(paths: Iterable[Path | str]) -> tuple[dict[str, Path], dict[str, object], list[Problem]]:
    """Each file's key and parsed YAML (each file is parsed once: to learn its key, then to load
    it), and the problems of the files that could not be read or repeat a key."""
    files: dict[str, Path] = {}
    trees: dict[str, object] = {}
    problems: list[Problem] = []
    for p in map(Path, paths):
        try:
            did, version, _ext, _local, tree = peek_tree(p)
        except DefinitionError as e:
            problems.extend(e.problems)
            continue
        key = f"{did}@{version}"
        if key in files:
            problems.append(Problem(str(p), 1, f"流程定义 {key} 重复：{files[key]} 中已有同一 id 和版本"))
            continue
        files[key] = p
        trees[key] = tree
    return files, trees, problems


class Registry:
    def __init__(self, definitions: Iterable[Definition] = (), *, shipped: _Shipped | None = None):
        self._by_key: dict[str, Definition] = {}
        # shipped versions not asked for yet: loaded into _by_key on first use (`default`)
        self._shipped = shipped
        self._unloaded: frozenset[str] = frozenset(shipped.files) if shipped else frozenset()
        # called with an exact key ("x@2") that `get` does not know; returns whether it added
        # something — lets a long-running process pick up a version installed by another one
        self.on_miss: Callable[[str], bool] | None = None
        self._installed: frozenset[str] = frozenset()  # keys added by add_installed
        for d in definitions:
            self.add(d)

    @classmethod
    def default(cls) -> "Registry":
        """The shipped definitions; files are read once per process and each version loaded on
        first use (once per process); each call gets its own registry."""
        return cls(shipped=_shipped())

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> "Registry":
        """Load files in any order: a file that `extends` another is loaded after its base.

        Problems of every file are collected and raised together as one DefinitionError.
        """
        files, trees, problems = _peek_all(paths)
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
                loaded[key] = load_tree(trees.pop(key), str(files[key]), resolve)
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

    def _lookup(self, key: str) -> Definition | None:
        """The version `key` if this registry has it (a shipped one is loaded now), else None."""
        d = self._by_key.get(key)
        if d is None and key in self._unloaded:
            d = self._shipped.load(key)  # type: ignore[union-attr] - _unloaded is empty without it
            # a new dict, not an insertion: other threads may be iterating the old one
            self._by_key = {**self._by_key, key: d}
        return d

    def add(self, definition: Definition) -> None:
        """Add a version. Re-adding the same content is harmless; changing a published one is refused."""
        old = self._lookup(definition.key)
        if old is not None and old.sha256 != definition.sha256:
            raise ValueError(f"流程定义 {definition.key} 已存在且内容不同：已发布的版本不能修改，请发布新版本号")
        if old is None:
            # a new dict, not an insertion: other threads may be iterating the old one
            self._by_key = {**self._by_key, definition.key: definition}

    def add_installed(self, rows: Iterable[Installed]) -> list[Problem]:
        """Load versions installed from the web (their stored YAML) beside the files.

        A row may `extends` a file's version or another installed one, in any order. A row that
        cannot be loaded — its base is gone, the loader has become stricter, or its key is
        already loaded with other content — is left out and its problems returned: one broken
        row must not stop every process from starting (the admin page lists it as stored only).
        """
        problems: list[Problem] = []
        pending = []
        for r in rows:
            have = self._lookup(r.key)
            if have is None:
                pending.append(r)
            elif have.sha256 != r.sha256:
                problems.append(Problem(installed_label(r.name), 0,
                                        f"数据库中安装的 {r.key} 与同名文件内容不同，未加载：已发布的版本不能修改"))
        while pending:
            failed: list[tuple[Installed, list[Problem]]] = []
            for r in pending:
                d = _INSTALLED.get((r.key, r.sha256))
                if d is None:
                    try:
                        d = load_text(r.text, installed_label(r.name), self._exact)
                    except DefinitionError as e:
                        failed.append((r, e.problems))  # perhaps its base is a later row: next round
                        continue
                    if d.key != r.key:
                        problems.append(Problem(d.source, 1, f"数据库中安装的 {r.key} 实为 {d.key}，未加载"))
                        continue
                    if d.sha256 != r.sha256:
                        problems.append(Problem(d.source, 1, f"{r.key} 按现在的加载器算出的 sha256 与发布时不同"
                                                             "（仍按此内容加载，请核对）"))
                    _INSTALLED[(r.key, r.sha256)] = d
                self.add(d)
                self._installed = self._installed | {d.key}
            if len(failed) == len(pending):
                for _r, p in failed:
                    problems.extend(p)
                break
            pending = [r for r, _p in failed]
        return problems

    def _exact(self, key: str) -> Definition:
        """Base lookup while loading installed rows: exact keys, no refresh (KeyError if unknown)."""
        d = self._lookup(key)
        if d is None:
            raise KeyError(key)
        return d

    def get(self, key: str) -> Definition:
        """The exact version a candidate is pinned to ("cpc_2014@1"); a bare id gives its newest version."""
        d = self._lookup(key)
        if d is not None:
            return d
        if "@" in key and self.on_miss is not None and self.on_miss(key) and key in self._by_key:
            return self._by_key[key]
        if "@" not in key:
            versions = [d for d in self.definitions() if d.id == key]
            if versions:
                return max(versions, key=lambda d: d.version)
        raise LookupError(f"未找到流程定义 {key}（已有：{'、'.join(self.keys()) or '无'}）")

    def is_installed(self, key: str) -> bool:
        """Whether `key` came from the database (installed on the web admin page), not a file."""
        return key in self._installed

    def __contains__(self, key: object) -> bool:
        return key in self._by_key or key in self._unloaded

    def keys(self) -> list[str]:
        return sorted(self._by_key.keys() | self._unloaded, key=lambda k: (k.split("@")[0], int(k.split("@")[1])))

    def definitions(self) -> list[Definition]:
        return [self._lookup(k) for k in self.keys()]  # type: ignore[misc] - every key is known

    def for_date(self, d: date, variants: Mapping[str, str] | None = None) -> Definition:
        """The version in force on `d` (e.g. an application date), with the township's variant if any.

        National definitions compete by date: each id's highest version in force on `d`, then the
        id whose chosen version took effect last; `variants` maps a national id to a local variant id chosen by the township.
        """
        every = self.definitions()
        national = [x for x in every if not x.local and x.effective_from <= d]
        if not national:
            known = [x.effective_from for x in every if not x.local]
            first = f"（最早的施行日期为 {min(known).isoformat()}）" if known else ""
            raise LookupError(f"{d.isoformat()} 没有施行中的发展党员工作细则{first}")
        # per id its highest version in force (a correcting version may start earlier than the one
        # it corrects: cpc_2026@2 from 2026-05-11, @1 from 2026-05-19); then the newest rules
        newest: dict[str, Definition] = {}
        for x in national:
            if x.id not in newest or x.version > newest[x.id].version:
                newest[x.id] = x
        chosen = max(newest.values(), key=lambda x: (x.effective_from, x.version, x.id))
        variant_id = (variants or {}).get(chosen.id)
        if not variant_id:
            return chosen
        candidates = [x for x in every if x.id == variant_id]
        if not candidates:
            raise LookupError(f"未找到乡镇变体 {variant_id}（用于 {chosen.key}）")
        if not all(x.local for x in candidates):
            raise LookupError(f"{variant_id} 不是乡镇变体（没有标记 local: true），不能作为 {chosen.id} 的变体")
        in_force = [x for x in candidates if x.effective_from <= d]
        if not in_force:
            raise LookupError(f"乡镇变体 {variant_id} 在 {d.isoformat()} 尚未施行")
        return max(in_force, key=lambda x: x.version)
