"""Repositories: small classes over one Connection, returning frozen dataclasses (never ORM objects).

One module per table; `rows` holds what they return; `hot` runs the per-step statements on the
driver connection (why and how much: docs/storage.md). Repositories never commit: the unit of
work owns the transaction. Import from here (`from storage.repositories import CandidateRepo`);
the module split is an internal layout.
"""
# the errors the repositories raise, importable from here as they always were
from ..errors import ConcurrentModification, DefinitionChanged, NotFound
from .attachments import AttachmentRepo, AttachmentRow, MaterialCount
from .audit_log import AuditLogRepo, AuditRow
from .candidates import CandidateRepo
from .contacts import ContactRepo
from .deadlines import DeadlineRepo
from .definitions import DefinitionRepo
from .events import EventRepo
from .holidays import HolidayRepo
from .job_runs import JobRunRepo
from .milestones import MilestoneRepo
from .plans import PlanRepo
from .imports import ImportRepo
from .findings import FindingRepo
from .orgs import OrgRepo
from .outbox import OutboxRepo
from .people import PersonRepo
from .profiles import Profile, ProfileRepo, profile_of
from .tenures import TenureRepo
from .users import RoleRow, UserRepo, UserRow
from .rows import (
    CandidateRow,
    ContactRow,
    DeadlineDiff,
    DeadlineRow,
    DeadlineSpec,
    DefinitionRow,
    EventRow,
    OrgRow,
    OutboxRow,
    OverdueRow,
    PersonRow,
    ScanRow,
)

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
