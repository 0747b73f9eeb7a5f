"""A long-term agreement's fee (R-SS-1, R-SS-2, D123): at most the fee announced to residents, per unit;
above it the agreement is refused and nothing is stored."""

from __future__ import annotations

from tests.conftest import login

TERMS = {"item_code": "laundry", "resident_name": "林业主", "unit_id": "unit_1_202", "phone": "13800000004",
         "valid_until": "2027-11-23T00:00:00Z"}


async def test_an_agreement_above_the_announced_fee_is_refused_and_nothing_stored(client):  # R-SS-1 R-SS-2
    desk = await login(client, "frontdesk")
    laundry = next(i for i in (await client.get("/api/services/items", headers=desk)).json() if i["code"] == "laundry")
    announced = laundry["quoted_fee_cents"]
    r = await client.post("/api/services/agreements", headers=desk, json={**TERMS, "fee_cents": announced + 1})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "special_service.agreement_fee_above_announced"
    assert r.json()["details"]["announced_fee_cents"] == announced
    assert f"{announced / 100:.2f}" in r.json()["message"]
    assert (await client.get("/api/services/agreements", headers=desk)).json() == []


async def test_an_agreement_at_or_below_the_announced_fee_is_signed(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    laundry = next(i for i in (await client.get("/api/services/items", headers=desk)).json() if i["code"] == "laundry")
    for fee in (laundry["quoted_fee_cents"], laundry["quoted_fee_cents"] - 300):
        r = await client.post("/api/services/agreements", headers=desk, json={**TERMS, "fee_cents": fee})
        assert r.status_code == 201, r.text
        assert r.json()["fee_cents"] == fee


async def test_an_approved_raise_not_yet_announced_does_not_lift_the_agreement_ceiling(client):  # R-SS-1
    mgr, gm, desk = (await login(client, "manager"), await login(client, "gm"), await login(client, "frontdesk"))
    assert (await client.post("/api/services/items/unlock/price", headers=mgr, json={"fee_cents": 6000})).status_code == 200
    assert (await client.post("/api/services/items/unlock/approve", headers=gm)).status_code == 200
    terms = {**TERMS, "item_code": "unlock"}
    r = await client.post("/api/services/agreements", headers=desk, json={**terms, "fee_cents": 6000})
    assert (r.status_code, r.json()["code"]) == (400, "special_service.agreement_fee_above_announced")
    assert (await client.post("/api/services/items/unlock/announce", headers=mgr)).status_code == 200
    r = await client.post("/api/services/agreements", headers=desk, json={**terms, "fee_cents": 6000})
    assert r.status_code == 201, r.text
