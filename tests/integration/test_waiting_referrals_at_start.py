"""R-OP-3, R-FU-3: a referral stored before its reminders were planned gets them when a scheduler starts.

Before D78 a referral was stored with no reminder; reminders are planned at a case's save, so such a
referral waited for something else to change its case. A scheduler's start plans every waiting
referral once per database (server/notify/catch_up.py, D88), claimed through the database: two
processes starting together plan it once. T0 is Monday 23 November 2026, 10:00 in Shanghai.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from server.notify.catch_up import WAITING_REFERRALS, plan_waiting_referrals
from server.notify.scheduler import run_forever, run_once
from server.notify.tables import reminders
from server.storage.db import Database
from server.storage.schema import one_time_tasks
from tests.conftest import T0, login
from tests.integration.scenarios import new_repair, open_and_dispatch
from tests.integration.test_push_reminders import inbox, reminder_rows
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)

H = timedelta(hours=1)
OPENING, REVIEW = "OP3_REFERRAL", "FU3_REFERRAL"
ROOT = Path(__file__).resolve().parents[2]


async def _stored_before_d78(api, db: Database) -> tuple[str, str]:  # noqa: ANN001
    """An opening passed to the lead and a Monday review passed to the manager, with no referral reminder
    stored: as the cases were left by the code before D78."""
    desk = await login(api, "dispatcher")
    opening = (await new_repair(api, desk, content="门铃不响"))["case"]["id"]
    r = await api.post(f"/api/cases/{opening}/refer-opening", headers=desk, json={"to_id": "usr_lead"})
    assert r.status_code == 200, r.text
    review = (await new_repair(api, desk, content="地下车库渗水"))["case"]["id"]
    await open_and_dispatch(api, desk, review)
    r = await api.post(f"/api/cases/{review}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "请经理定方案", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    async with db.transaction() as uow:
        await uow.conn.execute(delete(reminders).where(reminders.c.code.in_([OPENING, REVIEW])))
    assert await reminder_rows(db, code=OPENING) == [] and await reminder_rows(db, code=REVIEW) == []
    return opening, review


def _keys(rows: list) -> list[tuple]:
    return [(r.code, r.kind, r.recipient_id, r.send_at, r.state) for r in rows]


EXPECTED = [
    (OPENING, "referral", "usr_lead", T0 + 2 * H, "pending"),
    (OPENING, "referral_others", "usr_manager", T0 + 5.5 * H, "pending"),
    # Passed up on Monday 10:00: the named manager when Tuesday starts (08:30); with one manager, no others.
    (REVIEW, "referral", "usr_manager", T0 + timedelta(days=1) - 1.5 * H, "pending"),
]


async def _referral_rows(db: Database) -> list:
    return sorted(await reminder_rows(db, code=OPENING) + await reminder_rows(db, code=REVIEW),
                  key=lambda r: (r.code != OPENING, r.send_at, r.recipient_id))


async def _task(db: Database):  # noqa: ANN202
    async with db.read() as conn:
        # The table holds other tasks too (the Monday review's weekly reminder, server/notify/weekly.py).
        return (await conn.execute(select(one_time_tasks).where(one_time_tasks.c.name == WAITING_REFERRALS))).all()


async def test_a_scheduler_start_plans_the_reminders_of_a_referral_stored_without_them(api, demo_db, clock):  # noqa: ANN001  # R-OP-3, R-FU-3
    opening, _ = await _stored_before_d78(api, demo_db)
    # And a pending D78 "everyone else" row to the GM, whom D88 no longer pushes while a manager is there.
    async with demo_db.transaction() as uow:
        await uow.conn.execute(insert(reminders).values(
            id="rem_d78_gm", compound_id="cmp_demo", case_id=opening, code=OPENING, kind="referral_others",
            recipient_id="usr_gm", due_at=T0, send_at=T0 + 5.5 * H, payload="{}", state="pending", attempts=0,
            next_attempt_at=T0 + 5.5 * H, delivered_to="[]", created_at=T0, updated_at=T0))

    task = asyncio.create_task(run_forever(demo_db, key_dir=None, subject="mailto:ops@example.com",
                                           interval_s=3600))
    try:
        for _ in range(200):
            if await _task(demo_db):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    [done] = await _task(demo_db)
    assert (done.name, done.done_at, done.detail) == (WAITING_REFERRALS, T0, "2 cases with a referral waiting planned")
    rows = await _referral_rows(demo_db)
    assert _keys([r for r in rows if r.id != "rem_d78_gm"]) == EXPECTED
    assert [r.state for r in rows if r.id == "rem_d78_gm"] == ["cancelled"]
    await run_once(demo_db, T0 + 6 * H)
    assert [i["title"] for i in await inbox(demo_db, "usr_lead") if i["code"] == OPENING] == ["请决定是否立项"]
    assert [i for i in await inbox(demo_db, "usr_gm") if i["code"] == OPENING] == []


async def test_two_schedulers_starting_together_plan_a_waiting_referral_once(api, demo_db, clock):  # noqa: ANN001  # R-OP-3, R-FU-3
    await _stored_before_d78(api, demo_db)
    other = Database(demo_db.url, clock=clock)
    try:
        results = await asyncio.gather(plan_waiting_referrals(demo_db, instance="a"),
                                       plan_waiting_referrals(other, instance="b"))
        assert sorted(results, key=str) == [2, None]  # one planned both cases, the other found it done
        [done] = await _task(demo_db)
        assert done.done_by == ("a" if results[0] == 2 else "b")
        rows = await _referral_rows(demo_db)
        assert _keys(rows) == EXPECTED
        # Later starts find it done and leave every row as it is.
        assert await plan_waiting_referrals(other, instance="c") is None
        assert [(r.id, r.updated_at) for r in await _referral_rows(demo_db)] == [(r.id, r.updated_at) for r in rows]
        # Sent once each by the two schedulers.
        for step in range(1, 25):  # to Tuesday 10:00 in hours
            await asyncio.gather(*(run_once(d, T0 + step * H) for d in (demo_db, other)))
    finally:
        await other.dispose()
    sent = await _referral_rows(demo_db)
    assert {(r.state, r.attempts) for r in sent} == {("sent", 1)}
    received = [(u, i["code"]) for u in ("usr_lead", "usr_manager") for i in await inbox(demo_db, u)
                if i["code"] in (OPENING, REVIEW)]
    assert sorted(received) == [("usr_lead", OPENING), ("usr_manager", REVIEW), ("usr_manager", OPENING)]


_PLANNER = """
import asyncio, sys, time
from pathlib import Path
from server.notify.catch_up import plan_waiting_referrals
from server.storage.db import Database

