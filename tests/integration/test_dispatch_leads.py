"""The desk tells the lead of the case's own line of work first (R-DI-1), as the demo compound's staff list
names them: the repair lead 陈班长 for repairs, the guard captain 韩队长 for security, nobody for cleaning;
and a lead reached about the case answers for a reassignment, with nothing false in the log."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair


async def _opened_complaint(client, desk, category: str, content: str) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": "周业主", "phone": "13800000011",
        "unit_id": "unit_3_104", "content": content, "complaint_category": category})
    assert r.status_code == 201, r.text
    cid = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    return cid


def _told(view: dict) -> list[tuple[str, str, bool]]:
    return [(d["told_id"], d["told_role"], d["reached"]) for d in view["case"]["dispatches"]]


async def test_a_security_job_goes_to_the_guard_captain_as_its_lead(client) -> None:  # noqa: ANN001  # R-DI-1
    desk = await login(client, "dispatcher")
    cid = await _opened_complaint(client, desk, "security", "夜里有陌生人在地库徘徊")
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["summary"]["leads"] == ["usr_guardcap"]  # what the dispatch dialog offers as leads
    # The repair lead is no lead of security work: ticking him "not reached" is refused, not logged.
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_guard", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 400 and r.json()["code"] == "case.not_a_lead", r.text
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={"assignee_id": "usr_guardcap"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["case"]["work_orders"][-1]["assignee_role"] == "team_lead"
    assert _told(view) == [("usr_guardcap", "team_lead", True)]
    # He leads it as the guard captain, not as a team lead by account: the order, the dispatch list and the
    # history keep that post, which titles him (韩队长（保安队长）, not 班组主管).
    assert view["case"]["work_orders"][-1]["lead_post"] == "guard_captain"
    assert [d["lead_post"] for d in view["case"]["dispatches"]] == ["guard_captain"]
    [entry] = [e for e in view["timeline"] if e["action"] == "case.dispatched"]
    assert entry["data"]["assignee_post"] == "guard_captain"


async def test_a_guard_gets_the_job_once_the_guard_captain_was_not_reached(client) -> None:  # noqa: ANN001  # R-DI-1
    desk = await login(client, "dispatcher")
    cid = await _opened_complaint(client, desk, "security", "单元门禁被人撬开")
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={"assignee_id": "usr_guard"})
    assert r.status_code == 409 and r.json()["code"] == "case.team_lead_first", r.text
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_guard", "unreached_lead_ids": ["usr_guardcap"]})
    assert r.status_code == 200, r.text
    assert _told(r.json()) == [("usr_guardcap", "team_lead", False), ("usr_guard", "guard", True)]
    assert [d["lead_post"] for d in r.json()["case"]["dispatches"]] == ["guard_captain", None]


async def test_cleaning_goes_to_the_cleaner_without_a_false_tick(client) -> None:  # noqa: ANN001  # R-DI-1
    desk = await login(client, "dispatcher")
    cid = await _opened_complaint(client, desk, "cleaning", "电梯厅地面有污渍")
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["summary"]["leads"] == []
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_cleaner", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 400 and r.json()["code"] == "case.not_a_lead", r.text
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={"assignee_id": "usr_cleaner"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert _told(view) == [("usr_cleaner", "cleaner", True)]
    [entry] = [e for e in view["timeline"] if e["action"] == "case.dispatched"]
    assert entry["data"]["direct"] == "no_lead"


async def test_a_repair_is_led_by_the_repair_lead(client) -> None:  # noqa: ANN001  # R-DI-1
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["summary"]["leads"] == ["usr_lead"]
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_guardcap"]})
    assert r.status_code == 400 and r.json()["code"] == "case.not_a_lead", r.text


async def test_reassigning_from_the_lead_reached_needs_no_false_unreached(client) -> None:  # noqa: ANN001  # R-DI-1
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={"assignee_id": "usr_lead"})
    assert r.status_code == 200, r.text
    # 改派 to 刘师傅: 陈班长 was reached about this case (已联系上); nobody is ticked as not reached.
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={"assignee_id": "usr_tech2"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert _told(view) == [("usr_lead", "team_lead", True), ("usr_tech2", "technician", True)]
    # 陈班长 is a team lead by account: titled so, as the dialog titles him.
    assert view["case"]["work_orders"][0]["lead_post"] is None
    last = [e for e in view["timeline"] if e["action"] == "case.dispatched"][-1]
    assert last["data"]["direct"] == "lead_reached"


async def _consented_booking(client, desk) -> dict:  # noqa: ANN001
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "drain_unblock", "resident_name": "黄业主", "unit": "1栋-101", "unit_id": "unit_1_101",
        "phone": "13800000001", "content": "卫生间下水道堵塞"})
    assert r.status_code == 201, r.text
    b = r.json()
    r = await client.post(f"/api/services/bookings/{b['booking']['id']}/consent", headers=desk,
                          json={"shown_fee_cents": b["told_fee_cents"]})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_booking_names_the_leads_its_dispatch_accepts(client) -> None:  # noqa: ANN001  # R-DI-1 R-SS-2
    # A special service is work of no one trade: every lead leads it (D144). The booking's chooser offered the
    # team leads only (陈班长), so the guard captain the server takes could be neither chosen nor ticked.
    desk = await login(client, "frontdesk")
    b = await _consented_booking(client, desk)
    assert b["leads"] == ["usr_guardcap", "usr_lead"]
    listed = next(v for v in (await client.get("/api/services/bookings", headers=desk)).json()
                  if v["booking"]["id"] == b["booking"]["id"])
    assert listed["leads"] == ["usr_guardcap", "usr_lead"]
    # What it names is what the dispatch takes: the guard captain ticked as tried, the technician sent.
    r = await client.post(f"/api/services/bookings/{b['booking']['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_guardcap"]})
    assert r.status_code == 200, r.text
    case = (await client.get(f"/api/cases/{r.json()['case_id']}", headers=desk)).json()
    assert _told(case) == [("usr_guardcap", "team_lead", False), ("usr_tech", "technician", True)]
    assert case["summary"]["leads"] == ["usr_guardcap", "usr_lead"]
    # Dispatched, the booking is asked no more.
    assert r.json()["leads"] == []
