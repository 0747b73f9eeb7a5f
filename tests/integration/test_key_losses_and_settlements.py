"""The key cabinet through the API (R-KY-1): a loss reported by mistake undone the same day by the
dispatcher or the manager, the undone report kept; a lost key found again any day later, back in the
cabinet with its loss still counted in its month; and each month's settled deposits listed one by one."""

from __future__ import annotations

from sqlalchemy import select

from server.storage.tables_services import key_loans
from tests.conftest import login
from tests.integration.key_cabinet import audited, lend_outsider, listed, new_key


async def _key(client, desk, label: str = "6栋-201 入户门") -> dict:  # noqa: ANN001
    return await new_key(client, desk, building="6栋", floor="2", label=label)


# --- a loss reported by mistake ---------------------------------------------------------------------


async def test_a_loss_reported_by_mistake_on_loan_is_undone_the_same_day_and_stays_on_the_record(  # R-KY-1
        client, clock, demo_db):
    desk = await login(client, "frontdesk")
    disp = await login(client, "dispatcher")
    key = await _key(client, desk)
    loan = await lend_outsider(client, desk, key["id"])
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失",
        "refund_cents": 2000, "kept_reason": "钥匙遗失", "refund_receipt_no": "TK-5"})
    assert r.status_code == 200, r.text
    assert (r.json()["key"]["losses"][0]["reported_by"], r.json()["key"]["losses"][0]["loan_id"]) == (
        "usr_frontdesk", loan["id"])
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["lost"], count["lost_in_period"], count["deposits_refunded_cents"], count["deposits_kept_cents"]) == (
        1, 1, 2000, 8000)
    assert (await listed(client, desk, key["id"]))["loss_correctable"] is True

    clock.advance(hours=1)
    url = f"/api/keys/{key['id']}/correct-loss"
    # The front desk asks the dispatcher or the manager, as for a return (D72).
    r = await client.post(url, headers=desk, json={"reason": "借用人仍持有"})
    assert r.status_code == 403
    r = await client.post(url, headers=disp, json={"reason": " "})
    assert (r.status_code, r.json()["code"]) == (400, "key.loss_correction_reason_required"), r.text
    assert r.json()["message"] == "更正遗失登记须写明原因" and r.json()["message_en"]
    r = await client.post(url, headers=disp, json={"reason": "借用人仍持有钥匙，误报遗失"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"]["state"] == "on_loan" and body["key"]["lost_at"] is None
    assert body["loan"]["id"] == loan["id"]
    assert (body["loan"]["lost_at"], body["loan"]["deposit_settlement"]) == (None, None)
    # Open again in the register (the returned_at column cleared), the deposit held again, nothing lost.
    assert (await listed(client, desk, key["id"]))["loan"]["id"] == loan["id"]
    async with demo_db.read() as conn:
        assert (await conn.execute(select(key_loans.c.returned_at).where(key_loans.c.id == loan["id"]))).scalar() is None
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["lost"], count["on_loan"], count["lost_in_period"], count["deposits_held_cents"],
            count["deposits_refunded_cents"], count["deposits_kept_cents"]) == (0, 1, 0, 10000, 0, 0)
    # The voided settlement is listed for its receipt number, out of the sums.
    [voided] = count["settlements"]
    assert (voided["refund_receipt_no"], voided["ended"], voided["undone"]["corrected_by_name"],
            voided["undone"]["reason"]) == ("TK-5", "lost", "王调度", "借用人仍持有钥匙，误报遗失")
    # The undone report stays on the key, by name.
    history = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()
    [loss] = history["losses"]
    assert (loss["lost_at"], loss["reported_by_name"], loss["loan_id"], loss["found"]) == (
        "2026-11-23T03:00:00Z", "李前台", loan["id"], None)
    c = loss["correction"]
    assert (c["reason"], loss["corrected_by_name"], c["corrected_at"], c["deposit_settlement"]["refund_receipt_no"]) == (
        "借用人仍持有钥匙，误报遗失", "王调度", "2026-11-23T04:00:00Z", "TK-5")
    assert history["loss_correctable"] is False
    [(actor, data)] = await audited(demo_db, key["id"], "key.loss_corrected")
    assert (actor, data["loan_id"], data["reported_by"]) == ("usr_dispatcher", loan["id"], "usr_frontdesk")
    assert data["deposit_undone"]["refund_receipt_no"] == "TK-5"
    # Not twice; the real return then settles the deposit afresh.
    r = await client.post(url, headers=disp, json={"reason": "再来"})
    assert (r.status_code, r.json()["code"]) == (409, "key.not_lost")
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk,
                          json={"refund_cents": 10000, "refund_receipt_no": "TK-6"})
    assert r.status_code == 200, r.text


