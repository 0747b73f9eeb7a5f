"""The key cabinet through the API (R-KY-1): a month's physical count recorded once with who counted,
the refund receipt of a deposit handed back, and a return recorded by mistake undone the same day."""

from __future__ import annotations

import asyncio
import contextlib

from server.services import keyring
from tests.conftest import TEST_DB, login
from tests.integration.key_cabinet import audited, lend_outsider, lend_staff, listed, new_key
from tests.integration.scenarios import signature_png, upload


async def _key(client, desk, label: str = "5栋-101 入户门") -> dict:  # noqa: ANN001
    return await new_key(client, desk, building="5栋", floor="1", label=label)


async def _state(client, desk, key_id: str) -> str:  # noqa: ANN001
    return (await listed(client, desk, key_id))["key"]["state"]


# --- the refund receipt ------------------------------------------------------------------------


async def test_a_refund_is_recorded_with_its_receipt_number_and_refused_without(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("receipt")))
    clock.advance(hours=1)
    url = f"/api/keys/{key['id']}/return"
    for body in ({"refund_cents": 10000}, {"refund_cents": 10000, "refund_receipt_no": "  "},
                 {"refund_cents": 3000, "kept_reason": "门锁损坏"}):
        r = await client.post(url, headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (400, "key.refund_receipt_required"), r.text
        assert r.json()["message"] == "退还押金须登记退款收据号" and r.json()["message_en"]
        assert r.json()["details"]["missing"] == ["refund_receipt_no"]
        assert await _state(client, desk, key["id"]) == "on_loan"
    r = await client.post(url, headers=desk, json={"refund_cents": 3000, "kept_reason": "门锁损坏",
                                                   "refund_receipt_no": " TK-0007 "})
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["deposit_settlement"]["refund_receipt_no"] == "TK-0007"
    [loan] = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()["loans"]
    assert loan["deposit_settlement"]["refund_receipt_no"] == "TK-0007"


async def test_a_lost_key_with_part_of_its_deposit_refunded_needs_the_receipt_too(client):  # R-KY-1
    desk = await login(client, "dispatcher")
    key = await _key(client, desk)
    await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("lost-rc")))
    url = f"/api/keys/{key['id']}/lost"
    r = await client.post(url, headers=desk, json={"account": "钥匙遗失", "refund_cents": 5000, "kept_reason": "钥匙遗失"})
    assert (r.status_code, r.json()["code"]) == (400, "key.refund_receipt_required")
    r = await client.post(url, headers=desk, json={"account": "钥匙遗失", "refund_cents": 0, "kept_reason": "钥匙遗失"})
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["deposit_settlement"]["refund_receipt_no"] is None


# --- correcting a recorded return ------------------------------------------------------------------


