"""Problems in a definition file, collected rather than raised one by one.

Why collect: an administrator who edits a definition must see every mistake at once, each with its
file and line and in Chinese. Why the log knows what an override removed: a reference to a step or
field that a patch deleted is a mistake of the deletion, so it is reported at the deletion's line.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable

Origin = tuple[str, int]  # (file, line) where something was written


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str  # Chinese, for the administrator who edits the file

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DefinitionError(ValueError):
    """A definition file is wrong. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemLog:
    """The problems of loading one file, each once; knows what an override removed, to blame it."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.removed_steps: dict[str, Origin] = {}
        self.removed_fields: dict[tuple[str, str], Origin] = {}
        self.step_ids: list[str] = []  # for "did you mean" suggestions, once known

    def add(self, origin: Origin, message: str) -> None:
        p = Problem(origin[0], origin[1], message)
        if p not in self.problems:
            self.problems.append(p)

    def missing_step(self, origin: Origin, what: str, target: Any) -> None:
        """A reference to a missing step; if an override deleted it, blame the deletion."""
        if isinstance(target, str) and target in self.removed_steps:
            self.add(self.removed_steps[target], f"删除了步骤 {target}，但{what}仍引用它")
        else:
            self.add(origin, f"{what}引用了不存在的步骤 {target}{suggest(target, self.step_ids)}")

    def missing_field(self, origin: Origin, what: str, step_id: str, name: Any, known: Iterable[str]) -> None:
        """A reference to a missing evidence field of `step_id`; blame its deletion if there was one."""
        if isinstance(name, str) and (step_id, name) in self.removed_fields:
            self.add(self.removed_fields[(step_id, name)], f"删除了步骤 {step_id} 的证据字段 {name}，但{what}仍引用它")
        else:
            self.add(origin, f"{what}引用了不存在的证据字段 {name}{suggest(name, known)}")


def suggest(word: Any, options: Iterable[str]) -> str:
    """A "did you mean" hint for a misspelt name, or "" when nothing is close."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.75)
    return f"（是否为 {close[0]}？）" if close else ""
