"""节假日安排 from the web: the loaded years, a schedule's preview (its days in Chinese, what it
changes against what is in force, which open candidates' due dates it moves) and its loading.

The YAML format and its checks are `engine/calendar/schedule_file.py` (docs/calendar.md); the
stored year and the recomputation of provisional deadlines are those of `partyflow holidays load`
(services/organisation/directory.py)."""
from services.holidays.schedule import load_schedule, loaded_years, preview_schedule

__all__ = ["load_schedule", "loaded_years", "preview_schedule"]
