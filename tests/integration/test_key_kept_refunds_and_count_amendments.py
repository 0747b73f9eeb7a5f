"""The key cabinet through the API (R-KY-1, D86): a deposit kept for a key lost on loan handed back once the
key is found, listed in the month it was handed back with the months still balancing; a recorded physical
count amended the day it was recorded by its counter or a manager; and an ended month's count and settled
deposits as a workbook for the accountant, read back with the library that wrote it."""

from __future__ import annotations

import asyncio
import contextlib
import io

from openpyxl import load_workbook

from server.services import keyring
from tests.conftest import login
from tests.integration.key_cabinet import audited, lend_outsider, new_key


async def _key(client, desk, label: str = "7栋-101 入户门") -> dict:  # noqa: ANN001
    return await new_key(client, desk, building="7栋", floor="1", label=label)


async def _lost_kept(client, desk, clock, *, label: str = "7栋-101 入户门", deposit: int = 10000) -> tuple[dict, dict]:  # noqa: ANN001
    """A key lent to an outsider and lost an hour later, the whole deposit kept (23 November, Shanghai)."""
    key = await _key(client, desk, label)
    loan = await lend_outsider(client, desk, key["id"], deposit=deposit)
    clock.advance(hours=1)
    r = await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失", "refund_cents": 0, "kept_reason": "钥匙遗失"})
    assert r.status_code == 200, r.text
    return key, loan


async def _loan(client, desk, key_id: str, loan_id: str) -> dict:  # noqa: ANN001
    loans = (await client.get(f"/api/keys/{key_id}/loans", headers=desk)).json()["loans"]
    return next(x for x in loans if x["id"] == loan_id)


# --- a kept deposit refunded once the key is found ---------------------------------------------------


