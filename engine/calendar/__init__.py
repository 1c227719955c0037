"""Pure date arithmetic for the engine: calendar months and Chinese working days.

No function here reads the clock; every date is passed in.
"""

from .months import add_months, add_years, shift
from .notes import day_note, due_note
from .schedule_file import ScheduleFileError, load_year_schedule, parse_year_schedule
from .workdays import WorkdayCalendar, WorkdayResult, YearSchedule

__all__ = [
    "add_months",
    "add_years",
    "shift",
    "YearSchedule",
    "WorkdayResult",
    "WorkdayCalendar",
    "parse_year_schedule",
    "load_year_schedule",
    "ScheduleFileError",
    "day_note",
    "due_note",
]
