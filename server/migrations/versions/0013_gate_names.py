"""gates: the compound's gate codes with the names people read (东门, 地库出口 …)

Revision ID: 0013_gate_names
Revises: 0003_gate
Create Date: 2026-11-24

Written by hand (mirrors `gates` in server/gate/tables.py). Slips, releases and hand-ins keep
carrying the gate code; this table only names the codes for the desk, the printed slip and the
guard's phone (D42). Nothing is backfilled: a compound's gates are named by its manager
(PUT /api/gates) and an unnamed code is shown as the bare code. Branches off 0003_gate, the
gate feature's own migration; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_gate_names"
down_revision: str | Sequence[str] | None = "0003_gate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gates",
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"]),
        sa.PrimaryKeyConstraint("compound_id", "code"),
    )


def downgrade() -> None:
    op.drop_table("gates")
