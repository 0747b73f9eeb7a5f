"""audit.entity_id: 40 -> 100 characters

Revision ID: 0009_audit_entity_id
Revises: 0001
Create Date: 2026-11-23

An audit entry about a sync mutation is named "<client id>:<mutation id>", and a client id may be
64 characters (server/sync/protocol.py): PostgreSQL refused such an entry with "value too long",
turning a refused out-of-scope push into a 500 that blocked the phone's queue. SQLite does not
enforce the length; batch mode rebuilds its table so both engines declare the same type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_entity_id"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("entity_id", existing_type=sa.String(length=40), type_=sa.String(length=100),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("entity_id", existing_type=sa.String(length=100), type_=sa.String(length=40),
                           existing_nullable=False)
