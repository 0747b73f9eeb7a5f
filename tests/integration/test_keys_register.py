"""The key cabinet through the API: filing, signed loans, outsiders' ID and deposit, overdue, monthly count."""

from __future__ import annotations

import hashlib

from tests.conftest import login
from tests.integration.scenarios import signature_png, upload


async def _key(client, desk, **over) -> dict:  # noqa: ANN001, ANN003
    body = {"building": "2栋", "floor": "3", "key_type": "resident_entrusted", "label": "2栋-301 入户门", **over}
    r = await client.post("/api/keys", headers=desk, json=body)
    assert r.status_code == 201, r.text
    return r.json()["key"]


async def test_keys_are_listed_in_filing_order(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    await _key(client, desk, building="1栋", floor="2", label="1栋-201")
    keys = (await client.get("/api/keys", headers=desk)).json()
    order = [(k["key"]["building"], k["key"]["floor"], k["key"]["key_type"]) for k in keys]
    assert order == sorted(order)  # building, then floor, then type
    assert len(keys) == 5  # four demo keys plus this one


async def test_a_loan_needs_an_uploaded_png_signature(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    never_uploaded = hashlib.sha256(b"nothing").hexdigest()
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": never_uploaded,
        "due_at": "2026-11-23T06:00:00Z"})
    assert r.status_code == 400 and r.json()["code"] == "blob.missing"
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": "",
        "due_at": "2026-11-23T06:00:00Z"})
    assert r.status_code == 400 and r.json()["code"] == "key.signature_missing"
    sig = await upload(client, desk, signature_png("key-staff"))
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig,
        "due_at": "2026-11-23T06:00:00Z"})
    assert r.status_code == 201, r.text
    assert r.json()["key"]["state"] == "on_loan" and r.json()["loan"]["signature_sha256"] == sig
    # A key on loan cannot be lent twice.
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech2", "borrower_kind": "staff", "signature_sha256": sig,
        "due_at": "2026-11-23T06:00:00Z"})
    assert r.status_code == 409 and r.json()["code"] == "key.not_in_store"


async def test_only_a_staff_account_borrows_without_id_and_deposit(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-staff-id"))
    base = {"borrower_kind": "staff", "signature_sha256": sig, "due_at": "2026-11-23T06:00:00Z"}
    # A name typed as "staff" would waive the ID and deposit for anyone.
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={**base, "borrower_name": "张师傅"})
    assert r.status_code == 400 and r.json()["code"] == "key.staff_not_identified"
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={**base, "borrower_user_id": "usr_nobody"})
    assert r.status_code == 400 and r.json()["code"] == "key.staff_unknown"
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={**base, "borrower_user_id": "usr_tech"})
    assert r.status_code == 201, r.text
    staff = {u["id"]: u for u in (await client.get("/api/staff", headers=desk)).json()}
    loan = r.json()["loan"]
    assert (loan["borrower_user_id"], loan["borrower_name"]) == ("usr_tech", staff["usr_tech"]["display_name"])


async def test_an_outsider_shows_id_kept_as_last_four_and_pays_a_deposit(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-outsider"))
    base = {"borrower_name": "装修工 王某", "borrower_kind": "outsider", "signature_sha256": sig,
            "due_at": "2026-11-23T08:00:00Z"}
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json=base)
    assert r.status_code == 400 and r.json()["code"] == "key.id_required"
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        **base, "id_shown": {"doc_type": "resident_id_card", "last4": "11010119900307123X"}})
    assert r.status_code == 400 and r.json()["code"] == "key.id_too_long"  # the full number is never kept
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        **base, "id_shown": {"doc_type": "resident_id_card", "last4": "123X"}})
    assert r.status_code == 400 and r.json()["code"] == "key.deposit_required"
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        **base, "id_shown": {"doc_type": "resident_id_card", "last4": "123X"}, "deposit_cents": 10000,
        "deposit_receipt_no": "YJ-01", "borrower_phone": "13800138000"})
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    assert loan["id_shown"] == {"doc_type": "resident_id_card", "last4": "123X"} and loan["deposit_cents"] == 10000


