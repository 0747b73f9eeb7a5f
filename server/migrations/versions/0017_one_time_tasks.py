"""one_time_tasks: work a database needs done once, claimed by the process that does it (D88)

Revision ID: 0017_one_time_tasks
Revises: 0001
Create Date: 2026-12-07

Written by hand (mirrors `one_time_tasks` in server/storage/schema.py). The first use: a scheduler's
start plans the reminders of every referral still waiting, once per database (server/notify/catch_up.py),
so a referral made before D78 is not left until its case's next save. The row is inserted in the same
transaction as the work; several processes starting together on PostgreSQL therefore do it once.
Nothing to backfill. Branches off 0001, like the other feature migrations; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_one_time_tasks"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "one_time_tasks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_one_time_tasks"),
    )


def downgrade() -> None:
    op.drop_table("one_time_tasks")
