"""Demo cases in different states, made through the same desk and field services as real work.

Each step happens at its own scripted time before the seeding, minutes apart, as a morning at the desk
would have them (D75): the history of a case reads received, opened, dispatched, accepted, on site,
completed in order, and the rules' clocks judge them as they would real work — the repairs on site in
time, one technician not yet there and late. The times are offsets from the moment of seeding, so the
demo is the same every time it is seeded, only moved to that moment.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import msgspec
from PIL import Image, ImageDraw

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import emergencies as em
from server.domain.roles import Role
from server.services import blobs, desk
from server.services.desk import DispatchIn, IntakeIn
from server.storage.db import Database
from server.sync.mutations import MutationContext, registry

COMPOUND = "cmp_demo"


class DemoClock:
    """The clock the demo's cases are seeded on: set to so many minutes before the seeding per step."""

    def __init__(self, seeded_at: datetime) -> None:
        self.seeded_at = seeded_at
        self._at = seeded_at

    def now(self) -> datetime:
        return self._at

    def minutes_ago(self, minutes: float) -> datetime:
        """Move to `minutes` before the seeding; the steps after this one happen then."""
        self._at = self.seeded_at - timedelta(minutes=minutes)
        return self._at


@contextmanager
def scripted(db: Database) -> Iterator[DemoClock]:
    """Run the seeding steps on a DemoClock, then give the database its own clock back."""
    real = db.clock
    demo = DemoClock(real.now())
    db.clock = demo
    try:
        yield demo
    finally:
        db.clock = real


def _who(user_id: str, username: str, role: str) -> Principal:
    return Principal(user_id=user_id, username=username, display_name=username, roles=frozenset({role}),
                     compound_id=COMPOUND, device_id="demo-seed")


def _signature_png() -> bytes:
    im = Image.new("RGB", (300, 120), "white")
    d = ImageDraw.Draw(im)
    d.line([(20, 90), (70, 30), (120, 95), (180, 35), (260, 80)], fill="black", width=4)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


async def _field(db: Database, who: Principal, type_: str, **args) -> None:  # noqa: ANN003
    handler = registry()[type_].handler
    async with db.transaction() as uow:
        await handler(MutationContext(uow=uow, principal=who, client_id="demo-seed", mutation_id=0,
                                      device_time=None), args)


async def emergency_in_progress(db: Database, disp: Principal, cid: str, clock: DemoClock) -> str:
    """Work the emergency `cid` the way the desk does, through the same domain steps, up to but not
    including its settling: each step a minute or a few after the last, from the intake 18 minutes
    before the seeding (the fire brigade was called while the form was still open) to the opening."""
    deputy = _who("usr_deputy", "deputy", "deputy_gm")

    async def step(minutes_ago: float, who: Principal, fn) -> None:  # noqa: ANN001
        clock.minutes_ago(minutes_ago)
        await desk.command(db, who, cid, lambda c, u: fn(c, u.now))

    def on_state(change, name: str, **data):  # noqa: ANN001, ANN003, ANN202
        return lambda c, now: dc.emergency_step(c, lambda s: change(s, now), name=name, by=disp.user_id, now=now, **data)

    await step(17, disp, lambda c, now: dc.record_follow_up(  # R-IN-5: the resident is answered at once
        c, kind=dc.FollowUpKind.REPLY, medium=dc.ReplyMedium.PHONE, by=disp.user_id, now=now, note="已报火警 119，保安正赶往地库，请勿进入车库"))
    # R-EM-2: the fastest means, in order: the manager not reached, then the deputy GM, 5 minutes on.
    for ago, role, reached in ((16, Role.MANAGER, False), (15, Role.DEPUTY_GM, True)):
        target = "usr_manager" if role == Role.MANAGER else "usr_deputy"
        await step(ago, disp, on_state(lambda s, now, role=role, target=target, reached=reached: em.record_attempt(
            s, target_role=role, target_id=target, means=em.Means.PHONE, reached=reached, now=now),
            "emergency.attempt", target_role=str(role), reached=reached))
    await step(14, deputy, lambda c, now: dc.emergency_step(
        c, lambda s: em.acknowledge(s, by=deputy.user_id, by_roles=deputy.roles, now=now),
        name="emergency.acknowledged", by=deputy.user_id, now=now))
    await step(13, disp, lambda c, now: dc.report_up(c, to_id="usr_deputy", to_role=Role.DEPUTY_GM, by=disp.user_id, now=now))
    for ago, role in ((12, em.SummonedRole.GUARD_CAPTAIN), (11, em.SummonedRole.ENGINEERING_MANAGER)):
        await step(ago, disp, on_state(lambda s, now, role=role: em.summon(s, role=role, person_id=None, now=now),
                                       "emergency.summoned", role=str(role)))
    # The guard captain's report back by radio, written down at the desk (its words in the history).
    await step(7, disp, lambda c, now: dc.record_scene_report(
        c, role=em.SummonedRole.GUARD_CAPTAIN, report="B2 配电间冒烟，已断电，地库人员已疏散", by=disp.user_id, now=now))
    await step(6, disp, lambda c, now: dc.give_instruction(
        c, instruction_id="ins_demo_1", text="工程部排查配电间线路，今天内报告起因", given_by="吴副总",
        by=disp.user_id, now=now))
    await step(5, disp, lambda c, now: dc.decide_opening(  # R-EM-2: then record and open (R-OP-1 D)
        c, open=True, by=disp.user_id, roles=desk.roles_of(disp), now=now, reason=dc.OpenReason.D_EMERGENCY))
    return cid


