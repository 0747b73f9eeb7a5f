"""Emergencies from staff phones (R-EM-2, R-IN-1): raised from the emergency sheet, and answered by the
people the desk summons to the scene. Pushed through the outbox like every field step, so they work
offline and count when they were tapped (D35, D128); they run the desk's own domain steps.

- `emergency.report` — a guard (or technician, cleaner, team lead) reports an emergency: the desk's
  intake, channel found-by-staff, flagged an emergency (cases.report_emergency).
- `summons.arrive`, `summons.report` — a person summoned (named by the desk, or holding the post it
  summoned) records their arrival or reports back from the scene (cases.report_from_scene, which is
  emergencies.report_arrival). Anyone else is refused as out of scope (audited by the push layer).

Also the compound's own emergency numbers (service centre, control room) the phones' sheet lists.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from sqlalchemy import select, update

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import emergencies as em
from server.domain.errors import fail
from server.domain.roles import ALL_STAFF, EXECUTORS, Role
from server.ids import new_id
from server.services import blobs
from server.services.cases import load_case, next_case_no, store_transition
from server.storage.db import Database
from server.storage.schema import buildings, compounds, users
from server.sync.mutations import MutationContext, mutation

# Who raises an emergency from a phone: the staff on rounds and on site (the desk records its own).
REPORTERS = EXECUTORS | {Role.TEAM_LEAD}
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
CaseId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class ReportArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Args of `emergency.report`: what, where (a building of the compound and/or the place typed), a
    note and an optional photo (uploaded before the mutation is sent, guarantee 5)."""

    what: em.EmergencyTrigger
    building_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    where: Short = ""
    note: Text = ""
    photo_sha256: Sha | None = None


class SummonsArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    case_id: CaseId
    role: em.SummonedRole


class SummonsReportArgs(SummonsArgs, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


def _case_of(args: dict) -> str | None:
    cid = args.get("case_id")
    return cid if isinstance(cid, str) else None


async def _reporter(ctx: MutationContext) -> tuple[str, str, list[str]]:
    """The caller's display name, phone and emergency posts, as the directory has them now."""
    row = (await ctx.uow.conn.execute(select(users.c.display_name, users.c.phone, users.c.posts).where(
        users.c.id == ctx.principal.user_id))).first()
    if row is None:  # a token outlives nothing: the account exists while the token works
        return ctx.principal.display_name, "", []
    return row.display_name, row.phone or "", [str(p) for p in msgspec.json.decode(row.posts or "[]")]


@mutation("emergency.report", roles=REPORTERS)
async def report(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, ReportArgs)
    if a.photo_sha256:
        await blobs.require_blobs(ctx.uow.conn, [a.photo_sha256])
    building_name = ""
    if a.building_id:
        building_name = (await ctx.uow.conn.execute(select(buildings.c.name).where(
            buildings.c.id == a.building_id, buildings.c.compound_id == ctx.principal.compound_id))).scalar() or ""
        if not building_name:
            raise fail("building.not_found", "未找到该楼栋", "No such building", kind="invalid",
                       building_id=a.building_id)
    name, phone, _ = await _reporter(ctx)
    out = dc.report_emergency(
        case_id=new_id("case_"), no=await next_case_no(ctx.uow, ctx.principal.compound_id),
        compound_id=ctx.principal.compound_id, what=a.what, reporter_id=ctx.principal.user_id,
        reporter_name=name, reporter_phone=phone, building_id=a.building_id, building_name=building_name,
        where=a.where, note=a.note, photo_sha256=a.photo_sha256, now=ctx.now, acted_at=ctx.acted_at,
    )
    await store_transition(ctx.uow, ctx.principal, out, created=True)


async def _my_summons(ctx: MutationContext, a: SummonsArgs) -> dc.Case:
    case = await load_case(ctx.uow, a.case_id, ctx.principal)
    _, _, posts = await _reporter(ctx)
    me = ctx.principal.user_id
    # Judged by who held the post when it was tapped: a step the former holder tapped before the post
    # passed on counts when it syncs (and, an arrival, keeps the summons theirs).
    mine = em.summons_for(case.emergency, user_id=me, posts=posts, at=ctx.acted_at) if case.emergency else ()
    if not any(s.role == a.role for s in mine):
        left = case.emergency is not None and any(
            s.role == a.role and any(ch.person_id == me and not ch.held for ch in s.holder_changes)
            for s in case.emergency.summons)
        if left:
            raise fail("scope.not_summoned", "您已不再担任该岗位，此次召集已随岗位转给现任者",
                       "You no longer hold this post: the call-out passed to whoever holds it now",
                       kind="forbidden", case_id=a.case_id, role=str(a.role), post_passed=True)
        raise fail("scope.not_summoned", "您未被召集到该紧急事件现场", "You were not summoned to this emergency",
                   kind="forbidden", case_id=a.case_id, role=str(a.role))
    return case


async def _from_scene(ctx: MutationContext, a: SummonsArgs, text: str | None) -> None:
    case = await _my_summons(ctx, a)
    await store_transition(ctx.uow, ctx.principal, dc.report_from_scene(
        case, role=a.role, by=ctx.principal.user_id, report=text, now=ctx.now, acted_at=ctx.acted_at))


# Anyone may be summoned (a post is held whatever the role: the engineering manager, a team lead as the
# repair lead): the summons itself decides, in _my_summons.
@mutation("summons.arrive", roles=ALL_STAFF, case_of=_case_of)
async def arrive(ctx: MutationContext, args: dict) -> None:
    await _from_scene(ctx, msgspec.convert(args, SummonsArgs), None)


@mutation("summons.report", roles=ALL_STAFF, case_of=_case_of)
async def report_back(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, SummonsReportArgs)
    await _from_scene(ctx, a, a.text)


# --- the compound's own emergency numbers -----------------------------------------------------------

Phone = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[0-9+()\- ]*$")]


class CompoundPhones(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The numbers every phone's emergency sheet lists beside 110/119/120/122 ("" when none on file)."""

    service_centre_phone: Phone = ""
    control_room_phone: Phone = ""


async def get_phones(db: Database, who: Principal) -> CompoundPhones:
    async with db.read() as conn:
        row = (await conn.execute(select(compounds.c.service_centre_phone, compounds.c.control_room_phone)
                                  .where(compounds.c.id == who.compound_id))).one()
    return CompoundPhones(service_centre_phone=row.service_centre_phone or "",
                          control_room_phone=row.control_room_phone or "")


async def put_phones(db: Database, who: Principal, data: CompoundPhones) -> CompoundPhones:
    values: dict[str, Any] = {"service_centre_phone": data.service_centre_phone.strip(),
                              "control_room_phone": data.control_room_phone.strip()}
    async with db.transaction() as uow:
        await uow.conn.execute(update(compounds).where(compounds.c.id == who.compound_id).values(**values))
        uow.audit(entity="compound", entity_id=who.compound_id, action="compound.phones", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id, data=values)
    return CompoundPhones(**values)
