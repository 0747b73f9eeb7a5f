"""contact_slips: the work-contact slip 工作联系单 to the developer for a legacy defect (R-IN-6 d)

Revision ID: 0012_contact_slips
Revises: 0001
Create Date: 2026-11-23

Written by hand (mirrors server/storage/tables_contact_slips.py, D44). Slips are numbered
LX<local day>-<n> from the `counters` table, a row per compound and day like the cases and the
bookings; that table and `cases` come from 0001, so this branch starts there (the server upgrades to
`heads`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_contact_slips"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER_PREFIX = "contact_slip_no:"


def upgrade() -> None:
    op.create_table(
        "contact_slips",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("no", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_contact_slips_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_slips"),
    )
    op.create_index("ix_contact_slips_case_id", "contact_slips", ["case_id"])
    op.create_index("uq_contact_slips_compound_no", "contact_slips", ["compound_id", "no"], unique=True)
    op.create_index("ix_contact_slips_compound_state", "contact_slips", ["compound_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_contact_slips_compound_state", table_name="contact_slips")
    op.drop_index("uq_contact_slips_compound_no", table_name="contact_slips")
    op.drop_index("ix_contact_slips_case_id", table_name="contact_slips")
    op.drop_table("contact_slips")
    op.get_bind().execute(sa.text("DELETE FROM counters WHERE name LIKE :p"), {"p": COUNTER_PREFIX + "%"})
