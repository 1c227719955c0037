"""Organisations: the county → township → branch tree that scopes who sees which candidates."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from ..errors import NotFound
from ..tables import organisation, utcnow
from .base import Repository
from .hot import CODECS, HotStatement, execute
from .rows import OrgRow

_o = organisation.c
_COLUMNS = (
    _o.id, _o.code, _o.name, _o.level, _o.kind, _o.parent_id, _o.workflow_variant, _o.created_at,
)  # = OrgRow's fields


def _branches_under_stmt():
    """Recursive CTE: the subtree of `b_root`, keeping its branches (the root itself if a branch)."""
    tree = select(_o.id, _o.level).where(_o.id == bindparam("b_root")).cte("org_tree", recursive=True)
    child = organisation.alias("child")
    tree = tree.union_all(select(child.c.id, child.c.level).where(child.c.parent_id == tree.c.id))
    return select(tree.c.id).where(tree.c.level == "branch").order_by(tree.c.id)


_branches_under = _branches_under_stmt()
_insert = insert(organisation)
# a point lookup a registration makes three times: a hot statement (hot.py)
_get = HotStatement(select(*_COLUMNS).where(_o.id == bindparam("b_id")))
_by_code = select(*_COLUMNS).where(_o.code == bindparam("b_code"))
_children = select(*_COLUMNS).where(_o.parent_id == bindparam("b_id")).order_by(_o.code)
_all_by_id = select(*_COLUMNS).order_by(_o.id)
_set_variant = (
    update(organisation).where(_o.id == bindparam("b_id")).values(workflow_variant=bindparam("b_variant"))
)


class OrgRepo(Repository):
    """The organisation tree: county → township → branch."""

    __slots__ = ()

    def add(
        self,
        code: str,
        name: str,
        level: str,
        kind: str | None = None,
        parent_id: int | None = None,
        workflow_variant: str | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        result = self.conn.execute(
            _insert,
            {"code": code, "name": name, "level": level, "kind": kind, "parent_id": parent_id,
             "workflow_variant": workflow_variant, "created_at": now or utcnow()},
        )
        return result.inserted_primary_key[0]

    def get(self, org_id: int) -> OrgRow | None:
        row = execute(self.conn, _get, {"b_id": org_id}).fetchone()
        return None if row is None else OrgRow(*row[:-1], CODECS[self.conn.dialect.name].dt_out(row[-1]))

    def by_code(self, code: str) -> OrgRow | None:
        row = self.conn.execute(_by_code, {"b_code": code}).first()
        return None if row is None else OrgRow(*row)

    def children(self, org_id: int) -> list[OrgRow]:
        return [OrgRow(*r) for r in self.conn.execute(_children, {"b_id": org_id})]

    def descendants_branch_ids(self, org_id: int) -> list[int]:
        """Ids of all branches in the subtree of `org_id` (itself included if it is a branch)."""
        return list(self.conn.execute(_branches_under, {"b_root": org_id}).scalars())

    def set_workflow_variant(self, org_id: int, workflow_variant: str | None) -> None:
        """A township picks (or drops, with None) its local definition variant."""
        result = self.conn.execute(_set_variant, {"b_id": org_id, "b_variant": workflow_variant})
        if result.rowcount != 1:
            raise NotFound("组织", org_id)

    def set_material_list(self, org_id: int, material_list: str | None) -> None:
        """A township picks (or drops, with None) its material-list override (workflows/materials)."""
        result = self.conn.execute(update(organisation).where(_o.id == org_id).values(material_list=material_list))
        if result.rowcount != 1:
            raise NotFound("组织", org_id)

    def material_lists(self, org_ids: Iterable[int]) -> dict[int, str]:
        """{org id: its material-list override} of those of `org_ids` that chose one."""
        ids = list(org_ids)
        if not ids:
            return {}
        rows = self.conn.execute(select(_o.id, _o.material_list).where(_o.id.in_(ids), _o.material_list.is_not(None)))
        return {i: m for i, m in rows}

    def list(self) -> list[OrgRow]:
        return [OrgRow(*r) for r in self.conn.execute(_all_by_id)]
