"""Storage for the work-contact slips 工作联系单 sent to the developer (R-IN-6 d, D44).

Mirrored by migrations/versions/0012_contact_slips.py. One msgspec JSON document per slip (the domain
ContactSlip) plus the columns the case page and the open-slip summary filter on (decisions.md D1).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text

from server.storage.schema import TS, metadata

contact_slips = Table(
    "contact_slips",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    # LX20261123-001, given when the slip is issued (a draft has none); unique per compound.
    Column("no", String(40), nullable=True),
    Column("state", String(20), nullable=False),
    Column("reply_by", Date, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain ContactSlip
    Index("uq_contact_slips_compound_no", "compound_id", "no", unique=True),
    Index("ix_contact_slips_compound_state", "compound_id", "state"),
)
