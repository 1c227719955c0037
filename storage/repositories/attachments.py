"""Attached files (材料, issue 18): rows only; the bytes are in the object store (storage/objects)
and the rules (what a step needs, who may attach or remove) in services/materials."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..tables import attachment
from .base import Repository
from .hot import HotStatement, execute

_a = attachment.c
_COLS = (_a.id, _a.candidate_id, _a.step, _a.material, _a.source, _a.generated_kind, _a.sha256, _a.object_key,
         _a.thumbnail_key, _a.size, _a.content_type, _a.file_kind, _a.filename, _a.pages, _a.document_date,
         _a.note, _a.uploaded_by, _a.user_id, _a.uploaded_at, _a.removed_at, _a.removed_by, _a.removed_reason)


# one candidate's files by material and source: a step with a material guard runs it (hot path)
_present_one = HotStatement(
    select(_a.material, _a.source, func.count())
    .where(_a.candidate_id == bindparam("b_cid"), _a.removed_at.is_(None), _a.material.is_not(None))
    .group_by(_a.material, _a.source))


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    id: int
    candidate_id: int
    step: str | None
    material: str | None
    source: str
    generated_kind: str | None
    sha256: str
    object_key: str
    thumbnail_key: str | None
    size: int
    content_type: str
    file_kind: str
    filename: str
    pages: int | None
    document_date: date | None
    note: str | None
    uploaded_by: str
    user_id: int | None
    uploaded_at: datetime
    removed_at: datetime | None
    removed_by: str | None
    removed_reason: str | None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None


@dataclass(frozen=True, slots=True)
class MaterialCount:
    """What a candidate holds of one material: files present, and whether a generated one is among them."""

    uploaded: int = 0
    generated: int = 0


class SameFileOnRecord(Exception):
    """The same file (SHA-256) is already on record, not removed, for the candidate, step and
    material (index `uq_attachment_live_file`): another upload of it committed first. The
    transaction is unusable on PostgreSQL; the caller rolls it back."""


class AttachmentRepo(Repository):
    __slots__ = ()

    def add(self, **values) -> int:
        """The new row's id; `SameFileOnRecord` if the same file is on record for the same material."""
        try:
            return self.conn.execute(insert(attachment).values(**values)).inserted_primary_key[0]
        except IntegrityError as e:
            if "uq_attachment_live_file" in str(e.orig):
                raise SameFileOnRecord() from None
            raise

    def live_copy(self, candidate_id: int, step: str | None, material: str | None, sha256: str) -> AttachmentRow | None:
        """The file not removed with this content for the candidate, step and material, if any."""
        row = self.conn.execute(
            select(*_COLS).where(_a.candidate_id == candidate_id, func.coalesce(_a.step, "") == (step or ""),
                                 func.coalesce(_a.material, "") == (material or ""), _a.sha256 == sha256,
                                 _a.removed_at.is_(None)).limit(1)).first()
        return AttachmentRow(*row) if row else None

    def get(self, attachment_id: int) -> AttachmentRow | None:
        row = self.conn.execute(select(*_COLS).where(_a.id == attachment_id)).first()
        return AttachmentRow(*row) if row else None

    def for_candidate(self, candidate_id: int, *, with_removed: bool = False) -> list[AttachmentRow]:
        """In the order they were attached."""
        stmt = select(*_COLS).where(_a.candidate_id == candidate_id).order_by(_a.id)
        if not with_removed:
            stmt = stmt.where(_a.removed_at.is_(None))
        return [AttachmentRow(*r) for r in self.conn.execute(stmt)]

    def present(self, candidate_ids: Iterable[int]) -> dict[int, dict[str, MaterialCount]]:
        """{candidate id: {material id: counts}} of the files not removed, in one indexed query —
        what completeness needs for a whole queue of candidates."""
        ids = list(candidate_ids)
        out: dict[int, dict[str, MaterialCount]] = defaultdict(dict)
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            stmt = (select(_a.candidate_id, _a.material, _a.source, func.count())
                    .where(_a.candidate_id.in_(chunk), _a.removed_at.is_(None), _a.material.is_not(None))
                    .group_by(_a.candidate_id, _a.material, _a.source))
            for cid, material, source, n in self.conn.execute(stmt):
                have = out[cid].get(material, MaterialCount())
                out[cid][material] = _counted(have, source, n)
        return dict(out)

    def present_for(self, candidate_id: int) -> dict[str, MaterialCount]:
        """`present` of one candidate ({material id: counts}), as a precompiled statement: the
        material guard of a step asks it inside the step's transaction."""
        out: dict[str, MaterialCount] = {}
        for material, source, n in execute(self.conn, _present_one, {"b_cid": candidate_id}).fetchall():
            out[material] = _counted(out.get(material, MaterialCount()), source, n)
        return out

    def remove(self, attachment_id: int, now: datetime, by: str, reason: str) -> bool:
        """Marks the file removed (the row and the bytes stay); False if it was removed already."""
        done = self.conn.execute(update(attachment).where(_a.id == attachment_id, _a.removed_at.is_(None))
                                 .values(removed_at=now, removed_by=by, removed_reason=reason))
        return done.rowcount == 1

    def object_in_use(self, object_key: str) -> bool:
        return self.conn.execute(select(_a.id).where(_a.object_key == object_key).limit(1)).first() is not None


def _counted(have: MaterialCount, source: str, n: int) -> MaterialCount:
    if source == "upload":
        return MaterialCount(have.uploaded + n, have.generated)
    return MaterialCount(have.uploaded, have.generated + n)
