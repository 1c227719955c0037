"""Repositories: small classes over one Connection, returning frozen dataclasses (never ORM objects).

One module per table; `rows` holds what they return; `hot` runs the per-step statements on the
driver connection (why and how much: docs/storage.md). Repositories never commit: the unit of
work owns the transaction. Import from here (`from storage.repositories import CandidateRepo`);
the module split is an internal layout.
"""
# Loaded on first use (PEP 562): a command that reads candidates does not import the modules of
# every table (issue 19, CLI start). The errors the repositories raise are importable from here
# as they always were.
from engine.lazy_names import lazy_names

_SOURCES = {
    "storage.errors": ("ConcurrentModification", "DefinitionChanged", "NotFound"),
    "storage.repositories.attachments": ("AttachmentRepo", "AttachmentRow", "MaterialCount"),
    "storage.repositories.audit_log": ("AuditLogRepo", "AuditRow"),
    "storage.repositories.candidates": ("CandidateRepo",),
    "storage.repositories.contacts": ("ContactRepo",),
    "storage.repositories.deadlines": ("DeadlineRepo",),
    "storage.repositories.definitions": ("DefinitionRepo",),
    "storage.repositories.events": ("EventRepo",),
    "storage.repositories.holidays": ("HolidayRepo",),
    "storage.repositories.job_runs": ("JobRunRepo",),
    "storage.repositories.milestones": ("MilestoneRepo",),
    "storage.repositories.plans": ("PlanRepo",),
    "storage.repositories.imports": ("ImportRepo",),
    "storage.repositories.findings": ("FindingRepo",),
    "storage.repositories.orgs": ("OrgRepo",),
    "storage.repositories.outbox": ("OutboxRepo",),
    "storage.repositories.people": ("PersonRepo",),
    "storage.repositories.profiles": ("Profile", "ProfileRepo", "profile_of"),
    "storage.repositories.tenures": ("TenureRepo",),
    "storage.repositories.users": ("RoleRow", "UserRepo", "UserRow"),
    "storage.repositories.rows": ("CandidateRow", "ContactRow", "DeadlineDiff", "DeadlineRow", "DeadlineSpec",
                                  "DefinitionRow", "EventRow", "OrgRow", "OutboxRow", "OverdueRow", "PersonRow",
                                  "ScanRow"),
}
__all__ = [
    "AttachmentRepo",
    "AttachmentRow",
    "MaterialCount",
    "TenureRepo",
    "AuditLogRepo",
    "AuditRow",
    "RoleRow",
    "UserRepo",
    "UserRow",
    "ScanRow",
    "ContactRepo",
    "ContactRow",
    "JobRunRepo",
    "MilestoneRepo",
    "Profile",
    "ProfileRepo",
    "profile_of",
    "PlanRepo",
    "ImportRepo",
    "FindingRepo",
    "OutboxRepo",
    "OutboxRow",
    "CandidateRepo",
    "CandidateRow",
    "ConcurrentModification",
    "DeadlineDiff",
    "DeadlineRepo",
    "DeadlineRow",
    "DeadlineSpec",
    "DefinitionChanged",
    "DefinitionRepo",
    "DefinitionRow",
    "EventRepo",
    "EventRow",
    "HolidayRepo",
    "NotFound",
    "OrgRepo",
    "OrgRow",
    "OverdueRow",
    "PersonRepo",
    "PersonRow",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
