"""The key count through the API (R-KY-1): the month's workbook reconciles the deposits receipt by receipt —
held at the month's start, taken, refunded, kept, held at its end — and the identity can be checked from its
cells, in Chinese and English; the physical count is recorded from the 30th (003 4.5.6), refused the day
before, and amended that day only (D86). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from tests.conftest import login
from tests.integration.key_cabinet import lend_outsider, new_key

# Section titles and the summary's labels of the deposit sheet, per language.
SHEET = {"zh": "押金收支核对", "en": "Deposit reconciliation"}
SECTIONS = {
    "zh": {"start": "月初押金借出中", "taken": "当月收取押金", "refunded": "当月退还押金", "kept": "当月扣留押金",
           "end": "月末押金借出中"},
    "en": {"start": "Deposits held at the month's start", "taken": "Deposits taken in the month",
           "refunded": "Deposits refunded in the month", "kept": "Deposits kept in the month",
           "end": "Deposits held at the month's end"},
}
FIGURES = {
    "zh": {"start": "月初押金借出中（元）", "taken": "当月收取押金（元）", "refunded": "当月退还押金（元）",
           "kept": "当月扣留押金净额（元）", "end": "月末押金借出中（元）", "left": "月初借出中 + 当月收取（元）",
           "right": "月末借出中 + 当月退还 + 当月扣留（元）", "check": "核对结果"},
    "en": {"start": "Held at the month's start (yuan)", "taken": "Taken in the month (yuan)",
           "refunded": "Refunded in the month (yuan)", "kept": "Kept in the month, net (yuan)",
           "end": "Held at the month's end (yuan)", "left": "Held at the start + taken (yuan)",
           "right": "Held at the end + refunded + kept (yuan)", "check": "Check"},
}
SUBTOTAL = {"zh": "小计", "en": "Subtotal"}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def read_book(wb: Any, lang: str) -> tuple[dict[str, Any], dict[str, list[tuple]], dict[str, float]]:
    """The deposit sheet: the summary's figures by label, each section's rows (header and subtotal left out)
    and each section's subtotal (column E)."""
    rows = list(wb[SHEET[lang]].iter_rows(values_only=True))
    titles = {v: k for k, v in SECTIONS[lang].items()}
    figures: dict[str, Any] = {}
    sections: dict[str, list[tuple]] = {}
    subtotals: dict[str, float] = {}
    current = None
    for row in rows:
        first = row[0] if row else None
        if first in titles:
            current = titles[first]
            sections[current] = []
        elif current is None:
            if first and len(row) > 1 and row[1] is not None:
                figures[first] = row[1]
        elif first == SUBTOTAL[lang]:
            subtotals[current] = row[4]
            current = None
        elif isinstance(row[4], (int, float)):  # a receipt: not the header, nor the "none" line
            sections[current].append(row)
    return figures, sections, subtotals


def assert_reconciles(wb: Any, lang: str) -> tuple[dict[str, Any], dict[str, list[tuple]]]:
    """Every section's subtotal is the sum of its amounts, the summary's figures are the subtotals, and
    held at the start + taken = held at the end + refunded + kept, from the cells alone."""
    figures, sections, subtotals = read_book(wb, lang)
    f = FIGURES[lang]
    assert set(sections) == set(SECTIONS[lang]), sections
    for name, lines in sections.items():
        assert round(sum(r[4] for r in lines), 2) == subtotals[name], name
        assert figures[f[name]] == subtotals[name], name
    left = figures[f["start"]] + figures[f["taken"]]
    right = figures[f["end"]] + figures[f["refunded"]] + figures[f["kept"]]
    assert round(left, 2) == round(right, 2) == figures[f["left"]] == figures[f["right"]]
    assert figures[f["check"]] == {"zh": "相符", "en": "Balances"}[lang]
    return figures, sections


async def _workbooks(client, year: int, month: int) -> dict[str, Any]:  # noqa: ANN001
    gm = await login(client, "gm")
    out = {}
    for lang in ("zh", "en"):
        r = await client.get(f"/api/keys/counts/{year}/{month}/xlsx?lang={lang}", headers=gm)
        assert r.status_code == 200, r.text
        out[lang] = load_workbook(io.BytesIO(r.content))
    return out


