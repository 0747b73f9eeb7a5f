"""A booking quoted for several units, the total told and consented, and its promise before and after
dispatch; a case's own call-back and the survey area it asks about first (D100)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import T0, login
from tests.integration.scenarios import Phone, complete_on_phone, new_repair, open_and_dispatch


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _book(client, desk, *, code: str = "appliance_cleaning", quantity: int = 3,  # noqa: ANN001
                content: str = "客厅空调两台、洗衣机一台") -> dict:
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": code, "resident_name": "黄业主", "unit_id": "unit_1_101", "phone": "13800000001",
        "content": content, "quantity": quantity})
    return r


async def _booking(client, desk, bid: str) -> dict:  # noqa: ANN001
    return next(v for v in (await client.get("/api/services/bookings", headers=desk)).json()
                if v["booking"]["id"] == bid)


async def test_the_total_told_is_the_approved_unit_fee_times_the_quantity(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    r = await _book(client, desk)
    assert r.status_code == 201, r.text
    view = r.json()
    bid = view["booking"]["id"]
    # ¥120.00/件 × 3 件: what the desk tells, computed by the server from the approved price.
    assert (view["booking"]["quoted_quantity"], view["told_fee_cents"]) == (3, 36000)
    assert view["content"] == "客厅空调两台、洗衣机一台"
    assert (await _booking(client, desk, bid))["content"] == "客厅空调两台、洗衣机一台"
    # Consent to the unit fee alone is not consent to three appliances.
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 12000})
    assert r.status_code == 400 and r.json()["code"] == "special_service.fee_not_as_quoted"
    assert r.json()["details"]["fee_cents"] == 36000
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 36000})
    assert r.status_code == 200, r.text
    assert r.json()["booking"]["told_fee_cents"] == 36000
    # A second click does not move the promise the resident was told.
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 36000})
    assert r.status_code == 409 and r.json()["code"] == "special_service.wrong_state"

    # The case names the quantity and the total; the technician's slip starts from that total.
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={"assignee_id": "usr_lead"})
    assert r.status_code == 200, r.text
    case = (await client.get(f"/api/cases/{r.json()['case_id']}", headers=desk)).json()["case"]
    assert case["content"] == "客厅空调两台、洗衣机一台"
    assert "家电清洗 3 件" in case["opening"]["note"] and "已告知收费 ¥360.00" in case["opening"]["note"]
    lead = await login(client, "lead", device="phone")
    phone = Phone(client, lead)
    await phone.pull()
    job = next(d for d in phone.jobs().values() if d["case_id"] == case["id"])
    assert (job["fee_cents"], job["fee_told_cents"], job["quantity_told"]) == (36000, 36000, 3)


async def test_a_per_visit_item_takes_no_quantity_and_a_wild_one_is_refused(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    r = await _book(client, desk, code="unlock", quantity=2)
    assert r.status_code == 400 and r.json()["code"] == "special_service.invalid_quantity"
    r = await _book(client, desk, quantity=0)
    assert r.status_code == 400 and r.json()["code"] == "special_service.invalid_quantity"
    r = await _book(client, desk, code="unlock", quantity=1)
    assert r.status_code == 201 and r.json()["told_fee_cents"] == 5000
    # A client that sends no quantity books one unit, as before (the e2e helpers and older desks).
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "appliance_cleaning", "resident_name": "黄业主", "unit_id": "unit_1_101", "phone": "13800000001"})
    assert r.status_code == 201 and r.json()["booking"]["quoted_quantity"] == 1


async def test_the_promise_stays_on_the_booking_after_dispatch_with_its_state(client, clock):  # R-FU-7
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk, quantity=1)).json()["booking"]["id"]
    assert (await _booking(client, desk, bid))["promise"] is None  # nothing promised before consent
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 12000})
    promise = (await _booking(client, desk, bid))["promise"]
    assert (_at(promise["due_at"]), promise["state"]) == (T0 + timedelta(minutes=25), "running")
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={"assignee_id": "usr_lead"})
    assert r.status_code == 200, r.text
    assert r.json()["promise"]["state"] == "running"
    case_id = r.json()["case_id"]
    # Dispatched: still shown, still running until the team is on site.
    promise = (await _booking(client, desk, bid))["promise"]
    assert (_at(promise["due_at"]), promise["state"]) == (T0 + timedelta(minutes=25), "running")
    clock.advance(minutes=26)
    assert (await _booking(client, desk, bid))["promise"]["state"] == "missed"
    # On site late: missed, with when they arrived; one read by id says the same.
    lead = await login(client, "lead", device="phone")
    phone = Phone(client, lead)
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    res = await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id))
    assert [x["status"] for x in res["results"]] == ["applied"] * 2, res
    one = (await client.get(f"/api/services/bookings/{bid}", headers=desk)).json()
    assert one["promise"]["state"] == "missed" and one["promise"]["arrived_at"]


async def test_on_site_in_time_meets_the_promise(client, clock):  # R-FU-7
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk, quantity=1)).json()["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 12000})
    case_id = (await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk,
                                 json={"assignee_id": "usr_lead"})).json()["case_id"]
    clock.advance(minutes=10)
    lead = await login(client, "lead", device="phone")
    phone = Phone(client, lead)
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id))
    clock.advance(hours=1)
    promise = (await _booking(client, desk, bid))["promise"]
    assert promise["state"] == "met" and _at(promise["arrived_at"]) == T0 + timedelta(minutes=10)


async def test_a_cases_call_back_is_read_by_its_case_and_asks_about_building_repair(client):  # R-FU-6 R-RV-2
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    other = (await new_repair(client, desk, content="阳台地漏堵塞"))["case"]["id"]
    for case_id in (cid, other):
        await open_and_dispatch(client, desk, case_id)
        await complete_on_phone(client, case_id)
    r = await client.get("/api/callbacks", headers=desk, params={"case_id": cid, "status": "due"})
    assert r.status_code == 200, r.text
    assert [(t["case_id"], t["area"]) for t in r.json()] == [(cid, "building_repair")]  # not "overall"
    lead = await login(client, "lead")  # the team lead samples his own services (R-RV-1)
    assert [t["case_id"] for t in (await client.get("/api/callbacks", headers=lead, params={"case_id": cid})).json()] == [cid]
    assert (await client.get("/api/callbacks", headers=desk, params={"case_id": "case_nope"})).json() == []