async def test_a_loss_in_the_cabinet_is_corrected_only_on_the_day_it_was_reported(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    mgr = await login(client, "manager")
    key = await _key(client, desk)
    clock.advance(hours=10)  # 20:00 Shanghai
    assert (await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失"})).status_code == 200
    clock.advance(hours=5)  # 01:00 the next day, Shanghai
    assert (await listed(client, desk, key["id"]))["loss_correctable"] is False
    r = await client.post(f"/api/keys/{key['id']}/correct-loss", headers=mgr, json={"reason": "错登"})
    assert (r.status_code, r.json()["code"]) == (409, "key.loss_not_correctable"), r.text
    assert r.json()["message"] == "遗失登记只能在登记当天更正；之后找到的钥匙请登记找回"
    assert (await listed(client, desk, key["id"]))["key"]["state"] == "lost"
    # The same day it is the manager's to correct too.
    other = await _key(client, desk, "6栋-202 入户门")
    assert (await client.post(f"/api/keys/{other['id']}/lost", headers=desk, json={"account": "钥匙遗失"})).status_code == 200
    r = await client.post(f"/api/keys/{other['id']}/correct-loss", headers=mgr, json={"reason": "标错了钥匙"})
    assert r.status_code == 200, r.text
    assert (r.json()["key"]["state"], r.json()["loan"]) == ("in_store", None)
    r = await client.post(f"/api/keys/{other['id']}/correct-loss", headers=mgr, json={"reason": "x"})
    assert (r.status_code, r.json()["code"]) == (409, "key.not_lost")


# --- a key found again ------------------------------------------------------------------------------


async def test_a_found_key_is_back_in_the_cabinet_and_its_month_still_counts_it_lost(client, clock, demo_db):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    loan = await lend_outsider(client, desk, key["id"], deposit=5000)
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失", "refund_cents": 0, "kept_reason": "钥匙遗失"})
    assert r.status_code == 200, r.text
    clock.set(clock.now().replace(month=12, day=2))  # 2 December, 11:00 Shanghai
    url = f"/api/keys/{key['id']}/found"
    assert (await client.post(url, headers=await login(client, "gm"), json={"note": "x"})).status_code == 403
    r = await client.post(url, headers=desk, json={"note": "  "})
    assert (r.status_code, r.json()["code"]) == (400, "key.found_note_required"), r.text
    assert r.json()["message"] == "登记找回须写明在何处找到、由谁交回" and r.json()["message_en"]
    r = await client.post(url, headers=desk, json={"note": " 借用人在车里找到后交回 "})
    assert r.status_code == 200, r.text
    assert (r.json()["key"]["state"], r.json()["key"]["lost_at"]) == ("in_store", None)
    history = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()
    [loss] = history["losses"]
    assert (loss["lost_at"], loss["loan_id"], loss["correction"]) == ("2026-11-23T03:00:00Z", loan["id"], None)
    assert (loss["found"]["found_at"], loss["found"]["note"], loss["found_by_name"]) == (
        "2026-12-02T03:00:00Z", "借用人在车里找到后交回", "李前台")
    # The loan stays ended by the loss, its deposit kept as settled.
    [ended] = history["loans"]
    assert ended["lost_at"] == "2026-11-23T03:00:00Z" and ended["deposit_settlement"]["kept_cents"] == 5000
    # November's sheet still counts it lost, with its kept deposit; December's finds it.
    nov = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert (nov["count"]["lost"], nov["count"]["lost_in_period"], nov["count"]["found_in_period"]) == (1, 1, 0)
    assert next(k for k in nov["keys"] if k["key"]["id"] == key["id"])["key"]["state"] == "lost"
    dec = (await client.get("/api/keys/count", headers=desk)).json()
    assert (dec["lost"], dec["lost_in_period"], dec["found_in_period"]) == (0, 0, 1)
    [(actor, data)] = await audited(demo_db, key["id"], "key.found")
    assert (actor, data["lost_at"], data["loan_id"], data["note"]) == (
        "usr_frontdesk", "2026-11-23T03:00:00Z", loan["id"], "借用人在车里找到后交回")
    # Lendable again; not found twice.
    r = await client.post(url, headers=desk, json={"note": "again"})
    assert (r.status_code, r.json()["code"]) == (409, "key.not_lost")
    await lend_outsider(client, desk, key["id"], name="保洁 赵某", receipt="YJ-02", due="2026-12-02T08:00:00Z")


# --- the month's settled deposits ---------------------------------------------------------------------


async def test_a_months_settled_deposits_are_listed_with_their_receipts_reasons_and_who(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    disp = await login(client, "dispatcher")
    a = await _key(client, desk, "6栋-301 入户门")
    b = await _key(client, desk, "6栋-302 入户门")
    await lend_outsider(client, desk, a["id"], name="甲", deposit=10000, receipt="YJ-A")
    lb = await lend_outsider(client, desk, b["id"], name="乙", deposit=5000, receipt="YJ-B")
    clock.advance(hours=1)
    assert (await client.post(f"/api/keys/{a['id']}/return", headers=desk, json={
        "refund_cents": 6000, "kept_reason": "门锁损坏", "refund_receipt_no": "TK-1"})).status_code == 200
    # B returned by mistake with a full refund, the return corrected, then B lost, the deposit kept.
    assert (await client.post(f"/api/keys/{b['id']}/return", headers=desk, json={
        "refund_cents": 5000, "refund_receipt_no": "TK-2"})).status_code == 200
    clock.advance(minutes=30)
    assert (await client.post(f"/api/keys/{b['id']}/loans/{lb['id']}/correct-return", headers=disp,
                              json={"reason": "登记错了钥匙"})).status_code == 200
    clock.advance(minutes=30)
    assert (await client.post(f"/api/keys/{b['id']}/lost", headers=disp, json={"account": "钥匙遗失",
        "refund_cents": 0, "kept_reason": "钥匙遗失"})).status_code == 200

    def rows(settlements: list[dict]) -> list[tuple]:
        return [(s["key_label"], s["borrower_name"], s["deposit_cents"], s["deposit_receipt_no"], s["ended"],
                 s["refunded_cents"], s["refund_receipt_no"], s["kept_cents"], s["kept_reason"], s["settled_at"],
                 s["settled_by_name"], (s["undone"] or {}).get("reason")) for s in settlements]

    expected = [
        ("6栋-301 入户门", "甲", 10000, "YJ-A", "returned", 6000, "TK-1", 4000, "门锁损坏", "2026-11-23T03:00:00Z",
         "李前台", None),
        ("6栋-302 入户门", "乙", 5000, "YJ-B", "returned", 5000, "TK-2", 0, None, "2026-11-23T03:00:00Z",
         "李前台", "登记错了钥匙"),
        ("6栋-302 入户门", "乙", 5000, "YJ-B", "lost", 0, None, 5000, "钥匙遗失", "2026-11-23T04:00:00Z",
         "王调度", None),
    ]
    live = (await client.get("/api/keys/count", headers=desk)).json()
    assert rows(live["settlements"]) == expected
    in_force = [s for s in live["settlements"] if s["undone"] is None]
    assert live["deposits_refunded_cents"] == sum(s["refunded_cents"] for s in in_force) == 6000
    assert live["deposits_kept_cents"] == sum(s["kept_cents"] for s in in_force) == 9000
    # Once November has ended its sheet lists the same, recomputed from the records; December's has none.
    clock.set(clock.now().replace(month=12, day=1))
    nov = (await client.get("/api/keys/counts/2026/11", headers=await login(client, "gm"))).json()
    assert rows(nov["settlements"]) == expected
    assert (nov["count"]["deposits_refunded_cents"], nov["count"]["deposits_kept_cents"]) == (6000, 9000)
    assert (await client.get("/api/keys/count", headers=desk)).json()["settlements"] == []
