"""The catalogue between the GM's word and the residents' notice (R-SS-1, D112): nothing is booked, and no
fee quoted, before residents were told; the GM may send a proposal back with a reason the manager
revises against; an item needs its English name."""

from __future__ import annotations

from sqlalchemy import select

from server.storage.schema import audit
from tests.conftest import login

NEW_ITEM = {"code": "ac_refill", "name_zh": "空调加氟", "name_en": "Air-conditioner refill", "fee_cents": 15000,
            "unit": "per_visit", "promise_minutes": 25}


async def _book(client, desk, code: str):  # noqa: ANN001, ANN202
    return await client.post("/api/services/bookings", headers=desk, json={
        "item_code": code, "resident_name": "李女士", "unit_id": "unit_1_101", "phone": "13700001111"})


async def test_an_approved_item_is_not_bookable_until_announced(client):  # R-SS-1
    mgr, gm, desk = (await login(client, "manager"), await login(client, "gm"), await login(client, "frontdesk"))
    assert (await client.post("/api/services/items", headers=mgr, json=NEW_ITEM)).status_code == 201
    r = await client.post("/api/services/items/ac_refill/approve", headers=gm)
    assert r.status_code == 200 and r.json()["bookable"] is False and r.json()["quoted_fee_cents"] is None
    r = await _book(client, desk, "ac_refill")
    assert r.status_code == 409 and r.json()["code"] == "special_service.item_not_announced"
    # Nor under a long-term agreement.
    r = await client.post("/api/services/agreements", headers=desk, json={
        "item_code": "ac_refill", "resident_name": "李女士", "unit_id": "unit_1_101", "phone": "13700001111",
        "fee_cents": 15000, "valid_until": "2027-06-01T00:00:00Z"})
    assert r.status_code == 409 and r.json()["code"] == "special_service.item_not_announced"
    r = await client.post("/api/services/items/ac_refill/announce", headers=mgr)
    assert r.status_code == 200 and r.json()["bookable"] is True and r.json()["quoted_fee_cents"] == 15000
    r = await _book(client, desk, "ac_refill")
    assert r.status_code == 201 and r.json()["booking"]["unit_fee_cents"] == 15000


async def test_an_unannounced_fee_change_is_not_quoted_until_announced(client):  # R-SS-1 R-SS-2
    mgr, gm, desk = (await login(client, "manager"), await login(client, "gm"), await login(client, "frontdesk"))
    assert (await client.post("/api/services/items/unlock/price", headers=mgr, json={"fee_cents": 6000})).status_code == 200
    r = await client.post("/api/services/items/unlock/approve", headers=gm)
    body = r.json()
    assert body["fee_cents"] == 6000 and body["announced_at"] is None
    # Residents were told ¥50: the item stays bookable at ¥50 until the ¥60 is announced.
    assert body["bookable"] is True and body["quoted_fee_cents"] == 5000 and body["announced_fee_cents"] == 5000
    r = await _book(client, desk, "unlock")
    assert r.status_code == 201 and r.json()["booking"]["unit_fee_cents"] == 5000 and r.json()["told_fee_cents"] == 5000
    bid = r.json()["booking"]["id"]
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 6000})
    assert r.status_code == 400 and r.json()["code"] == "special_service.fee_not_as_quoted"
    assert (await client.post("/api/services/items/unlock/announce", headers=mgr)).status_code == 200
    r = await _book(client, desk, "unlock")
    assert r.status_code == 201 and r.json()["booking"]["unit_fee_cents"] == 6000
    # The booking made before the notice keeps the fee it was quoted.
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 5000})
    assert r.status_code == 200 and r.json()["booking"]["told_fee_cents"] == 5000


async def test_the_english_name_is_required(client):  # R-SS-1
    mgr = await login(client, "manager")
    r = await client.post("/api/services/items", headers=mgr, json={**NEW_ITEM, "name_en": "  "})
    assert r.status_code == 400 and r.json()["code"] == "special_service.name_en_required"
    items = (await client.get("/api/services/items", headers=mgr)).json()
    assert "ac_refill" not in {i["code"] for i in items}


