"""Checks of one value in a definition tree: known keys, text, identifiers, flags, numbers, dates, citations.

Why apart: every part of a definition (the top, a step, a field, a rule, the probation) uses the
same few checks; each reports a problem at the value's own line and returns what it could read
(or a fallback), so validation goes on and every mistake is reported at once.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterable

from workflows.model import Citation
from workflows.problems import ProblemLog, suggest
from workflows.schema import ARTICLE_RE, CONFIDENCE, ID_RE
from workflows.yaml_source import YamlMap, is_int


class ValueChecks:
    """Each check takes the mapping, the key, and `what`: the Chinese name of the mapping for messages."""

    def __init__(self, log: ProblemLog):
        self.log = log
        self.add = log.add

    def keys(self, m: YamlMap, allowed: Iterable[str], required: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        for k in m:
            if k not in allowed:
                self.add(m.at(k), f"{what}有未知的键 {k}{suggest(k, allowed)}")
        for k in required:
            if k not in m:
                self.add(m.origin, f"{what}缺少必填的键 {k}")

    def text(self, m: YamlMap, key: str, what: str) -> str | None:
        if key not in m:
            return None
        v = m[key]
        if not isinstance(v, str) or not v.strip():
            self.add(m.at(key), f"{what}的 {key} 应为非空文字，实际为 {v!r}")
            return None
        return v

    def ident(self, m: YamlMap, key: str, what: str) -> str | None:
        v = m.get(key)
        if key in m and (not isinstance(v, str) or not ID_RE.match(v)):
            self.add(m.at(key), f"{what}的 {key} 应为小写英文标识（如 first_talk），实际为 {v!r}")
            return None
        return v if key in m else None

    def flag(self, m: YamlMap, key: str, what: str, default: bool = False) -> bool:
        if key not in m:
            return default
        if not isinstance(m[key], bool):
            self.add(m.at(key), f"{what}的 {key} 应为 true 或 false，实际为 {m[key]!r}")
            return default
        return m[key]

    def nat(self, m: YamlMap, key: str, what: str, positive: bool = False) -> int | None:
        if key not in m:
            return None
        v = m[key]
        if not is_int(v) or v < (1 if positive else 0):
            self.add(m.at(key), f"{what}的 {key} 应为{'正' if positive else '非负'}整数，实际为 {v!r}")
            return None
        return v

    def citation(self, m: YamlMap, number_key: str, what: str, require: bool) -> Citation:
        """A citation; `require`: a rule must cite an article unless it is local practice (L)."""
        art = m.get(number_key, "")
        if not isinstance(art, str):
            self.add(m.at(number_key), f"{what}的条文编号应为文字（如 第十三条），实际为 {art!r}")
            art = ""
        art = art.strip()
        conf = m.get("confidence")
        if "confidence" not in m:
            self.add(m.origin, f"{what}缺少可信度标记 confidence（V、W、R 或 L）")
            conf = "R"
        elif conf not in CONFIDENCE:
            self.add(m.at("confidence"), f"{what}的 confidence 应为 V、W、R 或 L，实际为 {conf!r}")
            conf = "R"
        if art and not ARTICLE_RE.match(art):
            self.add(m.at(number_key), f"{what}的条文编号应写成“第X条”，实际为 {art!r}（多个条文请写在 note 中）")
        if require and not art and conf != "L":
            self.add(m.at(number_key) if number_key in m else m.origin,
                     f"{what}没有引用条文；非本地做法的规则必须写 {number_key}（本地做法请标 confidence: L）")
        note = m.get("note", "")
        if not isinstance(note, str):
            self.add(m.at("note"), f"{what}的 note 应为文字")
            note = ""
        source = m.get("source", "")
        if not isinstance(source, str):
            self.add(m.at("source"), f"{what}的 source 应为文字（核对所依据的文本出处）")
            source = ""
        return Citation(art, conf, self.flag(m, "unverified", what), note, source.strip())

    def date_value(self, m: YamlMap, key: str, what: str) -> date | None:
        v = m.get(key)
        if isinstance(v, date):
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                pass
        self.add(m.at(key), f"{what}的 {key} 不是有效日期：{v!r}（应为 YYYY-MM-DD）")
        return None
