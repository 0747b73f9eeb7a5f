"""The guards' feed forgets slips that are long dead: a day after a slip's validity ends, issuing the
next slip turns its gate documents (what it carries, its release, its revocation) into removals, so a
guard's phone deletes them on its next pull instead of keeping every slip ever issued (D40)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from tests.conftest import T0, login

UNIT = "unit_1_101"  # 1栋-101: 黄业主, the registered owner
GATE_ENTITIES = ("gate_slip", "slip_use", "slip_revocation", "gate_notice")


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def signature(client, headers) -> str:  # noqa: ANN001
    buf = io.BytesIO()
    Image.new("L", (40, 20), 120).save(buf, format="PNG")
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    r = await client.put(f"/api/blobs/{sha}", content=data, headers={**headers, "Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    return sha


async def issue(client, headers, sig: str, valid_until: datetime) -> dict:  # noqa: ANN001
    r = await client.post("/api/slips", headers=headers, json={
        "unit_id": UNIT, "requester_name": "黄业主", "relation": "owner",
        "items": [{"name": "冰箱", "quantity": 1, "large": True}], "gates": ["N"],
        "valid_until": iso(valid_until),
        "id_check": {"id_type": "resident_id_card", "last4": "123X"},
        "requester_signature_sha256": sig,
    })
    assert r.status_code == 201, r.text
    return r.json()


async def pull(client, headers, cursor: int) -> tuple[list[dict], int]:  # noqa: ANN001
    r = await client.get("/api/sync/pull", params={"cursor": cursor, "limit": 5000}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["more"]
    return body["changes"], body["cursor"]


def gate_docs(changes: list[dict], slip_ids: set[str]) -> set[tuple[str, str, str]]:
    return {(c["entity"], c["id"], c["op"]) for c in changes if c["entity"] in GATE_ENTITIES and c["id"] in slip_ids}


async def test_a_guards_feed_drops_a_slips_documents_a_day_after_it_expires(client, clock):  # R-RS-1
    desk = await login(client, "frontdesk")
    sig = await signature(client, desk)
    released = await issue(client, desk, sig, T0 + timedelta(hours=6))
    revoked = await issue(client, desk, sig, T0 + timedelta(hours=6))
    alive = await issue(client, desk, sig, T0 + timedelta(days=5))
    guard = await login(client, "guard")
    r = await client.post("/api/sync/push", headers=guard, json={"client_id": "gate-north-phone", "mutations": [
        {"mutation_id": 1, "type": "slip.release", "args": {"slip_id": released["id"], "gate": "N"},
         "device_time": iso(T0)}]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
    r = await client.post(f"/api/slips/{revoked['id']}/revoke", json={"reason": "业主取消"}, headers=desk)
    assert r.status_code == 200, r.text
    ids = {released["id"], revoked["id"], alive["id"]}
    changes, cursor = await pull(client, guard, 0)
    assert gate_docs(changes, ids) == {
        ("gate_slip", released["id"], "upsert"), ("slip_use", released["id"], "upsert"),
        ("gate_slip", revoked["id"], "remove"), ("slip_revocation", revoked["id"], "upsert"),
        ("gate_slip", alive["id"], "upsert"),
    }

    # Expired, but within the day's grace: a guard asked about it still sees what left and when.
    clock.set(T0 + timedelta(hours=6 + 23))
    desk, guard = await login(client, "frontdesk"), await login(client, "guard")
    await issue(client, desk, sig, clock.now() + timedelta(days=1))
    changes, cursor = await pull(client, guard, cursor)
    assert gate_docs(changes, ids) == set()

    # Past the grace: the next issue removes both dead slips' documents, and only theirs.
    clock.set(T0 + timedelta(hours=6 + 25))
    desk, guard = await login(client, "frontdesk"), await login(client, "guard")
    await issue(client, desk, sig, clock.now() + timedelta(days=1))
    changes, cursor = await pull(client, guard, cursor)
    assert gate_docs(changes, ids) == {
        ("gate_slip", released["id"], "remove"), ("slip_use", released["id"], "remove"),
        ("slip_revocation", revoked["id"], "remove"),
    }
    # A phone starting from scratch gets no document of either: only the living slip's.
    changes, _ = await pull(client, guard, 0)
    assert {(e, i) for e, i, op in gate_docs(changes, ids) if op == "upsert"} == {("gate_slip", alive["id"])}
    # The desk keeps its history: the slips themselves are untouched.
    r = await client.get(f"/api/slips/{released['id']}", headers=desk)
    assert r.status_code == 200 and r.json()["slip"]["released_at"] is not None, r.text
