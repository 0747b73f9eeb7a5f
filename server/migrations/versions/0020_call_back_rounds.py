"""call_backs.completion_round: one call-back per round of work, not one per case

Revision ID: 0020_call_back_rounds
Revises: 0005_services
Create Date: 2026-12-16

R-FU-6 asks for a call-back after each completion. A case reopened by an unsatisfied call-back is
redone, and the resident must be asked whether the rework fixed it; the call-back was keyed by the case
alone, so the redo got none (D133). Rounds are numbered from 0 (the first work); n is the work
redone after the n-th reopening. Every stored call-back asked about the first round: 0. The unique key
becomes (subject, subject_id, completion_round); batch mode rebuilds the table on SQLite, which cannot
drop a constraint in place.

Branches off 0005_services (which created the table), not 0001 like most feature migrations.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_call_back_rounds"
down_revision: str | Sequence[str] | None = "0005_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_backs") as batch:
        batch.add_column(sa.Column("completion_round", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_call_backs_subject", type_="unique")
        batch.create_unique_constraint("uq_call_backs_round", ["subject", "subject_id", "completion_round"])


def downgrade() -> None:
    # Only the first round's call-backs fit the older key; later rounds' rows go with the column.
    op.execute(sa.text("DELETE FROM call_backs WHERE completion_round > 0"))
    with op.batch_alter_table("call_backs") as batch:
        batch.drop_constraint("uq_call_backs_round", type_="unique")
        batch.create_unique_constraint("uq_call_backs_subject", ["subject", "subject_id"])
        batch.drop_column("completion_round")
