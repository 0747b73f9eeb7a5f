"""A signed completion refused because the desk reassigned the job is accepted from the desk (D141).

张师傅 (tech) accepted a small repair, went down to the basement and lost signal; the desk gave the job to 刘师傅
(tech2). 张师傅 arrived, did the work and took the resident's signature offline; when his phone synced two and a
half hours later, arrival and completion were refused (case.work_order_withdrawn) and kept for the desk (D28).
The dispatcher accepts the completion: the case is completed by 张师傅 at the time his phone recorded it, with
the signed slip; 刘师傅's order is withdrawn and leaves his phone saying why; the report judges the repair on
that first completion (D133). Runs on SQLite and PostgreSQL (ESTATEDESK_TEST_DB).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.storage.schema import audit, field_refusals
from tests.conftest import login
from tests.integration.scenarios import (
    Phone,
    complete_on_phone,
    new_repair,
    open_and_dispatch,
    rate_counts,
    signature_png,
    upload,
)

M = timedelta(minutes=1)
SLOW = timedelta(hours=-1)  # 张师傅's phone clock is an hour behind


def _at(t: str | None) -> datetime | None:
    return None if t is None else datetime.fromisoformat(t)


async def _reassigned_and_refused(client, clock):  # noqa: ANN001, ANN202
    """The story above, up to the refused sync. Returns (desk headers, case id, 张师傅's phone, his job id,
    the signature's hash, the start time, 刘师傅's phone)."""
    desk = await login(client, "dispatcher")
    t0 = clock.now()
    case_id = (await new_repair(client, desk, content="厨房下水管漏水"))["case"]["id"]
    await open_and_dispatch(client, desk, case_id)
    phone = Phone(client, await login(client, "tech", device="phone"))
    await phone.pull()
    job_id = next(j for j, d in phone.jobs().items() if d["case_id"] == case_id)
    clock.advance(minutes=3)
    assert (await phone.push(phone.mutation("job.accept", job_id=job_id)))["results"][0]["status"] == "applied"
    clock.advance(minutes=7)  # +10: the desk cannot reach him and gives the job to 刘师傅
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    other = Phone(client, await login(client, "tech2", device="phone2"))
    await other.pull()
    assert any(d["case_id"] == case_id for d in other.jobs().values())
    sig = await upload(client, phone.headers, signature_png(f"accept-{case_id}"))
    arrive = phone.mutation("job.arrive", job_id=job_id)
    arrive["device_time"] = (t0 + 12 * M + SLOW).isoformat()  # placed by the batch's offset (D35)
    complete = phone.mutation("job.complete", job_id=job_id, work_done="更换下水管", materials="PVC管1米",
                              signature_sha256=sig, signer_name="黄业主", signer_relation="owner")
    # The completion also carries the phone's own server-time estimate, which places it (D128).
    complete["device_time"] = (t0 + 40 * M + SLOW).isoformat()
    complete["server_time_est"] = (t0 + 40 * M).isoformat()
    clock.advance(minutes=140)  # +150: back upstairs, past the repair's 2 hours
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": [arrive, complete], "sent_at": (clock.now() + SLOW).isoformat()})
    assert [x["code"] for x in r.json()["results"]] == ["case.work_order_withdrawn"] * 2, r.text
    return desk, case_id, phone, job_id, sig, t0, other


def _mine(listed: list[dict], phone: Phone) -> dict[int, dict]:
    return {x["mutation_id"]: x for x in listed if x["client_id"] == phone.client_id}


async def test_an_accepted_completion_completes_the_case_when_the_phone_recorded_it(client, clock, demo_db):  # R-CL-1 R-FU-4 R-CL-6
    desk, case_id, phone, job_id, sig, t0, other = await _reassigned_and_refused(client, clock)
    # The desk's list offers the completion (and only it) for acceptance: the server's own check.
    listed = _mine((await client.get("/api/field-refusals", headers=desk)).json(), phone)
    assert (listed[3]["may_accept"], listed[3]["not_acceptable"]) == (True, None)
    assert (listed[2]["may_accept"], listed[2]["not_acceptable"]) == (False, None)  # the arrival goes with it
    assert _at(listed[3]["acted_at"]) == t0 + 40 * M and _at(listed[2]["acted_at"]) == t0 + 12 * M

    clock.advance(minutes=10)  # +160
    r = await client.post(f"/api/field-refusals/{phone.client_id}/3/accept", headers=desk)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["accepted"], got["handled_by"], _at(got["handled_at"])) == (True, "usr_dispatcher", clock.now())
    assert got["case_state"] == "completed" and got["holder"]["user_id"] == "usr_tech"

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    case = view["case"]
    assert case["state"] == "completed"
    mine, theirs = case["work_orders"]
    assert (mine["id"], mine["state"], mine["assignee_id"]) == (job_id, "completed", "usr_tech")
    assert (_at(mine["arrived_at"]), _at(mine["completed_at"])) == (t0 + 12 * M, t0 + 40 * M)
    assert (theirs["assignee_id"], theirs["state"], theirs["withdrawn_for"]) == ("usr_tech2", "cancelled", job_id)
    assert (case["slip"]["executor_id"], case["slip"]["signature_sha256"]) == ("usr_tech", sig)
    assert _at(case["slip"]["signed_at"]) == t0 + 40 * M and view["slip_valid"] is True
    clocks = {k["code"]: k for k in view["clocks"]}
    assert _at(clocks["FU4_REPAIR_2H"]["satisfied_at"]) == t0 + 40 * M and clocks["FU4_REPAIR_2H"]["overdue"] is False
    assert _at(clocks["FU4_ON_SITE_15M"]["satisfied_at"]) == t0 + 12 * M
    assert _at(clocks["FU6_SLIP_BACK_24H"]["due_at"]) == t0 + 40 * M + timedelta(hours=24)

    # 刘师傅's phone takes the withdrawn job off, saying the work was done earlier; 张师傅's gets his back, done.
    removed = [ch for ch in await other.pull() if ch["entity"] == "job" and ch["op"] == "remove"]
    assert [(ch["id"], ch["doc"]["reason"]) for ch in removed] == [(theirs["id"], "done_earlier")]
    await phone.pull()
    back = phone.jobs()[job_id]
    assert back["state"] == "completed" and _at(back["completed_at"]) == t0 + 40 * M
    assert _at(back["slip"]["signed_at"]) == t0 + 40 * M
    # It names the records of this phone the desk accepted: its outbox says so of them, not 被拒 (D141).
    assert back["accepted_refusals"] == [{"client_id": phone.client_id, "mutation_id": n} for n in (3, 2)]

    # Both records are handled as accepted; neither is open any more.
    assert _mine((await client.get("/api/field-refusals", headers=desk)).json(), phone) == {}
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(field_refusals.c.mutation_id, field_refusals.c.accepted,
                                          field_refusals.c.handled_by)
                                   .where(field_refusals.c.client_id == phone.client_id)
                                   .order_by(field_refusals.c.mutation_id))).all()
        accepted = (await conn.execute(select(audit.c.entity_id, audit.c.actor_id, audit.c.case_id)
                                       .where(audit.c.action == "refusal.accepted")
                                       .order_by(audit.c.id))).all()
    assert [tuple(r) for r in rows] == [(2, True, "usr_dispatcher"), (3, True, "usr_dispatcher")]
    assert [tuple(r) for r in accepted] == [(f"{phone.client_id}:3", "usr_dispatcher", case_id),
                                            (f"{phone.client_id}:2", "usr_dispatcher", None)]

    # The history: the withdrawal is the dispatcher's; the arrival and the completion are 张师傅's, at the times
    # his phone recorded them, saying when they were heard and who accepted them.
    steps = {e["action"]: e for e in view["timeline"]}
    withdrawn = steps["work_order.withdrawn"]
    assert (withdrawn["actor_id"], withdrawn["data"]["assignee_id"]) == ("usr_dispatcher", "usr_tech2")
    done = steps["work_order.completed"]
    assert (done["actor_id"], done["actor_role"]) == ("usr_tech", "technician")
    assert _at(done["data"]["acted_at"]) == t0 + 40 * M and _at(done["at"]) == clock.now()
    assert _at(done["data"]["received_at"]) == t0 + 150 * M and done["data"]["accepted_by"] == "usr_dispatcher"
    assert _at(steps["work_order.arrived"]["data"]["acted_at"]) == t0 + 12 * M

    # The month's report judges the repair on that first completion: done in time (D133).
    clock.advance(days=1)
    mgr = await login(client, "manager")
    nov = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rate_counts(nov, "timely_repair") == (1, 1)


async def test_a_completion_is_accepted_once(client, clock):  # R-CL-1
    desk, _, phone, _, _, _, _ = await _reassigned_and_refused(client, clock)
    url = f"/api/field-refusals/{phone.client_id}/3/accept"
    assert (await client.post(url, headers=desk)).status_code == 200
    mgr = await login(client, "manager")
    r = await client.post(url, headers=mgr)
    assert r.status_code == 409 and r.json()["code"] == "refusal.already_handled", r.text
    assert r.json()["details"]["accepted"] is True and r.json()["details"]["handled_by"] == "usr_dispatcher"
    # Handling it with a note afterwards is refused as well: it is done.
    r = await client.post(f"/api/field-refusals/{phone.client_id}/3/handle", headers=desk, json={"note": "x"})
    assert r.status_code == 409 and r.json()["code"] == "refusal.already_handled"


async def test_not_once_the_new_holder_completed_it_nor_after_the_close(client, clock):  # R-CL-1 R-CL-3
    desk, case_id, phone, _, _, _, _ = await _reassigned_and_refused(client, clock)
    await complete_on_phone(client, case_id, "tech2", device="phone2b", signature_seed=f"tech2-{case_id}")
    url = f"/api/field-refusals/{phone.client_id}/3/accept"
    r = await client.post(url, headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "refusal.already_completed", r.text
    for step in ("return-slip", "countersign"):
        assert (await client.post(f"/api/cases/{case_id}/{step}", headers=desk)).status_code == 200
    r = await client.post(f"/api/cases/{case_id}/close", headers=desk, json={"result": "已修复"})
    assert r.status_code == 200, r.text
    r = await client.post(url, headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "refusal.case_closed", r.text
    # The list says so instead of offering it; the record stays open for a note, and the case is unchanged.
    listed = _mine((await client.get("/api/field-refusals", headers=desk)).json(), phone)
    assert listed[3]["may_accept"] is False and listed[3]["not_acceptable"]["code"] == "refusal.case_closed"
    assert listed[3]["handled_at"] is None
    case = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]
    assert case["state"] == "closed" and case["slip"]["executor_id"] == "usr_tech2"


async def test_only_the_dispatcher_or_the_manager_accepts(client, clock):  # R-CL-6
    _, _, phone, _, _, _, _ = await _reassigned_and_refused(client, clock)
    front = await login(client, "frontdesk")
    listed = _mine((await client.get("/api/field-refusals", headers=front)).json(), phone)
    assert (listed[3]["may_accept"], listed[3]["not_acceptable"]) == (False, None)  # not offered to the front desk
    r = await client.post(f"/api/field-refusals/{phone.client_id}/3/accept", headers=front)
    assert r.status_code == 403
    r = await client.post(f"/api/field-refusals/{phone.client_id}/3/accept", headers=phone.headers)
    assert r.status_code == 403
    mgr = await login(client, "manager")
    assert _mine((await client.get("/api/field-refusals", headers=mgr)).json(), phone)[3]["may_accept"] is True
    r = await client.post(f"/api/field-refusals/{phone.client_id}/2/accept", headers=mgr)  # the arrival alone
    assert r.status_code == 400 and r.json()["code"] == "refusal.not_acceptable", r.text
    r = await client.post(f"/api/field-refusals/{phone.client_id}/99/accept", headers=mgr)
    assert r.status_code == 404 and r.json()["code"] == "refusal.not_found"
    r = await client.post(f"/api/field-refusals/{phone.client_id}/3/accept", headers=mgr)
    assert r.status_code == 200, r.text


async def test_two_desks_accepting_at_once_apply_it_once(client, clock, demo_db):  # R-CL-1
    # The dispatcher and the manager press 接受完工 at the same moment: the record's row lock queues the
    # second, which finds it accepted; the case is completed once and the signature kept once.
    import asyncio

    desk, case_id, phone, _, sig, _, _ = await _reassigned_and_refused(client, clock)
    mgr = await login(client, "manager")
    url = f"/api/field-refusals/{phone.client_id}/3/accept"
    answers = await asyncio.gather(client.post(url, headers=desk), client.post(url, headers=mgr))
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    assert next(r for r in answers if r.status_code == 409).json()["code"] == "refusal.already_handled"
    async with demo_db.read() as conn:
        completed = (await conn.execute(select(audit.c.id).where(
            audit.c.case_id == case_id, audit.c.action == "work_order.completed"))).all()
    assert len(completed) == 1
