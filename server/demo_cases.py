"""Demo cases in different states, made through the same desk and field services as real work."""

from __future__ import annotations

import hashlib
import io

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


async def emergency_in_progress(db: Database, disp: Principal, cid: str) -> str:
    """Work the emergency `cid` the way the desk does, through the same domain steps, up to but not
    including its settling."""
    deputy = _who("usr_deputy", "deputy", "deputy_gm")

    async def step(who: Principal, fn) -> None:  # noqa: ANN001
        await desk.command(db, who, cid, lambda c, u: fn(c, u.now))

    def on_state(change, name: str, **data):  # noqa: ANN001, ANN003, ANN202
        return lambda c, now: dc.emergency_step(c, lambda s: change(s, now), name=name, by=disp.user_id, now=now, **data)

    await step(disp, lambda c, now: dc.record_public_call(c, number="119", by=disp.user_id, now=now))  # R-EM-5
    await step(disp, lambda c, now: dc.record_follow_up(  # R-IN-5: the resident is answered at once
        c, kind=dc.FollowUpKind.REPLY, medium=dc.ReplyMedium.PHONE, by=disp.user_id, now=now, note="已报火警 119，保安正赶往地库，请勿进入车库"))
    for role, reached in ((Role.MANAGER, False), (Role.DEPUTY_GM, True)):  # R-EM-2: the fastest means, in order
        target = "usr_manager" if role == Role.MANAGER else "usr_deputy"
        await step(disp, on_state(lambda s, now, role=role, target=target, reached=reached: em.record_attempt(
            s, target_role=role, target_id=target, means=em.Means.PHONE, reached=reached, now=now),
            "emergency.attempt", target_role=str(role), reached=reached))
    await step(deputy, lambda c, now: dc.emergency_step(
        c, lambda s: em.acknowledge(s, by=deputy.user_id, by_roles=deputy.roles, now=now),
        name="emergency.acknowledged", by=deputy.user_id, now=now))
    await step(disp, lambda c, now: dc.report_up(c, to_id="usr_deputy", to_role=Role.DEPUTY_GM, by=disp.user_id, now=now))
    for role in (em.SummonedRole.GUARD_CAPTAIN, em.SummonedRole.ENGINEERING_MANAGER):
        await step(disp, on_state(lambda s, now, role=role: em.summon(s, role=role, person_id=None, now=now),
                                  "emergency.summoned", role=str(role)))
    await step(disp, on_state(lambda s, now: em.report_arrival(
        s, role=em.SummonedRole.GUARD_CAPTAIN, report="B2 配电间冒烟，已断电，地库人员已疏散", now=now),
        "emergency.arrived", role=str(em.SummonedRole.GUARD_CAPTAIN)))
    await step(disp, lambda c, now: dc.give_instruction(
        c, instruction_id="ins_demo_1", text="工程部排查配电间线路，今天内报告起因", given_by="吴副总",
        by=disp.user_id, now=now))
    await step(disp, lambda c, now: dc.decide_opening(  # R-EM-2: then record and open (R-OP-1 D)
        c, open=True, by=disp.user_id, roles=desk.roles_of(disp), now=now, reason=dc.OpenReason.D_EMERGENCY))
    return cid


async def seed_cases(db: Database) -> None:
    disp = _who("usr_dispatcher", "dispatcher", "dispatcher")
    tech = _who("usr_tech", "tech", "technician")

    async def intake(**kw) -> str:  # noqa: ANN003
        view = await desk.intake(db, disp, msgspec.convert(kw, IntakeIn))
        return view["case"]["id"]

    async def open_dispatch(cid: str, assignee: str = "usr_tech") -> str:
        await desk.command(db, disp, cid, lambda c, u: desk.dc.decide_opening(
            c, open=True, by=disp.user_id, roles=desk.roles_of(disp), now=u.now, reason=desk.dc.OpenReason.A_SITE_FOLLOW_UP))
        view = await desk.dispatch(db, disp, cid, DispatchIn(assignee_id=assignee, unreached_lead_ids=["usr_lead"]))
        return view["case"]["work_orders"][-1]["id"]

    # Just received at the desk, not yet decided.
    await intake(kind="complaint", channel="phone", contact_name="杨租户", phone="13800000006",
                 unit_id="unit_2_301", content="楼上夜间装修噪音", complaint_category="decoration")
    # Dispatched to the technician: on their phone, waiting to be accepted.
    cid = await intake(kind="repair", channel="phone", contact_name="黄业主", phone="13800000001",
                       unit_id="unit_1_101", content="厨房水龙头漏水", repair_responsibility="common",
                       repair_class="small")
    await open_dispatch(cid)
    # Accepted and on site.
    cid = await intake(kind="repair", channel="walk_in", contact_name="林业主", phone="13800000004",
                       unit_id="unit_1_202", content="卫生间灯不亮", repair_responsibility="common",
                       repair_class="common_facility")
    job = await open_dispatch(cid)
    await _field(db, tech, "job.accept", job_id=job)
    await _field(db, tech, "job.arrive", job_id=job)
    # Completed with the resident's signature: waiting for the slip to come back to the desk.
    cid = await intake(kind="repair", channel="phone", contact_name="谢业主", phone="13800000008",
                       unit_id="unit_2_502", content="阳台地漏堵塞", repair_responsibility="common",
                       repair_class="small")
    job = await open_dispatch(cid)
    png = _signature_png()
    sha = hashlib.sha256(png).hexdigest()
    await blobs.put_blob(db, tech, sha, "image/png", png, 6 * 1024 * 1024)
    await _field(db, tech, "job.accept", job_id=job)
    await _field(db, tech, "job.arrive", job_id=job)
    await _field(db, tech, "job.complete", job_id=job, work_done="疏通地漏，清理杂物", materials="无",
                 fee_cents=0, signature_sha256=sha, signer_name="谢业主", signer_relation="owner")
    # A cleaning complaint dispatched to the cleaner, so their phone has work too.
    cid = await intake(kind="complaint", channel="phone", contact_name="周业主", phone="13800000011",
                       unit_id="unit_3_104", content="3栋电梯厅地面有大片污渍，已两天没人清理",
                       complaint_category="cleaning")
    await open_dispatch(cid, assignee="usr_cleaner")
    # An emergency in progress, as the desk works one (R-EM-2..5): the fire brigade called, the chain
    # climbed (the manager not reached, the deputy GM reached and in charge), reported up, the people
    # responsible called to the scene, then recorded and opened under D. Not settled: one summoned
    # person is still on the way and the deputy GM's instruction is open, so the dispatcher holds the
    # post, the handover must take it over and the manager cannot approve its close yet.
    await emergency_in_progress(
        db, disp, await intake(kind="help", channel="phone", contact_name="罗业主", phone="13800000009",
                               unit_id="unit_3_104", content="地下车库有烟雾", help_kind="disaster"))
