"""Ed25519-signed release-slip payloads for the QR code, the compound keyring, and the offline verifier.

The guard's phone verifies with the same rules in pwa/src/gate/verify.js; tests/vectors/release_slips.json
(made by tests/vectors/generate_release_slips.py) holds both to the same verdicts.

Payload text: ``"ED1." + base64url(body || signature)`` with no padding. ``body`` (version 1, big endian):

====  ==============================================================================
size  field
====  ==============================================================================
1     version (1)
1+n   key id: length 1..12, then ASCII ``[A-Za-z0-9_-]``
1     CRC-8 of the key id (a damaged key id reads as malformed, not as a key to fetch)
1+n   slip id: length 1..36, then ASCII ``[A-Za-z0-9_-]``
1+n   unit label: length 1..32, then UTF-8 without control characters
16    items digest: sha256 of the canonical item list, first 16 bytes
2     item count: pieces on the slip (sum of quantities), 1..65535
4     valid_from, unix seconds
4     valid_until, unix seconds, > valid_from
1+..  gates: count 1..8, then for each a length 1..6 and ASCII ``[A-Z0-9]``
====  ==============================================================================

followed by a 64-byte Ed25519 signature over ``SIGNING_CONTEXT + body``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from server.domain.release_slips import ReleaseSlip

PREFIX = "ED1."
VERSION = 1
# Domain separation: a slip signature can never be replayed as a signature over anything else.
SIGNING_CONTEXT = b"EstateDesk release slip v1\x00"
SIGNATURE_LEN = 64
DIGEST_LEN = 16
# A QR at error level M stays small enough for a cheap phone camera at the gate.
PAYLOAD_MAX_CHARS = 250
# The verifier refuses to even decode anything longer.
VERIFY_MAX_CHARS = 512

KID_RE = re.compile(r"[A-Za-z0-9_-]{1,12}")
SLIP_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,36}")
GATE_RE = re.compile(r"[A-Z0-9]{1,6}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
UNIT_MAX_BYTES = 32
MAX_GATES = 8
MAX_PIECES = 0xFFFF

# Crockford base32 without I, L, O, U: what a guard types when the camera fails.
SHORT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_LEN = 9  # 8 data characters (40 bits of the signature) + 1 check character


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    TAMPERED = "tampered"
    UNKNOWN_KEY = "unknown_key"
    ALREADY_USED = "already_used"
    MALFORMED = "malformed"
    WRONG_GATE = "wrong_gate"
    # Only the guard's phone returns this: its cached keys / revocations are too old to trust.
    CANNOT_VERIFY_OFFLINE = "cannot_verify_offline"


class PayloadTooLarge(ValueError):
    """The signed payload would not fit a scannable QR: shorten the unit label, ids or gate list."""


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One compound signing key. `private_raw` is the server's secret; the rest may be published."""

    kid: str
    private_raw: bytes
    public: str  # base64url of the raw 32-byte public key
    created_at: datetime
    retired_at: datetime | None = None
    # Retired keys keep verifying until here, so slips signed just before a rotation still pass.
    verify_until: datetime | None = None


class Keyring(msgspec.Struct, frozen=True, kw_only=True):
    """All keys of one compound: exactly one active (not retired) key signs."""

    compound_id: str
    keys: tuple[KeyRecord, ...]


class PublicKey(msgspec.Struct, frozen=True, kw_only=True):
    """What a guard's phone caches per key id (the `slip_key` entity)."""

    public: str
    verify_until: int | None = None  # unix seconds; None while the key is active


class SlipClaims(msgspec.Struct, frozen=True, kw_only=True):
    """The signed fields of a slip payload."""

    version: int
    kid: str
    slip_id: str
    unit_label: str
    items_digest: str  # hex, 16 bytes
    item_count: int
    valid_from: int  # unix seconds
    valid_until: int
    gates: tuple[str, ...]


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    verdict: Verdict
    # Present once the payload parsed; a tampered payload's claims are not to be trusted or shown.
    claims: SlipClaims | None = None


# --- encoding helpers --------------------------------------------------------------------------


def b64u_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Strict base64url without padding; non-canonical text (stray trailing bits) is refused."""
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u_encode(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def crc8(data: bytes) -> int:
    """CRC-8 (polynomial 0x07): catches every error confined to one byte."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _unix(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware instant")
    return math.floor(instant.timestamp())


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def canonical_items(items: Iterable[tuple[str, int]]) -> bytes:
    """The item list as recorded on the slip, in its order: compact JSON ``[["name",qty],...]``.

    pwa/src/gate/payload.js builds the same bytes with JSON.stringify.
    """
    rows = []
    for name, qty in items:
        if not isinstance(name, str) or not name or _has_control(name):
            raise ValueError(f"bad item name: {name!r}")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise ValueError(f"bad quantity for {name!r}: {qty!r}")
        rows.append([name, qty])
    if not rows:
        raise ValueError("a slip lists at least one item")
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def items_digest(items: Iterable[tuple[str, int]]) -> bytes:
    return hashlib.sha256(canonical_items(items)).digest()[:DIGEST_LEN]


