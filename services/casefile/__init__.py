"""One candidate's file as its page shows it: what to do now first (the next steps with their
earliest and due dates and the rules behind them), the log grouped by stage, and whether a step may
be recorded today (the step form's gate).

Everything here reads `services.worklist.reads.step_table` (the engine's outlook: the same dates and
articles `partyflow show` prints) and the user's `Principal`; no rule is decided here.
"""
from services.casefile.gate import step_gate
from services.casefile.history import history_by_stage
from services.casefile.next_action import case_file, next_actions
from services.casefile.links import step_href, with_links
from services.casefile.next_by_candidate import with_next_steps

__all__ = ["case_file", "history_by_stage", "next_actions", "step_gate", "step_href", "with_links",
           "with_next_steps"]
