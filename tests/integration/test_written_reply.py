"""R-IN-5 through the API: a written inquiry's 2-day clock is met only by a written reply.

A reply says how it was given (phone, in person, written); one that does not is refused, and a reply
stored before replies said so still reads. A written inquiry explained and left unopened (R-OP-2 F)
still owes its written reply: the clock runs, the queue lists it and the desk records the reply on
it (D69). The clock starts Monday 2026-11-23 (Shanghai).
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select, update

from server.notify.tables import reminders
from server.storage.schema import cases
from tests.conftest import login

CLOCK = "IN5_WRITTEN_REPLY_2D"


async def _written_inquiry(client, desk) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "written", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": "来信询问明年物业费是否调整"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _view(client, desk, cid: str) -> dict:  # noqa: ANN001
    r = await client.get(f"/api/cases/{cid}", headers=desk)
    assert r.status_code == 200, r.text
    return r.json()


def _clock(view: dict) -> dict:
    [k] = [k for k in view["clocks"] if k["code"] == CLOCK]
    return k


async def test_a_phone_reply_to_a_written_inquiry_is_recorded_but_the_clock_waits_for_the_written_one(
        client, clock) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    url = f"/api/cases/{cid}/follow-up"
    # No medium, or one outside the closed set: refused with a stable code, nothing recorded.
    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已电话告知"})
    assert (r.status_code, r.json()["code"]) == (400, "case.reply_medium_required"), r.text
    assert r.json()["message"] and r.json()["message_en"] and r.json()["details"]["missing"] == ["medium"]
    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已传真", "medium": "fax"})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
    assert "medium" in r.text
    # A medium on anything but a reply is refused too, rather than kept where nothing reads it.
    r = await client.post(url, headers=desk, json={"kind": "first", "medium": "phone"})
    assert (r.status_code, r.json()["code"]) == (400, "case.medium_only_for_reply"), r.text
    assert (await _view(client, desk, cid))["case"]["follow_ups"] == []

    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已电话告知，书面答复随后", "medium": "phone"})
    assert r.status_code == 200, r.text
    clock.advance(days=2, minutes=1)
    view = await _view(client, desk, cid)
    [fu] = view["case"]["follow_ups"]
    assert (fu["kind"], fu["medium"]) == ("reply", "phone")
    k = _clock(view)
    assert (k["running"], k["satisfied_at"], k["overdue"]) == (True, None, True)
    assert "已电话答复" in k["label"] and "by phone" in k["label_en"]  # the desk sees why it still runs
    assert any(e["action"] == "case.followed_up" and e["data"] == {"kind": "reply", "medium": "phone"}
               for e in view["timeline"])

    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "书面答复已送达", "medium": "written", "signer": "钱经理"})
    assert r.status_code == 200, r.text
    k = _clock(await _view(client, desk, cid))
    assert (k["running"], k["overdue"], k["label"]) == (False, True, "书面咨询两日内书面答复")
    assert k["satisfied_at"] is not None


async def test_a_written_reply_in_time_meets_the_clock(client, clock) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "frontdesk")
    cid = await _written_inquiry(client, desk)
    clock.advance(hours=20)
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={"kind": "reply", "medium": "written", "signer": "钱经理"})
    assert r.status_code == 200, r.text
    k = _clock(await _view(client, desk, cid))
    assert (k["running"], k["overdue"]) == (False, False)


async def test_a_reply_stored_without_a_medium_still_reads_and_counts(client, demo_db) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    # A reply recorded before replies said their medium: the stored document has no such key.
    async with demo_db.transaction() as uow:
        doc = msgspec.json.decode((await uow.conn.execute(select(cases.c.doc).where(cases.c.id == cid))).scalar_one())
        doc["follow_ups"] = [{"kind": "reply", "at": doc["received_at"], "by": "usr_dispatcher", "note": "已答复"}]
        await uow.conn.execute(update(cases).where(cases.c.id == cid).values(doc=msgspec.json.encode(doc).decode()))
    view = await _view(client, desk, cid)
    [fu] = view["case"]["follow_ups"]
    assert (fu["note"], fu["medium"]) == ("已答复", None)
    k = _clock(view)
    assert (k["running"], k["overdue"]) == (False, False)


# --- a written inquiry explained and left unopened still owes its written reply (D69) -------------


async def _not_opened(client, desk, cid: str) -> None:  # noqa: ANN001
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk,
                          json={"open": False, "reason": "F", "note": "已当面解释明年物业费标准，业主接受"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "not_opened"


def _queued(items: list[dict], cid: str) -> list[str]:
    return [i["clock"]["code"] for i in items if i["case_id"] == cid]


async def test_a_written_inquiry_left_unopened_is_queued_until_its_written_reply(client, clock, demo_db) -> None:  # noqa: ANN001  # R-IN-5, R-OP-2
    desk = await login(client, "frontdesk")
    cid = await _written_inquiry(client, desk)
    await _not_opened(client, desk, cid)
    k = _clock(await _view(client, desk, cid))
    assert (k["running"], k["overdue"], k["responsible_role"]) == (True, False, "front_desk")
    assert _queued((await client.get("/api/followups", headers=desk)).json(), cid) == [CLOCK]
    # The receiver is still reminded before the limit (deciding not to open once cancelled it).
    async with demo_db.read() as conn:
        pending = (await conn.execute(select(reminders.c.kind, reminders.c.recipient_id).where(
            reminders.c.case_id == cid, reminders.c.code == CLOCK, reminders.c.state == "pending"))).all()
    assert ("before_due", "usr_frontdesk") in {(p.kind, p.recipient_id) for p in pending}

    # A phone call is recorded, but the written reply is still due; past two days it is overdue.
    url = f"/api/cases/{cid}/follow-up"
    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "phone", "note": "已电话告知，书面答复随后"})
    assert r.status_code == 200, r.text
    clock.advance(days=2, minutes=1)
    items = (await client.get("/api/followups", headers=desk)).json()
    assert _queued(items, cid) == [CLOCK] and next(i for i in items if i["case_id"] == cid)["overdue"]
    overdue = (await client.get("/api/cases", headers=desk, params={"overdue": "true"})).json()
    assert cid in [s["id"] for s in overdue]

    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面答复已邮寄"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["case"]["state"] == "not_opened"  # the reply opens nothing
    k = _clock(view)
    assert (k["running"], k["overdue"]) == (False, True) and k["satisfied_at"] is not None
    assert _queued((await client.get("/api/followups", headers=desk)).json(), cid) == []
    async with demo_db.read() as conn:
        next_due = (await conn.execute(select(cases.c.next_due_at).where(cases.c.id == cid))).scalar_one()
    assert next_due is None


async def test_an_unopened_intake_takes_only_the_reply_a_written_inquiry_owes(client) -> None:  # noqa: ANN001  # R-OP-2, R-IN-5
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    await _not_opened(client, desk, cid)
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={"kind": "first", "note": "跟进"})
    assert (r.status_code, r.json()["code"]) == (409, "case.wrong_state"), r.text
    # An inquiry that came by phone and was explained owes no written reply: nothing runs, nothing is taken.
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "phone", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": "电话询问停车费"})
    phoned = r.json()["case"]["id"]
    await _not_opened(client, desk, phoned)
    assert (await _view(client, desk, phoned))["clocks"] == []
    r = await client.post(f"/api/cases/{phoned}/follow-up", headers=desk, json={"kind": "reply", "medium": "phone"})
    assert (r.status_code, r.json()["code"]) == (409, "case.wrong_state"), r.text
    assert _queued((await client.get("/api/followups", headers=desk)).json(), phoned) == []


async def test_late_written_replies_are_on_the_monthly_reports_overdue_list(client, clock) -> None:  # noqa: ANN001  # R-IN-5, R-RV-5
    # Both received Mon 23 Nov 10:00 (Shanghai), due Wed 25 Nov 10:00.
    desk = await login(client, "dispatcher")
    unopened = await _written_inquiry(client, desk)
    await _not_opened(client, desk, unopened)
    opened = await _written_inquiry(client, desk)
    r = await client.post(f"/api/cases/{opened}/decide", headers=desk, json={"open": True, "reason": "C"})
    assert r.status_code == 200, r.text
    clock.advance(days=2, minutes=45)  # the opened one is answered in writing 45 minutes late
    r = await client.post(f"/api/cases/{opened}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面答复已送达"})
    assert r.status_code == 200, r.text
    clock.advance(days=1)  # seen at Thu 26 Nov 10:45: the unopened one is 1 d 45 min late, unanswered
    manager = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11", headers=manager)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["counts_by_kind"]["inquiry"], report["counts_by_channel"]["written"]) == (2, 2)
    nos = {cid: (await _view(client, desk, cid))["case"]["no"] for cid in (unopened, opened)}
    late = {o["case_no"]: o for o in report["overdue"]}
    assert set(late) == set(nos.values())
    assert (late[nos[opened]]["kind"], late[nos[opened]]["late_minutes"]) == ("inquiry", 45)
    assert late[nos[opened]]["closed_at"] is not None
    assert (late[nos[unopened]]["late_minutes"], late[nos[unopened]]["closed_at"]) == (1440 + 45, None)
    assert all(r["denominator"] == 0 for r in report["rates"])  # no rate counts the written replies
    # Months later the unanswered one is still late, though nothing touched it since November.
    clock.advance(days=100)  # Sat 6 Mar 2027
    r = await client.get("/api/reports/monthly/2027/3", headers=await login(client, "manager"))
    assert r.status_code == 200, r.text
    assert [(o["case_no"], o["closed_at"]) for o in r.json()["overdue"]] == [(nos[unopened], None)]


# --- a written inquiry closes only once its written reply is recorded (D70) ------------------------


async def test_a_written_inquiry_is_not_closed_on_a_phone_reply(client, clock) -> None:  # noqa: ANN001  # R-IN-5, R-CL-1
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "C"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{cid}/verify", headers=desk, json={"text": "来信所问已核实"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "phone", "note": "已电话告知不调整，书面答复随后"})
    assert r.status_code == 200, r.text
    # The case page's close dialog lists what is missing from the view; the refusal names the same.
    assert r.json()["missing_to_close"] == ["written_reply"]
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已电话答复"})
    assert (r.status_code, r.json()["code"]) == (409, "case.close_missing"), r.text
    assert r.json()["details"]["missing"] == ["written_reply"]
    # The refusal changed nothing: the clock still runs and the queue still asks for the reply.
    clock.advance(days=2, minutes=1)
    view = await _view(client, desk, cid)
    assert view["case"]["state"] == "opened"
    assert (_clock(view)["running"], _clock(view)["overdue"]) == (True, True)
    assert CLOCK in _queued((await client.get("/api/followups", headers=desk)).json(), cid)

    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面答复已送达"})
    assert r.status_code == 200 and r.json()["missing_to_close"] == [], r.text
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已书面答复"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "closed" and _clock(r.json())["satisfied_at"] is not None


async def test_a_written_inquiry_parked_as_cannot_handle_keeps_its_reply_queued(client) -> None:  # noqa: ANN001  # R-IN-5, R-CL-4
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "C"})
    assert r.status_code == 200, r.text
    manager = await login(client, "manager")
    r = await client.post(f"/api/cases/{cid}/cannot-handle", headers=manager, json={"reason": "涉及产权，须业委会决定"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "cannot_handle" and _clock(r.json())["running"]
    assert CLOCK in _queued((await client.get("/api/followups", headers=desk)).json(), cid)
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面告知须由业委会决定"})
    assert r.status_code == 200, r.text
    assert CLOCK not in _queued((await client.get("/api/followups", headers=desk)).json(), cid)


# --- written inquiries left unopened before D69 get their due time from migration 0014 (D70) -------


async def test_a_written_inquiry_left_unopened_before_d69_joins_the_queue_after_the_upgrade(client, db_url) -> None:  # noqa: ANN001  # R-IN-5, R-SH-1
    from datetime import timedelta

    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.storage.migrate import alembic_config, upgrade

    desk = await login(client, "dispatcher")
    owed = await _written_inquiry(client, desk)
    await _not_opened(client, desk, owed)
    # Answered in writing while still undecided, then left unopened: it owes nothing.
    answered = await _written_inquiry(client, desk)
    r = await client.post(f"/api/cases/{answered}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "written", "signer": "钱经理", "note": "书面答复已送达"})
    assert r.status_code == 200, r.text
    await _not_opened(client, desk, answered)
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "phone", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": "电话询问停车费"})
    phoned = r.json()["case"]["id"]
    await _not_opened(client, desk, phoned)

    def migrate(step, target: str):  # noqa: ANN001, ANN202
        def run(sync_conn) -> None:  # noqa: ANN001
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            step(cfg, target)
        return run

    engine = create_async_engine(db_url)
    try:
        # Back to before the backfill, with the rows as the code before D69 stored them: an unopened
        # intake ran no clock, so its next_due_at was NULL.
        async with engine.begin() as conn:
            await conn.run_sync(migrate(command.downgrade, "0014_written_reply_due-1"))
            await conn.execute(update(cases).where(cases.c.id.in_([owed, answered, phoned])).values(next_due_at=None))
        assert _queued((await client.get("/api/followups", headers=desk)).json(), owed) == []
        await upgrade(db_url)
        await upgrade(db_url)  # already at the head: nothing runs twice
        async with engine.connect() as conn:
            stored = dict((await conn.execute(select(cases.c.id, cases.c.next_due_at).where(
                cases.c.id.in_([owed, answered, phoned])))).all())
            received = (await conn.execute(select(cases.c.received_at).where(cases.c.id == owed))).scalar_one()
        # The backfill runs the migration again on the same rows: it sets what is unset, nothing else.
        async with engine.begin() as conn:
            from importlib import import_module

            from server.clock import SystemClock
            mig = import_module("server.migrations.versions.0014_written_reply_due")
            assert await conn.run_sync(lambda c: mig.backfill_written_reply_due(c, SystemClock().now())) == 0
    finally:
        await engine.dispose()
    assert stored == {owed: received + timedelta(days=2), answered: None, phoned: None}
    # The queue, the overdue list's candidates and the handover read that column: the reply is owed again.
    assert _queued((await client.get("/api/followups", headers=desk)).json(), owed) == [CLOCK]
    r = await client.post("/api/handovers", headers=desk, json={"incoming_id": "usr_frontdesk", "notes": "夜班"})
    listed = [i["case_id"] for i in r.json()["items"]]
    assert owed in listed and answered not in listed and phoned not in listed


async def test_a_written_reply_is_recorded_with_its_signer_and_refused_without_one(client) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "frontdesk")
    cid = await _written_inquiry(client, desk)
    url = f"/api/cases/{cid}/follow-up"
    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "written", "note": "书面答复已送达"})
    assert (r.status_code, r.json()["code"]) == (400, "case.written_reply_signer_required"), r.text
    assert r.json()["details"]["missing"] == ["signer"]
    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "phone", "signer": "钱经理"})
    assert (r.status_code, r.json()["code"]) == (400, "case.signer_only_for_written_reply"), r.text
    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "written", "signer": "x" * 61})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
    view = await _view(client, desk, cid)
    assert view["case"]["follow_ups"] == [] and _clock(view)["running"]  # nothing refused was kept

    r = await client.post(url, headers=desk, json={"kind": "reply", "medium": "written", "signer": "钱经理",
                                                   "note": "书面答复已送达"})
    assert r.status_code == 200, r.text
    view = r.json()
    [fu] = view["case"]["follow_ups"]
    assert (fu["medium"], fu["signer"], fu["by"]) == ("written", "钱经理", "usr_frontdesk")
    assert any(e["action"] == "case.followed_up" and e["data"] == {"kind": "reply", "medium": "written", "signer": "钱经理"}
               for e in view["timeline"])
    assert not _clock(view)["running"]
