"""Checks of material list files (national lists and township overrides), building their specs.

Why like `workflows.validator`: an administrator who edits a list must see every mistake at once,
each at its file and line and in Chinese, so problems are collected in a `ProblemLog`, never
raised one by one. The checks that need the process (does this step exist? is this a role?) are
made against every definition version the list applies to — a list that is right for @2 but
names a step @1 lacks would otherwise fail only for the candidates pinned to @1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from workflows.model import Definition
from workflows.problems import Origin, ProblemLog, suggest
from workflows.requires_graph import Prerequisites
from workflows.schema import ARTICLE_KEYS, ID_RE
from workflows.value_checks import ValueChecks
from workflows.yaml_source import YamlList, YamlMap
from workflows.materials.model import CONDITIONS, GENERATED_KINDS, MISSING_MODES, MaterialSpec

NATIONAL_KEYS = {"family", "title", "applies_to", "materials"}
OVERRIDE_KEYS = {"id", "title", "extends", "materials", "marks"}
ITEM_KEYS = {"id", "name", "step", "required", "by", "generated", "needed_by", "missing", "repeat", "article",
             "when", "versions"}
ITEM_REQUIRED = ("id", "name", "step", "required", "by", "article")
MARK_KEYS = {"required", "missing", "needed_by"}
# What an override might write to take a national material away: refused with its own message.
REMOVING_KEYS = {"remove", "removes", "delete", "drop", "exclude"}


@dataclass(frozen=True)
class NationalList:
    """A national list file: the materials of one family's versions (`applies_to`)."""

    family: str
    title: str
    source: str
    applies_to: tuple[str, ...]
    items: tuple[MaterialSpec, ...]
    limits: tuple[frozenset[str], ...] = ()  # per item: the versions it applies to (`versions`, else all)

    def for_key(self, key: str) -> tuple[MaterialSpec, ...]:
        """The list of one version: every item not limited to other versions."""
        return tuple(m for m, keys in zip(self.items, self.limits) if key in keys)


@dataclass(frozen=True)
class Mark:
    """What an override changes of a national material: only ever stricter."""

    required: bool | None = None
    missing: str | None = None
    needed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    """A township's override file: materials it adds and national ones it marks."""

    id: str
    title: str
    family: str
    source: str
    added: tuple[MaterialSpec, ...] = ()
    marks: Mapping[str, Mark] = field(default_factory=dict)


def family_of(key: str) -> str:
    return key.rsplit("@", 1)[0]


