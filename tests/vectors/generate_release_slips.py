"""Deterministic test vectors for slip verification, shared by the Python and the JavaScript verifier.

Regenerate after a deliberate format change: ``.venv/bin/python -m tests.vectors.generate_release_slips``
(writes tests/vectors/release_slips.json; a unit test fails while the file and this generator differ).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.gate import signing
from server.gate.signing import KeyRecord, SlipClaims, Verdict

VECTORS_PATH = Path(__file__).resolve().parent / "release_slips.json"

T0 = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
NOW = T0 + timedelta(hours=2)
VALID_UNTIL = T0 + timedelta(hours=24)
FLIP_MASKS = (0xFF, 0x01)


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"estatedesk test vector key {label}".encode()).digest()


def _key(kid: str, label: str, created: datetime) -> KeyRecord:
    return signing.generate_key(kid, created, seed=_seed(label))


def _unix(instant: datetime) -> int:
    return int(instant.timestamp())


# Rotation history: "tx-2025" retired long ago (overlap over), "tx-2026a" retired an hour before NOW
# (still in its overlap), "tx-2026b" signs now.
OLD = _key("tx-2025", "old", datetime(2025, 1, 1, tzinfo=UTC))
PREVIOUS = _key("tx-2026a", "previous", datetime(2026, 1, 1, tzinfo=UTC))
ACTIVE = _key("tx-2026b", "active", NOW - timedelta(hours=1))
STRANGER = _key("tx-2027", "stranger", NOW)  # a key this compound never published
IMPOSTOR = _key("tx-2026b", "impostor", NOW)  # claims the active kid with another private key

ITEMS = [("冰箱", 1), ("纸箱", 4), ("旧沙发", 1)]
SLIP_ID = "01JNQ8ZK5X2W9R7M3T6V4B8C1D"
UNIT = "3栋2单元1501"
GATES = ("N", "S")


def _claims(kid: str, **changes: Any) -> SlipClaims:
    fields: dict[str, Any] = {
        "version": signing.VERSION,
        "kid": kid,
        "slip_id": SLIP_ID,
        "unit_label": UNIT,
        "items_digest": signing.items_digest(ITEMS).hex(),
        "item_count": sum(q for _, q in ITEMS),
        "valid_from": _unix(T0),
        "valid_until": _unix(VALID_UNTIL),
        "gates": GATES,
    }
    fields.update(changes)
    return SlipClaims(**fields)


def _sign(key: KeyRecord, **changes: Any) -> str:
    return signing.sign_claims(key.private_raw, _claims(key.kid, **changes))


def _sign_raw_body(key: KeyRecord, body: bytes) -> str:
    """Sign bytes the encoder would never produce (wrong version, trailing bytes): must stay malformed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sig = Ed25519PrivateKey.from_private_bytes(key.private_raw).sign(signing.SIGNING_CONTEXT + body)
    return signing.PREFIX + signing.b64u_encode(body + sig)


def keys_cache() -> dict[str, dict[str, Any]]:
    """What a guard's phone holds: the public keys with their verify_until (unix seconds)."""
    return {
        OLD.kid: {"public": OLD.public, "verify_until": _unix(datetime(2026, 1, 1, tzinfo=UTC))},
        PREVIOUS.kid: {"public": PREVIOUS.public, "verify_until": _unix(NOW + timedelta(days=6))},
        ACTIVE.kid: {"public": ACTIVE.public, "verify_until": None},
    }


def _vector(
    name: str, payload: str, expected: Verdict, *, now: datetime = NOW, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "payload": payload,
        "now": _unix(now),
        "revoked": extra.get("revoked", []),
        "used": extra.get("used", []),
        "gate": extra.get("gate"),
        "expected": str(expected),
    }
    actual = signing.verify(
        payload, keys_cache(), set(row["revoked"]), now, set(row["used"]), gate=row["gate"]
    )
    if actual != expected:
        raise AssertionError(f"vector {name}: the Python verifier says {actual}, expected {expected}")
    return row


def _flip_vectors(payload: str) -> list[dict[str, Any]]:
    raw = signing.b64u_decode(payload[len(signing.PREFIX) :])
    rows = []
    for mask in FLIP_MASKS:
        for i in range(len(raw)):
            flipped = bytearray(raw)
            flipped[i] ^= mask
            text = signing.PREFIX + signing.b64u_encode(bytes(flipped))
            verdict = signing.verify(text, keys_cache(), set(), NOW)
            if verdict not in (Verdict.TAMPERED, Verdict.MALFORMED):
                raise AssertionError(f"flipping byte {i} with {mask:#04x} gave {verdict}")
            rows.append(_vector(f"flip byte {i} ^ {mask:#04x}", text, verdict))
    return rows


