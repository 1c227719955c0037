"""Table definitions (SQLAlchemy Core). The single source of truth for the schema.

Core `Table` objects, not ORM classes: the hot path (one step = one transaction) runs a handful of
precompiled statements, and an ORM flush would cost several times more (see docs/storage.md).
Alembic compares the migrations against `metadata` (tests/integration/test_migrations.py).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# PostgreSQL-only options — JSONB for the JSON columns, the WHERE of each partial index on
# PostgreSQL — are given to the schema by `use_postgresql()`, which storage.db.make_engine calls
# for a PostgreSQL URL before it creates the engine. Written into the definitions below, they would
# make SQLAlchemy import its PostgreSQL dialect on SQLite too (it loads a dialect to check its
# keyword arguments, and JSONB is that dialect's type): ~0.03 s of every CLI start (issue 19).
# Either engine gets the schema it always got: SQLite never reads these options, and PostgreSQL
# has them before its first statement (tests/integration/test_migrations.py compares both).
_PG_PARTIAL_WHERE: dict[str, str] = {}  # partial index name -> its WHERE on PostgreSQL


def _partial_index(name: str, *expressions: Any, where: str, postgresql_where: str | None = None,
                   **kw: Any) -> Index:
    """A partial index: `where` on SQLite, `postgresql_where` (default: the same) on PostgreSQL."""
    _PG_PARTIAL_WHERE[name] = postgresql_where or where
    return Index(name, *expressions, sqlite_where=text(where), **kw)


_pg_lock = threading.Lock()


def use_postgresql() -> None:
    """Give the schema its PostgreSQL-only options (idempotent; every PostgreSQL engine needs them)."""
    with _pg_lock:
        if "postgresql" in JSONType._variant_mapping:
            return
        from sqlalchemy.dialects.postgresql import JSONB

        for table in metadata.tables.values():
            for index in table.indexes:
                if index.name in _PG_PARTIAL_WHERE:
                    index.dialect_kwargs["postgresql_where"] = text(_PG_PARTIAL_WHERE[index.name])
        # in place: every column, expression and migration holding JSONType sees the variant, as
        # if it had been declared with JSON().with_variant(JSONB(), "postgresql")
        JSONType._variant_mapping = JSON().with_variant(JSONB(), "postgresql")._variant_mapping


# Names for every constraint, so later migrations (and SQLite batch mode) can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Tables other libraries own in the same database (APScheduler's persistent job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic autogenerate: never drop or recreate tables that are not ours."""
    return not (type_ == "table" and name in FOREIGN_TABLES)

ORG_LEVELS = ("county", "township", "branch")
ORG_KINDS = ("rural", "organ", "enterprise", "school", "community", "other")
GENDERS = ("男", "女")
PARTY_STATUSES = ("none", "probationary", "full_member")
EVENT_KINDS = (
    "step",
    "withdraw",
    "disqualify",
    "reconsider",
    "cancel_probation",
    "transfer",
    "transfer_out",  # leaves this deployment (engine.state.EVENT_KINDS)
    "death",
    "not_selected",
    "correct",
    "void",
    "migrate",
    "submit",  # the branch's 报送 of a township step (engine/review.py)
    "return",  # the township's 退回, reopening the steps it names
)
DEADLINE_KINDS = ("due", "earliest", "recurring")
OVERDUE_KINDS = ("due", "recurring")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utcnow() -> datetime:
    """Default for audit timestamps: naive UTC, identical on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """Naive-UTC timestamp. Aware values are converted to UTC first.

    SQLite drops tzinfo silently and PostgreSQL `timestamp` shifts by the session time zone, so
    storing naive UTC is the only convention that reads back the same on both backends.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: D102 - documented on the class
        if value is not None and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value


class change_marker(FunctionElement):  # noqa: N801 - used like func.now()
    """The change marker a write stamps on a deadline row (`deadline.changed`), read by the daily
    scan to find rows written since its last run (services/notices/reminders.py, docs/scheduler.md).

    PostgreSQL: the writing transaction's id (xid8 as bigint; no wraparound). A scan keeps its
    snapshot's xmax and in-progress xids, and the next scan reads `changed >= xmax OR changed IN
    (those xids)`: every row the earlier scan could not see, however late its transaction commits.
    SQLite: the database clock in milliseconds (UTC). Writers hold the single write lock from their
    first write to their commit and the scan runs under it too (BEGIN IMMEDIATE), so every row
    stamped before the scan's own reading of the clock was committed and seen by it.
    """

    type = BigInteger()
    name = "change_marker"
    inherit_cache = True


