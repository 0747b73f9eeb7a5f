"""The relational schema (SQLAlchemy Core). Alembic migrations in server/migrations mirror it.

Aggregates (a case with its work orders and slip) are stored as one msgspec-encoded JSON document
plus the columns that queries filter on: the document is the truth, the columns are indexes.
Passing stored JSON straight through on pull is ~10x cheaper than building ORM objects.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)



class UTCDateTime(TypeDecorator):
    """Always tz-aware UTC in Python. SQLite has no time zones, so it stores naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: the server works in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TS = UTCDateTime()

compounds = Table(
    "compounds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("calendar", Text, nullable=False),  # JSON BusinessCalendar
    Column("policy", Text, nullable=False),  # JSON deadline policy
    Column("created_at", TS, nullable=False),
    # The compound's own numbers staff call in an emergency besides the public ones (R-EM-2, R-SH-1: the
    # control room takes calls at night): listed with 110/119/120/122 on every phone's emergency sheet.
    # "" while the manager has not recorded one.
    Column("service_centre_phone", String(40), nullable=False, server_default=""),
    Column("control_room_phone", String(40), nullable=False, server_default=""),
)

buildings = Table(
    "buildings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False, index=True),
    Column("building_id", String(40), ForeignKey("buildings.id"), nullable=False, index=True),
    Column("floor", Integer, nullable=False),
    Column("label", String(100), nullable=False),
)

