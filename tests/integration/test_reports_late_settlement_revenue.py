"""Special-service revenue counts in the month the cashier took the money, however long after the case
came in (R-SS-3, R-RV-5).

Found in review: a booking completed and its case closed in January, settled by the cashier on 5 April,
showed 特约服务收入 ¥0.00 in April's report while the loss review for the same item and month showed the
8000 cents. The report read only cases received in the last 62 days, still open or changed in the month,
and settling touches the booking, not the case.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import login
from tests.integration.scenarios import complete_on_phone


async def _completed_and_closed_booking(client) -> str:  # noqa: ANN001
    """drain_unblock booked, dispatched, completed on the phone for ¥80 and its case closed; not settled."""
    desk = await login(client, "frontdesk")
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "drain_unblock", "resident_name": "黄业主", "unit": "1栋-101", "phone": "13800000001"})
    assert r.status_code == 201, r.text
    bid = r.json()["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 8000})
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    await complete_on_phone(client, case_id, "tech2", device="phone2", work_done="疏通", materials="", fee_cents=8000)
    dispatcher = await login(client, "dispatcher")
    assert (await client.post(f"/api/cases/{case_id}/return-slip", headers=dispatcher)).status_code == 200
    assert (await client.post(f"/api/cases/{case_id}/countersign", headers=dispatcher)).status_code == 200
    r = await client.post(f"/api/cases/{case_id}/close", headers=dispatcher, json={"result": "已疏通"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "closed"
    return bid


async def test_revenue_settled_months_after_the_case_counts_in_the_month_it_was_settled(client, clock):  # R-SS-3 R-RV-5
    bid = await _completed_and_closed_booking(client)  # Mon 23 Nov 2026
    clock.set(datetime(2027, 2, 5, 2, 0, tzinfo=UTC))  # 74 days later, nothing touched the case since
    cashier = await login(client, "cashier")
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 8000, "receipt_no": "SJ-205"})
    assert r.status_code == 200, r.text
    clock.advance(minutes=5)
    mgr = await login(client, "manager")
    february = (await client.get("/api/reports/monthly/2027/2", headers=mgr)).json()
    # The loss review reads the same month's settlements: the two figures agree.
    review = (await client.get("/api/services/items/drain_unblock/loss-review", headers=mgr, params={
        "start": february["period_start"], "end": "2027-03-01T00:00:00+08:00", "cost_cents": 0})).json()
    assert review["revenue_cents"] == 8000
    assert february["special_service_revenue_cents"] == 8000
    # Not in the month the case came in and was closed: nothing was collected then.
    november = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert november["special_service_revenue_cents"] == 0
