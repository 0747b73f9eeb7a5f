"""A job leaving a phone says why: reassigned, redispatched to the same person, cancelled or closed (D105).

The phone whose signed completion was refused needs to tell the technician what happened to the job;
the pull's `remove` is the only word it gets from the desk.
"""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import (
    complete_on_phone,
    new_repair,
    open_and_dispatch,
    reassigned_before_sync,
)
from tests.integration.test_sync_protocol import _job_for


def _removal(changes: list[dict], job_id: str) -> dict:
    [gone] = [c for c in changes if c["entity"] == "job" and c["id"] == job_id and c["op"] == "remove"]
    return gone["doc"]


async def test_a_job_given_to_someone_else_leaves_the_phone_as_reassigned(client):  # R-DI-3 design guarantee 1
    _, case, phone, job_id, _ = await reassigned_before_sync(client)
    gone = _removal(await phone.pull(), job_id)
    assert gone == {"reason": "reassigned", "case_no": case["no"], "new_job_id": None}
    assert job_id not in phone.jobs()


async def test_a_closed_case_takes_its_job_off_the_phone_as_closed(client):  # R-CL-6
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    phone, job_id = await complete_on_phone(client, cid)
    for step in ("return-slip", "countersign"):
        assert (await client.post(f"/api/cases/{cid}/{step}", headers=desk)).status_code == 200
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已修复"})
    assert r.status_code == 200, r.text
    assert _removal(await phone.pull(), job_id)["reason"] == "closed"


async def test_a_case_that_cannot_be_handled_cancels_its_job_on_the_phone(client):  # R-CL-4
    _, case_id, phone, job_id = await _job_for(client)
    manager = await login(client, "manager")
    r = await client.post(f"/api/cases/{case_id}/cannot-handle", headers=manager, json={"reason": "产权方不同意施工"})
    assert r.status_code == 200, r.text
    assert _removal(await phone.pull(), job_id)["reason"] == "cancelled"


async def test_an_unable_job_dispatched_again_to_the_same_technician_is_one_job_with_its_history(client):  # R-CL-3 R-FU-4
    # Two jobs for one visit — the finished unable one and the new one — read as two tasks; the new job
    # is the one to work, and it carries what the technician reported on the first (D105, D99).
    desk, case_id, phone, job_id = await _job_for(client)
    res = await phone.push(phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.unable", job_id=job_id, reason="缺配件"),
                           phone.mutation("job.note", job_id=job_id, text="配件型号 DN20"))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    changes = await phone.pull()
    [new_id] = [j for j, d in phone.jobs().items() if d["case_id"] == case_id]
    assert new_id != job_id
    assert _removal(changes, job_id) == {"reason": "redispatched", "case_no": phone.jobs()[new_id]["case_no"],
                                         "new_job_id": new_id}
    [earlier] = phone.jobs()[new_id]["earlier"]
    assert earlier["job_id"] == job_id and earlier["unable_reason"] == "缺配件"
    assert [n["text"] for n in earlier["notes"]] == ["配件型号 DN20"]


async def test_an_unable_job_given_to_someone_else_leaves_the_first_phone_as_reassigned(client):  # R-CL-3 D99
    # Kept as finished, the unable job stayed on the first phone for good and never said what became of
    # it; the desk gave it to someone else, and the phone says so (D105).
    desk, case_id, phone, job_id = await _job_for(client)
    res = await phone.push(phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.unable", job_id=job_id, reason="需工程部处理"))
    assert [r["status"] for r in res["results"]] == ["applied"] * 2
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    gone = _removal(await phone.pull(), job_id)
    assert gone["reason"] == "reassigned" and gone["new_job_id"] is None
    assert job_id not in phone.jobs()
