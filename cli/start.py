"""The cycle collector while the `partyflow` command starts (issue 19, CLI start).

Starting a command allocates ~100,000 objects that live until it exits — modules, classes and
functions of typer, rich, SQLAlchemy and the engine — and the collector, run every 700 new
objects, scans them again and again: ~8 % of the CPU of `partyflow show`. So, in the `partyflow`
process only (not in a process that merely imports the CLI: the tests, the web), collections wait
for 50,000 new objects while it starts; once the command has opened its database (`started`),
what the start made is frozen (`gc.freeze`: kept, never scanned again) and the usual thresholds
come back, so a long-running command (serve, scheduler run, demo) collects as any process does.
"""
from __future__ import annotations

import gc
import sys
from pathlib import Path

START_THRESHOLD = 50_000  # new objects between two collections while starting (Python's default: 700)

_saved: tuple[int, ...] | None = None  # the thresholds to restore, while starting


def _is_the_command() -> bool:
    """This process is `partyflow …` (the console script, or the same lines run with `python -c`)."""
    return Path(sys.argv[0] if sys.argv else "").stem == "partyflow"


def begin() -> None:
    """Collect less often until `started` (only in the `partyflow` process; idempotent)."""
    global _saved
    if _saved is None and _is_the_command():
        _saved = gc.get_threshold()
        gc.set_threshold(max(START_THRESHOLD, _saved[0]), *_saved[1:])


def started() -> None:
    """The command is about to do its work: freeze what the start made, restore the thresholds."""
    global _saved
    if _saved is not None:
        gc.freeze()
        gc.set_threshold(*_saved)
        _saved = None