async def test_overdue_loans_are_flagged_and_counted_until_returned(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-overdue"))
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig,
        "due_at": "2026-11-23T04:00:00Z"})
    assert r.status_code == 201
    assert (await client.get("/api/keys/overdue", headers=desk)).json() == []
    clock.advance(hours=3)
    overdue = (await client.get("/api/keys/overdue", headers=desk)).json()
    assert [o["key_id"] for o in overdue] == [key["id"]] and overdue[0]["overdue"] is True
    listed = next(k for k in (await client.get("/api/keys", headers=desk)).json() if k["key"]["id"] == key["id"])
    assert listed["loan"]["overdue"] is True
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["total"], count["on_loan"], count["overdue"], count["in_store"]) == (5, 1, 1, 4)
    assert count["by_type"]["resident_entrusted"] == 3
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk)
    assert r.status_code == 200 and r.json()["loan"]["returned_at"] and r.json()["key"]["state"] == "in_store"
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["on_loan"], count["overdue"]) == (0, 0)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "key.not_on_loan"


async def test_field_staff_cannot_use_the_key_register(client):  # R-KY-1
    tech = await login(client, "tech")
    assert (await client.get("/api/keys", headers=tech)).status_code == 403


async def test_a_key_filed_beyond_its_columns_is_refused(client):  # R-KY-1
    # Building and floor are indexed columns of 100 and 20 characters: PostgreSQL refused longer ones
    # when storing (a 500 there, silently kept on SQLite). Both engines now answer the same 400.
    desk = await login(client, "frontdesk")
    before = len((await client.get("/api/keys", headers=desk)).json())
    for over in ({"building": "栋" * 101}, {"floor": "层" * 21}, {"label": "门" * 101}):
        body = {"building": "2栋", "floor": "3", "key_type": "resident_entrusted", "label": "x", **over}
        r = await client.post("/api/keys", headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
    assert len((await client.get("/api/keys", headers=desk)).json()) == before
    await _key(client, desk, building="栋" * 100, floor="层" * 20)


async def test_a_loan_due_at_no_real_instant_is_refused(client):  # R-KY-1
    # A due time must be an instant (with its offset) in a plausible year: year 1 in +14:00 could not
    # even be converted to UTC for storage (a 500), and a time without an offset failed there too.
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("loan-bounds"))
    for due in ("0001-01-01T00:00:00+14:00", "2026-11-30T18:00:00"):
        r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
            "borrower_kind": "staff", "borrower_user_id": "usr_tech", "signature_sha256": sig, "due_at": due})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
        assert "due_at" in str(r.json()["details"])


async def test_a_key_lost_while_lent_leaves_the_overdue_list_and_counts_as_lost(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("key-lost"))
    r = await client.post(f"/api/keys/{key['id']}/loans", headers=desk, json={
        "borrower_user_id": "usr_tech", "borrower_kind": "staff", "signature_sha256": sig,
        "due_at": "2026-11-23T04:00:00Z"})
    assert r.status_code == 201
    clock.advance(hours=3)
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失"})
    assert r.status_code == 200, r.text
    assert r.json()["key"]["state"] == "lost" and r.json()["loan"]["lost_at"] and r.json()["loan"]["overdue"] is False
    # Neither overdue nor on loan any more, for ever; the count says lost.
    clock.advance(days=10)
    assert [o["key_id"] for o in (await client.get("/api/keys/overdue", headers=desk)).json()] == []
    listed = next(k for k in (await client.get("/api/keys", headers=desk)).json() if k["key"]["id"] == key["id"])
    assert listed["key"]["state"] == "lost" and listed["loan"] is None
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["on_loan"], count["overdue"], count["lost"]) == (0, 0, 1)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "key.not_on_loan"
