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
def _organised() -> frozenset[str]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8")) or {}
    return frozenset(data.get("organised_by_committee") or ())


def is_reviewed(step: StepSpec) -> bool:
    """A step the branch sends up (报送) and the committee approves or returns."""
    return step.actor in HIGHER_ACTORS and step.id not in _organised()


def reviewed_steps(defn: Definition) -> list[StepSpec]:
    return [s for s in defn.steps if is_reviewed(s)]
