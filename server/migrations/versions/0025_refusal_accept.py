"""field_refusals.acted_at, clock_changed_s, accepted: a refused completion the desk accepts counts when done

Revision ID: 0025_refusal_accept
Revises: 0008_field_refusals
Create Date: 2026-12-21

Written by hand (mirrors `field_refusals` in server/storage/schema.py, D141). The push now
keeps, with each refused mutation, when the person acted in server time (the phone's server-time estimate,
else its clock moved by the batch's offset: D35, D128) and how far the phone's clock moved meanwhile, so a
signed completion refused because the desk reassigned the job can be accepted later at the time it was done.
`accepted` says a record was handled by being applied to its case rather than with a note. Records kept
before this have no acted time (they count at their receipt, like a step from an app without a clock) and
were all handled with a note (false). Branches on from 0008_field_refusals; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_refusal_accept"
down_revision: str | Sequence[str] | None = "0008_field_refusals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("field_refusals", sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("field_refusals", sa.Column("clock_changed_s", sa.Integer(), nullable=True))
    op.add_column("field_refusals", sa.Column("accepted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("field_refusals", "accepted")
    op.drop_column("field_refusals", "clock_changed_s")
    op.drop_column("field_refusals", "acted_at")
