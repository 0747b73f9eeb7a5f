"""The desk puts refused field records right: whom to call, and several records handled at once (D28, D68).

Each refused record comes with the case's state now and who holds its job now (name, role, phone)
beside who sent it; records refused for one reason are marked handled in one step with one note,
in one transaction, all or none. Runs on SQLite and PostgreSQL (ESTATEDESK_TEST_DB).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from server.storage.schema import audit, field_refusals
from tests.conftest import login
from tests.integration.scenarios import (
    Phone,
    new_repair,
    reassigned_before_sync,
    signature_png,
    upload,
)

HANDLE_MANY = "/api/field-refusals/handle-many"


async def _reassigned_while_offline(client, content: str = "卫生间地漏堵塞"):  # noqa: ANN001, ANN202
    """tech holds the job on the phone; the desk gives it to tech2 (刘师傅) before the phone syncs, and
    the phone's arrival, note and signed completion are then all refused (case.work_order_withdrawn)."""
    desk, case, phone, job_id, sig = await reassigned_before_sync(client, content)
    res = await phone.push(
        phone.mutation("job.arrive", job_id=job_id),
        phone.mutation("job.note", job_id=job_id, text="地漏里有头发团"),
        phone.mutation("job.complete", job_id=job_id, work_done="疏通地漏", signature_sha256=sig,
                       signer_name="黄业主", signer_relation="owner"))
    assert [(x["status"], x["code"]) for x in res["results"]] == [("rejected", "case.work_order_withdrawn")] * 3, res
    return desk, case, phone


def _keys(phone: Phone, *ids: int) -> list[dict]:
    return [{"client_id": phone.client_id, "mutation_id": i} for i in ids]


async def _open_ones(client, desk, phone: Phone) -> list[int]:  # noqa: ANN001
    listed = (await client.get("/api/field-refusals", headers=desk)).json()
    return sorted(x["mutation_id"] for x in listed if x["client_id"] == phone.client_id)


async def _handled_audits(demo_db) -> int:  # noqa: ANN001
    async with demo_db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(audit)
                                   .where(audit.c.action == "refusal.handled"))).scalar()


async def test_each_refused_record_names_who_holds_the_job_now_beside_who_sent_it(client):  # noqa: ANN001  # R-IN-9, D28
    desk, case, phone = await _reassigned_while_offline(client)
    listed = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
              if x["client_id"] == phone.client_id]
    assert len(listed) == 3
    for x in listed:
        # Sent by 张师傅 (technician), whose order was withdrawn; the job is 刘师傅's now, not started.
        assert (x["user_name"], x["user_roles"], x["user_phone"]) == ("张师傅", ["technician"], "13900000000")
        assert x["case_state"] == "dispatched"
        holder = x["holder"]
        assert (holder["user_id"], holder["name"], holder["role"], holder["work_order_state"]) == (
            "usr_tech2", "刘师傅", "technician", "dispatched")
        assert holder["phone"] == "13900000006" and holder["work_order_id"] != x["args"]["job_id"]
    # The case's own list (its whole history) says the same.
    by_case = (await client.get("/api/field-refusals", headers=desk,
                                params={"case_id": case["id"], "include_handled": True})).json()
    assert {x["holder"]["name"] for x in by_case} == {"刘师傅"}


async def test_the_holder_and_state_follow_the_case_after_the_new_holder_finishes(client):  # noqa: ANN001  # R-IN-9
    desk, case, phone = await _reassigned_while_offline(client)
    other = Phone(client, await login(client, "tech2", device="phone2"))
    await other.pull()
    job_id = next(j for j, d in other.jobs().items() if d["case_id"] == case["id"])
    sig = await upload(client, other.headers, signature_png("tech2" + case["id"]))
    res = await other.push(
        other.mutation("job.accept", job_id=job_id), other.mutation("job.arrive", job_id=job_id),
        other.mutation("job.complete", job_id=job_id, work_done="疏通地漏", signature_sha256=sig,
                       signer_name="黄业主", signer_relation="owner"))
    assert [x["status"] for x in res["results"]] == ["applied"] * 3, res
    [first, *_] = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
                   if x["client_id"] == phone.client_id]
    # Nobody works on it now, but 刘师傅 had it last and completed it: still the one to ask.
    assert first["case_state"] == "completed"
    assert (first["holder"]["name"], first["holder"]["work_order_state"]) == ("刘师傅", "completed")


