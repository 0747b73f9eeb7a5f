"""weekly quality checks: the manager's check of each week's handling quality and its CAPA report

Revision ID: 0007_weekly_checks
Revises: 0001
Create Date: 2026-11-23

Written by hand (mirrors weekly_checks in server/storage/schema.py). A branch of its own off 0001
like the other feature migrations: the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_weekly_checks"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_checks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_weekly_checks"),
        sa.UniqueConstraint("compound_id", "week_start", name="uq_weekly_checks_compound_week"),
    )


def downgrade() -> None:
    op.drop_table("weekly_checks")
