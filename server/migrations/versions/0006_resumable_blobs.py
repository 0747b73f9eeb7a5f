"""resumable blob uploads: a blob's pieces kept per user until the last one arrives

Revision ID: 0006_resumable_blobs
Revises: 0001
Create Date: 2026-11-23

Written by hand (mirrors blob_uploads / blob_upload_parts in server/storage/schema.py). A branch
of its own off 0001 like the other feature migrations: the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_resumable_blobs"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "user_id", name="pk_blob_uploads"),
    )
    op.create_index("ix_blob_uploads_updated_at", "blob_uploads", ["updated_at"], unique=False)
    op.create_table(
        "blob_upload_parts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "user_id", "start", name="pk_blob_upload_parts"),
    )


def downgrade() -> None:
    op.drop_table("blob_upload_parts")
    op.drop_index("ix_blob_uploads_updated_at", table_name="blob_uploads")
    op.drop_table("blob_uploads")