async def test_the_months_workbook_reconciles_the_deposits_receipt_by_receipt(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    a = await new_key(client, desk, building="9栋", floor="1", label="9栋-101 入户门")
    b = await new_key(client, desk, building="9栋", floor="1", label="9栋-102 入户门")
    c = await new_key(client, desk, building="9栋", floor="1", label="9栋-103 入户门")
    await lend_outsider(client, desk, a["id"], name="甲", deposit=10000, receipt="YJ-A")  # 23 Nov, 10:00 Shanghai
    await lend_outsider(client, desk, b["id"], name="乙", deposit=5000, receipt="YJ-B")
    clock.advance(hours=1)
    assert (await client.post(f"/api/keys/{a['id']}/return", headers=desk, json={
        "refund_cents": 6000, "kept_reason": "门锁损坏", "refund_receipt_no": "TK-1"})).status_code == 200
    # Taken on the month's last evening and still out at its end: the reviewer's YJ-001 of 31 December.
    clock.set(_utc(2026, 11, 30, 15, 30))  # 30 November, 23:30 Shanghai
    await lend_outsider(client, desk, c["id"], name="装修工人老王", deposit=20000, receipt="YJ-001",
                        due="2026-12-01T00:30:00Z")

    clock.set(_utc(2026, 12, 1, 2))
    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    books = await _workbooks(client, 2026, 11)
    assert books["zh"].sheetnames == ["盘点汇总", "押金结算明细", "押金收支核对"]
    assert books["en"].sheetnames == ["Count", "Deposits settled", "Deposit reconciliation"]
    for lang in ("zh", "en"):
        figures, sections = assert_reconciles(books[lang], lang)
        f = FIGURES[lang]
        # 0 + 350 = 250 + 60 + 40, and the figures are the count sheet's.
        assert (figures[f["start"]], figures[f["taken"]], figures[f["end"]], figures[f["refunded"]],
                figures[f["kept"]]) == (0, 350, 250, 60, 40)
        c_ = sheet["count"]
        assert (figures[f["end"]], figures[f["refunded"]], figures[f["kept"]]) == (
            c_["deposits_held_cents"] / 100, c_["deposits_refunded_cents"] / 100, c_["deposits_kept_cents"] / 100)
        # Each receipt: its number, when, who, the key and the amount.
        assert [(r[0], r[2], r[3], r[4]) for r in sections["taken"]] == [
            ("YJ-A", "甲", "9栋-101 入户门", 100), ("YJ-B", "乙", "9栋-102 入户门", 50),
            ("YJ-001", "装修工人老王", "9栋-103 入户门", 200)]
        assert sections["taken"][2][1].isoformat() == "2026-11-30T23:30:00"  # the compound's time
        assert [(r[0], r[2], r[4], r[5]) for r in sections["refunded"]] == [("TK-1", "甲", 60, "YJ-A")]
        assert [(r[0], r[2], r[4], r[5]) for r in sections["kept"]] == [("YJ-A", "甲", 40, "门锁损坏")]
        assert [(r[0], r[2], r[4]) for r in sections["end"]] == [("YJ-B", "乙", 50), ("YJ-001", "装修工人老王", 200)]
        assert sections["start"] == []
    # On the count sheet too, beside what was held at the end.
    count_sheet = {r[0]: r[1] for r in books["zh"]["盘点汇总"].iter_rows(values_only=True) if r and r[0]}
    assert (count_sheet["月初押金借出中（元）"], count_sheet["当月收取押金（元）"], count_sheet["月末押金借出中（元）"]) == (
        0, 350, 250)

    # December opens on what November closed on: 乙 back with the whole deposit on 2 December.
    clock.set(_utc(2026, 12, 2, 2))
    assert (await client.post(f"/api/keys/{b['id']}/return", headers=desk, json={
        "refund_cents": 5000, "refund_receipt_no": "TK-2"})).status_code == 200
    clock.set(_utc(2027, 1, 2, 2))
    dec = await _workbooks(client, 2026, 12)
    figures, sections = assert_reconciles(dec["zh"], "zh")
    assert [r[0] for r in sections["start"]] == ["YJ-B", "YJ-001"]
    assert (sections["taken"], [r[0] for r in sections["refunded"]], sections["kept"]) == ([], ["TK-2"], [])
    assert [r[0] for r in sections["end"]] == ["YJ-001"]
    assert (figures["月初押金借出中（元）"], figures["月末押金借出中（元）"]) == (250, 200)


async def test_the_physical_count_is_recorded_from_the_30th_and_amended_that_day_only(client, clock):  # R-KY-1
    desk = await login(client, "frontdesk")
    url = "/api/keys/counts/2026/11/physical"
    clock.set(_utc(2026, 11, 29, 15, 59))  # 29 November, 23:59 Shanghai
    live = (await client.get("/api/keys/count", headers=desk)).json()
    assert (live["year"], live["month"], live["physical"], live["physical_opens_on"], live["physical_recordable"]) == (
        2026, 11, None, "2026-11-30", False)
    r = await client.post(url, headers=desk, json={"matches_register": True})
    assert (r.status_code, r.json()["code"]) == (400, "key.count_month_open"), r.text
    assert r.json()["message"] == "2026年11月的实物盘点自11月30日起登记"
    assert r.json()["details"]["opens_on"] == "2026-11-30"

    clock.set(_utc(2026, 11, 29, 16))  # 30 November, 00:00 Shanghai: the 30th in the compound, the 29th in UTC
    assert (await client.get("/api/keys/count", headers=desk)).json()["physical_recordable"] is True
    r = await client.post(url, headers=desk, json={"matches_register": True, "witness_name": "保安 陈某"})
    assert r.status_code == 201, r.text
    body = r.json()
    # The month so far: its figures up to now, the cabinet as it stands, and the count just recorded.
    assert (body["year"], body["month"], body["count"]["counted_at"]) == (2026, 11, "2026-11-29T16:00:00Z")
    assert (body["physical"]["counted_by_name"], body["physical"]["counted_at"], body["physical"]["amendable"]) == (
        "李前台", "2026-11-29T16:00:00Z", True)
    assert body["keys"]
    live = (await client.get("/api/keys/count", headers=desk)).json()
    assert (live["physical"]["witness_name"], live["physical"]["amendable"]) == ("保安 陈某", True)
    r = await client.post(url, headers=desk, json={"matches_register": True})
    assert (r.status_code, r.json()["code"]) == (409, "key.count_already_recorded"), r.text
    # A slip put right the same day (D86).
    clock.set(_utc(2026, 11, 30, 15, 59))  # 30 November, 23:59 Shanghai
    r = await client.post(f"{url}/amend", headers=desk, json={
        "matches_register": False, "discrepancy": "9栋 信报箱钥匙 不在柜内", "reason": "漏看一格"})
    assert r.status_code == 200, r.text
    assert (r.json()["physical"]["matches_register"], len(r.json()["physical"]["amendments"])) == (False, 1)

    # Once the month is over its sheet shows the count of the 30th; the next day it stands as recorded.
    clock.set(_utc(2026, 11, 30, 16, 1))  # 1 December, 00:01 Shanghai
    sheet = (await client.get("/api/keys/counts/2026/11", headers=desk)).json()
    assert (sheet["physical"]["counted_at"], sheet["physical"]["discrepancy"], sheet["physical"]["amendable"]) == (
        "2026-11-29T16:00:00Z", "9栋 信报箱钥匙 不在柜内", False)
    r = await client.post(f"{url}/amend", headers=desk, json={"matches_register": True, "reason": "x"})
    assert (r.status_code, r.json()["code"]) == (409, "key.count_not_amendable"), r.text
    [month] = (await client.get("/api/keys/counts", headers=desk)).json()
    assert month["physical"]["counted_by_name"] == "李前台"
    # December's count is not open until its 30th.
    live = (await client.get("/api/keys/count", headers=desk)).json()
    assert (live["month"], live["physical"], live["physical_opens_on"], live["physical_recordable"]) == (
        12, None, "2026-12-30", False)