class _Checks(ValueChecks):
    """Item checks shared by national lists and overrides."""

    def step_ref(self, origin: Origin, what: str, step: str, defs: Sequence[Definition], *, any_of: bool) -> bool:
        """Whether `step` exists in every definition of `defs` (`any_of`: in at least one)."""
        missing = [d for d in defs if not d.has_step(step)]
        if not missing or (any_of and len(missing) < len(defs)):
            return True
        known = {s.id for d in defs for s in d.steps}
        where = "、".join(d.key for d in missing) if not any_of else "、".join(d.key for d in defs)
        self.add(origin, f"{what}引用了不存在的步骤 {step}（{where} 中没有）{suggest(step, known)}")
        return False

    def item(self, m: YamlMap, defs: Sequence[Definition], *, local: bool, allowed_keys: set[str]) -> MaterialSpec | None:
        """One material mapping, checked against `defs` (national: every one; local: any one)."""
        label = m.get("name") if isinstance(m.get("name"), str) else m.get("id")
        what = f"材料“{label}”" if isinstance(label, str) else "材料"
        self.keys(m, allowed_keys, ITEM_REQUIRED, what)
        mid = self.ident(m, "id", what)
        name = self.text(m, "name", what)
        step = m.get("step")
        ok = True
        if not isinstance(step, str) or not ID_RE.match(step):
            if "step" in m:
                self.add(m.at("step"), f"{what}的 step 应为步骤 id（如 political_review），实际为 {step!r}")
            ok = False
        elif not self.step_ref(m.at("step"), f"{what}的 step ", step, defs, any_of=local):
            ok = False
        having = [d for d in defs if isinstance(step, str) and d.has_step(step)] or list(defs)
        if "required" in m and not isinstance(m["required"], bool):
            self.add(m.at("required"), f"{what}的 required 应为 true（必需）或 false（可选），实际为 {m['required']!r}")
        required = m.get("required") is True
        by = m.get("by")
        if "by" in m:
            roles = {r: n for d in having for r, n in d.roles.items()}
            lacking = [d.key for d in having if not isinstance(by, str) or by not in d.roles]
            if lacking and (not local or len(lacking) == len(having)):
                names = "、".join(f"{r}（{n}）" for r, n in roles.items())
                self.add(m.at("by"), f"{what}的 by 不是流程定义中的角色：{by}{suggest(by, roles)}（可用：{names}）")
                ok = False
        generated = m.get("generated")
        if generated is not None and generated not in GENERATED_KINDS:
            kinds = "、".join(f"{k}（{n}）" for k, n in GENERATED_KINDS.items())
            self.add(m.at("generated"), f"{what}的 generated 不是已知的生成文书：{generated}{suggest(generated, GENERATED_KINDS)}"
                                        f"（可用：{kinds}）")
            ok = False
        needed_by = self.steps_list(m, "needed_by", what, having, step if isinstance(step, str) else None)
        missing = m.get("missing", "warn")
        if missing not in MISSING_MODES:
            self.add(m.at("missing"), f"{what}的 missing 应为 warn（缺少时提示）或 block（缺少时不能办理），实际为 {missing!r}")
            missing, ok = "warn", False
        elif missing == "block" and not needed_by:
            self.add(m.at("missing"), f"{what}标为 missing: block，但没有写 needed_by：须写明缺少它时不能办理的步骤")
            ok = False
        when = m.get("when")
        if when is not None and when not in CONDITIONS:
            conds = "、".join(f"{k}（{v}）" for k, v in CONDITIONS.items())
            self.add(m.at("when"), f"{what}的 when 应为 {conds} 之一，实际为 {when!r}")
            ok = False
        article = m.get("article")
        if isinstance(article, YamlMap):
            self.keys(article, ARTICLE_KEYS, (), f"{what}的 article ")
            citation = self.citation(article, "number", f"{what}的 article ", require=True)
        else:
            if "article" in m:
                self.add(m.at("article"), f"{what}的 article 应为映射：{{number: 第X条, confidence: V|W|R|L, note: …}}")
            ok = False
            citation = None
        repeat = self.flag(m, "repeat", what)
        if not ok or mid is None or name is None or citation is None or not isinstance(m.get("required"), bool) \
                or not isinstance(by, str):
            return None
        return MaterialSpec(mid, name, step, required, by, generated, needed_by, missing, repeat, citation, local, when)

    def steps_list(self, m: YamlMap, key: str, what: str, defs: Sequence[Definition], own: str | None) -> tuple[str, ...]:
        """A list of step ids, each in `defs`, none before the material's own step `own`."""
        if key not in m:
            return ()
        v = m[key]
        if not isinstance(v, YamlList) or not all(isinstance(x, str) for x in v):
            self.add(m.at(key), f"{what}的 {key} 应为步骤 id 的列表，如 [pre_review]，实际为 {v!r}")
            return ()
        out: list[str] = []
        for i, sid in enumerate(v):
            if sid in out:
                self.add(v.at(i), f"{what}的 {key} 重复列出步骤 {sid}")
                continue
            if not self.step_ref(v.at(i), f"{what}的 {key} ", sid, defs, any_of=False):
                continue
            if own is not None:
                early = [d.key for d in defs if d.has_step(own) and sid in _prerequisites(d).of(own)]
                if early:
                    self.add(v.at(i), f"{what}产生于步骤 {own}，但 {key} 中的 {sid} 在它之前（{'、'.join(early)}）："
                                      "不能在材料产生前就需要它")
                    continue
            out.append(sid)
        return tuple(out)


_PREREQS: dict[tuple[str, str], Prerequisites] = {}


def _prerequisites(d: Definition) -> Prerequisites:
    key = (d.key, d.sha256)
    if key not in _PREREQS:
        _PREREQS[key] = Prerequisites({s.id: list(s.requires) for s in d.steps})
    return _PREREQS[key]


