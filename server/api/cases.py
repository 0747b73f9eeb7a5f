"""Desk endpoints for cases: intake, opening, dispatch, follow-up, closing, emergencies, handover."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.params import JSONBody, QueryParameter

from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import emergencies as em
from server.domain import handover as ho
from server.domain.calendar import BusinessCalendar
from server.domain.roles import DESK, EXECUTORS, LEADERSHIP, Role
from server.ids import new_id
from server.input_guard import DatedIn
from server.services import desk
from server.services.desk import CloseIn, DispatchIn, IntakeIn, roles_of
from server.storage.db import Database

DESK_ROLES = allow(*DESK)
READERS = allow(*DESK, *LEADERSHIP, Role.ENGINEERING, Role.TEAM_LEAD, *EXECUTORS)
DESK_READERS = allow(*DESK, *LEADERSHIP, Role.ENGINEERING, Role.TEAM_LEAD)
MANAGER = allow(Role.MANAGER)


class CaseView(msgspec.Struct, kw_only=True):
    case: dict[str, Any]
    summary: dict[str, Any]
    clocks: list[dict[str, Any]]
    missing_to_close: list[str]
    slip_valid: bool
    timeline: list[dict[str, Any]]


def _view(d: dict[str, Any]) -> CaseView:
    return CaseView(**d)


class DecideIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    open: bool
    # A–E open a case (R-OP-1); F records why none is opened (R-OP-2), with the reason in `note`.
    reason: Literal["A", "B", "C", "D", "E", "F"] | None = None
    note: str = ""
    escalated: bool = False


class ReferOpeningIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_id: str  # the team lead, manager, deputy GM or GM asked to decide (R-OP-3)
    note: str = ""


class FollowUpIn(DatedIn, kw_only=True):
    kind: dc.FollowUpKind
    note: str = ""
    reported_to_manager_id: str | None = None
    new_due_at: datetime | None = None
    # A reply's medium, required on a reply (R-IN-5): only a written one answers a written inquiry.
    medium: dc.ReplyMedium | None = None
    # Who signed and issued a written reply (签发人), required on one; the desk offers its own user's name.
    signer: Annotated[str, msgspec.Meta(max_length=60)] | None = None


class NoteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str


class ReportUpIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_role: Role
    to_id: str | None = None
    means: em.Means = em.Means.PHONE


class FeedbackIn(DatedIn, kw_only=True):
    promised: date
    reason: str = ""


class JudgeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fault: dc.ComplaintFault
    explanation: str
    customer_accepted: bool = True
    agreed_solution: str | None = None


class ReasonIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str


class ApproachIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    approach: Annotated[str, msgspec.Meta(max_length=1000)]  # R-FU-3: the manager's new approach


class QuarterlyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    result: str
    signature_sha256: str | None = None


class LinkedIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: str
    separately: bool = True


class PlanIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    expected_days: int
    text: str


class ClassifyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    repair_responsibility: dc.RepairResponsibility | None = None
    repair_class: dc.RepairClass | None = None
    fee_quote_cents: int | None = None
    is_major: bool | None = None


class HandFollowIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_id: str


class EmergencyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    trigger: em.EmergencyTrigger


class AttemptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    target_role: Role
    target_id: str | None = None
    means: em.Means = em.Means.PHONE
    reached: bool = True


class PublicCallIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    number: em.PublicNumber  # R-EM-5: 110, 119, 120 or 122


class NumbersToCall(msgspec.Struct, kw_only=True):
    """R-EM-5: the public numbers each help kind (R-IN-4) and emergency type (R-EM-1) calls for."""

    help_kind: dict[str, list[str]]
    trigger: dict[str, list[str]]
    # D85: a call marked on the intake form longer than this before sending is sent only once the desk
    # confirmed it, and one older than `call_max_age_minutes` is not sent at all (the domain's limits).
    call_confirm_after_minutes: int
    call_max_age_minutes: int


class SummonIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: em.SummonedRole
    person_id: str | None = None


class ArrivalIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: em.SummonedRole
    report: str | None = None


class InstructionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str
    given_by: str


class InstructionDoneIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    result: str = ""


class HandoverIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    incoming_id: str
    notes: str = ""


class HandoverSignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    signature_sha256: str
    takes_over_case_ids: list[str] = []


class HandoverReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: str = ""


class HandoverReviewView(msgspec.Struct, kw_only=True):
    sheet: ho.HandoverSheet
    unfinished: list[ho.HandoverItem]  # the sheet's items whose cases are still open now


class CaseController(Controller):
    path = "/api"
    tags = ["cases"]

    @post("/cases", opt=DESK_ROLES, status_code=201)
    async def intake(self, db: Database, principal: Principal, data: JSONBody[IntakeIn]) -> CaseView:
        return _view(await desk.intake(db, principal, data))

    @get("/cases", opt=DESK_READERS)
    async def list_cases(
        self, db: Database, principal: Principal,
        state_: Annotated[str | None, QueryParameter(name="state")] = None, kind: str | None = None,
        category: Annotated[str | None, QueryParameter(description=(
            "A category code, or kind:code (e.g. help:complaint) for that category within that kind"))] = None,
        building_id: str | None = None, overdue: bool | None = None,
        q: str | None = None, limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        open_only: Annotated[bool, QueryParameter(name="open")] = False,
        before: Annotated[str | None, QueryParameter(max_length=40)] = None,
        attention: bool = False,
        awaiting_me: Annotated[bool, QueryParameter(description=(
            "Only the openings passed up to the caller and still waiting for their decision (R-OP-3)"))] = False,
        review_to_me: Annotated[bool, QueryParameter(description=(
            "Only the cases a Monday review passed to the caller and still unanswered, of any week (R-FU-3)"))] = False,
        awaiting_any: Annotated[bool, QueryParameter(description=(
            "Only the openings passed up to any supervisor and still waiting for a decision (R-OP-3)"))] = False,
        review_to_any: Annotated[bool, QueryParameter(description=(
            "Only the cases a Monday review passed to any manager and still unanswered, of any week (R-FU-3)"))] = False,
    ) -> list[dict[str, Any]]:
        return await desk.list_cases(db, principal, state=state_, kind=kind, category=category,
                                     building_id=building_id, overdue=overdue, q=q, limit=limit,
                                     open_only=open_only, before=before, attention=attention,
                                     awaiting_me=awaiting_me, review_to_me=review_to_me,
                                     awaiting_any=awaiting_any, review_to_any=review_to_any)

    @get("/cases/{case_id:str}", opt=READERS)
    async def get_case(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.get_case(db, principal, case_id))

    # R-OP-3: the team lead is one of the supervisors who decide what the dispatcher passed up.
    @post("/cases/{case_id:str}/decide", opt=allow(*DESK, Role.TEAM_LEAD, *LEADERSHIP), status_code=200)
    async def decide(self, db: Database, principal: Principal, case_id: str, data: JSONBody[DecideIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.decide_opening(
            c, open=data.open, by=principal.user_id, roles=roles_of(principal), now=u.now,
            reason=data.reason if data.open else None, note=data.note,
            escalated=data.escalated)))

    # R-OP-3: the dispatcher cannot decide and passes the opening up to a named supervisor.
    @post("/cases/{case_id:str}/refer-opening", opt=DESK_ROLES, status_code=200)
    async def refer_opening(self, db: Database, principal: Principal, case_id: str,
                            data: JSONBody[ReferOpeningIn]) -> CaseView:
        return _view(await desk.refer_opening(db, principal, case_id, data.to_id, data.note))

    @post("/cases/{case_id:str}/dispatch", opt=allow(*DESK, Role.TEAM_LEAD), status_code=200)
    async def dispatch(self, db: Database, principal: Principal, case_id: str,
                       data: JSONBody[DispatchIn]) -> CaseView:
        return _view(await desk.dispatch(db, principal, case_id, data))

    @post("/cases/{case_id:str}/report-up", opt=DESK_ROLES, status_code=200)
    async def report_up(self, db: Database, principal: Principal, case_id: str,
                        data: JSONBody[ReportUpIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.report_up(
            c, to_id=data.to_id, to_role=data.to_role, by=principal.user_id, now=u.now, means=data.means)))

    @post("/cases/{case_id:str}/follow-up", opt=DESK_ROLES, status_code=200)
    async def follow_up(self, db: Database, principal: Principal, case_id: str,
                        data: JSONBody[FollowUpIn]) -> CaseView:
        return _view(await desk.follow_up(db, principal, case_id, kind=data.kind, note=data.note,
                                          reported_to_manager_id=data.reported_to_manager_id,
                                          new_due_at=data.new_due_at, medium=data.medium,
                                          signer=data.signer))

    @post("/cases/{case_id:str}/note", opt=DESK_ROLES, status_code=200)
    async def note(self, db: Database, principal: Principal, case_id: str, data: JSONBody[NoteIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.add_note(
            c, text=data.text, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/classify", opt=DESK_ROLES, status_code=200)
    async def classify(self, db: Database, principal: Principal, case_id: str,
                       data: JSONBody[ClassifyIn]) -> CaseView:
        """R-IN-6: classify a repair after intake (verified on site), or record the fee once told."""
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.classify(
            c, by=principal.user_id, now=u.now, repair_responsibility=data.repair_responsibility,
            repair_class=data.repair_class, fee_quote_cents=data.fee_quote_cents, is_major=data.is_major)))

    @post("/cases/{case_id:str}/feedback-date", opt=DESK_ROLES, status_code=200)
    async def feedback_date(self, db: Database, principal: Principal, case_id: str,
                            data: JSONBody[FeedbackIn]) -> CaseView:
        return _view(await desk.set_feedback_date(db, principal, case_id, data.promised, data.reason))

    @post("/cases/{case_id:str}/judge", opt=DESK_ROLES, status_code=200)
    async def judge(self, db: Database, principal: Principal, case_id: str, data: JSONBody[JudgeIn]) -> CaseView:
        is_mgr = Role.MANAGER in roles_of(principal)
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.judge_complaint(
            c, fault=data.fault, explanation=data.explanation, by=principal.user_id, now=u.now,
            manager_id=principal.user_id if is_mgr else None,
            manager_roles=roles_of(principal) if is_mgr else (),
            customer_accepted=data.customer_accepted, agreed_solution=data.agreed_solution)))

    @post("/cases/{case_id:str}/return-slip", opt=DESK_ROLES, status_code=200)
    async def return_slip(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.return_slip(
            c, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/countersign", opt=DESK_ROLES, status_code=200)
    async def countersign(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.countersign_slip(
            c, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/verify", opt=DESK_ROLES, status_code=200)
    async def verify(self, db: Database, principal: Principal, case_id: str, data: JSONBody[NoteIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.verify(
            c, note=data.text, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/approve-close", opt=MANAGER, status_code=200)
    async def approve_close(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.approve_close(db, principal, case_id))

    @post("/cases/{case_id:str}/close", opt=DESK_ROLES, status_code=200)
    async def close(self, db: Database, principal: Principal, case_id: str, data: JSONBody[CloseIn]) -> CaseView:
        return _view(await desk.close(db, principal, case_id, data))

    @post("/cases/{case_id:str}/cannot-handle", opt=DESK_ROLES, status_code=200)
    async def cannot_handle(self, db: Database, principal: Principal, case_id: str,
                            data: JSONBody[ReasonIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.mark_cannot_handle(
            c, reason=data.reason, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/review-answer", opt=MANAGER, status_code=200)
    async def review_answer(self, db: Database, principal: Principal, case_id: str,
                            data: JSONBody[ApproachIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.answer_review_referral(
            c, approach=data.approach, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/quarterly-close", opt=MANAGER, status_code=200)
    async def quarterly_close(self, db: Database, principal: Principal, case_id: str,
                              data: JSONBody[QuarterlyIn]) -> CaseView:
        return _view(await desk.quarterly_close(db, principal, case_id, data.result, data.signature_sha256))

    @post("/cases/{case_id:str}/linked-problem", opt=DESK_ROLES, status_code=200)
    async def linked_problem(self, db: Database, principal: Principal, case_id: str,
                             data: JSONBody[LinkedIn]) -> CaseView:
        return _view(await desk.linked_problem(db, principal, case_id, data.description, data.separately))

    @post("/cases/{case_id:str}/linked-problem/{problem_id:str}/resolve", opt=DESK_ROLES, status_code=200)
    async def resolve_linked(self, db: Database, principal: Principal, case_id: str, problem_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.resolve_linked_problem(
            c, problem_id=problem_id, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/plan", opt=allow(*DESK, Role.TEAM_LEAD, Role.ENGINEERING), status_code=200)
    async def plan(self, db: Database, principal: Principal, case_id: str, data: JSONBody[PlanIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.submit_plan(
            c, expected_days=data.expected_days, text=data.text, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/plan/approve", opt=allow(Role.MANAGER, Role.ENGINEERING), status_code=200)
    async def approve_plan(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.approve_plan(
            c, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    @post("/cases/{case_id:str}/progress", opt=allow(*DESK, Role.TEAM_LEAD, Role.ENGINEERING), status_code=200)
    async def progress(self, db: Database, principal: Principal, case_id: str, data: JSONBody[NoteIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.record_progress(
            c, text=data.text, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/hand-over-follow", opt=DESK_ROLES, status_code=200)
    async def hand_over_follow(self, db: Database, principal: Principal, case_id: str,
                               data: JSONBody[HandFollowIn]) -> CaseView:
        return _view(await desk.hand_over_follow(db, principal, case_id, data.to_id))

    @post("/cases/{case_id:str}/emergency/take", opt=DESK_ROLES, status_code=200)
    async def take_emergency(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        """R-IN-9, R-EM-3: the caller takes an emergency raised on a staff phone that nobody at the desk has
        taken: they follow it and hold its post. 409 `case.already_taken` once someone has."""
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.take_emergency(
            c, by=principal.user_id, roles=roles_of(principal), now=u.now)))

    # --- emergencies (R-EM-1..5) ---

    @post("/cases/{case_id:str}/emergency", opt=DESK_ROLES, status_code=200)
    async def declare(self, db: Database, principal: Principal, case_id: str,
                      data: JSONBody[EmergencyIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.declare_emergency(
            c, trigger=data.trigger, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/emergency/attempt", opt=DESK_ROLES, status_code=200)
    async def attempt(self, db: Database, principal: Principal, case_id: str, data: JSONBody[AttemptIn]) -> CaseView:
        return _view(await desk.escalation_attempt(db, principal, case_id, target_role=data.target_role,
                                                   target_id=data.target_id, means=data.means, reached=data.reached))

    @post("/cases/{case_id:str}/emergency/ack", opt=allow(*em.ESCALATION_CHAIN), status_code=200)
    async def acknowledge(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.emergency_step(
            c, lambda s: em.acknowledge(s, by=principal.user_id, by_roles=principal.roles, now=u.now),
            name="emergency.acknowledged", by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/emergency/summon", opt=DESK_ROLES, status_code=200)
    async def summon(self, db: Database, principal: Principal, case_id: str, data: JSONBody[SummonIn]) -> CaseView:
        return _view(await desk.summon(db, principal, case_id, role=data.role, person_id=data.person_id))

    @post("/cases/{case_id:str}/emergency/arrival", opt=DESK_ROLES, status_code=200)
    async def arrival(self, db: Database, principal: Principal, case_id: str, data: JSONBody[ArrivalIn]) -> CaseView:
        return _view(await desk.scene_report(db, principal, case_id, role=data.role, report=data.report))

    @post("/cases/{case_id:str}/emergency/public-call", opt=DESK_ROLES, status_code=200)
    async def public_call(self, db: Database, principal: Principal, case_id: str,
                          data: JSONBody[PublicCallIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.record_public_call(
            c, number=data.number, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/emergency/instructions", opt=allow(*DESK, *LEADERSHIP), status_code=200)
    async def instruction(self, db: Database, principal: Principal, case_id: str,
                          data: JSONBody[InstructionIn]) -> CaseView:
        iid = new_id("ins_")
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.give_instruction(
            c, instruction_id=iid, text=data.text, given_by=data.given_by, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/emergency/instructions/{iid:str}/done", opt=DESK_ROLES, status_code=200)
    async def instruction_done(self, db: Database, principal: Principal, case_id: str, iid: str,
                               data: JSONBody[InstructionDoneIn]) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.finish_instruction(
            c, instruction_id=iid, result=data.result, by=principal.user_id, now=u.now)))

    @post("/cases/{case_id:str}/emergency/settle", opt=DESK_ROLES, status_code=200)
    async def settle(self, db: Database, principal: Principal, case_id: str) -> CaseView:
        return _view(await desk.command(db, principal, case_id, lambda c, u: dc.emergency_step(
            c, lambda s: em.settle(s, by=principal.user_id, now=u.now),
            name="emergency.settled", by=principal.user_id, now=u.now)))

    @get("/emergency-numbers", opt=READERS)
    async def emergency_numbers(self) -> dict[str, str]:
        return {k: str(v) for k, v in em.EMERGENCY_NUMBERS.items()}

    @get("/emergency-numbers/to-call", opt=READERS)
    async def numbers_to_call(self) -> NumbersToCall:
        # The intake prompts the number before the case exists; the table is the domain's, not a copy.
        return NumbersToCall(
            help_kind={k: [str(n) for n in v] for k, v in em.NUMBERS_BY_HELP_KIND.items()},
            trigger={str(k): [str(n) for n in v] for k, v in em.NUMBERS_BY_TRIGGER.items()},
            call_confirm_after_minutes=int(em.INTAKE_CALL_CONFIRM_AFTER.total_seconds() // 60),
            call_max_age_minutes=int(em.INTAKE_CALL_MAX_AGE.total_seconds() // 60),
        )

    # --- queues, directory, calendar, handover ---

    @get("/followups", opt=DESK_READERS)
    async def followups(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await desk.follow_up_queue(db, principal)

    @get("/review/monday", opt=allow(*DESK, *LEADERSHIP))
    async def monday(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await desk.monday_review(db, principal)

    @get("/staff", opt=DESK_READERS)
    async def staff(self, db: Database, principal: Principal, role: str | None = None) -> list[dict[str, Any]]:
        return await desk.staff(db, principal, role)

    @get("/units", opt=READERS)
    async def units(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await desk.unit_directory(db, principal)

    @get("/calendar", opt=READERS)
    async def get_calendar(self, db: Database, principal: Principal) -> BusinessCalendar:
        return await desk.get_calendar(db, principal)

    @put("/calendar", opt=MANAGER)
    async def put_calendar(self, db: Database, principal: Principal,
                           data: JSONBody[BusinessCalendar]) -> BusinessCalendar:
        return await desk.put_calendar(db, principal, data)

    @post("/handovers", opt=DESK_ROLES, status_code=201)
    async def create_handover(self, db: Database, principal: Principal, data: JSONBody[HandoverIn]) -> dict[str, Any]:
        return await desk.create_handover(db, principal, data.incoming_id, data.notes)

    # Team leads read the sheets too: they are among the supervisors who review them (R-SH-1).
    @get("/handovers", opt=allow(*DESK, Role.TEAM_LEAD, *LEADERSHIP))
    async def handovers(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await desk.list_handovers(db, principal)

    @post("/handovers/{sheet_id:str}/sign-outgoing", opt=DESK_ROLES, status_code=200)
    async def sign_out(self, db: Database, principal: Principal, sheet_id: str,
                       data: JSONBody[HandoverSignIn]) -> dict[str, Any]:
        return await desk.sign_handover(db, principal, sheet_id, "outgoing", data.signature_sha256, [])

    @post("/handovers/{sheet_id:str}/sign-incoming", opt=DESK_ROLES, status_code=200)
    async def sign_in(self, db: Database, principal: Principal, sheet_id: str,
                      data: JSONBody[HandoverSignIn]) -> dict[str, Any]:
        return await desk.sign_handover(db, principal, sheet_id, "incoming", data.signature_sha256,
                                        data.takes_over_case_ids)

    # The rule, not the route, refuses a desk role that is not a supervisor (handover.not_supervisor).
    @post("/handovers/{sheet_id:str}/review", opt=allow(*DESK, Role.TEAM_LEAD, *LEADERSHIP), status_code=200)
    async def review_handover(self, db: Database, principal: Principal, sheet_id: str,
                              data: JSONBody[HandoverReviewIn]) -> HandoverReviewView:
        sheet, unfinished = await desk.review_handover(db, principal, sheet_id, data.note)
        return HandoverReviewView(sheet=sheet, unfinished=unfinished)
