"""slip signatures, close approvals, handover sheets

Revision ID: 0002_case_evidence
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_case_evidence"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slip_signatures",
        sa.Column("signature_sha256", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature_sha256", name=op.f("pk_slip_signatures")),
    )
    op.create_table(
        "case_approvals",
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("approver_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "kind", name=op.f("pk_case_approvals")),
    )


    op.create_table(
        "handovers",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    op.create_index(op.f("ix_handovers_compound_id"), "handovers", ["compound_id"])


def downgrade() -> None:
    op.drop_table("handovers")
    op.drop_table("case_approvals")
    op.drop_table("slip_signatures")
