"""What every repository shares: one borrowed connection, and scoping a query to branches."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select
from sqlalchemy.engine import Connection


class Repository:
    """A repository works on the unit of work's connection and never commits: the unit of work
    owns the transaction."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


def in_branches(stmt: Select, branch_id: ColumnElement, branch_ids: Iterable[int] | None) -> Select:
    """`stmt` limited to rows whose `branch_id` is one of `branch_ids`; None means everywhere.

    `branch_ids` is usually `orgs.descendants_branch_ids(...)` of the user's county or township.
    """
    if branch_ids is None:
        return stmt
    return stmt.where(branch_id.in_(list(branch_ids)))
