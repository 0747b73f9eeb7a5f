"""Every field step a phone pushes counts when the person acted, placed by the batch's clock (D35, D97).

The phone below has a clock an hour slow and syncs an hour after the work: the steps count at the
hour they were done, the resident's slip says that time, and R-FU-6's 24 hours run from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.scenarios import signature_png, upload
from tests.integration.test_sync_protocol import _job_for

SLOW = timedelta(hours=-1)  # the phone's clock is an hour behind
M = timedelta(minutes=1)


def _at(m: dict, t: datetime) -> dict:
    m["device_time"] = (t + SLOW).isoformat()
    return m


async def _push(client, clock, phone, *ms: dict) -> list[str]:  # noqa: ANN001
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": list(ms), "sent_at": (clock.now() + SLOW).isoformat()})
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


async def test_a_job_completed_offline_counts_when_the_resident_signed(client, clock):  # R-CL-1 R-FU-6 design 4
    desk, case_id, phone, job_id = await _job_for(client)
    t0 = clock.now()
    sig = await upload(client, phone.headers, signature_png("offline-signed"))
    ms = [_at(phone.mutation("job.accept", job_id=job_id), t0 + 2 * M),
          _at(phone.mutation("job.arrive", job_id=job_id), t0 + 5 * M),
          _at(phone.mutation("job.note", job_id=job_id, text="阀门锈死"), t0 + 8 * M),
          _at(phone.mutation("job.complete", job_id=job_id, work_done="更换阀门", signature_sha256=sig,
                             signer_name="黄业主", signer_relation="owner"), t0 + 20 * M)]
    clock.advance(minutes=80)  # back upstairs an hour later
    assert await _push(client, clock, phone, *ms) == ["applied"] * 4

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    [wo] = view["case"]["work_orders"]
    done = t0 + 20 * M
    assert datetime.fromisoformat(wo["completed_at"]) == done
    assert datetime.fromisoformat(wo["notes"][0]["at"]) == t0 + 8 * M
    assert datetime.fromisoformat(wo["notes"][0]["received_at"]) == clock.now()
    slip = view["case"]["slip"]
    assert datetime.fromisoformat(slip["signed_at"]) == done
    assert view["slip_valid"] is True  # the hash covers the time the slip says
    back = next(k for k in view["clocks"] if k["code"] == "FU6_SLIP_BACK_24H")
    assert datetime.fromisoformat(back["due_at"]) == done + timedelta(hours=24)

    # The phone's job after the pull shows the same completion as its offline slip did.
    await phone.pull()
    job = phone.jobs()[job_id]
    assert datetime.fromisoformat(job["completed_at"]) == done
    assert datetime.fromisoformat(job["slip"]["signed_at"]) == done

    # The audit row keeps when the server heard of it.
    ev = next(e for e in view["timeline"] if e["action"] == "work_order.completed")
    assert datetime.fromisoformat(ev["at"]) == clock.now()
    assert datetime.fromisoformat(ev["data"]["received_at"]) == clock.now()


async def test_the_case_history_carries_when_each_offline_step_was_done(client, clock):  # R-DI-3 R-CL-1 design 4
    # The desk's 处理记录 showed every step at the sync time (21:32) while the slip said 21:31: each
    # field event placed earlier than its receipt now carries the acted time too (D124).
    desk, case_id, phone, job_id = await _job_for(client)
    t0 = clock.now()
    sig = await upload(client, phone.headers, signature_png("history-times"))
    ms = [_at(phone.mutation("job.accept", job_id=job_id), t0 + 2 * M),
          _at(phone.mutation("job.arrive", job_id=job_id), t0 + 5 * M),
          _at(phone.mutation("job.complete", job_id=job_id, work_done="更换阀门", signature_sha256=sig,
                             signer_name="黄业主", signer_relation="owner"), t0 + 20 * M)]
    clock.advance(minutes=80)
    assert await _push(client, clock, phone, *ms) == ["applied"] * 3

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    acted = {e["action"]: e for e in view["timeline"] if e["action"].startswith("work_order.")}
    for action, done in (("work_order.accepted", t0 + 2 * M), ("work_order.arrived", t0 + 5 * M),
                         ("work_order.completed", t0 + 20 * M)):
        assert datetime.fromisoformat(acted[action]["data"]["acted_at"]) == done, action
        assert datetime.fromisoformat(acted[action]["at"]) == clock.now(), action  # the receipt stays
    # A step the desk takes online happened when it was received: nothing extra.
    dispatched = next(e for e in view["timeline"] if e["action"] == "case.dispatched")
    assert "acted_at" not in dispatched["data"]


async def test_a_wrong_phone_clock_cannot_place_a_completion_before_the_arrival_or_after_now(client, clock):  # R-CL-3 design 4
    desk, case_id, phone, job_id = await _job_for(client)
    t0 = clock.now()
    clock.advance(minutes=30)
    sig = await upload(client, phone.headers, signature_png("too-early"))
    arrive = _at(phone.mutation("job.arrive", job_id=job_id), t0 + 10 * M)
    early = _at(phone.mutation("job.complete", job_id=job_id, work_done="修好", signature_sha256=sig,
                               signer_name="黄业主", signer_relation="owner"), t0 - 3 * timedelta(hours=1))
    assert await _push(client, clock, phone, arrive, early) == ["applied", "applied"]
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    [wo] = view["case"]["work_orders"]
    assert datetime.fromisoformat(wo["completed_at"]) == t0 + 10 * M  # not before the arrival
    assert datetime.fromisoformat(view["case"]["slip"]["signed_at"]) == t0 + 10 * M and view["slip_valid"]

    desk2, case2, phone2, job2 = await _job_for(client)
    sig2 = await upload(client, phone2.headers, signature_png("too-late"))
    arrive = _at(phone2.mutation("job.arrive", job_id=job2), clock.now())
    late = _at(phone2.mutation("job.complete", job_id=job2, work_done="修好", signature_sha256=sig2,
                               signer_name="黄业主", signer_relation="owner"), clock.now() + timedelta(hours=5))
    assert await _push(client, clock, phone2, arrive, late) == ["applied", "applied"]
    [wo2] = (await client.get(f"/api/cases/{case2}", headers=desk2)).json()["case"]["work_orders"]
    assert datetime.fromisoformat(wo2["completed_at"]) == clock.now()  # not after the server heard of it


async def test_unable_and_a_linked_problem_reported_offline_count_when_reported(client, clock):  # R-CL-1 R-CL-2
    desk, case_id, phone, job_id = await _job_for(client)
    t0 = clock.now()
    ms = [_at(phone.mutation("job.arrive", job_id=job_id), t0 + 5 * M),
          _at(phone.mutation("job.linked_problem", job_id=job_id, content="楼上渗水"), t0 + 9 * M),
          _at(phone.mutation("job.unable", job_id=job_id, reason="缺配件"), t0 + 12 * M)]
    clock.advance(minutes=70)
    assert await _push(client, clock, phone, *ms) == ["applied"] * 3
    case = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    [wo] = case["work_orders"]
    assert datetime.fromisoformat(wo["unable_at"]) == t0 + 12 * M
    [child_id] = case["linked_case_ids"]
    child = (await client.get(f"/api/cases/{child_id}", headers=desk)).json()["case"]
    # The new case is received when the service centre heard of it: its clocks start then.
    assert datetime.fromisoformat(child["received_at"]) == clock.now()


async def test_a_linked_problem_reaches_the_phone_with_its_new_case_number(client):  # R-CL-1 C R-CL-2 D
    # The technician reported it offline; after the sync the job still shows it, now with the number
    # the resident can quote (D98), and a problem held on this case says so.
    desk, case_id, phone, job_id = await _job_for(client)
    res = await phone.push(phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.linked_problem", job_id=job_id, content="楼上渗水"),
                           phone.mutation("job.linked_problem", job_id=job_id, content="墙面空鼓", separately=False))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3
    case = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    [child_id] = case["linked_case_ids"]
    child_no = (await client.get(f"/api/cases/{child_id}", headers=desk)).json()["case"]["no"]
    await phone.pull()
    linked = phone.jobs()[job_id]["linked_problems"]
    assert [(x["text"], x["case_no"], x["held"]) for x in linked] == [("楼上渗水", child_no, False),
                                                                      ("墙面空鼓", None, True)]


async def test_an_unable_job_waits_for_the_desk_and_still_takes_notes_until_it_acts(client):  # R-CL-3 R-FU-4
    # Unable is not finished: the phone keeps it open, the technician can add notes and photos, until
    # the desk dispatches again (D99).
    desk, case_id, phone, job_id = await _job_for(client)
    res = await phone.push(phone.mutation("job.arrive", job_id=job_id),
                           phone.mutation("job.unable", job_id=job_id, reason="缺配件"),
                           phone.mutation("job.note", job_id=job_id, text="配件型号 DN20"))
    assert [r["status"] for r in res["results"]] == ["applied"] * 3
    await phone.pull()
    job = phone.jobs()[job_id]
    assert job["state"] == "unable" and job["awaiting_desk"] is True
    assert [n["text"] for n in job["notes"]] == ["配件型号 DN20"]
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    await phone.pull()
    # Dispatched again to the same technician: the new job replaces it on the phone, carrying its history
    # (test_job_removal_reasons.py, D105).
    assert job_id not in phone.jobs()
