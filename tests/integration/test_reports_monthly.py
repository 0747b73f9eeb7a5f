"""The monthly report built from stored cases, checked against figures worked out by hand.

November 2026 (the clock starts Monday 23rd, 10:00 Shanghai):
  repair A  small, done at once, slip back, call-back all A      -> timely, not rework
  repair B  small, done 25 h after intake (cap 24 h), call-back C -> late, rework, on the overdue list
  complaint C1 cleaning, company's fault (valid), closed next day
  complaint C2 security, customer's own (invalid), left open
  special service drain_unblock, settled 80.00
Hand-computed: validity 1/2 = 50 %; timely repair 1/2 = 50 % (target 98 %: missed);
rework 1/2 = 50 % (target 1 %: missed); timely handling: no complaint falls due in November -> "—";
revenue 8000 fen. December (as of Dec 10): C1 due Dec 8 handled in time, C2 due Dec 8 still open
-> timely handling 1/2 = 50 %, C2 on the overdue list.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.conftest import T0, login
from tests.integration.scenarios import (
    complete_on_phone,
    new_repair,
    open_and_dispatch,
)


def rate(report: dict, key: str) -> dict:
    return next(r for r in [*report["rates"], *report["satisfaction"]] if r["key"] == key)


async def _complaint(client, desk, mgr, *, category: str, channel: str, fault: str) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": channel, "contact_name": "林业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "投诉", "complaint_category": category})
    assert r.status_code == 201, r.text
    cid = r.json()["case"]["id"]
    assert (await client.post(f"/api/cases/{cid}/decide", headers=desk,
                              json={"open": True, "reason": "A"})).status_code == 200
    r = await client.post(f"/api/cases/{cid}/judge", headers=mgr, json={"fault": fault, "explanation": "已核实"})
    assert r.status_code == 200, r.text
    return cid


async def _settled_booking(client) -> None:  # noqa: ANN001
    desk = await login(client, "frontdesk")
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "drain_unblock", "resident_name": "黄业主", "unit": "1栋-101", "phone": "13800000001"})
    bid = r.json()["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 8000})
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    case_id = r.json()["case_id"]
    await complete_on_phone(client, case_id, "tech2", device="phone2", work_done="疏通", materials="", fee_cents=8000)
    cashier = await login(client, "cashier")
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 8000, "receipt_no": "SJ-9"})
    assert r.status_code == 200, r.text


async def _call_back(client, desk, case_id: str, grades: dict) -> dict:  # noqa: ANN001
    task = next(t for t in (await client.get("/api/callbacks", headers=desk)).json() if t["case_id"] == case_id)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": grades, "comment": "住户意见"})
    assert r.status_code == 200, r.text
    return r.json()


async def _november(client, clock) -> dict:  # noqa: ANN001
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    a = (await new_repair(client, desk, content="A"))["case"]["id"]
    await open_and_dispatch(client, desk, a)
    await complete_on_phone(client, a)
    b = (await new_repair(client, desk, content="B"))["case"]["id"]
    await open_and_dispatch(client, desk, b)
    c1 = await _complaint(client, desk, mgr, category="cleaning", channel="walk_in", fault="company")
    c2 = await _complaint(client, desk, mgr, category="security", channel="phone", fault="customer")
    await _settled_booking(client)
    clock.advance(hours=25)
    await complete_on_phone(client, b)
    for cid in (a, b):
        assert (await client.post(f"/api/cases/{cid}/return-slip", headers=desk)).status_code == 200
    assert (await client.post(f"/api/cases/{c1}/verify", headers=desk, json={"text": "已清理"})).status_code == 200
    r = await client.post(f"/api/cases/{c1}/close", headers=desk, json={"result": "已整改"})
    assert r.status_code == 200, r.text
    await _call_back(client, desk, a, {"building_repair": "A", "overall": "A"})
    rework = await _call_back(client, desk, b, {"building_repair": "C", "overall": "B"})
    assert rework["reopen_for_review"] is True and rework["review"] == "open"  # R-RV-2: a C opens a review
    return {"a": a, "b": b, "c1": c1, "c2": c2}


async def test_november_rates_match_the_hand_computed_figures(client, clock):  # R-RV-5 R-FU-10 R-RV-3
    await _november(client, clock)
    clock.set(datetime(2026, 11, 29, 2, 0, tzinfo=UTC))
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11", headers=mgr)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["counts_by_kind"]["repair"] == 2 and rep["counts_by_kind"]["complaint"] == 2
    assert rep["counts_by_kind"]["special_service"] == 1
    assert rep["counts_by_channel"] == {"phone": 4, "walk_in": 1}
    assert rep["counts_by_category"]["cleaning"] == 1 and rep["counts_by_category"]["security"] == 1
    v = rate(rep, "complaint_validity")
    assert (v["numerator"], v["denominator"], v["value"]) == (1, 2, 50.0)  # R-RV-5
    t = rate(rep, "timely_repair")
    assert (t["numerator"], t["denominator"], t["value"], t["met"]) == (1, 2, 50.0, False)  # R-FU-10
    w = rate(rep, "rework")
    assert (w["numerator"], w["denominator"], w["value"], w["met"]) == (1, 2, 50.0, False)  # R-FU-10
    h = rate(rep, "timely_handling")
    assert (h["denominator"], h["value"]) == (0, None)  # nothing fell due: undefined, never 0 % or 100 %
    assert all(r_["definition_zh"] and r_["definition_en"] for r_ in rep["rates"])
    assert [o["kind"] for o in rep["overdue"]] == ["repair"]
    assert rep["overdue"][0]["late_minutes"] == 60  # done at 25 h against the 24 h cap
    assert rep["special_service_revenue_cents"] == 8000
    # R-RV-5: each complaint listed with complainant, receiver, handling and validity.
    assert {(c["category"], c["valid"]) for c in rep["complaints"]} == {("cleaning", True), ("security", False)}
    assert all(c["receiver"] == "王调度" for c in rep["complaints"])
    # No survey this month: no ballots, every satisfaction rate shown as "—" (null).
    assert rep["ballots_issued"] == 0 and rep["ballots_returned"] == 0
    assert all(s["value"] is None for s in rep["satisfaction"])  # R-RV-3


async def test_december_timely_handling_counts_complaints_falling_due(client, clock):  # R-RV-5 R-FU-9
    ids = await _november(client, clock)
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    mgr = await login(client, "manager")
    rep = (await client.get("/api/reports/monthly/2026/12", headers=mgr)).json()
    h = rate(rep, "timely_handling")
    assert (h["numerator"], h["denominator"], h["value"]) == (1, 2, 50.0)
    assert [o["case_no"] for o in rep["overdue"]] == [
        (await client.get(f"/api/cases/{ids['c2']}", headers=mgr)).json()["case"]["no"]]
    assert rep["counts_by_kind"]["repair"] == 0  # nothing received in December


async def test_each_complaint_names_its_handling_in_both_languages(client, clock):  # R-RV-5
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    judged = await _complaint(client, desk, mgr, category="cleaning", channel="phone", fault="company")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": "林业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "楼道灯坏了没人修", "complaint_category": "engineering_repair"})
    sent = r.json()["case"]["id"]
    await open_and_dispatch(client, desk, sent)
    clock.advance(minutes=5)  # the report runs to "now": a case received this instant is not in it yet
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    no = {cid: (await client.get(f"/api/cases/{cid}", headers=mgr)).json()["case"]["no"] for cid in (judged, sent)}
    handling = {c["case_no"]: (c["method"], c["method_en"]) for c in rep["complaints"]}
    # Free text is shown as written; the fixed phrase for a dispatched complaint is translated.
    assert handling == {no[judged]: ("已核实", "已核实"), no[sent]: ("派工处理", "Dispatched to staff")}


async def test_satisfaction_rates_divide_by_ballots_returned(client, clock):  # R-RV-3
    mgr = await login(client, "manager")
    desk = await login(client, "dispatcher")
    r = await client.post("/api/surveys", headers=desk, json={"title": "x", "issued": 10})
    assert r.status_code == 403 and r.json()["code"] == "survey.not_allowed_to_survey"  # R-RV-1
    sid = (await client.post("/api/surveys", headers=mgr, json={"title": "11月综合回访", "issued": 10})).json()["id"]
    # A month whose survey has no ballot back yet: issued 10, returned 0, every rate "—".
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert (rep["ballots_issued"], rep["ballots_returned"]) == (10, 0)
    assert rate(rep, "satisfaction.overall")["value"] is None
    for grades in ({"overall": "A", "cleaning": "A"}, {"overall": "A", "cleaning": "C"},
                   {"overall": "B"}, {"overall": "C"}):
        r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": grades})
        assert r.status_code == 200, r.text
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert (rep["ballots_issued"], rep["ballots_returned"]) == (10, 4)
    overall = rate(rep, "satisfaction.overall")
    assert (overall["numerator"], overall["denominator"], overall["value"]) == (3, 4, 75.0)  # (A+B)/returned
    cleaning = rate(rep, "satisfaction.cleaning")
    # Two ballots skipped cleaning: still divided by all 4 returned, as the seed says.
    assert (cleaning["numerator"], cleaning["denominator"], cleaning["value"]) == (1, 4, 25.0)
    # No ballot graded parking: not graded (no figure), never a 0 % that reads as four unsatisfied.
    parking = rate(rep, "satisfaction.parking")
    assert (parking["numerator"], parking["denominator"], parking["value"], parking["graded"]) == (0, 4, None, 0)


async def test_dispatcher_submits_and_the_manager_comments_and_signs(client, clock):  # R-RV-4
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    r = await client.post("/api/reports/monthly/2026/11/submit", headers=mgr)
    assert r.status_code == 403 and r.json()["code"] == "monthly_report.not_a_filler"
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=mgr, json={"comment": "好"})
    assert r.status_code == 409 and r.json()["code"] == "monthly_report.wrong_status"
    r = await client.post("/api/reports/monthly/2026/11/submit", headers=desk)
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.too_early"  # before the 30th (D103)
    clock.set(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # 10:00 on the 30th in Shanghai
    r = await client.post("/api/reports/monthly/2026/11/submit", headers=desk)
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert r.json()["submitted_late"] is False  # on the 30th (R-RV-5)
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # the month is over: the manager may sign (D103)
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=desk, json={"comment": "好"})
    assert r.status_code == 403 and r.json()["code"] == "monthly_report.not_manager"
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=mgr, json={"comment": " "})
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.comment_required"
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=mgr, json={"comment": "调度及时,继续保持"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["status"] == "signed" and rep["signed_by"] == "usr_manager"
    # A case received after submission does not change the signed figures.
    await new_repair(client, desk)
    rep2 = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rep2["counts_by_kind"] == rep["counts_by_kind"] and rep2["status"] == "signed"


async def test_xlsx_export_is_an_attachment_with_the_rates(client, clock):  # R-RV-5
    await _november(client, clock)
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11/xlsx", headers=mgr)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "monthly-report-2026-11.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    summary = book["概要"]
    rows = {row[0]: row for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert rows["有效投诉率"][3] == 0.5 and rows["投诉处理及时率"][3] == "—"
    assert rows["特约服务收入（元）"][1] == 80
    tech = await login(client, "tech")
    assert (await client.get("/api/reports/monthly/2026/11/xlsx", headers=tech)).status_code == 403


async def test_rate_definitions_are_published(client):  # R-RV-5 R-FU-10
    desk = await login(client, "dispatcher")
    defs = {d["key"]: d for d in (await client.get("/api/reports/definitions", headers=desk)).json()}
    assert defs["timely_repair"]["target"] == "≥ 98%" and defs["rework"]["target"] == "≤ 1%"
    assert "回收票数" in defs["satisfaction"]["definition_zh"]


async def test_the_report_names_every_kind_category_and_channel_in_both_languages(client):  # R-RV-5
    # The desk's English switch must not leave the report's tables and charts in Chinese.
    desk = await login(client, "dispatcher")
    rep = (await client.get("/api/reports/monthly/2026/11", headers=desk)).json()
    assert rep["labels"]["channel"]["phone"] == "电话" and rep["labels_en"]["channel"]["phone"] == "Phone"
    for group in ("kind", "category", "channel"):
        assert rep["labels"][group].keys() == rep["labels_en"][group].keys()
        assert all(v.isascii() for v in rep["labels_en"][group].values()), rep["labels_en"][group]
    assert rep["labels"]["kind"].keys() >= rep["counts_by_kind"].keys()
    assert rep["labels"]["category"].keys() >= rep["counts_by_category"].keys()


def test_t0_is_in_november():
    assert T0.month == 11


async def test_a_complaints_handler_is_the_one_dispatched_to_and_nobody_before(client, clock):  # R-RV-5
    # The list named the receiver (王调度) as the handler of a complaint nobody had been sent to yet:
    # the handler is the executor of the current or last work order; one closed at the desk without
    # a work order was handled by whoever closed it; one not yet dispatched has none (D96).
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")

    async def complaint(content: str) -> str:  # noqa: ANN202
        r = await client.post("/api/cases", headers=desk, json={
            "kind": "complaint", "channel": "phone", "contact_name": "周业主", "phone": "13800000004",
            "unit_id": "unit_1_202", "content": content, "complaint_category": "cleaning"})
        assert r.status_code == 201, r.text
        return r.json()["case"]["id"]

    received = await complaint("楼道有垃圾")  # 已受理, not opened
    opened = await complaint("草坪没修剪")
    assert (await client.post(f"/api/cases/{opened}/decide", headers=desk, json={"open": True, "reason": "A"})).status_code == 200
    sent = await complaint("电梯厅地面脏")
    assert (await client.post(f"/api/cases/{sent}/decide", headers=desk, json={"open": True, "reason": "A"})).status_code == 200
    # To the technician 张师傅, directly: nobody leads cleaning in the demo compound (R-DI-1).
    r = await client.post(f"/api/cases/{sent}/dispatch", headers=desk, json={"assignee_id": "usr_tech"})
    assert r.status_code == 200, r.text
    closed = await _complaint(client, desk, mgr, category="cleaning", channel="phone", fault="company")
    assert (await client.post(f"/api/cases/{closed}/verify", headers=desk, json={"text": "已清理"})).status_code == 200
    assert (await client.post(f"/api/cases/{closed}/close", headers=desk, json={"result": "已整改"})).status_code == 200
    clock.advance(minutes=5)
    no = {cid: (await client.get(f"/api/cases/{cid}", headers=mgr)).json()["case"]["no"]
          for cid in (received, opened, sent, closed)}
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    handler = {c["case_no"]: c["handler"] for c in rep["complaints"]}
    receiver = {c["case_no"]: c["receiver"] for c in rep["complaints"]}
    assert handler == {no[received]: "", no[opened]: "", no[sent]: "张师傅", no[closed]: "王调度"}
    assert set(receiver.values()) == {"王调度"}
    book = load_workbook(io.BytesIO((await client.get("/api/reports/monthly/2026/11/xlsx", headers=mgr)).content))
    sheet = book["投诉明细"]
    head = [c.value for c in sheet[1]]
    cells = {row[0]: row[head.index("处理人")] or "" for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert cells == handler
