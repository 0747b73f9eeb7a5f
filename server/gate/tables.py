"""Storage for release slips and the gate: slips, the compound signing keys, revocations, release
incidents, the ten-day hand-in receipts (R-RS-1..6) and the compound's named gates. Mirrored by
migrations/versions/0003_gate.py and 0013_gate_names.py.

A slip is stored like a case (decisions.md D1): the domain `ReleaseSlip` as one JSON document plus the
columns the desk filters on. The signing keys live in the database, not on one server's disk, so
every server process behind the load balancer signs with the same active key.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from server.storage.schema import TS, metadata

release_slips = Table(
    "release_slips",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False),
    Column("unit_id", String(40), ForeignKey("units.id"), nullable=True),
    Column("doc", Text, nullable=False),  # JSON domain ReleaseSlip
    # Stored state (issued / released / revoked); "expired" is derived from valid_until at read time.
    Column("state", String(20), nullable=False),
    Column("short_code", String(12), nullable=False, unique=True),
    Column("payload", Text, nullable=False),  # the signed QR text
    Column("kid", String(16), nullable=False),
    Column("issued_at", TS, nullable=False),
    Column("valid_until", TS, nullable=False),
    Column("released_at", TS, nullable=True),
    Column("released_gate", String(8), nullable=True),
    Column("updated_at", TS, nullable=False),
    Index("ix_release_slips_compound_issued", "compound_id", "issued_at"),
    Index("ix_release_slips_compound_released", "compound_id", "released_at"),
)

slip_keys = Table(
    "slip_keys",
    metadata,
    Column("kid", String(16), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False),
    # Raw 32-byte Ed25519 private key. Whoever reads the database can sign slips: see
    # docs/deploy-notes-gate.md for backups and rotation after a leak.
    Column("private_raw", LargeBinary, nullable=False),
    Column("public", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("retired_at", TS, nullable=True),
    Column("verify_until", TS, nullable=True),  # a retired key verifies until here (rotation overlap)
    Column("active", Boolean, nullable=False),
    Index("ix_slip_keys_compound", "compound_id"),
    # Exactly one signing key per compound, even when two server processes create it at once.
    Index(
        "uq_slip_keys_active",
        "compound_id",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

slip_revocations = Table(
    "slip_revocations",
    metadata,
    Column("slip_id", String(40), ForeignKey("release_slips.id"), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False, index=True),
    Column("revoked_at", TS, nullable=False),
    Column("revoked_by", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("valid_until", TS, nullable=False),  # after this the slip is dead anyway
)

slip_incidents = Table(
    "slip_incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False),
    Column("slip_id", String(40), ForeignKey("release_slips.id"), nullable=False, index=True),
    Column("kinds", Text, nullable=False),  # JSON list of IncidentKind
    Column("gate", String(8), nullable=False),
    Column("released_by", String(40), nullable=False),
    Column("released_at", TS, nullable=False),
    Column("recorded_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # JSON domain ReleaseIncident + where it came from
    Index("ix_slip_incidents_compound_recorded", "compound_id", "recorded_at"),
)

slip_handins = Table(
    "slip_handins",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), ForeignKey("compounds.id"), nullable=False),
    Column("period", String(12), nullable=False),  # "2026-11-2": year, month, 上/中/下旬 index
    Column("gate", String(8), nullable=False),
    Column("received_by", String(40), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # JSON domain HandInReceipt
    UniqueConstraint("compound_id", "period", "gate", name="uq_slip_handins_period_gate"),
)

# The compound's gates (出入口): the code is the stable key slips, releases and hand-ins carry; the
# name (东门, 地库出口 …) is what people read. A code with no row is still a valid gate: it is shown
# as the bare code (slips issued before gates were named, compounds that never named theirs).
gates = Table(
    "gates",
    metadata,
    Column("compound_id", String(40), ForeignKey("compounds.id"), primary_key=True),
    Column("code", String(8), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("position", Integer, nullable=False),  # display order
)
