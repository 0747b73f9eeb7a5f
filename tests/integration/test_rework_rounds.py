"""Rework across months through the API: the repair stays timely in the month it was first done and is
counted as rework there; a C on attitude is reviewed, not redone; the redo gets its own call-back; a
reopened complaint keeps its first close (R-FU-4, R-FU-6, R-FU-9, R-FU-10, R-RV-2, R-RV-5; D133)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import login
from tests.integration.scenarios import (
    Phone,
    call_backs,
    complete_on_phone,
    new_repair,
    open_and_dispatch,
    rate_counts,
    signature_png,
    upload,
)


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))




async def _grade(client, desk, task_id: str, grades: dict, comment: str = "") -> dict:  # noqa: ANN001
    r = await client.post(f"/api/callbacks/{task_id}", headers=desk, json={"grades": grades, "comment": comment})
    assert r.status_code == 200, r.text
    return r.json()


async def _finish_at_desk(client, desk, case_id: str) -> None:  # noqa: ANN001
    for step in ("return-slip", "countersign"):
        assert (await client.post(f"/api/cases/{case_id}/{step}", headers=desk)).status_code == 200
    r = await client.post(f"/api/cases/{case_id}/close", headers=desk, json={"result": "已修复"})
    assert r.status_code == 200, r.text


async def test_a_repair_redone_next_month_stays_timely_and_is_rework_in_its_own_month(client, clock):  # R-FU-4 R-FU-10
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    clock.set(_utc(2026, 11, 30, 14, 10))  # 22:10 in Shanghai: a small repair, 2 hours aimed, 24 capped
    cid = (await new_repair(client, desk, content="水龙头漏水"))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    clock.set(_utc(2026, 11, 30, 14, 40))
    await complete_on_phone(client, cid)
    await _finish_at_desk(client, desk, cid)
    clock.set(_utc(2026, 12, 1, 3, 0))
    [first] = await call_backs(client, desk, cid)
    graded = await _grade(client, desk, first["id"], {"building_repair": "C", "overall": "B"}, "又漏水了")
    assert graded["counts_as_rework"] is True
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["state"] == "opened"
    clock.set(_utc(2026, 12, 2, 0, 30))
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"], "job": "返修：水龙头再次漏水"})
    assert r.status_code == 200, r.text
    clock.set(_utc(2026, 12, 2, 1, 0))
    await complete_on_phone(client, cid, "tech2", device="phone2", signature_seed="rework")

    # The case page: the 2-hour and 24-hour clocks were met at the first completion, on 30 Nov.
    clocks = {k["code"]: k for k in (await client.get(f"/api/cases/{cid}", headers=desk)).json()["clocks"]}
    for code in ("FU4_REPAIR_2H", "FU4_REPAIR_24H"):
        assert _at(clocks[code]["satisfied_at"]) == _utc(2026, 11, 30, 14, 40), code
        assert clocks[code]["overdue"] is False, code

    clock.set(_utc(2026, 12, 10, 2, 0))
    nov = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rate_counts(nov, "timely_repair") == (1, 1)  # judged on the first completion, in November
    assert rate_counts(nov, "rework") == (1, 1)  # and the rework is counted with it, once
    assert nov["overdue"] == []
    dec = (await client.get("/api/reports/monthly/2026/12", headers=mgr)).json()
    assert rate_counts(dec, "timely_repair") == (0, 0) and rate_counts(dec, "rework") == (0, 0)
    assert dec["overdue"] == []  # the redo is not a late repair of December

    # R-FU-6: the redo has its own call-back, asking whether the rework fixed it.
    first, second = await call_backs(client, desk, cid)
    assert (first["completion_round"], second["completion_round"]) == (0, 1)
    assert _at(second["completed_at"]) == _utc(2026, 12, 2, 1, 0) and second["called_back_at"] is None
    assert [x["id"] for x in second["executors"]] == ["usr_tech2"]
    graded = await _grade(client, desk, second["id"], {"building_repair": "A"})
    assert graded["counts_as_rework"] is False
    nov = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rate_counts(nov, "rework") == (1, 1)  # the rework happened; a good redo does not undo it


async def test_a_reopened_complaint_is_judged_on_its_first_close_and_its_reclose_is_called_back(  # R-FU-9 R-RV-5
        client, clock):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    clock.set(_utc(2027, 1, 4, 1, 10))  # 09:10 in Shanghai
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": "林业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "电梯异响", "complaint_category": "engineering_repair"})
    cid = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/judge", headers=desk, json={
        "fault": "company", "explanation": "电梯保养不到位", "agreed_solution": "当天安排维保"})
    assert r.status_code == 200, r.text
    assert (await client.post(f"/api/cases/{cid}/decide", headers=desk,
                              json={"open": True, "reason": "A"})).status_code == 200
    clock.set(_utc(2027, 1, 4, 2, 0))  # closed 50 minutes after it came in
    assert (await client.post(f"/api/cases/{cid}/verify", headers=desk, json={"text": "维保已完成"})).status_code == 200
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "维保完成，异响消除"})
    assert r.status_code == 200, r.text
    clock.set(_utc(2027, 1, 5, 2, 0))
    [task] = await call_backs(client, desk, cid)
    graded = await _grade(client, desk, task["id"], {"complaint_handling": "C"}, "还是有异响")
    assert graded["reopen_for_review"] is True
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["state"] == "opened"

    clock.set(_utc(2027, 1, 20, 2, 0))
    rep = (await client.get("/api/reports/monthly/2027/1", headers=mgr)).json()
    assert rate_counts(rep, "timely_handling") == (1, 1)  # closed within its limit the first time
    assert rep["overdue"] == []
    [line] = rep["complaints"]
    assert (line["handler"], line["result"], line["satisfaction"]) == ("王调度", "维保完成，异响消除", "C")

    # Closed again after the rework: the resident is asked again, on a call-back of its own.
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "更换导轨，异响消除"})
    assert r.status_code == 200, r.text
    first, second = await call_backs(client, desk, cid)
    assert (first["completion_round"], second["completion_round"]) == (0, 1)
    assert _at(second["completed_at"]) == _utc(2027, 1, 20, 2, 0)


async def test_a_redo_signed_with_the_first_rounds_drawing_is_refused_not_a_server_error(client, clock):  # R-CL-1 R-FU-6
    # The resident signs the slip of the work that was redone (D133); the first round's drawing replayed
    # onto the redo is not their signature for it. It was a 500 (the signature's unique key), and a
    # phone kept resending it.
    desk = await login(client, "dispatcher")
    clock.set(_utc(2026, 11, 30, 2, 0))
    cid = (await new_repair(client, desk, content="门锁坏了"))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    clock.set(_utc(2026, 11, 30, 2, 30))
    await complete_on_phone(client, cid)
    await _finish_at_desk(client, desk, cid)
    clock.set(_utc(2026, 12, 1, 3, 0))
    [first] = await call_backs(client, desk, cid)
    await _grade(client, desk, first["id"], {"building_repair": "C", "overall": "C"}, "还是打不开")
    r = await client.post(f"/api/cases/{cid}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"], "job": "返修：门锁"})
    assert r.status_code == 200, r.text
    clock.set(_utc(2026, 12, 1, 4, 0))
    headers = await login(client, "tech", device="phone")
    phone = Phone(client, headers)
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == cid and d["state"] != "completed")
    old = await upload(client, headers, signature_png(cid))  # the first round's drawing, byte for byte
    args = {"work_done": "更换门锁", "signer_name": "黄业主", "signer_relation": "owner"}
    res = await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.complete", job_id=job_id, signature_sha256=old, **args))
    assert [x["status"] for x in res["results"]] == ["applied", "applied", "rejected"], res
    assert res["results"][2]["code"] == "slip.signature_reused"
    new = await upload(client, headers, signature_png("signed again"))
    res = await phone.push(phone.mutation("job.complete", job_id=job_id, signature_sha256=new, **args))
    assert [x["status"] for x in res["results"]] == ["applied"], res