# --- keys ----------------------------------------------------------------------------------------


def generate_key(kid: str, now: datetime, *, seed: bytes | None = None) -> KeyRecord:
    """A new signing key. `seed` (32 bytes) makes it deterministic, for test vectors only."""
    if not KID_RE.fullmatch(kid):
        raise ValueError(f"key id must match {KID_RE.pattern}: {kid!r}")
    _unix(now)
    private = Ed25519PrivateKey.from_private_bytes(seed) if seed is not None else Ed25519PrivateKey.generate()
    return KeyRecord(
        kid=kid,
        private_raw=private.private_bytes_raw(),
        public=b64u_encode(private.public_key().public_bytes_raw()),
        created_at=now,
    )


def public_key_b64(private_raw: bytes) -> str:
    """The base64url public key for a raw 32-byte private key (what the server publishes)."""
    return b64u_encode(Ed25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes_raw())


def new_keyring(compound_id: str, kid: str, now: datetime, *, seed: bytes | None = None) -> Keyring:
    return Keyring(compound_id=compound_id, keys=(generate_key(kid, now, seed=seed),))


def active_key(keyring: Keyring) -> KeyRecord:
    active = [k for k in keyring.keys if k.retired_at is None]
    if len(active) != 1:
        raise ValueError(f"keyring {keyring.compound_id} has {len(active)} active keys, needs exactly 1")
    return active[0]


def rotate(
    keyring: Keyring, new_kid: str, now: datetime, *, overlap: timedelta, seed: bytes | None = None
) -> Keyring:
    """Retire the active key (it verifies for `overlap` more) and start signing with a new one.

    `overlap` should be at least the longest slip validity, so no slip in a guard's hand dies early.
    Keys past their overlap are dropped.
    """
    if overlap < timedelta(0):
        raise ValueError("overlap cannot be negative")
    if any(k.kid == new_kid for k in keyring.keys):
        raise ValueError(f"key id {new_kid!r} was used before in this keyring")
    old = active_key(keyring)
    kept = tuple(k for k in keyring.keys if k.verify_until is None or k.verify_until > now)
    retired = msgspec.structs.replace(old, retired_at=now, verify_until=now + overlap)
    keys = tuple(retired if k.kid == old.kid else k for k in kept) + (generate_key(new_kid, now, seed=seed),)
    return msgspec.structs.replace(keyring, keys=keys)


def public_keys(keyring: Keyring, now: datetime) -> dict[str, PublicKey]:
    """The keys a verifier should hold at `now` (the guard's `slip_key` cache)."""
    return {
        k.kid: PublicKey(
            public=k.public, verify_until=None if k.verify_until is None else _unix(k.verify_until)
        )
        for k in keyring.keys
        if k.verify_until is None or k.verify_until > now
    }


# --- signing -------------------------------------------------------------------------------------


def _short_bytes(text: str, pattern: re.Pattern[str], what: str) -> bytes:
    if not pattern.fullmatch(text):
        raise ValueError(f"{what} must match {pattern.pattern}: {text!r}")
    raw = text.encode("ascii")
    return bytes([len(raw)]) + raw


def encode_body(claims: SlipClaims) -> bytes:
    kid = _short_bytes(claims.kid, KID_RE, "key id")
    slip_id = _short_bytes(claims.slip_id, SLIP_ID_RE, "slip id")
    unit = claims.unit_label.encode("utf-8")
    if not 1 <= len(unit) <= UNIT_MAX_BYTES or _has_control(claims.unit_label):
        raise ValueError(f"unit label must be 1..{UNIT_MAX_BYTES} UTF-8 bytes without control characters")
    digest = bytes.fromhex(claims.items_digest)
    if len(digest) != DIGEST_LEN:
        raise ValueError("items digest must be 16 bytes")
    if not 1 <= claims.item_count <= MAX_PIECES:
        raise ValueError(f"item count must be 1..{MAX_PIECES}")
    if not 0 <= claims.valid_from < claims.valid_until <= 0xFFFFFFFF:
        raise ValueError("validity window must be non-empty unix seconds")
    if not 1 <= len(claims.gates) <= MAX_GATES:
        raise ValueError(f"a slip names 1..{MAX_GATES} gates")
    gates = bytes([len(claims.gates)]) + b"".join(_short_bytes(g, GATE_RE, "gate code") for g in claims.gates)
    return b"".join(
        [
            bytes([claims.version]),
            kid,
            bytes([crc8(claims.kid.encode("ascii"))]),
            slip_id,
            bytes([len(unit)]),
            unit,
            digest,
            struct.pack(">HII", claims.item_count, claims.valid_from, claims.valid_until),
            gates,
        ]
    )


