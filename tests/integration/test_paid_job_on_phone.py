"""A paid-service or repair job on the technician's phone, through the API (both engines): the on-site
deadline never past the resident's promise (R-FU-7), and what was agreed at the desk — booking number,
service item and fee (R-SS-2), the repair's responsibility class (R-IN-6) — in the pulled job (D41)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import T0, login
from tests.integration.scenarios import Phone, signature_png, upload

M = timedelta(minutes=1)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _booked_and_consented(client, desk) -> dict:  # noqa: ANN001
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "drain_unblock", "resident_name": "黄业主", "unit": "1栋-101", "unit_id": "unit_1_101",
        "phone": "13800000001", "content": "卫生间下水道堵塞"})
    assert r.status_code == 201, r.text
    b = r.json()["booking"]
    r = await client.post(f"/api/services/bookings/{b['id']}/consent", headers=desk,
                          json={"shown_fee_cents": b["unit_fee_cents"]})
    assert r.status_code == 200, r.text
    return r.json()["booking"]


async def _job_on_phone(client, username: str, case_id: str) -> dict:  # noqa: ANN001
    phone = Phone(client, await login(client, username, device=f"{username}-phone"))
    await phone.pull()
    return next(d for d in phone.jobs().values() if d["case_id"] == case_id)


def _arrival_due(clocks: list[dict]) -> datetime:
    return next(_at(c["due_at"]) for c in clocks if c["code"] == "FU7_PAID_ARRIVE_20M")


async def test_a_booking_dispatched_10_minutes_after_consent_is_due_on_site_at_the_promise(client, clock):  # R-FU-7
    desk = await login(client, "frontdesk")
    b = await _booked_and_consented(client, desk)  # accepted at T0: "within 25 minutes"
    assert _at(b["arrive_by"]) == T0 + 25 * M
    clock.advance(minutes=10)
    r = await client.post(f"/api/services/bookings/{b['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    # The desk's work-order row and its clock: 10:25, not dispatch + 20 = 10:30.
    assert _at(view["case"]["work_orders"][0]["deadline_at"]) == T0 + 25 * M
    assert _arrival_due(view["clocks"]) == T0 + 25 * M
    job = await _job_on_phone(client, "tech", case_id)
    assert _at(job["deadline_at"]) == T0 + 25 * M
    assert _arrival_due(job["clocks"]) == T0 + 25 * M


async def test_a_desk_redispatch_is_capped_by_the_promise_or_the_time_agreed_after_a_delay(client, clock):  # R-FU-7
    desk = await login(client, "frontdesk")
    disp = await login(client, "dispatcher")
    b = await _booked_and_consented(client, desk)
    clock.advance(minutes=2)
    case_id = (await client.post(f"/api/services/bookings/{b['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})).json()["case_id"]
    # 8 minutes on the desk sends it to tech2 and types an hour: the promise (10:25) still holds it.
    clock.advance(minutes=8)
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=disp, json={
        "assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"],
        "deadline_at": (T0 + 70 * M).isoformat()})
    assert r.status_code == 200, r.text
    active = [w for w in r.json()["case"]["work_orders"] if w["state"] != "cancelled"]
    assert _at(active[0]["deadline_at"]) == T0 + 25 * M
    job = await _job_on_phone(client, "tech2", case_id)
    assert _at(job["deadline_at"]) == _arrival_due(job["clocks"]) == T0 + 25 * M

    # The resident is told of a delay at 10:15 and agrees 10:45; the order re-sent at 10:30 is held to it.
    clock.advance(minutes=5)
    r = await client.post(f"/api/cases/{case_id}/follow-up", headers=disp, json={
        "kind": "delay_notice", "note": "师傅在另一单", "new_due_at": (T0 + 45 * M).isoformat()})
    assert r.status_code == 200, r.text
    clock.advance(minutes=15)
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=disp, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    active = [w for w in r.json()["case"]["work_orders"] if w["state"] != "cancelled"]
    assert _at(active[0]["deadline_at"]) == T0 + 45 * M  # not 10:50
    job = await _job_on_phone(client, "tech", case_id)
    assert _at(job["deadline_at"]) == _arrival_due(job["clocks"]) == T0 + 45 * M


async def test_the_pulled_booking_job_names_its_booking_service_and_agreed_fee(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    b = await _booked_and_consented(client, desk)
    case_id = (await client.post(f"/api/services/bookings/{b['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})).json()["case_id"]
    job = await _job_on_phone(client, "tech", case_id)
    assert job["booking_no"] == b["booking_no"] and job["booking_no"].startswith("TY")
    assert (job["service_name"], job["service_name_en"]) == ("疏通下水道", "Drain unblocking")
    assert job["fee_quote_cents"] == 8000 and (job["fee_unit"], job["fee_unit_en"]) == ("次", "visit")
    assert job["repair_responsibility"] is None


async def test_the_pulled_repair_job_carries_the_responsibility_class_and_the_fee_told(client):  # R-IN-6
    desk = await login(client, "dispatcher")
    made = {}
    for resp, fee in (("owner_private", 5000), ("common", None), (None, None)):
        body = {"kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
                "unit_id": "unit_1_101", "content": f"维修 {resp}", "repair_class": "small"}
        if resp:
            body["repair_responsibility"] = resp
        if fee is not None:
            body["fee_quote_cents"] = fee
        r = await client.post("/api/cases", headers=desk, json=body)
        assert r.status_code == 201, r.text
        cid = r.json()["case"]["id"]
        assert (await client.post(f"/api/cases/{cid}/decide", headers=desk,
                                  json={"open": True, "reason": "A"})).status_code == 200
        r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
            "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        assert r.status_code == 200, r.text
        made[resp] = cid
    phone = Phone(client, await login(client, "tech", device="tech-phone"))
    await phone.pull()
    jobs = {d["case_id"]: d for d in phone.jobs().values()}
    private, common, on_site = (jobs[made[k]] for k in ("owner_private", "common", None))
    assert (private["repair_responsibility"], private["fee_quote_cents"]) == ("owner_private", 5000)
    assert (common["repair_responsibility"], common["fee_quote_cents"]) == ("common", None)
    # To be judged on site (D38): no class yet, and no fee told.
    assert (on_site["repair_responsibility"], on_site["fee_quote_cents"]) == (None, None)
    assert private["booking_no"] is None and private["service_name"] is None


async def test_a_booking_must_name_a_registered_unit(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    base = {"item_code": "unlock", "resident_name": "林业主", "phone": "13800000004"}
    for unit in ({"unit": "2栋3单元801"}, {"unit_id": "unit_9_999"}, {"unit": "2栋3单元801", "unit_id": "unit_9_999"}):
        r = await client.post("/api/services/bookings", headers=desk, json=base | unit)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "unit.not_found" and r.json()["details"]["missing"] == ["unit_id"]
    assert (await client.get("/api/services/bookings", headers=desk)).json() == []  # nothing stored
    # Picked (unit_id) or named by its registered label, the booking carries the unit to its case.
    for unit, unit_id in (({"unit_id": "unit_1_202"}, "unit_1_202"), ({"unit": "1栋-102"}, "unit_1_102")):
        r = await client.post("/api/services/bookings", headers=desk, json=base | unit)
        assert r.status_code == 201, r.text
        b = r.json()["booking"]
        assert b["unit"] == unit_id.replace("unit_1_", "1栋-")
        await client.post(f"/api/services/bookings/{b['id']}/consent", headers=desk,
                          json={"shown_fee_cents": b["unit_fee_cents"]})
        r = await client.post(f"/api/services/bookings/{b['id']}/dispatch", headers=desk, json={
            "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        assert r.status_code == 200, r.text
        assert r.json()["case"]["unit_id"] == unit_id


async def _complete_pushed(client, case_id: str, **slip) -> tuple[dict, Phone]:  # noqa: ANN003
    phone = Phone(client, await login(client, "tech", device="tech-phone"))
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    sig = await upload(client, phone.headers, signature_png(case_id + str(slip)))
    res = await phone.push(
        phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id),
        phone.mutation("job.complete", job_id=job_id, signature_sha256=sig, work_done="疏通完毕",
                       signer_name="黄业主", signer_relation="owner", **slip))
    return res["results"][2], phone


async def test_a_special_service_slip_above_the_agreed_fee_is_refused_and_nothing_stored(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    b = await _booked_and_consented(client, desk)  # 疏通下水道, ¥80 per visit, consented
    case_id = (await client.post(f"/api/services/bookings/{b['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})).json()["case_id"]
    got, _ = await _complete_pushed(client, case_id, fee_cents=12000)
    assert (got["status"], got["code"]) == ("rejected", "case.fee_above_agreed"), got
    assert "80.00" in got["message"]
    case = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    assert case["slip"] is None and case["state"] != "completed"
    got, _ = await _complete_pushed(client, case_id, fee_cents=8000)
    assert got["status"] == "applied", got


async def test_a_repair_fee_above_the_fee_told_is_signed_with_its_reason(client):  # R-IN-6 a
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": "厨房水龙头漏水", "repair_class": "small",
        "repair_responsibility": "owner_private", "fee_quote_cents": 5000})
    cid = r.json()["case"]["id"]
    await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    got, _ = await _complete_pushed(client, cid, fee_cents=8000)
    assert (got["status"], got["code"]) == ("rejected", "case.fee_reason_required"), got
    got, _ = await _complete_pushed(client, cid, fee_cents=8000, fee_over_reason="阀门锈死，须整套更换")
    assert got["status"] == "applied", got
    slip = (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["slip"]
    assert (slip["fee_cents"], slip["fee_over_reason"]) == (8000, "阀门锈死，须整套更换")
