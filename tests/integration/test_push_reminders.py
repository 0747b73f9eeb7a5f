"""Reminders from the deadline engine, sent by the scheduler through a real Web Push round trip.

The push service is tests/pushservice_double.py: it verifies the VAPID JWT and decrypts the body
with the subscriber's keys, so a message it counts is one a phone would really show.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import msgspec
from sqlalchemy import select

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import emergencies as em
from server.domain.cases import (
    Channel,
    DispatchRecord,
    Kind,
    OpenReason,
    RepairClass,
    ServiceSlip,
    SignerRelation,
)
from server.domain.roles import Role
from server.ids import new_id
from server.notify import scheduler
from server.notify.scheduler import CLAIM_TIMEOUT, run_once
from server.notify.tables import push_subscriptions, reminders
from server.services import cases as svc
from server.storage.db import Database
from server.storage.schema import changes
from tests.conftest import T0, login
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

COMPOUND = "cmp_demo"
DISPATCHER = Principal(user_id="usr_dispatcher", username="dispatcher", display_name="王调度",
                       roles=frozenset({"dispatcher"}), compound_id=COMPOUND, device_id="dev_test_desk")
TECH = Principal(user_id="usr_tech", username="tech", display_name="张师傅", roles=frozenset({"technician"}),
                 compound_id=COMPOUND, device_id="dev_test_tech")


# --- making cases through the domain and the one save path ---------------------------------------


async def new_dispatched_repair(db: Database, content: str = "厨房水管漏水") -> tuple[str, str]:
    """A small repair, opened and dispatched to the technician at the clock's now: (case id, job id)."""
    async with db.transaction() as uow:
        no = await svc.next_case_no(uow, COMPOUND)
        out = dc.intake(
            case_id=new_id("cs"), no=no, compound_id=COMPOUND, kind=Kind.REPAIR, channel=Channel.PHONE,
            contact_name="黄业主", phone="13800000001", content=content, receiver_id="usr_dispatcher",
            now=uow.now, unit_id="unit_1_101", address="1栋-101", repair_class=RepairClass.SMALL,
        )
        case = await svc.store_transition(uow, DISPATCHER, out, created=True)
        roles = {Role.DISPATCHER}
        case = await svc.store_transition(uow, DISPATCHER, dc.decide_opening(
            case, open=True, reason=OpenReason.A_SITE_FOLLOW_UP, by="usr_dispatcher", roles=roles, now=uow.now))
        job_id = svc.new_work_order_id(case)
        lead_unreachable = DispatchRecord(told_id="usr_lead", told_role=Role.TEAM_LEAD, at=uow.now,
                                          by="usr_dispatcher", reached=False)
        case = await svc.store_transition(uow, DISPATCHER, dc.dispatch(
            case, work_order_id=job_id, job="更换水管", assignee_id="usr_tech", assignee_role=Role.TECHNICIAN,
            deadline_at=uow.now + timedelta(hours=2), by="usr_dispatcher", roles=roles, now=uow.now,
            attempts=[lead_unreachable]))
    return case.id, job_id


async def step(db: Database, who: Principal, case_id: str, fn) -> None:  # noqa: ANN001
    async with db.transaction() as uow:
        await svc.apply(uow, who, case_id, lambda case: fn(case, uow.now))


async def reminder_rows(db: Database, case_id: str | None = None, **where) -> list:  # noqa: ANN003
    q = select(reminders).order_by(reminders.c.send_at, reminders.c.code, reminders.c.recipient_id)
    if case_id is not None:
        q = q.where(reminders.c.case_id == case_id)
    for k, v in where.items():
        q = q.where(reminders.c[k] == v)
    async with db.read() as conn:
        return (await conn.execute(q)).all()


async def subscribe(http, push_service: PushServiceDouble, username: str):  # noqa: ANN001, ANN201
    """Log in as `username`, subscribe like the app does (bound to the server's key) and return the phone."""
    headers = await login(http, username, device=f"{username}-phone")
    key = (await http.get("/api/push/vapid-key", headers=headers)).json()["public_key"]
    phone = push_service.subscribe(application_server_key=key)
    r = await http.post("/api/push/subscriptions", json=phone.to_json(), headers=headers)
    assert r.status_code == 201, r.text
    return phone


