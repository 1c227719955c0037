"""Ledger imports (台账导入): one row per confirmed import, so it can be undone as a whole."""
from __future__ import annotations

from .base import Repository


class ImportRepo(Repository):
    __slots__ = ()
