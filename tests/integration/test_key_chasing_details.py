"""What the desk records so a key can be chased, through the API (R-KY-1, D119): an outsider's phone, what
happened when a key is reported lost, and a due time inside the compound's working hours when none is given."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.key_cabinet import OUTSIDER_ID, audited, lend_outsider, new_key
from tests.integration.scenarios import signature_png, upload


async def _key(client, desk, label: str = "7栋-301 入户门") -> dict:  # noqa: ANN001
    return await new_key(client, desk, building="7栋", floor="3", label=label)


async def test_an_outsiders_loan_is_refused_without_a_phone_and_shows_the_one_given(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-outsider-phone"))
    body = {"borrower_name": "装修工 王某", "borrower_kind": "outsider", "signature_sha256": sig,
            "due_at": "2026-11-23T08:00:00Z", "id_shown": OUTSIDER_ID, "deposit_cents": 5000,
            "deposit_receipt_no": "YJ-9"}
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json=body)
    assert r.status_code == 400 and r.json()["code"] == "key.phone_required", r.text
    assert r.json()["details"]["missing"] == ["borrower_phone"]
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={**body, "borrower_phone": "139 1234 5678"})
    assert r.status_code == 201, r.text
    assert r.json()["loan"]["borrower_phone"] == "139 1234 5678"
    # The overdue list, which the desk chases from, carries it too.
    clock.advance(hours=7)
    overdue = [x for x in (await client.get("/api/keys/overdue", headers=desk)).json() if x["key_id"] == key["id"]]
    assert [x["borrower_phone"] for x in overdue] == ["139 1234 5678"]


async def test_a_loan_without_a_due_time_is_due_at_the_close_of_the_working_day(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-default-due"))
    # Monday 23 Nov 2026 10:00 Shanghai: due at 17:30 that day (09:30 UTC).
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig})
    assert r.status_code == 201, r.text
    assert r.json()["loan"]["due_at"].startswith("2026-11-23T09:30:00")
    assert (await client.post(f"/api/keys/{key['id']}/return", headers=desk)).status_code == 200
    # Lent at 20:40 that evening: due at the next working day's opening, 08:30 Tuesday (00:30 UTC).
    clock.advance(hours=10, minutes=40)
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig})
    assert r.status_code == 201, r.text
    assert r.json()["loan"]["due_at"].startswith("2026-11-24T00:30:00")


async def test_a_loss_is_refused_without_what_happened_and_keeps_it(client, db):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={})
    assert r.status_code == 400 and r.json()["code"] == "key.loss_account_required", r.text
    assert r.json()["details"]["missing"] == ["loss_account"]
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "月末清点时挂钩上没有"})
    assert r.status_code == 200, r.text
    assert r.json()["key"]["losses"][-1]["account"] == "月末清点时挂钩上没有"
    history = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()
    assert history["losses"][0]["account"] == "月末清点时挂钩上没有"
    [(_, data)] = await audited(db, key["id"], "key.lost")
    assert data["account"] == "月末清点时挂钩上没有"


async def test_a_key_lost_on_loan_needs_what_happened_before_the_deposit_is_settled(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"])
    url = f"/api/keys/{key['id']}/lost"
    settle = {"refund_cents": 0, "kept_reason": "钥匙遗失"}
    r = await client.post(url, headers=desk, json=settle)
    assert r.status_code == 400 and r.json()["code"] == "key.loss_account_required", r.text
    r = await client.post(url, headers=desk, json={**settle, "account": "王某称在工地丢失"})
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["lost_at"] and r.json()["key"]["losses"][-1]["account"] == "王某称在工地丢失"
