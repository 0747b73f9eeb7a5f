"""One technician signed in on two phones, both working the same job (D145).

Phone A, offline, taps 接单, 到场 and 完工 with the resident's signature; phone B, online, does the same;
then A comes back. A's acceptance and arrival are the same person's steps already on the order: recorded
once, answered `applied` with a word for the phone, kept out of the desk's field refusals. A's completion
is refused with the order's real state (已完工), not "record the arrival first", and its signed slip
reaches the desk. Runs on SQLite and PostgreSQL (ESTATEDESK_TEST_DB).
"""

from __future__ import annotations

from sqlalchemy import func, select

from server.storage.schema import audit
from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, open_and_dispatch, signature_png, upload


async def _two_phones(client):  # noqa: ANN001, ANN202
    desk = await login(client, "dispatcher")
    case = (await new_repair(client, desk, content="楼道灯不亮"))["case"]
    await open_and_dispatch(client, desk, case["id"])
    a = Phone(client, await login(client, "tech", device="phone A"))
    b = Phone(client, await login(client, "tech", device="phone B"))
    await a.pull()
    await b.pull()
    job_id = next(j for j, d in a.jobs().items() if d["case_id"] == case["id"])
    return desk, case, a, b, job_id


async def _work(phone: Phone, job_id: str, seed: str, work_done: str) -> list[dict]:
    sig = await upload(phone.client, phone.headers, signature_png(seed))
    return [
        phone.mutation("job.accept", job_id=job_id),
        phone.mutation("job.arrive", job_id=job_id),
        phone.mutation("job.complete", job_id=job_id, work_done=work_done, signature_sha256=sig,
                       signer_name="黄业主", signer_relation="owner"),
    ]


async def test_the_second_phones_steps_are_recorded_once_and_its_completion_names_the_state(
    client, demo_db,  # noqa: ANN001
) -> None:  # R-CL-3, R-DI-3, design guarantee 1
    desk, case, a, b, job_id = await _two_phones(client)
    offline = await _work(a, job_id, "phone A", "更换灯泡（A）")
    online = await _work(b, job_id, "phone B", "更换灯泡（B）")
    assert [r["status"] for r in (await b.push(*online))["results"]] == ["applied"] * 3

    res = (await a.push(*offline))["results"]
    assert [r["status"] for r in res] == ["applied", "applied", "rejected"], res
    # The acceptance and the arrival: already on the order, said so in both languages.
    for r, step in zip(res[:2], ("接单", "到场"), strict=True):
        assert r["code"] == "case.step_already_recorded", r
        assert step in r["message"] and "已完工" in r["message"] and "completed" in r["message_en"]
    # The completion: the order's state, not a missing arrival.
    done = res[2]
    assert done["code"] == "case.wrong_state", done
    assert "已完工" in done["message"] and "到场" not in done["message"]
    assert "completed" in done["message_en"]

    # Nothing was applied twice: one acceptance, one arrival, one completion on the order.
    async with demo_db.read() as conn:
        counts = dict((await conn.execute(
            select(audit.c.action, func.count()).where(audit.c.case_id == case["id"]).group_by(audit.c.action)
        )).all())
    assert [counts.get(k) for k in ("work_order.accepted", "work_order.arrived", "work_order.completed")] == [1, 1, 1]
    view = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert view["case"]["slip"]["work_done"] == "更换灯泡（B）"

    # The desk is asked about the one record it can act on: A's signed completion, not three.
    refusals = [x for x in (await client.get("/api/field-refusals", headers=desk)).json()
                if x["client_id"] == a.client_id]
    assert [(x["type"], x["code"]) for x in refusals] == [("job.complete", "case.wrong_state")]
    assert refusals[0]["args"]["work_done"] == "更换灯泡（A）"

    # A resend (the answer was lost) says the same again.
    again = (await a.push(*offline))["results"]
    assert [(r["status"], r["original"], r["code"]) for r in again] == [
        ("duplicate", "applied", "case.step_already_recorded"),
        ("duplicate", "applied", "case.step_already_recorded"),
        ("duplicate", "rejected", "case.wrong_state"),
    ]


async def test_an_arrival_after_the_other_phone_reported_unable_is_still_refused_for_the_desk(
    client,  # noqa: ANN001
) -> None:  # R-CL-3, design guarantee 1
    desk, case, a, b, job_id = await _two_phones(client)
    assert (await b.push(b.mutation("job.accept", job_id=job_id),
                         b.mutation("job.unable", job_id=job_id, reason="缺少配件")))["results"][1]["status"] == "applied"
    # A's acceptance is one already on the order; its arrival contradicts B's report, so the desk hears of it.
    res = (await a.push(a.mutation("job.accept", job_id=job_id), a.mutation("job.arrive", job_id=job_id)))["results"]
    assert [(r["status"], r["code"]) for r in res] == [("rejected", "case.wrong_state")] * 2
    assert "已报无法完成" in res[1]["message"]
