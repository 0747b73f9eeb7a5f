"""A CAPA report's owner is reminded on the morning of its due day, and the owner and the managers once
the next morning if its actions are still not recorded as done; nothing once they are, or while the report
is sent back (R-RV-4, D117, D140). Before this the report named an owner and a date and nobody
was reminded of either.

Sent through the push service double and written to the inbox, on SQLite and PostgreSQL
(ESTATEDESK_TEST_DB). T0 is Monday 23 November 2026, 10:00 Shanghai; the report is due Monday 30 November.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from server.notify.capa import CAPA_CODE, OPEN_CAPAS_TASK, plan_open_capas
from server.notify.scheduler import run_once
from server.notify.tables import reminders
from server.storage.db import Database
from server.storage.schema import audit, one_time_tasks
from tests.conftest import login
from tests.integration.test_push_reminders import inbox, reminder_rows, subscribe
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

POOR = {"week_start": "2026-11-16", "cases_checked": 9, "poor_quality": True, "findings": "两单未按时回访"}
CAPA = {"report_no": "CAPA-2026-47", "problem": "两单派工后未按时回访", "cause": "回访任务无人跟进",
        "corrective_action": "本周补做两单回访", "preventive_action": "回访列入每日交接班检查",
        "owner_id": "usr_dispatcher", "due_on": "2026-11-30"}


def sh(m: int, d: int, h: int, mi: int = 0) -> datetime:
    """Shanghai wall time as the UTC instant."""
    return datetime(2026, m, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


DUE_MORNING = sh(11, 30, 8, 30)
NEXT_MORNING = sh(12, 1, 8, 30)
DUE = sh(12, 1, 0)  # the end of the due day


async def _filed(api, **over) -> tuple[dict, str]:  # noqa: ANN001
    mgr = await login(api, "manager")
    r = await api.post("/api/quality/weekly-checks", headers=mgr, json=POOR)
    assert r.status_code == 201, r.text
    check_id = r.json()["id"]
    r = await api.post(f"/api/quality/weekly-checks/{check_id}/capa", headers=mgr, json={**CAPA, **over})
    assert r.status_code == 200, r.text
    return mgr, check_id


def _capa(phone) -> list[dict]:  # noqa: ANN001
    return [m for m in phone.json_messages() if m["code"] == CAPA_CODE]


async def _rounds(db: Database, clock, *moments: datetime) -> None:  # noqa: ANN001
    for at in moments:
        clock.set(at)
        await run_once(db, at)


async def test_the_owner_hears_on_the_due_morning_and_owner_and_managers_once_when_overdue(api, demo_db, clock):  # noqa: ANN001  # R-RV-4
    with PushServiceDouble() as push_service:
        owner = await subscribe(api, push_service, "dispatcher")
        manager = await subscribe(api, push_service, "manager")
        _, check_id = await _filed(api)
        rows = await reminder_rows(demo_db, check_id)
        assert {(r.kind, r.recipient_id, r.send_at, r.due_at, r.state) for r in rows} == {
            ("before_due", "usr_dispatcher", DUE_MORNING, DUE, "pending"),
            ("overdue", "usr_dispatcher", NEXT_MORNING, DUE, "pending"),
            ("overdue", "usr_manager", NEXT_MORNING, DUE, "pending")}

        await _rounds(demo_db, clock, sh(11, 27, 17), DUE_MORNING - timedelta(minutes=1))
        assert _capa(owner) == [] and _capa(manager) == []
        await _rounds(demo_db, clock, DUE_MORNING)
        [msg] = _capa(owner)
        assert (msg["title"], msg["body"]) == (
            "即将到期：纠正预防措施", "纠正预防措施报告 CAPA-2026-47：本周补做两单回访（完成期限 11/30，责任人：王调度）")
        assert msg["body_en"] == "CAPA report CAPA-2026-47: 本周补做两单回访 (due 11/30, owner: 王调度)"
        assert (msg["tag"], msg["url"], msg["case_id"], msg["job_id"]) == (f"capa-{check_id}", "/#/reminders", None, None)
        [item] = [i for i in await inbox(demo_db, "usr_dispatcher") if i["code"] == CAPA_CODE]
        assert (item["title"], item["body"], item["case_id"], item["url"]) == (msg["title"], msg["body"], None,
                                                                              "/#/reminders")
        # Every later round of the day sends nothing more: one reminder for the stage.
        await _rounds(demo_db, clock, DUE_MORNING + timedelta(minutes=5), sh(11, 30, 17, 30), DUE - timedelta(minutes=1))
        assert len(_capa(owner)) == 1 and _capa(manager) == []

        # Not recorded as done by the end of the day: the owner and the manager, once, next morning.
        await _rounds(demo_db, clock, DUE + timedelta(hours=1), NEXT_MORNING)
        assert len(_capa(owner)) == 2 and len(_capa(manager)) == 1
        [late] = _capa(manager)
        assert (late["title"], late["body"], late["url"]) == (
            "已超时：纠正预防措施",
            "纠正预防措施报告 CAPA-2026-47：本周补做两单回访（完成期限 11/30，责任人：王调度，尚未落实）",
            "/#/review?focus=quality")
        assert _capa(owner)[1]["body"] == late["body"]
        await _rounds(demo_db, clock, NEXT_MORNING + timedelta(hours=3), sh(12, 2, 9), sh(12, 7, 9))
        assert (len(_capa(owner)), len(_capa(manager))) == (2, 1)
        assert sorted((r.kind, r.recipient_id, r.state, r.attempts) for r in await reminder_rows(demo_db, check_id)) == [
            ("before_due", "usr_dispatcher", "sent", 1), ("overdue", "usr_dispatcher", "sent", 1),
            ("overdue", "usr_manager", "sent", 1)]


async def test_nothing_is_sent_once_the_manager_records_the_actions_done(api, demo_db, clock):  # noqa: ANN001  # R-RV-4
    with PushServiceDouble() as push_service:
        owner = await subscribe(api, push_service, "dispatcher")
        manager = await subscribe(api, push_service, "manager")
        mgr, check_id = await _filed(api)
        url = f"/api/quality/weekly-checks/{check_id}/capa"
        r = await api.post(url + "/decision", headers=await login(api, "gm"), json={"accept": True})
        assert r.status_code == 200, r.text
        # The GM's sign-off approves the report; the actions are still to do, and still reminded.
        assert {r.state for r in await reminder_rows(demo_db, check_id)} == {"pending"}

        r = await api.post(url + "/done", headers=await login(api, "dispatcher"), json={"note": "已完成"})
        assert (r.status_code, r.json()["code"]) == (403, "monthly_report.not_manager")
        r = await api.post(url + "/done", headers=mgr, json={"note": " "})
        assert (r.status_code, r.json()["code"]) == (400, "monthly_report.capa_done_note_required")
        assert r.json()["details"]["missing"] == ["note"]
        clock.set(sh(11, 27, 15))
        r = await api.post(url + "/done", headers=mgr, json={"note": "两单已回访，交接班检查表已加回访一栏"})
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["capa_done_by"], done["capa_done_note"], done["capa_status"]) == (
            "usr_manager", "两单已回访，交接班检查表已加回访一栏", "accepted")
        assert done["capa_done_at"].startswith("2026-11-27T07:00")
        r = await api.post(url + "/done", headers=mgr, json={"note": "再记一次"})
        assert (r.status_code, r.json()["code"]) == (409, "monthly_report.capa_already_done")

        assert {r.state for r in await reminder_rows(demo_db, check_id)} == {"cancelled"}
        await _rounds(demo_db, clock, DUE_MORNING, NEXT_MORNING, sh(12, 2, 9))
        assert _capa(owner) == [] and _capa(manager) == []
        async with demo_db.read() as conn:
            actions = (await conn.execute(select(audit.c.action).where(audit.c.entity_id == check_id)
                                          .order_by(audit.c.id))).scalars().all()
        assert actions[-1] == "weekly_check.capa_done"


async def test_done_after_the_due_morning_stops_the_overdue_one_and_a_sent_back_report_is_silent(api, demo_db, clock):  # noqa: ANN001  # R-RV-4
    with PushServiceDouble() as push_service:
        owner = await subscribe(api, push_service, "dispatcher")
        manager = await subscribe(api, push_service, "manager")
        mgr, check_id = await _filed(api)
        await _rounds(demo_db, clock, DUE_MORNING)
        assert len(_capa(owner)) == 1
        r = await api.post(f"/api/quality/weekly-checks/{check_id}/capa/done", headers=mgr, json={"note": "已完成"})
        assert r.status_code == 200, r.text
        await _rounds(demo_db, clock, NEXT_MORNING)
        assert len(_capa(owner)) == 1 and _capa(manager) == []

        # Another poor week's report, sent back by the GM: nothing for it until it is filed again.
        clock.set(sh(11, 23, 11))
        r = await api.post("/api/quality/weekly-checks", headers=mgr, json={**POOR, "week_start": "2026-11-09"})
        other = r.json()["id"]
        url = f"/api/quality/weekly-checks/{other}/capa"
        assert (await api.post(url, headers=mgr, json={**CAPA, "report_no": "CAPA-2026-46"})).status_code == 200
        r = await api.post(url + "/decision", headers=await login(api, "gm"), json={"accept": False, "reason": "原因不具体"})
        assert r.status_code == 200, r.text
        assert {r.state for r in await reminder_rows(demo_db, other)} == {"cancelled"}
        # Filed again with another owner and date: their reminders, the old ones stay cancelled.
        r = await api.post(url, headers=mgr, json={**CAPA, "report_no": "CAPA-2026-46", "owner_id": "usr_lead",
                                                   "due_on": "2026-12-04"})
        assert r.status_code == 200, r.text
        assert sorted((r.kind, r.recipient_id, r.state) for r in await reminder_rows(demo_db, other)) == [
            ("before_due", "usr_dispatcher", "cancelled"), ("before_due", "usr_lead", "pending"),
            ("overdue", "usr_dispatcher", "cancelled"), ("overdue", "usr_lead", "pending"),
            ("overdue", "usr_manager", "cancelled"), ("overdue", "usr_manager", "pending")]


async def test_two_schedulers_claiming_at_once_send_each_capa_reminder_once(api, demo_db, clock):  # noqa: ANN001  # R-RV-4
    # Two server processes: two Database objects on one database (PostgreSQL: FOR UPDATE SKIP LOCKED).
    with PushServiceDouble() as push_service:
        owner = await subscribe(api, push_service, "dispatcher")
        manager = await subscribe(api, push_service, "manager")
        _, check_id = await _filed(api)
        other = Database(demo_db.url, clock=clock)
        try:
            for at in (DUE_MORNING, DUE_MORNING + timedelta(seconds=5), NEXT_MORNING, NEXT_MORNING + timedelta(seconds=5)):
                clock.set(at)
                await asyncio.gather(*(run_once(d, at, instance=f"p{i}", batch=1)
                                       for i, d in enumerate((demo_db, other, demo_db, other))))
        finally:
            await other.dispose()
        assert (len(_capa(owner)), len(_capa(manager))) == (2, 1)
        sent = await reminder_rows(demo_db, check_id, state="sent")
        assert len(sent) == 3 and all(r.attempts == 1 for r in sent)
        assert sorted(m["reminder_id"] for p in (owner, manager) for m in _capa(p)) == sorted(r.id for r in sent)
        assert await reminder_rows(demo_db, state="claimed") == []


async def test_reports_filed_before_their_reminders_are_planned_once_at_a_schedulers_start(api, demo_db, clock):  # noqa: ANN001  # R-RV-4
    _, check_id = await _filed(api)
    mgr = await login(api, "manager")
    r = await api.post("/api/quality/weekly-checks", headers=mgr, json={**POOR, "week_start": "2026-11-09"})
    done_id = r.json()["id"]
    url = f"/api/quality/weekly-checks/{done_id}/capa"
    assert (await api.post(url, headers=mgr, json={**CAPA, "report_no": "CAPA-2026-46"})).status_code == 200
    assert (await api.post(url + "/done", headers=mgr, json={"note": "已完成"})).status_code == 200
    # As stored before this change: the reports, and no reminder for them.
    async with demo_db.transaction() as uow:
        await uow.conn.execute(delete(reminders).where(reminders.c.code == CAPA_CODE))
    other = Database(demo_db.url, clock=clock)
    try:
        results = await asyncio.gather(plan_open_capas(demo_db, instance="p1"), plan_open_capas(other, instance="p2"))
    finally:
        await other.dispose()
    assert sorted(results, key=lambda x: x is None) == [1, None]  # one start planned the open report; the other nothing
    assert await plan_open_capas(demo_db, instance="p1") is None
    rows = await reminder_rows(demo_db, code=CAPA_CODE)
    assert {(r.case_id, r.kind, r.recipient_id) for r in rows} == {
        (check_id, "before_due", "usr_dispatcher"), (check_id, "overdue", "usr_dispatcher"),
        (check_id, "overdue", "usr_manager")}
    async with demo_db.read() as conn:
        detail = (await conn.execute(select(one_time_tasks.c.detail)
                                     .where(one_time_tasks.c.name == OPEN_CAPAS_TASK))).scalar_one()
    assert detail == "1 CAPA reports with open actions planned"
