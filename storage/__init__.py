"""SQL storage adapter: tables, repositories, unit of work, migrations (see docs/storage.md)."""
from .db import current_revision, default_url, downgrade, head_revision, make_engine, upgrade
from .errors import ConcurrentModification, DefinitionChanged, NotFound, StorageError, TransactionAborted
from .repositories import (
    CandidateRow,
    DeadlineDiff,
    DeadlineRow,
    DeadlineSpec,
    DefinitionRow,
    EventRow,
    OrgRow,
    OverdueRow,
    PersonRow,
)
from .unit_of_work import UnitOfWork

__all__ = [
    "CandidateRow",
    "ConcurrentModification",
    "DeadlineDiff",
    "DeadlineRow",
    "DeadlineSpec",
    "DefinitionChanged",
    "DefinitionRow",
    "EventRow",
    "NotFound",
    "OrgRow",
    "OverdueRow",
    "PersonRow",
    "StorageError",
    "TransactionAborted",
    "UnitOfWork",
    "current_revision",
    "default_url",
    "downgrade",
    "head_revision",
    "make_engine",
    "upgrade",
]