def validate_national(tree: YamlMap, log: ProblemLog, source: str, definitions: Mapping[str, Definition]
                      ) -> NationalList | None:
    """A national list, checked against the definition versions it `applies_to` (from `definitions`)."""
    c = _Checks(log)
    what = "全国材料清单"
    c.keys(tree, NATIONAL_KEYS, ("family", "title", "applies_to", "materials"), what)
    family = c.ident(tree, "family", what)
    title = c.text(tree, "title", what)
    applies = tree.get("applies_to")
    keys: list[str] = []
    if "applies_to" in tree:
        if not isinstance(applies, YamlList) or not applies:
            log.add(tree.at("applies_to"), "applies_to 应为流程定义版本的列表，如 [cpc_2014@1, cpc_2014@2]")
        else:
            for i, key in enumerate(applies):
                if not isinstance(key, str) or key not in definitions:
                    known = [k for k in definitions if not definitions[k].local]
                    log.add(applies.at(i), f"applies_to 中的 {key!r} 不是已有的流程定义版本{suggest(key, known)}"
                                           f"（已有：{'、'.join(known)}）")
                elif definitions[key].local:
                    log.add(applies.at(i), f"applies_to 中的 {key} 是乡镇变体：全国清单只适用于全国版本，"
                                           "乡镇变体按其 extends 使用全国清单")
                elif family is not None and family_of(key) != family:
                    log.add(applies.at(i), f"applies_to 中的 {key} 不属于 family {family}")
                elif key in keys:
                    log.add(applies.at(i), f"applies_to 重复列出 {key}")
                else:
                    keys.append(key)
    items: list[MaterialSpec] = []
    limits: list[frozenset[str]] = []
    seen: dict[str, list[tuple[frozenset[str], int]]] = {}
    raw = tree.get("materials")
    if "materials" in tree and not isinstance(raw, YamlList):
        log.add(tree.at("materials"), "materials 应为材料的列表")
        raw = YamlList(tree.origin)
    for i, m in enumerate(raw or ()):
        if not isinstance(m, YamlMap):
            log.add(raw.at(i), "materials 的每一项应为映射（id、name、step …）")
            continue
        limited = _versions(m, keys, log)
        defs = [definitions[k] for k in sorted(limited)]
        if not defs:
            continue
        spec = c.item(m, defs, local=False, allowed_keys=ITEM_KEYS)
        mid = m.get("id")
        if isinstance(mid, str):
            for other, line in seen.get(mid, ()):
                overlap = sorted(other & limited)
                if overlap:
                    log.add(m.at("id"), f"材料 id {mid} 重复（第{line}行已有，适用版本重叠：{'、'.join(overlap)}）")
                    spec = None
            seen.setdefault(mid, []).append((limited, m.at("id")[1]))
        if spec is not None:
            items.append(spec)
            limits.append(limited)
    if log.problems or family is None or title is None:
        return None
    return NationalList(family, title, source, tuple(keys), tuple(items), tuple(limits))


def _versions(m: YamlMap, keys: Sequence[str], log: ProblemLog) -> frozenset[str]:
    """The versions an item applies to: its `versions` (a subset of applies_to) or all of them."""
    if "versions" not in m:
        return frozenset(keys)
    v = m["versions"]
    if not isinstance(v, YamlList) or not v:
        log.add(m.at("versions"), "versions 应为 applies_to 中版本的列表，如 [cpc_2026@2]")
        return frozenset()
    out = set()
    for i, key in enumerate(v):
        if key not in keys:
            log.add(v.at(i), f"versions 中的 {key!r} 不在本清单的 applies_to 中（{'、'.join(keys)}）")
        else:
            out.add(key)
    return frozenset(out)


