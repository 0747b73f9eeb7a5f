"""The key cabinet through the API: an outsider's deposit settled when the loan ends, a key's loan
history, and the counts of months that have ended (R-KY-1)."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.key_cabinet import OUTSIDER_ID, lend_outsider, lend_staff, listed, new_key
from tests.integration.scenarios import signature_png, upload


async def _key(client, desk, label: str = "2栋-301 入户门") -> dict:  # noqa: ANN001
    return await new_key(client, desk, building="2栋", floor="3", label=label)


async def _still_on_loan(client, desk, key_id: str) -> bool:  # noqa: ANN001
    row = await listed(client, desk, key_id)
    return row["key"]["state"] == "on_loan" and row["loan"] is not None


async def test_an_outsiders_deposit_is_settled_when_the_key_comes_back(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("dep-return")))
    clock.advance(hours=2)
    url = f"/api/keys/{key['id']}/return"
    for body, code in (
        (None, "key.deposit_unsettled"),  # nothing said about the ¥100 taken
        ({}, "key.deposit_unsettled"),
        ({"refund_cents": 10001}, "key.refund_above_deposit"),
        ({"refund_cents": -100, "kept_reason": "x"}, "key.refund_negative"),
        ({"refund_cents": 6000}, "key.keep_reason_required"),
        ({"refund_cents": 6000, "kept_reason": "  "}, "key.keep_reason_required"),
    ):
        r = await client.post(url, headers=desk, json=body) if body is not None else await client.post(url, headers=desk)
        assert (r.status_code, r.json()["code"]) == (400, code), (body, r.text)
        assert r.json()["message"] and r.json()["message_en"]
        assert await _still_on_loan(client, desk, key["id"])  # nothing recorded
    r = await client.post(url, headers=desk, json={"refund_cents": 6000, "kept_reason": "门锁损坏",
                                                   "refund_receipt_no": "TK-0042"})
    assert r.status_code == 200, r.text
    loan = r.json()["loan"]
    assert loan["deposit_settlement"] == {
        "refunded_cents": 6000, "kept_cents": 4000, "kept_reason": "门锁损坏", "refund_receipt_no": "TK-0042",
        "settled_by": "usr_frontdesk", "settled_at": "2026-11-23T04:00:00Z"}
    assert (loan["settled_by_name"], loan["received_by_name"], loan["lent_by_name"]) == ("李前台", "李前台", "李前台")
    assert r.json()["key"]["state"] == "in_store"


async def test_a_staff_loan_comes_back_with_no_deposit_to_settle(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    await lend_staff(client, desk, key["id"], await upload(client, desk, signature_png("dep-staff")))
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={"refund_cents": 100})
    assert (r.status_code, r.json()["code"]) == (400, "key.refund_above_deposit")
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={})
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["deposit_settlement"] is None


async def test_a_lost_keys_deposit_is_settled_with_the_loss(client, clock):  # R-KY-1
    desk = await login(client, "dispatcher")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("dep-lost")), deposit=5000)
    clock.advance(hours=1)
    url = f"/api/keys/{key['id']}/lost"
    told = {"account": "王某称在工地丢失"}  # what happened, required with every loss (D119)
    r = await client.post(url, headers=desk, json=told)
    assert (r.status_code, r.json()["code"]) == (400, "key.deposit_unsettled")
    r = await client.post(url, headers=desk, json={**told, "refund_cents": 0})
    assert (r.status_code, r.json()["code"]) == (400, "key.keep_reason_required")
    assert await _still_on_loan(client, desk, key["id"])
    r = await client.post(url, headers=desk, json={**told, "refund_cents": 0, "kept_reason": "钥匙遗失"})
    assert r.status_code == 200, r.text
    loan = r.json()["loan"]
    assert loan["deposit_settlement"]["kept_cents"] == 5000 and loan["deposit_settlement"]["kept_reason"] == "钥匙遗失"
    assert (loan["lost_reported_by"], loan["lost_reported_by_name"], loan["settled_by_name"]) == (
        "usr_dispatcher", "王调度", "王调度")
    # A key lost in the cabinet has no loan and no deposit: only what happened.
    other = await _key(client, desk, label="2栋-302 入户门")
    assert (await client.post(f"/api/keys/{other['id']}/lost", headers=desk, json={"account": "钥匙遗失"})).status_code == 200


async def test_a_keys_page_lists_its_past_loans_newest_first(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    other_desk = await login(client, "dispatcher")
    key = await _key(client, desk)
    sig = await upload(client, desk, signature_png("history"))
    await lend_staff(client, desk, key["id"], sig)
    clock.advance(hours=1)
    assert (await client.post(f"/api/keys/{key['id']}/return", headers=other_desk)).status_code == 200
    clock.advance(days=1)
    await lend_outsider(client, desk, key["id"], sig, due="2026-11-24T08:00:00Z")
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=other_desk, json={"refund_cents": 10000,
                                                                                     "refund_receipt_no": "TK-1"})
    assert r.status_code == 200, r.text
    clock.advance(hours=1)
    await lend_staff(client, desk, key["id"], sig, due="2026-11-24T09:00:00Z")  # out now

    r = await client.get(f"/api/keys/{key['id']}/loans", headers=desk)
    assert r.status_code == 200, r.text
    assert r.json()["key"]["id"] == key["id"]
    loans = r.json()["loans"]
    assert [(x["borrower_kind"], x["returned_at"]) for x in loans] == [
        ("staff", None), ("outsider", "2026-11-24T04:00:00Z"), ("staff", "2026-11-23T03:00:00Z")]
    newest, outsider, oldest = loans
    assert newest["overdue"] is False and newest["lent_by_name"] == "李前台" and newest["received_by_name"] is None
    assert (outsider["borrower_name"], outsider["id_shown"], outsider["lent_at"]) == (
        "装修工 王某", OUTSIDER_ID, "2026-11-24T03:00:00Z")
    assert (outsider["lent_by_name"], outsider["received_by_name"]) == ("李前台", "王调度")
    assert outsider["deposit_settlement"]["refunded_cents"] == 10000 and outsider["settled_by_name"] == "王调度"
    assert (oldest["borrower_name"], oldest["id_shown"], oldest["deposit_settlement"]) == ("张师傅", None, None)

    r = await client.get("/api/keys/key_nope/loans", headers=desk)
    assert (r.status_code, r.json()["code"]) == (404, "key.not_found")
    assert (await client.get(f"/api/keys/{key['id']}/loans", headers=await login(client, "tech"))).status_code == 403


async def test_past_months_counts_are_listed_and_each_opens_as_the_cabinet_stood_at_its_end(client, clock):  # R-KY-1
    # T0 is Monday 23 November 2026 (Shanghai); the demo's four keys were filed then.
    desk = await login(client, "frontdesk")
    nothing_yet = await client.get("/api/keys/counts", headers=desk)
    assert nothing_yet.status_code == 200 and nothing_yet.json() == []  # November has not ended
    out_key = await _key(client, desk, label="2栋-301 入户门")
    late_key = await _key(client, desk, label="2栋-302 入户门")
    sig = await upload(client, desk, signature_png("months"))
    await lend_outsider(client, desk, out_key["id"], sig, deposit=10000)  # due today 16:00, back 5 Dec
    clock.set(clock.now().replace(month=12, day=5))
    r = await client.post(f"/api/keys/{out_key['id']}/return", headers=desk,
                          json={"refund_cents": 7000, "kept_reason": "钥匙磨损", "refund_receipt_no": "TK-2"})
    assert r.status_code == 200, r.text
    await lend_staff(client, desk, late_key["id"], sig, due="2026-12-20T08:00:00Z")  # still out, overdue
    clock.set(clock.now().replace(year=2027, month=1, day=10))

    counts = (await client.get("/api/keys/counts", headers=desk)).json()
    assert [(c["year"], c["month"]) for c in counts] == [(2026, 12), (2026, 11)]
    dec, nov = (c["count"] for c in counts)
    # End of November: six keys, the outsider's key still out (overdue since the 23rd) on a ¥100 deposit.
    assert (nov["total"], nov["in_store"], nov["on_loan"], nov["overdue"], nov["lost"]) == (6, 5, 1, 1, 0)
    assert (nov["deposits_held_cents"], nov["deposits_refunded_cents"], nov["deposits_kept_cents"]) == (10000, 0, 0)
    assert nov["counted_at"] == "2026-11-30T16:00:00Z" and nov["since"] == "2026-10-31T16:00:00Z"
    # End of December: the outsider's key back (¥70 refunded, ¥30 kept in December), the staff loan overdue.
    assert (dec["total"], dec["in_store"], dec["on_loan"], dec["overdue"], dec["lost"]) == (6, 5, 1, 1, 0)
    assert (dec["deposits_held_cents"], dec["deposits_refunded_cents"], dec["deposits_kept_cents"]) == (0, 7000, 3000)

    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert sheet["count"] == nov and (sheet["year"], sheet["month"]) == (2026, 11)
    rows = {row["key"]["id"]: row for row in sheet["keys"]}
    assert len(rows) == 6 and rows[late_key["id"]]["loan"] is None
    held = rows[out_key["id"]]
    assert held["key"]["state"] == "on_loan" and held["loan"]["overdue"] is True
    # The sheet shows the loan as it stood then: its December return is not on the November sheet.
    assert held["loan"]["returned_at"] is None and held["loan"]["deposit_settlement"] is None
    assert held["loan"]["deposit_cents"] == 10000 and held["loan"]["lent_by_name"] == "李前台"
    order = [(row["key"]["building"], row["key"]["floor"], row["key"]["key_type"]) for row in sheet["keys"]]
    assert order == sorted(order)  # the cabinet's filing order, as the live sheet

    # The month still running is the live count; a month that is not one is refused.
    for path, code in (("2027/1", "key.month_not_ended"), ("2026/13", "key.bad_month")):
        r = await client.get(f"/api/keys/counts/{path}", headers=desk)
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
    live = (await client.get("/api/keys/count", headers=desk)).json()
    assert live["since"] == "2026-12-31T16:00:00Z" and live["deposits_refunded_cents"] == 0
    # The manager's superiors read the counts too (as the live count); field staff do not.
    assert (await client.get("/api/keys/counts", headers=await login(client, "gm"))).status_code == 200
    assert (await client.get("/api/keys/counts/2026/11", headers=await login(client, "tech"))).status_code == 403


async def test_this_months_count_sums_the_deposits_settled_so_far(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("live")), deposit=8000)
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["deposits_held_cents"], count["deposits_refunded_cents"]) == (8000, 0)
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={"refund_cents": 8000, "refund_receipt_no": "TK-3"})
    assert r.status_code == 200, r.text
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["deposits_held_cents"], count["deposits_refunded_cents"], count["deposits_kept_cents"]) == (
        0, 8000, 0)
