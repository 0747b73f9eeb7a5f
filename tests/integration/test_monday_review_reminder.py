"""R-FU-3: the Monday review reminds once a week, not once per case, and agrees with its page and the queue.

Each open case used to plan its own Monday-review reminders: a "即将到期：周一复查上周案件" to its
follower at 08:15 and an "已超时" to every manager at 08:30, one pair per case. Now the scheduler's round
stores one reminder a week (server/notify/weekly.py) when the review day's working hours start, naming
how many cases the review page has still to review, and one to the managers at the end of that day if
some are still not reviewed. Sent through the push service double and written to the inbox, on the
database the tests run on (SQLite, and PostgreSQL with ESTATEDESK_TEST_DB=pg). T0 is Monday 23
November 2026, 10:00 in Shanghai; the review looked at here is Monday 30 November's.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from server.notify.scheduler import run_once
from server.storage.db import Database
from server.storage.schema import one_time_tasks
from tests.conftest import T0, login
from tests.integration.scenarios import new_repair, open_and_dispatch
from tests.integration.test_push_reminders import inbox, reminder_rows, subscribe
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

H = timedelta(hours=1)
CODE = "FU3_MONDAY_REVIEW"
REVIEW_OPENS = T0 + timedelta(days=7) - 1.5 * H  # Monday 30 November, 08:30
REVIEW_DUE = T0 + timedelta(days=7) + 7.5 * H  # 17:30


def _weekly(phone) -> list[dict]:  # noqa: ANN001
    return [m for m in phone.json_messages() if m["code"] == CODE]


async def _to_review(api, desk) -> tuple[int, list[dict]]:  # noqa: ANN001
    """The review page's count of cases still to review, and the desk queue's Monday-review items."""
    r = await api.get("/api/review/monday", headers=desk)
    assert r.status_code == 200, r.text
    page = sum(1 for c in r.json() if not c["reviewed"])
    r = await api.get("/api/followups", headers=desk)
    assert r.status_code == 200, r.text
    queue = [i for i in r.json() if i["clock"]["code"] == CODE and i["due_at"] <= REVIEW_DUE.isoformat().replace("+00:00", "Z")]
    return page, queue


async def test_one_reminder_a_week_names_the_cases_the_review_page_has_left(api, demo_db, clock):  # noqa: ANN001  # R-FU-3
    with PushServiceDouble() as push_service:
        dispatcher = await subscribe(api, push_service, "dispatcher")
        manager = await subscribe(api, push_service, "manager")
        desk = await login(api, "dispatcher")
        mine = []
        for content in ("楼道灯不亮", "电梯按钮失灵"):
            case_id = (await new_repair(api, desk, content=content))["case"]["id"]
            await open_and_dispatch(api, desk, case_id)
            mine.append(case_id)
        r = await api.post("/api/cases", headers=desk, json={
            "kind": "inquiry", "channel": "phone", "contact_name": "高业主", "phone": "13800000007",
            "unit_id": "unit_2_301", "content": "询问停水时间"})  # its opening left undecided: reviewed too
        assert r.status_code == 201, r.text
        mine.append(r.json()["case"]["id"])
        # Parked as cannot-handle before the review: it waits for the quarterly review (R-CL-4), and is
        # neither on the review page nor in the count, as its Monday-review clock has stopped.
        parked = (await new_repair(api, desk, content="屋面整体翻新"))["case"]["id"]
        await open_and_dispatch(api, desk, parked)
        r = await api.post(f"/api/cases/{parked}/cannot-handle", headers=await login(api, "manager"),
                           json={"reason": "须业主大会表决"})
        assert r.status_code == 200, r.text
        # No case plans a Monday-review reminder of its own.
        for case_id in mine:
            assert await reminder_rows(demo_db, case_id, code=CODE) == []

        clock.set(REVIEW_OPENS - timedelta(minutes=1))
        await run_once(demo_db, REVIEW_OPENS - timedelta(minutes=1))
        assert _weekly(dispatcher) == [] and await reminder_rows(demo_db, code=CODE) == []

        clock.set(REVIEW_OPENS)
        page, queue = await _to_review(api, desk)
        assert page == 3 and len(queue) == page
        r = await api.get("/api/review/monday", headers=desk)
        assert parked not in {c["id"] for c in r.json()}
        assert all(not i["overdue"] and i["due_at"] == REVIEW_DUE.isoformat().replace("+00:00", "Z") for i in queue)
        await run_once(demo_db, REVIEW_OPENS)
        [msg] = _weekly(dispatcher)
        assert msg["title"] == "即将到期：周一复查上周案件"
        assert msg["body"] == f"上周案件 {page} 件待复查（截止 11/30 17:30）"
        assert msg["body_en"] == f"{page} cases from last week to review (due 11/30 17:30)"
        assert (msg["url"], msg["tag"], msg["case_id"], msg["job_id"]) == ("/#/review", "monday-review-2026-11-30", None, None)
        assert "late" not in msg
        [item] = [i for i in await inbox(demo_db, "usr_dispatcher") if i["code"] == CODE]
        assert (item["title"], item["body"], item["url"], item["case_id"]) == (msg["title"], msg["body"], "/#/review", None)
        assert _weekly(manager) == []

        # Later rounds of the day send nothing more, whatever is reviewed meanwhile.
        clock.set(REVIEW_OPENS + 0.5 * H)
        r = await api.post(f"/api/cases/{mine[0]}/follow-up", headers=desk, json={"kind": "weekly_review", "note": "已督促"})
        assert r.status_code == 200, r.text
        for at in (REVIEW_OPENS + H, REVIEW_DUE - timedelta(minutes=1)):
            await run_once(demo_db, at)
        assert len(_weekly(dispatcher)) == 1 and _weekly(manager) == []

        # At the end of the day the managers hear once how many the review left.
        clock.set(REVIEW_DUE + timedelta(minutes=1))
        left, queue = await _to_review(api, desk)
        assert left == page - 1 and len(queue) == left and all(i["overdue"] for i in queue)
        await run_once(demo_db, REVIEW_DUE)
        [msg] = _weekly(manager)
        assert (msg["title"], msg["body"]) == ("已超时：周一复查上周案件", f"上周案件尚有 {left} 件未复查（时限 11/30 17:30）")
        assert msg["body_en"] == f"{left} cases from last week not reviewed (limit 11/30 17:30)"
        await run_once(demo_db, REVIEW_DUE + 2 * H)
        assert (len(_weekly(dispatcher)), len(_weekly(manager))) == (1, 1)
        assert {(r.kind, r.recipient_id, r.state) for r in await reminder_rows(demo_db, code=CODE)} == {
            ("before_due", "usr_dispatcher", "sent"), ("overdue", "usr_manager", "sent")}


async def test_a_week_with_nothing_left_to_review_reminds_nobody(api, demo_db, clock):  # noqa: ANN001  # R-FU-3
    desk = await login(api, "dispatcher")
    await open_and_dispatch(api, desk, (await new_repair(api, desk))["case"]["id"])
    clock.set(REVIEW_OPENS - 2 * H)  # 06:30, before the review's day starts: review everything
    r = await api.get("/api/review/monday", headers=desk)
    assert len(r.json()) == 1
    for c in r.json():
        r = await api.post(f"/api/cases/{c['id']}/follow-up", headers=desk, json={"kind": "weekly_review"})
        assert r.status_code == 200, r.text
    for at in (REVIEW_OPENS, REVIEW_DUE):
        clock.set(at)
        await run_once(demo_db, at)
    assert await reminder_rows(demo_db, code=CODE) == []
    for user in ("usr_dispatcher", "usr_manager"):
        assert [i for i in await inbox(demo_db, user) if i["code"] == CODE] == []


async def test_two_schedulers_store_the_weeks_reminder_once(api, demo_db, clock):  # noqa: ANN001  # R-FU-3
    # Two server processes on one database, each round planning when the review opens.
    desk = await login(api, "dispatcher")
    await open_and_dispatch(api, desk, (await new_repair(api, desk))["case"]["id"])
    clock.set(REVIEW_OPENS)
    other = Database(demo_db.url, clock=clock)
    try:
        await asyncio.gather(*(run_once(d, REVIEW_OPENS, instance=f"p{i}")
                               for i, d in enumerate((demo_db, other, demo_db, other))))
    finally:
        await other.dispose()
    rows = await reminder_rows(demo_db, code=CODE)
    assert [(r.kind, r.recipient_id, r.state) for r in rows] == [("before_due", "usr_dispatcher", "sent")]
    async with demo_db.read() as conn:
        tasks = (await conn.execute(select(one_time_tasks.c.name, one_time_tasks.c.detail)
                                    .where(one_time_tasks.c.name.like("monday-review:%")))).all()
    assert len(tasks) == 1 and tasks[0].detail.endswith("reminders stored: 1")


async def test_the_per_case_monday_review_reminders_stored_before_are_cancelled_by_the_migration(empty_db_url):  # noqa: ANN001  # R-FU-3
    # Stored by the per-case planning before the weekly reminder: pending ones would still go out next
    # Monday, one pair per case, for every case not saved again in between.
    from alembic import command
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.notify.tables import reminders
    from server.storage.migrate import alembic_config, upgrade

    def to(revision: str):  # noqa: ANN202
        def run(sync_conn) -> None:  # noqa: ANN001
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, revision)
        return run

    engine = create_async_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(to("0004_push"))
            row = dict(compound_id="cmp", job_id=None, due_at=T0, send_at=T0, payload="{}", attempts=0,
                       next_attempt_at=T0, delivered_to="[]", created_at=T0, updated_at=T0)
            await conn.execute(insert(reminders), [
                dict(row, id="r1", case_id="c1", code=CODE, kind="before_due", recipient_id="d1", state="pending"),
                dict(row, id="r2", case_id="c1", code=CODE, kind="overdue", recipient_id="m1", state="pending"),
                dict(row, id="r3", case_id="c2", code=CODE, kind="overdue", recipient_id="m1", state="sent"),
                dict(row, id="r4", case_id="c1", code="FU1_FIRST_FOLLOW_UP", kind="before_due", recipient_id="d1",
                     state="pending"),
            ])
    finally:
        await engine.dispose()
    await upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        async with db.read() as conn:
            states = dict((await conn.execute(select(reminders.c.id, reminders.c.state))).all())
    finally:
        await db.dispose()
    assert states == {"r1": "cancelled", "r2": "cancelled", "r3": "sent", "r4": "pending"}
