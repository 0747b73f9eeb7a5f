"""gate: release slips, slip signing keys, revocations, release incidents, hand-in receipts

Revision ID: 0003_gate
Revises: 0001
Create Date: 2026-11-22

Written by hand (mirrors server/gate/tables.py). A branch of its own off 0001: the server upgrades
to `heads`, so it applies beside the other feature migrations.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_gate"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "release_slips",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("short_code", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("released_at", TS, nullable=True),
        sa.Column("released_gate", sa.String(length=8), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compounds.id"], name="fk_release_slips_compound_id_compounds"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_release_slips_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_release_slips"),
        sa.UniqueConstraint("short_code", name="uq_release_slips_short_code"),
    )
    op.create_index("ix_release_slips_compound_issued", "release_slips", ["compound_id", "issued_at"])
    op.create_index("ix_release_slips_compound_released", "release_slips", ["compound_id", "released_at"])

    op.create_table(
        "slip_keys",
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("private_raw", sa.LargeBinary(), nullable=False),
        sa.Column("public", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retired_at", TS, nullable=True),
        sa.Column("verify_until", TS, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"], name="fk_slip_keys_compound_id_compounds"),
        sa.PrimaryKeyConstraint("kid", name="pk_slip_keys"),
    )
    op.create_index("ix_slip_keys_compound", "slip_keys", ["compound_id"])
    op.create_index(
        "uq_slip_keys_active",
        "slip_keys",
        ["compound_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )

    op.create_table(
        "slip_revocations",
        sa.Column("slip_id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", TS, nullable=False),
        sa.Column("revoked_by", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["slip_id"], ["release_slips.id"], name="fk_slip_revocations_slip_id_release_slips"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compounds.id"], name="fk_slip_revocations_compound_id_compounds"
        ),
        sa.PrimaryKeyConstraint("slip_id", name="pk_slip_revocations"),
    )
    op.create_index("ix_slip_revocations_compound_id", "slip_revocations", ["compound_id"])

    op.create_table(
        "slip_incidents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("slip_id", sa.String(length=40), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("gate", sa.String(length=8), nullable=False),
        sa.Column("released_by", sa.String(length=40), nullable=False),
        sa.Column("released_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compounds.id"], name="fk_slip_incidents_compound_id_compounds"
        ),
        sa.ForeignKeyConstraint(["slip_id"], ["release_slips.id"], name="fk_slip_incidents_slip_id_release_slips"),
        sa.PrimaryKeyConstraint("id", name="pk_slip_incidents"),
    )
    op.create_index("ix_slip_incidents_slip_id", "slip_incidents", ["slip_id"])
    op.create_index("ix_slip_incidents_compound_recorded", "slip_incidents", ["compound_id", "recorded_at"])

    op.create_table(
        "slip_handins",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("gate", sa.String(length=8), nullable=False),
        sa.Column("received_by", sa.String(length=40), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"], name="fk_slip_handins_compound_id_compounds"),
        sa.PrimaryKeyConstraint("id", name="pk_slip_handins"),
        sa.UniqueConstraint("compound_id", "period", "gate", name="uq_slip_handins_period_gate"),
    )


def downgrade() -> None:
    op.drop_table("slip_handins")
    op.drop_index("ix_slip_incidents_compound_recorded", table_name="slip_incidents")
    op.drop_index("ix_slip_incidents_slip_id", table_name="slip_incidents")
    op.drop_table("slip_incidents")
    op.drop_index("ix_slip_revocations_compound_id", table_name="slip_revocations")
    op.drop_table("slip_revocations")
    op.drop_index("uq_slip_keys_active", table_name="slip_keys")
    op.drop_index("ix_slip_keys_compound", table_name="slip_keys")
    op.drop_table("slip_keys")
    op.drop_index("ix_release_slips_compound_released", table_name="release_slips")
    op.drop_index("ix_release_slips_compound_issued", table_name="release_slips")
    op.drop_table("release_slips")
