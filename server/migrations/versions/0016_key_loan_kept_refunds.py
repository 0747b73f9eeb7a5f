"""key_loans.kept_refunded_at: when a deposit kept for a key lost on loan was handed back (R-KY-1)

Revision ID: 0016_key_loan_kept_refunds
Revises: 0015_key_counts
Create Date: 2026-12-21

Written by hand (mirrors `key_loans` in server/storage/tables_services.py, D86). A deposit kept when a
lent key was lost may be handed back once the key is found, months later; the refund lives in the loan's
document (`KeyLoan.kept_refund`, D1) and is listed in the month it was made. The month's queries read
loans by when they ended (`returned_at`), which would miss a loan that ended in an earlier month and
refunded in this one: this column says when that refund was made, so a month reads the loans whose
refund falls in it. Nothing to backfill: no loan had such a refund before this. Branches on from
0015_key_counts; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_key_loan_kept_refunds"
down_revision: str | Sequence[str] | None = "0015_key_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("key_loans", sa.Column("kept_refunded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("key_loans", "kept_refunded_at")