def sign_slip(
    key: KeyRecord,
    *,
    slip_id: str,
    unit_label: str,
    items: Sequence[tuple[str, int]],
    valid_from: datetime,
    valid_until: datetime,
    gates: Sequence[str],
) -> str:
    """The QR payload text for one slip, signed with `key` (the keyring's active key)."""
    claims = SlipClaims(
        version=VERSION,
        kid=key.kid,
        slip_id=slip_id,
        unit_label=unit_label,
        items_digest=items_digest(items).hex(),
        item_count=sum(qty for _, qty in items),
        valid_from=_unix(valid_from),
        valid_until=_unix(valid_until),
        gates=tuple(gates),
    )
    return sign_claims(key.private_raw, claims)


def sign_release_slip(key: KeyRecord, slip: ReleaseSlip) -> str:
    """The QR payload for an issued slip (both printed copies carry it, R-RS-4)."""
    return sign_slip(
        key,
        slip_id=slip.id,
        unit_label=slip.unit_label,
        items=[(i.name, i.quantity) for i in slip.items],
        valid_from=slip.valid_from,
        valid_until=slip.valid_until,
        gates=slip.gates,
    )


def sign_claims(private_raw: bytes, claims: SlipClaims) -> str:
    body = encode_body(claims)
    signature = Ed25519PrivateKey.from_private_bytes(private_raw).sign(SIGNING_CONTEXT + body)
    payload = PREFIX + b64u_encode(body + signature)
    if len(payload) > PAYLOAD_MAX_CHARS:
        raise PayloadTooLarge(f"payload is {len(payload)} characters, at most {PAYLOAD_MAX_CHARS} fit the QR")
    return payload


# --- parsing and verifying -----------------------------------------------------------------------


