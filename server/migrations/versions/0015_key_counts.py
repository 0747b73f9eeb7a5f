"""key_counts: the physical month-end count of the key cabinet, who counted and what differed (R-KY-1)

Revision ID: 0015_key_counts
Revises: 0005_services
Create Date: 2026-12-14

Written by hand (mirrors `key_counts` in server/storage/tables_services.py, D72). One row per
compound and month, the primary key being what makes a month's count recordable once. The month's
figures are still recomputed from the register (D64); this row holds only what the register cannot
know: who counted at the cabinet, the witness, when, and the discrepancy found. Nothing is
backfilled: counts before this were ticked and signed on paper. Branches off 0005_services, which
created the key tables; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_key_counts"
down_revision: str | Sequence[str] | None = "0005_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_counts",
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "year", "month", name="pk_key_counts"),
    )


def downgrade() -> None:
    op.drop_table("key_counts")