async def test_a_refusal_on_a_case_nobody_holds_says_so(client):  # noqa: ANN001
    # A phone writing on a case nobody was ever given (a stale or forged job id): the record is kept
    # with its case, whose state says it waits for dispatch, and there is nobody to call but the sender.
    desk = await login(client, "dispatcher")
    case = (await new_repair(client, desk, content="楼道灯闪"))["case"]
    phone = Phone(client, await login(client, "tech", device="phone"))
    res = await phone.push(phone.mutation("job.note", job_id=f"{case['id']}-w1", text="灯在闪"))
    assert res["results"][0]["status"] == "rejected", res
    [got] = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
             if x["client_id"] == phone.client_id]
    assert (got["case_id"], got["case_state"], got["holder"]) == (case["id"], "received", None)


async def test_records_refused_for_one_reason_are_handled_in_one_step_with_one_note(client, demo_db):  # noqa: ANN001  # D28
    desk, case, phone = await _reassigned_while_offline(client)
    before = await _handled_audits(demo_db)
    r = await client.post(HANDLE_MANY, headers=desk,
                          json={"items": _keys(phone, 3, 1, 2), "note": "已改派刘师傅，明早上门请业主补签"})
    assert r.status_code == 200, r.text
    got = r.json()
    # Answered in the order asked, each with the note, who and when, and whom to call now.
    assert [x["mutation_id"] for x in got] == [3, 1, 2]
    assert {(x["handled_by"], x["handled_note"]) for x in got} == {("usr_dispatcher", "已改派刘师傅，明早上门请业主补签")}
    assert len({x["handled_at"] for x in got}) == 1 and all(x["holder"]["name"] == "刘师傅" for x in got)
    assert await _open_ones(client, desk, phone) == []
    history = (await client.get("/api/field-refusals", headers=desk,
                                params={"case_id": case["id"], "include_handled": True})).json()
    assert sorted(x["mutation_id"] for x in history if x["handled_at"]) == [1, 2, 3]
    # Each record's handling is in the audit chain, as when handled one by one.
    assert await _handled_audits(demo_db) == before + 3
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(audit.c.entity_id, audit.c.actor_id).where(
            audit.c.action == "refusal.handled", audit.c.entity_id.like(f"{phone.client_id}:%")))).all()
    assert sorted(rows) == [(f"{phone.client_id}:{i}", "usr_dispatcher") for i in (1, 2, 3)]


async def test_a_selection_with_one_record_already_handled_marks_none(client, demo_db):  # noqa: ANN001  # D28
    desk, _, phone = await _reassigned_while_offline(client)
    r = await client.post(f"/api/field-refusals/{phone.client_id}/2/handle", headers=desk, json={"note": "已转告刘师傅"})
    assert r.status_code == 200, r.text
    before = await _handled_audits(demo_db)
    r = await client.post(HANDLE_MANY, headers=desk, json={"items": _keys(phone, 1, 2, 3), "note": "已改派"})
    assert (r.status_code, r.json()["code"]) == (409, "refusal.already_handled"), r.text
    body = r.json()
    assert body["message"] and body["message_en"]
    assert [(i["client_id"], i["mutation_id"], i["handled_by"]) for i in body["details"]["items"]] == [
        (phone.client_id, 2, "usr_dispatcher")]
    # All or nothing: the other two are still open and nothing was audited.
    assert await _open_ones(client, desk, phone) == [1, 3]
    assert await _handled_audits(demo_db) == before