# What the `gate_slip` feed document (server/services/gate.py GateSlipDoc) says about the vectors' slip.
GATE_ITEMS = [
    {"name": "冰箱", "quantity": 1, "valuable": False, "large": True, "tool": False},
    {"name": "纸箱", "quantity": 4, "valuable": False, "large": False, "tool": False},
    {"name": "旧沙发", "quantity": 1, "valuable": False, "large": True, "tool": False},
]


# A signature as the gate document carries it (D42): a tiny 1-bit PNG stands for the owner's.
SIGNATURE_IMAGE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAwAAAAEAQAAAACSXeMnAAAAFElEQVR42mP8/5GJgYGBgYHx/0cAF3sD5QjcO/"
                   "EAAAAASUVORK5CYII=")


def _gate_doc(payload: str, items: list[dict[str, Any]], slip_id: str = SLIP_ID) -> dict[str, Any]:
    return {
        "slip_id": slip_id,
        "short_code": signing.short_code(payload),
        "payload": payload,
        "unit_label": UNIT,
        "items": items,
        "requester_name": "黄业主",
        "relation": "owner",
        "gates": list(GATES),
        "valid_from": T0.isoformat().replace("+00:00", "Z"),
        "valid_until": VALID_UNTIL.isoformat().replace("+00:00", "Z"),
        "signatures": [{"signer": "requester", "name": "黄业主", "relation": "owner",
                        "signed_at": T0.isoformat().replace("+00:00", "Z"), "image": SIGNATURE_IMAGE}],
    }