@compiles(change_marker, "postgresql")
def _change_marker_pg(element, compiler, **kw) -> str:
    return "(pg_current_xact_id()::text::bigint)"


@compiles(change_marker, "sqlite")
def _change_marker_sqlite(element, compiler, **kw) -> str:
    return "(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))"


# JSON text on SQLite; JSONB on PostgreSQL (indexable, compact): `use_postgresql` adds the variant.
JSONType = JSON()
# SQLite only autoincrements an INTEGER PRIMARY KEY, so the event id is BIGINT elsewhere only.
EventId = BigInteger().with_variant(Integer(), "sqlite")


organisation = Table(
    "organisation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("level", String(16), nullable=False),
    Column("kind", String(16), nullable=True),
    Column("parent_id", Integer, ForeignKey("organisation.id"), nullable=True),
    # a township's chosen local definition id (workflows/local/*.yaml); None = national default
    Column("workflow_variant", String(64), nullable=True),
    # a township's chosen material-list override id (workflows/materials/local/*.yaml); None = national list
    Column("material_list", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    CheckConstraint(_in("level", ORG_LEVELS), name="level"),
    CheckConstraint(_in("kind", ORG_KINDS), name="kind"),
    Index("ix_organisation_parent_id", "parent_id"),
)

person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("gender", String(4), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("ethnicity", String(32), nullable=False, default="汉族", server_default="汉族"),
    Column("education", String(64), nullable=True),
    Column("occupation", String(100), nullable=True),
    Column("tags", JSONType, nullable=False, default=list, server_default=text("'[]'")),
    Column("phone", String(32), nullable=True),
    Column("email", String(254), nullable=True),
    Column("party_status", String(16), nullable=False, default="none", server_default="none"),
    Column("rights_suspended", Boolean, nullable=False, default=False, server_default=text("false")),
    # the branch a party member belongs to (introducers, branch members)
    Column("branch_id", Integer, ForeignKey("organisation.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # the ledger import that created this person (undo removes it with the import); None = entered
    Column("import_id", Integer, nullable=True),  # import_batch.id; no FK so SQLite can add it in place
    CheckConstraint(_in("gender", GENDERS), name="gender"),
    CheckConstraint(_in("party_status", PARTY_STATUSES), name="party_status"),
    Index("ix_person_name", "name"),
    Index("ix_person_branch_id", "branch_id"),
)

candidate = Table(
    "candidate",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("branch_id", Integer, ForeignKey("organisation.id"), nullable=False),
    Column("definition_key", String(64), nullable=False),  # pinned version, e.g. 'cpc_2014@1'
    Column("stage", String(64), nullable=False),
    Column("state", JSONType, nullable=False),  # the engine's snapshot; opaque to storage
    Column("version", Integer, nullable=False, default=1, server_default=text("1")),
    Column("applied_on", Date, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("import_id", Integer, nullable=True),  # see person.import_id
    # not UNIQUE: a person may apply again after a withdrawal or a lapsed candidacy
    Index("ix_candidate_person_id", "person_id"),
    # also serves lookups by branch_id alone (leading column)
    Index("ix_candidate_branch_id_stage", "branch_id", "stage"),
)

# The database's guard against two open applications of one person (docs/storage.md "Open
# applications"): a registration claims, in its own transaction, the keys its duplicate check
# looked for — p:<person id>, b:<birth date>|<gender>|<name>@<branch id>, and (unless 确认是另一人
# set aside an open one elsewhere) i:<birth date>|<gender>|<name>. The key is the primary key, so
# of two registrations racing past the check the second insert fails. Released lazily: a later
# registration takes over a key whose holder has ended or no longer matches it.
application_claim = Table(
    "application_claim",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("candidate_id", Integer, ForeignKey("candidate.id"), nullable=False),
    Index("ix_application_claim_candidate_id", "candidate_id"),
)

event = Table(
    "event",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("candidate_id", Integer, ForeignKey("candidate.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("step", String(64), nullable=True),
    Column("occurred_on", Date, nullable=False),  # the real date of the meeting or act
    Column("recorded_at", UTCDateTime, nullable=False),  # when it was entered
    Column("actor", String(100), nullable=False),
    Column("evidence", JSONType, nullable=False),
    Column("supersedes", EventId, ForeignKey("event.id"), nullable=True),
    Column("reason", Text, nullable=True),
    Column("late", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("definition_key", String(64), nullable=False),
    # hash chain per candidate in seq order (storage/chain.py); nullable so migration 0011 could add
    # them without rebuilding the table: a row without a hash is reported by verify like any other
    Column("prev_hash", String(64), nullable=True),
    Column("hash", String(64), nullable=True),
    # the unique index also serves "events of candidate X in order"
    UniqueConstraint("candidate_id", "seq"),
    CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
    # reports and audit list the steps done late in a period: a partial index holds only those few
    # rows, so the step path pays for it only when a step is late
    _partial_index("ix_event_late_occurred_on", "occurred_on", where="late = 1", postgresql_where="late"),
)

# Keyed by what a row is (candidate, step, kind): on SQLite a WITHOUT ROWID table clustered on that
# key, so table and key are one b-tree — a step that adds, removes or re-keys a deadline writes one
# page fewer (migration 0007). The key also serves "deadlines of candidate X".
deadline = Table(
    "deadline",
    metadata,
    Column("candidate_id", Integer, ForeignKey("candidate.id"), primary_key=True, autoincrement=False),
    Column("branch_id", Integer, nullable=False),  # denormalised from candidate for per-org scans
    Column("step", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("provisional", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("article", String(64), nullable=True),
    # written or changed by which transaction (PostgreSQL) / when (SQLite): `change_marker`; set by
    # the column default on insert (bulk loads too) and by every UPDATE in DeadlineRepo (migration 0014)
    Column("changed", BigInteger, nullable=False, server_default=change_marker()),
    CheckConstraint(_in("kind", DEADLINE_KINDS), name="kind"),
    # the scan reads (kind, due_on) ranges; branch_id last lets per-organisation counts stay in it
    Index("ix_deadline_kind_due_on_branch_id", "kind", "due_on", "branch_id"),
    Index("ix_deadline_changed", "changed"),  # the daily scan: rows written since its last run
    sqlite_with_rowid=False,
)

# ------------------------------------------------------------------ reports and the ledger (issue 4)

# The person values reports break down by, one row per distinct combination (a county has a few
# thousand): milestone rows point here, so a report groups by one small integer instead of sorting
# five text columns per candidate (storage/repositories/profiles.py). Blank values are stored as ''
# and tags as the canonical JSON text of the sorted tag list; `key` is the whole tuple as JSON.
person_profile = Table(
    "person_profile",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("gender", String(4), nullable=False),
    Column("education", String(64), nullable=False),
    Column("ethnicity", String(32), nullable=False),
    Column("occupation", String(100), nullable=False),
    Column("tags", Text, nullable=False),
)

# The dates reports count, one narrow row per candidate (engine/milestones.py says which date is
# which), with the person's profile and birth date copied in (both fixed once a person is
# recorded) so the report reads this table alone. Written only when a milestone changes; `verify`
# checks it against the replay and the person.
milestone = Table(
    "milestone",
    metadata,
    Column("candidate_id", Integer, ForeignKey("candidate.id"), primary_key=True, autoincrement=False),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("branch_id", Integer, nullable=False),
    Column("applied_on", Date, nullable=True),
    Column("activist_on", Date, nullable=True),
    Column("target_on", Date, nullable=True),
    Column("admitted_on", Date, nullable=True),
    Column("probation_from", Date, nullable=True),
    Column("full_on", Date, nullable=True),
    Column("extended_on", Date, nullable=True),
    Column("ended_on", Date, nullable=True),
    Column("end_stage", String(64), nullable=True),
    Column("first_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("profile_id", Integer, ForeignKey("person_profile.id"), nullable=False),
    Column("birth_date", Date, nullable=False),
    # the date the candidate joined `branch_id` by a transfer (NULL: it received the application);
    # the dates before it count for the branches in `branch_tenure` (migration 0008)
    Column("held_from", Date, nullable=True),
    # a branch's last admission (branches with no development for years: max() per branch)
    Index("ix_milestone_branch_admitted", "branch_id", "admitted_on"),
    # admissions by approval date (the plan's year-to-date count, reports/query.py)
    Index("ix_milestone_admitted_on", "admitted_on"),
)

# The branches a candidate was in before a transfer (engine/milestones.py `Tenure`), one row per
# stretch: reports count the dates that fall in [held_from, held_until) for that branch, and
# the stock on a day for the branch held on that day. Only transferred candidates have rows (few).
branch_tenure = Table(
    "branch_tenure",
    metadata,
    Column("candidate_id", Integer, ForeignKey("candidate.id"), primary_key=True, autoincrement=False),
    Column("ordinal", Integer, primary_key=True, autoincrement=False),  # 1, 2, … in the order held
    Column("branch_id", Integer, nullable=False),
    Column("held_from", Date, nullable=True),  # NULL: since the application
    Column("held_until", Date, nullable=False),  # the transfer's date (counts for the next branch)
    Index("ix_branch_tenure_branch_id", "branch_id"),
)

# A yearly development plan (发展党员计划) of a township or branch: how many to admit and the
# structure targets; reports put the actual figures beside it.
development_plan = Table(
    "development_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organisation.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("admit_target", Integer, nullable=False),
    # structure targets: {"under_35": 0.6, "college": 0.3, "tag:致富带头人": 5, ...}
    Column("targets", JSONType, nullable=False),
    Column("note", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "year"),
)

IMPORT_STATUSES = ("confirmed", "undone")
FINDING_SOURCES = ("import", "correction")

# One confirmed ledger import (台账导入): what it created can be undone as a whole.
import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("org_id", Integer, ForeignKey("organisation.id"), nullable=True),
    Column("actor", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("summary", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("undone_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
)

# A compliance finding: history that broke a rule, recorded as found (never refused, never hidden).
finding = Table(
    "finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("candidate_id", Integer, ForeignKey("candidate.id"), nullable=False),
    Column("branch_id", Integer, nullable=False),
    Column("import_id", Integer, ForeignKey("import_batch.id"), nullable=True),
    Column("source", String(16), nullable=False),
    Column("step", String(64), nullable=True),
    Column("rule", String(64), nullable=False),
    Column("article", String(64), nullable=True),
    Column("message", Text, nullable=False),
    Column("occurred_on", Date, nullable=False),  # the date of the act that broke the rule
    Column("found_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("source", FINDING_SOURCES), name="source"),
    Index("ix_finding_branch_id_occurred_on", "branch_id", "occurred_on"),
    Index("ix_finding_candidate_id", "candidate_id"),
)

workflow_definition = Table(
    "workflow_definition",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("body", JSONType, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    # the YAML of a version installed from the web admin page (NULL: a snapshot of a shipped
    # file's version); every process loads these beside the files (services/app.py)
    Column("source", Text, nullable=True),
    Column("source_name", String(255), nullable=True),
)

holiday_year = Table(
    "holiday_year",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("body", JSONType, nullable=False),  # {holidays: [...], workdays: [...], source}
    Column("loaded_at", UTCDateTime, nullable=False),
)

# ------------------------------------------------------------------ reminders (issue 3)

CONTACT_ROLES = ("branch_secretary", "township_officer")
CHANNELS = ("email", "webhook", "console", "inapp")  # inapp: a `notice` row for one web user (0010)
OUTBOX_STATUSES = ("pending", "sent", "dead")
# the review loop's notices (报送, 退回, 审批通过, 审批不通过) reach users in-app (services/notices)
REVIEW_NOTICE_KINDS = ("submitted", "returned", "approved", "refused")
NOTICE_KINDS = ("reminder", "overdue", "escalation", "report", *REVIEW_NOTICE_KINDS)

# Who receives notifications for an organisation: a branch's secretary, a township's officer.
contact = Table(
    "contact",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organisation.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("email", String(254), nullable=True),
    Column("webhook_url", String(500), nullable=True),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    CheckConstraint(_in("role", CONTACT_ROLES), name="role"),
    Index("ix_contact_org_id_role", "org_id", "role"),
)

# The transactional outbox: one row per notice item, recipient and channel. `key` makes the scan
# idempotent (candidate, step, kind, due date, offset, channel, address); the dispatcher claims rows
# with a lease (`claimed_by`, `claimed_until`) and marks them sent.
outbox = Table(
    "outbox",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("candidate_id", Integer, ForeignKey("candidate.id"), nullable=True),
    Column("step", String(64), nullable=True),
    Column("due_on", Date, nullable=True),
    Column("created_on", Date, nullable=False),  # the scan date (as_of) that created it
    Column("channel", String(16), nullable=False),
    Column("address", String(500), nullable=False),
    Column("recipient_name", String(100), nullable=False),
    Column("org_id", Integer, nullable=False),  # the recipient's organisation
    Column("payload", JSONType, nullable=False),  # the item, as the templates read it
    Column("status", String(16), nullable=False, default="pending", server_default="pending"),
    Column("attempts", Integer, nullable=False, default=0, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
    CheckConstraint(_in("channel", CHANNELS), name="channel"),
    CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_outbox_channel_address_status", "channel", "address", "status"),  # per-recipient order
    # the dispatcher's claim (one digest per recipient) reads pending rows oldest first: SQLite's
    # planner answers ORDER BY id LIMIT by walking the whole table in id order — every sent row
    # ever — unless the pending rows have an index in id order of their own (migration 0014)
    _partial_index("ix_outbox_pending_id", "id", where="status = 'pending'"),
)

# One row per job and day: whoever inserts it runs the job (several scheduler processes, restarts).
job_run = Table(
    "job_run",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("run_on", Date, primary_key=True),
    Column("worker", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("result", JSONType, nullable=True),
)

# Where a job's incremental work stopped (the daily scan, issue 19): the last day it completed and
# the change marker it read up to (`change_marker`; PostgreSQL also the xids still in flight then).
# Updated in the job's own transaction, so a job that fails leaves it where it was.
job_watermark = Table(
    "job_watermark",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("changed", BigInteger, nullable=False),
    Column("in_flight", JSONType, nullable=False),  # list of xids (PostgreSQL), [] on SQLite
    Column("updated_at", UTCDateTime, nullable=False),
)

# ------------------------------------------------------------------ web (issue 5)

# Roles of a web user; every role but `admin` names an organisation of the matching level
# (services/accounts/access.py says what each role sees and does).
USER_ROLES = ("branch_secretary", "branch_committee", "township_officer", "county_viewer", "admin")

# A person who logs in to the web application (not a `person`: accounts and party records are apart).
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
    # sessions issued before this instant are refused (a password change logs every session out)
    Column("password_changed_at", UTCDateTime, nullable=False),
)

# What a user may do where: (role, organisation); `admin` has no organisation.
user_role = Table(
    "user_role",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("org_id", Integer, ForeignKey("organisation.id"), nullable=True),
    CheckConstraint(_in("role", USER_ROLES), name="role"),
    UniqueConstraint("user_id", "role", "org_id"),
)

# Every login attempt, kept in the database so the rate limit holds across server processes.
login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempt_username_ip_at", "username", "ip", "at"),
)

# Who changed what, when: one row per change made through the web (and user administration).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(32), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("detail", JSONType, nullable=False),
    Column("prev_hash", String(64), nullable=True),  # one hash chain in id order (storage/chain.py)
    Column("hash", String(64), nullable=True),
    Index("ix_audit_log_target_kind_target_id", "target_kind", "target_id"),
    Index("ix_audit_log_at", "at"),
)

# The head of a hash chain kept by its writers (today: the audit log's, name "audit"): each writer
# locks this row before it appends, so concurrent writers link to one consistent previous row, and
# rows cut off the end of the chain are still noticed (`rows` and `hash` no longer match its end).
chain_head = Table(
    "chain_head",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("rows", BigInteger, nullable=False),
    Column("hash", String(64), nullable=True),
)

# ------------------------------------------------------------------ in-app notices (issue 15)

# A web user's inbox (站内通知): written by the dispatcher when it delivers an outbox row of the
# `inapp` channel, in the same transaction that marks the row sent. `key` is that row's key, so a
# row delivered twice (a lost lease, a retried round) still makes one notice per item and person.
notice = Table(
    "notice",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500), nullable=True),  # a local path, e.g. /candidates/12
    Column("org_id", Integer, nullable=True),  # the organisation it concerns
    Column("candidate_id", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("kind", NOTICE_KINDS), name="kind"),
    Index("ix_notice_user_id_id", "user_id", "id"),  # a user's list, newest first
    # the bell's count on every page: only unread rows are in this index
    _partial_index("ix_notice_unread_user_id", "user_id", where="read_at IS NULL"),
)

# ------------------------------------------------------------------ sessions and login throttling (issue 17)

# Why a web session ended before its time (NULL while it is live).
SESSION_END_REASONS = ("logout", "password", "disabled", "everywhere", "replaced")
# What a login_throttle row counts failures of: one account name (from any address) or one address.
THROTTLE_SCOPES = ("account", "address")

# A signed-in browser (services/accounts/sessions.py). The cookie holds only a random token; the row is
# keyed by its SHA-256, so a copy of this table yields no usable cookie. Logout, a password change,
# disabling the account and 退出所有设备 set revoked_at, which ends the session at its next request.
web_session = Table(
    "web_session",
    metadata,
    Column("id", String(64), primary_key=True),  # hex SHA-256 of the cookie's token
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),  # written at most once a minute
    Column("expires_at", UTCDateTime, nullable=False),  # the absolute timeout
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", String(16), nullable=True),
    Column("user_agent", String(200), nullable=False),
    Column("address", String(64), nullable=False),
    CheckConstraint(_in("revoked_reason", SESSION_END_REASONS), name="revoked_reason"),
    Index("ix_web_session_user_id", "user_id"),
    Index("ix_web_session_expires_at", "expires_at"),
)

# Failed logins counted per account name and per client address (services/accounts/throttle.py), shared by
# every app process. A login locks its rows (SELECT … FOR UPDATE) while it checks the password, so
# parallel guesses at one account are counted one after another, none slipping past the limit.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("scope", String(8), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),  # in the window that began at window_start
    Column("window_start", UTCDateTime, nullable=True),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("scope", THROTTLE_SCOPES), name="scope"),
    Index("ix_login_throttle_updated_at", "updated_at"),
)

# ------------------------------------------------------------------ 材料: attached files (issue 18)

# Where an attachment came from: a user's upload, or a document generated from the record.
ATTACHMENT_SOURCES = ("upload", "generated")

# One file attached to a candidate, to one of its steps, as one of the materials its rules list
# (workflows/materials). The bytes live in the object store under `object_key` (content-addressed
# by SHA-256, so a file attached twice is stored once); this row says who attached it, when and as
# what. A removal sets removed_* and keeps the row and the bytes: the file stays in the record and
# the audit log until a retention rule says otherwise (docs/materials.md).
attachment = Table(
    "attachment",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("candidate_id", Integer, ForeignKey("candidate.id"), nullable=False),
    Column("step", String(64), nullable=True),  # None: attached to the candidate as a whole
    Column("material", String(64), nullable=True),  # material id; None: other (未归类)
    Column("source", String(16), nullable=False),
    Column("generated_kind", String(64), nullable=True),  # the form, for a generated document
    Column("sha256", String(64), nullable=False),
    Column("object_key", String(200), nullable=False),
    Column("thumbnail_key", String(200), nullable=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("file_kind", String(16), nullable=False),  # image | pdf | word
    Column("filename", String(200), nullable=False),  # the cleaned display name
    Column("pages", Integer, nullable=True),
    Column("document_date", Date, nullable=True),  # the date the document bears (档案目录), if given
    Column("note", String(500), nullable=True),
    Column("uploaded_by", String(100), nullable=False),  # the recorder's name
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=True),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
    Column("removed_by", String(100), nullable=True),
    Column("removed_reason", String(500), nullable=True),
    CheckConstraint(_in("source", ATTACHMENT_SOURCES), name="source"),
    # a candidate's files (candidate page, completeness of a queue of candidates)
    Index("ix_attachment_candidate_id_material", "candidate_id", "material"),
    Index("ix_attachment_sha256", "sha256"),
    # the same file (SHA-256) once per candidate, step and material among the files not removed: a
    # retried upload returns the one on file (services/materials/files.py; migration 0015)
    _partial_index("uq_attachment_live_file", "candidate_id", text("coalesce(step, '')"), text("coalesce(material, '')"),
                   "sha256", unique=True, where="removed_at IS NULL"),
)
