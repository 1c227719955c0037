"""Checks of a merged definition tree, and the frozen `Definition` built from it.

Why checking and building are one pass: each check reads the values the previous ones have turned
into model objects (a rule's field parameter is checked against the step's `FieldSpec`s), and
every problem is collected, never raised, so the administrator sees all of them at once. The
`requires` graph is checked once every step has been read.
"""
from __future__ import annotations

import string
from types import MappingProxyType
from typing import Any, Mapping

from workflows.model import (
    COMPUTED_ANCHORS,
    FIELD_TYPES,
    RULE_KINDS,
    Citation,
    Definition,
    FieldSpec,
    Outcome,
    RuleSpec,
    StageSpec,
    StepSpec,
)
from workflows.problems import Origin, ProblemLog, suggest
from workflows.requires_graph import Prerequisites, find_cycles
from workflows.schema import (
    ARTICLE_KEYS,
    FIELD_KEYS,
    FIELD_PARAM_TYPES,
    ID_RE,
    ONE_INTERVAL_UNIT,
    OUTCOME_EFFECTS,
    OUTCOME_KEYS,
    OUTCOME_NEGATIVES,
    PARAM_KIND_TYPE,
    PARAM_TYPE,
    PARAM_TYPE_NAMES,
    PROBATION_KEYS,
    RECURRING_PERIODS,
    REQUIRED_PARAMS,
    RULE_NON_PARAMS,
    STEP_KEYS,
    STEP_REQUIRED,
    TOP_KEYS,
    TOP_REQUIRED,
)
from workflows.value_checks import ValueChecks
from workflows.yaml_source import YamlList, YamlMap, is_int


def validate(tree: YamlMap, log: ProblemLog, source: str) -> Definition | None:
    """The definition `tree` describes, or None when `log` holds a problem (of the tree or earlier)."""
    return Validator(tree, log, source).run()


