"""service_bookings.booking_no: a number people quote, given at booking

Revision ID: 0011_booking_no
Revises: 0005_services
Create Date: 2026-11-23

A special-service booking had no number of its own until its dispatch opened a case, so a
settlement statement printed for an advance taken before dispatch named the booking by its time
(D39). Bookings are now numbered TY<local day>-<n> at creation from the same `counters` row
mechanism as case numbers (one counter per compound and local day). Bookings already stored are
numbered here in the order they were booked, in the compound's time zone, and the day counters are
set past them so the next booking of such a day continues the sequence. The number is written to the
column (unique per compound) and to the booking's JSON document, which is what the views read.

Branches off 0005_services (which created the table), not 0001 like the other feature migrations.
"""

import json
from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0011_booking_no"
down_revision: str | Sequence[str] | None = "0005_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER_PREFIX = "booking_no:"

_bookings = sa.table(
    "service_bookings", sa.column("id", sa.String), sa.column("compound_id", sa.String),
    sa.column("booked_at", sa.DateTime(timezone=True)), sa.column("booking_no", sa.String),
    sa.column("doc", sa.Text),
)
_compounds = sa.table("compounds", sa.column("id", sa.String), sa.column("calendar", sa.Text))
_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def _number_existing(bind) -> None:  # noqa: ANN001
    zones = {}
    for row in bind.execute(sa.select(_compounds.c.id, _compounds.c.calendar)):
        try:
            tz = json.loads(row.calendar or "{}").get("tz") or "Asia/Shanghai"
        except ValueError:
            tz = "Asia/Shanghai"
        zones[row.id] = ZoneInfo(tz)
    last: dict[tuple[str, str], int] = {}
    updates = []
    rows = bind.execute(sa.select(_bookings.c.id, _bookings.c.compound_id, _bookings.c.booked_at, _bookings.c.doc)
                        .order_by(_bookings.c.booked_at, _bookings.c.id)).all()
    for row in rows:
        at = row.booked_at if row.booked_at.tzinfo is not None else row.booked_at.replace(tzinfo=UTC)
        day = at.astimezone(zones.get(row.compound_id, ZoneInfo("Asia/Shanghai"))).strftime("%Y%m%d")
        n = last.get((row.compound_id, day), 0) + 1
        last[(row.compound_id, day)] = n
        no = f"TY{day}-{n:03d}"
        doc = json.loads(row.doc)
        doc["booking_no"] = no
        updates.append({"b_id": row.id, "b_no": no,
                        "b_doc": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))})
    if updates:
        bind.execute(sa.update(_bookings).where(_bookings.c.id == sa.bindparam("b_id"))
                     .values(booking_no=sa.bindparam("b_no"), doc=sa.bindparam("b_doc")), updates)
    bind.execute(sa.delete(_counters).where(_counters.c.name.like(COUNTER_PREFIX + "%")))
    if last:
        bind.execute(sa.insert(_counters), [{"name": f"{COUNTER_PREFIX}{compound_id}:{day}", "value": n}
                                            for (compound_id, day), n in last.items()])


def upgrade() -> None:
    op.add_column("service_bookings", sa.Column("booking_no", sa.String(40), nullable=True))
    _number_existing(op.get_bind())
    op.create_index("uq_service_bookings_compound_no", "service_bookings", ["compound_id", "booking_no"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_service_bookings_compound_no", table_name="service_bookings")
    with op.batch_alter_table("service_bookings") as batch:
        batch.drop_column("booking_no")
    # The documents keep their booking_no: the older code ignores a field it does not know.
    op.get_bind().execute(sa.delete(_counters).where(_counters.c.name.like(COUNTER_PREFIX + "%")))
