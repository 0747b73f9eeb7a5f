"""A refused field record reaches the desk with what it carried, and stays listed until handled.

Design guarantee 1 ("a rejection is shown to the person; it is never silently dropped") on the
desk's side: the phone shows the reason, and the record itself — the resident's signature on a job
reassigned meanwhile — is kept on the server for the service centre to act on. Runs on SQLite and
PostgreSQL (ESTATEDESK_TEST_DB).
"""

from __future__ import annotations

from sqlalchemy import func, select

from server.storage.schema import audit, field_refusals
from tests.conftest import login
from tests.integration.scenarios import (
    Phone,
    new_repair,
    open_and_dispatch,
    reassigned_before_sync,
    signature_png,
    upload,
)


async def _reassigned_completion(client):  # noqa: ANN001, ANN202
    """tech completes offline a job the desk meanwhile gave to tech2; the push is refused."""
    desk, case, phone, job_id, sig = await reassigned_before_sync(client, "卫生间地漏堵塞")
    res = await phone.push(
        phone.mutation("job.complete", job_id=job_id, work_done="疏通地漏", signature_sha256=sig,
                       signer_name="黄业主", signer_relation="owner"))
    assert res["results"][0]["status"] == "rejected", res
    return desk, case, phone, job_id, sig, res["results"][0]


async def test_a_refused_completion_reaches_the_desk_with_the_residents_signature(client):  # R-CL-1
    desk, case, phone, job_id, sig, result = await _reassigned_completion(client)
    r = await client.get("/api/field-refusals", headers=desk)
    assert r.status_code == 200, r.text
    mine = [x for x in r.json() if x["client_id"] == phone.client_id]
    assert len(mine) == 1
    got = mine[0]
    assert (got["type"], got["code"], got["case_id"], got["case_no"]) == (
        "job.complete", result["code"], case["id"], case["no"])
    assert got["user_id"] == "usr_tech" and got["user_name"]
    assert got["args"]["signature_sha256"] == sig and got["args"]["job_id"] == job_id
    assert got["args"]["signer_name"] == "黄业主"
    assert got["message"] and got["message_en"] and got["handled_at"] is None
    # The case's own list names it too, and the signature it points at can be opened by the desk.
    by_case = (await client.get("/api/field-refusals", headers=desk, params={"case_id": case["id"]})).json()
    assert [x["mutation_id"] for x in by_case] == [got["mutation_id"]]
    assert (await client.get(f"/api/blobs/{sig}", headers=desk)).status_code == 200


async def test_a_retried_refused_push_is_kept_once(client, demo_db):  # noqa: ANN001
    _, _, phone, job_id, _, result = await _reassigned_completion(client)
    # The phone lost the response and sends the same mutation again: a duplicate, not a second record.
    again = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id,
        "mutations": [{"mutation_id": 1, "type": "job.complete", "args": {"job_id": job_id}}]})
    assert again.json()["results"][0]["status"] == "duplicate"
    async with demo_db.read() as conn:
        n = (await conn.execute(select(func.count()).select_from(field_refusals)
                                .where(field_refusals.c.client_id == phone.client_id))).scalar()
    assert n == 1


async def test_an_applied_mutation_leaves_no_refusal(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    case = (await new_repair(client, desk))["case"]
    await open_and_dispatch(client, desk, case["id"])
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(iter(phone.jobs()))
    res = await phone.push(phone.mutation("job.note", job_id=job_id, text="已到楼下"))
    assert res["results"][0]["status"] == "applied"
    listed = (await client.get("/api/field-refusals", headers=desk)).json()
    assert all(x["client_id"] != phone.client_id for x in listed)


async def test_the_desk_marks_a_refusal_handled_once_with_a_note(client, demo_db):  # noqa: ANN001
    desk, case, phone, _, _, _ = await _reassigned_completion(client)
    url = f"/api/field-refusals/{phone.client_id}/1/handle"
    r = await client.post(url, headers=desk, json={"note": "  "})
    assert r.status_code == 400 and r.json()["code"] == "refusal.note_required"
    r = await client.post(url, headers=desk, json={"note": "已联系业主，由二号维修工上门补签"})
    assert r.status_code == 200, r.text
    assert r.json()["handled_by"] == "usr_dispatcher" and r.json()["handled_at"]
    r = await client.post(url, headers=desk, json={"note": "again"})
    assert r.status_code == 409 and r.json()["code"] == "refusal.already_handled"
    # Off the open list; still in the case's full history.
    assert all(x["client_id"] != phone.client_id for x in (await client.get("/api/field-refusals", headers=desk)).json())
    history = (await client.get("/api/field-refusals", headers=desk,
                                params={"case_id": case["id"], "include_handled": True})).json()
    assert [x["handled_note"] for x in history] == ["已联系业主，由二号维修工上门补签"]
    # The handling is in the audit chain, with the note.
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(audit.c.action, audit.c.actor_id, audit.c.data)
                                   .where(audit.c.entity == "field_refusal",
                                          audit.c.entity_id == f"{phone.client_id}:1"))).all()
    assert [(r.action, r.actor_id) for r in rows] == [("refusal.handled", "usr_dispatcher")]
    assert "已联系业主" in str(rows[0].data)


