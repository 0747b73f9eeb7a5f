"""What a technician must know before accepting a paid job, carried in the phone's job document.

A special service's booking number (TY…-NNN, what the resident and the cashier quote, D39), the
service item and the fee the resident agreed to before dispatch (R-SS-2: nothing else is charged).
Read from the booking and the catalogue when the case is written, so the job page has them offline.
A repair's responsibility class and told fee (R-IN-6) are on the case itself (`job_doc`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.domain import special_services as sp
from server.domain.cases import Case, Kind
from server.storage.db import UnitOfWork
from server.storage.tables_services import service_bookings, service_items

_booking_dec = msgspec.json.Decoder(sp.Booking)
_item_dec = msgspec.json.Decoder(sp.ServiceItem)

# Every job document has the keys, so the phone never tells "absent" from "none".
NO_BOOKING: dict[str, Any] = {
    "booking_no": None, "service_name": None, "service_name_en": None, "fee_unit": None, "fee_unit_en": None,
    "fee_unit_code": None, "quantity_told": None, "fee_told_cents": None,
}


async def booking_terms(uow: UnitOfWork | AsyncConnection, case: Case) -> dict[str, Any]:
    """The booking number, the item's names and its fee unit of a booking's case; none otherwise."""
    if case.kind != Kind.SPECIAL_SERVICE or case.booking_id is None:
        return NO_BOOKING
    conn = uow.conn if isinstance(uow, UnitOfWork) else uow
    row = (await conn.execute(
        select(service_bookings.c.doc, service_items.c.doc.label("item_doc"))
        .select_from(service_bookings.outerjoin(service_items, (
            service_items.c.compound_id == service_bookings.c.compound_id)
            & (service_items.c.code == service_bookings.c.item_code)))
        .where(service_bookings.c.id == case.booking_id, service_bookings.c.compound_id == case.compound_id)
    )).first()
    if row is None:
        return NO_BOOKING
    b = _booking_dec.decode(row.doc)
    item = _item_dec.decode(row.item_doc) if row.item_doc else None
    return {
        "booking_no": b.booking_no,
        "service_name": item.name_zh if item else b.item_code,
        "service_name_en": (item.name_en or item.name_zh) if item else b.item_code,
        "fee_unit": sp.UNIT_LABELS_ZH[item.unit] if item else None,
        "fee_unit_en": sp.UNIT_LABELS_EN[item.unit] if item else None,
        # per_visit: the slip's fee never exceeds the agreed one (R-SS-2, `cases.slip_fee_refusal`).
        "fee_unit_code": str(item.unit) if item else None,
        # How many units were quoted and the total the resident accepted (D100): the phone's slip starts
        # from that total, so three appliances are not signed for at the price of one.
        "quantity_told": b.quoted_quantity,
        "fee_told_cents": b.told_fee_cents if b.told_fee_cents is not None else sp.told_fee(b),
        "fee_cents": b.told_fee_cents if b.told_fee_cents is not None else sp.told_fee(b),
    }
