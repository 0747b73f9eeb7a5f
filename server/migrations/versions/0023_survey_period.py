"""surveys.period: the month whose monthly report counts a periodic survey (R-RV-3)

Revision ID: 0023_survey_period
Revises: 0005_services
Create Date: 2026-12-07

Written by hand (mirrors `surveys` in server/storage/tables_services.py, D139). The manager
opens a survey for a month ("2026-11"); the month's report reads the last survey opened for it. Until
now the report read the last survey opened *in* the month, so ballots collected after a month ended
could not count in it. Existing surveys keep NULL and still count in the month they were opened in
(server/services/visits.py `survey_of_month`): nothing to backfill, and no zone to guess here.
Branches on from 0005_services; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_survey_period"
down_revision: str | Sequence[str] | None = "0005_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("surveys", sa.Column("period", sa.String(7), nullable=True))
    op.create_index("ix_surveys_compound_period", "surveys", ["compound_id", "period"])


def downgrade() -> None:
    op.drop_index("ix_surveys_compound_period", table_name="surveys")
    op.drop_column("surveys", "period")