def validate_override(tree: YamlMap, log: ProblemLog, source: str, nationals: Mapping[str, Sequence[NationalList]],
                      family_definitions: Mapping[str, Sequence[Definition]]) -> Override | None:
    """A township override: adds and marks, never removes or relaxes a national material.

    `nationals`: family -> its national lists; `family_definitions`: family -> every definition of
    it, national versions and the township variants that extend them (a local step such as
    thought_report exists only in a variant)."""
    c = _Checks(log)
    what = "乡镇材料清单"
    for k in tree:
        if k in REMOVING_KEYS:
            log.add(tree.at(k), f"乡镇材料清单不能删除全国清单中的材料（{k}）：只能增加材料，或把全国材料标为必需、缺少即不能办理")
    c.keys(_without(tree, REMOVING_KEYS), OVERRIDE_KEYS, ("id", "title", "extends"), what)
    oid = c.ident(tree, "id", what)
    title = c.text(tree, "title", what)
    family = tree.get("extends")
    if "extends" in tree and (not isinstance(family, str) or family not in nationals):
        hint = "（写材料清单的 family，如 cpc_2014，不带 @版本）" if isinstance(family, str) and "@" in family else ""
        log.add(tree.at("extends"), f"extends 引用了未知的全国材料清单 {family}{hint}{suggest(family, nationals)}"
                                    f"（已有：{'、'.join(nationals)}）")
        return None
    if family is None:
        return None
    national: dict[str, list[MaterialSpec]] = {}
    for lst in nationals[family]:
        for m in lst.items:
            national.setdefault(m.id, []).append(m)
    defs = list(family_definitions.get(family, ()))
    added: list[MaterialSpec] = []
    raw = tree.get("materials")
    if "materials" in tree and not isinstance(raw, YamlList):
        log.add(tree.at("materials"), "materials 应为材料的列表")
        raw = None
    ids: dict[str, int] = {}
    for i, m in enumerate(raw or ()):
        if not isinstance(m, YamlMap):
            log.add(raw.at(i), "materials 的每一项应为映射（id、name、step …）")
            continue
        spec = c.item(m, defs, local=True, allowed_keys=ITEM_KEYS - {"versions"})
        mid = m.get("id")
        if isinstance(mid, str) and mid in national:
            log.add(m.at("id"), f"材料 id {mid} 与全国清单中的“{national[mid][0].name}”重名：要改动全国材料请写在 marks 中")
            spec = None
        elif isinstance(mid, str) and mid in ids:
            log.add(m.at("id"), f"材料 id {mid} 重复（第{ids[mid]}行已有）")
            spec = None
        if isinstance(mid, str):
            ids.setdefault(mid, m.at("id")[1])
        if spec is not None:
            added.append(spec)
    marks = _marks(c, tree, national, defs)
    if log.problems or oid is None or title is None:
        return None
    return Override(oid, title, family, source, tuple(added), MappingProxyType(marks))


def _without(m: YamlMap, drop: Iterable[str]) -> YamlMap:
    out = m.copy()
    for k in drop:
        out.drop(k)
    return out


def _marks(c: _Checks, tree: YamlMap, national: Mapping[str, list[MaterialSpec]], defs: Sequence[Definition]
           ) -> dict[str, Mark]:
    raw = tree.get("marks")
    if raw is None:
        if "marks" in tree:
            c.add(tree.at("marks"), "marks 为空：不写 marks 或写明要标记的全国材料")
        return {}
    if not isinstance(raw, YamlMap):
        c.add(tree.at("marks"), "marks 应为映射：全国材料 id → {required: true, missing: block, needed_by: [...]}")
        return {}
    out: dict[str, Mark] = {}
    for mid, mark in raw.items():
        where = raw.at(mid)
        if mid not in national:
            c.add(where, f"marks 中的 {mid} 不是全国清单中的材料{suggest(mid, national)}")
            continue
        specs = national[mid]
        what = f"marks 中的“{specs[0].name}”（{mid}）"
        if mark is None or mark is False:
            c.add(where, f"乡镇材料清单不能删除全国清单中的材料：{what}")
            continue
        if not isinstance(mark, YamlMap):
            c.add(where, f"{what}应为映射：{{required: true, missing: block, needed_by: [...]}}")
            continue
        c.keys(mark, MARK_KEYS, (), what)
        required = mark.get("required")
        if "required" in mark:
            if not isinstance(required, bool):
                c.add(mark.at("required"), f"{what}的 required 应为 true 或 false，实际为 {required!r}")
                required = None
            elif required is False and any(s.required for s in specs):
                c.add(mark.at("required"), f"{what}在全国清单中是必需材料，乡镇清单不能把它改为非必需")
                required = None
        missing = mark.get("missing")
        if "missing" in mark:
            if missing not in MISSING_MODES:
                c.add(mark.at("missing"), f"{what}的 missing 应为 warn（缺少时提示）或 block（缺少时不能办理），实际为 {missing!r}")
                missing = None
            elif missing == "warn" and any(s.missing == "block" for s in specs):
                c.add(mark.at("missing"), f"{what}在全国清单中缺少即不能办理（block），乡镇清单不能把它放宽为只提示")
                missing = None
        own = specs[0].step
        having = [d for d in defs if d.has_step(own)] or list(defs)
        needed_by = c.steps_list(mark, "needed_by", what, having, own)
        if missing == "block" and not needed_by and not any(s.needed_by for s in specs):
            c.add(mark.at("missing"), f"{what}没有 needed_by：标为 block 时须同时写明缺少它时不能办理的步骤")
            missing = None
        out[mid] = Mark(required if isinstance(required, bool) else None, missing, needed_by)
    return out
