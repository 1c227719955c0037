"""SQL storage adapter: tables, repositories, unit of work, migrations (see docs/storage.md).

The names below are loaded on first use (PEP 562): `import storage.errors` or
`from storage import NotFound` does not load SQLAlchemy, the tables and every repository
(issue 19, CLI start).
"""
from engine.lazy_names import lazy_names

_SOURCES = {
    "storage.db": ("current_revision", "default_url", "downgrade", "head_revision", "make_engine", "upgrade"),
    "storage.errors": ("ConcurrentModification", "DefinitionChanged", "NotFound", "StorageError", "TransactionAborted"),
    "storage.repositories.rows": ("CandidateRow", "DeadlineDiff", "DeadlineRow", "DeadlineSpec", "DefinitionRow",
                                  "EventRow", "OrgRow", "OverdueRow", "PersonRow"),
    "storage.unit_of_work": ("UnitOfWork",),
}
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


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
