"""The domain: the process as a state machine, its rules, its dates. Pure — no SQL, no HTTP, no clock.

Read in this order: `commands` (what users ask), `decide` (guards → event → new state), `apply`
(folding events, also `replay`), `timing` (earliest/due dates), `rules/` (one small function per rule).
"""
from engine.apply import apply, effective_events, replay
from engine.commands import Command, CompleteStep, Correct, Exceptional, Migrate, Void
from engine.context import Context, PersonFacts
from engine.decide import Decision, decide, register
from engine.errors import DomainError, Violation
from engine.milestones import Milestones, Tenure, branch_history, milestones
from engine.process import Process, process_for
from engine.state import CandidateState, Event
from engine.timing import Deadline, StepOutlook, deadlines, outlook

__all__ = [
    "apply", "effective_events", "replay", "Command", "CompleteStep", "Correct", "Exceptional", "Migrate",
    "Void", "Milestones", "Tenure", "branch_history", "milestones", "Context", "PersonFacts", "Decision", "decide", "register", "DomainError", "Violation", "Process",
    "process_for", "CandidateState", "Event", "Deadline", "StepOutlook", "deadlines", "outlook",
]