async def test_a_return_recorded_by_mistake_is_undone_the_same_day_and_stays_on_the_record(client, clock, demo_db):  # R-KY-1
    desk = await login(client, "frontdesk")
    disp = await login(client, "dispatcher")
    key = await _key(client, desk)
    loan = await lend_outsider(client, desk, key["id"], await upload(client, desk, signature_png("undo")))
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk,
                          json={"refund_cents": 10000, "refund_receipt_no": "TK-1"})
    assert r.status_code == 200, r.text
    [row] = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()["loans"]
    assert row["return_correctable"] is True and row["corrections"] == []
    assert (await client.get("/api/keys/count", headers=desk)).json()["deposits_refunded_cents"] == 10000

    clock.advance(hours=2)
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/correct-return"
    r = await client.post(url, headers=disp, json={"reason": "  "})
    assert (r.status_code, r.json()["code"]) == (400, "key.correction_reason_required")
    assert await _state(client, desk, key["id"]) == "in_store"
    r = await client.post(url, headers=disp, json={"reason": "登记错了钥匙，实际归还的是502"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"]["state"] == "on_loan"
    reopened = body["loan"]
    assert (reopened["returned_at"], reopened["received_by"], reopened["deposit_settlement"]) == (None, None, None)
    [c] = reopened["corrections"]
    assert (c["returned_at"], c["received_by_name"], c["reason"], c["corrected_by_name"], c["corrected_at"]) == (
        "2026-11-23T03:00:00Z", "李前台", "登记错了钥匙，实际归还的是502", "王调度", "2026-11-23T05:00:00Z")
    assert c["deposit_settlement"]["refund_receipt_no"] == "TK-1"
    # The deposit is held again, no longer counted as refunded; the key is out on its loan again.
    count = (await client.get("/api/keys/count", headers=desk)).json()
    assert (count["on_loan"], count["deposits_held_cents"], count["deposits_refunded_cents"]) == (1, 10000, 0)
    assert (await listed(client, desk, key["id"]))["loan"]["id"] == loan["id"]
    # Audited on the hash-chained trail, with what was undone.
    [(actor, data)] = await audited(demo_db, key["id"], "key.return_corrected")
    assert actor == "usr_dispatcher" and data["loan_id"] == loan["id"] and data["reason"].startswith("登记错了钥匙")
    assert data["deposit_undone"]["refund_receipt_no"] == "TK-1"

    # Not twice: the loan is open again, there is no return left to undo.
    r = await client.post(url, headers=disp, json={"reason": "再来一次"})
    assert (r.status_code, r.json()["code"]) == (409, "key.not_returned")
    # The real return later settles afresh; the history shows both.
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk,
                          json={"refund_cents": 10000, "refund_receipt_no": "TK-2"})
    assert r.status_code == 200, r.text
    [row] = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()["loans"]
    assert row["deposit_settlement"]["refund_receipt_no"] == "TK-2" and len(row["corrections"]) == 1


async def test_a_return_is_not_correctable_the_next_day_or_after_the_key_went_out_again(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    mgr = await login(client, "manager")
    sig = await upload(client, desk, signature_png("late-undo"))
    key = await _key(client, desk)
    first = await lend_staff(client, desk, key["id"], sig)
    clock.advance(hours=1)  # 11:00 Shanghai
    assert (await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={})).status_code == 200
    clock.advance(hours=1)
    second = await lend_staff(client, desk, key["id"], sig)
    r = await client.post(f"/api/keys/{key['id']}/loans/{first['id']}/correct-return", headers=mgr,
                          json={"reason": "错登"})
    assert (r.status_code, r.json()["code"]) == (409, "key.moved_since_return"), r.text
    assert (await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={})).status_code == 200
    loans = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()["loans"]
    assert [x["return_correctable"] for x in loans] == [True, False]  # only the latest
    clock.advance(hours=13)  # 01:00 the next day, Shanghai
    r = await client.post(f"/api/keys/{key['id']}/loans/{second['id']}/correct-return", headers=mgr,
                          json={"reason": "错登"})
    assert (r.status_code, r.json()["code"]) == (409, "key.return_not_correctable"), r.text
    assert r.json()["message"] == "归还登记只能在登记当天更正"
    loans = (await client.get(f"/api/keys/{key['id']}/loans", headers=desk)).json()["loans"]
    assert [x["return_correctable"] for x in loans] == [False, False]
    r = await client.post(f"/api/keys/{key['id']}/loans/kln_nope/correct-return", headers=mgr, json={"reason": "x"})
    assert (r.status_code, r.json()["code"]) == (404, "key.loan_not_found")


async def test_only_the_dispatcher_or_the_manager_corrects_a_return(client):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk)
    loan = await lend_staff(client, desk, key["id"], await upload(client, desk, signature_png("who-undo")))
    assert (await client.post(f"/api/keys/{key['id']}/return", headers=desk, json={})).status_code == 200
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/correct-return"
    for user in ("frontdesk", "control", "gm", "tech"):
        r = await client.post(url, headers=await login(client, user), json={"reason": "错登"})
        assert r.status_code == 403, (user, r.text)
    assert await _state(client, desk, key["id"]) == "in_store"
    r = await client.post(url, headers=await login(client, "manager"), json={"reason": "错登"})
    assert r.status_code == 200, r.text


# --- the physical count --------------------------------------------------------------------------


