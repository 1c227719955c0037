"""Contacts: who receives notifications for an organisation (a branch secretary, a township officer)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select, update

from ..tables import contact
from .base import Repository
from .rows import ContactRow

_k = contact.c
_COLS = (_k.id, _k.org_id, _k.role, _k.name, _k.email, _k.webhook_url, _k.active)


class ContactRepo(Repository):
    __slots__ = ()

    def add(self, org_id: int, role: str, name: str, email: str | None = None, webhook_url: str | None = None) -> int:
        return self.conn.execute(
            insert(contact).values(org_id=org_id, role=role, name=name, email=email, webhook_url=webhook_url)
        ).inserted_primary_key[0]

    def for_orgs(self, org_ids: Iterable[int], role: str) -> dict[int, list[ContactRow]]:
        """Active contacts with `role` of each organisation (one query for a whole scan)."""
        ids = list(set(org_ids))
        out: dict[int, list[ContactRow]] = {i: [] for i in ids}
        if not ids:
            return out
        stmt = select(*_COLS).where(_k.org_id.in_(ids), _k.role == role, _k.active.is_(True)).order_by(_k.id)
        for r in self.conn.execute(stmt):
            out[r.org_id].append(ContactRow(*r))
        return out

    def list(self, org_id: int | None = None) -> list[ContactRow]:
        stmt = select(*_COLS).order_by(_k.id)
        if org_id is not None:
            stmt = stmt.where(_k.org_id == org_id)
        return [ContactRow(*r) for r in self.conn.execute(stmt)]

    def get(self, contact_id: int) -> ContactRow | None:
        r = self.conn.execute(select(*_COLS).where(_k.id == contact_id)).first()
        return ContactRow(*r) if r else None

    def update(self, contact_id: int, name: str, email: str | None, webhook_url: str | None) -> bool:
        return self.conn.execute(
            update(contact).where(_k.id == contact_id).values(name=name, email=email, webhook_url=webhook_url)
        ).rowcount == 1

    def remove(self, contact_id: int) -> bool:
        return self.conn.execute(delete(contact).where(_k.id == contact_id)).rowcount == 1

    def in_orgs(self, org_ids: Iterable[int] | None) -> list[ContactRow]:
        """Contacts of the given organisations (None = all), by organisation then age."""
        stmt = select(*_COLS).order_by(_k.org_id, _k.role, _k.id)
        if org_ids is not None:
            stmt = stmt.where(_k.org_id.in_(list(org_ids)))
        return [ContactRow(*r) for r in self.conn.execute(stmt)]
