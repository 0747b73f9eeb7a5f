"""compounds.service_centre_phone, compounds.control_room_phone: the compound's own emergency numbers

Revision ID: 0022_compound_phones
Revises: 0001
Create Date: 2026-12-20

Written by hand (mirrors `compounds` in server/storage/schema.py). A guard or technician in an emergency
calls the public services (110/119/120/122, R-EM-5) and the compound's own service centre and control
room (R-EM-2; R-SH-1: the control room takes the calls at night); the phone's emergency sheet lists both.
Existing compounds have none on file ('') until the manager records them on the staff page.
Branches off 0001, like the other feature migrations; the server upgrades to `heads`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_compound_phones"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("compounds", sa.Column("service_centre_phone", sa.String(40), nullable=False, server_default=""))
    op.add_column("compounds", sa.Column("control_room_phone", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("compounds", "control_room_phone")
    op.drop_column("compounds", "service_centre_phone")