async def main():
    db = Database(sys.argv[1])
    here = Path(sys.argv[3])
    (here / ("ready-" + sys.argv[2])).touch()
    while not (here / "go").exists():  # both processes are up before either starts
        time.sleep(0.005)
    try:
        print(await plan_waiting_referrals(db, instance=sys.argv[2]))
    finally:
        await db.dispose()

asyncio.run(main())
"""


async def test_two_server_processes_starting_together_plan_a_waiting_referral_once(api, demo_db, clock, tmp_path):  # noqa: ANN001  # R-OP-3, R-FU-3
    # Real processes: on PostgreSQL the second one's claim waits on the first's row, then finds it taken;
    # on SQLite (one machine, one file) BEGIN IMMEDIATE queues them.
    await _stored_before_d78(api, demo_db)
    names = ("p1", "p2")
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PLANNER, demo_db.url, name, str(tmp_path), cwd=ROOT, env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for name in names]
    for _ in range(3000):  # both have imported the server and opened their database
        if all((tmp_path / f"ready-{n}").exists() for n in names):
            break
        await asyncio.sleep(0.01)
    (tmp_path / "go").touch()
    outs = []
    for p in procs:
        out, err = await asyncio.wait_for(p.communicate(), 60)
        assert p.returncode == 0, err.decode()
        outs.append(out.decode().strip())
    assert sorted(outs) == ["2", "None"]
    assert _keys(await _referral_rows(demo_db)) == EXPECTED
    [done] = await _task(demo_db)
    assert done.done_by == ("p1" if outs[0] == "2" else "p2")