async def seed_cases(db: Database) -> None:
    """The morning's cases, each step at its own time before the seeding (minutes ago, on the left)."""
    with scripted(db) as clock:
        await _seed_cases(db, clock)


async def _seed_cases(db: Database, clock: DemoClock) -> None:
    disp = _who("usr_dispatcher", "dispatcher", "dispatcher")
    tech = _who("usr_tech", "tech", "technician")

    async def intake(minutes_ago: float, **kw) -> str:  # noqa: ANN003
        clock.minutes_ago(minutes_ago)
        view = await desk.intake(db, disp, msgspec.convert(kw, IntakeIn))
        return view["case"]["id"]

    async def open_dispatch(cid: str, minutes_ago: float, assignee: str = "usr_tech",
                            tried: tuple[str, ...] = ("usr_lead",)) -> str:
        """Opened under A, then dispatched a minute later (the lead of the work, `tried` first, not reached)."""
        clock.minutes_ago(minutes_ago)
        await desk.command(db, disp, cid, lambda c, u: desk.dc.decide_opening(
            c, open=True, by=disp.user_id, roles=desk.roles_of(disp), now=u.now, reason=desk.dc.OpenReason.A_SITE_FOLLOW_UP))
        clock.minutes_ago(minutes_ago - 1)
        view = await desk.dispatch(db, disp, cid, DispatchIn(assignee_id=assignee, unreached_lead_ids=list(tried)))
        return view["case"]["work_orders"][-1]["id"]

    async def field(minutes_ago: float, type_: str, **args) -> None:  # noqa: ANN003
        clock.minutes_ago(minutes_ago)
        await _field(db, tech, type_, **args)

    # Completed with the resident's signature, the first job of the morning: received 2½ hours ago,
    # on site 11 minutes after the dispatch (R-FU-4: within 15), done in under an hour (a small
    # repair's 2 hours), waiting for the slip to come back to the desk.
    cid = await intake(150, kind="repair", channel="phone", contact_name="谢业主", phone="13800000008",
                       unit_id="unit_2_502", content="阳台地漏堵塞", repair_responsibility="common",
                       repair_class="small")
    job = await open_dispatch(cid, 148)
    png = _signature_png()
    sha = hashlib.sha256(png).hexdigest()
    await blobs.put_blob(db, tech, sha, "image/png", png, 6 * 1024 * 1024)
    await field(145, "job.accept", job_id=job)
    await field(136, "job.arrive", job_id=job)
    await field(95, "job.complete", job_id=job, work_done="疏通地漏，清理杂物", materials="无",
                fee_cents=0, signature_sha256=sha, signer_name="谢业主", signer_relation="owner")
    clock.minutes_ago(30)  # R-FU-1: the first follow-up, inside its 2 hours from the opening
    await desk.follow_up(db, disp, cid, kind=dc.FollowUpKind.FIRST, note="已完工，住户已签字，服务单待交回",
                         reported_to_manager_id=None, new_due_at=None)
    # Accepted and on site, 11 minutes after the dispatch: in time.
    cid = await intake(52, kind="repair", channel="walk_in", contact_name="林业主", phone="13800000004",
                       unit_id="unit_1_202", content="卫生间灯不亮", repair_responsibility="common",
                       repair_class="common_facility")
    job = await open_dispatch(cid, 50)
    await field(47, "job.accept", job_id=job)
    await field(38, "job.arrive", job_id=job)
    # Dispatched to the technician 35 minutes ago and not yet accepted: on their phone, and late on
    # its 15 minutes on site (R-FU-4), so the desk has one overdue job to press on.
    cid = await intake(38, kind="repair", channel="phone", contact_name="黄业主", phone="13800000001",
                       unit_id="unit_1_101", content="厨房水龙头漏水", repair_responsibility="common",
                       repair_class="small")
    await open_dispatch(cid, 36)
    # A cleaning complaint dispatched to the cleaner, so their phone has work too. Nobody leads cleaning
    # in the demo compound (陈班长 is the repair lead), so she is told directly, no lead ticked (R-DI-1).
    cid = await intake(25, kind="complaint", channel="phone", contact_name="周业主", phone="13800000011",
                       unit_id="unit_3_104", content="3栋电梯厅地面有大片污渍，已两天没人清理",
                       complaint_category="cleaning")
    await open_dispatch(cid, 23, assignee="usr_cleaner", tried=())
    # An emergency in progress, as the desk works one (R-EM-2..5): the fire brigade called while the
    # intake form was still open and recorded with it (R-EM-5), the chain climbed (the manager not
    # reached, the deputy GM reached and in charge), reported up, the people responsible called to the
    # scene, then recorded and opened under D. Not settled: one summoned person is still on the way
    # and the deputy GM's instruction is open, so the dispatcher holds the post, the handover must take
    # it over and the manager cannot approve its close yet.
    desk_clock = clock.seeded_at  # the desk's clock reads the same as the server's here
    await emergency_in_progress(db, disp, await intake(
        18, kind="help", channel="phone", contact_name="罗业主", phone="13800000009", unit_id="unit_3_104",
        content="地下车库有烟雾", help_kind="disaster",
        form_opened_at=desk_clock - timedelta(minutes=20), sent_at=desk_clock - timedelta(minutes=18),
        public_calls=[{"number": "119", "at": desk_clock - timedelta(minutes=19)}]), clock)
    # Just received at the desk, not yet decided.
    await intake(3, kind="complaint", channel="phone", contact_name="杨租户", phone="13800000006",
                 unit_id="unit_2_301", content="楼上夜间装修噪音", complaint_category="decoration")