async def test_a_kept_deposit_is_refunded_after_the_key_is_found_in_the_month_it_is_handed_back(  # R-KY-1
        client, clock, demo_db):
    desk = await login(client, "frontdesk")
    key, loan = await _lost_kept(client, desk, clock)
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/refund-kept"
    body = {"refund_cents": 6000, "refund_receipt_no": "TK-9", "reason": "钥匙找回，借用人交回"}
    r = await client.post(url, headers=desk, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "key.not_found_yet"), r.text
    assert r.json()["message"] and r.json()["message_en"]
    assert (await _loan(client, desk, key["id"], loan["id"]))["kept_refundable"] is False

    clock.set(clock.now().replace(month=12, day=2))  # 2 December, 11:00 Shanghai
    assert (await client.post(f"/api/keys/{key['id']}/found", headers=desk, json={"note": "借用人在车里找到后交回"})
            ).status_code == 200
    assert (await _loan(client, desk, key["id"], loan["id"]))["kept_refundable"] is True
    clock.advance(hours=1)
    for bad, code in (({**body, "refund_receipt_no": " "}, "key.refund_receipt_required"),
                      ({**body, "refund_cents": 10001}, "key.refund_above_kept"),
                      ({**body, "refund_cents": 0}, "key.kept_refund_required"),
                      ({**body, "reason": ""}, "key.kept_refund_reason_required")):
        r = await client.post(url, headers=desk, json=bad)
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
    assert (await client.post(url, headers=await login(client, "gm"), json=body)).status_code == 403
    r = await client.post(url, headers=desk, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["kept_refund"] == {
        "refunded_cents": 6000, "refund_receipt_no": "TK-9", "reason": "钥匙找回，借用人交回",
        "refunded_by": "usr_frontdesk", "refunded_at": "2026-12-02T04:00:00Z"}
    # Once: whoever asks again is told it was refunded, and nothing changes.
    r = await client.post(url, headers=await login(client, "dispatcher"), json={**body, "refund_receipt_no": "TK-10"})
    assert (r.status_code, r.json()["code"]) == (409, "key.kept_already_refunded"), r.text
    # The loan history shows it, by name; the loss and its settlement stand.
    row = await _loan(client, desk, key["id"], loan["id"])
    assert (row["kept_refundable"], row["kept_refunded_by_name"], row["kept_refund"]["refund_receipt_no"]) == (
        False, "李前台", "TK-9")
    assert row["lost_at"] == "2026-11-23T03:00:00Z" and row["deposit_settlement"]["kept_cents"] == 10000
    [(actor, data)] = await audited(demo_db, key["id"], "key.kept_refunded")
    assert (actor, data["loan_id"], data["refunded_cents"], data["refund_receipt_no"], data["kept_cents"]) == (
        "usr_frontdesk", loan["id"], 6000, "TK-9", 10000)

    # December lists the refund as its own entry; its sums are those of its entries and still balance.
    dec = (await client.get("/api/keys/count", headers=desk)).json()
    [entry] = dec["settlements"]
    assert (entry["entry"], entry["key_label"], entry["ended"], entry["refunded_cents"], entry["refund_receipt_no"],
            entry["kept_cents"], entry["kept_reason"], entry["settled_by_name"], entry["undone"]) == (
        "kept_refunded", "7栋-101 入户门", "lost", 6000, "TK-9", -6000, "钥匙找回，借用人交回", "李前台", None)
    assert (dec["deposits_refunded_cents"], dec["deposits_kept_cents"], dec["deposits_kept_refunded_cents"]) == (
        6000, -6000, 6000)
    # November, signed as it was: the whole deposit kept.
    nov = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert [(s["entry"], s["refunded_cents"], s["kept_cents"]) for s in nov["settlements"]] == [("settled", 0, 10000)]
    assert (nov["count"]["deposits_refunded_cents"], nov["count"]["deposits_kept_cents"]) == (0, 10000)
    # Once December has ended, its sheet lists the refund though the loan ended in November.
    clock.set(clock.now().replace(year=2027, month=1, day=2))
    dec = (await client.get("/api/keys/counts/2026/12", headers=desk)).json()
    assert [(s["entry"], s["refund_receipt_no"]) for s in dec["settlements"]] == [("kept_refunded", "TK-9")]
    c = dec["count"]
    assert (c["deposits_held_cents"], c["deposits_refunded_cents"], c["deposits_kept_cents"]) == (0, 6000, -6000)
    [past_dec, past_nov, *_] = (await client.get("/api/keys/counts", headers=desk)).json()
    assert (past_dec["count"]["deposits_kept_refunded_cents"], past_nov["count"]["deposits_kept_cents"]) == (6000, 10000)


async def test_only_a_deposit_kept_at_a_loss_is_refunded_when_found(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    key = await _key(client, desk, "7栋-102 入户门")
    loan = await lend_outsider(client, desk, key["id"])
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/refund-kept"
    body = {"refund_cents": 100, "refund_receipt_no": "TK-1", "reason": "x"}
    r = await client.post(url, headers=desk, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "key.not_lost_on_loan")
    # Everything refunded at the loss: nothing kept.
    clock.advance(hours=1)
    assert (await client.post(f"/api/keys/{key['id']}/lost", headers=desk, json={"account": "钥匙遗失",
        "refund_cents": 10000, "refund_receipt_no": "TK-0"})).status_code == 200
    assert (await client.post(f"/api/keys/{key['id']}/found", headers=desk, json={"note": "找到"})).status_code == 200
    r = await client.post(url, headers=desk, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "key.nothing_kept")
    r = await client.post(f"/api/keys/{key['id']}/loans/kln_nope/refund-kept", headers=desk, json=body)
    assert (r.status_code, r.json()["code"]) == (404, "key.loan_not_found")


async def test_two_desks_refunding_the_same_kept_deposit_at_once_refund_it_once(client, clock, demo_db, monkeypatch):  # R-KY-1
    # Each waits (a second at most) for the other to have read the key's loans: without the key row's lock
    # on PostgreSQL both would read "nothing refunded yet" and both hand the money back.
    desk, disp = await login(client, "frontdesk"), await login(client, "dispatcher")
    key, loan = await _lost_kept(client, desk, clock, label="7栋-103 入户门")
    assert (await client.post(f"/api/keys/{key['id']}/found", headers=desk, json={"note": "找到"})).status_code == 200
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
    url = f"/api/keys/{key['id']}/loans/{loan['id']}/refund-kept"
    rs = await asyncio.gather(*(client.post(url, headers=h, json={
        "refund_cents": 10000, "refund_receipt_no": f"TK-{i}", "reason": "找回"}) for i, h in enumerate((desk, disp))))
    assert sorted((r.status_code, r.json().get("code")) for r in rs) == [
        (200, None), (409, "key.kept_already_refunded")], [r.text for r in rs]
    assert len(await audited(demo_db, key["id"], "key.kept_refunded")) == 1
    monkeypatch.undo()
    [entry] = (await client.get("/api/keys/count", headers=desk)).json()["settlements"][1:]
    assert entry["entry"] == "kept_refunded" and entry["refunded_cents"] == 10000


# --- a physical count amended the day it was recorded -----------------------------------------------


async def test_a_count_is_amended_the_day_it_was_recorded_by_its_counter_or_a_manager(client, clock, demo_db):  # R-KY-1
    clock.set(clock.now().replace(month=12, day=1))  # 1 December, 10:00 Shanghai
    desk, disp, mgr = [await login(client, u) for u in ("frontdesk", "dispatcher", "manager")]
    url = "/api/keys/counts/2026/11/physical"
    amend = {"matches_register": False, "discrepancy": "3栋 信报箱总钥匙 不在柜内", "witness_name": "保安 陈某",
             "reason": "勾错了核对结果"}
    r = await client.post(f"{url}/amend", headers=desk, json=amend)
    assert (r.status_code, r.json()["code"]) == (404, "key.count_not_recorded"), r.text
    assert (await client.post(url, headers=desk, json={"matches_register": True})).status_code == 201
    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert (sheet["physical"]["amendable"], sheet["physical"]["amendments"]) == (True, [])
    # Not the dispatcher: it is the counter's record, or a manager's to put right.
    assert (await client.get("/api/keys/counts/2026/11", headers=disp)).json()["physical"]["amendable"] is False
    r = await client.post(f"{url}/amend", headers=disp, json=amend)
    assert (r.status_code, r.json()["code"]) == (403, "key.count_not_amender"), r.text
    r = await client.post(f"{url}/amend", headers=desk, json={**amend, "reason": " "})
    assert (r.status_code, r.json()["code"]) == (400, "key.count_amend_reason_required"), r.text
    clock.advance(hours=3)
    r = await client.post(f"{url}/amend", headers=desk, json=amend)
    assert r.status_code == 200, r.text
    p = r.json()["physical"]
    assert (p["matches_register"], p["discrepancy"], p["witness_name"], p["counted_by_name"], p["counted_at"]) == (
        False, "3栋 信报箱总钥匙 不在柜内", "保安 陈某", "李前台", "2026-12-01T02:00:00Z")
    [a] = p["amendments"]
    assert a == {"matches_register": True, "discrepancy": None, "witness_name": None, "reason": "勾错了核对结果",
                 "amended_by": "usr_frontdesk", "amended_by_name": "李前台", "amended_at": "2026-12-01T05:00:00Z"}
    # The manager, the same day, too; the list of months shows the count as it now reads.
    r = await client.post(f"{url}/amend", headers=mgr, json={**amend, "discrepancy": "3栋 信报箱总钥匙 在维修班", "reason": "补充去向"})
    assert r.status_code == 200, r.text
    assert [x["amended_by_name"] for x in r.json()["physical"]["amendments"]] == ["李前台", "钱经理"]
    [month] = (await client.get("/api/keys/counts", headers=desk)).json()
    assert month["physical"]["discrepancy"] == "3栋 信报箱总钥匙 在维修班"
    audit = await audited(demo_db, "count:2026-11", "key.count_amended")
    assert [(actor, d["reason"], d["was"]["matches_register"]) for actor, d in audit] == [
        ("usr_frontdesk", "勾错了核对结果", True), ("usr_manager", "补充去向", False)]
    # The next day it stands as recorded: a later finding goes on the next month's count.
    clock.advance(hours=14)  # 2 December, 03:00 Shanghai
    assert (await client.get("/api/keys/counts/2026/11", headers=mgr)).json()["physical"]["amendable"] is False
    r = await client.post(f"{url}/amend", headers=mgr, json=amend)
    assert (r.status_code, r.json()["code"]) == (409, "key.count_not_amendable"), r.text
    assert r.json()["message"] == "实物盘点只能在登记当天更正；之后发现的差异记入下月盘点"


# --- the month's workbook for the accountant ------------------------------------------------------------


async def test_an_ended_months_count_and_settled_deposits_are_a_workbook_in_the_desks_language(client, clock):  # R-KY-1
    desk, disp = await login(client, "frontdesk"), await login(client, "dispatcher")
    a = await _key(client, desk, "7栋-201 入户门")
    b = await _key(client, desk, "7栋-202 入户门")
    await lend_outsider(client, desk, a["id"], name="甲", deposit=10000, receipt="YJ-A")
    lb = await lend_outsider(client, desk, b["id"], name="乙", deposit=5000, receipt="YJ-B")
    clock.advance(hours=1)
    assert (await client.post(f"/api/keys/{a['id']}/return", headers=desk, json={
        "refund_cents": 6000, "kept_reason": "门锁损坏", "refund_receipt_no": "TK-1"})).status_code == 200
    assert (await client.post(f"/api/keys/{b['id']}/return", headers=desk, json={
        "refund_cents": 5000, "refund_receipt_no": "TK-2"})).status_code == 200
    clock.advance(minutes=30)
    assert (await client.post(f"/api/keys/{b['id']}/loans/{lb['id']}/correct-return", headers=disp,
                              json={"reason": "登记错了钥匙"})).status_code == 200
    assert (await client.post(f"/api/keys/{b['id']}/lost", headers=disp, json={"account": "钥匙遗失",
        "refund_cents": 0, "kept_reason": "钥匙遗失"})).status_code == 200
    url = "/api/keys/counts/2026/11/xlsx"
    r = await client.get(url, headers=desk)
    assert (r.status_code, r.json()["code"]) == (400, "key.month_not_ended")
    clock.set(clock.now().replace(month=12, day=1))
    assert (await client.post("/api/keys/counts/2026/11/physical", headers=desk, json={
        "matches_register": True})).status_code == 201
    assert (await client.post("/api/keys/counts/2026/11/physical/amend", headers=desk, json={
        "matches_register": False, "discrepancy": "乙 的钥匙遗失", "reason": "漏记遗失"})).status_code == 200
    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    books = {}
    for lang, query in (("zh", ""), ("en", "?lang=en")):
        r = await client.get(url + query, headers=await login(client, "gm"))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert "key-count-2026-11.xlsx" in r.headers["content-disposition"]
        books[lang] = load_workbook(io.BytesIO(r.content))
    assert (await client.get(url + "?lang=fr", headers=desk)).status_code == 400
    assert (await client.get(url, headers=await login(client, "tech"))).status_code == 403

    zh, en = books["zh"], books["en"]
    assert zh.sheetnames == ["盘点汇总", "押金结算明细", "押金收支核对"]
    assert en.sheetnames == ["Count", "Deposits settled", "Deposit reconciliation"]
    figures = {row[0]: row[1] for row in zh["盘点汇总"].iter_rows(values_only=True) if row and row[0]}
    c = sheet["count"]
    assert figures["钥匙总数"] == c["total"] and figures["遗失"] == c["lost"] == 1
    assert (figures["当月退押金（元）"], figures["当月扣押金净额（元）"]) == (
        c["deposits_refunded_cents"] / 100, c["deposits_kept_cents"] / 100) == (60, 90)
    assert (figures["核对结果"], figures["差异说明"], figures["盘点人"]) == ("实物与登记不符", "乙 的钥匙遗失", "李前台")
    assert figures["已更正：原登记"] == "差异说明"  # the amendments' heading row, then what was replaced
    assert figures["实物与登记一致"] is None  # the first entry had no discrepancy
    en_figures = {row[0]: row[1] for row in en["Count"].iter_rows(values_only=True) if row and row[0]}
    assert en_figures["Result"] == "Keys do not match the register"
    assert en["Count"]["A1"].value == "Monthly key count, November 2026"

    rows = list(zh["押金结算明细"].iter_rows(values_only=True))
    assert rows[0][:6] == ("结算时间", "钥匙", "楼栋", "楼层", "借用人", "结算事项")
    lines = [(r[1], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], bool(r[13])) for r in rows[1:-1]]
    assert lines == [
        ("7栋-201 入户门", "甲", "归还结算", 100, "YJ-A", 60, "TK-1", 40, "门锁损坏", "李前台", False),
        ("7栋-202 入户门", "乙", "归还结算", 50, "YJ-B", 50, "TK-2", 0, None, "李前台", True),
        ("7栋-202 入户门", "乙", "遗失结算", 50, "YJ-B", 0, None, 50, "钥匙遗失", "王调度", False),
    ]
    assert rows[2][13].startswith("登记错了钥匙 · 王调度 · 2026-11-23 ")
    # The settlement time is a date cell in the compound's zone.
    assert rows[1][0].isoformat() == "2026-11-23T11:00:00" and zh["押金结算明细"]["A2"].number_format == "yyyy-mm-dd hh:mm"
    # The totals, void excluded, are the month's figures.
    assert (rows[-1][0], rows[-1][8], rows[-1][10]) == ("合计（不含作废）", 60, 90)
    en_rows = list(en["Deposits settled"].iter_rows(values_only=True))
    assert (en_rows[1][5], en_rows[3][5], en_rows[-1][0]) == ("Returned", "Lost", "Totals (void excluded)")
