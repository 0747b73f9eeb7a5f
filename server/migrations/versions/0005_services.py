"""services: special-service catalogue and bookings, call-backs, surveys, monthly reports, keys, compensations

Revision ID: 0005_services
Revises: 0001
Create Date: 2026-11-23

Written by hand (mirrors server/storage/tables_services.py). A branch of its own off 0001: the
server upgrades to `heads`, so it applies beside the other feature migrations.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_services"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def TS() -> sa.DateTime:  # noqa: N802
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_items",
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "code", name="pk_service_items"),
    )
    op.create_table(
        "service_agreements",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("item_code", sa.String(40), nullable=False),
        sa.Column("valid_until", TS(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_agreements"),
    )
    op.create_index("ix_service_agreements_compound_id", "service_agreements", ["compound_id"])
    op.create_table(
        "service_bookings",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("item_code", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=True),
        sa.Column("unit_id", sa.String(40), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("booked_at", TS(), nullable=False),
        sa.Column("settled_at", TS(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_bookings"),
        sa.UniqueConstraint("case_id", name="uq_service_bookings_case_id"),
    )
    op.create_index("ix_service_bookings_compound_state", "service_bookings", ["compound_id", "state"])
    op.create_table(
        "service_loss_decisions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("item_code", sa.String(40), nullable=False),
        sa.Column("decided_at", TS(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_loss_decisions"),
    )
    op.create_index("ix_service_loss_decisions_compound_id", "service_loss_decisions", ["compound_id"])
    op.create_table(
        "call_backs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=False),
        sa.Column("due_at", TS(), nullable=False),
        sa.Column("called_back_at", TS(), nullable=True),
        sa.Column("review", sa.String(10), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_backs"),
        sa.UniqueConstraint("subject", "subject_id", name="uq_call_backs_subject"),
    )
    op.create_index("ix_call_backs_compound_due", "call_backs", ["compound_id", "due_at"])
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("opened_at", TS(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
    )
    op.create_index("ix_surveys_compound_id", "surveys", ["compound_id"])
    op.create_table(
        "monthly_reports",
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "year", "month", name="pk_monthly_reports"),
    )
    op.create_table(
        "keys",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("building", sa.String(100), nullable=False),
        sa.Column("floor", sa.String(20), nullable=False),
        sa.Column("key_type", sa.String(30), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_keys"),
    )
    op.create_index("ix_keys_compound_filing", "keys", ["compound_id", "building", "floor", "key_type"])
    op.create_table(
        "key_loans",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("lent_at", TS(), nullable=False),
        sa.Column("due_at", TS(), nullable=False),
        sa.Column("returned_at", TS(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_key_loans"),
    )
    op.create_index("ix_key_loans_key_id", "key_loans", ["key_id"])
    op.create_index("ix_key_loans_compound_open", "key_loans", ["compound_id", "returned_at"])
    op.create_table(
        "compensations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("opened_at", TS(), nullable=False),
        sa.Column("closed_at", TS(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compensations"),
    )
    op.create_index("ix_compensations_compound_id", "compensations", ["compound_id"])


def downgrade() -> None:
    for name in (
        "compensations", "key_loans", "keys", "monthly_reports", "surveys", "call_backs",
        "service_loss_decisions", "service_bookings", "service_agreements", "service_items",
    ):
        op.drop_table(name)