async def test_a_selection_naming_a_record_the_desk_cannot_see_marks_none(client, demo_db):  # noqa: ANN001  # D28
    desk, _, phone = await _reassigned_while_offline(client)
    # Another compound's refused record, and one that does not exist at all: neither is visible here.
    async with demo_db.transaction() as uow:
        await uow.conn.execute(insert(field_refusals).values(
            client_id="otherphone01", mutation_id=1, compound_id="cp_elsewhere", user_id="usr_tech",
            case_id=None, type="job.note", code="case.work_order_withdrawn", message="x", message_en="x",
            args="{}", device_time=None, received_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    before = await _handled_audits(demo_db)
    items = [*_keys(phone, 1), {"client_id": "otherphone01", "mutation_id": 1},
             {"client_id": phone.client_id, "mutation_id": 99}]
    r = await client.post(HANDLE_MANY, headers=desk, json={"items": items, "note": "已处理"})
    assert (r.status_code, r.json()["code"]) == (404, "refusal.not_found"), r.text
    assert r.json()["details"]["items"] == items[1:]
    assert await _open_ones(client, desk, phone) == [1, 2, 3]
    assert await _handled_audits(demo_db) == before
    async with demo_db.read() as conn:
        other = (await conn.execute(select(field_refusals.c.handled_at).where(
            field_refusals.c.client_id == "otherphone01"))).scalar_one()
    assert other is None


async def test_records_refused_for_different_reasons_are_handled_separately(client):  # noqa: ANN001  # D28
    desk, case, phone = await _reassigned_while_offline(client)
    # tech2 writes on the order that was tech's: refused as out of scope, another reason.
    other = Phone(client, await login(client, "tech2", device="phone2"))
    res = await other.push(other.mutation("job.note", job_id=f"{case['id']}-w1", text="我来看看"))
    assert res["results"][0]["code"] == "scope.not_assigned", res
    items = [*_keys(phone, 1), {"client_id": other.client_id, "mutation_id": 1}]
    r = await client.post(HANDLE_MANY, headers=desk, json={"items": items, "note": "已处理"})
    assert (r.status_code, r.json()["code"]) == (400, "refusal.mixed_reasons"), r.text
    assert r.json()["details"]["codes"] == ["case.work_order_withdrawn", "scope.not_assigned"]
    assert await _open_ones(client, desk, phone) == [1, 2, 3]


async def test_a_selection_must_name_some_records_once_each_with_a_note(client):  # noqa: ANN001  # D28
    desk, _, phone = await _reassigned_while_offline(client)
    for body, status, code in [
        ({"items": [], "note": "已处理"}, 400, "refusal.none_selected"),
        ({"items": _keys(phone, 1, 2, 1), "note": "已处理"}, 400, "refusal.listed_twice"),
        ({"items": _keys(phone, 1, 2), "note": "   "}, 400, "refusal.note_required"),
        ({"items": _keys(phone, 1), "note": "x", "extra": 1}, 400, "request.invalid"),
        ({"items": [{"client_id": phone.client_id, "mutation_id": 0}], "note": "x"}, 400, "request.invalid"),
    ]:
        r = await client.post(HANDLE_MANY, headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    assert await _open_ones(client, desk, phone) == [1, 2, 3]


async def test_only_the_desk_handles_records_in_one_step(client):  # noqa: ANN001  # D28
    _, _, phone = await _reassigned_while_offline(client)
    for who in ("tech", "deputy", "lead"):
        headers = await login(client, who, device=f"d-{who}")
        r = await client.post(HANDLE_MANY, headers=headers, json={"items": _keys(phone, 1), "note": "x"})
        assert r.status_code == 403, (who, r.text)


async def test_two_desks_handling_overlapping_selections_at_once_handle_each_record_once(client, demo_db):  # noqa: ANN001  # D28
    desk, _, phone = await _reassigned_while_offline(client)
    front = await login(client, "frontdesk")
    before = await _handled_audits(demo_db)
    a, b = await asyncio.gather(
        client.post(HANDLE_MANY, headers=desk, json={"items": _keys(phone, 1, 2), "note": "调度已处理"}),
        client.post(HANDLE_MANY, headers=front, json={"items": _keys(phone, 3, 2), "note": "前台已处理"}))
    assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
    loser = a if a.status_code == 409 else b
    assert loser.json()["code"] == "refusal.already_handled"
    assert [i["mutation_id"] for i in loser.json()["details"]["items"]] == [2]
    # The winner's two are handled, with its note; the loser's other record is still open.
    winner_ids = [1, 2] if a.status_code == 200 else [3, 2]
    assert await _open_ones(client, desk, phone) == [i for i in (1, 2, 3) if i not in winner_ids]
    assert await _handled_audits(demo_db) == before + 2
