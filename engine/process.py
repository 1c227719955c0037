"""A definition compiled for fast use: step index, stage order and one shared state machine.

One `transitions.Machine(model=None)` per definition version serves every candidate (the library
maintainers' pattern for many objects): the stage lives on a tiny per-call model, so memory stays
flat however many candidates there are (see pitfalls.md: one machine per candidate costs ~50–400
KiB each and `add_model` is O(N²)).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from engine.errors import refuse
from engine.state import NEW
from workflows.model import Definition, StepSpec

if TYPE_CHECKING:
    from transitions import Machine

# Exceptional transitions: trigger -> (allowed source stages, destination). `None` as a source
# list means "every live stage"; destination None means the stage does not change.
_LIVE = ("applicant", "activist", "development_target", "probationary")
EXCEPTIONAL = {
    "withdraw": (("applicant", "activist", "development_target"), "withdrawn"),
    "not_selected": (("applicant", "activist"), "not_selected"),
    "disqualify": (("activist", "development_target"), "disqualified"),
    "reject": (("development_target",), "rejected"),
    "reconsider": (("rejected",), "development_target"),
    "cancel_probation": (("probationary",), "probation_cancelled"),
    "death": ((*_LIVE, "full_member", "rejected"), "deceased"),
    "transfer": ((*_LIVE, "rejected"), None),
    "transfer_out": ((*_LIVE, "rejected"), "transferred_out"),
}

# Chinese names of the exceptional actions, for messages.
ACTION_NAMES = {
    "withdraw": "撤回入党申请",
    "not_selected": "结束长期未被确定的申请",
    "disqualify": "取消入党积极分子/发展对象资格",
    "reject": "未通过",
    "reconsider": "重新列为发展对象",
    "cancel_probation": "取消预备党员资格",
    "death": "登记去世",
    "transfer": "转接组织关系（本系统内）",
    "transfer_out": "转出本系统",
    "migrate": "迁移流程版本",
    "submit": "报送上级党委",
    "return": "上级党委退回",
}


class _Token:
    """The per-call model the shared machine moves; it only carries the stage."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


@dataclass(frozen=True)
class Process:
    definition: Definition

    @cached_property
    def steps(self) -> dict[str, StepSpec]:
        return {s.id: s for s in self.definition.steps}

    @cached_property
    def stage_order(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.definition.stages)

    @cached_property
    def end_states(self) -> frozenset[str]:
        return frozenset(s.id for s in self.definition.end_states)

    def step_sources(self, step: StepSpec) -> list[str]:
        """Stages from which a step may be recorded.

        A stage-entering step needs the stage before it; any other step its own stage or a later
        live one (a filing recorded after the candidate moved on is still a fact).
        """
        order = self.stage_order
        if step.enters:
            i = order.index(step.enters)
            return [order[i - 1]] if i > 0 else [NEW]
        i = order.index(step.stage)
        return list(order[i:])

    @cached_property
    def step_index(self) -> tuple[tuple[StepSpec, frozenset[str], frozenset[str]], ...]:
        """(step, its prerequisites, stages it may be recorded from), for the hot loop in timing.

        The stages are the sources the machine's `step:<id>` transition is built from (`machine`
        below; tests/unit/test_engine_paths.py checks they agree): reading a candidate's next steps
        needs neither the state-machine library nor the machine (issue 19, CLI start)."""
        return tuple((s, frozenset(s.requires), frozenset(self.step_sources(s))) for s in self.definition.steps)

    @cached_property
    def step_stages(self) -> dict[str, frozenset[str]]:
        """Step id -> the stages it may be recorded from (`can(f"step:{id}", stage)` as a set)."""
        return {s.id: sources for s, _requires, sources in self.step_index}

    @cached_property
    def steps_from(self) -> dict[str, tuple[tuple[StepSpec, str, bool, frozenset[str]], ...]]:
        """(step, its id, repeatable, its prerequisites) of the steps that may be recorded from each
        stage, in step order: the outlook of a candidate looks at these few instead of all 25."""
        stages = {stage for _, _, sources in self.step_index for stage in sources}
        return {stage: tuple((s, s.id, s.repeatable, requires) for s, requires, sources in self.step_index
                             if stage in sources) for stage in stages}

    @cached_property
    def age_steps(self) -> frozenset[str]:
        """Steps with a person-level rule (the age rule): only they need the candidate's person row."""
        return frozenset(s.id for s in self.definition.steps if any(r.kind == "min_age" for r in s.rules))

    @cached_property
    def working_day_steps(self) -> frozenset[str]:
        """Steps with a guard counted in working days: only they can pass on a provisional calendar."""
        return frozenset(s.id for s in self.definition.steps if any(r.params.get("working_days") for r in s.rules))

    @cached_property
    def people_steps(self) -> frozenset[str]:
        """Steps whose evidence names people (sponsors, mentors) that rules look up."""
        return frozenset(s.id for s in self.definition.steps if any(f.type in ("people", "person") for f in s.evidence))

    @cached_property
    def resolution_for(self) -> dict[str, str]:
        """Approval step id -> the step whose resolution it approves (`outcome.approved_by`)."""
        return {s.outcome.approved_by: s.id for s in self.definition.steps
                if s.outcome is not None and s.outcome.approved_by}

    @cached_property
    def machine(self) -> Machine:
        from transitions import Machine

        states = [NEW, *self.stage_order, *self.end_states]
        transitions = []
        for step in self.definition.steps:
            transitions.append(
                {"trigger": f"step:{step.id}", "source": self.step_sources(step), "dest": step.enters}
            )
        for trigger, (sources, dest) in EXCEPTIONAL.items():
            transitions.append({"trigger": trigger, "source": [s for s in sources if s in states], "dest": dest})
        return Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=NEW,
            auto_transitions=False,
        )

    def can(self, trigger: str, stage: str) -> bool:
        event = self.machine.events.get(trigger)
        return bool(event) and stage in event.transitions

    @cached_property
    def _fired(self) -> dict[tuple[str, str], str]:
        return {}

    def fire(self, trigger: str, stage: str, what: str) -> str:
        """Move `stage` through `trigger`; a move the process does not allow is a Chinese error.

        Memoised per (trigger, stage): the machine has no conditions or callbacks, so they decide
        the destination (a refused move runs the machine, and raises, every time)."""
        key = (trigger, stage)
        dest = self._fired.get(key)
        if dest is None:
            dest = self._fired[key] = self._fire(trigger, stage, what)
        return dest

    def _fire(self, trigger: str, stage: str, what: str) -> str:
        from transitions import MachineError

        token = _Token(stage)
        try:
            self.machine.events[trigger].trigger(token)
        except MachineError:
            raise refuse(
                "stage",
                f"当前阶段为“{self.definition.stage_name(stage)}”，不能{what}",
            ) from None
        return token.state


_CACHE: dict[tuple[str, str], Process] = {}
_ATTR = "_partyflow_process"  # where process_for keeps the Process on the definition object


def process_for(definition: Definition) -> Process:
    """The compiled process of a definition, built once per version and shared.

    Called several times per step: the answer is also kept on the definition object itself (in
    its `__dict__`, as `cached_property` does on frozen dataclasses), so the usual call is one
    dict lookup instead of building the key (definition.key is a property)."""
    proc = definition.__dict__.get(_ATTR)
    if proc is None:
        key = (definition.key, definition.sha256)
        proc = _CACHE.get(key)
        if proc is None:
            proc = _CACHE[key] = Process(definition)
        definition.__dict__[_ATTR] = proc
    return proc
