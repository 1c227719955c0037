"""The facts a guard looks at."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from engine.context import Context
from engine.process import Process
from engine.state import CandidateState
from workflows.model import RuleSpec, StepSpec


@dataclass(slots=True)  # one per step (slots, no frozen __setattr__): treat as immutable
class Check:
    proc: Process
    step: StepSpec
    state: CandidateState  # before the step
    occurred_on: date
    evidence: Mapping[str, Any]  # normalised (dates as ISO strings)
    ctx: Context

    def message(self, rule: RuleSpec, default: str, **values: Any) -> str:
        """The rule's own message from the definition if it has one, else `default`.

        Both are `str.format` templates over the rule's parameters and `values`; the article is
        appended when the text does not already name it.
        """
        params = {**dict(rule.params), **values}
        text = default
        for template in filter(None, (rule.message, default)):
            try:
                text = template.format(**params)
                break
            except (KeyError, IndexError, ValueError):
                continue
        label = rule.citation.label()
        if rule.citation.article and rule.citation.article in text:
            return text
        return f"{text}（{label}）"