class _Malformed(Exception):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Malformed("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def ascii(self, pattern: re.Pattern[str]) -> str:
        raw = self.take(self.u8())
        text = raw.decode("latin-1")
        if not pattern.fullmatch(text):
            raise _Malformed("bad characters")
        return text


def parse_payload(payload: str) -> tuple[SlipClaims, bytes, bytes]:
    """(claims, body, signature); raises ValueError on anything that is not a well-formed v1 payload."""
    try:
        return _parse(payload)
    except _Malformed as exc:
        raise ValueError(str(exc)) from None


def _parse(payload: str) -> tuple[SlipClaims, bytes, bytes]:
    if not isinstance(payload, str) or len(payload) > VERIFY_MAX_CHARS or not payload.startswith(PREFIX):
        raise _Malformed("not an ED1 payload")
    try:
        raw = b64u_decode(payload[len(PREFIX) :])
    except ValueError as exc:
        raise _Malformed(str(exc)) from None
    if len(raw) <= SIGNATURE_LEN:
        raise _Malformed("too short")
    body, signature = raw[:-SIGNATURE_LEN], raw[-SIGNATURE_LEN:]
    r = _Reader(body)
    version = r.u8()
    if version != VERSION:
        raise _Malformed("unsupported version")
    kid = r.ascii(KID_RE)
    if r.u8() != crc8(kid.encode("ascii")):
        raise _Malformed("key id check failed")
    slip_id = r.ascii(SLIP_ID_RE)
    unit_raw = r.take(r.u8())
    try:
        unit_label = unit_raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("unit label is not UTF-8") from None
    if not unit_label or _has_control(unit_label):
        raise _Malformed("bad unit label")
    digest = r.take(DIGEST_LEN)
    item_count, valid_from, valid_until = struct.unpack(">HII", r.take(10))
    if item_count < 1 or valid_until <= valid_from:
        raise _Malformed("bad count or window")
    gate_count = r.u8()
    if not 1 <= gate_count <= MAX_GATES:
        raise _Malformed("bad gate count")
    gates = tuple(r.ascii(GATE_RE) for _ in range(gate_count))
    if r.pos != len(body):
        raise _Malformed("trailing bytes")
    claims = SlipClaims(
        version=version,
        kid=kid,
        slip_id=slip_id,
        unit_label=unit_label,
        items_digest=digest.hex(),
        item_count=item_count,
        valid_from=valid_from,
        valid_until=valid_until,
        gates=gates,
    )
    return claims, body, signature


def _public_entry(entry: PublicKey | Mapping[str, object] | str | bytes) -> tuple[bytes, int | None]:
    if isinstance(entry, PublicKey):
        public, until = entry.public, entry.verify_until
    elif isinstance(entry, Mapping):
        public, until = entry["public"], entry.get("verify_until")
    else:
        public, until = entry, None
    raw = public if isinstance(public, bytes) else b64u_decode(str(public))
    if len(raw) != 32 or not (until is None or isinstance(until, int)):
        raise ValueError("bad public key entry")
    return raw, until


def check(
    payload: str,
    keyring_public: Mapping[str, PublicKey | Mapping[str, object] | str | bytes],
    revoked_ids: Collection[str],
    now: datetime,
    used_ids: Collection[str] = (),
    *,
    gate: str | None = None,
) -> Verification:
    """Verify a scanned payload. Order: malformed, unknown_key, tampered, revoked, already_used,
    wrong_gate, not_yet_valid, expired, valid. Nothing about the slip is trusted before the signature."""
    now_s = _unix(now)
    try:
        claims, body, signature = _parse(payload)
    except _Malformed:
        return Verification(verdict=Verdict.MALFORMED)
    entry = keyring_public.get(claims.kid)
    if entry is None:
        return Verification(verdict=Verdict.UNKNOWN_KEY)
    try:
        public_raw, verify_until = _public_entry(entry)
        public = Ed25519PublicKey.from_public_bytes(public_raw)
    except (ValueError, KeyError):
        return Verification(verdict=Verdict.UNKNOWN_KEY)
    if verify_until is not None and now_s >= verify_until:
        return Verification(verdict=Verdict.UNKNOWN_KEY)
    try:
        public.verify(signature, SIGNING_CONTEXT + body)
    except InvalidSignature:
        return Verification(verdict=Verdict.TAMPERED)
    if claims.slip_id in revoked_ids:
        verdict = Verdict.REVOKED
    elif claims.slip_id in used_ids:
        verdict = Verdict.ALREADY_USED
    elif gate is not None and gate not in claims.gates:
        verdict = Verdict.WRONG_GATE
    elif now_s < claims.valid_from:
        verdict = Verdict.NOT_YET_VALID
    elif now_s >= claims.valid_until:
        verdict = Verdict.EXPIRED
    else:
        verdict = Verdict.VALID
    return Verification(verdict=verdict, claims=claims)


def verify(
    payload: str,
    keyring_public: Mapping[str, PublicKey | Mapping[str, object] | str | bytes],
    revoked_ids: Collection[str],
    now: datetime,
    used_ids: Collection[str] = (),
    *,
    gate: str | None = None,
) -> Verdict:
    return check(payload, keyring_public, revoked_ids, now, used_ids, gate=gate).verdict


# --- what the guard types or scans -----------------------------------------------------------------


def _short_check(values: Sequence[int]) -> int:
    # Prime modulus with position weights: catches a mistyped character and most swapped neighbours.
    return sum((i + 1) * v for i, v in enumerate(values)) % 31


def short_code(payload: str) -> str:
    """9 characters a guard can type when the camera fails; the desk and the phone look it up.

    Taken from the signature, so nobody can pick a code without the compound's key.
    """
    _, _, signature = parse_payload(payload)
    bits = int.from_bytes(signature[:5], "big")
    values = [(bits >> (35 - 5 * i)) & 31 for i in range(8)]
    return "".join(SHORT_CODE_ALPHABET[v] for v in values) + SHORT_CODE_ALPHABET[_short_check(values)]


def normalize_short_code(typed: str) -> str | None:
    """The canonical code for what the guard typed, or None if it cannot be one (bad check character)."""
    text = typed.strip().upper().replace("-", "").replace(" ", "")
    text = text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(text) != SHORT_CODE_LEN or any(ch not in SHORT_CODE_ALPHABET for ch in text):
        return None
    values = [SHORT_CODE_ALPHABET.index(ch) for ch in text]
    if _short_check(values[:8]) != values[8]:
        return None
    return text


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """A printable SVG QR of the payload (error level M, byte mode), for the slip's two copies (R-RS-4)."""
    # omitsize: a viewBox instead of fixed width/height, so print CSS can scale it without cropping.
    return segno.make(payload, error="m", micro=False, boost_error=False).svg_inline(scale=scale, omitsize=True)
