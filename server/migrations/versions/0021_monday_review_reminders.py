"""reminders: the Monday review's per-case reminders not sent yet are cancelled (one a week replaces them)

Revision ID: 0021_monday_review_reminders
Revises: 0004_push
Create Date: 2026-12-14

Written by hand; no schema change. Each open case used to plan its own Monday-review reminders (R-FU-3):
a "due soon" to its follower at 08:15 and an "overdue" to every manager at 08:30, one pair per case. The
review now has one reminder a week for all its cases, planned by the scheduler on the day
(server/notify/weekly.py, D137). The per-case ones already stored and still pending would go out
next Monday all the same, as each case is planned again only when it changes: they are cancelled here,
as a case's save cancels the reminders it no longer needs. Sent ones stay as they were. Branches off
0004_push, which created the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_monday_review_reminders"
down_revision: str | Sequence[str] | None = "0004_push"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_reminders = sa.table("reminders", sa.column("code", sa.String), sa.column("case_id", sa.String),
                      sa.column("state", sa.String))


def upgrade() -> None:
    op.execute(
        _reminders.update()
        .where(_reminders.c.code == "FU3_MONDAY_REVIEW", _reminders.c.state == "pending",
               _reminders.c.case_id != "monday-review")
        .values(state="cancelled")
    )


def downgrade() -> None:
    # Nothing to restore: a case's next save plans what it needs.
    pass
