"""The demo compound's cases read like a real morning: each step at its own time, in order, and the
rules' clocks judge them as intended (D75) — on site in time where meant, one job late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.audit import case_timeline
from server.clock import FixedClock
from server.domain import deadlines
from server.domain.deadlines import ClockCode
from server.services.cases import compound_rules, decode_case
from server.storage.migrate import upgrade
from server.storage.schema import cases

SEEDED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


async def _seeded(url: str):  # noqa: ANN202
    from server.demo import seed_demo
    from server.storage.db import Database

    await upgrade(url)
    db = Database(url, clock=FixedClock(SEEDED))
    try:
        await seed_demo(db)
        assert db.clock.now() == SEEDED  # the database has its own clock back
        async with db.read() as conn:
            found = [decode_case(d) for d in (await conn.execute(select(cases.c.doc))).scalars().all()]
            timelines = {c.id: await case_timeline(conn, c.id) for c in found}
            rules = await compound_rules(conn, "cmp_demo")
    finally:
        await db.dispose()
    return {c.content: c for c in found}, timelines, rules


async def test_each_demo_case_s_history_runs_in_order_minutes_apart(empty_db_url) -> None:  # noqa: ANN001  # R-IN-1 R-FU-4
    by_content, timelines, _ = await _seeded(empty_db_url)
    assert len(by_content) == 6
    for case in by_content.values():
        times = [e["at"] for e in timelines[case.id]]
        assert times == sorted(times), case.content
        assert times[0] == case.received_at and times[-1] <= SEEDED, case.content
        if len(times) > 1:
            assert times[-1] - times[0] >= timedelta(minutes=1), case.content  # not one instant
    done = by_content["阳台地漏堵塞"]
    steps = {e["action"]: e["at"] for e in timelines[done.id]}
    assert (steps["case.received"] < steps["case.opened"] < steps["case.dispatched"] < steps["work_order.accepted"]
            < steps["work_order.arrived"] < steps["work_order.completed"])
    # The emergency's fire brigade was called before the intake was registered, while the form was open.
    fire = by_content["地下车库有烟雾"]
    assert fire.emergency is not None
    [call] = fire.emergency.public_calls
    assert call.at == fire.received_at - timedelta(minutes=1)
    # Newest received last: the complaint just taken is the latest.
    assert max(by_content.values(), key=lambda c: c.received_at).content == "楼上夜间装修噪音"


async def test_the_demo_repairs_are_on_site_in_time_but_one_is_late(empty_db_url) -> None:  # noqa: ANN001  # R-FU-4
    by_content, _, rules = await _seeded(empty_db_url)

    def on_site(content: str) -> deadlines.Clock:
        case = by_content[content]
        [k] = [k for k in deadlines.clocks(case, rules.calendar, SEEDED, rules.policy) if k.code == ClockCode.FU4_ON_SITE_15M]
        return k

    for content in ("阳台地漏堵塞", "卫生间灯不亮"):
        k = on_site(content)
        assert (k.running, k.overdue) == (False, False), content
        assert k.satisfied_at is not None and k.satisfied_at <= k.due_at, content
    late = on_site("厨房水龙头漏水")
    assert (late.running, late.overdue) == (True, True)
    assert SEEDED - late.due_at == timedelta(minutes=20)
    # That job is the one thing late: every other clock of the morning is met or still running in time.
    overdue = {(c.content, str(k.code)) for c in by_content.values()
               for k in deadlines.clocks(c, rules.calendar, SEEDED, rules.policy) if k.running and k.overdue}
    assert overdue == {("厨房水龙头漏水", "FU4_ON_SITE_15M")}


async def test_the_demo_records_only_who_was_told_and_what_the_scene_reported(empty_db_url) -> None:  # noqa: ANN001  # R-DI-1 R-EM-2
    by_content, timelines, _ = await _seeded(empty_db_url)
    # A repair: the repair lead tried first, not reached, then the technician.
    assert [(d.told_id, d.reached) for d in by_content["阳台地漏堵塞"].dispatches] == [("usr_lead", False), ("usr_tech", True)]
    # Cleaning, which nobody leads in the demo compound: the cleaner told directly, the repair lead not
    # ticked as "not reached" about work he does not lead.
    cleaning = by_content["3栋电梯厅地面有大片污渍，已两天没人清理"]
    assert [(d.told_id, d.reached) for d in cleaning.dispatches] == [("usr_cleaner", True)]
    [sent] = [e for e in timelines[cleaning.id] if e["action"] == "case.dispatched"]
    assert sent["data"]["direct"] == "no_lead"
    # The guard captain's report back, written down at the desk, is in the emergency's history.
    fire = by_content["地下车库有烟雾"]
    [arrived] = [e for e in timelines[fire.id] if e["action"] == "emergency.arrived"]
    assert arrived["data"] == {"role": "guard_captain", "report": "B2 配电间冒烟，已断电，地库人员已疏散"}