async def inbox(db: Database, user_id: str) -> list[dict]:
    async with db.read() as conn:
        rows = (await conn.execute(
            select(changes.c.doc).where(changes.c.scope == f"user:{user_id}", changes.c.entity == "reminder")
            .order_by(changes.c.seq)
        )).all()
    return [json.loads(r.doc) for r in rows]


# --- planning --------------------------------------------------------------------------------------


async def test_dispatch_plans_the_arrival_reminder_for_the_executor_5_minutes_before_the_limit(demo_db, clock):  # noqa: ANN001  # R-FU-4
    case_id, job_id = await new_dispatched_repair(demo_db)
    rows = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M")
    before = [r for r in rows if r.kind == "before_due"]
    assert [(r.recipient_id, r.send_at, r.due_at, r.state, r.job_id) for r in before] == [
        ("usr_tech", T0 + timedelta(minutes=10), T0 + timedelta(minutes=15), "pending", job_id)
    ]
    # Passing the limit goes to every manager of the compound.
    assert [(r.recipient_id, r.send_at) for r in rows if r.kind == "overdue"] == [
        ("usr_manager", T0 + timedelta(minutes=15))
    ]
    # The follower (the dispatcher who received it) is reminded of the R-FU-1 follow-up.
    fu1 = await reminder_rows(demo_db, case_id, code="FU1_FIRST_FOLLOW_UP", kind="before_due")
    assert [(r.recipient_id, r.send_at) for r in fu1] == [("usr_dispatcher", T0 + timedelta(minutes=105))]


async def test_saving_a_case_again_plans_nothing_twice(demo_db, clock):  # noqa: ANN001
    case_id, job_id = await new_dispatched_repair(demo_db)
    first = {(r.id, r.code, r.kind, r.recipient_id, r.due_at) for r in await reminder_rows(demo_db, case_id)}
    clock.advance(minutes=1)
    await step(demo_db, TECH, case_id, lambda c, now: dc.accept(c, work_order_id=job_id, by="usr_tech", now=now))
    again = {(r.id, r.code, r.kind, r.recipient_id, r.due_at) for r in await reminder_rows(demo_db, case_id)}
    assert again == first


async def test_completing_the_job_cancels_its_pending_reminders(demo_db, clock):  # noqa: ANN001
    case_id, job_id = await new_dispatched_repair(demo_db)
    clock.advance(minutes=3)
    await step(demo_db, TECH, case_id, lambda c, now: dc.arrive(c, work_order_id=job_id, by="usr_tech", now=now))
    arrival = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M")
    assert {r.state for r in arrival} == {"cancelled"}
    # The repair's own limit still runs for the technician. (Intake, opening and dispatch happened in
    # one transaction, which writes the case once: no copy was ever planned for the team lead.)
    repair = await reminder_rows(demo_db, case_id, code="FU4_REPAIR_2H", kind="before_due")
    assert {(r.recipient_id, r.state) for r in repair} == {("usr_tech", "pending")}

    clock.advance(minutes=20)
    slip = ServiceSlip(work_done="更换了水管接头", signer_name="黄业主", signer_relation=SignerRelation.OWNER,
                       signature_sha256="a" * 64, signed_at=clock.now(), content_hash="b" * 64)
    await step(demo_db, TECH, case_id,
               lambda c, now: dc.complete(c, work_order_id=job_id, by="usr_tech", now=now, slip=slip))
    for code in ("FU4_ON_SITE_15M", "FU4_REPAIR_2H", "FU4_REPAIR_24H"):
        assert {r.state for r in await reminder_rows(demo_db, case_id, code=code)} == {"cancelled"}, code
    # Nothing cancelled is ever sent, however late the scheduler runs.
    with PushServiceDouble():
        stats = await run_once(demo_db, T0 + timedelta(days=3))
    sent = {(r.code, r.recipient_id) for r in await reminder_rows(demo_db, case_id, state="sent")}
    assert not {c for c, _ in sent} & {"FU4_ON_SITE_15M", "FU4_REPAIR_2H", "FU4_REPAIR_24H"}
    assert stats.claimed == len(sent)


