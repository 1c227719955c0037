"""Compliance findings: history that broke a rule, recorded as found."""
from __future__ import annotations

from .base import Repository


class FindingRepo(Repository):
    __slots__ = ()
