"""Development plans (发展党员计划): one row per organisation and year."""
from __future__ import annotations

from .base import Repository


class PlanRepo(Repository):
    __slots__ = ()
