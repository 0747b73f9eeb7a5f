"""Release slips at the desk and the gate: issue (signed QR + short code), revoke, look up, print, record
a guard's release (mutation `slip.release`), incidents, and the ten-day hand-in of security copies.

The rules are in server/domain/release_slips.py (R-RS-1..6) and the crypto in server/gate/signing.py;
this module loads, stores and publishes. Guards' phones get what they need to verify offline through
the gate scope of the change feed: `slip_key` (public keys), `slip_revocation`, `slip_use` (released
elsewhere), `gate_notice` (tool names the desk tells the gate, R-RS-6) and `gate_slip` (what a typed
short code stands for: the signed payload, the items and the requester, D36).
"""

from __future__ import annotations

import base64
import io
import os
import re
import time
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import release_slips as rs
from server.domain.errors import DomainError, Notice, Refusal, fail
from server.domain.release_slips import (
    Authorisation,
    AuthorisationKind,
    ConfirmationChannel,
    EngineeringConfirmation,
    IdCheck,
    IdType,
    IncidentKind,
    Item,
    OwnerConfirmation,
    Relation,
    ReleaseIncident,
    ReleaseSlip,
    SignatureSource,
    SlipRequest,
    SlipState,
    StaffRef,
    TenDayPeriod,
)
from server.domain.roles import DESK, Role
from server.gate import keystore, signing
from server.gate.signing import PublicKey
from server.gate.tables import gates as gate_rows
from server.gate.tables import release_slips, slip_handins, slip_incidents, slip_revocations
from server.ids import new_id
from server.input_guard import DatedIn
from server.services import slip_print
from server.services.cases import compound_rules
from server.storage.db import Database, UnitOfWork
from server.storage.schema import blobs, changes, compounds, people, units, users
from server.sync.mutations import MutationContext, mutation
from server.sync.scopes import desk_scope, gate_scope

_enc = msgspec.json.Encoder()
_slip_dec = msgspec.json.Decoder(ReleaseSlip)

# Roles that issue and revoke slips (the service centre); every desk role may read them.
ISSUERS = frozenset({Role.DISPATCHER, Role.FRONT_DESK, Role.MANAGER})
DESK_READERS = frozenset(DESK)

Text = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]*$")]
Sha256 = Annotated[str, msgspec.Meta(max_length=64)]
GateCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{1,6}$")]
GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
SlipId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
PeriodKey = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-[123]$")]


# --- wire: in ------------------------------------------------------------------------------------


class ItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    quantity: Annotated[int, msgspec.Meta(ge=1, le=9999)] = 1
    valuable: bool = False  # 贵重
    large: bool = False  # 大件
    tool: bool = False  # renovation tool (R-RS-6)


class IdCheckIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the ID type and the last four characters; the desk checked the document itself."""

    id_type: IdType
    last4: Annotated[str, msgspec.Meta(max_length=40)]


class AuthorisationIn(DatedIn, kw_only=True):
    """The owner's authorisation letter for someone else (R-RS-3)."""

    kind: AuthorisationKind
    delegate_name: Annotated[str, msgspec.Meta(max_length=50, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    visit_date: date | None = None
    items: Annotated[list[Name], msgspec.Meta(max_length=50)] = []
    owner_signature_sha256: Sha256 | None = None
    owner_signature_source: SignatureSource | None = None
    owner_id_copy_sha256: Sha256 | None = None
    letter_sha256: Sha256 | None = None


class EngineeringConfirmationIn(DatedIn, kw_only=True):
    """R-RS-5: which engineering staff member confirmed the contractor's items, and when."""

    confirmed_by_id: Annotated[str, msgspec.Meta(max_length=40)]
    confirmed_at: datetime
    note: Text = ""


class OwnerConfirmationIn(DatedIn, kw_only=True):
    """R-RS-6: the owner confirmed the renovation worker may take these tools out."""

    owner_name: Name
    channel: ConfirmationChannel
    confirmed_at: datetime


class SlipIssueIn(DatedIn, kw_only=True):
    unit_id: Annotated[str, msgspec.Meta(max_length=40)]
    requester_name: Name
    relation: Relation
    items: Annotated[list[ItemIn], msgspec.Meta(max_length=50)]
    gates: Annotated[list[str], msgspec.Meta(max_length=8)]
    valid_until: datetime
    valid_from: datetime | None = None  # default: now
    id_check: IdCheckIn | None = None
    requester_signature_sha256: Sha256 | None = None
    owner_signature_sha256: Sha256 | None = None
    authorisation: AuthorisationIn | None = None
    handover_period: bool = False
    engineering_confirmation: EngineeringConfirmationIn | None = None
    owner_confirmation: OwnerConfirmationIn | None = None


class GateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: GateCode  # the stable key slips carry
    name: GateName  # what people read: 东门, 地库出口 …


class GatesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The compound's whole gate list, in display order (replaces the previous one)."""

    gates: Annotated[list[GateIn], msgspec.Meta(max_length=20)]


class RevokeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class HandInConfirmIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period: PeriodKey
    gate: GateCode
    received_ids: Annotated[list[SlipId], msgspec.Meta(max_length=5000)]


class ReleaseArgs(msgspec.Struct, kw_only=True):
    """Args of the guard's `slip.release` mutation."""

    slip_id: SlipId
    gate: GateCode


# --- wire: out -----------------------------------------------------------------------------------


class SlipView(msgspec.Struct, kw_only=True):
    id: str
    compound_id: str
    unit_id: str | None
    state: SlipState  # with "expired" derived from the validity window
    payload: str  # the signed QR text
    short_code: str  # what a guard types when the camera fails
    slip: ReleaseSlip
    incident_count: int = 0


class SlipSummary(msgspec.Struct, kw_only=True):
    id: str
    unit_id: str | None
    unit_label: str
    requester_name: str
    relation: Relation
    path: rs.IssuePath
    state: SlipState
    short_code: str
    item_count: int
    gates: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    released_at: datetime | None
    released_gate: str | None


class GateItem(msgspec.Struct, kw_only=True):
    name: str
    quantity: int
    valuable: bool  # 贵重
    large: bool  # 大件
    tool: bool = False  # renovation tool (R-RS-6)


class GateInfo(msgspec.Struct, kw_only=True):
    code: str
    name: str


class GatesView(msgspec.Struct, kw_only=True):
    """The compound's named gates. A code a slip names that is not listed is shown as the bare code."""

    gates: list[GateInfo]


class GateSignature(msgspec.Struct, kw_only=True):
    """A signature the slip carries, for the guard (R-RS-1..3): who signed and, when it fits, the
    image itself as a small black-and-white PNG data URI, so the phone shows it offline (D42)."""

    signer: rs.Signer
    name: str  # empty when the slip does not name the signer (the owner beside a household member)
    relation: Relation
    signed_at: datetime  # signed at the desk, when the slip was issued
    image: str | None = None  # "data:image/png;base64,…", at most GATE_SIGNATURE_MAX_BYTES of PNG


class GateSlipView(msgspec.Struct, kw_only=True):
    """What a guard sees for a typed short code: who the slip was issued to and what may leave
    (R-RS-1..3), but none of the requester's ID details."""

    id: str
    payload: str
    short_code: str
    unit_label: str
    items: list[GateItem]
    item_count: int
    requester_name: str
    relation: Relation
    gates: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    state: SlipState
    released_at: datetime | None
    released_gate: str | None
    signatures: list[GateSignature] = []


class GateSlipDoc(msgspec.Struct, kw_only=True):
    """The `gate_slip` feed document (gate scope): lets a guard's phone turn a typed short code into the
    signed payload offline and show what may leave and for whom. The payload is verified on the phone
    exactly like a scanned QR, so this document never makes a slip valid; the item list is shown as
    the slip's only when it hashes to the payload's signed `items_digest` (pwa/src/gate/details.js)."""

    slip_id: str
    short_code: str
    payload: str
    unit_label: str
    items: list[GateItem]  # in slip order: the order the digest is taken in
    requester_name: str
    relation: Relation
    gates: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    # Not signed, like the requester: shown only beside a proven item list (pwa/src/gate/details.js).
    signatures: list[GateSignature] = []


class RegisteredPerson(msgspec.Struct, kw_only=True):
    name: str
    relation: Relation  # owner or household_member only: the people R-RS-2 serves in person


class UnitRegisterView(msgspec.Struct, kw_only=True):
    """Who is on a unit's household register for a release slip (R-RS-2): the registered owner(s),
    then the registered household members. Names and relations only; never a nanny, a tenant or anyone
    unregistered (they come with the owner's written authorisation, R-RS-3), and no phone numbers."""

    unit_id: str
    unit_label: str
    people: list[RegisteredPerson]


class GateKeysView(msgspec.Struct, kw_only=True):
    keys: dict[str, PublicKey]  # kid -> {public, verify_until (unix s)}
    revoked: list[str]  # revoked slip ids still inside their validity window
    fetched_at: datetime
    gates: list[GateInfo] = []  # the compound's gate names (also in the feed: gate_directory)


class ReceiptView(msgspec.Struct, kw_only=True):
    received_ids: tuple[str, ...]
    missing_ids: tuple[str, ...]
    received_by: str
    received_at: datetime
    complete: bool


class HandInView(msgspec.Struct, kw_only=True):
    period: str
    first_day: date
    last_day: date
    period_over: bool  # the desk can sign for it only after the period ended (R-RS-4)
    gate: str
    slip_ids: tuple[str, ...]
    receipt: ReceiptView | None = None


class IncidentView(msgspec.Struct, kw_only=True):
    id: str
    slip_id: str
    short_code: str
    unit_label: str
    kinds: list[IncidentKind]
    gate: str
    released_by: str
    released_at: datetime
    first_gate: str | None
    first_released_by: str | None
    first_released_at: datetime | None
    recorded_at: datetime


# --- helpers -------------------------------------------------------------------------------------


def new_slip_id() -> str:
    # Short (the id is inside the QR) and time-ordered: "rs" + 11 hex of ms + 12 random hex.
    return f"rs{int(time.time() * 1000):011x}{os.urandom(6).hex()}"


def _staff_role(who: Principal, allowed: frozenset[Role]) -> Role:
    for role in (Role.FRONT_DESK, Role.DISPATCHER, Role.MANAGER, Role.CONTROL_ROOM, Role.GUARD):
        if role in allowed and str(role) in who.roles:
            return role
    raise fail("auth.forbidden", "您的角色无权执行此操作", "Your role may not do this", kind="forbidden")


def _staff(who: Principal, allowed: frozenset[Role]) -> StaffRef:
    return StaffRef(id=who.user_id, role=_staff_role(who, allowed), name=who.display_name)


def _not_found(slip_id: str) -> DomainError:
    return fail("slip.not_found", "未找到该放行通知单", "No such release slip", kind="not_found", slip_id=slip_id)


def _raise(out: Any) -> Any:
    if isinstance(out, Refusal):
        raise DomainError(out)
    return out


async def _tz(uow_or_conn: UnitOfWork | AsyncConnection, compound_id: str) -> ZoneInfo:
    return ZoneInfo((await compound_rules(uow_or_conn, compound_id)).calendar.tz)


async def _load(conn: AsyncConnection, slip_id: str, compound_id: str, *, lock: bool = False):  # noqa: ANN202
    q = select(release_slips).where(release_slips.c.id == slip_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = (await conn.execute(q)).first()
    if row is None or row.compound_id != compound_id:
        raise _not_found(slip_id)
    return row


def _summary(row, slip: ReleaseSlip, now: datetime) -> SlipSummary:  # noqa: ANN001
    return SlipSummary(
        id=slip.id, unit_id=row.unit_id, unit_label=slip.unit_label, requester_name=slip.requester_name,
        relation=slip.relation, path=slip.path, state=rs.state_at(slip, now), short_code=row.short_code,
        item_count=sum(i.quantity for i in slip.items), gates=slip.gates, valid_from=slip.valid_from,
        valid_until=slip.valid_until, issued_at=slip.issued_at, released_at=slip.released_at,
        released_gate=slip.released_gate,
    )


async def _save(uow: UnitOfWork, row, slip: ReleaseSlip) -> None:  # noqa: ANN001
    await uow.conn.execute(
        update(release_slips)
        .where(release_slips.c.id == slip.id)
        .values(doc=_enc.encode(slip).decode(), state=str(slip.state), released_at=slip.released_at,
                released_gate=slip.released_gate, updated_at=uow.now)
    )
    _emit_summary(uow, row.compound_id, row, slip)


def _gate_items(slip: ReleaseSlip) -> list[GateItem]:
    return [GateItem(name=i.name, quantity=i.quantity, valuable=i.valuable, large=i.large, tool=i.tool)
            for i in slip.items]


def _gate_slip_doc(slip: ReleaseSlip, short_code: str, payload: str,
                   signatures: list[GateSignature]) -> GateSlipDoc:
    return GateSlipDoc(
        slip_id=slip.id, short_code=short_code, payload=payload, unit_label=slip.unit_label,
        items=_gate_items(slip), requester_name=slip.requester_name, relation=slip.relation, gates=slip.gates,
        valid_from=slip.valid_from, valid_until=slip.valid_until, signatures=signatures,
    )


# --- signatures for the gate and the printed copies --------------------------------------------------

# The gate phone keeps every live slip's gate_slip document offline (D36, pruned by D40), so a
# signature travels there only as a small thumbnail: 1-bit PNG, at most this many bytes, else none.
GATE_SIGNATURE_MAX_BYTES = 4096
GATE_SIGNATURE_BOX = (240, 90)


async def _blob(conn: AsyncConnection, sha: str) -> tuple[str, bytes] | None:
    row = (await conn.execute(select(blobs.c.content_type, blobs.c.data).where(blobs.c.sha256 == sha))).first()
    return (row.content_type, bytes(row.data)) if row is not None else None


def signature_thumbnail(data: bytes) -> str | None:
    """The signature as a black-on-white 1-bit PNG fitted into GATE_SIGNATURE_BOX, as a data URI, or
    None when it is not an image or is still too large (a noisy scan) to ship to every gate phone."""
    from PIL import Image, ImageFilter, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as src:
            src.load()
            img = src.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    # A canvas signature is ink on a transparent background: flatten it onto white first.
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    gray = Image.alpha_composite(white, img).convert("L")
    # Only the ink matters: a signature in one part of a wide pad would otherwise shrink to a few
    # pixels. A small margin keeps the strokes off the edge.
    ink = gray.point(lambda v: 255 if v < 200 else 0).getbbox()
    if ink is not None:
        margin = 4
        gray = gray.crop((max(ink[0] - margin, 0), max(ink[1] - margin, 0),
                          min(ink[2] + margin, gray.width), min(ink[3] + margin, gray.height)))
    # A pen line 1-3 px wide on a high-DPI pad becomes a fraction of a pixel when shrunk, light grey,
    # and the 1-bit threshold then turned the whole signature white (an empty box at the gate):
    # thicken the ink by the shrink factor first, so each stroke keeps at least a pixel.
    factor = int(max(gray.width / GATE_SIGNATURE_BOX[0], gray.height / GATE_SIGNATURE_BOX[1]))
    if factor >= 2:
        gray = gray.filter(ImageFilter.MinFilter(factor | 1))
    gray.thumbnail(GATE_SIGNATURE_BOX, Image.Resampling.LANCZOS)
    bw = gray.point(lambda v: 255 if v > 160 else 0, mode="1")
    out = io.BytesIO()
    bw.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    if len(png) > GATE_SIGNATURE_MAX_BYTES:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def _gate_signatures(conn: AsyncConnection, slip: ReleaseSlip) -> list[GateSignature]:
    out = []
    for ref in rs.signatures(slip):
        blob = await _blob(conn, ref.sha256)
        out.append(GateSignature(signer=ref.signer, name=ref.name, relation=ref.relation, signed_at=slip.issued_at,
                                 image=signature_thumbnail(blob[1]) if blob else None))
    return out


# --- the compound's gates ------------------------------------------------------------------------


async def gate_names(conn: AsyncConnection, compound_id: str) -> list[GateInfo]:
    rows = (
        await conn.execute(
            select(gate_rows.c.code, gate_rows.c.name).where(gate_rows.c.compound_id == compound_id)
            .order_by(gate_rows.c.position, gate_rows.c.code)
        )
    ).all()
    return [GateInfo(code=r.code, name=r.name) for r in rows]


def gate_label(code: str, names: dict[str, str]) -> str:
    """"东门（E）": the name people read, with the code the slip and the QR carry; a code the
    compound has not named is shown bare (Chinese refusals; the printed slip's own is slip_print's)."""
    return slip_print.gate_text(code, names, "zh")


async def _lock_directory(conn: AsyncConnection, compound_id: str, *, replace: bool) -> None:
    """Issuing a slip and replacing the gate list serialise on the compound's row (PostgreSQL; SQLite
    runs one writer at a time): issuers share it, a replacement takes it alone. So a replacement
    waits for slips being issued and then sees them (D46), and an issue that waited reads the new
    list, never the moment between the replacement's delete and its inserts."""
    if conn.dialect.name != "postgresql":
        return
    q = select(compounds.c.id).where(compounds.c.id == compound_id)
    await conn.execute(q.with_for_update(key_share=True) if replace else q.with_for_update(read=True))


def _gate_list_text(gates: list[GateInfo], *, english: bool) -> str:
    if english:
        return ", ".join(f"{g.name} ({g.code})" for g in gates)
    return "、".join(gate_label(g.code, {g.code: g.name}) for g in gates)


async def _check_gates_known(conn: AsyncConnection, compound_id: str, requested: list[str]) -> None:
    """A slip names only gates the compound has (R-RS-1, R-RS-4: the guard at a gate that does not
    exist never sees it, and the security copy has no gate to be handed in from, D46). A compound
    that has not named its gates yet (empty directory) keeps accepting any well-formed code."""
    await _lock_directory(conn, compound_id, replace=False)
    directory = await gate_names(conn, compound_id)
    known = {g.code for g in directory}
    unknown = [g for g in dict.fromkeys(requested) if g not in known] if known else []
    if not unknown:
        return
    raise fail(
        "slip.unknown_gate",
        f"出入口 {'、'.join(unknown)} 不是本小区的出入口；可选：{_gate_list_text(directory, english=False)}",
        f"Gate {', '.join(unknown)} is not one of the compound's gates; they are: "
        f"{_gate_list_text(directory, english=True)}",
        kind="invalid", unknown=unknown, known=[g.code for g in directory],
    )


# How many of the slips that keep a gate in use a refusal names in its message (all are in details).
IN_USE_LISTED = 10


async def _live_slips_naming(conn: AsyncConnection, compound_id: str, codes: set[str],
                             now: datetime) -> list[tuple[Any, ReleaseSlip]]:
    t = release_slips.c
    rows = (
        await conn.execute(
            select(t.id, t.short_code, t.doc).where(
                t.compound_id == compound_id, t.state == str(SlipState.ISSUED), t.valid_until > now
            ).order_by(t.valid_until, t.id)
        )
    ).all()
    found = []
    for r in rows:
        slip = _slip_dec.decode(r.doc)
        if codes & set(slip.gates):
            found.append((r, slip))
    return found


async def set_gates_in(uow: UnitOfWork, compound_id: str, data: GatesIn) -> GatesView:
    """Replace the compound's gate list and tell the gate phones (feed: gate_directory)."""
    codes = [g.code for g in data.gates]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise fail("gate.duplicate_code", "出入口代码重复", "A gate code is listed twice", kind="invalid", codes=dupes)
    await _lock_directory(uow.conn, compound_id, replace=True)
    before = await gate_names(uow.conn, compound_id)
    await uow.conn.execute(delete(gate_rows).where(gate_rows.c.compound_id == compound_id))
    # D46: a gate that an issued, unexpired slip names stays until the slip expires or is revoked.
    removed = {g.code for g in before} - set(codes)
    live = await _live_slips_naming(uow.conn, compound_id, removed, uow.now) if removed else []
    if live:
        in_use = [g for g in before if g.code in removed and any(g.code in s.gates for _, s in live)]
        listed = [r.short_code for r, _ in live[:IN_USE_LISTED]]
        more_zh = f" 等 {len(live)} 张" if len(live) > len(listed) else ""
        more_en = f" and {len(live) - len(listed)} more" if len(live) > len(listed) else ""
        raise fail(
            "gate.in_use",
            f"{_gate_list_text(in_use, english=False)}仍被未到期的放行条指定（{'、'.join(listed)}{more_zh}），"
            "不能删除；请待其到期（或作废）后再删除。改名不受影响。",
            f"{_gate_list_text(in_use, english=True)} cannot be removed: unexpired release slips still name it "
            f"({', '.join(listed)}{more_en}). Remove it once they expire or are revoked; renaming is fine.",
            kind="conflict", codes=[g.code for g in in_use],
            slips=[{"id": r.id, "short_code": r.short_code, "gates": [g for g in s.gates if g in removed],
                    "valid_until": s.valid_until.isoformat()} for r, s in live],
        )
    for position, g in enumerate(data.gates):
        await uow.conn.execute(insert(gate_rows).values(compound_id=compound_id, code=g.code,
                                                        name=" ".join(g.name.split()), position=position))
    view = GatesView(gates=await gate_names(uow.conn, compound_id))
    # One document per compound: the phone reads gate names from it offline.
    uow.emit(gate_scope(compound_id), "gate_directory", compound_id, "upsert", _enc.encode(view))
    return view


async def list_gates(db: Database, who: Principal) -> GatesView:
    async with db.read() as conn:
        return GatesView(gates=await gate_names(conn, who.compound_id))


async def put_gates(db: Database, who: Principal, data: GatesIn) -> GatesView:
    async with db.transaction() as uow:
        view = await set_gates_in(uow, who.compound_id, data)
        uow.audit(entity="gates", entity_id=who.compound_id, action="gates.set", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id,
                  data={"gates": [[g.code, g.name] for g in view.gates]})
        return view


def _emit_summary(uow: UnitOfWork, compound_id: str, row, slip: ReleaseSlip) -> None:  # noqa: ANN001
    uow.emit(desk_scope(compound_id), "release_slip", slip.id, "upsert", _enc.encode(_summary(row, slip, uow.now)))


def _audit(uow: UnitOfWork, who: Principal | None, compound_id: str, slip_id: str, action: str,
           data: dict[str, Any] | None = None) -> None:
    uow.audit(entity="release_slip", entity_id=slip_id, action=action,
              actor_id=who.user_id if who else None, actor_role=who.primary_role if who else None,
              device_id=who.device_id if who else None, compound_id=compound_id, data=data or {})


# The household register's relations (people.relation) that R-RS-2 serves in person, as slip relations.
_REGISTER_RELATIONS = {"owner": Relation.OWNER, "household": Relation.HOUSEHOLD_MEMBER}


async def _registered_people(conn: AsyncConnection, unit_id: str) -> list[RegisteredPerson]:
    rows = (
        await conn.execute(
            select(people.c.name, people.c.relation).where(
                people.c.unit_id == unit_id, people.c.relation.in_(list(_REGISTER_RELATIONS)),
                people.c.registered.is_(True),
            ).order_by(people.c.id)
        )
    ).all()
    found = [RegisteredPerson(name=r.name, relation=_REGISTER_RELATIONS[r.relation]) for r in rows]
    return sorted(found, key=lambda p: p.relation is not Relation.OWNER)  # owners first, else register order


async def _on_owner_record(conn: AsyncConnection, unit_id: str, name: str, relation: Relation) -> bool:
    """Is this person the owner or a registered household member on the unit's record (R-RS-2)?
    The server decides from the household register, not from a box the desk ticked."""
    wanted = {Relation.OWNER: "owner", Relation.HOUSEHOLD_MEMBER: "household"}.get(relation)
    if wanted is None:
        return False
    rows = (
        await conn.execute(
            select(people.c.name).where(
                people.c.unit_id == unit_id, people.c.relation == wanted, people.c.registered.is_(True)
            )
        )
    ).scalars().all()
    clean = " ".join(name.split())
    return any(" ".join(n.split()) == clean for n in rows)


async def _require_blobs(conn: AsyncConnection, hashes: list[str | None]) -> None:
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return
    present = set((await conn.execute(select(blobs.c.sha256).where(blobs.c.sha256.in_(wanted)))).scalars())
    missing = [h for h in wanted if h not in present]
    if missing:
        raise fail("blob.missing", "签名或附件尚未上传", "A signature or attachment has not been uploaded yet",
                   kind="conflict", missing=missing)


def _hashes(req: SlipRequest) -> list[str | None]:
    out = [req.requester_signature_sha256, req.owner_signature_sha256]
    if req.authorisation is not None:
        a = req.authorisation
        out += [a.owner_signature_sha256, a.owner_id_copy_sha256, a.letter_sha256]
    return out


# --- issuing -------------------------------------------------------------------------------------


async def _engineering_ref(conn: AsyncConnection, compound_id: str, user_id: str) -> StaffRef:
    row = (
        await conn.execute(select(users.c.id, users.c.display_name, users.c.roles, users.c.compound_id)
                           .where(users.c.id == user_id))
    ).first()
    if row is None or row.compound_id != compound_id:
        raise fail("staff.not_found", "未找到该确认人员", "No such staff member", kind="invalid", user_id=user_id)
    roles = [Role(r) for r in msgspec.json.decode(row.roles)]
    role = Role.ENGINEERING if Role.ENGINEERING in roles else (roles[0] if roles else Role.RESIDENT)
    return StaffRef(id=row.id, role=role, name=row.display_name)


async def _build_request(uow: UnitOfWork, who: Principal, data: SlipIssueIn, unit_label: str) -> SlipRequest:
    conn = uow.conn
    registered = await _on_owner_record(conn, data.unit_id, data.requester_name, data.relation)
    # The owner who signs beside a household member or on the letter is the unit's registered owner:
    # the slip names them beside that signature (the desk enters no separate owner name).
    owners = [p.name for p in await _registered_people(conn, data.unit_id) if p.relation is Relation.OWNER]
    eng = None
    if data.engineering_confirmation is not None:
        e = data.engineering_confirmation
        eng = EngineeringConfirmation(
            confirmed_by=await _engineering_ref(conn, who.compound_id, e.confirmed_by_id),
            confirmed_at=e.confirmed_at, note=e.note,
        )
    owner_conf = None
    if data.owner_confirmation is not None:
        o = data.owner_confirmation
        owner_conf = OwnerConfirmation(owner_name=o.owner_name, channel=o.channel, confirmed_at=o.confirmed_at,
                                       recorded_by=who.user_id)
    auth = None
    if data.authorisation is not None:
        a = data.authorisation
        auth = Authorisation(
            kind=a.kind, delegate_name=a.delegate_name, visit_date=a.visit_date, items=tuple(a.items),
            owner_signature_sha256=a.owner_signature_sha256, owner_signature_source=a.owner_signature_source,
            owner_id_copy_sha256=a.owner_id_copy_sha256, letter_sha256=a.letter_sha256,
        )
    id_check = None
    if data.id_check is not None:
        id_check = IdCheck(id_type=data.id_check.id_type, last4=data.id_check.last4, checked_by=who.user_id,
                           checked_at=uow.now)
    return SlipRequest(
        unit_label=unit_label,
        requester_name=data.requester_name,
        relation=data.relation,
        registered_on_owner_record=registered,
        items=tuple(Item(name=i.name, quantity=i.quantity, valuable=i.valuable, large=i.large, tool=i.tool)
                    for i in data.items),
        gates=tuple(data.gates),
        valid_from=data.valid_from or uow.now,
        valid_until=data.valid_until,
        requester_signature_sha256=data.requester_signature_sha256,
        owner_signature_sha256=data.owner_signature_sha256,
        owner_name="、".join(owners),
        id_check=id_check,
        authorisation=auth,
        handover_period=data.handover_period,
        engineering_confirmation=eng,
        owner_confirmation=owner_conf,
    )


async def _explain_not_on_record(conn: AsyncConnection, refusal: Refusal, request: SlipRequest,
                                 unit_id: str) -> Refusal:
    """The desk chose 业主本人 / 登记家属 for a name the register does not have, so the rules took the
    person as someone else (R-RS-3) and asked for the owner's letter. Said as the rules say it ("not the
    owner…") that contradicts the desk's own choice, and the form shows no letter section for an owner.
    Say what happened instead: this name is not on the unit's register (naming who is), so either pick
    the registered name or, for anyone else, the owner's written authorisation. The code stays."""
    if (
        refusal.code != rs.SlipReason.AUTHORISATION_REQUIRED
        or request.relation not in (Relation.OWNER, Relation.HOUSEHOLD_MEMBER)
        or request.registered_on_owner_record
    ):
        return refusal
    on_record = await _registered_people(conn, unit_id)
    owners = [p.name for p in on_record if p.relation is Relation.OWNER]
    household = [p.name for p in on_record if p.relation is Relation.HOUSEHOLD_MEMBER]
    if on_record:
        listed_zh = "；".join(part for part in (
            f"登记业主：{'、'.join(owners)}" if owners else "", f"登记家属：{'、'.join(household)}" if household else ""
        ) if part)
        listed_en = "; ".join(part for part in (
            f"registered owner: {', '.join(owners)}" if owners else "",
            f"registered household: {', '.join(household)}" if household else "",
        ) if part)
    else:
        listed_zh, listed_en = "该房号没有登记业主或家属", "nobody is registered for this unit"
    name = " ".join(request.requester_name.split())
    unit = request.unit_label
    if request.relation is Relation.OWNER:
        zh = (f"“{name}”不是{unit}登记的业主或家属（{listed_zh}），不能按业主本人办理。"
              "请核对姓名或选择登记的姓名；如确是他人，须凭业主书面授权委托书办理，并选择其实际关系。")
        en = (f"“{name}” is not the registered owner or a household member of {unit} ({listed_en}), so this "
              "cannot be issued as the owner's own slip. Check the name or pick the registered one; anyone "
              "else needs the owner's written authorisation: choose their actual relation.")
    else:
        zh = (f"“{name}”不是{unit}登记的业主或家属（{listed_zh}），不能按登记家属办理。"
              "请核对姓名或选择登记的姓名；未登记的家属须凭业主书面授权委托书办理。")
        en = (f"“{name}” is not the registered owner or a household member of {unit} ({listed_en}), so this "
              "cannot be issued as a registered household member's slip. Check the name or pick the "
              "registered one; a relative who is not registered needs the owner's written authorisation.")
    return msgspec.structs.replace(refusal, zh=zh, en=en, details={**refusal.details, "on_record": False})


async def issue_in(uow: UnitOfWork, who: Principal, data: SlipIssueIn) -> SlipView:
    """Issue one slip inside an open transaction (also used by the demo seed)."""
    conn = uow.conn
    unit = (await conn.execute(select(units.c.label, units.c.compound_id).where(units.c.id == data.unit_id))).first()
    if unit is None or unit.compound_id != who.compound_id:
        raise fail("unit.not_found", "未找到该房号", "No such unit", kind="invalid", unit_id=data.unit_id)
    await _check_gates_known(conn, who.compound_id, data.gates)
    request = await _build_request(uow, who, data, unit.label)
    issuer = _staff(who, ISSUERS)
    outcome = rs.issue_slip(request, slip_id=new_slip_id(), issued_by=issuer, now=uow.now,
                            tz=await _tz(uow, who.compound_id))
    if isinstance(outcome, Refusal):
        outcome = await _explain_not_on_record(conn, outcome, request, data.unit_id)
    outcome = _raise(outcome)
    slip = outcome.slip
    await _require_blobs(conn, _hashes(request))
    key = await keystore.signing_key(uow, who.compound_id)
    try:
        payload = signing.sign_release_slip(key, slip)
    except signing.PayloadTooLarge:
        raise fail("slip.payload_too_large", "房号或出入口过长，二维码无法容纳",
                   "The unit label or gate list is too long to fit the QR code", kind="invalid") from None
    except ValueError as exc:
        raise fail("slip.not_signable", "房号或物品无法写入二维码", f"The slip cannot be signed: {exc}",
                   kind="invalid") from None
    code = signing.short_code(payload)
    row = {
        "id": slip.id, "compound_id": who.compound_id, "unit_id": data.unit_id,
        "doc": _enc.encode(slip).decode(), "state": str(slip.state), "short_code": code, "payload": payload,
        "kid": key.kid, "issued_at": slip.issued_at, "valid_until": slip.valid_until, "released_at": None,
        "released_gate": None, "updated_at": uow.now,
    }
    await conn.execute(insert(release_slips).values(**row))
    row_obj = _RowShim(unit_id=data.unit_id, short_code=code, compound_id=who.compound_id)
    _emit_summary(uow, who.compound_id, row_obj, slip)
    # Written once and never updated: what the slip says does not change after issue. A revocation
    # removes it (revoke below); a release or the end of the validity window leaves it, because the
    # signed payload already refuses those (slip_use, valid_until) and a guard told "already released"
    # still needs to see what left and for whom — until a day after valid_until, when
    # prune_gate_documents removes it (D40). Slips issued before this document existed get none:
    # they live at most MAX_VALIDITY (7 days) and meanwhile behave as before (D36).
    uow.emit(gate_scope(who.compound_id), "gate_slip", slip.id, "upsert",
             _enc.encode(_gate_slip_doc(slip, code, payload, await _gate_signatures(conn, slip))))
    _audit(uow, who, who.compound_id, slip.id, "slip.issued",
           {"path": str(slip.path), "unit": slip.unit_label, "kid": key.kid, "short_code": code,
            "items": [[i.name, i.quantity] for i in slip.items], "gates": list(slip.gates)})
    if outcome.duty_log_entry is not None:  # R-RS-5: engineering's confirmation goes into the duty log
        _audit(uow, who, who.compound_id, slip.id, "duty_log.contractor_release",
               msgspec.to_builtins(outcome.duty_log_entry))
    if outcome.gate_notice is not None:  # R-RS-6: the gate is told the tool names directly
        uow.emit(gate_scope(who.compound_id), "gate_notice", slip.id, "upsert", _enc.encode(outcome.gate_notice))
        _audit(uow, who, who.compound_id, slip.id, "gate_notice.sent", msgspec.to_builtins(outcome.gate_notice))
    return SlipView(id=slip.id, compound_id=who.compound_id, unit_id=data.unit_id, state=rs.state_at(slip, uow.now),
                    payload=payload, short_code=code, slip=slip)


class _RowShim(msgspec.Struct, kw_only=True):
    unit_id: str | None
    short_code: str
    compound_id: str


async def issue(db: Database, who: Principal, data: SlipIssueIn) -> SlipView:
    async with db.transaction() as uow:
        view = await issue_in(uow, who, data)
        await prune_gate_documents(uow, who.compound_id)
        return view


# --- pruning the gate's feed ---------------------------------------------------------------------

# The per-slip documents in the gate scope. Once a slip's validity has ended, its signed payload is
# refused as expired whatever these say, so they only fill the guards' phones (D40).
GATE_SLIP_ENTITIES = ("gate_slip", "slip_use", "slip_revocation", "gate_notice")
# A day past valid_until: a guard asked about yesterday's slip still sees "released at N, by ..."
# and a phone whose clock estimate is a few hours off never meets a slip it can no longer place.
GATE_DOC_GRACE = timedelta(days=1)
PRUNE_BATCH = 200


async def prune_gate_documents(uow: UnitOfWork, compound_id: str, *, batch: int = PRUNE_BATCH) -> int:
    """Turn the gate documents of slips dead for longer than GATE_DOC_GRACE into removals, at most
    `batch` per call. Runs inside each issuing transaction: the feed grows only when slips are issued,
    so pruning at the same moment keeps it bounded with no background job; concurrent issuers at most
    both write the same removal (last writer wins on (scope, entity, id)). Returns how many."""
    scope = gate_scope(compound_id)
    rows = (
        await uow.conn.execute(
            select(changes.c.entity, changes.c.entity_id)
            .join(release_slips, release_slips.c.id == changes.c.entity_id)
            .where(
                changes.c.scope == scope,
                changes.c.entity.in_(GATE_SLIP_ENTITIES),
                changes.c.op == "upsert",
                release_slips.c.compound_id == compound_id,
                release_slips.c.valid_until < uow.now - GATE_DOC_GRACE,
            )
            .order_by(changes.c.seq)
            .limit(batch)
        )
    ).all()
    for r in rows:
        uow.emit(scope, r.entity, r.entity_id, "remove", None)
    return len(rows)


# --- reading -------------------------------------------------------------------------------------


async def _incident_count(conn: AsyncConnection, slip_id: str) -> int:
    rows = (await conn.execute(select(slip_incidents.c.id).where(slip_incidents.c.slip_id == slip_id))).all()
    return len(rows)


async def get_slip(db: Database, who: Principal, slip_id: str) -> SlipView:
    async with db.read() as conn:
        row = await _load(conn, slip_id, who.compound_id)
        slip = _slip_dec.decode(row.doc)
        return SlipView(id=row.id, compound_id=row.compound_id, unit_id=row.unit_id,
                        state=rs.state_at(slip, db.clock.now()), payload=row.payload, short_code=row.short_code,
                        slip=slip, incident_count=await _incident_count(conn, slip_id))


async def list_slips(db: Database, who: Principal, *, state: str | None = None, unit_id: str | None = None,
                     gate: str | None = None, issued_from: datetime | None = None,
                     issued_to: datetime | None = None, limit: int = 200) -> list[SlipSummary]:
    now = db.clock.now()
    t = release_slips.c
    q = select(release_slips).where(t.compound_id == who.compound_id)
    if state == "expired":
        q = q.where(t.state == str(SlipState.ISSUED), t.valid_until <= now)
    elif state == "issued":
        q = q.where(t.state == str(SlipState.ISSUED), t.valid_until > now)
    elif state:
        q = q.where(t.state == state)
    if unit_id:
        q = q.where(t.unit_id == unit_id)
    if gate:
        q = q.where(t.released_gate == gate)
    if issued_from:
        q = q.where(t.issued_at >= issued_from)
    if issued_to:
        q = q.where(t.issued_at < issued_to)
    q = q.order_by(t.issued_at.desc(), t.id.desc()).limit(limit)
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    return [_summary(r, _slip_dec.decode(r.doc), now) for r in rows]


async def by_code(db: Database, who: Principal, typed: str) -> GateSlipView:
    code = signing.normalize_short_code(typed)
    if code is None:
        raise fail("slip.bad_short_code", "放行码有误，请核对后重新输入",
                   "That code is not valid (check character mismatch); check it and type it again", kind="invalid")
    async with db.read() as conn:
        row = (await conn.execute(select(release_slips).where(release_slips.c.short_code == code))).first()
        if row is None or row.compound_id != who.compound_id:
            raise fail("slip.not_found", "未找到该放行码对应的放行通知单", "No slip has this code", kind="not_found")
        slip = _slip_dec.decode(row.doc)
        signed = await _gate_signatures(conn, slip)
    return GateSlipView(
        id=slip.id, payload=row.payload, short_code=row.short_code, unit_label=slip.unit_label,
        items=_gate_items(slip), item_count=sum(i.quantity for i in slip.items),
        requester_name=slip.requester_name, relation=slip.relation, gates=slip.gates, valid_from=slip.valid_from,
        valid_until=slip.valid_until, state=rs.state_at(slip, db.clock.now()), released_at=slip.released_at,
        released_gate=slip.released_gate, signatures=signed,
    )


async def unit_register(db: Database, who: Principal, unit_id: str) -> UnitRegisterView:
    """The registered owner(s) and household members of one unit of the caller's compound, so the desk
    can see who R-RS-2 serves in person before it types a name the server would refuse."""
    async with db.read() as conn:
        unit = (await conn.execute(select(units.c.label, units.c.compound_id).where(units.c.id == unit_id))).first()
        if unit is None or unit.compound_id != who.compound_id:
            raise fail("unit.not_found", "未找到该房号", "No such unit", kind="not_found", unit_id=unit_id)
        found = await _registered_people(conn, unit_id)
    return UnitRegisterView(unit_id=unit_id, unit_label=unit.label, people=found)


async def gate_keys(db: Database, who: Principal) -> GateKeysView:
    now = db.clock.now()
    async with db.read() as conn:
        keys = await keystore.public_keys(conn, who.compound_id, now)
        revoked = (
            await conn.execute(
                select(slip_revocations.c.slip_id).where(
                    slip_revocations.c.compound_id == who.compound_id, slip_revocations.c.valid_until > now
                ).order_by(slip_revocations.c.slip_id)
            )
        ).scalars().all()
        names = await gate_names(conn, who.compound_id)
    return GateKeysView(keys=keys, revoked=list(revoked), fetched_at=now, gates=names)


# --- revoking ------------------------------------------------------------------------------------


async def revoke(db: Database, who: Principal, slip_id: str, data: RevokeIn) -> SlipView:
    async with db.transaction() as uow:
        row = await _load(uow.conn, slip_id, who.compound_id, lock=True)
        slip = _slip_dec.decode(row.doc)
        revoked = _raise(rs.revoke(slip, by=_staff(who, ISSUERS), at=uow.now, reason=data.reason))
        await _save(uow, row, revoked)
        await uow.conn.execute(
            insert(slip_revocations).values(slip_id=slip.id, compound_id=row.compound_id, revoked_at=uow.now,
                                            revoked_by=who.user_id, reason=revoked.revoke_reason or "",
                                            valid_until=slip.valid_until)
        )
        # Guards' phones learn it on their next pull and refuse the QR offline from then on.
        # short_code: a code typed offline for a revoked slip is answered "revoked", not "unknown".
        uow.emit(gate_scope(row.compound_id), "slip_revocation", slip.id, "upsert",
                 _enc.encode({"slip_id": slip.id, "short_code": row.short_code, "revoked_at": uow.now,
                              "valid_until": int(slip.valid_until.timestamp())}))
        # A revoked slip's goods and requester are no longer the gate's business; the revocation
        # above is what refuses it.
        uow.emit(gate_scope(row.compound_id), "gate_slip", slip.id, "remove", None)
        _audit(uow, who, row.compound_id, slip.id, "slip.revoked", {"reason": revoked.revoke_reason})
        return SlipView(id=row.id, compound_id=row.compound_id, unit_id=row.unit_id,
                        state=rs.state_at(revoked, uow.now), payload=row.payload, short_code=row.short_code,
                        slip=revoked)


# --- the guard's release (mutation) ----------------------------------------------------------------

# A phone that was offline reports when the goods left; accept its clock only within sane bounds.
_MAX_REPORT_AGE = timedelta(days=2)


def _release_time(ctx: MutationContext, slip: ReleaseSlip) -> datetime:
    at = ctx.now
    if ctx.device_time is not None and ctx.now - _MAX_REPORT_AGE <= ctx.device_time <= ctx.now:
        at = ctx.device_time
    return max(at, slip.issued_at)


@mutation("slip.release", roles=[Role.GUARD])
async def release(ctx: MutationContext, args: dict[str, Any]) -> Notice | None:
    """Record that goods left by a gate. The first release counts; a second one (two gates offline at
    once), a revoked or out-of-window slip, a gate the slip does not name or the compound's gate
    directory does not list is accepted as a fact and recorded as an incident for the desk and the
    manager, and the guard's phone is told so (the notice beside "applied"). Refused only for an
    unknown slip."""
    a = msgspec.convert(args, ReleaseArgs)
    who = ctx.principal
    uow = ctx.uow
    row = await _load(uow.conn, a.slip_id, who.compound_id, lock=True)
    slip = _slip_dec.decode(row.doc)
    at = _release_time(ctx, slip)
    # The directory as it stands when the release arrives (a phone may have been offline for hours):
    # a gate it does not list is flagged, never refused (D47).
    known = {g.code for g in await gate_names(uow.conn, row.compound_id)}
    updated, incident = rs.apply_release(slip, a.gate, StaffRef(id=who.user_id, role=Role.GUARD,
                                                                  name=who.display_name), at,
                                         known_gates=known)
    if updated is not slip:
        await _save(uow, row, updated)
        uow.emit(gate_scope(row.compound_id), "slip_use", slip.id, "upsert",
                 _enc.encode({"slip_id": slip.id, "gate": a.gate, "released_at": at}))
    _audit(uow, who, row.compound_id, slip.id, "slip.released",
           {"gate": a.gate, "at": at.isoformat(), "device_time": ctx.device_time.isoformat()
            if ctx.device_time else None, "client_id": ctx.client_id, "mutation_id": ctx.mutation_id,
            "counted": updated is not slip})
    if incident is None:
        return None
    await _record_incident(uow, row, incident, ctx)
    return rs.incident_notice(incident)


async def _record_incident(uow: UnitOfWork, row, incident: ReleaseIncident, ctx: MutationContext) -> None:  # noqa: ANN001
    incident_id = new_id("inc_")
    doc = {"incident": msgspec.to_builtins(incident), "client_id": ctx.client_id, "mutation_id": ctx.mutation_id,
           "unit_label": _slip_dec.decode(row.doc).unit_label, "short_code": row.short_code}
    await uow.conn.execute(
        insert(slip_incidents).values(
            id=incident_id, compound_id=row.compound_id, slip_id=incident.slip_id,
            kinds=_enc.encode([str(k) for k in incident.kinds]).decode(), gate=incident.gate,
            released_by=incident.released_by, released_at=incident.released_at, recorded_at=uow.now,
            doc=_enc.encode(doc).decode(),
        )
    )
    view = _incident_view(incident_id, doc, uow.now)
    uow.emit(desk_scope(row.compound_id), "slip_incident", incident_id, "upsert", _enc.encode(view))
    _audit(uow, ctx.principal, row.compound_id, incident.slip_id, "slip.incident",
           {"incident_id": incident_id, "kinds": [str(k) for k in incident.kinds], "gate": incident.gate})


def _incident_view(incident_id: str, doc: dict[str, Any], recorded_at: datetime) -> IncidentView:
    inc = msgspec.convert(doc["incident"], ReleaseIncident)
    return IncidentView(
        id=incident_id, slip_id=inc.slip_id, short_code=doc.get("short_code", ""),
        unit_label=doc.get("unit_label", ""), kinds=list(inc.kinds), gate=inc.gate, released_by=inc.released_by,
        released_at=inc.released_at, first_gate=inc.first_gate, first_released_by=inc.first_released_by,
        first_released_at=inc.first_released_at, recorded_at=recorded_at,
    )


async def incidents(db: Database, who: Principal, *, slip_id: str | None = None,
                    limit: int = 200) -> list[IncidentView]:
    t = slip_incidents.c
    q = select(slip_incidents).where(t.compound_id == who.compound_id)
    if slip_id:
        q = q.where(t.slip_id == slip_id)
    q = q.order_by(t.recorded_at.desc(), t.id.desc()).limit(limit)
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    return [_incident_view(r.id, msgspec.json.decode(r.doc), r.recorded_at) for r in rows]


# --- R-RS-4: the security copies' ten-day hand-in ---------------------------------------------------

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})-([123])$")
# Hand-in periods are of slips this server issued: none before 2000, none centuries ahead. The bound
# also keeps a period's start and end representable in UTC (year 1 in +08:00 begins in year 0, and
# the period after 9999-12-3 in year 10000), which both engines need to compare release times.
PERIOD_YEARS = range(2000, 3000)


def period_key(p: TenDayPeriod) -> str:
    return f"{p.year:04d}-{p.month:02d}-{p.index}"


def parse_period(key: str, tz: ZoneInfo) -> TenDayPeriod:
    m = _PERIOD_RE.match(key)
    try:
        if m is None:
            raise ValueError(key)
        year, month, index = int(m[1]), int(m[2]), int(m[3])
        if year not in PERIOD_YEARS:
            raise ValueError(key)
        local_noon = datetime(year, month, (index - 1) * rs.HANDIN_PERIOD_DAYS + 1, 12, tzinfo=tz)
    except ValueError:
        raise fail("slip.bad_period", "期间格式应为 年-月-旬(1/2/3)，如 2026-11-2，年份在 2000–2999 之间",
                   "The period must look like 2026-11-2 (year-month-third), in the years 2000–2999",
                   kind="invalid", period=key) from None
    return rs.ten_day_period(local_noon, tz)


async def _released_in(conn: AsyncConnection, compound_id: str, period: TenDayPeriod) -> list[ReleaseSlip]:
    t = release_slips.c
    rows = (
        await conn.execute(
            select(t.doc).where(t.compound_id == compound_id, t.released_at >= period.start,
                                t.released_at < period.end)
        )
    ).scalars().all()
    return [_slip_dec.decode(d) for d in rows]


async def _receipts(conn: AsyncConnection, compound_id: str, key: str) -> dict[str, rs.HandInReceipt]:
    rows = (
        await conn.execute(
            select(slip_handins.c.gate, slip_handins.c.doc).where(
                and_(slip_handins.c.compound_id == compound_id, slip_handins.c.period == key)
            )
        )
    ).all()
    return {r.gate: msgspec.json.decode(r.doc, type=rs.HandInReceipt) for r in rows}


def _receipt_view(r: rs.HandInReceipt) -> ReceiptView:
    return ReceiptView(received_ids=r.received_ids, missing_ids=r.missing_ids, received_by=r.received_by,
                       received_at=r.received_at, complete=r.complete)


async def handins(db: Database, who: Principal, period: str | None) -> list[HandInView]:
    now = db.clock.now()
    async with db.read() as conn:
        tz = await _tz(conn, who.compound_id)
        p = parse_period(period, tz) if period else rs.ten_day_period(now, tz)
        key = period_key(p)
        lists = {h.gate: h for h in rs.handin_lists(await _released_in(conn, who.compound_id, p), p)}
        receipts = await _receipts(conn, who.compound_id, key)
    out = []
    for gate in sorted(set(lists) | set(receipts)):
        slip_ids = lists[gate].slip_ids if gate in lists else ()
        r = receipts.get(gate)
        out.append(HandInView(period=key, first_day=p.first_day, last_day=p.last_day, period_over=now >= p.end,
                              gate=gate, slip_ids=slip_ids, receipt=_receipt_view(r) if r else None))
    return out


async def confirm_handin(db: Database, who: Principal, data: HandInConfirmIn) -> HandInView:
    async with db.transaction() as uow:
        conn = uow.conn
        tz = await _tz(uow, who.compound_id)
        p = parse_period(data.period, tz)
        key = period_key(p)
        lists = {h.gate: h for h in rs.handin_lists(await _released_in(conn, who.compound_id, p), p)}
        hand_in = lists.get(data.gate) or rs.HandInList(period=p, gate=data.gate, slip_ids=())
        previous = (await _receipts(conn, who.compound_id, key)).get(data.gate)
        # Late copies may arrive after a first receipt: what was received before stays received.
        received = set(data.received_ids) | set(previous.received_ids if previous else ())
        receipt = _raise(rs.confirm_handin(hand_in, received, by=_staff(who, ISSUERS), at=uow.now))
        doc = _enc.encode(receipt).decode()
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(slip_handins)
        await conn.execute(
            ins.values(id=new_id("hin_"), compound_id=who.compound_id, period=key, gate=data.gate,
                       received_by=who.user_id, received_at=uow.now, doc=doc)
            .on_conflict_do_update(
                index_elements=[slip_handins.c.compound_id, slip_handins.c.period, slip_handins.c.gate],
                set_={"received_by": who.user_id, "received_at": uow.now, "doc": doc},
            )
        )
        newly = set(receipt.received_ids) - set(previous.received_ids if previous else ())
        for slip_id in sorted(newly):
            row = await _load(conn, slip_id, who.compound_id, lock=True)
            await _save(uow, row, rs.archive_security_copy(_slip_dec.decode(row.doc), receipt))
        uow.audit(entity="slip_handin", entity_id=f"{key}:{data.gate}", action="slip.handin_confirmed",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  compound_id=who.compound_id,
                  data={"received": list(receipt.received_ids), "missing": list(receipt.missing_ids)})
        return HandInView(period=key, first_day=p.first_day, last_day=p.last_day, period_over=uow.now >= p.end,
                          gate=data.gate, slip_ids=hand_in.slip_ids, receipt=_receipt_view(receipt))


# --- printing ------------------------------------------------------------------------------------


async def print_html(db: Database, who: Principal, slip_id: str, lang: slip_print.Lang = "zh") -> str:
    """Both copies of the slip (R-RS-4) in the desk's language, each sized for an A6 page
    (server/services/slip_print.py lays them out); the QR is inline SVG."""
    async with db.read() as conn:
        row = await _load(conn, slip_id, who.compound_id)
        tz = await _tz(conn, who.compound_id)
        slip = _slip_dec.decode(row.doc)
        names = {g.code: g.name for g in await gate_names(conn, who.compound_id)}
        signed = [(ref, None if ref.on_paper else await _blob(conn, ref.sha256)) for ref in rs.signatures(slip)]
        guard = None
        if slip.released_by is not None:
            guard = (await conn.execute(select(users.c.display_name).where(users.c.id == slip.released_by))).scalar()
    return slip_print.render(slip, short_code=row.short_code, qr_svg=signing.qr_svg(row.payload, scale=3),
                             state=rs.state_at(slip, db.clock.now()), tz=tz, gate_names=names, signed=signed,
                             released_by_name=guard, lang=lang)


# --- demo ----------------------------------------------------------------------------------------


async def seed_demo_slips(db: Database, compound_id: str) -> None:
    """Two slips for the demo compound: one the gate can release, one the desk already revoked."""
    import hashlib

    from PIL import Image, ImageDraw

    png = io.BytesIO()
    # A drawn stroke, not a blank sheet: the demo's gate and printed copies show a signature.
    sheet = Image.new("L", (240, 90), 255)
    ImageDraw.Draw(sheet).line([(20, 70), (55, 20), (80, 75), (110, 25), (135, 70), (175, 40), (220, 60)],
                               fill=0, width=3)
    sheet.save(png, format="PNG")
    data = png.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    who = Principal(user_id="usr_frontdesk", username="frontdesk", display_name="李前台",
                    roles=frozenset({str(Role.FRONT_DESK)}), compound_id=compound_id, device_id="demo-seed")
    async with db.transaction() as uow:
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(blobs)
        await uow.conn.execute(
            ins.values(sha256=sha, content_type="image/png", size=len(data), data=data, created_at=uow.now,
                       created_by=who.user_id).on_conflict_do_nothing(index_elements=[blobs.c.sha256])
        )
        unit_id = (await uow.conn.execute(select(units.c.id).where(units.c.compound_id == compound_id,
                                                                    units.c.label == "1栋-101"))).scalar()
        if unit_id is None:
            return
        base = SlipIssueIn(
            unit_id=unit_id, requester_name="黄业主", relation=Relation.OWNER,
            items=[ItemIn(name="冰箱", large=True), ItemIn(name="纸箱", quantity=3)], gates=["N", "S"],
            valid_until=uow.now + timedelta(days=3), id_check=IdCheckIn(id_type=IdType.RESIDENT_ID_CARD,
                                                                         last4="123X"),
            requester_signature_sha256=sha,
        )
        await issue_in(uow, who, base)
        second = await issue_in(uow, who, msgspec.structs.replace(base, items=[ItemIn(name="旧沙发", large=True)]))
    await revoke(db, who, second.id, RevokeIn(reason="业主改期搬运"))
