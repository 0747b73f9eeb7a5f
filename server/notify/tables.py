"""Tables for push notifications: the shared VAPID key, devices' push subscriptions, reminders.

Migration server/migrations/versions/0004_push.py creates them; keep the two in step.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from server.storage.schema import TS, metadata

# One row (id = 1). In the database rather than on disk because several server processes on
# several machines share the database, not a disk, and every subscription is bound to this key.
vapid_keys = Table(
    "vapid_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("private_pem", Text, nullable=False),
    Column("application_server_key", String(100), nullable=False),
    Column("created_at", TS, nullable=False),
)

# One subscription per device (a device is one login on one phone): a new one replaces it.
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("device_id", String(40), ForeignKey("devices.id"), nullable=False, unique=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False, index=True),
    Column("endpoint", String(1000), nullable=False, unique=True),
    Column("p256dh", String(200), nullable=False),
    Column("auth", String(100), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("last_success_at", TS, nullable=True),
    Column("last_error", Text, nullable=True),
)

# A reminder is one message to one person about one clock of one case. The unique key makes
# recomputation on every case save idempotent; the state column is how several schedulers agree
# that each reminder is sent once (see server/notify/scheduler.py).
reminders = Table(
    "reminders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("case_id", String(40), nullable=False, index=True),
    Column("job_id", String(40), nullable=True),
    Column("code", String(40), nullable=False),  # the clock code, EM_ESCALATION, or OP3_/FU3_REFERRAL
    Column("kind", String(20), nullable=False),  # before_due | overdue | escalation | referral | referral_others
    Column("recipient_id", String(40), nullable=False, index=True),
    Column("due_at", TS, nullable=False),  # the deadline the reminder is about (a referral: when passed up)
    Column("send_at", TS, nullable=False),  # when it was planned to go out
    Column("payload", Text, nullable=False),  # JSON: title, body, tag, url, case_id, job_id, kind
    # pending -> claimed -> sent | failed (or back to pending for a retry); pending -> cancelled
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("claimed_by", String(80), nullable=True),
    Column("claimed_at", TS, nullable=True),
    Column("delivered_to", Text, nullable=False),  # JSON list of subscription ids already reached
    Column("sent_at", TS, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("case_id", "code", "kind", "recipient_id", "due_at", name="uq_reminders_key"),
    Index("ix_reminders_state_next", "state", "next_attempt_at"),
)
