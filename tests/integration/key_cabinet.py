"""The key cabinet through the API, as the key tests set it up (R-KY-1): a key filed, lent to a staff
account or to an outsider against ID and deposit, read back from the cabinet list, and its audit entries."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from server.storage.schema import audit
from tests.integration.scenarios import signature_png, upload

OUTSIDER_ID = {"doc_type": "passport", "last4": "9876"}
DUE = "2026-11-23T08:00:00Z"  # the afternoon of the test clock's day, Shanghai


async def new_key(client, desk, *, building: str, floor: str, label: str) -> dict:  # noqa: ANN001
    r = await client.post("/api/keys", headers=desk, json={
        "building": building, "floor": floor, "key_type": "resident_entrusted", "label": label})
    assert r.status_code == 201, r.text
    return r.json()["key"]


async def lend_outsider(client, desk, key_id: str, sig: str | None = None, *, name: str = "装修工 王某",  # noqa: ANN001
                        deposit: int = 10000, receipt: str = "YJ-01", due: str = DUE) -> dict:
    """Lent to an outsider with ID shown and a deposit; `sig` None uploads a signature of its own."""
    sig = sig or await upload(client, desk, signature_png(f"outsider-{key_id}-{name}"))
    r = await client.post(f"/api/keys/{key_id}/loans", headers=desk, json={
        "borrower_name": name, "borrower_kind": "outsider", "signature_sha256": sig, "due_at": due,
        "id_shown": OUTSIDER_ID, "deposit_cents": deposit, "deposit_receipt_no": receipt,
        "borrower_phone": "13800138000"})
    assert r.status_code == 201, r.text
    return r.json()["loan"]


async def lend_staff(client, desk, key_id: str, sig: str, *, due: str = DUE) -> dict:  # noqa: ANN001
    r = await client.post(f"/api/keys/{key_id}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig, "due_at": due})
    assert r.status_code == 201, r.text
    return r.json()["loan"]


async def listed(client, desk, key_id: str) -> dict:  # noqa: ANN001
    """The key's row in the cabinet list (`GET /api/keys`): the key, its open loan, what may be done."""
    return next(k for k in (await client.get("/api/keys", headers=desk)).json() if k["key"]["id"] == key_id)


async def audited(db, entity_id: str, action: str) -> list[tuple[str, dict]]:  # noqa: ANN001
    """(actor, data) of each audit entry of `action` on `entity_id`, oldest first."""
    async with db.read() as conn:
        rows = (await conn.execute(select(audit.c.actor_id, audit.c.data).where(
            audit.c.entity_id == entity_id, audit.c.action == action).order_by(audit.c.id))).all()
    return [(actor, msgspec.json.decode(data)) for actor, data in rows]
