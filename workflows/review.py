"""Which steps go through the review loop (workflows/review.yaml): the higher committee's steps,
except those it organises itself."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from engine.review import HIGHER_ACTORS
from workflows.model import Definition, StepSpec

_FILE = Path(__file__).with_name("review.yaml")


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(_FILE.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def _organised() -> frozenset[str]:
    return frozenset(_data().get("organised_by_committee") or ())


@lru_cache(maxsize=1)
def _filing_words() -> tuple[str, ...]:
    return tuple(_data().get("filing_names_end_with") or ())


def is_filing(step: StepSpec) -> bool:
    """A step the committee files (备案), not approves: its name ends with a word review.yaml lists."""
    return bool(_filing_words()) and step.name.endswith(_filing_words())


def verb(step: StepSpec) -> str:
    """What the committee does with a sent-up step, as its buttons and messages say it."""
    return "备案" if is_filing(step) else "审批"


def is_reviewed(step: StepSpec) -> bool:
    """A step the branch sends up (报送) and the committee approves or returns."""
    return reviewed(step.id, step.actor)


def reviewed(step_id: str, actor: str) -> bool:
    """`is_reviewed` from a step's id and actor (what worklist items carry)."""
    return actor in HIGHER_ACTORS and step_id not in _organised()


def approval_href(candidate_id: int, step_id: str) -> str:
    """Where the committee records a step that goes through the review loop (with its opinion)."""
    return f"/queue/approve?candidate_id={candidate_id}&step={step_id}"


def reviewed_steps(defn: Definition) -> list[StepSpec]:
    return [s for s in defn.steps if is_reviewed(s)]
