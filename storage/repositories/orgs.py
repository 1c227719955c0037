"""Organisations: the county → township → branch tree that scopes who sees which candidates."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, case, func, insert, select, update

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
_by_ids = select(*_COLUMNS).where(_o.id.in_(bindparam("b_ids", expanding=True)))
BY_ID_LIMIT = 500  # ids read by an expanding IN; more read the tree
_all_branches = select(_o.id, _o.code, _o.name).where(_o.level == "branch").order_by(_o.id)
_branch_count = select(func.count()).select_from(organisation).where(_o.level == "branch")
_branches_by_code = select(_o.id, _o.code, _o.name).where(_o.level == "branch").order_by(_o.code)
_branches_among = _all_branches.where(_o.id.in_(bindparam("b_ids", expanding=True)))


def _with_ancestors_stmt():
    """Recursive CTE: the branches among `b_ids` and every organisation above them, by id."""
    cols = (_o.id, _o.parent_id, _o.level, _o.code, _o.name)
    up = select(*cols).where(_o.id.in_(bindparam("b_ids", expanding=True)), _o.level == "branch")
    up = up.cte("org_up", recursive=True)
    parent = organisation.alias("parent")
    p = parent.c
    up = up.union(select(p.id, p.parent_id, p.level, p.code, p.name).where(p.id == up.c.parent_id))
    return select(up).order_by(up.c.id)


def _branch_below_outside_stmt():
    """Recursive CTE: the subtrees of `b_parent`'s children outside `b_known`; one of their branches."""
    start = select(_o.id, _o.level).where(
        _o.parent_id == bindparam("b_parent"), _o.id.not_in(bindparam("b_known", expanding=True)))
    tree = start.cte("org_below", recursive=True)
    child = organisation.alias("child")
    tree = tree.union_all(select(child.c.id, child.c.level).where(child.c.parent_id == tree.c.id))
    return select(tree.c.id).where(tree.c.level == "branch").limit(1)


_with_ancestors = _with_ancestors_stmt()
_children_outside = (
    select(_o.parent_id, func.max(case((_o.level == "branch", 1), else_=0)))
    .where(_o.parent_id.in_(bindparam("b_parents", expanding=True)), _o.id.not_in(bindparam("b_known", expanding=True)))
    .group_by(_o.parent_id)
)
_branch_below_outside = _branch_below_outside_stmt()
_outside_child = organisation.alias("outside_child")
_grandchild = organisation.alias("grandchild")
_branch_grandchild_outside = (
    select(_grandchild.c.id)
    .join(_outside_child, _grandchild.c.parent_id == _outside_child.c.id)
    .where(_outside_child.c.parent_id == bindparam("b_parent"),
           _outside_child.c.id.not_in(bindparam("b_known", expanding=True)), _grandchild.c.level == "branch")
    .limit(1)
)
# (count, highest id, sum of ids, of ids × parents, of branch ids): moves with any insert, delete,
# re-parenting or re-levelling; int4 arithmetic throughout (a bigint product sums as numeric on PostgreSQL)
_fingerprint = select(
    func.count(), func.max(_o.id), func.sum(_o.id),
    func.sum((_o.id % 46337) * (func.coalesce(_o.parent_id, 0) % 46337)),
    func.sum(case((_o.level == "branch", _o.id), else_=0)),
)
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

    def tree_fingerprint(self) -> tuple:
        """A one-row summary of the tree's shape (not its names): equal values mean, short of a
        contrived collision, the same organisations under the same parents at the same levels —
        what a process checks before reusing a subtree's branch ids it keeps (services.accounts.access)."""
        return tuple(self.conn.execute(_fingerprint).one())

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

    # Scoped reads of the tree (issue 19): a page reads the user's branches and their ancestors, not
    # the ~30,000 organisations of a realistic county; bounded lists of ids, as an expanding IN.

    def by_ids(self, ids: Iterable[int]) -> dict[int, OrgRow]:
        """{id: row} of those of `ids` that exist: by id up to BY_ID_LIMIT of them, else from `list()`
        (no path binds a county's ~28,000 ids)."""
        wanted = set(ids)
        if len(wanted) > BY_ID_LIMIT:
            return {o.id: o for o in self.list() if o.id in wanted}
        rows = self.conn.execute(_by_ids, {"b_ids": sorted(wanted)}).all() if wanted else []
        return {r[0]: OrgRow(*r) for r in rows}

    def branches_among(self, ids: Iterable[int]) -> list[tuple[int, str, str]]:
        """(id, code, name) of those of `ids` that are branches, by id (plain tuples)."""
        return [tuple(r) for r in self.conn.execute(_branches_among, {"b_ids": list(ids)}).all()]

    def branches(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every branch, by id (plain tuples: a county's ~28,000)."""
        return [tuple(r) for r in self.conn.execute(_all_branches).all()]  # (fetchall: not a fetch a row)

    def branch_count(self) -> int:
        return self.conn.execute(_branch_count).scalar_one()

    def branches_by_code(self, after: str | None, limit: int) -> list[tuple[int, str, str]]:
        """(id, code, name) of the first `limit` branches by code (after the code `after`): the
        unique code's index read in order, a page at a time."""
        stmt = _branches_by_code if after is None else _branches_by_code.where(_o.code > after)
        return [tuple(r) for r in self.conn.execute(stmt.limit(limit)).all()]

    def branches_named(self, text: str) -> list[tuple[int, str, str]]:
        """(id, code, name) of the branches whose name contains `text` (wildcards taken literally;
        SQLite's LIKE ignores ASCII case: a caller wanting it exact checks again), by code."""
        return [tuple(r) for r in self.conn.execute(
            _branches_by_code.where(_o.name.contains(text, autoescape=True))).all()]

    def with_ancestors(self, branch_ids: Iterable[int]) -> list[tuple[int, int | None, str, str, str]]:
        """(id, parent_id, level, code, name) of those of `branch_ids` that are branches and of every
        organisation above them, by id: one recursive query up the parent index."""
        return [tuple(r) for r in self.conn.execute(_with_ancestors, {"b_ids": list(branch_ids)}).all()]

    def children_outside(self, parent_ids: Iterable[int], known: Iterable[int]) -> dict[int, bool]:
        """{parent: whether a branch is among them} of those of `parent_ids` with a child outside `known`."""
        rows = self.conn.execute(_children_outside, {"b_parents": list(parent_ids), "b_known": list(known)})
        return {p: bool(b) for p, b in rows}

    def branch_below_outside(self, parent_id: int, known: Iterable[int]) -> bool:
        """Is there a branch under a child of `parent_id` that is outside `known` (at any depth)? The
        walk stops at the first one found (PostgreSQL runs the recursive query lazily under LIMIT 1)."""
        params = {"b_parent": parent_id, "b_known": list(known)}
        if self.conn.execute(_branch_grandchild_outside, params).first() is not None:
            return True  # the usual answer (another township's branch) without the recursive query, whose
            # row estimate over a ~30,000-row tree has PostgreSQL JIT-compile it (~8 ms for a 2 ms walk)
        return self.conn.execute(_branch_below_outside, params).first() is not None
