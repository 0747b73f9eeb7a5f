"""users.posts: the emergency posts (岗位) a staff member holds, for the desk's emergency directory (R-EM-2)

Revision ID: 0018_staff_posts
Revises: 0001
Create Date: 2026-12-15

Written by hand (mirrors `users.posts` in server/storage/schema.py, D89). R-EM-2 summons the security
manager, engineering manager, guard captain, elevator captain, repair lead and guard shift lead to the
scene; those are posts some staff hold, not roles that grant rights, so they are a list of their own
(JSON, values of server.domain.emergencies.SummonedRole). Existing accounts hold none ('[]'): the
desk then says nobody in the directory holds the post, which is true until the manager records it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_staff_posts"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("posts", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("users", "posts")
