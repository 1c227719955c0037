"""Corrections and voids of a candidate's recorded events, for a logged-in user (web pages, API).

- `view.py`: the records a user may change (`records_view`), one record's correction form
  (`record_form`) and who may change what (`may_change`);
- `change.py`: `correct_record` / `void_record` — the CLI's use cases (`services.casework.candidates.correct`
  / `void`, the engine's correction decision) after the access check, as a preview or for real
  (then an audit row), and `change_view`, what a preview shows: old → new per field, the steps
  that reopen or move, the next steps' dates that change, the engine's compliance warnings.
"""
from services.records.change import change_view, correct_record, void_record
from services.records.view import may_change, record_form, records_view

__all__ = ["change_view", "correct_record", "may_change", "record_form", "records_view", "void_record"]
