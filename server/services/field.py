"""Field work pushed from phones (job.*): the same domain steps the desk uses, scoped to the caller.

A job id names its work order; the caller must be that work order's assignee. Anything else is
refused as out of scope (and audited by the push layer), never applied.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.domain import cases as dc
from server.domain.cases import Case, ServiceSlip, SignerRelation
from server.domain.errors import Notice, Refusal, fail
from server.domain.roles import EXECUTORS, Role
from server.domain.service_slips import signed_on_site
from server.domain.surveys import Grade
from server.ids import new_id
from server.services import blobs
from server.services.cases import case_id_of_job, load_case, next_case_no, store_transition
from server.storage.db import UnitOfWork
from server.storage.schema import slip_signatures
from server.sync.job_terms import booking_terms
from server.sync.mutations import MutationContext, mutation

FIELD = EXECUTORS | {Role.TEAM_LEAD}
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class JobRef(msgspec.Struct, kw_only=True):
    job_id: Annotated[str, msgspec.Meta(max_length=80)]


class ArriveArgs(JobRef, kw_only=True):
    geo: tuple[float, float] | None = None


class NoteArgs(JobRef, kw_only=True):
    text: Text = ""
    photo_sha256: Sha | None = None


class LinkedArgs(JobRef, kw_only=True):
    content: Text
    # False when the problem cannot be opened as its own case and stays on this one (R-CL-2 D).
    separately: bool = True


class UnableArgs(JobRef, kw_only=True):
    reason: Text


class CompleteArgs(JobRef, kw_only=True):
    work_done: Text
    materials: Text = ""
    fee_cents: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 0
    photo_sha256s: Annotated[list[Sha], msgspec.Meta(max_length=20)] = []
    signature_sha256: Sha
    signer_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    signer_relation: Literal["owner", "household", "other"]
    # 业主评价: the resident's grade (R-RV-3's A/B/C) and words, optional, signed with the slip.
    resident_grade: Literal["A", "B", "C"] | None = None
    resident_opinion: Annotated[str, msgspec.Meta(max_length=500)] = ""
    # Why the fee is above the one told before dispatch (R-IN-6 a); printed on the slip.
    fee_over_reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


def _case_of_job(args: dict) -> str | None:
    job_id = args.get("job_id")
    return case_id_of_job(job_id) if isinstance(job_id, str) else None


async def _my_case(ctx: MutationContext, job_id: str) -> tuple[Case, dc.WorkOrder]:
    case = await load_case(ctx.uow, case_id_of_job(job_id), ctx.principal)
    for wo in case.work_orders:
        if wo.id == job_id:
            if wo.assignee_id != ctx.principal.user_id:
                break
            return case, wo
    raise fail("scope.not_assigned", "该工单未派给您", "This job is not assigned to you", kind="forbidden",
               job_id=job_id)


async def _store(ctx: MutationContext, out: dc.Transition | Refusal) -> Case:
    """Store a field step; a phone whose clock changed between the act and the send says so in the
    step's history, with the raw reading (D128, design guarantee 4)."""
    evidence = None
    if ctx.clock_changed_s is not None and ctx.device_time is not None:  # both set together (push.py)
        evidence = {"clock_changed_s": ctx.clock_changed_s, "device_at": ctx.device_time.isoformat()}
    return await store_transition(ctx.uow, ctx.principal, out, evidence=evidence)


@mutation("job.accept", roles=FIELD, direct_writes=False, case_of=_case_of_job)
async def accept(ctx: MutationContext, args: dict) -> Notice | None:
    a = msgspec.convert(args, JobRef)
    case, wo = await _my_case(ctx, a.job_id)
    # Accepted already, from this person's other phone: recorded once, and the phone is told (D145).
    if (said := dc.step_already_recorded(wo, "accept")) is not None:
        return said
    await _store(ctx, dc.accept(case, work_order_id=wo.id, by=ctx.principal.user_id, now=ctx.now,
                                acted_at=ctx.acted_at))
    return None


@mutation("job.arrive", roles=FIELD, direct_writes=False, case_of=_case_of_job)
async def arrive(ctx: MutationContext, args: dict) -> Notice | None:
    a = msgspec.convert(args, ArriveArgs)
    case, wo = await _my_case(ctx, a.job_id)
    # On site already (or done), from this person's other phone: the first arrival stands.
    if (said := dc.step_already_recorded(wo, "arrive")) is not None:
        return said
    # Arrival counts when the technician tapped it (in server time, D35), not when a basement let
    # the phone sync; the phone's own clock reading is kept as evidence.
    await _store(ctx, dc.arrive(
        case, work_order_id=wo.id, by=ctx.principal.user_id, now=ctx.now,
        device_at=ctx.device_time, geo=a.geo, acted_at=ctx.acted_at,
    ))
    return None


