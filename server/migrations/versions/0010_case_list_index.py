"""cases: an index for the desk's newest-first lists

Revision ID: 0010_case_list_index
Revises: 0001
Create Date: 2026-11-23

At a year's scale (bench/desk_scale.py, ~30,000 cases) every desk list sorted the compound's whole
case table to return its newest 200: the only indexes led with the compound and then state or due
time. (compound_id, received_at, id) gives the lists their order and their page key (D31).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_case_list_index"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_compound_received", "cases", ["compound_id", "received_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_compound_received", table_name="cases")
