"""Signed release-slip payloads: the shared vectors, key rotation, short codes, the printable QR."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.gate import signing
from server.gate.signing import Verdict
from tests.vectors import generate_release_slips as vectors

DATA = json.loads(vectors.VECTORS_PATH.read_text(encoding="utf-8"))
T0 = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def test_committed_vectors_match_the_generator():
    # If this fails after a deliberate format change: .venv/bin/python -m tests.vectors.generate_release_slips
    assert vectors.VECTORS_PATH.read_text(encoding="utf-8") == vectors.render()


@pytest.mark.parametrize("v", DATA["vectors"], ids=[v["name"] for v in DATA["vectors"]])
def test_shared_vector(v):
    verdict = signing.verify(
        v["payload"], DATA["keys"], set(v["revoked"]), _at(v["now"]), set(v["used"]), gate=v["gate"]
    )
    assert verdict == v["expected"]


def test_vectors_cover_every_verdict_and_every_byte():
    expected = {v["expected"] for v in DATA["vectors"]}
    assert expected == set(Verdict) - {Verdict.CANNOT_VERIFY_OFFLINE}
    valid = next(v["payload"] for v in DATA["vectors"] if v["name"] == "valid")
    raw_len = len(signing.b64u_decode(valid[len(signing.PREFIX) :]))
    flips = [v for v in DATA["vectors"] if v["name"].startswith("flip")]
    assert len(flips) == raw_len * len(vectors.FLIP_MASKS)
    assert {v["expected"] for v in flips} <= {"tampered", "malformed"}


def test_short_codes_and_digests_match_vectors():
    for row in DATA["short_codes"]:
        assert signing.short_code(row["payload"]) == row["code"]
    for row in DATA["items_digests"]:
        assert signing.items_digest([tuple(i) for i in row["items"]]).hex() == row["digest"]


def _keyring():
    return signing.new_keyring("tx", "k1", T0, seed=bytes(range(32)))


def _sign(key, **kw):
    args = {
        "slip_id": "S1",
        "unit_label": "1-101",
        "items": [("sofa", 1)],
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=1),
        "gates": ["N"],
    }
    args.update(kw)
    return signing.sign_slip(key, **args)


def test_rotation_keeps_old_slips_valid_through_the_overlap_only():
    ring = _keyring()
    old_payload = _sign(signing.active_key(ring), valid_until=T0 + timedelta(days=30))
    ring = signing.rotate(ring, "k2", T0 + timedelta(hours=1), overlap=timedelta(days=3))
    assert signing.active_key(ring).kid == "k2"
    during = T0 + timedelta(days=2)
    assert signing.verify(old_payload, signing.public_keys(ring, during), set(), during) == Verdict.VALID
    # A phone that cached the keys during the overlap still stops trusting k1 once it ends.
    cached = signing.public_keys(ring, during)
    after = T0 + timedelta(days=3, hours=1)
    assert signing.verify(old_payload, cached, set(), after) == Verdict.UNKNOWN_KEY
    assert "k1" not in signing.public_keys(ring, after)
    new_payload = _sign(signing.active_key(ring))
    assert signing.verify(new_payload, cached, set(), T0 + timedelta(hours=2)) == Verdict.VALID


def test_rotation_drops_keys_past_their_overlap_and_refuses_reused_kids():
    ring = signing.rotate(_keyring(), "k2", T0, overlap=timedelta(days=1))
    ring = signing.rotate(ring, "k3", T0 + timedelta(days=2), overlap=timedelta(days=1))
    assert [k.kid for k in ring.keys] == ["k2", "k3"]
    with pytest.raises(ValueError):
        signing.rotate(ring, "k2", T0 + timedelta(days=3), overlap=timedelta(days=1))


def test_key_serialisation_round_trips():
    key = signing.active_key(_keyring())
    assert len(key.private_raw) == 32
    assert signing.public_key_b64(key.private_raw) == key.public
    assert len(signing.b64u_decode(key.public)) == 32


def test_typical_payload_fits_a_scannable_qr():
    key = signing.generate_key("tx-2026b", T0, seed=bytes(32))
    payload = _sign(
        key, slip_id="01JNQ8ZK5X2W9R7M3T6V4B8C1D", unit_label="12栋3单元2501", gates=["N", "S", "E"]
    )
    assert len(payload) <= signing.PAYLOAD_MAX_CHARS
    svg = signing.qr_svg(payload)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_payload_that_would_not_scan_is_refused():
    key = signing.generate_key("kid-123456ab", T0, seed=bytes(32))
    with pytest.raises(signing.PayloadTooLarge):
        _sign(
            key,
            slip_id="x" * 36,
            unit_label="栋" * 10,
            gates=["GATE01", "GATE02", "GATE03", "GATE04", "GATE05"],
        )


@pytest.mark.parametrize(
    "kw",
    [
        {"slip_id": "has space"},
        {"unit_label": "1\n101"},
        {"gates": []},
        {"gates": ["north"]},
        {"items": []},
        {"items": [("sofa", 0)]},
        {"valid_until": T0},
    ],
)
def test_signer_refuses_fields_the_verifier_would_call_malformed(kw):
    with pytest.raises(ValueError):
        _sign(signing.active_key(_keyring()), **kw)


def test_naive_clock_is_refused():
    payload = _sign(signing.active_key(_keyring()))
    with pytest.raises(ValueError):
        signing.verify(payload, {}, set(), datetime(2026, 3, 5))


def test_short_code_normalisation():
    code = signing.short_code(_sign(signing.active_key(_keyring())))
    assert len(code) == signing.SHORT_CODE_LEN
    sloppy = f"{code[:4].lower()} - {code[4:]}".replace("0", "o").replace("1", "l")
    assert signing.normalize_short_code(sloppy) == code
    for i in range(signing.SHORT_CODE_LEN):
        for ch in signing.SHORT_CODE_ALPHABET:
            typo = code[:i] + ch + code[i + 1 :]
            if typo != code and signing.normalize_short_code(typo) == typo:
                # Only a 0 <-> Z swap in one position can slip past a mod-31 check.
                assert {code[i], ch} == {"0", "Z"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies(text):
    ring = _keyring()
    verdict = signing.verify(text, signing.public_keys(ring, T0), set(), T0)
    assert verdict in (Verdict.MALFORMED, Verdict.UNKNOWN_KEY, Verdict.TAMPERED)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_arbitrary_bytes_after_the_prefix_never_verify(raw):
    ring = _keyring()
    payload = signing.PREFIX + signing.b64u_encode(raw)
    assert signing.verify(payload, signing.public_keys(ring, T0), set(), T0) in (
        Verdict.MALFORMED,
        Verdict.UNKNOWN_KEY,
        Verdict.TAMPERED,
    )


def test_issued_slip_signs_and_verifies_with_its_own_fields():
    from zoneinfo import ZoneInfo

    from server.domain.release_slips import (
        IdCheck,
        IdType,
        IssueOutcome,
        Item,
        Relation,
        SlipRequest,
        StaffRef,
        issue_slip,
    )
    from server.domain.roles import Role

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 3, 5, 10, 0, tzinfo=tz)
    request = SlipRequest(
        unit_label="3栋2单元1501",
        requester_name="张伟",
        relation=Relation.OWNER,
        registered_on_owner_record=True,
        items=(Item(name="冰箱", large=True), Item(name="纸箱", quantity=4)),
        gates=("N", "S"),
        valid_from=now,
        valid_until=now + timedelta(hours=12),
        requester_signature_sha256="a" * 64,
        id_check=IdCheck(id_type=IdType.PASSPORT, last4="5678", checked_by="fd", checked_at=now),
    )
    outcome = issue_slip(
        request,
        slip_id="01JNQ8ZK5X2W9R7M3T6V4B8C1D",
        issued_by=StaffRef(id="fd", role=Role.FRONT_DESK),
        now=now,
        tz=tz,
    )
    assert isinstance(outcome, IssueOutcome)
    ring = _keyring()
    payload = signing.sign_release_slip(signing.active_key(ring), outcome.slip)
    result = signing.check(payload, signing.public_keys(ring, now), set(), now, gate="S")
    assert result.verdict == Verdict.VALID
    assert result.claims is not None
    assert result.claims.slip_id == outcome.slip.id
    assert result.claims.item_count == 5
    assert result.claims.items_digest == signing.items_digest([("冰箱", 1), ("纸箱", 4)]).hex()
    assert (
        signing.verify(payload, signing.public_keys(ring, now), set(), now, {outcome.slip.id})
        == Verdict.ALREADY_USED
    )