async def test_a_refusal_is_handled_only_by_the_desk_and_only_in_its_compound(client):
    _, _, phone, _, _, _ = await _reassigned_completion(client)
    tech = phone.headers
    r = await client.post(f"/api/field-refusals/{phone.client_id}/1/handle", headers=tech, json={"note": "x"})
    assert r.status_code == 403
    r = await client.get("/api/field-refusals", headers=tech)
    assert r.status_code == 403
    desk = await login(client, "dispatcher")
    r = await client.post("/api/field-refusals/nosuchclient1/1/handle", headers=desk, json={"note": "x"})
    assert r.status_code == 404 and r.json()["code"] == "refusal.not_found"


async def test_an_out_of_scope_push_from_the_longest_client_id_is_refused_and_kept(client, demo_db):  # noqa: ANN001
    # The audit entry names the mutation "<client id>:<mutation id>"; PostgreSQL once refused it as
    # too long for the column, answering a plain refusal with a 500 that blocked the phone's queue.
    desk = await login(client, "dispatcher")
    case = (await new_repair(client, desk))["case"]
    await open_and_dispatch(client, desk, case["id"])
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(iter(phone.jobs()))
    other = await login(client, "tech2", device="p2")
    client_id = "c" * 64
    r = await client.post("/api/sync/push", headers=other, json={"client_id": client_id, "mutations": [
        {"mutation_id": 1, "type": "job.note", "args": {"job_id": job_id, "text": "x"},
         "device_time": "2020-01-01T00:00:00Z"}]})  # a skewed clock too: its audit entry names the client
    assert r.status_code == 200, r.text
    assert r.json()["results"][0] == {**r.json()["results"][0], "status": "rejected", "code": "scope.not_assigned"}
    async with demo_db.read() as conn:
        actions = {row.action for row in await conn.execute(
            select(audit.c.action).where(audit.c.entity_id.in_([f"{client_id}:1", client_id])))}
    assert actions == {"refused.scope.not_assigned", "sync.clock_skew"}
    listed = (await client.get("/api/field-refusals", headers=desk)).json()
    assert [x["user_id"] for x in listed if x["client_id"] == client_id] == ["usr_tech2"]


async def test_a_mutation_id_beyond_the_stored_range_is_a_coded_400(client):  # noqa: ANN001
    # Mutation ids are BIGINT: a larger one in the path once reached the database (SQLite raised an
    # OverflowError, a 500). It is refused with the push's own bound, like 0 and negatives.
    desk = await login(client, "dispatcher")
    for mutation_id in (2**63, 10**30, 0, -1):
        r = await client.post(f"/api/field-refusals/nosuchclient1/{mutation_id}/handle", headers=desk,
                              json={"note": "x"})
        assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), (mutation_id, r.text)
    r = await client.post(f"/api/field-refusals/nosuchclient1/{2**63 - 1}/handle", headers=desk, json={"note": "x"})
    assert (r.status_code, r.json()["code"]) == (404, "refusal.not_found")


async def _reassigned_while_offline(client):  # noqa: ANN001, ANN202
    """tech holds a job on the phone; the desk gives it to tech2 before the phone syncs again."""
    desk, case, phone, job_id, _ = await reassigned_before_sync(client, "楼道顶灯不亮")
    return desk, case, phone, job_id


async def test_a_note_on_a_job_reassigned_while_offline_is_refused_and_kept_for_the_desk(client):  # R-DI-3, D28
    desk, case, phone, job_id = await _reassigned_while_offline(client)
    photo = await upload(client, phone.headers, signature_png("灯罩照片"))
    res = await phone.push(phone.mutation("job.note", job_id=job_id, text="灯管已坏，需更换", photo_sha256=photo))
    got = res["results"][0]
    # The phone is told the job moved on, in words the technician understands...
    assert (got["status"], got["code"]) == ("rejected", "case.work_order_withdrawn"), got
    assert "改派" in got["message"]
    # ...the withdrawn order does not silently collect the note...
    detail = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert "灯管已坏" not in str(detail)
    # ...and the desk has the note and its photo to act on.
    kept = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
            if x["client_id"] == phone.client_id]
    assert [(x["type"], x["args"]["text"], x["args"]["photo_sha256"]) for x in kept] == [
        ("job.note", "灯管已坏，需更换", photo)]


async def test_a_linked_problem_on_a_job_reassigned_while_offline_is_refused_and_kept(client):  # R-CL-1 C, D28
    desk, case, phone, job_id = await _reassigned_while_offline(client)
    res = await phone.push(phone.mutation("job.linked_problem", job_id=job_id, content="配电箱门锁损坏"))
    got = res["results"][0]
    assert (got["status"], got["code"]) == ("rejected", "case.work_order_withdrawn"), got
    detail = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert "配电箱门锁损坏" not in str(detail)
    kept = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
            if x["client_id"] == phone.client_id]
    assert [(x["type"], x["args"]["content"], x["case_id"]) for x in kept] == [
        ("job.linked_problem", "配电箱门锁损坏", case["id"])]