def _gate_slip_vector(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """`proven`: the phone may show the document's item list as the slip's — it is the list the payload's
    signed items_digest was taken over, and the document is about the payload's slip."""
    claims, _, _ = signing.parse_payload(doc["payload"])
    digest = signing.items_digest([(i["name"], i["quantity"]) for i in doc["items"]]).hex()
    proven = digest == claims.items_digest and doc["slip_id"] == claims.slip_id
    return {"name": name, "doc": doc, "proven": proven}


def _gate_slips(valid: str) -> list[dict[str, Any]]:
    first, boxes, sofa = GATE_ITEMS
    rows = [
        _gate_slip_vector("the list the slip was signed for", _gate_doc(valid, GATE_ITEMS)),
        _gate_slip_vector("flags are not signed and do not change the proof",
                          _gate_doc(valid, [{**first, "valuable": True}, boxes, sofa])),
        _gate_slip_vector("a quantity changed", _gate_doc(valid, [first, {**boxes, "quantity": 5}, sofa])),
        _gate_slip_vector("an item renamed", _gate_doc(valid, [first, {**boxes, "name": "纸箱 "}, sofa])),
        _gate_slip_vector("items reordered", _gate_doc(valid, [boxes, first, sofa])),
        _gate_slip_vector("an item left out", _gate_doc(valid, [first, boxes])),
        _gate_slip_vector("another slip's document", _gate_doc(valid, GATE_ITEMS, "01JNQ8ZK5X2W9R7M3T6V4B8C1E")),
    ]
    if [r["proven"] for r in rows] != [True, True, False, False, False, False, False]:
        raise AssertionError("gate_slip vectors: the Python proof disagrees with their names")
    return rows


def generate() -> dict[str, Any]:
    valid = _sign(ACTIVE)
    body_len = len(signing.b64u_decode(valid[len(signing.PREFIX) :])) - signing.SIGNATURE_LEN
    body = signing.b64u_decode(valid[len(signing.PREFIX) :])[:body_len]
    tail = valid[len(signing.PREFIX) :]
    # The last character of a 4n+2 or 4n+3 base64 text carries unused bits; setting one is non-canonical.
    last = signing.b64u_decode(tail)
    noncanonical = None
    if len(last) % 3:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        noncanonical = signing.PREFIX + tail[:-1] + alphabet[alphabet.index(tail[-1]) + 1]

    vectors = [
        _vector("valid", valid, Verdict.VALID),
        _vector("valid at valid_from", valid, Verdict.VALID, now=T0),
        _vector(
            "valid one second before valid_until",
            valid,
            Verdict.VALID,
            now=VALID_UNTIL - timedelta(seconds=1),
        ),
        _vector("valid at a gate on the slip", valid, Verdict.VALID, gate="S"),
        _vector("wrong gate", valid, Verdict.WRONG_GATE, gate="E"),
        _vector("expired at valid_until", valid, Verdict.EXPIRED, now=VALID_UNTIL),
        _vector("expired a day later", valid, Verdict.EXPIRED, now=VALID_UNTIL + timedelta(days=1)),
        _vector("not yet valid", valid, Verdict.NOT_YET_VALID, now=T0 - timedelta(seconds=1)),
        _vector("revoked", valid, Verdict.REVOKED, revoked=[SLIP_ID]),
        _vector("revoked wins over expired", valid, Verdict.REVOKED, now=VALID_UNTIL, revoked=[SLIP_ID]),
        _vector("other slip revoked", valid, Verdict.VALID, revoked=["01JNQ8ZK5X2W9R7M3T6V4B8C1E"]),
        _vector("already used", valid, Verdict.ALREADY_USED, used=[SLIP_ID]),
        _vector("previous key inside its overlap", _sign(PREVIOUS), Verdict.VALID),
        _vector(
            "previous key after its overlap",
            _sign(PREVIOUS, valid_until=_unix(NOW + timedelta(days=30))),
            Verdict.UNKNOWN_KEY,
            now=NOW + timedelta(days=6),
        ),
        _vector("retired key past verify_until", _sign(OLD), Verdict.UNKNOWN_KEY),
        _vector("unknown key id", _sign(STRANGER), Verdict.UNKNOWN_KEY),
        _vector("signed by an impostor under the active key id", _sign(IMPOSTOR), Verdict.TAMPERED),
        _vector("empty", "", Verdict.MALFORMED),
        _vector("no prefix", valid[len(signing.PREFIX) :], Verdict.MALFORMED),
        _vector("unknown prefix", "ED2." + tail, Verdict.MALFORMED),
        _vector("lowercase prefix", "ed1." + tail, Verdict.MALFORMED),
        _vector(
            "standard base64 alphabet",
            signing.PREFIX + tail.replace("-", "+").replace("_", "/") + "+",
            Verdict.MALFORMED,
        ),
        _vector("padding", valid + "=", Verdict.MALFORMED),
        _vector("trailing whitespace", valid + " ", Verdict.MALFORMED),
        _vector("truncated by one character", valid[:-1], Verdict.MALFORMED),
        _vector("truncated by one byte", signing.PREFIX + signing.b64u_encode(last[:-1]), Verdict.MALFORMED),
        _vector("signature only", signing.PREFIX + signing.b64u_encode(last[-64:]), Verdict.MALFORMED),
        _vector("too long", signing.PREFIX + "A" * 600, Verdict.MALFORMED),
        _vector("signed version 2", _sign_raw_body(ACTIVE, b"\x02" + body[1:]), Verdict.MALFORMED),
        _vector("signed with trailing bytes", _sign_raw_body(ACTIVE, body + b"\x00"), Verdict.MALFORMED),
    ]
    if noncanonical is not None:
        vectors.append(_vector("non-canonical base64 tail", noncanonical, Verdict.MALFORMED))
    vectors += _flip_vectors(valid)

    return {
        "about": "Generated by tests/vectors/generate_release_slips.py; do not edit. Times are unix seconds.",
        "keys": keys_cache(),
        "vectors": vectors,
        "short_codes": [
            {"payload": p, "code": signing.short_code(p)} for p in (valid, _sign(PREVIOUS), _sign(IMPOSTOR))
        ],
        "items_digests": [
            {"items": [list(i) for i in items], "digest": signing.items_digest(items).hex()}
            for items in (
                ITEMS,
                [("tool box", 1)],
                [('台灯 "大"', 2), ("a\\b", 1)],
                # Where JSON encoders differ if anywhere: "/", "<", "&", U+2028/9, astral characters,
                # combining marks (no normalisation on either side), a large quantity.
                [("沙发/椅子 <b>&amp;", 9999), ("x\u2028y\u2029z", 1), ("🛋️ 沙发", 2)],
                [("e\u0301", 1), ("\u00e9", 1), ("\u00a0", 3)],
            )
        ],
        "gate_slips": _gate_slips(valid),
    }


def render() -> str:
    return json.dumps(generate(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    VECTORS_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
