"""The supervisor's morning review of the last shift's handover sheet, through the API.

The night's sheet lists two open cases: A (opened and dispatched) and B (an intake not yet decided).
Before the review the day dispatcher settles B as not opened, so only A is still unfinished.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from server.storage.schema import audit, handovers
from tests.conftest import T0, login
from tests.integration.scenarios import new_repair, open_and_dispatch

SIG = "5" * 64


async def _signed_sheet(client) -> dict:  # noqa: ANN001
    """Dispatcher hands over to the front desk; both sign. Returns {sheet, a, b}."""
    desk = await login(client, "dispatcher")
    a = (await new_repair(client, desk, content="A 水管漏水"))["case"]["id"]
    await open_and_dispatch(client, desk, a)
    b = (await new_repair(client, desk, content="B 门铃不响"))["case"]["id"]
    r = await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_frontdesk", "notes": "夜班"})
    assert r.status_code == 201, r.text
    sheet = r.json()
    assert {i["case_id"] for i in sheet["items"]} == {a, b}
    r = await client.post(f"/api/handovers/{sheet['id']}/sign-outgoing", headers=desk, json={"signature_sha256": SIG})
    assert r.status_code == 200, r.text
    front = await login(client, "frontdesk")
    r = await client.post(f"/api/handovers/{sheet['id']}/sign-incoming", headers=front, json={"signature_sha256": SIG})
    assert r.status_code == 200, r.text
    return {"sheet": r.json(), "a": a, "b": b}


async def _review(client, username: str, sheet_id: str, note: str = ""):  # noqa: ANN001, ANN202
    return await client.post(f"/api/handovers/{sheet_id}/review", headers=await login(client, username),
                             json={"note": note})


async def test_manager_reviews_a_signed_sheet_and_sees_what_is_still_open(client, clock, demo_db):  # R-SH-1
    s = await _signed_sheet(client)
    desk = await login(client, "dispatcher")
    r = await client.post(f"/api/cases/{s['b']}/decide", headers=desk,
                          json={"open": False, "reason": "F", "note": "已解释，业主自行处理"})
    assert r.status_code == 200, r.text
    clock.advance(hours=9)
    r = await _review(client, "manager", s["sheet"]["id"], " 催办A ")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sheet"]["reviewed_by"] == "usr_manager"
    assert msgspec.convert(body["sheet"]["reviewed_at"], type=type(T0)) == clock.now()
    assert body["sheet"]["review_note"] == "催办A"
    assert [i["case_id"] for i in body["unfinished"]] == [s["a"]]
    # Stored on the sheet document itself, and in the audit trail.
    async with demo_db.read() as conn:
        doc = msgspec.json.decode((await conn.execute(
            select(handovers.c.doc).where(handovers.c.id == s["sheet"]["id"]))).scalar_one())
        actors = (await conn.execute(select(audit.c.actor_id).where(
            audit.c.entity_id == s["sheet"]["id"], audit.c.action == "handover.reviewed"))).scalars().all()
    assert (doc["reviewed_by"], doc["review_note"]) == ("usr_manager", "催办A")
    assert actors == ["usr_manager"]
    listed = (await client.get("/api/handovers", headers=desk)).json()
    assert next(x for x in listed if x["id"] == s["sheet"]["id"])["reviewed_by"] == "usr_manager"


async def test_only_a_supervisor_reviews(client):  # R-SH-1
    s = await _signed_sheet(client)
    sid = s["sheet"]["id"]
    r = await _review(client, "dispatcher", sid)
    assert (r.status_code, r.json()["code"]) == (403, "handover.not_supervisor")
    r = await _review(client, "tech", sid)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    r = await _review(client, "cashier", sid)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    # The team lead is a supervisor: reads the sheets and reviews.
    lead = await login(client, "lead")
    assert (await client.get("/api/handovers", headers=lead)).status_code == 200
    r = await _review(client, "lead", sid)
    assert r.status_code == 200, r.text
    assert r.json()["sheet"]["reviewed_by"] == "usr_lead"


async def test_leadership_may_review(client):  # R-SH-1
    s = await _signed_sheet(client)
    r = await _review(client, "gm", s["sheet"]["id"])
    assert r.status_code == 200, r.text
    assert r.json()["sheet"]["reviewed_by"] == "usr_gm"


async def test_a_sheet_not_signed_by_both_sides_cannot_be_reviewed(client):  # R-SH-1
    desk = await login(client, "dispatcher")
    await new_repair(client, desk)
    sheet = (await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_frontdesk"})).json()
    await client.post(f"/api/handovers/{sheet['id']}/sign-outgoing", headers=desk, json={"signature_sha256": SIG})
    r = await _review(client, "manager", sheet["id"])
    assert (r.status_code, r.json()["code"]) == (409, "handover.not_complete")
    assert r.json()["details"]["missing"] == ["incoming_signature"]
    listed = (await client.get("/api/handovers", headers=desk)).json()
    assert next(x for x in listed if x["id"] == sheet["id"])["reviewed_at"] is None  # nothing stored


async def test_the_first_review_stands(client, clock):  # R-SH-1
    s = await _signed_sheet(client)
    first = (await _review(client, "manager", s["sheet"]["id"], "已催办")).json()["sheet"]
    clock.advance(hours=1)
    r = await _review(client, "deputy", s["sheet"]["id"], "再看")
    assert (r.status_code, r.json()["code"]) == (409, "handover.already_reviewed")
    listed = (await client.get("/api/handovers", headers=await login(client, "manager"))).json()
    kept = next(x for x in listed if x["id"] == s["sheet"]["id"])
    assert (kept["reviewed_by"], kept["reviewed_at"], kept["review_note"]) == (
        "usr_manager", first["reviewed_at"], "已催办")


async def test_an_unknown_sheet_is_not_found(client):  # R-SH-1
    r = await _review(client, "manager", "hov_nope")
    assert (r.status_code, r.json()["code"]) == (404, "handover.not_found")


async def test_a_sheet_is_handed_to_a_desk_account_that_can_sign_it(client):  # R-SH-1
    desk = await login(client, "dispatcher")
    for incoming in ("", "usr_nobody", "usr_tech"):  # nobody, unknown, not a desk role
        r = await client.post("/api/handovers", headers=desk, json={"incoming_id": incoming, "notes": ""})
        assert r.status_code == 400 and r.json()["code"] == "handover.incoming_unknown", (incoming, r.text)
    r = await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_control", "notes": "夜班"})
    assert r.status_code == 201, r.text



async def test_the_morning_review_s_unfinished_items_are_read_again_after_a_reload(client, clock):  # noqa: ANN001  # R-SH-1
    s = await _signed_sheet(client)
    desk = await login(client, "dispatcher")
    r = await client.post(f"/api/cases/{s['b']}/decide", headers=desk,
                          json={"open": False, "reason": "F", "note": "已解释"})
    assert r.status_code == 200, r.text
    r = await _review(client, "lead", s["sheet"]["id"], "催办A")
    assert r.status_code == 200, r.text
    # The list the page loads again carries what the review found still open.
    sheets = (await client.get("/api/handovers", headers=await login(client, "lead"))).json()
    sheet = next(x for x in sheets if x["id"] == s["sheet"]["id"])
    assert sheet["unfinished_case_ids"] == [s["a"]]


async def test_a_written_inquiry_left_unopened_is_handed_over_until_it_is_answered_in_writing(client, clock):  # noqa: ANN001  # R-SH-1, R-IN-5
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "written", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": "来信询问明年物业费是否调整"})
    letter = r.json()["case"]["id"]
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "phone", "contact_name": "吴业主", "phone": "13800000022",
        "unit_id": "unit_1_101", "content": "电话询问停车费"})
    phoned = r.json()["case"]["id"]
    for cid in (letter, phoned):
        r = await client.post(f"/api/cases/{cid}/decide", headers=desk,
                              json={"open": False, "reason": "F", "note": "已当面解释，业主接受"})
        assert r.status_code == 200, r.text
    r = await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_frontdesk", "notes": "夜班"})
    assert r.status_code == 201, r.text
    sheet = r.json()
    items = {i["case_id"]: i for i in sheet["items"]}
    assert letter in items and phoned not in items
    assert (items[letter]["state"], items[letter]["written_reply_due"]) == ("not_opened", True)
    assert items[letter]["next_due_at"] is not None  # the written reply's 2-day limit
    r = await client.post(f"/api/handovers/{sheet['id']}/sign-outgoing", headers=desk, json={"signature_sha256": SIG})
    assert r.status_code == 200, r.text
    front = await login(client, "frontdesk")
    r = await client.post(f"/api/handovers/{sheet['id']}/sign-incoming", headers=front, json={"signature_sha256": SIG})
    assert r.status_code == 200, r.text
    # The incoming shift writes the reply; the morning review no longer presses on it.
    r = await client.post(f"/api/cases/{letter}/follow-up", headers=front,
                          json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面答复已投入信箱"})
    assert r.status_code == 200, r.text
    clock.advance(hours=9)
    r = await _review(client, "manager", sheet["id"])
    assert r.status_code == 200, r.text
    assert letter not in [i["case_id"] for i in r.json()["unfinished"]]
    r = await client.post("/api/handovers", headers=front, json={"incoming_id": "usr_dispatcher", "notes": "白班"})
    assert letter not in [i["case_id"] for i in r.json()["items"]]


async def test_an_emergency_the_incoming_desk_already_holds_is_signed_for_and_stays_theirs(client):  # noqa: ANN001  # R-SH-1 R-EM-3
    # Two sheets in a row to the same front desk: the second still lists the fire it holds since the
    # first, and signing it must neither be refused as "taking over from oneself" nor move the post.
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "值班保安", "phone": "13800000032", "address": "地下车库",
        "content": "车库冒烟", "help_kind": "disaster", "emergency_trigger": "fire"})
    assert r.status_code == 201, r.text
    em_id = r.json()["case"]["id"]
    front = await login(client, "frontdesk")
    for _ in range(2):
        r = await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_frontdesk", "notes": "夜班"})
        sheet = r.json()
        assert em_id in {i["case_id"] for i in sheet["items"] if i["is_emergency"]}
        r = await client.post(f"/api/handovers/{sheet['id']}/sign-outgoing", headers=desk, json={"signature_sha256": SIG})
        assert r.status_code == 200, r.text
        r = await client.post(f"/api/handovers/{sheet['id']}/sign-incoming", headers=front,
                              json={"signature_sha256": SIG, "takes_over_case_ids": [em_id]})
        assert r.status_code == 200, r.text
    case = (await client.get(f"/api/cases/{em_id}", headers=desk)).json()["case"]
    assert case["emergency"]["at_post_id"] == "usr_frontdesk"
