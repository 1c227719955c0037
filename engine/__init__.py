"""The domain: the process as a state machine, its rules, its dates. Pure — no SQL, no HTTP, no clock.

Read in this order: `commands` (what users ask), `decide` (guards → event → new state), `apply`
(folding events, also `replay`), `timing` (earliest/due dates), `rules/` (one small function per rule).

The names below are loaded on first use (PEP 562): `from engine import outlook` imports
`engine.timing` alone, so a command that reads one candidate does not load every module of the
engine (issue 19, CLI start). `apply`, `decide` and `milestones` are functions of the modules of
the same names: `engine.apply` is the function, as it always was, also after the module
`engine.apply` has been imported.
"""
import sys
from types import ModuleType

from engine.lazy_names import lazy_names

_SOURCES = {
    "engine.apply": ("apply", "effective_events", "replay"),
    "engine.commands": ("Command", "CompleteStep", "Correct", "Exceptional", "Migrate", "Void"),
    "engine.context": ("Context", "PersonFacts"),
    "engine.decide": ("Decision", "decide", "register"),
    "engine.errors": ("DomainError", "Violation"),
    "engine.milestones": ("Milestones", "Tenure", "branch_history", "milestones"),
    "engine.process": ("Process", "process_for"),
    "engine.state": ("CandidateState", "Event"),
    "engine.timing": ("Deadline", "StepOutlook", "deadlines", "outlook"),
}
__all__ = [
    "apply", "effective_events", "replay", "Command", "CompleteStep", "Correct", "Exceptional", "Migrate",
    "Void", "Milestones", "Tenure", "branch_history", "milestones", "Context", "PersonFacts", "Decision", "decide", "register", "DomainError", "Violation", "Process",
    "process_for", "CandidateState", "Event", "Deadline", "StepOutlook", "deadlines", "outlook",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)


class _Engine(ModuleType):
    """Importing the module `engine.apply` binds it as the package's attribute `apply`; the
    package's `apply` is the function (a name of `__all__`), so such a binding is not kept."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, ModuleType) and name in __all__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine
