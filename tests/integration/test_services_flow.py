"""Special services through the API: catalogue approval, booking to cashier settlement, loss review."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import msgspec

from tests.conftest import T0, login
from tests.integration.scenarios import Phone, complete_on_phone, signature_png, upload


async def _approved_item(client, code: str = "window_clean", fee: int = 6000, **extra) -> dict:  # noqa: ANN001, ANN003
    mgr = await login(client, "manager")
    gm = await login(client, "gm")
    r = await client.post("/api/services/items", headers=mgr, json={
        "code": code, "name_zh": "擦窗", "name_en": "Window cleaning", "fee_cents": fee,
        "unit": "per_visit", "promise_minutes": 25, **extra})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/services/items/{code}/approve", headers=gm)
    assert r.status_code == 200, r.text
    # Offered once residents were told (R-SS-1).
    r = await client.post(f"/api/services/items/{code}/announce", headers=mgr)
    assert r.status_code == 200, r.text
    return r.json()


async def _book(client, desk, code: str = "drain_unblock") -> dict:  # noqa: ANN001
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": code, "resident_name": "黄业主", "unit": "1栋-101", "unit_id": "unit_1_101",
        "phone": "13800000001", "content": "卫生间下水道堵塞"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_demo_price_list_is_approved_and_bookable(client):  # R-SS-1
    desk = await login(client, "frontdesk")
    items = {i["code"]: i for i in (await client.get("/api/services/items", headers=desk)).json()}
    assert {"drain_unblock", "appliance_cleaning", "unlock", "laundry", "games"} <= set(items)
    assert items["laundry"]["promise_minutes"] == 15 and items["games"]["promise_minutes"] == 10  # R-FU-7
    assert all(i["bookable"] and i["price_history"] for i in items.values())
    # The price list reads in both languages: name and unit ("¥15.00/件" / "¥15.00 per piece").
    assert (items["laundry"]["unit_label"], items["laundry"]["unit_label_en"]) == ("件", "piece")
    assert all(i["name_en"] and i["name_en"] != i["name_zh"] for i in items.values())


async def test_manager_proposes_and_only_the_general_manager_approves(client):  # R-SS-1
    mgr = await login(client, "manager")
    desk = await login(client, "frontdesk")
    r = await client.post("/api/services/items", headers=mgr, json={
        "code": "carpet", "name_zh": "地毯清洗", "name_en": "Carpet cleaning", "fee_cents": 9000,
        "unit": "per_piece", "promise_minutes": 25})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "proposed" and r.json()["bookable"] is False
    # Not yet approved: it cannot be booked.
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "carpet", "resident_name": "林业主", "unit": "1栋-202", "phone": "13800000004"})
    assert r.status_code == 409 and r.json()["code"] == "special_service.item_not_approved"
    # The manager cannot approve his own proposal; the desk cannot propose.
    r = await client.post("/api/services/items/carpet/approve", headers=mgr)
    assert r.status_code == 403 and r.json()["code"] == "special_service.not_general_manager"
    r = await client.post("/api/services/items", headers=desk, json={
        "code": "x", "name_zh": "x", "fee_cents": 100})
    assert r.status_code == 403 and r.json()["code"] == "special_service.not_manager"
    gm = await login(client, "gm")
    r = await client.post("/api/services/items/carpet/approve", headers=gm)
    # Approved, and offered once announced to residents (D112).
    assert r.status_code == 200 and r.json()["bookable"] is False
    r = await client.post("/api/services/items/carpet/announce", headers=mgr)
    assert r.status_code == 200 and r.json()["bookable"] is True


async def test_a_new_price_waits_for_approval_and_the_history_is_kept(client):  # R-SS-1 R-SS-4
    await _approved_item(client)
    mgr = await login(client, "manager")
    gm = await login(client, "gm")
    r = await client.post("/api/services/items/window_clean/price", headers=mgr, json={"fee_cents": 7000})
    assert r.status_code == 200
    assert r.json()["fee_cents"] == 6000 and r.json()["pending_fee_cents"] == 7000
    r = await client.post("/api/services/items/window_clean/approve", headers=gm)
    body = r.json()
    assert body["fee_cents"] == 7000 and body["pending_fee_cents"] is None
    assert [p["fee_cents"] for p in body["price_history"]] == [6000, 7000]


async def test_dispatch_needs_consent_to_the_quoted_fee(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    booking = await _book(client, desk)
    bid = booking["booking"]["id"]
    assert booking["booking"]["unit_fee_cents"] == 8000
    assert booking["missing_to_dispatch"] == ["consent"]
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 409 and r.json()["code"] == "special_service.no_consent"
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 5000})
    assert r.status_code == 400 and r.json()["code"] == "special_service.fee_not_as_quoted"


async def test_prepayment_is_taken_by_the_cashier_before_dispatch(client):  # R-SS-2 R-SS-3
    await _approved_item(client, code="moving", fee=20000, advance="prepayment", advance_cents=5000)
    desk = await login(client, "frontdesk")
    cashier = await login(client, "cashier")
    bid = (await _book(client, desk, "moving"))["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 20000})
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 409 and r.json()["code"] == "special_service.advance_missing"
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=desk,
                          json={"amount_cents": 5000, "receipt_no": "R-1"})
    assert r.status_code == 403 and r.json()["code"] == "special_service.not_cashier"
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=cashier,
                          json={"amount_cents": 5000, "receipt_no": "R-1"})
    assert r.status_code == 200 and r.json()["booking"]["advance_paid_cents"] == 5000
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text


async def test_booking_runs_from_consent_through_the_phone_to_the_cashier(client):  # R-SS-2 R-SS-3 R-FU-7
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk))["booking"]["id"]
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 8000})
    assert r.status_code == 200 and r.json()["booking"]["consent_at"]
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    view = r.json()
    case_id = view["case_id"]
    assert view["booking"]["state"] == "dispatched" and view["case"]["kind"] == "special_service"
    assert view["case"]["category"] == "home_repair"
    r = await client.get(f"/api/cases/{case_id}", headers=desk)
    codes = {c["code"] for c in r.json()["clocks"]}
    assert "FU7_PAID_PROMISE_25M" in codes  # R-FU-7: the 25-minute promise runs

    # The technician's phone: the job carries the fee; completion needs the resident's signature.
    tech = await login(client, "tech", device="phone")
    phone = Phone(client, tech)
    await phone.pull()
    job_id, job = next((j, d) for j, d in phone.jobs().items() if d["case_id"] == case_id)
    assert job["fee_cents"] == 8000 and job["kind"] == "special_service"
    sig = await upload(client, tech, signature_png("svc" + case_id))
    res = await phone.push(
        phone.mutation("job.accept", job_id=job_id),
        phone.mutation("job.arrive", job_id=job_id),
        phone.mutation("job.complete", job_id=job_id, work_done="疏通完毕", fee_cents=8000,
                       signature_sha256=sig, signer_name="黄业主", signer_relation="owner"),
    )
    assert [x["status"] for x in res["results"]] == ["applied"] * 3, res
    booking = next(b for b in (await client.get("/api/services/bookings", headers=desk)).json()
                   if b["booking"]["id"] == bid)
    assert booking["booking"]["state"] == "completed"
    assert booking["booking"]["slip_fee_cents"] == 8000 and booking["balance_due_cents"] == 8000

    # R-SS-3: the technician can never settle, not even with the exact amount and a receipt.
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=tech,
                          json={"amount_cents": 8000, "receipt_no": "SJ-001"})
    assert r.status_code == 403 and r.json()["code"] == "special_service.field_staff_cannot_settle"
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=desk,
                          json={"amount_cents": 8000, "receipt_no": "SJ-001"})
    assert r.status_code == 403 and r.json()["code"] == "special_service.not_cashier"
    cashier = await login(client, "cashier")
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 9000, "receipt_no": "SJ-001"})
    assert r.status_code == 400 and r.json()["code"] == "special_service.amount_not_as_slip"
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 8000, "receipt_no": ""})
    assert r.status_code == 400 and r.json()["code"] == "special_service.receipt_missing"
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 8000, "receipt_no": "SJ-001"})
    assert r.status_code == 200, r.text
    b = r.json()["booking"]
    assert b["state"] == "settled" and b["receipt_no"] == "SJ-001" and b["settled_by"] == "usr_cashier"

    # R-SS-5: the completed service has its call-back task.
    tasks = (await client.get("/api/callbacks", headers=desk)).json()
    assert any(t["case_id"] == case_id and t["subject"] == "special_service" for t in tasks)


async def _book_under_agreement(client, desk):  # noqa: ANN001, ANN202
    """A laundry booking under a year-long agreement of 林业主 (R-SS-2): the agreement is the consent."""
    r = await client.post("/api/services/agreements", headers=desk, json={
        "item_code": "laundry", "resident_name": "林业主", "unit": "1栋-202", "phone": "13800000004",
        "fee_cents": 1200, "valid_until": "2027-11-23T00:00:00Z"})
    assert r.status_code == 201, r.text
    return await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "laundry", "agreement_id": r.json()["id"]})


async def test_booking_under_an_agreement_carries_its_consent(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    r = await _book_under_agreement(client, desk)
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["booking"]["mode"] == "agreement" and b["booking"]["unit_fee_cents"] == 1200
    assert b["booking"]["consent_at"] and b["missing_to_dispatch"] == []
    r = await client.post(f"/api/services/bookings/{b['booking']['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_cleaner", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    view = (await client.get(f"/api/cases/{r.json()['case_id']}", headers=desk)).json()
    assert "FU7_LAUNDRY_15M" in {c["code"] for c in view["clocks"]}  # R-FU-7: 15-minute pick-up


async def _dispatched_case(client, desk, agreement_id: str) -> dict:  # noqa: ANN001
    """Book laundry under the agreement and dispatch it to the cleaner; the case it opened."""
    r = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "laundry", "agreement_id": agreement_id})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/services/bookings/{r.json()['booking']['id']}/dispatch", headers=desk, json={
        "assignee_id": "usr_cleaner", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    return (await client.get(f"/api/cases/{r.json()['case_id']}", headers=desk)).json()["case"]


async def test_an_agreement_for_a_unit_not_registered_is_refused_and_nothing_stored(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    terms = {"item_code": "laundry", "resident_name": "林业主", "phone": "13800000004", "fee_cents": 1200,
             "valid_until": "2027-11-23T00:00:00Z"}
    booked = await client.post("/api/services/bookings", headers=desk, json={
        "item_code": "laundry", "resident_name": "林业主", "unit": "2栋801", "phone": "13800000004"})
    for unit in ({"unit": "2栋801"}, {"unit_id": "unit_9_999"}, {}):
        r = await client.post("/api/services/agreements", headers=desk, json={**terms, **unit})
        assert r.status_code == 400, (unit, r.text)
        # The same refusal as a one-off booking's: one lookup, one message.
        assert {k: r.json()[k] for k in ("code", "message")} == {k: booked.json()[k] for k in ("code", "message")}
        assert r.json()["code"] == "unit.not_found" and r.json()["details"]["missing"] == ["unit_id"]
    assert (await client.get("/api/services/agreements", headers=desk)).json() == []


async def test_an_agreement_names_a_registered_unit_and_its_bookings_case_gets_it(client):  # R-SS-2
    desk = await login(client, "frontdesk")
    r = await client.post("/api/services/agreements", headers=desk, json={
        "item_code": "laundry", "resident_name": "林业主", "unit_id": "unit_1_202", "phone": "13800000004",
        "fee_cents": 1200, "valid_until": "2027-11-23T00:00:00Z"})
    assert r.status_code == 201, r.text
    assert (r.json()["unit_id"], r.json()["unit"]) == ("unit_1_202", "1栋-202")  # the register's label
    listed = (await client.get("/api/services/agreements", headers=desk)).json()
    assert [(a["unit_id"], a["unit"]) for a in listed] == [("unit_1_202", "1栋-202")]
    case = await _dispatched_case(client, desk, r.json()["id"])
    assert (case["unit_id"], case["address"]) == ("unit_1_202", "1栋-202")
    # The cleaner's phone is told the door.
    phone = Phone(client, await login(client, "cleaner", device="agreement phone"))
    await phone.pull()
    job = next(j for j in phone.jobs().values() if j["case_id"] == case["id"])
    assert job["address"] == "1栋-202" and job["booking_no"]


async def test_an_agreement_stored_before_agreements_named_a_unit_still_books(client, db):  # R-SS-2
    from server.storage.tables_services import service_agreements

    desk = await login(client, "frontdesk")
    async with db.transaction() as uow:
        for agreement_id, unit in (("agr_old_typed", "2栋801"), ("agr_old_label", "1栋-202")):
            doc = {"id": agreement_id, "item_code": "laundry", "resident_name": "林业主", "unit": unit,
                   "phone": "13800000004", "fee_cents": 1200, "signed_at": "2026-01-01T00:00:00Z",
                   "valid_until": "2027-11-23T00:00:00Z"}  # as stored before: no unit_id
            await uow.conn.execute(service_agreements.insert().values(
                id=agreement_id, compound_id="cmp_demo", item_code="laundry",
                valid_until=datetime.fromisoformat("2027-11-23T00:00:00+00:00"), doc=msgspec.json.encode(doc).decode()))
    listed = {a["id"]: a for a in (await client.get("/api/services/agreements", headers=desk)).json()}
    assert listed["agr_old_typed"]["unit_id"] is None and listed["agr_old_typed"]["unit"] == "2栋801"
    case = await _dispatched_case(client, desk, "agr_old_typed")
    assert (case["unit_id"], case["address"]) == (None, "2栋801")  # as typed then, never guessed
    case = await _dispatched_case(client, desk, "agr_old_label")
    assert (case["unit_id"], case["address"]) == ("unit_1_202", "1栋-202")  # the text is a registered label


async def test_special_service_from_ordinary_intake_cannot_be_dispatched(client):  # R-SS-1 R-SS-2 R-SS-3
    desk = await login(client, "frontdesk")
    disp = await login(client, "dispatcher")
    # The intake form takes kind special_service with a fee typed by hand: no approved item, no consent.
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "special_service", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": "换水龙头", "service_code": "home_repair", "fee_quote_cents": 5000})
    assert r.status_code == 201, r.text
    cid = r.json()["case"]["id"]
    assert (await client.post(f"/api/cases/{cid}/decide", headers=desk,
                              json={"open": True, "reason": "A"})).status_code == 200
    for who in (desk, disp):
        r = await client.post(f"/api/cases/{cid}/dispatch", headers=who, json={
            "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["code"] == "case.special_service_needs_booking" and body["details"]["missing"] == ["booking"]
        assert "特约服务" in body["message"] and body["message_en"]
    case = (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]
    assert case["state"] == "opened" and case["work_orders"] == []


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_booking_promise_runs_from_consent_and_team_order_from_dispatch(client, clock):  # R-FU-7
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk))["booking"]["id"]
    clock.advance(minutes=3)
    accepted = T0 + timedelta(minutes=3)  # the resident accepts the fee and is told "within 25 minutes"
    r = await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 8000})
    assert _at(r.json()["booking"]["arrive_by"]) == accepted + timedelta(minutes=25)
    clock.advance(minutes=2)  # dispatched 2 minutes after consent, to the team lead
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={"assignee_id": "usr_lead"})
    assert r.status_code == 200, r.text
    b, case_id = r.json()["booking"], r.json()["case_id"]
    assert _at(b["arrive_by"]) == accepted + timedelta(minutes=25)  # not dispatch + 25
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    assert _at(view["case"]["received_at"]) == accepted and view["case"]["booking_id"] == bid
    assert _at(view["case"]["work_orders"][0]["deadline_at"]) == accepted + timedelta(minutes=22)  # 20 from dispatch
    due = {c["code"]: _at(c["due_at"]) for c in view["clocks"]}
    assert due["FU7_PAID_PROMISE_25M"] == accepted + timedelta(minutes=25)
    assert due["FU7_PAID_ARRIVE_20M"] == accepted + timedelta(minutes=22)

    # The lead passes it on 8 minutes later: 20 more minutes would pass the promise, so it is capped.
    clock.advance(minutes=8)
    lead = await login(client, "lead")
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=lead, json={"assignee_id": "usr_tech"})
    assert r.status_code == 200, r.text
    active = [w for w in r.json()["case"]["work_orders"] if w["state"] != "cancelled"]
    assert [w["assignee_id"] for w in active] == ["usr_tech"]
    assert _at(active[0]["deadline_at"]) == accepted + timedelta(minutes=25)


async def test_loss_review_compares_revenue_with_cost_for_the_manager(client):  # R-SS-4
    mgr = await login(client, "manager")
    params = {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z", "cost_cents": 30000}
    r = await client.get("/api/services/items/unlock/loss-review", headers=mgr, params=params)
    assert r.status_code == 200, r.text
    review = r.json()
    assert review["revenue_cents"] == 0 and review["margin_cents"] == -30000 and review["loss_making"] is True
    desk = await login(client, "frontdesk")
    assert (await client.get("/api/services/items/unlock/loss-review", headers=desk,
                             params=params)).status_code == 403
    r = await client.post("/api/services/items/unlock/loss-decision", headers=mgr, json={
        "start": params["start"], "end": params["end"], "cost_cents": 30000, "decision": "raise_price",
        "new_fee_cents": 6000})
    assert r.status_code == 200, r.text
    # A price rise is only a proposal until the general manager approves it.
    assert r.json()["item"]["fee_cents"] == 5000 and r.json()["item"]["pending_fee_cents"] == 6000


async def test_an_item_beyond_its_column_or_promising_more_than_a_week_is_refused(client):  # R-SS-1 R-FU-7
    mgr = await login(client, "manager")
    base = {"name_zh": "地毯清洗", "name_en": "Carpet cleaning", "fee_cents": 9000, "unit": "per_piece"}
    # The code keys service_items (40 characters; PostgreSQL refused longer ones: a 500), and the
    # promise is added to the moment of consent (2**62 minutes overflowed the clock on every booking).
    for over in ({"code": "c" * 41, "promise_minutes": 25}, {"code": "carpet", "promise_minutes": 2**62},
                 {"code": "carpet", "promise_minutes": 7 * 24 * 60 + 1}):
        r = await client.post("/api/services/items", headers=mgr, json={**base, **over})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (over, r.text)
    items = {i["code"] for i in (await client.get("/api/services/items", headers=mgr)).json()}
    assert "carpet" not in items
    r = await client.post("/api/services/items", headers=mgr, json={**base, "code": "c" * 40, "promise_minutes": 7 * 24 * 60})
    assert r.status_code == 201, r.text


async def test_instants_outside_any_plausible_year_are_refused_by_the_services_routes(client):  # R-SS-2 R-SS-4
    # Year 1 in +14:00 or year 9999 in -14:00 cannot be converted to UTC for storage or a query
    # (an OverflowError, a 500 on both engines); an instant without an offset is no instant.
    mgr = await login(client, "manager")
    desk = await login(client, "frontdesk")
    for instant in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T00:00:00Z",
                    "2026-12-01T00:00:00"):
        r = await client.post("/api/services/items/unlock/loss-decision", headers=mgr, json={
            "start": instant, "end": "2026-12-01T00:00:00Z", "cost_cents": 30000, "decision": "promote"})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (instant, r.text)
        r = await client.get("/api/services/items/unlock/loss-review", headers=mgr, params={
            "start": "2026-11-01T00:00:00Z", "end": instant, "cost_cents": 30000})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (instant, r.text)
        r = await client.post("/api/services/agreements", headers=desk, json={
            "item_code": "laundry", "resident_name": "林业主", "unit": "1栋-202", "phone": "13800000004",
            "fee_cents": 1200, "valid_until": instant})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (instant, r.text)
    r = await client.post("/api/services/items/unlock/loss-decision", headers=mgr, json={
        "start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00Z", "cost_cents": 30000,
        "decision": "promote"})
    assert r.status_code == 200, r.text  # any offset is fine for an instant in a real year


async def test_the_booking_carries_what_the_settlement_statement_prints(client):  # R-SS-3 R-SS-2 R-CL-6
    await _approved_item(client, code="moving", fee=20000, advance="prepayment", advance_cents=5000)
    desk = await login(client, "frontdesk")
    cashier = await login(client, "cashier")
    bid = (await _book(client, desk, "moving"))["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 20000})
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=cashier,
                          json={"amount_cents": 5000, "receipt_no": "YF-7"})
    assert r.status_code == 200, r.text
    b = r.json()["booking"]
    # The advance is kept with who took it and when: the statement prints it before any settlement.
    assert (b["advance_paid_by"], b["advance_paid_by_name"], b["advance_receipt_no"]) == (
        "usr_cashier", "何收银", "YF-7")
    assert b["advance_paid_at"]
    # A retry (or a second cashier's tab) cannot record the advance again over the first receipt.
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=cashier,
                          json={"amount_cents": 5000, "receipt_no": "YF-8"})
    assert r.status_code == 409 and r.json()["code"] == "special_service.advance_already_paid", r.text
    again = (await client.get(f"/api/services/bookings/{bid}", headers=cashier)).json()["booking"]
    assert (again["advance_receipt_no"], again["advance_paid_at"]) == ("YF-7", b["advance_paid_at"])
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    case = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    assert r.json()["booking"]["case_no"] == case["no"]  # quoted on the statement as people know it
    # The case's opening note says what was booked, for whom and by when, not a booking id.
    note = case["opening"]["note"]
    assert bid not in note
    booking_no = r.json()["booking"]["booking_no"]
    assert booking_no  # the number the resident and the cashier quote (D39)
    assert note.startswith(f"特约服务预约 {booking_no}：擦窗，住户 黄业主 1栋-101，承诺 ") and note.endswith("前到达")

    await complete_on_phone(client, case_id, work_done="搬运完毕", materials="", fee_cents=20000)
    slip = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["slip"]
    r = await client.post(f"/api/services/bookings/{bid}/settle", headers=cashier,
                          json={"amount_cents": 15000, "receipt_no": "SJ-8"})
    assert r.status_code == 200, r.text
    view = next(v for v in (await client.get("/api/services/bookings", headers=cashier)).json()
                if v["booking"]["id"] == bid)
    b = view["booking"]
    assert (b["unit_fee_cents"], b["quantity"], b["slip_fee_cents"]) == (20000, 1, 20000)
    assert b["slip_hash"] == slip["content_hash"] and b["slip_hash"]  # the slip the resident signed
    assert (b["advance_paid_cents"], b["settled_cents"], b["receipt_no"]) == (5000, 15000, "SJ-8")
    assert (b["settled_by"], b["settled_by_name"]) == ("usr_cashier", "何收银")
    # The statement names the compound that issues it; the cashier learns it with their session.
    me = (await client.get("/api/me", headers=cashier)).json()
    assert me["compound_name"] == "翠湖花园（演示）"


async def test_one_booking_is_read_by_its_id_however_old_and_an_unknown_one_is_404(client):  # R-SS-3
    await _approved_item(client, code="moving", fee=20000, advance="prepayment", advance_cents=5000)
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk, "moving"))["booking"]["id"]
    cashier = await login(client, "cashier")
    r = await client.get(f"/api/services/bookings/{bid}", headers=cashier)
    assert r.status_code == 200, r.text
    listed = next(v for v in (await client.get("/api/services/bookings", headers=cashier)).json()
                  if v["booking"]["id"] == bid)
    assert r.json() == listed  # the same view the list gives, for a booking the list no longer holds
    r = await client.get("/api/services/bookings/bk_nope", headers=cashier)
    assert r.status_code == 404 and r.json()["code"] == "special_service.booking.not_found", r.text
    # A role that may not read bookings may not read one either.
    r = await client.get(f"/api/services/bookings/{bid}", headers=await login(client, "tech"))
    assert r.status_code == 403, r.text


async def test_a_fee_not_in_whole_units_is_completed_at_the_desk_never_above_what_was_signed(client):  # R-SS-3
    await _approved_item(client, code="porter", fee=5000, unit="per_hour")
    desk = await login(client, "frontdesk")
    bid = (await _book(client, desk, "porter"))["booking"]["id"]
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 5000})
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    # 125.00 on a 50.00-per-hour item: not a whole number of hours, so the booking waits for the desk.
    await complete_on_phone(client, case_id, work_done="搬运两个半小时", materials="", fee_cents=12500)
    assert (await client.get(f"/api/services/bookings/{bid}", headers=desk)).json()["booking"]["state"] == "dispatched"

    r = await client.post(f"/api/services/bookings/{bid}/complete", headers=desk, json={"quantity": 3})
    assert r.status_code == 400 and r.json()["code"] == "special_service.amount_above_signed", r.text
    assert (await client.get(f"/api/services/bookings/{bid}", headers=desk)).json()["booking"]["state"] == "dispatched"
    r = await client.post(f"/api/services/bookings/{bid}/complete", headers=desk, json={"quantity": 2})
    assert r.status_code == 200, r.text
    b = r.json()["booking"]
    assert (b["slip_fee_cents"], b["signed_fee_cents"], r.json()["balance_due_cents"]) == (10000, 12500, 10000)


async def test_two_bookings_get_distinct_consecutive_numbers(client, clock):  # R-SS-2
    # A booking is quoted by a number from the moment it is taken, like a case (D39).
    desk = await login(client, "frontdesk")
    assert (await _book(client, desk))["booking"]["booking_no"] == "TY20261123-001"
    # Five desks booking in the same instant: each its own number, none skipped (on PostgreSQL the
    # counter row is locked by the first and the others wait for it).
    many = await asyncio.gather(*(_book(client, desk, "unlock") for _ in range(5)))
    assert sorted(v["booking"]["booking_no"] for v in many) == [f"TY20261123-{n:03d}" for n in range(2, 7)]
    # A booking under a long-term agreement is numbered in the same sequence.
    r = await _book_under_agreement(client, desk)
    assert r.status_code == 201 and r.json()["booking"]["booking_no"] == "TY20261123-007", r.text
    # The compound's next day (midnight in Shanghai) starts again at 001.
    clock.advance(hours=14)
    assert (await _book(client, desk))["booking"]["booking_no"] == "TY20261124-001"


async def test_the_statement_before_dispatch_carries_the_booking_number(client):  # R-SS-2 R-SS-3
    await _approved_item(client, code="moving", fee=20000, advance="prepayment", advance_cents=5000)
    desk = await login(client, "frontdesk")
    cashier = await login(client, "cashier")
    booked = (await _book(client, desk, "moving"))["booking"]
    bid, no = booked["id"], booked["booking_no"]
    assert no == "TY20261123-001"
    await client.post(f"/api/services/bookings/{bid}/consent", headers=desk, json={"shown_fee_cents": 20000})
    r = await client.post(f"/api/services/bookings/{bid}/advance", headers=cashier,
                          json={"amount_cents": 5000, "receipt_no": "YF-9"})
    assert r.status_code == 200 and r.json()["booking"]["booking_no"] == no, r.text
    # What the statement reads (the booking by its id) names it by its number; no case exists yet.
    b = (await client.get(f"/api/services/bookings/{bid}", headers=cashier)).json()["booking"]
    assert (b["booking_no"], b["case_no"]) == (no, None)
    listed = [v["booking"]["booking_no"] for v in (await client.get("/api/services/bookings", headers=cashier)).json()]
    assert listed == [no]
    r = await client.post(f"/api/services/bookings/{bid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    assert r.json()["booking"]["booking_no"] == no and r.json()["booking"]["case_no"].startswith("GD20261123-")


async def test_bookings_stored_before_numbering_get_numbers_from_the_migration(empty_db_url):  # R-SS-2
    from alembic import command
    from sqlalchemy import insert, select
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.domain import special_services as sp
    from server.storage.migrate import alembic_config, upgrade
    from server.storage.schema import compounds, counters
    from server.storage.tables_services import service_bookings

    def migrate(step, target: str):  # noqa: ANN001, ANN202
        def run(sync_conn) -> None:  # noqa: ANN001
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            step(cfg, target)
        return run

    def old_doc(bid: str, at: datetime) -> str:
        b = sp.Booking(id=bid, item_code="unlock", mode=sp.BookingMode.ONCE, resident_name="黄业主", unit="1栋-101",
                       phone="13800000001", booked_at=at, booked_by="usr_frontdesk", unit_fee_cents=5000,
                       promise_minutes=25)
        doc = msgspec.to_builtins(b)
        del doc["booking_no"]  # as stored before the field existed
        return msgspec.json.encode(doc).decode()

    # Local (Shanghai) days: T0 and T0+1h are 11-23; 17:00 UTC is already 01:00 on 11-24.
    stored = [("bkg_b", T0 + timedelta(hours=1)), ("bkg_a", T0), ("bkg_c", T0.replace(hour=17))]
    engine = create_async_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate(command.upgrade, "0005_services"))
            await conn.execute(insert(compounds).values(id="cmp_x", name="x", calendar='{"tz": "Asia/Shanghai"}',
                                                        policy="{}", created_at=T0))
            for bid, at in stored:
                await conn.execute(insert(service_bookings).values(
                    id=bid, compound_id="cmp_x", item_code="unlock", state="booked", content="", booked_at=at,
                    doc=old_doc(bid, at)))
        await upgrade(empty_db_url)
        # Down and up again: the column goes and comes back, the counters are set afresh, not doubled.
        async with engine.begin() as conn:
            await conn.run_sync(migrate(command.downgrade, "0011_booking_no-1"))
            assert "booking_no" not in {c["name"] for c in await conn.run_sync(
                lambda c: sa_inspect(c).get_columns("service_bookings"))}
        await upgrade(empty_db_url)
        async with engine.connect() as conn:
            rows = {r.id: r for r in (await conn.execute(select(
                service_bookings.c.id, service_bookings.c.booking_no, service_bookings.c.doc))).all()}
            count = dict((await conn.execute(select(counters.c.name, counters.c.value))).all())
    finally:
        await engine.dispose()
    # Numbered in booking order within each local day; the document (what views read) agrees.
    assert {k: r.booking_no for k, r in rows.items()} == {
        "bkg_a": "TY20261123-001", "bkg_b": "TY20261123-002", "bkg_c": "TY20261124-001"}
    assert all(msgspec.json.decode(r.doc, type=sp.Booking).booking_no == r.booking_no for r in rows.values())
    # The day counters continue after them: the next booking of 11-23 is 003.
    assert count["booking_no:cmp_x:20261123"] == 2 and count["booking_no:cmp_x:20261124"] == 1