async def test_the_gm_sends_a_new_item_back_with_a_reason_and_the_manager_revises_it(client, db):  # R-SS-1
    mgr, gm = await login(client, "manager"), await login(client, "gm")
    assert (await client.post("/api/services/items", headers=mgr, json=NEW_ITEM)).status_code == 201
    r = await client.post("/api/services/items/ac_refill/send-back", headers=gm, json={"reason": " "})
    assert r.status_code == 400 and r.json()["code"] == "special_service.reason_required"
    r = await client.post("/api/services/items/ac_refill/send-back", headers=mgr, json={"reason": "价高"})
    assert r.status_code == 403 and r.json()["code"] == "special_service.not_general_manager"
    r = await client.post("/api/services/items/ac_refill/send-back", headers=gm, json={"reason": "收费偏高，请参考市价"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "returned" and body["bookable"] is False
    assert body["sent_back"]["reason"] == "收费偏高，请参考市价" and body["sent_back"]["price"] is False
    assert body["sent_back"]["fee_cents"] == 15000
    # A returned item cannot be approved as it stands; the manager revises it.
    r = await client.post("/api/services/items/ac_refill/approve", headers=gm)
    assert r.status_code == 409 and r.json()["code"] == "special_service.nothing_to_approve"
    r = await client.post("/api/services/items/ac_refill/revise", headers=mgr, json={**NEW_ITEM, "fee_cents": 12000})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "proposed" and r.json()["fee_cents"] == 12000 and r.json()["sent_back"] is None
    r = await client.post("/api/services/items/ac_refill/revise", headers=mgr, json={**NEW_ITEM, "fee_cents": 11000})
    assert r.status_code == 409 and r.json()["code"] == "special_service.not_sent_back"
    r = await client.post("/api/services/items/ac_refill/approve", headers=gm)
    assert r.status_code == 200 and r.json()["fee_cents"] == 12000
    async with db.read() as conn:
        rows = (await conn.execute(select(audit.c.action, audit.c.data).where(
            audit.c.entity_id == "ac_refill").order_by(audit.c.id))).all()
    actions = [r.action for r in rows]
    assert actions == ["service_item.proposed", "service_item.sent_back", "service_item.revised",
                       "service_item.approved"]
    assert "收费偏高" in str(rows[1].data)


async def test_the_gm_sends_a_new_fee_back_and_the_old_fee_stands(client):  # R-SS-1
    mgr, gm, desk = (await login(client, "manager"), await login(client, "gm"), await login(client, "frontdesk"))
    await client.post("/api/services/items/unlock/price", headers=mgr, json={"fee_cents": 6000})
    r = await client.post("/api/services/items/unlock/send-back", headers=gm, json={"reason": "本季不调价"})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "approved" and body["pending_fee_cents"] is None
    assert body["fee_cents"] == 5000 and body["sent_back"]["price"] is True and body["sent_back"]["fee_cents"] == 6000
    assert body["bookable"] is True and body["announced_at"] is not None
    r = await client.post("/api/services/items/unlock/approve", headers=gm)
    assert r.status_code == 409 and r.json()["code"] == "special_service.nothing_to_approve"
    # A new proposal answers the refusal.
    r = await client.post("/api/services/items/unlock/price", headers=mgr, json={"fee_cents": 5500})
    assert r.json()["pending_fee_cents"] == 5500 and r.json()["sent_back"] is None
    assert (await _book(client, desk, "unlock")).json()["booking"]["unit_fee_cents"] == 5000


async def test_the_demo_price_list_has_an_item_paid_in_advance_so_the_cashier_takes_it(client):  # R-SS-2
    desk, cashier = await login(client, "frontdesk"), await login(client, "cashier")
    items = (await client.get("/api/services/items", headers=desk)).json()
    ahead = [i for i in items if i["advance"] != "none"]
    assert ahead and all(i["bookable"] and 0 < i["advance_cents"] <= i["fee_cents"] for i in ahead)
    item = ahead[0]
    r = await _book(client, desk, item["code"])
    assert r.status_code == 201, r.text
    bid = r.json()["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": item["fee_cents"]})
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=cashier,
                          json={"amount_cents": item["advance_cents"], "receipt_no": "SJ-0001"})
    assert r.status_code == 200 and r.json()["booking"]["advance_paid_cents"] == item["advance_cents"]