class Validator(ValueChecks):
    """One pass over the merged tree: each part is checked, then built from what it checked."""

    def __init__(self, tree: YamlMap, log: ProblemLog, source: str):
        super().__init__(log)
        self.tree, self.source = tree, source
        self.anchor_uses: list[tuple[str, str, Any, Origin, str]] = []  # (step, param, anchor, origin, what)
        self.broken: set[str] = set()  # steps whose requires name a missing step
        self.step_maps: dict[str, YamlMap] = {}  # by id, the first step of each id
        self.stage_ids: set[str] = set()
        self.roles_ids: set[str] = set()
        self.prerequisites = Prerequisites({})

    # --- the whole definition -------------------------------------------------------------

    def run(self) -> Definition | None:
        t, what = self.tree, "定义"
        self.keys(t, TOP_KEYS, TOP_REQUIRED, what)
        did = self.ident(t, "id", what)
        version = self.nat(t, "version", what, positive=True)
        title = self.text(t, "title", what)
        eff = self.date_value(t, "effective_from", what) if "effective_from" in t else None
        local = self.flag(t, "local", what)
        roles = self.roles(t)
        stages = self.stage_list(t, "stages")
        end_states = self.stage_list(t, "end_states")
        seen: set[str] = set()
        for key, items in (("stages", stages), ("end_states", end_states)):
            for s in items:
                if s.id in seen:
                    self.add(t.at(key), f"阶段/结束状态 id {s.id} 重复")
                seen.add(s.id)
        self.stage_ids = {s.id for s in stages}
        self.roles_ids = set(roles)

        raw_steps = t.get("steps") if isinstance(t.get("steps"), YamlList) else YamlList(t.at("steps"))
        numbers: dict[int, str] = {}
        for s in raw_steps:
            sid = s.get("id")
            if not isinstance(sid, str):
                continue
            if sid in self.step_maps:
                self.add(s.at("id"), f"步骤 id {sid} 重复（第{self.step_maps[sid].at('id')[1]}行已定义）")
                continue
            self.step_maps[sid] = s
            n = s.get("number")
            if is_int(n):
                if n in numbers:
                    self.add(s.at("number"), f"步骤编号 {n} 重复：{numbers[n]} 与 {sid}")
                else:
                    numbers[n] = sid
        self.log.step_ids = list(self.step_maps)

        steps = [self.step(s) for s in raw_steps]
        self.approvals(steps)
        if not self.cycles():
            self.anchors()  # prerequisites are only defined without a cycle

        reopens = self.step_refs(t, "reconsider_reopens", "reconsider_reopens ")
        probation = self.probation(t)
        if not raw_steps and "steps" in t:
            self.add(t.at("steps"), "定义没有任何步骤")

        if self.log.problems:
            return None
        return Definition(
            id=did,
            version=version,
            title=title,
            effective_from=eff,
            stages=tuple(stages),
            end_states=tuple(end_states),
            roles=MappingProxyType(dict(roles)),
            steps=tuple(steps),
            reconsider_reopens=tuple(reopens),
            probation_after=probation[0],
            probation_months=probation[1],
            probation_citation=probation[2],
            extends=t.get("extends"),
            local=local,
            source=self.source,
        )

    def roles(self, t: YamlMap) -> dict[str, str]:
        r = t.get("roles")
        if "roles" not in t:
            return {}
        if not isinstance(r, YamlMap):
            self.add(t.at("roles"), "roles 应为映射：角色 id → 中文名称")
            return {}
        out = {}
        for k, v in r.items():
            if not ID_RE.match(k):
                self.add(r.at(k), f"角色 id {k} 应为小写英文标识")
            if not isinstance(v, str) or not v.strip():
                self.add(r.at(k), f"角色 {k} 的中文名称不能为空")
                continue
            out[k] = v
        return out

    def stage_list(self, t: YamlMap, key: str) -> list[StageSpec]:
        if key not in t:
            return []
        v = t[key]
        if not isinstance(v, YamlList):
            self.add(t.at(key), f"{key} 应为列表，每项为 {{id, name}}")
            return []
        out = []
        for i, s in enumerate(v):
            if not isinstance(s, YamlMap):
                self.add(v.at(i), f"{key} 的第 {i + 1} 项应为 {{id, name}}")
                continue
            what = f"{key} 的第 {i + 1} 项"
            self.keys(s, {"id", "name"}, ("id", "name"), what)
            sid, name = self.ident(s, "id", what), self.text(s, "name", what)
            if sid and name:
                out.append(StageSpec(sid, name))
        return out

    def step_refs(self, m: YamlMap, key: str, what: str) -> list[str]:
        if key not in m:
            return []
        v = m[key]
        if not isinstance(v, YamlList):
            self.add(m.at(key), f"{what}应为步骤 id 列表")
            return []
        out = []
        for i, x in enumerate(v):
            if x not in self.step_maps:
                self.log.missing_step(v.at(i), what, x)
                self.broken.add(m.get("id"))
            elif x in out:
                self.add(v.at(i), f"{what}中步骤 {x} 重复")
            else:
                out.append(x)
        return out

    def probation(self, t: YamlMap) -> tuple[str, int, Citation]:
        d = Definition.__dataclass_fields__
        default = (d["probation_after"].default, d["probation_months"].default, d["probation_citation"].default)
        p = t.get("probation")
        if "probation" not in t:
            return default
        what = "probation（预备期）"
        if not isinstance(p, YamlMap):
            self.add(t.at("probation"), f"{what}应为映射 {{after, months, article, confidence}}")
            return default
        self.keys(p, PROBATION_KEYS, ("after", "months"), what)
        after = p.get("after", default[0])
        uses_end = any(a in COMPUTED_ANCHORS for _, _, a, _, _ in self.anchor_uses)
        if after not in self.step_maps and ("after" in p and uses_end):
            # only the computed anchor probation_end reads it; a definition without probation may omit it
            self.log.missing_step(p.at("after"), f"{what}的 after ", after)
        months = self.nat(p, "months", what, positive=True) or default[1]
        cit = self.citation(p, "article", what, require=True)
        return after, months, cit

    # --- steps ----------------------------------------------------------------------------

    def step(self, s: YamlMap) -> StepSpec:
        sid = s.get("id") if isinstance(s.get("id"), str) else "?"
        what = f"步骤 {sid} "
        self.keys(s, STEP_KEYS, STEP_REQUIRED, what)
        self.ident(s, "id", what)
        number = self.nat(s, "number", what, positive=True)
        name = self.text(s, "name", what)
        stage, actor = s.get("stage"), s.get("actor")
        if "stage" in s and stage not in self.stage_ids:
            self.add(s.at("stage"), f"{what}的 stage 引用了未知的阶段 {stage}{suggest(stage, self.stage_ids)}")
        if "actor" in s and actor not in self.roles_ids:
            self.add(s.at("actor"), f"{what}的 actor 引用了未定义的角色 {actor}{suggest(actor, self.roles_ids)}")
        enters = s.get("enters")
        if enters is not None and enters not in self.stage_ids:
            self.add(s.at("enters"), f"{what}的 enters 引用了未知的阶段 {enters}{suggest(enters, self.stage_ids)}")
        requires = self.step_refs(s, "requires", f"{what}的 requires ")
        if sid in requires:
            self.add(s.at("requires"), f"{what}不能依赖自己")
        citation = Citation("")
        if "article" in s:
            a = s["article"]
            if isinstance(a, YamlMap):
                self.keys(a, ARTICLE_KEYS, ("number",), f"{what}的 article ")
                citation = self.citation(a, "number", f"{what}的 article ", require=False)
            else:
                self.add(s.at("article"), f"{what}的 article 应为映射 {{number: 第X条, confidence: V}}")
        evidence = self.evidence(s, sid, what)
        by_name = {f.name: f for f in evidence}
        rules = [self.rule(r, s.get("rules").at(i), sid, by_name) for i, r in enumerate(s.get("rules") or ())]
        seen: set[Any] = set()
        for r in s.get("rules") or ():
            rid = r.get("id")
            if rid in seen:
                self.add(r.at("id"), f"{what}中规则 id {rid} 重复，请用 id 给规则起不同的名字")
            seen.add(rid)
        outcome = self.outcome(s, sid, what, by_name)
        repeatable = self.flag(s, "repeatable", what)
        optional = self.flag(s, "optional", what)
        return StepSpec(
            id=sid,
            number=number or 0,
            name=name or "",
            stage=stage,
            actor=actor,
            requires=tuple(requires),
            enters=enters,
            evidence=tuple(evidence),
            rules=tuple(r for r in rules if r is not None),
            citation=citation,
            outcome=outcome,
            repeatable=repeatable,
            optional=optional,
            line=s.origin[1],
        )

    def evidence(self, s: YamlMap, sid: str, what: str) -> list[FieldSpec]:
        fields = s.get("evidence")
        if fields is None:
            return []
        out: list[FieldSpec] = []
        for i, f in enumerate(fields):
            fname = f.get("name") if isinstance(f.get("name"), str) else f"#{i + 1}"
            fwhat = f"步骤 {sid} 的证据字段 {fname} "
            self.keys(f, FIELD_KEYS, ("name", "type", "label"), fwhat)
            self.ident(f, "name", fwhat)
            if any(x.name == fname for x in out):
                self.add(fields.at(i), f"步骤 {sid} 的证据字段 {fname} 重复")
            ftype = f.get("type")
            if "type" in f and ftype not in FIELD_TYPES:
                self.add(f.at("type"), f"{fwhat}的 type 是未知的字段类型 {ftype}（可用：{'、'.join(sorted(FIELD_TYPES))}）")
            label = self.text(f, "label", fwhat) or ""
            required = self.flag(f, "required", fwhat, default=True)
            choices: tuple[str, ...] = ()
            if ftype == "choice":
                c = f.get("choices")
                if not isinstance(c, YamlList) or not c or not all(isinstance(x, str) and x for x in c):
                    self.add(f.at("choices") if "choices" in f else f.origin, f"{fwhat}是 choice 类型，须给出 choices 文字列表")
                elif len(set(c)) != len(c):
                    self.add(f.at("choices"), f"{fwhat}的 choices 有重复项")
                else:
                    choices = tuple(c)
            elif "choices" in f:
                self.add(f.at("choices"), f"{fwhat}不是 choice 类型，不能有 choices")
            labels: dict[str, str] = {}
            if "choice_labels" in f:
                cl = f.get("choice_labels")
                if not isinstance(cl, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in cl.items()):
                    self.add(f.at("choice_labels"), f"{fwhat}的 choice_labels 须为“选项: 中文名称”的映射")
                else:
                    unknown = [k for k in cl if k not in choices]
                    if unknown:
                        self.add(f.at("choice_labels"), f"{fwhat}的 choice_labels 含有不在 choices 中的选项：{'、'.join(unknown)}")
                    labels = {str(k): str(v) for k, v in cl.items()}
            lo, hi = self.nat(f, "min_items", fwhat), self.nat(f, "max_items", fwhat)
            if ("min_items" in f or "max_items" in f) and ftype != "people":
                self.add(f.at("min_items") if "min_items" in f else f.at("max_items"), f"{fwhat}只有 people 类型才能设 min_items/max_items")
            if lo is not None and hi is not None and lo > hi:
                self.add(f.at("min_items"), f"{fwhat}的 min_items（{lo}）大于 max_items（{hi}）")
            vmin, vmax = self.nat(f, "min", fwhat), self.nat(f, "max", fwhat)
            if ("min" in f or "max" in f) and ftype != "int":
                self.add(f.at("min") if "min" in f else f.at("max"), f"{fwhat}只有 int 类型才能设 min/max")
            if vmin is not None and vmax is not None and vmin > vmax:
                self.add(f.at("min"), f"{fwhat}的 min（{vmin}）大于 max（{vmax}）")
            out.append(FieldSpec(fname, ftype, label, required, choices, lo, hi, labels, vmin, vmax))
        return out

    def outcome(self, s: YamlMap, sid: str, what: str, fields: Mapping[str, FieldSpec]) -> Outcome | None:
        if "outcome" not in s:
            return None
        o = s["outcome"]
        owhat = f"{what}的 outcome "
        if not isinstance(o, YamlMap):
            self.add(s.at("outcome"), f"{owhat}应为映射 {{field, positive, negative, effects}}")
            return None
        self.keys(o, OUTCOME_KEYS, ("field",), owhat)
        name = o.get("field")
        f = fields.get(name) if isinstance(name, str) else None
        if "field" in o and f is None:
            self.log.missing_field(o.at("field"), owhat, sid, name, fields)
        elif f is not None and f.type not in ("bool", "choice", "vote"):
            self.add(o.at("field"), f"{owhat}的字段 {name} 类型为 {f.type}，应为 bool、choice 或 vote")
        positive: tuple[Any, ...] = (True,)
        if "positive" in o:
            p = o["positive"]
            if not isinstance(p, YamlList) or not p:
                self.add(o.at("positive"), f"{owhat}的 positive 应为非空列表")
            else:
                positive = tuple(p)
                if f is not None and f.type == "choice":
                    for x in p:
                        if x not in f.choices:
                            self.add(o.at("positive"), f"{owhat}的 positive 值 {x} 不在字段 {name} 的 choices 中")
                elif f is not None and f.type == "bool" and not all(isinstance(x, bool) for x in p):
                    self.add(o.at("positive"), f"{owhat}的 positive 应为 true/false")
        elif f is not None and f.type == "choice":
            self.add(o.origin, f"{owhat}的字段 {name} 是 choice 类型，须用 positive 列出算作通过的选项")
        negative = o.get("negative", "stay")
        if negative not in OUTCOME_NEGATIVES:
            self.add(o.at("negative"), f"{owhat}的 negative 应为 stay 或 rejected，实际为 {negative!r}")
        effects: dict[str, str] = {}
        if "effects" in o:
            e = o["effects"]
            if not isinstance(e, YamlMap):
                self.add(o.at("effects"), f"{owhat}的 effects 应为映射：选项 → 效果")
            else:
                for k, v in e.items():
                    if v not in OUTCOME_EFFECTS:
                        self.add(e.at(k), f"{owhat}的效果 {v!r} 未知（可用：{'、'.join(OUTCOME_EFFECTS)}）")
                    if f is not None and f.type == "choice" and k not in f.choices:
                        self.add(e.at(k), f"{owhat}的 effects 选项 {k} 不在字段 {name} 的 choices 中")
                    effects[k] = v
        approved_by = o.get("approved_by")
        if "approved_by" in o and (not isinstance(approved_by, str) or approved_by not in self.step_maps):
            self.log.missing_step(o.at("approved_by"), f"{owhat}的 approved_by ", approved_by)
            approved_by = None
        means = o.get("means", "")
        if not isinstance(means, str):
            self.add(o.at("means"), f"{owhat}的 means 应为文字（未通过意味着什么，如“政审不合格的，不能发展入党”）")
            means = ""
        return Outcome(name, positive, negative, MappingProxyType(effects), approved_by, means.strip())

    def approvals(self, steps: list[StepSpec | None]) -> None:
        """A resolution (`outcome.approved_by`) is approved by a later step that needs it and
        decides yes or no (a bool outcome); one step approves at most one resolution."""
        by_id = {s.id: s for s in steps if s is not None}
        approvers: dict[str, str] = {}
        for s in by_id.values():
            target = s.outcome.approved_by if s.outcome is not None else None
            if target is None or target not in by_id:
                continue
            where = self.step_maps[s.id]["outcome"].at("approved_by")
            approver = by_id[target]
            spec = approver.field(approver.outcome.field) if approver.outcome is not None else None
            if s.id not in approver.requires:
                self.add(where, f"步骤 {s.id} 的决议由 {target} 批准，但 {target} 的 requires 中没有 {s.id}")
            elif spec is None or spec.type != "bool":
                self.add(where, f"批准决议的步骤 {target} 须有是否批准的 outcome（bool 字段）")
            elif target in approvers:
                self.add(where, f"步骤 {target} 已批准 {approvers[target]} 的决议，不能再批准 {s.id} 的决议")
            elif approver.repeatable:
                self.add(where, f"批准决议的步骤 {target} 不能是可重复的步骤")
            approvers[target] = s.id
            field = s.field(s.outcome.field)
            for r in approver.rules:
                unknown = [v for v in r.params.get("when_resolved") or () if field is None or v not in field.choices]
                if unknown:
                    self.add(where, f"步骤 {target} 的规则 {r.id} 的 when_resolved 含有步骤 {s.id} 决议中没有的选项："
                                    f"{'、'.join(map(str, unknown))}")

    def rule(self, r: YamlMap, origin: Origin, sid: str, fields: Mapping[str, FieldSpec]) -> RuleSpec | None:
        rid = r.get("id", "?")
        what = f"步骤 {sid} 的规则 {rid} "
        kind = r.get("kind")
        if "kind" not in r:
            self.add(r.origin, f"{what}缺少必填的键 kind")
            return None
        if kind not in RULE_KINDS:
            self.add(r.at("kind"), f"{what}的 kind 是未知的规则类型 {kind}{suggest(kind, RULE_KINDS)}")
            return None
        allowed = RULE_KINDS[kind]
        if not isinstance(rid, str) or not rid:
            self.add(r.at("id"), f"{what}的 id 应为文字")
        params: dict[str, Any] = {}
        for k, v in r.items():
            if k in RULE_NON_PARAMS:
                continue
            if k not in allowed:
                self.add(r.at(k), f"{what}的参数 {k} 不适用于 {kind} 规则（可用：{'、'.join(sorted(allowed))}）")
                continue
            params[k] = self.param(r, k, v, kind, what, sid, fields)
        for k in REQUIRED_PARAMS.get(kind, ()):
            if k in allowed and k not in r:
                self.add(r.origin, f"{what}缺少参数 {k}")
        units = [k for k in ONE_INTERVAL_UNIT.get(kind, ()) if k in r]
        if kind in ONE_INTERVAL_UNIT and len(units) != 1:
            opts = "、".join(ONE_INTERVAL_UNIT[kind])
            self.add(r.origin, f"{what}须且只能指定一个时长（{opts} 之一），实际为 {'、'.join(units) or '无'}")
        if kind == "public_notice" and units and is_int(r.get(units[0])) and r[units[0]] < 1:
            self.add(r.at(units[0]), f"{what}的公示时长须至少为 1")
        if kind == "due_within" and ("max_months" in r) != ("reason_field" in r):
            self.add(r.origin, f"{what}的 max_months（特殊情况上限）须与 reason_field（记录原因的字段）一起使用")
        for lo_key, hi_key in (("min", "max"), ("min_months", "max_months"), ("months", "max_months")):
            lo, hi = r.get(lo_key), r.get(hi_key)
            if kind in ("count", "extension", "due_within") and is_int(lo) and is_int(hi) and lo > hi:
                self.add(r.at(lo_key), f"{what}的 {lo_key}（{lo}）大于 {hi_key}（{hi}）")
        if kind == "count" and "min" not in r and "max" not in r:
            self.add(r.origin, f"{what}至少要有 min 或 max")
        citation = self.citation(r, "article", what, require=True)
        message = r.get("message")
        if message is not None:
            if not isinstance(message, str) or not message.strip():
                self.add(r.at("message"), f"{what}的 message 应为非空文字")
                message = None
            else:
                try:
                    list(string.Formatter().parse(message))
                except ValueError as e:
                    self.add(r.at("message"), f"{what}的 message 格式有误（花括号不配对？）：{e}")
        return RuleSpec(
            kind=kind,
            params=MappingProxyType(params),
            citation=citation,
            message=message,
            line=origin[1],
            id=rid if isinstance(rid, str) else kind,
        )

    def param(self, r: YamlMap, k: str, v: Any, kind: str, what: str, sid: str, fields: Mapping[str, FieldSpec]) -> Any:
        o = r.at(k)
        if (kind, k) in FIELD_PARAM_TYPES or k.endswith("field"):
            f = fields.get(v) if isinstance(v, str) else None
            if f is None:
                self.log.missing_field(o, what, sid, v, fields)
            elif (kind, k) in FIELD_PARAM_TYPES and f.type not in FIELD_PARAM_TYPES[(kind, k)]:
                want = "、".join(sorted(FIELD_PARAM_TYPES[(kind, k)]))
                self.add(o, f"{what}的参数 {k} 引用的证据字段 {v} 类型为 {f.type}，应为 {want}")
            return v
        t = PARAM_KIND_TYPE.get((kind, k)) or PARAM_TYPE.get(k)
        if t == "signed" and not is_int(v):
            self.add(o, f"{what}的参数 {k} 应为{PARAM_TYPE_NAMES[t]}，实际为 {v!r}")
        if t == "anchor":
            if v not in self.step_maps and v not in COMPUTED_ANCHORS:
                self.log.missing_step(o, what, v)
            else:
                self.anchor_uses.append((sid, k, v, o, what))
            return v
        if t == "periods":
            every = r.get("every_months")
            if v not in RECURRING_PERIODS:
                self.add(o, f"{what}的参数 {k} 应为{PARAM_TYPE_NAMES[t]}，实际为 {v!r}")
            elif v == "calendar" and is_int(every) and every > 0 and 12 % every:
                self.add(o, f"{what}按自然周期计时，every_months 须能整除 12（如 3 为季度、6 为半年），实际为 {every}")
            return v
        if t in ("int", "pos") and (not is_int(v) or v < (1 if t == "pos" else 0)):
            self.add(o, f"{what}的参数 {k} 应为{PARAM_TYPE_NAMES[t]}，实际为 {v!r}")
        if t == "days":
            if not isinstance(v, YamlList) or not all(is_int(x) and x > 0 for x in v):
                self.add(o, f"{what}的参数 {k} 应为{PARAM_TYPE_NAMES[t]}（提前几天提醒），实际为 {v!r}")
                return v
            return tuple(v)
        if isinstance(v, list):
            return tuple(v)
        return v

    # --- graph ----------------------------------------------------------------------------

    def cycles(self) -> bool:
        """Report every cycle in `requires` with its path; True if there is one."""
        graph = {sid: [x for x in (s.get("requires") or ()) if x in self.step_maps] if isinstance(s.get("requires"), list) else []
                 for sid, s in self.step_maps.items()}
        cycles = find_cycles(graph)
        for cycle in cycles:
            first = self.step_maps[cycle[0]]
            self.add(first.at("requires"), f"requires 形成循环：{' → '.join(cycle)}（箭头表示“依赖”）")
        self.prerequisites = Prerequisites(graph)
        return bool(cycles)

    def chain_broken(self, sid: str) -> bool:
        return sid in self.broken or any(a in self.broken for a in self.prerequisites.of(sid))

    def anchors(self) -> None:
        """An interval counted from a step that is not a prerequisite may have no date yet: refuse it."""
        for sid, key, anchor, origin, what in self.anchor_uses:
            if key != "after" or anchor in COMPUTED_ANCHORS or self.chain_broken(sid):
                continue  # a broken requires chain is reported already
            if anchor not in self.prerequisites.of(sid):
                self.add(origin, f"{what}从步骤 {anchor} 起算，但它不是步骤 {sid} 的前置步骤（requires 链上没有），办理时可能还没有日期")
