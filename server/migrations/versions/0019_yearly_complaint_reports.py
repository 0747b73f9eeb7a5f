"""yearly_complaint_reports: the yearly complaint analysis report (客户投诉报告) and its hand-in (R-RV-5)

Revision ID: 0019_yearly_complaint_reports
Revises: 0001
Create Date: 2026-12-07

Written by hand (mirrors `yearly_complaint_reports` in server/storage/tables_services.py, D130). One row
per compound and year, stored once the manager saves the analysis: the domain YearlyComplaintReport as JSON,
its figures frozen from the hand-in on. Nothing to backfill: a year without a row is computed live.
Branches off 0001, like the other feature migrations; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_yearly_complaint_reports"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "yearly_complaint_reports",
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "year", name="pk_yearly_complaint_reports"),
    )


def downgrade() -> None:
    op.drop_table("yearly_complaint_reports")
