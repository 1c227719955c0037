"""Workflow definitions: a snapshot of every version a candidate was ever pinned to."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from ..errors import DefinitionChanged
from ..tables import workflow_definition
from .base import Repository
from .hot import HotStatement, execute
from .on_conflict import insert_ignore
from .rows import DefinitionRow

_w = workflow_definition.c
_get = select(_w.key, _w.sha256, _w.body, _w.loaded_at).where(_w.key == bindparam("b_key"))  # = DefinitionRow
_sha = HotStatement(select(_w.sha256).where(_w.key == bindparam("b_key")))  # every registration: no body


class DefinitionRepo(Repository):
    """Snapshots of every workflow definition version a candidate was ever pinned to."""

    __slots__ = ()

    def ensure(self, key: str, sha256: str, body: Mapping[str, Any], now: datetime) -> bool:
        """Store the definition once. Returns True if it was new.

        Raises DefinitionChanged if `key` is stored with another hash: a pinned version is
        immutable, otherwise candidates already on it would silently follow new rules.
        """
        row = execute(self.conn, _sha, {"b_key": key}).fetchone()
        if row is None:
            stmt = insert_ignore(self.conn, workflow_definition, ["key"])  # RETURNING key
            result = self.conn.execute(stmt, {"key": key, "sha256": sha256, "body": body, "loaded_at": now})
            if result.first() is not None:
                return True
            row = execute(self.conn, _sha, {"b_key": key}).fetchone()  # lost a race
        if row[0] != sha256:
            raise DefinitionChanged(key, row[0], sha256)
        return False

    def get(self, key: str) -> DefinitionRow | None:
        row = self.conn.execute(_get, {"b_key": key}).first()
        return None if row is None else DefinitionRow(*row)
