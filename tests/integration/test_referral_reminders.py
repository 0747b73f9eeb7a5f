"""R-OP-3, R-FU-3: a referral left waiting reminds the one it names, then the others who would answer (D87).

Stored with the case's other reminders (one row per person, claimed through the database and sent
once by the scheduler, server/notify/scheduler.py), pushed through the push service double and written
to each recipient's inbox. The times are server/domain/referrals.py's; T0 is Monday 23 November 2026,
10:00 in Shanghai.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.domain import deadlines
from server.notify import reminders
from server.notify.scheduler import run_once
from server.services import cases as svc
from server.services.accounts import create_user
from server.storage.db import Database
from tests.conftest import T0, login
from tests.integration.scenarios import new_repair, open_and_dispatch
from tests.integration.test_push_reminders import inbox, reminder_rows, subscribe
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

H = timedelta(hours=1)
OPENING, REVIEW = "OP3_REFERRAL", "FU3_REFERRAL"


def _msgs(phone, code: str = OPENING) -> list[dict]:  # noqa: ANN001
    """The referral reminders a phone showed (a repair's own clocks remind the lead and the managers too)."""
    return [m for m in phone.json_messages() if m["code"] == code]


async def _refer(api, desk, to: str, content: str = "门铃不响") -> str:  # noqa: ANN001
    case_id = (await new_repair(api, desk, content=content))["case"]["id"]
    r = await api.post(f"/api/cases/{case_id}/refer-opening", headers=desk, json={"to_id": to, "note": "请定"})
    assert r.status_code == 200, r.text
    return case_id


async def _second_manager(db: Database) -> None:
    await create_user(db, username="manager2", password="demo-pass-2", display_name="孙经理",
                      roles=["manager"], compound_id="cmp_demo", user_id="usr_manager2")


async def test_an_opening_left_undecided_goes_to_the_named_lead_then_to_the_manager(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    with PushServiceDouble() as push_service:
        lead = await subscribe(api, push_service, "lead")
        manager = await subscribe(api, push_service, "manager")
        desk = await login(api, "dispatcher")
        case_id = await _refer(api, desk, "usr_lead")

        rows = await reminder_rows(demo_db, case_id, code=OPENING)
        assert [(r.kind, r.recipient_id, r.send_at, r.state) for r in rows] == [
            ("referral", "usr_lead", T0 + 2 * H, "pending"),
            # 2 working hours after that, lunch (12:00–13:30) left out: 15:30. The manager, not the
            # deputy GM and the GM while a manager is there to decide (D87).
            ("referral_others", "usr_manager", T0 + 5.5 * H, "pending"),
        ]

        await run_once(demo_db, T0 + 2 * H - timedelta(seconds=1))
        assert _msgs(lead) == []
        await run_once(demo_db, T0 + 2 * H)
        [msg] = _msgs(lead)
        assert msg["title"] == "请决定是否立项" and msg["title_en"] == "Please decide whether to open this case"
        assert "王调度 11/23 10:00 转交您决定" in msg["body"] and "passed to you by 王调度" in msg["body_en"]
        assert (msg["url"], msg["tag"]) == (f"/#/case/{case_id}", f"referral-{case_id}")
        assert _msgs(manager) == []
        [item] = [i for i in await inbox(demo_db, "usr_lead") if i["code"] == OPENING]
        assert (item["title"], item["title_en"], item["url"]) == (msg["title"], msg["title_en"], msg["url"])

        await run_once(demo_db, T0 + 5.5 * H)
        [msg] = _msgs(manager)
        assert msg["title"] == "立项待决定：已转交陈班长" and msg["title_en"] == "Opening undecided: passed to 陈班长"
        assert "任何主管均可决定" in msg["body"]
        [item] = [i for i in await inbox(demo_db, "usr_manager") if i["code"] == OPENING]
        assert item["title"] == msg["title"]
        for user in ("usr_gm", "usr_deputy"):
            assert [i for i in await inbox(demo_db, user) if i["code"] == OPENING] == []
        # The named lead is not told again that it waits for the lead.
        assert len(_msgs(lead)) == 1

        # Sent once: later rounds, and planning the case again, send nothing more.
        async with demo_db.transaction() as uow:
            case = await svc.load_case(uow, case_id)
            rules = await svc.compound_rules(uow, case.compound_id)
            await reminders.schedule_for_case(uow, case, deadlines.clocks(case, rules.calendar, uow.now, rules.policy))
        await run_once(demo_db, T0 + 30 * H)
        assert (len(_msgs(lead)), len(_msgs(manager))) == (1, 1)
        rows = await reminder_rows(demo_db, case_id, code=OPENING)
        assert {(r.state, r.attempts) for r in rows} == {("sent", 1)}


async def test_a_decision_cancels_the_reminders_not_sent_yet(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    desk = await login(api, "dispatcher")
    manager = await login(api, "manager")
    case_id = await _refer(api, desk, "usr_lead")
    await run_once(demo_db, T0 + 2 * H)  # the lead's reminder goes out
    clock.advance(hours=3)
    # The manager decides in the lead's place: the others need not be told it waits.
    r = await api.post(f"/api/cases/{case_id}/decide", headers=manager, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    rows = await reminder_rows(demo_db, case_id, code=OPENING)
    assert {(r.kind, r.state) for r in rows} == {("referral", "sent"), ("referral_others", "cancelled")}
    await run_once(demo_db, T0 + 30 * H)
    assert {(r.kind, r.state) for r in await reminder_rows(demo_db, case_id, code=OPENING)} == {
        ("referral", "sent"), ("referral_others", "cancelled")}
    for user in ("usr_manager", "usr_deputy", "usr_gm"):
        assert [i for i in await inbox(demo_db, user) if i["code"] == OPENING] == []


async def test_passing_the_opening_to_someone_else_moves_the_reminders_to_the_new_hand_up(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    desk = await login(api, "dispatcher")
    case_id = await _refer(api, desk, "usr_lead")
    clock.advance(hours=1)  # 11:00: the desk asks the manager instead
    r = await api.post(f"/api/cases/{case_id}/refer-opening", headers=desk, json={"to_id": "usr_manager"})
    assert r.status_code == 200, r.text
    pending = [(r.kind, r.recipient_id, r.send_at) for r in await reminder_rows(demo_db, case_id, code=OPENING,
                                                                                state="pending")]
    assert pending == [
        ("referral", "usr_manager", T0 + 4.5 * H),  # 11:00 + 1 h before lunch + 1 h after: 14:30
        # The only manager is the one named and no lead has the case: the deputy GM (D87).
        ("referral_others", "usr_deputy", T0 + 6.5 * H),
    ]
    cancelled = await reminder_rows(demo_db, case_id, code=OPENING, state="cancelled")
    assert {r.due_at for r in cancelled} == {T0}  # every reminder of the first hand-up


async def test_a_monday_review_left_unanswered_goes_to_the_named_manager_then_the_others(api, demo_db, clock):  # noqa: ANN001  # R-FU-3
    await _second_manager(demo_db)
    with PushServiceDouble() as push_service:
        first = await subscribe(api, push_service, "manager")
        desk = await login(api, "dispatcher")
        case_id = (await new_repair(api, desk, content="地下车库渗水"))["case"]["id"]
        await open_and_dispatch(api, desk, case_id)
        clock.advance(days=7)  # Monday 30 November, 10:00
        r = await api.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={
            "kind": "weekly_review", "note": "防水需外包，请经理定方案", "reported_to_manager_id": "usr_manager"})
        assert r.status_code == 200, r.text
        tuesday_start = T0 + timedelta(days=8) - 1.5 * H  # 1 December 08:30
        tuesday_end = T0 + timedelta(days=8) + 7.5 * H  # 17:30
        rows = await reminder_rows(demo_db, case_id, code=REVIEW)
        assert [(r.kind, r.recipient_id, r.send_at) for r in rows] == [
            ("referral", "usr_manager", tuesday_start),
            ("referral_others", "usr_manager2", tuesday_end),  # managers only, the named one left out
        ]
        await run_once(demo_db, tuesday_start)
        [msg] = _msgs(first, REVIEW)
        assert msg["title"] == "请答复周一回顾转交的案件" and "防水需外包，请经理定方案" in msg["body"]
        assert msg["title_en"] == "A Monday review waits for your answer"
        await run_once(demo_db, tuesday_end)
        [item] = [i for i in await inbox(demo_db, "usr_manager2") if i["code"] == REVIEW]
        assert item["title"] == "周一回顾转交钱经理，尚未答复"
        assert item["title_en"] == "Monday review passed to 钱经理, not answered"
        assert len(_msgs(first, REVIEW)) == 1


async def test_an_answer_before_the_morning_cancels_every_review_reminder(api, demo_db, clock):  # noqa: ANN001  # R-FU-3
    await _second_manager(demo_db)
    desk = await login(api, "dispatcher")
    other = await login(api, "manager2", "demo-pass-2")
    case_id = (await new_repair(api, desk, content="外墙空鼓"))["case"]["id"]
    await open_and_dispatch(api, desk, case_id)
    clock.advance(days=7)
    r = await api.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "请定方案", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    clock.advance(hours=2)
    r = await api.post(f"/api/cases/{case_id}/review-answer", headers=other, json={"approach": "联系防水公司报价"})
    assert r.status_code == 200, r.text
    assert {r.state for r in await reminder_rows(demo_db, case_id, code=REVIEW)} == {"cancelled"}
    await run_once(demo_db, T0 + timedelta(days=9))
    assert [i for u in ("usr_manager", "usr_manager2") for i in await inbox(demo_db, u) if i["code"] == REVIEW] == []


async def test_two_schedulers_send_each_referral_reminder_exactly_once(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    # Two server processes on one database: on PostgreSQL FOR UPDATE SKIP LOCKED, on SQLite BEGIN IMMEDIATE.
    with PushServiceDouble() as push_service:
        phones = {u: await subscribe(api, push_service, u) for u in ("lead", "manager", "deputy", "gm")}
        desk = await login(api, "dispatcher")
        case_ids = [await _refer(api, desk, "usr_lead", f"第{i}号门铃") for i in range(3)]
        case_ids += [await _refer(api, desk, "usr_manager", f"第{i}号楼道灯") for i in range(3)]
        other = Database(demo_db.url, clock=clock)
        try:
            now = T0
            for _ in range(24):  # 10:00 to 16:00 in 15-minute steps: both stages of every hand-up
                now += timedelta(minutes=15)
                await asyncio.gather(*(run_once(d, now, batch=2) for d in (demo_db, other, demo_db, other)))
        finally:
            await other.dispose()
        sent = [r for cid in case_ids for r in await reminder_rows(demo_db, cid, code=OPENING, state="sent")]
        assert len(sent) == 6 * 2  # per hand-up: the named one, then the manager (or the deputy GM)
        assert all(r.attempts == 1 for r in sent)
        received = [m["reminder_id"] for p in phones.values() for m in p.json_messages() if m["code"] == OPENING]
        assert sorted(received) == sorted(r.id for r in sent)  # every one, and none twice
        assert push_service.refusals() == []
        assert await reminder_rows(demo_db, state="claimed") == []


async def _staff(db: Database) -> None:
    """A second manager and a second team lead, the guard captain, beside the demo's repair lead."""
    await _second_manager(db)
    await create_user(db, username="captain", password="demo-pass-3", display_name="马队长",
                      roles=["team_lead"], compound_id="cmp_demo", user_id="usr_captain")


async def _opening_inboxes(db: Database) -> dict[str, int]:
    users = ("usr_lead", "usr_captain", "usr_manager", "usr_manager2", "usr_deputy", "usr_gm")
    return {u: n for u in users if (n := len([i for i in await inbox(db, u) if i["code"] == OPENING]))}


async def test_an_opening_left_undecided_tells_the_managers_not_the_other_team_leads_nor_leadership(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    # D87: a plumbing opening passed to the repair lead is not the guard captain's to answer, and the
    # deputy GM and the GM are not paged while a manager is there.
    await _staff(demo_db)
    desk = await login(api, "dispatcher")
    case_id = await _refer(api, desk, "usr_lead", "二楼水管爆裂")
    others = await reminder_rows(demo_db, case_id, code=OPENING, kind="referral_others")
    assert [r.recipient_id for r in others] == ["usr_manager", "usr_manager2"]
    await run_once(demo_db, T0 + 6 * H)
    assert await _opening_inboxes(demo_db) == {"usr_lead": 1, "usr_manager": 1, "usr_manager2": 1}
    # Who may see and decide it is unchanged (D77): the guard captain still may.
    captain = await login(api, "captain", "demo-pass-3")
    r = await api.post(f"/api/cases/{case_id}/decide", headers=captain, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text


async def test_an_opening_passed_to_a_manager_tells_the_lead_already_on_the_case(api, demo_db, clock):  # noqa: ANN001  # R-OP-3
    # An urgent repair goes to the repair lead first (R-IN-7); the desk then asks the manager whether it
    # is a case: the lead who has it is told beside the other manager, the guard captain is not.
    await _staff(demo_db)
    desk = await login(api, "dispatcher")
    case_id = (await new_repair(api, desk, content="电梯困人后异响", repair_class="urgent"))["case"]["id"]
    r = await api.post(f"/api/cases/{case_id}/dispatch", headers=desk, json={"assignee_id": "usr_lead"})
    assert r.status_code == 200, r.text
    r = await api.post(f"/api/cases/{case_id}/refer-opening", headers=desk, json={"to_id": "usr_manager"})
    assert r.status_code == 200, r.text
    others = await reminder_rows(demo_db, case_id, code=OPENING, kind="referral_others")
    assert [r.recipient_id for r in others] == ["usr_lead", "usr_manager2"]
    await run_once(demo_db, T0 + 6 * H)
    assert await _opening_inboxes(demo_db) == {"usr_manager": 1, "usr_lead": 1, "usr_manager2": 1}