async def test_closing_the_case_cancels_everything_pending(demo_db, clock):  # noqa: ANN001
    case_id, _ = await new_dispatched_repair(demo_db)
    clock.advance(minutes=1)
    async with demo_db.transaction() as uow:
        case = await svc.load_case(uow, case_id)
        # The close rules are the desk's business; what matters here is the saved closed state.
        await svc.save_case(uow, msgspec.structs.replace(case, state=dc.CaseState.CLOSED))
    assert {r.state for r in await reminder_rows(demo_db, case_id)} == {"cancelled"}


# --- sending ---------------------------------------------------------------------------------------


async def test_the_technicians_phone_gets_the_arrival_reminder_in_chinese_with_tag_and_job_url(api, demo_db, clock):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        case_id, job_id = await new_dispatched_repair(demo_db)

        stats = await run_once(demo_db, T0 + timedelta(minutes=9))
        assert stats.claimed == 0 and phone.messages == []

        stats = await run_once(demo_db, T0 + timedelta(minutes=10))
        assert (stats.claimed, stats.sent, stats.pushes) == (1, 1, 1)
        assert push_service.refusals() == []
        [msg] = phone.json_messages()
        assert msg["title"] == "即将到期：派工后 15 分钟到场"
        assert "厨房水管漏水" in msg["body"] and "截止 11/23 10:15" in msg["body"]
        assert msg["tag"] == f"case-{case_id}"
        assert msg["url"] == f"/#/job/{job_id}"
        [received] = [r for r in push_service.received if r.status == 201]
        assert int(received.headers["ttl"]) > 0

        [row] = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M", kind="before_due")
        assert (row.state, row.attempts, row.sent_at, row.last_error) == (
            "sent", 1, T0 + timedelta(minutes=10), None)
        assert msg["reminder_id"] == row.id
        # The in-app inbox has it too (the fallback for phones without push).
        [item] = await inbox(demo_db, "usr_tech")
        assert (item["id"], item["title"], item["url"]) == (row.id, msg["title"], msg["url"])
        # Both carry the English text for a phone switched to English.
        assert msg["title_en"] == item["title_en"] == "Due soon: On site 15 min after the work order"
        assert "(due 11/23 10:15)" in msg["body_en"] and item["body_en"] == msg["body_en"]

        # Sent once: later rounds never send it again.
        await run_once(demo_db, T0 + timedelta(minutes=11))
        assert len(phone.messages) == 1


async def test_a_due_soon_reminder_sent_after_its_deadline_says_overdue_in_push_and_inbox(api, demo_db, clock):  # noqa: ANN001  # R-FU-4
    # The scheduler was down, or the push was retried past the limit: "即将到期" planned at dispatch
    # would be wrong by the time it is sent. The text is chosen at send time, by the server's clock
    # against the clock's deadline, the same comparison the phone's inbox makes (D93, D102).
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        case_id, job_id = await new_dispatched_repair(demo_db)
        clock.advance(minutes=20)  # the 15-minute arrival limit passed 5 minutes ago, nothing sent yet
        stats = await run_once(demo_db)
        assert stats.pushes == 1 and push_service.refusals() == []
        [msg] = phone.json_messages()
        assert msg["kind"] == "before_due" and msg["url"] == f"/#/job/{job_id}"
        assert msg["title"] == "已超时：派工后 15 分钟到场"
        assert "已超时，截止 11/23 10:15" in msg["body"] and "即将到期" not in msg["body"]
        assert msg["title_en"] == "Overdue: On site 15 min after the work order"
        assert "(overdue, was due 11/23 10:15)" in msg["body_en"]
        assert "late" not in msg  # the phone gets one text, the one that is true now
        [item] = await inbox(demo_db, "usr_tech")
        assert [item[k] for k in ("title", "body", "title_en", "body_en")] == [
            msg["title"], msg["body"], msg["title_en"], msg["body_en"]]
        assert item["created_at"] >= item["due_at"]  # the phone's D93 reading agrees: late
        [row] = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M", kind="before_due")
        assert msg["reminder_id"] == row.id and row.state == "sent"