@mutation("job.note", roles=FIELD, direct_writes=False, case_of=_case_of_job)
async def note(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, NoteArgs)
    if a.photo_sha256:
        await blobs.require_blobs(ctx.uow.conn, [a.photo_sha256])
    case, wo = await _my_case(ctx, a.job_id)
    # A photo alone keeps no words: each view says "photo" in its own language (D145).
    await _store(ctx, dc.add_note(
        case, text=a.text, by=ctx.principal.user_id, now=ctx.now,
        photo_sha256=a.photo_sha256, work_order_id=wo.id, acted_at=ctx.acted_at,
    ))


@mutation("job.linked_problem", roles=FIELD, case_of=_case_of_job)
async def linked_problem(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, LinkedArgs)
    case, wo = await _my_case(ctx, a.job_id)
    child_id = new_id("case_")
    no = await next_case_no(ctx.uow, case.compound_id) if a.separately else None
    await _store(ctx, dc.report_linked_problem(
        case, description=a.content, by=ctx.principal.user_id, now=ctx.now, separately=a.separately,
        child_id=child_id if a.separately else None, child_no=no,
        problem_id=None if a.separately else new_id("lp_"), work_order_id=wo.id, acted_at=ctx.acted_at,
    ))


@mutation("job.unable", roles=FIELD, direct_writes=False, case_of=_case_of_job)
async def unable(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, UnableArgs)
    case, wo = await _my_case(ctx, a.job_id)
    await _store(ctx, dc.mark_unable(
        case, work_order_id=wo.id, reason=a.reason, by=ctx.principal.user_id, now=ctx.now,
        acted_at=ctx.acted_at,
    ))


async def signature_owner(conn: AsyncConnection, sha: str) -> str | None:
    """The case whose slip already carries this drawn signature, or None while it is on no slip."""
    return (await conn.execute(
        select(slip_signatures.c.case_id).where(slip_signatures.c.signature_sha256 == sha))).scalar_one_or_none()


async def _signature_unused(ctx: MutationContext, sha: str, case_id: str) -> None:
    owner = await signature_owner(ctx.uow.conn, sha)
    if owner is None:
        return
    # One drawn signature belongs to one slip: replaying it onto another job is forgery, and onto the
    # same case's redo (D133) it is the resident's word on the first round, not on the work redone.
    if owner != case_id:
        raise fail("slip.signature_reused", "该签名已用于其他工单，请住户重新签字",
                   "This signature belongs to another job's slip; the resident must sign again",
                   kind="forbidden", signature_sha256=sha)
    raise fail("slip.signature_reused", "该签名是上一次完工时签的，返修后请住户重新签字",
               "This signature was given for the earlier completion; the resident must sign the redone work again",
               kind="forbidden", signature_sha256=sha)


def slip_from_args(a: CompleteArgs, executor_id: str) -> ServiceSlip:
    """The slip a completion carries, unsigned: `service_slips.signed_on_site` gives it its time and hash."""
    return ServiceSlip(
        work_done=a.work_done, materials=a.materials, fee_cents=a.fee_cents,
        photo_sha256s=tuple(a.photo_sha256s), executor_id=executor_id,
        signer_name=a.signer_name.strip(), signer_relation=SignerRelation(a.signer_relation),
        signature_sha256=a.signature_sha256,
        resident_grade=None if a.resident_grade is None else Grade(a.resident_grade),
        resident_opinion=a.resident_opinion.strip(), fee_over_reason=a.fee_over_reason.strip(),
    )


async def keep_signature(uow: UnitOfWork, sha: str, case_id: str) -> None:
    """The drawn signature is now on this case's slip: no other completion may carry it."""
    await uow.conn.execute(insert(slip_signatures).values(signature_sha256=sha, case_id=case_id, at=uow.now))


@mutation("job.complete", roles=FIELD, case_of=_case_of_job)
async def complete(ctx: MutationContext, args: dict) -> None:
    a = msgspec.convert(args, CompleteArgs)
    await blobs.require_blobs(ctx.uow.conn, [a.signature_sha256, *a.photo_sha256s])
    case, wo = await _my_case(ctx, a.job_id)
    await _signature_unused(ctx, a.signature_sha256, case.id)
    # The resident signed when the phone says the job was done, placed in server time and kept
    # after the arrival (D35, D97): the slip the phone showed offline and the stored one agree, and
    # the hash covers that time. The receive time stays in the event and the audit row.
    slip = signed_on_site(case, wo, slip_from_args(a, ctx.principal.user_id), acted_at=ctx.acted_at, now=ctx.now)
    terms = await booking_terms(ctx.uow, case)
    out = dc.complete(case, work_order_id=wo.id, by=ctx.principal.user_id, now=ctx.now, slip=slip,
                      fee_unit=terms["fee_unit_code"], acted_at=ctx.acted_at)
    stored = await _store(ctx, out)
    await keep_signature(ctx.uow, a.signature_sha256, stored.id)