async def test_an_ended_months_physical_count_is_recorded_once_with_who_counted(client, clock, demo_db):  # R-KY-1
    desk = await login(client, "frontdesk")
    url = "/api/keys/counts/2026/11/physical"
    # November is still running on the 23rd: its count is taken after its end.
    r = await client.post(url, headers=desk, json={"matches_register": True})
    assert (r.status_code, r.json()["code"]) == (400, "key.count_month_open"), r.text
    clock.set(clock.now().replace(month=12, day=1))  # 1 December, 10:00 Shanghai
    for body, code in (({}, "key.count_verdict_required"),
                       ({"matches_register": False, "discrepancy": " "}, "key.count_discrepancy_required")):
        r = await client.post(url, headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
        assert r.json()["message"] and r.json()["message_en"]
    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert sheet["physical"] is None
    r = await client.post(url, headers=desk, json={
        "matches_register": False, "discrepancy": "3栋 信报箱总钥匙 不在柜内", "witness_name": " 保安 陈某 "})
    assert r.status_code == 201, r.text
    physical = r.json()["physical"]
    # The counter may still amend it today (D86); whether one may is the caller's, not the count's.
    assert physical.pop("amendable") is True
    assert physical == {
        "year": 2026, "month": 11, "counted_by": "usr_frontdesk", "counted_by_name": "李前台",
        "witness_name": "保安 陈某", "counted_at": "2026-12-01T02:00:00Z", "matches_register": False,
        "discrepancy": "3栋 信报箱总钥匙 不在柜内", "amendments": []}
    assert r.json()["count"]["total"] == 4  # the month's sheet comes back with it
    assert (await client.get("/api/keys/counts/2026/11", headers=desk)).json()["physical"] == {**physical, "amendable": True}
    [month] = (await client.get("/api/keys/counts", headers=desk)).json()
    assert month["physical"] == {**physical, "amendable": False}
    # Once: a second count of November is refused, whoever sends it, and changes nothing.
    clock.advance(hours=1)
    r = await client.post(url, headers=await login(client, "dispatcher"), json={"matches_register": True})
    assert (r.status_code, r.json()["code"]) == (409, "key.count_already_recorded"), r.text
    assert (await client.get("/api/keys/counts/2026/11", headers=desk)).json()["physical"] == {**physical, "amendable": True}
    [(actor, data)] = await audited(demo_db, "count:2026-11", "key.count_recorded")
    assert (actor, data["matches_register"], data["witness_name"]) == ("usr_frontdesk", False, "保安 陈某")
    # Leadership reads it; only the desk records it.
    gm = await login(client, "gm")
    assert (await client.get("/api/keys/counts/2026/11", headers=gm)).json()["physical"] == {**physical, "amendable": False}
    r = await client.post("/api/keys/counts/2026/10/physical", headers=gm, json={"matches_register": True})
    assert r.status_code == 403
    r = await client.post("/api/keys/counts/2026/13/physical", headers=desk, json={"matches_register": True})
    assert (r.status_code, r.json()["code"]) == (400, "key.bad_month")


async def test_two_desks_recording_the_same_months_count_at_once_record_it_once(client, clock, demo_db, monkeypatch):  # R-KY-1
    # On PostgreSQL both may read "not recorded yet" before either writes (made certain here: each waits
    # for the other's read): the primary key decides, and the loser is told the month is counted (409),
    # never a 500 or a second row. SQLite's writers queue, so there the second reads the first's row.
    clock.set(clock.now().replace(month=12, day=1))
    desk, disp = await login(client, "frontdesk"), await login(client, "dispatcher")
    real, reads, both_read = keyring._physical_counts, [], asyncio.Event()

    async def read_together(conn, compound_id, months):  # noqa: ANN001, ANN202
        out = await real(conn, compound_id, months)
        reads.append(months)
        if TEST_DB == "pg" and len(reads) <= 2:
            if len(reads) == 2:
                both_read.set()
            await asyncio.wait_for(both_read.wait(), 10)
        return out

    monkeypatch.setattr(keyring, "_physical_counts", read_together)
    url = "/api/keys/counts/2026/11/physical"
    rs = await asyncio.gather(*(client.post(url, headers=h, json={"matches_register": True}) for h in (desk, disp)))
    assert sorted(r.status_code for r in rs) == [201, 409], [r.text for r in rs]
    [lost] = [r for r in rs if r.status_code == 409]
    assert lost.json()["code"] == "key.count_already_recorded"
    assert len(await audited(demo_db, "count:2026-11", "key.count_recorded")) == 1


async def test_two_desks_correcting_the_same_return_at_once_undo_it_once(client, clock, demo_db, monkeypatch):  # R-KY-1
    # Each waits (a second at most) for the other to have read the key's loans: without the key row's lock
    # on PostgreSQL both would read the return and both undo it (two corrections audited, one stored).
    desk, disp, mgr = await login(client, "frontdesk"), await login(client, "dispatcher"), await login(client, "manager")
    key = await _key(client, desk)
    loan = await lend_outsider(client, desk, key["id"])
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/return", headers=desk,
                          json={"refund_cents": 10000, "refund_receipt_no": "TK-1"})
    assert r.status_code == 200, r.text
    real, reads, both_read = keyring._key_loans, [], asyncio.Event()

    async def read_together(conn, compound_id, key_id):  # noqa: ANN001, ANN202
        out = await real(conn, compound_id, key_id)
        reads.append(key_id)
        if len(reads) == 2:
            both_read.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_read.wait(), 1)
        return out

    monkeypatch.setattr(keyring, "_key_loans", read_together)
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/correct-return"
    rs = await asyncio.gather(*(client.post(url, headers=h, json={"reason": "错登"}) for h in (disp, mgr)))
    assert sorted((r.status_code, r.json().get("code")) for r in rs) == [(200, None), (409, "key.not_returned")], [
        r.text for r in rs]
    assert len(await audited(demo_db, key["id"], "key.return_corrected")) == 1