async def test_a_due_soon_push_retried_past_its_deadline_turns_overdue_in_the_inbox_too(api, demo_db, clock):  # noqa: ANN001  # R-FU-4
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        push_service.respond_with(phone, 503, retry_after="600", times=1)
        case_id, _ = await new_dispatched_repair(demo_db)
        clock.advance(minutes=10)  # on time: the push service is down, the inbox gets "due soon"
        await run_once(demo_db)
        assert [i["title"] for i in await inbox(demo_db, "usr_tech")] == ["即将到期：派工后 15 分钟到场"]
        clock.advance(minutes=10)  # the retry goes out after the limit
        stats = await run_once(demo_db)
        assert stats.pushes == 1
        [msg] = phone.json_messages()
        assert (msg["title"], msg["title_en"]) == ("已超时：派工后 15 分钟到场", "Overdue: On site 15 min after the work order")
        latest = (await inbox(demo_db, "usr_tech"))[-1]
        assert (latest["title"], latest["state"]) == ("已超时：派工后 15 分钟到场", "sent")
        assert "已超时" in latest["body"]


async def test_reminders_reach_the_inbox_of_people_without_push(demo_db, clock):  # noqa: ANN001
    case_id, _ = await new_dispatched_repair(demo_db)
    stats = await run_once(demo_db, T0 + timedelta(minutes=16))
    assert stats.pushes == 0 and stats.sent >= 2
    # Sent a minute after the arrival limit: the technician's "due soon" says overdue (D102).
    assert [i["title"] for i in await inbox(demo_db, "usr_tech")] == ["已超时：派工后 15 分钟到场"]
    manager = await inbox(demo_db, "usr_manager")
    assert [i["title"] for i in manager] == ["已超时：派工后 15 分钟到场"]
    assert manager[0]["case_id"] == case_id and manager[0]["url"] == "/#/reminders"


async def test_a_410_from_the_push_service_deletes_the_subscription(api, demo_db, clock):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        push_service.respond_with(phone, 410)
        case_id, _ = await new_dispatched_repair(demo_db)
        stats = await run_once(demo_db, T0 + timedelta(minutes=10))
        assert (stats.gone, stats.pushes) == (1, 0)
        assert [r.status for r in push_service.received] == [410]
        async with demo_db.read() as conn:
            assert (await conn.execute(select(push_subscriptions))).all() == []
        # The reminder itself is not lost: it is in the technician's inbox.
        [row] = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M", kind="before_due")
        assert row.state == "sent"
        assert [i["id"] for i in await inbox(demo_db, "usr_tech")] == [row.id]


async def test_a_429_is_retried_at_the_time_retry_after_asks_for(api, demo_db, clock):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        push_service.respond_with(phone, 429, retry_after="120", times=1)
        case_id, _ = await new_dispatched_repair(demo_db)
        t1 = T0 + timedelta(minutes=10)
        stats = await run_once(demo_db, t1)
        assert (stats.retried, stats.pushes) == (1, 0)
        [row] = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M", kind="before_due")
        assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 1, t1 + timedelta(seconds=120))
        assert "429" in row.last_error

        assert (await run_once(demo_db, t1 + timedelta(seconds=119))).claimed == 0
        stats = await run_once(demo_db, t1 + timedelta(seconds=120))
        assert (stats.sent, stats.pushes) == (1, 1)
        assert [r.status for r in push_service.received] == [429, 201]
        assert len(phone.messages) == 1
        [row] = await reminder_rows(demo_db, case_id, code="FU4_ON_SITE_15M", kind="before_due")
        assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)


async def test_a_retry_does_not_repeat_the_push_to_devices_already_reached(api, demo_db, clock):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        tablet = push_service.subscribe()
        headers = await login(api, "tech", device="tablet")
        assert (await api.post("/api/push/subscriptions", json=tablet.to_json(), headers=headers)).status_code == 201
        push_service.respond_with(tablet, 503, retry_after="30", times=1)
        await new_dispatched_repair(demo_db)
        t1 = T0 + timedelta(minutes=10)
        await run_once(demo_db, t1)
        await run_once(demo_db, t1 + timedelta(seconds=30))
        assert (len(phone.messages), len(tablet.messages)) == (1, 1)


