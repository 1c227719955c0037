"""Holiday years: the official holiday / make-up workday list, published once a year.

Working-day deadlines (公示 periods and the like) depend on it; a year not loaded yet makes them
provisional.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from ..tables import holiday_year
from .base import Repository
from .on_conflict import upsert

_h = holiday_year.c
_get = select(_h.body).where(_h.year == bindparam("b_year"))
_all_by_year = select(_h.year, _h.body).order_by(_h.year)


class HolidayRepo(Repository):
    """Official holiday / make-up workday schedules loaded by an administrator, per year."""

    __slots__ = ()

    def put(self, year: int, body: Mapping[str, Any], now: datetime) -> None:
        """Store the year's schedule; loading a year again replaces it."""
        stmt = upsert(self.conn, holiday_year, ["year"], ["body", "loaded_at"])
        self.conn.execute(stmt, {"year": year, "body": body, "loaded_at": now})

    def get(self, year: int) -> dict | None:
        return self.conn.execute(_get, {"b_year": year}).scalar_one_or_none()

    def all(self) -> dict[int, dict]:
        return {year: body for year, body in self.conn.execute(_all_by_year)}