people = Table(
    "people",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False, index=True),
    Column("unit_id", String(40), ForeignKey("units.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    # owner, household (registered household member), tenant, nanny, friend, employee, relative
    Column("relation", String(20), nullable=False),
    Column("registered", Boolean, nullable=False, default=False),
    Column("phone", String(40), nullable=False, default=""),
)

users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False, index=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("roles", Text, nullable=False),  # JSON list of Role values
    Column("phone", String(40), nullable=False, default=""),
    # JSON list of emergencies.SummonedRole values: the posts R-EM-2 summons to the scene that this
    # person holds (保安经理, 电梯队长 …). Not roles: they grant no rights, they say whom to call (D89).
    Column("posts", Text, nullable=False, default="[]", server_default="[]"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TS, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # Only the SHA-256 of the token is stored: a leaked database does not leak usable tokens.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_by", String(40), nullable=True),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False),
    Column("no", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("category", String(30), nullable=True),
    Column("building_id", String(40), nullable=True),
    Column("unit_id", String(40), nullable=True),
    Column("assignee_id", String(40), nullable=True, index=True),
    Column("is_emergency", Boolean, nullable=False, default=False),
    Column("received_at", TS, nullable=False),
    Column("next_due_at", TS, nullable=True),
    Column("updated_at", TS, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("doc", Text, nullable=False),
    Index("ix_cases_compound_state", "compound_id", "state"),
    Index("ix_cases_compound_due", "compound_id", "next_due_at"),
    # The desk's lists run newest first with (received_at, id) as the page key; received_at never
    # changes after intake, so the index costs the push's case updates nothing (D21, D31).
    Index("ix_cases_compound_received", "compound_id", "received_at", "id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("compound_id", String(40), nullable=True),
    Column("case_id", String(40), nullable=True, index=True),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(100), nullable=False),  # "<client id>:<mutation id>" fits
    Column("action", String(60), nullable=False),
    Column("actor_id", String(40), nullable=True),
    Column("actor_role", String(30), nullable=True),
    Column("device_id", String(40), nullable=True),
    Column("at", TS, nullable=False),
    Column("data", Text, nullable=False),
    # Hash chain: hash = sha256(prev_hash || canonical entry); a changed or deleted row breaks it.
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The change feed. `seq` is assigned at the very end of a transaction while holding the row lock
# on change_counter, so sequence order equals commit order (see server/sync/feed.py).
changes = Table(
    "changes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("scope", String(80), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(80), nullable=False),
    Column("op", String(10), nullable=False),
    Column("doc", Text, nullable=True),
    UniqueConstraint("scope", "entity", "entity_id", name="uq_changes_scope_entity"),
    Index("ix_changes_scope_seq", "scope", "seq"),
)

change_counter = Table(
    "change_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
)

# Work a database needs done once, whichever server process gets to it first (e.g. planning the
# reminders of referrals made before reminders were planned for them, D88): the row is the claim,
# inserted in the same transaction as the work, so a second process waits for the first's commit and
# then finds it done, and a failed attempt leaves no row and is tried again at the next start.
one_time_tasks = Table(
    "one_time_tasks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("done_at", TS, nullable=False),
    Column("done_by", String(120), nullable=False),  # the process that did it (host:pid)
    Column("detail", Text, nullable=True),  # what it did, for the operator (e.g. how many cases)
)

sync_clients = Table(
    "sync_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("device_id", String(40), nullable=True),
    Column("last_mutation_id", BigInteger, nullable=False),
    Column("created_at", TS, nullable=False),
)

sync_mutations = Table(
    "sync_mutations",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("mutation_id", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(40), nullable=False),
    Column("status", String(12), nullable=False),  # applied | rejected
    Column("code", String(60), nullable=True),
    Column("message", Text, nullable=True),
    Column("message_en", Text, nullable=True),
    Column("received_at", TS, nullable=False),
    Column("device_time", TS, nullable=True),
)

# A phone's mutation the push refused, with the arguments it carried: the phone shows the reason,
# the desk sees the record (server/domain/field_refusals.py) until someone says what was done.
field_refusals = Table(
    "field_refusals",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("mutation_id", BigInteger, primary_key=True, autoincrement=False),
    Column("compound_id", String(40), nullable=False),
    Column("user_id", String(40), nullable=False),
    Column("case_id", String(40), nullable=True),
    Column("type", String(40), nullable=False),
    Column("code", String(60), nullable=False),
    Column("message", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("args", Text, nullable=False),
    Column("device_time", TS, nullable=True),
    Column("received_at", TS, nullable=False),
    Column("handled_at", TS, nullable=True),
    Column("handled_by", String(40), nullable=True),
    Column("handled_note", Text, nullable=True),
    # When the person acted, in server time (push.py acted_at, D35/D128), and the phone clock's move
    # between the act and the send: a completion the desk accepts counts then (migration 0025).
    Column("acted_at", TS, nullable=True),
    Column("clock_changed_s", Integer, nullable=True),
    # Handled by applying the record to its case (an accepted completion), not with a note.
    Column("accepted", Boolean, nullable=False, server_default=false()),
    Index("ix_field_refusals_compound_case", "compound_id", "case_id"),
)


blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(40), nullable=True),
)

# A blob arriving in pieces over a flaky link (design guarantee 5, "resumable"): what one user has
# sent so far of one hash. The pieces are rows of their own, so appending never rewrites what came
# before; at the last piece they are joined, checked like a whole upload, and moved to `blobs`.
blob_uploads = Table(
    "blob_uploads",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("content_type", String(40), nullable=False),
    Column("total", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False, index=True),
)

blob_upload_parts = Table(
    "blob_upload_parts",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# Which case's slip a drawn signature belongs to: a signature replayed onto another job is refused.
slip_signatures = Table(
    "slip_signatures",
    metadata,
    Column("signature_sha256", String(64), primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("at", TS, nullable=False),
)

# A manager's approval to close an emergency or major case, given before the desk closes it.
case_approvals = Table(
    "case_approvals",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("approver_id", String(40), nullable=False),
    Column("at", TS, nullable=False),
)

# Shift handover sheets (R-SH-1): the domain HandoverSheet as a document.
handovers = Table(
    "handovers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False, index=True),
    Column("built_at", TS, nullable=False),
    Column("doc", Text, nullable=False),
)

# The manager's weekly quality checks (R-RV-4): the domain WeeklyCheck as a document, one per week
# (named by its Monday) per compound.
weekly_checks = Table(
    "weekly_checks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("week_start", Date, nullable=False),
    Column("doc", Text, nullable=False),
    UniqueConstraint("compound_id", "week_start", name="uq_weekly_checks_compound_week"),
)
