"""field refusals: a phone's refused mutation with its arguments, kept for the desk

Revision ID: 0008_field_refusals
Revises: 0001
Create Date: 2026-11-23

Written by hand (mirrors field_refusals in server/storage/schema.py). A branch of its own off 0001
like the other feature migrations: the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_field_refusals"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_refusals",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("mutation_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=40), nullable=True),
        sa.Column("handled_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("client_id", "mutation_id", name="pk_field_refusals"),
    )
    op.create_index("ix_field_refusals_compound_case", "field_refusals", ["compound_id", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_field_refusals_compound_case", table_name="field_refusals")
    op.drop_table("field_refusals")