async def test_a_crashed_claimers_reminders_are_sent_after_the_claim_expires(api, demo_db, clock):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "tech")
        await new_dispatched_repair(demo_db)
        t1 = T0 + timedelta(minutes=10)
        # A process claims and dies before sending.
        assert len(await scheduler.claim(demo_db, t1, "dead-process:1")) == 1
        assert (await run_once(demo_db, t1 + timedelta(minutes=1))).claimed == 0
        stats = await run_once(demo_db, t1 + CLAIM_TIMEOUT)
        assert stats.pushes == 1 and stats.lost_claims == 0
        [msg] = phone.json_messages()
        [row] = await reminder_rows(demo_db, code="FU4_ON_SITE_15M", kind="before_due")
        assert (msg["reminder_id"], row.state, row.attempts) == (row.id, "sent", 2)


async def test_two_schedulers_send_each_reminder_exactly_once(api, demo_db, clock):  # noqa: ANN001
    # Two server processes: two Database objects (own pools, own locks) on the same database.
    # On PostgreSQL this exercises FOR UPDATE SKIP LOCKED; on SQLite, BEGIN IMMEDIATE.
    with PushServiceDouble() as push_service:
        phones = {u: await subscribe(api, push_service, u) for u in ("tech", "dispatcher", "manager")}
        case_ids = [(await new_dispatched_repair(demo_db, f"第{i}号漏水"))[0] for i in range(6)]
        other = Database(demo_db.url, clock=clock)
        try:
            now = T0
            for _ in range(40):  # 20 minutes in 30-second steps: arrival reminders and overdue ones
                now += timedelta(seconds=30)
                await asyncio.gather(*(run_once(d, now, batch=2) for d in (demo_db, other, demo_db, other)))
        finally:
            await other.dispose()

        sent = [r for cid in case_ids for r in await reminder_rows(demo_db, cid, state="sent")]
        assert len(sent) == 12  # per case: the technician before 15 min, the manager after
        assert all(r.attempts == 1 for r in sent)
        received = [m["reminder_id"] for p in phones.values() for m in p.json_messages()]
        assert sorted(received) == sorted(r.id for r in sent)  # every one, and none twice
        assert len([r for r in push_service.received if r.status == 201]) == 12
        assert push_service.refusals() == []
        assert await reminder_rows(demo_db, state="claimed") == []


async def test_an_unacknowledged_emergency_goes_to_the_next_in_the_chain(api, demo_db, clock):  # noqa: ANN001  # R-EM-2
    with PushServiceDouble() as push_service:
        manager = await subscribe(api, push_service, "manager")
        deputy = await subscribe(api, push_service, "deputy")
        async with demo_db.transaction() as uow:
            out = dc.intake(
                case_id=new_id("cs"), no=await svc.next_case_no(uow, COMPOUND), compound_id=COMPOUND,
                kind=Kind.HELP, channel=Channel.PHONE, contact_name="林业主", phone="13800000004",
                content="老人晕倒", receiver_id="usr_dispatcher", now=uow.now, address="1栋-202",
                help_kind=dc.HelpKind.MEDICAL_EMERGENCY,
            )
            case = await svc.store_transition(uow, DISPATCHER, out, created=True)
        # Declared: the first in the chain (the manager) is told at once.
        await run_once(demo_db, T0)
        assert [m["title"] for m in manager.json_messages()] == [f"紧急事件：{case.no} 1栋-202"]

        clock.advance(minutes=1)
        await step(demo_db, DISPATCHER, case.id, lambda c, now: dc.emergency_step(
            c, lambda s: em.record_attempt(s, target_role=Role.MANAGER, target_id="usr_manager",
                                           means=em.Means.PHONE, reached=True, now=now),
            name="emergency.attempted", by="usr_dispatcher", now=now))
        await run_once(demo_db, T0 + timedelta(minutes=5, seconds=59))
        assert deputy.messages == []
        await run_once(demo_db, T0 + timedelta(minutes=6))
        [msg] = deputy.json_messages()
        # Its own tag: a routine reminder about the same case cannot replace it on the phone.
        assert "5 分钟内未确认" in msg["body"] and msg["tag"] == f"emergency-{case.id}"
        assert [r.status for r in push_service.received if r.path == deputy.path] == [201]
        assert push_service.received[-1].headers.get("urgency") == "high"
