"""The Case aggregate: one resident request from intake to close, as an explicit state machine.

Every transition is a pure function `(case, ..., now) -> Transition | Refusal`. `now` is server
time; ids are passed in. A Transition carries the new case and the events the sync layer records
and fans out. Nothing here touches storage, the network or the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec
from msgspec.structs import replace

from server.domain import emergencies as em
from server.domain.calendar import BusinessCalendar
from server.domain.errors import Notice, Refusal, refuse
from server.domain.roles import DESK, EXECUTORS, LEADERSHIP, Role
from server.domain.surveys import Grade

# --- vocabularies ------------------------------------------------------------------------------


class CaseState(StrEnum):
    RECEIVED = "received"
    NOT_OPENED = "not_opened"
    OPENED = "opened"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANNOT_HANDLE = "cannot_handle"


class Kind(StrEnum):
    """R-IN-2."""

    REPAIR = "repair"
    COMPLAINT = "complaint"
    HELP = "help"
    INQUIRY = "inquiry"
    SPECIAL_SERVICE = "special_service"
    DAILY_AFFAIR = "daily_affair"


class Channel(StrEnum):
    """R-IN-1."""

    PHONE = "phone"
    WALK_IN = "walk_in"
    WRITTEN = "written"
    STAFF_FOUND = "staff_found"
    LEADERSHIP_FOUND = "leadership_found"
    APP = "app"
    CONTROL_ROOM = "control_room"


class ComplaintCategory(StrEnum):
    """R-IN-3."""

    SECURITY = "security"
    CLEANING = "cleaning"
    GREENING = "greening"
    ENGINEERING_REPAIR = "engineering_repair"
    MAIL_NEWSPAPERS = "mail_newspapers"
    DECORATION = "decoration"
    STAFF_ATTITUDE = "staff_attitude"
    OTHER = "other"


class HelpKind(StrEnum):
    """R-IN-4. The first four are emergencies by themselves (R-EM-1).

    The seed lists a traffic accident with theft, fights and robbery as one kind; it is its own kind
    here because it calls for the traffic police (122) as well as the police (R-EM-5). Cases stored as
    `crime` before the split keep that kind.
    """

    MEDICAL_EMERGENCY = "medical_emergency"
    CRIME = "crime"  # theft, fight, robbery, homicide, poisoning
    TRAFFIC_ACCIDENT = "traffic_accident"
    DISASTER = "disaster"  # flood, fire, natural disaster
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    OTHER = "other"


class RepairResponsibility(StrEnum):
    """R-IN-6 (a)–(d)."""

    OWNER_PRIVATE = "owner_private"  # (a) paid, fee told first
    COMMON = "common"  # (b) common facilities
    OWNER_PAYS_DEFECT = "owner_pays_defect"  # (c) past warranty or owner-caused
    DEVELOPER_DEFECT = "developer_defect"  # (d) developer's legacy defect


# R-IN-6: for these the work order must reach the repair team within 5 minutes.
FAST_ORDER_RESPONSIBILITIES = frozenset(
    {RepairResponsibility.OWNER_PRIVATE, RepairResponsibility.COMMON, RepairResponsibility.DEVELOPER_DEFECT}
)


class RepairClass(StrEnum):
    """R-FU-4."""

    SMALL = "small"
    COMMON_FACILITY = "common_facility"
    URGENT = "urgent"
    GENERAL = "general"
    MAJOR = "major"
    OUTSOURCED = "outsourced"
    PARTS_ELSEWHERE = "parts_elsewhere"


class PaidService(StrEnum):
    """Special-service codes whose response times R-FU-7 fixes."""

    HOME_REPAIR = "home_repair"
    HOME_CLEANING = "home_cleaning"
    LAUNDRY = "laundry"
    GAMES = "games"
    OTHER = "other"


class OpenReason(StrEnum):
    """R-OP-1 (A)–(E)."""

    A_SITE_FOLLOW_UP = "A"
    B_FOUND_BY_STAFF = "B"
    C_INQUIRY_FOLLOW_UP = "C"
    D_EMERGENCY = "D"
    E_OUTSIDE_REMIT = "E"


_OPEN_REASONS = frozenset(r.value for r in OpenReason)


class NotOpenReason(StrEnum):
    """R-OP-2 (F)."""

    F_EXPLAINED_ACCEPTED = "F"


class WorkOrderState(StrEnum):
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    UNABLE = "unable"
    CANCELLED = "cancelled"


ACTIVE_WORK_ORDER_STATES = frozenset(
    {WorkOrderState.DISPATCHED, WorkOrderState.ACCEPTED, WorkOrderState.ON_SITE}
)


class SignerRelation(StrEnum):
    OWNER = "owner"
    HOUSEHOLD = "household"
    OTHER = "other"


class FollowUpKind(StrEnum):
    FIRST = "first"  # R-FU-1
    SECOND = "second"  # R-FU-2
    WEEKLY_REVIEW = "weekly_review"  # R-FU-3
    COMPLETION_NOTICE = "completion_notice"  # R-FU-4: expected completion told (major etc.)
    CALLBACK = "callback"  # R-FU-6
    FEEDBACK = "feedback"  # R-FU-8: the promised feedback given
    REPLY = "reply"  # R-IN-5
    DELAY_NOTICE = "delay_notice"  # R-FU-7: resident told why 25 min cannot be met


class ReplyMedium(StrEnum):
    """R-IN-5: how a reply reached the resident. Only a written one answers a written inquiry."""

    PHONE = "phone"
    IN_PERSON = "in_person"
    WRITTEN = "written"  # a letter, notice or other text the resident keeps


class ComplaintFault(StrEnum):
    """R-IN-8."""

    COMPANY = "company"
    CUSTOMER = "customer"


class CaseReason(StrEnum):
    INTAKE_INCOMPLETE = "case.intake_incomplete"
    CLASSIFICATION_MISSING = "case.classification_missing"
    WRONG_STATE = "case.wrong_state"
    WORK_ORDER_WITHDRAWN = "case.work_order_withdrawn"
    FORBIDDEN_ROLE = "case.forbidden_role"
    ALREADY_DECIDED = "case.already_decided"
    REASON_REQUIRED = "case.reason_required"
    REASON_NOT_FOR_OPENING = "case.reason_not_for_opening"
    EMERGENCY_MUST_OPEN = "case.emergency_must_open"
    ESCALATED_NEEDS_SUPERVISOR = "case.escalated_needs_supervisor"
    REFERRAL_NOT_SUPERVISOR = "case.referral_not_supervisor"
    AWAITING_SUPERVISOR = "case.awaiting_supervisor"
    NOT_OPENED = "case.not_opened"
    TEAM_LEAD_FIRST = "case.team_lead_first"
    # R-DI-1: only a lead of the case's line of work is recorded as tried first.
    NOT_A_LEAD = "case.not_a_lead"
    FEE_NOT_TOLD = "case.fee_not_told"
    WORK_ORDER_INCOMPLETE = "case.work_order_incomplete"
    UNKNOWN_WORK_ORDER = "case.unknown_work_order"
    NOT_ASSIGNEE = "case.not_assignee"
    SLIP_INCOMPLETE = "case.slip_incomplete"
    SLIP_REQUIRED = "case.slip_required"
    NOT_ON_SITE = "case.not_on_site"
    PLAN_NOT_APPROVED = "case.plan_not_approved"
    NO_PLAN = "case.no_plan"
    SLIP_NOT_RETURNED = "case.slip_not_returned"
    CLOSE_UNFINISHED = "case.close_unfinished"
    CLOSE_MISSING = "case.close_missing"
    ALREADY_CLOSED = "case.already_closed"
    USE_QUARTERLY_REVIEW = "case.use_quarterly_review"
    NOT_REVIEW_TIME = "case.not_review_time"
    APPROVER_REQUIRED = "case.approver_required"
    SIGNATURE_REQUIRED = "case.signature_required"
    NOT_A_COMPLAINT = "case.not_a_complaint"
    NOT_A_REPAIR = "case.not_a_repair"
    NOTHING_TO_CLASSIFY = "case.nothing_to_classify"
    NEGATIVE_FEE = "case.negative_fee"
    FEE_NOT_CHARGEABLE = "case.fee_not_chargeable"
    FEE_ABOVE_AGREED = "case.fee_above_agreed"
    FEE_REASON_REQUIRED = "case.fee_reason_required"
    FEEDBACK_CHANGES_EXHAUSTED = "case.feedback_changes_exhausted"
    FEEDBACK_DATE_PASSED = "case.feedback_date_passed"
    FEEDBACK_DATE_INVALID = "case.feedback_date_invalid"
    FEEDBACK_AFTER_CLOSE_LIMIT = "case.feedback_after_close_limit"
    MANAGER_NOT_TOLD = "case.manager_not_told"
    NOT_FOLLOWER = "case.not_follower"
    NO_REVIEW_REFERRAL = "case.no_review_referral"
    NAMED_PERSON_REQUIRED = "case.named_person_required"
    FOLLOWER_UNKNOWN = "case.follower_unknown"
    REPORTED_TO_NOT_MANAGER = "case.reported_to_not_manager"
    UNKNOWN_LINKED_PROBLEM = "case.unknown_linked_problem"
    NOT_EMERGENCY = "case.not_emergency"
    TEXT_REQUIRED = "case.text_required"
    REPLY_MEDIUM_REQUIRED = "case.reply_medium_required"
    MEDIUM_ONLY_FOR_REPLY = "case.medium_only_for_reply"
    WRITTEN_REPLY_SIGNER_REQUIRED = "case.written_reply_signer_required"
    SIGNER_ONLY_FOR_WRITTEN_REPLY = "case.signer_only_for_written_reply"
    APPROVAL_NOT_NEEDED = "case.approval_not_needed"
    APPROVAL_TOO_EARLY = "case.approval_too_early"
    SPECIAL_SERVICE_NEEDS_BOOKING = "case.special_service_needs_booking"
    # An order from the government or the company's leadership comes to the desk, not from a guard's round.
    NOT_FIELD_EMERGENCY = "case.not_field_emergency"
    # Someone at the desk already follows the emergency or holds its post: there is nothing to take.
    ALREADY_TAKEN = "case.already_taken"


# --- value types -------------------------------------------------------------------------------


class Event(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    at: datetime
    by: str | None
    data: dict[str, Any] = {}


class Note(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    photo_sha256: str | None = None
    at: datetime  # when it was written: an offline phone's note placed in server time (D35, D97)
    by: str
    # When the server heard of it, kept only when that was later than `at` (a note synced late).
    received_at: datetime | None = None


class LinkedReport(msgspec.Struct, frozen=True, kw_only=True):
    """A problem the executor reported on this work order (R-CL-1 C, R-CL-2 D), as the phone shows it.

    The new case's number when it was opened separately, so the technician can tell the resident
    (D98); the held problem's id when it stays on this case.
    """

    description: str
    at: datetime
    case_id: str | None = None
    case_no: str | None = None
    problem_id: str | None = None


class WorkOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A 派工单 (R-DI-3): job, unit, executor, deadline; the assignee confirms receipt."""

    id: str
    job: str
    assignee_id: str
    assignee_role: Role
    assigned_at: datetime
    assigned_by: str
    deadline_at: datetime
    state: WorkOrderState = WorkOrderState.DISPATCHED
    accepted_at: datetime | None = None
    arrived_at: datetime | None = None  # server time (the phone's act placed by its offset, D35)
    arrived_device_at: datetime | None = None  # the phone's clock, kept for the offset estimate
    geo: tuple[float, float] | None = None
    notes: tuple[Note, ...] = ()
    linked: tuple[LinkedReport, ...] = ()  # problems reported on this order, each with its new case (D98)
    unable_reason: str | None = None
    unable_at: datetime | None = None  # when the executor reported it (placed like arrival, D97)
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    # The earlier order whose completion, refused on sync and then accepted at the desk, made this one
    # unnecessary: the work was done before this order was worked (D141). Defaulted: orders
    # stored before decode without it.
    withdrawn_for: str | None = None
    # The post that made the assignee the case's lead when the account is no team lead (guard_captain:
    # 韩队长 takes a security job as 保安队长, D144); the order and the history title them by it.
    lead_post: str | None = None
    # The assignee's phone records, refused on sync, that the desk accepted onto this order as the work done
    # ("client_id:mutation_id", D141): the phone's job names them, so its outbox says they were accepted.
    accepted_refusals: tuple[str, ...] = ()


class ServiceSlip(msgspec.Struct, frozen=True, kw_only=True):
    """The 服务单 the resident signs (R-CL-1 A) and the dispatcher countersigns (R-CL-6)."""

    work_done: str
    materials: str = ""
    fee_cents: int = 0
    photo_sha256s: tuple[str, ...] = ()
    executor_id: str | None = None
    signer_name: str | None = None
    signer_relation: SignerRelation | None = None
    signature_sha256: str | None = None
    signed_at: datetime | None = None
    content_hash: str | None = None
    countersigned_by: str | None = None
    countersigned_at: datetime | None = None
    slip_returned_at: datetime | None = None
    # The resident's own word at the door (业主评价), given with the signature and covered by it.
    # Optional: it does not replace the call-back (R-FU-6, R-RV-1), which still asks; a C here
    # tells the desk before it closes the case.
    resident_grade: Grade | None = None
    resident_opinion: str = ""
    # Why a repair costs more than the fee told before dispatch (R-IN-6 a): printed on the slip, so
    # the resident signs the higher fee knowing why. Empty when the fee is within what was told.
    fee_over_reason: str = ""


class DispatchRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Who was told, when, by what means, and whether they were reached (R-DI-1)."""

    told_id: str | None
    told_role: Role
    at: datetime
    by: str
    means: em.Means = em.Means.PHONE
    reached: bool = True
    # Told as the case's lead by the post held, not by a team lead's account (guard_captain), as on the order.
    lead_post: str | None = None


class ReportUp(msgspec.Struct, frozen=True, kw_only=True):
    """An urgent or major matter reported to the manager or leadership (R-DI-2)."""

    to_id: str | None
    to_role: Role
    at: datetime
    by: str
    means: em.Means = em.Means.PHONE


class OpeningDecision(msgspec.Struct, frozen=True, kw_only=True):
    """R-OP-1..4: opened or not, why, who decided and when."""

    opened: bool
    reason: OpenReason | None = None
    not_open_reason: NotOpenReason | None = None
    note: str = ""
    decided_by: str
    decided_by_roles: tuple[Role, ...] = ()
    escalated: bool = False  # the dispatcher could not decide and passed it up (R-OP-3)
    decided_at: datetime
    referred_to_id: str | None = None  # whom the dispatcher asked, when they passed it up


class OpeningReferral(msgspec.Struct, frozen=True, kw_only=True):
    """R-OP-3: the dispatcher could not decide the opening and asked this supervisor to."""

    to_id: str
    to_role: Role
    note: str = ""  # why the dispatcher could not decide
    by: str
    at: datetime


class LinkedProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A problem found on the job that could not be opened as its own case (R-CL-2 D)."""

    id: str
    description: str
    found_at: datetime
    found_by: str
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class FeedbackPromise(msgspec.Struct, frozen=True, kw_only=True):
    promised: date
    set_at: datetime
    set_by: str
    reason: str = ""


class RepairPlan(msgspec.Struct, frozen=True, kw_only=True):
    """R-FU-5: repairs over 3 days need the engineering manager's and the office head's approval."""

    expected_days: int
    text: str
    submitted_by: str
    submitted_at: datetime
    engineering_approved_by: str | None = None
    engineering_approved_at: datetime | None = None
    manager_approved_by: str | None = None
    manager_approved_at: datetime | None = None

    @property
    def approved(self) -> bool:
        return self.engineering_approved_by is not None and self.manager_approved_by is not None

    @property
    def approved_at(self) -> datetime | None:
        if not self.approved:
            return None
        assert self.engineering_approved_at is not None and self.manager_approved_at is not None
        return max(self.engineering_approved_at, self.manager_approved_at)


PLAN_THRESHOLD_DAYS = 3


class ProgressEntry(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    by: str
    text: str


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    kind: FollowUpKind
    at: datetime
    by: str
    note: str = ""
    reported_to_manager_id: str | None = None
    new_due_at: datetime | None = None
    # A reply's medium (R-IN-5). None on every other kind, and on replies stored before it was asked.
    medium: ReplyMedium | None = None
    # Who signed and issued a written reply (签发人), by name as on the letter: a written reply is a
    # document someone answers for (D74). None on every other follow-up and on replies stored before.
    signer: str | None = None


class ReviewAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """R-FU-3: the manager's new approach for a case the Monday review passed up (`referral_at`)."""

    approach: str
    by: str
    at: datetime
    referral_at: datetime


class FollowerChange(msgspec.Struct, frozen=True, kw_only=True):
    """R-IN-9: follow-through passes only by an explicit handover to a named person."""

    from_id: str
    to_id: str
    at: datetime
    by: str


class ComplaintJudgement(msgspec.Struct, frozen=True, kw_only=True):
    """R-IN-8."""

    fault: ComplaintFault
    explanation: str
    judged_by: str
    judged_at: datetime
    manager_confirmed_by: str | None = None
    customer_accepted: bool = True
    agreed_solution: str | None = None


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    """R-CL-1 B: papers or a supervisor's notice arrived and were checked."""

    note: str
    by: str
    at: datetime


class CloseRecord(msgspec.Struct, frozen=True, kw_only=True):
    """R-CL-5."""

    result: str
    dispatcher_id: str  # the dispatcher's signature
    closed_at: datetime
    approver_id: str | None = None
    approver_signature_sha256: str | None = None
    quarterly_review_at: datetime | None = None


class CannotHandleRecord(msgspec.Struct, frozen=True, kw_only=True):
    """R-CL-4 / R-FU-3: recorded with the manager's confirmation, closed at a quarterly review."""

    reason: str
    recorded_by: str
    recorded_at: datetime
    confirmed_by: str


class Reopening(msgspec.Struct, frozen=True, kw_only=True):
    """A finished case sent back for review after an unsatisfied call-back: it counts as rework."""

    reason: str
    by: str
    at: datetime
    from_state: CaseState
    previous_close: CloseRecord | None = None


class FieldReport(msgspec.Struct, frozen=True, kw_only=True):
    """An emergency a member of staff raised on their phone (R-IN-1: found by staff; R-EM-1).

    The case's receiver is the reporter, who recorded it; its received time is when they tapped. Nobody
    at the service centre follows it or holds the emergency's post until someone there takes it
    (`follower_id` and `at_post_id` are empty), so its desk clocks remind every dispatcher."""

    by: str
    reported_at: datetime  # when it was tapped, in server time (D35, D128): the case's received_at
    received_at: datetime  # when the server heard of it
    building_id: str | None = None
    where: str = ""  # what the reporter typed: 地库 B2 配电间, 北门岗亭 …
    photo_sha256: str | None = None


class QuarterlyReview(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    approver_id: str
    approver_roles: frozenset[Role] = frozenset()
    approver_signature_sha256: str | None = None


class Case(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    no: str
    compound_id: str
    kind: Kind
    channel: Channel
    received_at: datetime
    receiver_id: str
    contact_name: str
    phone: str = ""
    unit_id: str | None = None
    address: str = ""
    content: str
    # classification (R-IN-2..6, R-FU-4, R-FU-7)
    complaint_category: ComplaintCategory | None = None
    help_kind: HelpKind | None = None
    repair_responsibility: RepairResponsibility | None = None
    repair_class: RepairClass | None = None
    service_code: PaidService | None = None
    fee_quote_cents: int | None = None  # R-IN-6 (a): the fee told before dispatch
    # R-SS-1..3: the special-service booking this case carries out; only a booking is dispatched.
    booking_id: str | None = None
    is_emergency: bool = False
    is_major: bool = False
    state: CaseState = CaseState.RECEIVED
    # R-IN-9: who follows the request through; starts as the receiver
    follower_id: str
    follower_changes: tuple[FollowerChange, ...] = ()
    opening: OpeningDecision | None = None
    # R-OP-3: passed up and awaiting the named supervisor's decision (kept after it, as the record).
    # Defaulted: cases stored before the hand-up existed decode without it.
    opening_referral: OpeningReferral | None = None
    dispatches: tuple[DispatchRecord, ...] = ()
    reports_up: tuple[ReportUp, ...] = ()
    work_orders: tuple[WorkOrder, ...] = ()
    notes: tuple[Note, ...] = ()
    slip: ServiceSlip | None = None
    parent_case_id: str | None = None
    linked_case_ids: tuple[str, ...] = ()
    linked_problems: tuple[LinkedProblem, ...] = ()
    feedback_promises: tuple[FeedbackPromise, ...] = ()
    plan: RepairPlan | None = None
    progress: tuple[ProgressEntry, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    # R-FU-3: the manager's answers to Monday reviews that passed the case up. Defaulted: cases
    # stored before it existed decode without it.
    review_answers: tuple[ReviewAnswer, ...] = ()
    judgement: ComplaintJudgement | None = None
    verification: Verification | None = None
    emergency: em.EmergencyState | None = None
    close: CloseRecord | None = None
    cannot_handle: CannotHandleRecord | None = None
    reopenings: tuple[Reopening, ...] = ()
    # Raised from a field phone (defaulted: cases stored before decode without it).
    field_report: FieldReport | None = None

    @property
    def opened_at(self) -> datetime | None:
        return self.opening.decided_at if self.opening is not None and self.opening.opened else None

    @property
    def awaiting_supervisor(self) -> OpeningReferral | None:
        """The hand-up still waiting for a supervisor's opening decision (R-OP-3)."""
        return self.opening_referral if self.opening is None else None

    @property
    def active_work_order(self) -> WorkOrder | None:
        for wo in reversed(self.work_orders):
            if wo.state in ACTIVE_WORK_ORDER_STATES:
                return wo
        return None

    @property
    def first_completed_at(self) -> datetime | None:
        """When the work was first completed: what its timeliness is judged on (R-FU-4, R-FU-10). A rework
        after an unsatisfied call-back is counted as rework; it does not re-judge this (D133)."""
        done = [wo.completed_at for wo in self.work_orders if wo.completed_at is not None]
        return min(done) if done else None

    @property
    def last_completed_at(self) -> datetime | None:
        """The latest completion (a rework's, once redone): the slip and call-back of the latest round of
        work run from it (R-FU-6)."""
        done = [wo.completed_at for wo in self.work_orders if wo.completed_at is not None]
        return max(done) if done else None

    @property
    def first_close(self) -> CloseRecord | None:
        """The case's first close, kept on the reopening when a call-back reopened it: what a complaint's
        handling (R-FU-8, R-FU-9) and a help request's reply are judged on (D133)."""
        earlier = next((r.previous_close for r in self.reopenings if r.previous_close is not None), None)
        return earlier or self.close

    @property
    def last_close(self) -> CloseRecord | None:
        """The latest close on record, the current one or the one a reopening set aside: who closed it and
        with what result, for the report's complaint list (R-RV-5)."""
        if self.close is not None:
            return self.close
        return next((r.previous_close for r in reversed(self.reopenings) if r.previous_close is not None), None)

    @property
    def is_open(self) -> bool:
        """Still being followed (R-OP-4): not closed and not an intake that stayed unopened."""
        return self.state not in (CaseState.CLOSED, CaseState.NOT_OPENED)

    @property
    def owes_written_reply(self) -> bool:
        """R-IN-5: a written inquiry is answered in writing within 2 days, whatever the opening decision:
        one explained and left unopened (R-OP-2 F) still gets its written reply (D69)."""
        return self.kind == Kind.INQUIRY and self.channel == Channel.WRITTEN

    @property
    def written_reply_due(self) -> bool:
        """R-IN-5: a written inquiry whose written reply is not on record yet, however it ends (D70)."""
        return self.owes_written_reply and not written_replies(self)


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    case: Case
    events: tuple[Event, ...]
    # Cases created by the step (report_linked_problem); the caller stores them too.
    new_cases: tuple[Case, ...] = ()


# --- helpers -----------------------------------------------------------------------------------


def _answers_in_writing(f: FollowUp) -> bool:
    return f.kind == FollowUpKind.REPLY and f.medium in (ReplyMedium.WRITTEN, None)


def written_replies(case: Case) -> list[datetime]:
    """R-IN-5: when the replies that answer a written inquiry were given, first first. A reply stored
    before replies recorded their medium has none; it met the clock when it was recorded, and still
    does (D62). The clock, the close and the handover all read it here, so they cannot disagree."""
    return sorted(f.at for f in case.follow_ups if _answers_in_writing(f))


def first_written_reply(case: Case) -> FollowUp | None:
    """R-IN-5: the written reply that met the 2 days' clock (the first one, as `written_replies` reads it),
    with its signer (D74); None while none is on record."""
    replies = [f for f in case.follow_ups if _answers_in_writing(f)]
    return min(replies, key=lambda f: f.at) if replies else None


class RoundDone(msgspec.Struct, frozen=True, kw_only=True):
    """The current round of work on a case, done: 0 is the first round, n the work redone after the n-th
    reopening by an unsatisfied call-back."""

    round: int
    at: datetime
    staff_ids: tuple[str, ...] = ()


def round_done(case: Case) -> RoundDone | None:
    """The case's current round of work if it is done, else None: each round gets its own call-back, so
    the resident is asked whether the rework fixed it (R-FU-6; D133). A round is done at its latest
    completion since the case was last reopened; a complaint handled without a work order in that round,
    at its close. The staff are who completed the round's work orders: its grades are theirs (R-SS-5)."""
    n = len(case.reopenings)
    since = case.reopenings[-1].at if case.reopenings else None
    orders = [wo for wo in case.work_orders
              if wo.completed_at is not None and (since is None or wo.completed_at >= since)]
    if orders:
        return RoundDone(round=n, at=max(wo.completed_at for wo in orders if wo.completed_at is not None),
                         staff_ids=tuple(dict.fromkeys(wo.assignee_id for wo in orders)))
    if case.kind == Kind.COMPLAINT and case.close is not None:
        return RoundDone(round=n, at=case.close.closed_at)
    return None


def without_notes(case: Case) -> Case:
    """The case with every note removed: notes are evidence for people, and no clock or reminder
    reads them, so two cases equal here have the same deadlines and the same reminder plan."""
    return replace(case, notes=(), work_orders=tuple(replace(wo, notes=()) for wo in case.work_orders))


def _step(case: Case, name: str, by: str | None, now: datetime, **data: Any) -> Transition:
    return Transition(case=case, events=(Event(name=name, at=now, by=by, data=data),))


# The people reading a refusal know states by these names, not by their codes (details keep the code).
STATE_LABELS: dict[CaseState, tuple[str, str]] = {
    CaseState.RECEIVED: ("已受理", "received"),
    CaseState.NOT_OPENED: ("不立项", "not opened"),
    CaseState.OPENED: ("已立项", "opened"),
    CaseState.DISPATCHED: ("已派工", "dispatched"),
    CaseState.ACCEPTED: ("已接单", "accepted"),
    CaseState.ON_SITE: ("已到场", "on site"),
    CaseState.COMPLETED: ("已完工", "completed"),
    CaseState.CLOSED: ("已销项", "closed"),
    CaseState.CANNOT_HANDLE: ("无法处理", "marked cannot-handle"),
}

# Free-text fields a step requires, as the form names them.
TEXT_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "agreed_solution": ("约定的解决办法", "the agreed solution"),
    "description": ("问题描述", "a description of the problem"),
    "explanation": ("说明", "an explanation"),
    "approach": ("新的处理方式", "the new approach"),
    "note": ("备注", "a note"),
    # Not opening (R-OP-2): the F reason travels as the decision's note, but the form asks it as its own
    # field, and the refusal names that one (D120).
    "not_open_reason": ("不立项原因（F）", "the reason for not opening (F)"),
    "reason": ("原因", "the reason"),
    "result": ("处理结果", "the result"),
    "text": ("内容", "the text"),
}


def _wrong_state(case: Case, action: str, allowed: Iterable[CaseState]) -> Refusal:
    zh, en = STATE_LABELS[case.state]
    return refuse(
        CaseReason.WRONG_STATE,
        f"案件当前为「{zh}」状态，不能执行此操作",
        f"Cannot {action} a case that is {en}",
        state=str(case.state),
        allowed=sorted(str(s) for s in allowed),
    )


def _forbidden(action: str, needed: Iterable[Role]) -> Refusal:
    return refuse(
        CaseReason.FORBIDDEN_ROLE,
        "当前角色无权执行此操作",
        f"Your role may not {action}",
        kind="forbidden",
        needs=sorted(str(r) for r in needed),
    )


def _text_required(field: str) -> Refusal:
    zh, en = TEXT_FIELD_LABELS.get(field, ("说明", "an explanation"))
    return refuse(
        CaseReason.TEXT_REQUIRED, f"请填写{zh}", f"Please enter {en}", kind="invalid", field=field
    )


def _find_wo(case: Case, work_order_id: str) -> tuple[int, WorkOrder] | Refusal:
    for i, wo in enumerate(case.work_orders):
        if wo.id == work_order_id:
            return i, wo
    return refuse(
        CaseReason.UNKNOWN_WORK_ORDER,
        "找不到该派工单",
        "Unknown work order",
        kind="not_found",
        id=work_order_id,
    )


def _with_wo(case: Case, index: int, wo: WorkOrder) -> tuple[WorkOrder, ...]:
    return (*case.work_orders[:index], wo, *case.work_orders[index + 1 :])


def _undispatched_state(case: Case) -> CaseState:
    # A case dispatched before its opening was decided (R-IN-7) falls back to received.
    return CaseState.OPENED if case.opening is not None and case.opening.opened else CaseState.RECEIVED


def resident_may_be_charged(case: Case) -> bool:
    """Whether a slip may carry a fee: a paid service, or a repair the owner pays for or not yet judged.

    R-IN-6: common facilities (b) and the developer's legacy defects (d) cost the resident nothing;
    complaints, help and the other kinds are no paid work at all. R-SS-3: staff never settle money
    privately, so a fee written on such a slip is refused rather than billed.
    """
    if case.kind == Kind.SPECIAL_SERVICE:
        return True
    if case.kind != Kind.REPAIR:
        return False
    return case.repair_responsibility not in (RepairResponsibility.COMMON, RepairResponsibility.DEVELOPER_DEFECT)


def slip_fee_refusal(case: Case, fee_cents: int, fee_over_reason: str, *, fee_unit: str | None) -> Refusal | None:
    """Whether a slip's fee may stand against what the resident was told before dispatch.

    R-SS-2: a special service's fee was told and consented to before dispatch; for an item charged
    per visit (`fee_unit`, the booking item's unit) nothing above it is charged. Per piece or per hour
    the count is only known on site; the booking's completion reads it off the fee (whole units) and
    leaves anything else to the desk. R-IN-6 a: a repair's told fee may prove too low on site (a part
    that must be replaced); the higher fee then carries a reason printed on the slip the resident signs.
    """
    told = case.fee_quote_cents
    if told is None or fee_cents <= told:
        return None
    if case.kind == Kind.SPECIAL_SERVICE and fee_unit == "per_visit":
        return refuse(
            CaseReason.FEE_ABOVE_AGREED,
            f"收费不得超过住户派工前认可的 {told / 100:.2f} 元（特约服务按约定收费，不得另收费用）",
            f"The fee cannot exceed the {told / 100:.2f} yuan the resident agreed to before dispatch "
            "(a special service charges what was agreed, nothing more)",
            kind="invalid", field="fee_cents", agreed_fee_cents=told,
        )
    if case.kind == Kind.REPAIR and not fee_over_reason.strip():
        return refuse(
            CaseReason.FEE_REASON_REQUIRED,
            f"收费高于派工前告知住户的 {told / 100:.2f} 元：请填写原因，原因会印在服务单上由住户签字确认",
            f"The fee is above the {told / 100:.2f} yuan told to the resident before dispatch: give the reason; "
            "it is printed on the slip the resident signs",
            kind="invalid", field="fee_over_reason", missing=["fee_over_reason"], told_fee_cents=told,
        )
    return None


def _needs_slip(case: Case) -> bool:
    # Repairs and paid home services end with the resident's signature on a service slip.
    return case.kind in (Kind.REPAIR, Kind.SPECIAL_SERVICE)


def _is_manager(roles: Iterable[Role]) -> bool:
    return Role.MANAGER in set(roles)


# --- intake (R-IN-1..9) ------------------------------------------------------------------------

# Staff or leadership who found a problem, and letters, may come without a reporter's phone.
_PHONE_OPTIONAL = frozenset({Channel.STAFF_FOUND, Channel.LEADERSHIP_FOUND, Channel.WRITTEN})


def intake(
    *,
    case_id: str,
    no: str,
    compound_id: str,
    kind: Kind,
    channel: Channel,
    contact_name: str,
    phone: str,
    content: str,
    receiver_id: str,
    now: datetime,
    unit_id: str | None = None,
    address: str = "",
    complaint_category: ComplaintCategory | None = None,
    help_kind: HelpKind | None = None,
    repair_responsibility: RepairResponsibility | None = None,
    repair_class: RepairClass | None = None,
    service_code: PaidService | None = None,
    fee_quote_cents: int | None = None,
    is_major: bool = False,
    emergency_trigger: em.EmergencyTrigger | None = None,
    parent_case_id: str | None = None,
    booking_id: str | None = None,
    public_calls: Sequence[em.CallAtIntake] = (),
    form_opened_at: datetime | None = None,
    sent_at: datetime | None = None,
) -> Transition | Refusal:
    """Record a request at once (R-IN-1), classified (R-IN-2..4). Received time is `now`.

    `public_calls` are the public numbers the desk called while filling the form (R-EM-5), on the
    desk's clock with the form's `form_opened_at` and `sent_at`: recorded with the intake, in the one
    step, at the times they were made (`emergencies.calls_at_intake`), or the whole intake is refused."""
    missing = [
        name
        for name, ok in (
            ("contact_name", bool(contact_name.strip())),
            ("phone", bool(phone.strip()) or channel in _PHONE_OPTIONAL),
            ("address", bool(unit_id) or bool(address.strip())),
            ("content", bool(content.strip())),
            ("receiver", bool(receiver_id)),
        )
        if not ok
    ]
    if missing:
        return refuse(
            CaseReason.INTAKE_INCOMPLETE,
            "受理登记不完整",
            "The intake record is incomplete",
            kind="invalid",
            missing=missing,
        )
    if kind == Kind.COMPLAINT and complaint_category is None:
        return refuse(
            CaseReason.CLASSIFICATION_MISSING,
            "投诉须选择类别",
            "A complaint needs a category",
            kind="invalid",
            missing=["complaint_category"],
        )
    if kind == Kind.HELP and help_kind is None:
        return refuse(
            CaseReason.CLASSIFICATION_MISSING,
            "求助须选择类型",
            "A help request needs a help kind",
            kind="invalid",
            missing=["help_kind"],
        )
    if kind == Kind.SPECIAL_SERVICE and service_code is None:
        return refuse(
            CaseReason.CLASSIFICATION_MISSING,
            "特约服务须选择服务项目",
            "A special service needs a service code",
            kind="invalid",
            missing=["service_code"],
        )
    trigger = em.classify_emergency(help_kind=help_kind, trigger=emergency_trigger)
    calls = em.calls_at_intake(
        public_calls, numbers=em.numbers_to_call(help_kind=help_kind, trigger=trigger),
        form_opened_at=form_opened_at, sent_at=sent_at, by=receiver_id, now=now,
    )
    if isinstance(calls, Refusal):
        return calls
    case = Case(
        id=case_id,
        no=no,
        compound_id=compound_id,
        kind=kind,
        channel=channel,
        received_at=now,
        receiver_id=receiver_id,
        contact_name=contact_name.strip(),
        phone=phone.strip(),
        unit_id=unit_id,
        address=address.strip(),
        content=content.strip(),
        complaint_category=complaint_category,
        help_kind=help_kind,
        repair_responsibility=repair_responsibility,
        repair_class=repair_class,
        service_code=service_code,
        fee_quote_cents=fee_quote_cents,
        booking_id=booking_id,
        is_emergency=trigger is not None,
        is_major=is_major,
        follower_id=receiver_id,
        parent_case_id=parent_case_id,
        emergency=None if trigger is None else replace(
            em.declare(trigger=trigger, by=receiver_id, now=now), public_calls=calls),
    )
    # The history says how a repair was classed at intake (R-IN-6 a-d; None: to be judged on site);
    # entries written before this carry no such key, and the desk then says nothing about it.
    extra: dict[str, Any] = {}
    if kind == Kind.REPAIR:
        extra["repair_responsibility"] = str(repair_responsibility) if repair_responsibility else None
    if fee_quote_cents is not None:
        # The fee told at intake (R-IN-6 a) belongs in the sentence the history tells of it (D96).
        extra["fee_quote_cents"] = fee_quote_cents
    received = _step(case, "case.received", receiver_id, now, kind=str(kind), emergency=case.is_emergency, **extra)
    # Each call made before the intake was registered is its own history entry, saying when it was made.
    called = tuple(Event(name="emergency.public_called", at=now, by=receiver_id,
                         data={"number": str(x.number), "called_at": x.at, **({"confirmed": True} if x.confirmed else {})})
                   for x in calls)
    return replace(received, events=(*received.events, *called))


# --- an emergency raised from a field phone (R-IN-1 found by staff, R-EM-1) -----------------------

# What a guard or technician on their round can report, as the help kind of R-IN-4 the intake records
# and the R-EM-1 type that makes it an emergency. A fire is a disaster to R-IN-4 (the fire brigade's,
# R-EM-5) and an injury a medical emergency (the ambulance's); a public-safety danger names no service
# (help kind other), the desk judges it. Orders from the government or leadership are not found on a
# round: they reach the desk.
FIELD_EMERGENCY_HELP: dict[em.EmergencyTrigger, HelpKind] = {
    em.EmergencyTrigger.FIRE: HelpKind.DISASTER,
    em.EmergencyTrigger.MEDICAL: HelpKind.MEDICAL_EMERGENCY,
    em.EmergencyTrigger.INJURY: HelpKind.MEDICAL_EMERGENCY,
    em.EmergencyTrigger.CRIME: HelpKind.CRIME,
    em.EmergencyTrigger.TRAFFIC_ACCIDENT: HelpKind.TRAFFIC_ACCIDENT,
    em.EmergencyTrigger.DISASTER: HelpKind.DISASTER,
    em.EmergencyTrigger.PUBLIC_SAFETY: HelpKind.OTHER,
}

# The record's content when the reporter wrote no note: what they chose, as the desk's list names it.
FIELD_EMERGENCY_LABELS: dict[em.EmergencyTrigger, str] = {
    em.EmergencyTrigger.FIRE: "火警 / 火灾",
    em.EmergencyTrigger.MEDICAL: "急病",
    em.EmergencyTrigger.INJURY: "有人受伤",
    em.EmergencyTrigger.CRIME: "盗窃 / 打架 / 抢劫等治安事件",
    em.EmergencyTrigger.TRAFFIC_ACCIDENT: "交通事故",
    em.EmergencyTrigger.DISASTER: "水浸 / 自然灾害",
    em.EmergencyTrigger.PUBLIC_SAFETY: "危及人身财产安全的事件",
}

# The oldest a phone's tap is placed at: a shift (R-SH-1 hands open work over at its end), the longest
# span over which a difference on the phone's own clock is trusted (as for a call marked on the desk's
# intake form, D85). A report synced later still counts, at that bound, and its receipt is kept.
FIELD_REPORT_MAX_AGE = timedelta(hours=12)


def report_emergency(
    *,
    case_id: str,
    no: str,
    compound_id: str,
    what: em.EmergencyTrigger,
    reporter_id: str,
    reporter_name: str,
    reporter_phone: str,
    building_id: str | None,
    building_name: str,
    where: str,
    note: str,
    photo_sha256: str | None,
    now: datetime,
    acted_at: datetime | None,
) -> Transition | Refusal:
    """A member of staff reports an emergency from their phone: the desk's own intake (R-IN-1), channel
    found-by-staff, classified as the help kind and emergency type `what` stands for (R-IN-4, R-EM-1).

    It is received when it was tapped (`acted_at`, D35/D128), never after `now` nor more than
    FIELD_REPORT_MAX_AGE before it. The reporter's name and phone are the contact the desk calls back;
    the building and the place they typed are the address. A photo is kept as a note, taken when reported."""
    help_kind = FIELD_EMERGENCY_HELP.get(what)
    if help_kind is None:
        return refuse(
            CaseReason.NOT_FIELD_EMERGENCY,
            "政府或公司领导的紧急指令请由服务中心登记",
            "An urgent order from the government or leadership is recorded at the service desk",
            kind="invalid", what=str(what),
        )
    at = field_time(acted_at, now, now - FIELD_REPORT_MAX_AGE)
    address = " ".join(p for p in (building_name.strip(), where.strip()) if p)
    out = intake(
        case_id=case_id, no=no, compound_id=compound_id, kind=Kind.HELP, channel=Channel.STAFF_FOUND,
        contact_name=reporter_name, phone=reporter_phone, content=note.strip() or FIELD_EMERGENCY_LABELS[what],
        receiver_id=reporter_id, now=at, address=address, help_kind=help_kind, emergency_trigger=what,
    )
    if isinstance(out, Refusal):
        return out
    late = {"received_at": now.isoformat()} if at != now else {}
    # No words of its own: the desk labels a photo in its language (D145).
    photo = (Note(text="", photo_sha256=photo_sha256, at=at, by=reporter_id,
                  received_at=now if at != now else None),) if photo_sha256 else ()
    case = replace(
        out.case,
        field_report=FieldReport(by=reporter_id, reported_at=at, received_at=now, building_id=building_id,
                                 where=where.strip(), photo_sha256=photo_sha256),
        # R-IN-9, R-EM-3: the reporter is on their round, not at the desk; the desk takes it.
        follower_id="",
        emergency=replace(out.case.emergency, at_post_id="") if out.case.emergency else None,
        notes=photo,
    )
    received, *rest = out.events
    events = (replace(received, data={**received.data, "field_report": True, **late}), *rest)
    if photo:
        events = (*events, Event(name="case.note_added", at=at, by=reporter_id, data=dict(late)))
    return Transition(case=case, events=events)


def field_report_unanswered(case: Case) -> bool:
    """An emergency raised from a phone that the desk has not yet answered (R-IN-5's reply): it heads
    the desk's emergency banner, as the reporter on site is waiting for the desk's word."""
    return (case.field_report is not None and case.is_open
            and not any(f.kind == FollowUpKind.REPLY for f in case.follow_ups))


def classify(
    case: Case,
    *,
    by: str,
    now: datetime,
    repair_responsibility: RepairResponsibility | None = None,
    repair_class: RepairClass | None = None,
    fee_quote_cents: int | None = None,
    is_major: bool | None = None,
) -> Transition | Refusal:
    """Refine the classification after verification on site (R-IN-6 d) or after the fee is told."""
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "reclassify", ())
    if (repair_responsibility is not None or repair_class is not None) and case.kind != Kind.REPAIR:
        return refuse(CaseReason.NOT_A_REPAIR, "不是报修，没有维修分类", "Not a repair: it has no repair class",
                      kind="invalid")
    if fee_quote_cents is not None and fee_quote_cents < 0:
        return refuse(CaseReason.NEGATIVE_FEE, "费用不能为负数", "The fee cannot be negative",
                      kind="invalid", field="fee_quote_cents")
    if all(v is None for v in (repair_responsibility, repair_class, fee_quote_cents, is_major)):
        return refuse(CaseReason.NOTHING_TO_CLASSIFY, "没有要修改的分类", "Nothing to reclassify", kind="invalid")
    changes: dict[str, Any] = {}
    if repair_responsibility is not None:
        changes["repair_responsibility"] = repair_responsibility
    if repair_class is not None:
        changes["repair_class"] = repair_class
    if fee_quote_cents is not None:
        changes["fee_quote_cents"] = fee_quote_cents
    if is_major is not None:
        changes["is_major"] = is_major
    return _step(
        replace(case, **changes), "case.classified", by, now, **{k: str(v) for k, v in changes.items()}
    )


def hand_over_follow(
    case: Case, *, to_id: str, by: str, roles: Iterable[Role], now: datetime
) -> Transition | Refusal:
    """R-IN-9: the follower changes only when handed to a named person by the follower (or manager)."""
    if not to_id or not to_id.strip():
        return refuse(
            CaseReason.NAMED_PERSON_REQUIRED, "须交给具体的人", "Hand over to a named person", kind="invalid"
        )
    # A case nobody follows yet (raised from a field phone) is taken by whoever at the desk names themself.
    if case.follower_id and by != case.follower_id and not _is_manager(roles):
        return refuse(
            CaseReason.NOT_FOLLOWER,
            "只有当前跟进人可以移交",
            "Only the current follower may hand the case over",
            kind="forbidden",
            follower_id=case.follower_id,
        )
    change = FollowerChange(from_id=case.follower_id, to_id=to_id, at=now, by=by)
    new = replace(case, follower_id=to_id, follower_changes=(*case.follower_changes, change))
    return _step(new, "case.follower_changed", by, now, from_id=change.from_id, to_id=to_id)


def judge_complaint(
    case: Case,
    *,
    fault: ComplaintFault,
    explanation: str,
    by: str,
    now: datetime,
    manager_id: str | None = None,
    manager_roles: Iterable[Role] = (),
    customer_accepted: bool = True,
    agreed_solution: str | None = None,
) -> Transition | Refusal:
    """R-IN-8: judge whose responsibility; "the customer's own" needs the manager's confirmation."""
    if case.kind != Kind.COMPLAINT:
        return refuse(CaseReason.NOT_A_COMPLAINT, "不是投诉", "Not a complaint", kind="invalid")
    if not explanation.strip():
        return _text_required("explanation")
    if fault == ComplaintFault.CUSTOMER:
        if manager_id is None or not _is_manager(manager_roles):
            return refuse(
                CaseReason.APPROVER_REQUIRED,
                "判定为客户自身原因须经管理处负责人确认",
                "Judging the customer responsible needs the manager's confirmation",
                kind="forbidden",
            )
        if not customer_accepted and not (agreed_solution or "").strip():
            # The customer rejected the explanation: receiver and manager must agree a solution.
            return _text_required("agreed_solution")
    judgement = ComplaintJudgement(
        fault=fault,
        explanation=explanation,
        judged_by=by,
        judged_at=now,
        manager_confirmed_by=manager_id if fault == ComplaintFault.CUSTOMER else None,
        customer_accepted=customer_accepted,
        agreed_solution=agreed_solution,
    )
    return _step(replace(case, judgement=judgement), "case.complaint_judged", by, now, fault=str(fault))


# --- opening (R-OP-1..4) -----------------------------------------------------------------------

_SUPERVISORS = frozenset({Role.TEAM_LEAD, Role.MANAGER}) | LEADERSHIP
# Who may decide an opening the desk passed up (R-OP-3, D50): the referral reminders read it too.
OPENING_DECIDERS = _SUPERVISORS
# Who may answer a case the Monday review passed up (R-FU-3, D58): any manager.
REVIEW_ANSWERERS = frozenset({Role.MANAGER})
_PRE_OPEN_WORK_STATES = frozenset(
    {CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.ON_SITE, CaseState.COMPLETED}
)


def decide_opening(
    case: Case,
    *,
    open: bool,
    by: str,
    roles: Iterable[Role],
    now: datetime,
    reason: OpenReason | str | None = None,
    note: str = "",
    escalated: bool = False,
) -> Transition | Refusal:
    """Open the case with a reason A–E, or record F and keep the intake (R-OP-1/2).

    `escalated` means the dispatcher could not decide and a supervisor or manager decided; the
    decider and time are recorded (R-OP-3). A case dispatched first under R-IN-7 gets its
    decision backfilled here without leaving its work state. `reason` may come as the wire's letter:
    F (or anything not A–E) is not a reason to open, and is refused rather than taken for one.
    """
    role_set = set(roles)
    if case.opening is not None:
        return refuse(CaseReason.ALREADY_DECIDED, "立项决定已作出", "The opening decision is already made")
    if case.state != CaseState.RECEIVED and case.state not in _PRE_OPEN_WORK_STATES:
        return _wrong_state(case, "decide opening", [CaseState.RECEIVED])
    allowed = DESK | _SUPERVISORS
    if not role_set & allowed:
        return _forbidden("decide opening", allowed)
    referral = case.opening_referral
    if referral is not None and not role_set & _SUPERVISORS:
        # Passed up: the dispatcher no longer decides it; they may ask someone else (refer_opening).
        return refuse(
            CaseReason.AWAITING_SUPERVISOR,
            "调度员已将立项决定转交主管，须由主管或管理处负责人决定",
            "The dispatcher passed this opening up; a supervisor or the manager decides it",
            kind="forbidden",
            referred_to_id=referral.to_id,
        )
    escalated = escalated or referral is not None
    if escalated and not role_set & _SUPERVISORS:
        return refuse(
            CaseReason.ESCALATED_NEEDS_SUPERVISOR,
            "调度员无法判断时，须由主管或管理处负责人决定",
            "An escalated opening must be decided by a supervisor or the manager",
            kind="forbidden",
        )
    if open:
        if reason is None:
            return refuse(
                CaseReason.REASON_REQUIRED, "须选择立项理由", "Choose an opening reason", kind="invalid"
            )
        if reason not in _OPEN_REASONS:
            return refuse(
                CaseReason.REASON_NOT_FOR_OPENING,
                f"立项理由须为 A–E 之一；{reason} 不是立项理由（F 表示不立项）",
                f"An opening needs a reason A–E; {reason} is not one (F leaves the case unopened)",
                kind="invalid",
                reason=str(reason),
                allowed=sorted(_OPEN_REASONS),
            )
        decision = OpeningDecision(
            opened=True,
            reason=OpenReason(reason),
            note=note,
            decided_by=by,
            decided_by_roles=tuple(sorted(role_set)),
            escalated=escalated,
            decided_at=now,
            referred_to_id=referral.to_id if referral else None,
        )
        state = CaseState.OPENED if case.state == CaseState.RECEIVED else case.state
        new = replace(case, opening=decision, state=state)
        return _step(new, "case.opened", by, now, reason=str(reason), escalated=escalated,
                     referred_to_id=decision.referred_to_id)
    if case.is_emergency:
        return refuse(
            CaseReason.EMERGENCY_MUST_OPEN, "紧急事件必须立项", "An emergency must be opened (R-OP-1 D)"
        )
    if case.state != CaseState.RECEIVED:
        return _wrong_state(case, "leave unopened", [CaseState.RECEIVED])
    if not note.strip():
        return _text_required("not_open_reason")
    decision = OpeningDecision(
        opened=False,
        not_open_reason=NotOpenReason.F_EXPLAINED_ACCEPTED,
        note=note,
        decided_by=by,
        decided_by_roles=tuple(sorted(role_set)),
        escalated=escalated,
        decided_at=now,
        referred_to_id=referral.to_id if referral else None,
    )
    new = replace(case, opening=decision, state=CaseState.NOT_OPENED)
    return _step(new, "case.not_opened", by, now, reason="F", escalated=escalated,
                 referred_to_id=decision.referred_to_id)


def refer_opening(
    case: Case,
    *,
    to_id: str,
    to_role: Role,
    by: str,
    roles: Iterable[Role],
    now: datetime,
    note: str = "",
) -> Transition | Refusal:
    """The dispatcher cannot decide the opening and asks a named supervisor to (R-OP-3).

    `to_role` is the supervisor role the asked account holds (team lead, manager, deputy GM, GM).
    Until a supervisor decides, the case waits for them and the desk may not decide it itself; the
    desk may ask someone else instead (the new hand-up replaces the old, the history keeps both).
    """
    if case.opening is not None:
        return refuse(CaseReason.ALREADY_DECIDED, "立项决定已作出", "The opening decision is already made")
    if case.state != CaseState.RECEIVED and case.state not in _PRE_OPEN_WORK_STATES:
        return _wrong_state(case, "pass the opening up", [CaseState.RECEIVED])
    if not set(roles) & DESK:
        return _forbidden("pass the opening up", DESK)
    if to_role not in _SUPERVISORS or to_id == by:
        return refuse(
            CaseReason.REFERRAL_NOT_SUPERVISOR,
            "请选择一位主管或管理处负责人来决定是否立项",
            "Choose a supervisor or the manager to decide the opening",
            kind="invalid",
            to_id=to_id,
        )
    referral = OpeningReferral(to_id=to_id, to_role=to_role, note=note.strip(), by=by, at=now)
    new = replace(case, opening_referral=referral)
    return _step(new, "case.opening_referred", by, now, to_id=to_id, to_role=str(to_role), note=referral.note)


# --- dispatch (R-DI-1..3, R-IN-6, R-IN-7) ------------------------------------------------------


def _may_dispatch_before_opening(case: Case, roles: set[Role]) -> bool:
    # R-IN-7: urgent repairs, emergencies and the control room's night calls go first, paperwork after.
    return (
        case.repair_class == RepairClass.URGENT
        or case.is_emergency
        or case.channel == Channel.CONTROL_ROOM
        or Role.CONTROL_ROOM in roles
    )


def dispatch(
    case: Case,
    *,
    work_order_id: str,
    job: str,
    assignee_id: str,
    assignee_role: Role,
    deadline_at: datetime,
    by: str,
    roles: Iterable[Role],
    now: datetime,
    means: em.Means = em.Means.PHONE,
    attempts: Iterable[DispatchRecord] = (),
    leads: Iterable[str] | None = None,
    lead_posts: Mapping[str, str] | None = None,
) -> Transition | Refusal:
    """Send the job to a team lead, or to an executor if no lead could be reached (R-DI-1).

    `attempts` are the unsuccessful tries made before this one (recorded as told/not reached).
    `leads` are the people who lead this case's line of work (`leads.leads_for`): the one sent the job
    takes it as the lead (a guard captain too), and only they may be recorded as tried; none at all
    sends the job to the executor directly. None (no directory at hand) counts team leads only.
    `lead_posts` (`leads.lead_posts_for`) names the post by which a lead who is no team lead by account
    leads the work: the order and the records of them say so (`lead_post`), as their title.
    A lead already reached about this case answers for a later reassignment: the log never has to
    say they were not. Re-dispatching cancels the active work order; the event names the removed
    assignee so sync can take the job off that person's phone. A team lead holding the active order
    may pass it to an executor the same way.
    """
    role_set = set(roles)
    attempts = tuple(attempts)
    lead_ids = None if leads is None else frozenset(leads)
    active = case.active_work_order
    lead_delegating = (
        Role.TEAM_LEAD in role_set
        and not role_set & DESK
        and active is not None
        and active.assignee_id == by
        and active.assignee_role == Role.TEAM_LEAD
    )
    if not role_set & DESK and not lead_delegating:
        return _forbidden("dispatch", DESK | {Role.TEAM_LEAD})
    if case.kind == Kind.SPECIAL_SERVICE and case.booking_id is None:
        # R-SS-1..3: only a booking quotes the GM-approved fee, holds the resident's consent and
        # leads to the cashier; a bare intake would send a technician to name a price on site.
        return refuse(
            CaseReason.SPECIAL_SERVICE_NEEDS_BOOKING,
            "特约服务须在「特约服务」页预约：按批准的收费告知住户、住户认可后从预约派工，由收银员结算",
            "Book special services under 特约服务 (Special services): tell the approved fee, get the "
            "resident's consent and dispatch from the booking; the cashier settles",
            missing=["booking"],
        )
    dispatchable = {CaseState.OPENED, CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.ON_SITE}
    if case.state == CaseState.RECEIVED:
        if not _may_dispatch_before_opening(case, role_set):
            return refuse(
                CaseReason.NOT_OPENED,
                "未立项的案件不能派工（紧急维修除外）",
                "Open the case before dispatching (only urgent repairs go first)",
            )
    elif case.state not in dispatchable:
        return _wrong_state(case, "dispatch", dispatchable)
    if assignee_role != Role.TEAM_LEAD and assignee_role not in EXECUTORS:
        return refuse(
            CaseReason.FORBIDDEN_ROLE,
            "只能派给班组主管或实施人员",
            "Dispatch goes to a team lead or an executor",
            kind="invalid",
            assignee_role=str(assignee_role),
        )
    if lead_ids is not None:
        if strangers := [a.told_id for a in attempts if a.told_id not in lead_ids]:
            # Ticking the repair lead "not reached" about a security job would be a false entry.
            return refuse(
                CaseReason.NOT_A_LEAD,
                "所勾选的人不是本类工作的班组负责人",
                "Someone ticked does not lead this kind of work",
                kind="invalid",
                told_ids=strangers,
            )
        if assignee_id in lead_ids:
            # The lead of this line takes the job as its lead (保安队长 is a team lead, whatever the account).
            assignee_role = Role.TEAM_LEAD
    posts = dict(lead_posts or {}) if lead_ids is not None else {}
    lead_post = posts.get(assignee_id) if assignee_role == Role.TEAM_LEAD else None
    attempts = tuple(replace(a, lead_post=posts[a.told_id]) if a.told_id in posts and a.lead_post is None else a
                     for a in attempts)
    # Told as the lead (R-DI-1): the lead who took a dispatch on this case, or a tried lead the desk reached.
    lead_reached = any(d.reached and d.told_role == Role.TEAM_LEAD for d in case.dispatches)
    tried = any(a.told_role == Role.TEAM_LEAD and not a.reached for a in attempts)
    direct = None
    if assignee_role in EXECUTORS and not (lead_delegating or tried or Role.CONTROL_ROOM in role_set):
        if lead_reached:
            direct = "lead_reached"
        elif lead_ids is not None and not lead_ids:
            direct = "no_lead"
    direct_ok = lead_delegating or tried or Role.CONTROL_ROOM in role_set or direct is not None
    if assignee_role in EXECUTORS and not direct_ok:
        return refuse(
            CaseReason.TEAM_LEAD_FIRST,
            "须先通知班组主管，联系不上时才可直接通知实施人",
            "Tell the team lead first; go to the executor only if no lead can be reached",
            missing=["team_lead_attempt"],
        )
    if case.repair_responsibility == RepairResponsibility.OWNER_PRIVATE and case.fee_quote_cents is None:
        return refuse(
            CaseReason.FEE_NOT_TOLD,
            "业主自用部分维修须先告知收费标准",
            "Tell the owner the fee before dispatching a private repair",
            missing=["fee_quote"],
        )
    missing = [n for n, ok in (("job", bool(job.strip())), ("deadline", deadline_at > now)) if not ok]
    if not assignee_id:
        missing.append("executor")
    if not (case.unit_id or case.address):
        missing.append("unit")
    if missing:
        return refuse(
            CaseReason.WORK_ORDER_INCOMPLETE,
            "派工单不完整",
            "The work order is incomplete",
            kind="invalid",
            missing=missing,
        )
    work_orders = case.work_orders
    removed: WorkOrder | None = None
    if active is not None:
        removed = replace(active, state=WorkOrderState.CANCELLED, cancelled_at=now)
        work_orders = tuple(removed if wo.id == active.id else wo for wo in work_orders)
    wo = WorkOrder(
        id=work_order_id,
        job=job,
        assignee_id=assignee_id,
        assignee_role=assignee_role,
        assigned_at=now,
        assigned_by=by,
        deadline_at=deadline_at,
        lead_post=lead_post,
    )
    told = DispatchRecord(
        told_id=assignee_id, told_role=assignee_role, at=now, by=by, means=means, reached=True, lead_post=lead_post
    )
    new = replace(
        case,
        work_orders=(*work_orders, wo),
        dispatches=(*case.dispatches, *attempts, told),
        state=CaseState.DISPATCHED,
    )
    return _step(
        new,
        "case.dispatched",
        by,
        now,
        work_order_id=work_order_id,
        assignee_id=assignee_id,
        assignee_role=str(assignee_role),
        # The post a lead by post was told in (保安队长): the history titles them by it.
        **({"assignee_post": lead_post} if lead_post else {}),
        removed_assignee_id=removed.assignee_id if removed else None,
        cancelled_work_order_id=removed.id if removed else None,
        # Why the executor was told with no lead tried this time: the history says so.
        **({"direct": direct} if direct else {}),
    )


def report_up(
    case: Case, *, to_id: str | None, to_role: Role, by: str, now: datetime, means: em.Means = em.Means.PHONE
) -> Transition | Refusal:
    """R-DI-2: an urgent or major matter also goes to the manager or leadership."""
    targets = {Role.MANAGER} | LEADERSHIP
    if to_role not in targets:
        return refuse(
            CaseReason.FORBIDDEN_ROLE,
            "只能上报管理处负责人或公司领导",
            "Report to the manager or company leadership",
            kind="invalid",
        )
    rec = ReportUp(to_id=to_id, to_role=to_role, at=now, by=by, means=means)
    new = replace(case, reports_up=(*case.reports_up, rec))
    return _step(new, "case.reported_up", by, now, to_role=str(to_role), to_id=to_id)


def _assignee_wo(case: Case, work_order_id: str, by: str) -> tuple[int, WorkOrder] | Refusal:
    found = _find_wo(case, work_order_id)
    if isinstance(found, Refusal):
        return found
    _, wo = found
    if wo.assignee_id != by:
        return refuse(
            CaseReason.NOT_ASSIGNEE,
            "不是该派工单的接单人",
            "You are not this work order's assignee",
            kind="forbidden",
        )
    return found


def _wo_state_refusal(wo: WorkOrder, action: str, allowed: Iterable[WorkOrderState]) -> Refusal:
    if wo.state == WorkOrderState.CANCELLED:
        # The commonest case on a phone back from a basement: the desk gave the job to someone else
        # meanwhile. Say so, rather than name a state the technician never saw. The refused record
        # (a note, a linked problem, the resident's signed slip) goes to the desk's field refusals
        # (D28), which the phone's outbox says under the reason. "无需再处理" read as "your note is
        # pointless" — only the record's place on this order is gone, not what it reports.
        return refuse(
            CaseReason.WORK_ORDER_WITHDRAWN,
            "该派工单已被调度改派或取消，本条记录未记入该工单",
            "The desk reassigned or cancelled this work order, so this record was not added to it",
            work_order_state=str(wo.state),
        )
    # The technician reads this on the phone: the state in words, never the stored code ("unable").
    zh_state, en_state = _WO_STATE_WORDS.get(wo.state, (str(wo.state), str(wo.state)))
    return refuse(
        CaseReason.WRONG_STATE,
        f"派工单当前为「{zh_state}」，不能执行此操作",
        f"Cannot {action} a work order that is {en_state}",
        work_order_state=str(wo.state),
        allowed=sorted(str(s) for s in allowed),
    )


_WO_STATE_WORDS = {
    WorkOrderState.DISPATCHED: ("已派工", "dispatched and not yet accepted"),
    WorkOrderState.ACCEPTED: ("已接单", "accepted"),
    WorkOrderState.ON_SITE: ("已到场", "on site"),
    WorkOrderState.COMPLETED: ("已完工", "completed"),
    WorkOrderState.UNABLE: ("已报无法完成", "reported as unable to complete"),
}


# An acceptance or an arrival sent for an order that already has it: the assignee is the only one who takes
# these steps, so it is the same person's step sent again from another phone (one tapped offline while the
# other phone sent its own). Recorded once; the phone is told so, and nothing goes to the desk's field
# refusals. Not for an order reported unable (the two phones disagree about the job: the desk must hear of
# it) nor a withdrawn one, which stay refused.
STEP_ALREADY_RECORDED = "case.step_already_recorded"
_REPEATABLE = {
    "accept": (("接单", "acceptance"),
               (WorkOrderState.ACCEPTED, WorkOrderState.ON_SITE, WorkOrderState.COMPLETED)),
    "arrive": (("到场", "arrival"), (WorkOrderState.ON_SITE, WorkOrderState.COMPLETED)),
}


def step_already_recorded(wo: WorkOrder, step: str) -> Notice | None:
    """The word for the phone when `step` ("accept" or "arrive") is already on `wo`, else None."""
    (zh_step, en_step), states = _REPEATABLE[step]
    if wo.state not in states:
        return None
    zh_state, en_state = _WO_STATE_WORDS[wo.state]
    return Notice(
        code=STEP_ALREADY_RECORDED,
        zh=f"派工单已是「{zh_state}」：{zh_step}此前已记录（可能来自您的另一台手机），本次不再重复记录",
        en=f"The work order is already {en_state}: the {en_step} was recorded before (perhaps from your "
        "other phone), so it was not recorded again",
        details={"work_order_state": str(wo.state), "step": step},
    )


def field_time(acted_at: datetime | None, now: datetime, floor: datetime) -> datetime:
    """When a field step counts: the phone's act in server time, kept between `floor` and `now` (D35).

    An offline phone reports its steps late; counting them at the receive time would mark a
    technician who arrived on time in a basement as late. The bounds keep a phone from moving a
    step after the server heard of it or before the step it follows (the dispatch, the acceptance).
    """
    if acted_at is None:
        return now
    return min(now, max(acted_at, floor))


def field_step_time(wo: WorkOrder, *, acted_at: datetime | None, now: datetime) -> datetime:
    """When a phone's next step on `wo` counts (D35, D97): never before the last step already on it.

    A note, an unable report, a linked problem or the completion cannot precede the dispatch, the
    acceptance or the arrival they follow (R-CL-3: completion after arrival), whatever the phone says;
    nor can a note on an unable job (D99) precede the unable report it follows.
    """
    steps = [t for t in (wo.assigned_at, wo.accepted_at, wo.arrived_at, wo.completed_at, wo.unable_at)
             if t is not None]
    return field_time(acted_at, now, max(steps))


def _field_step(case: Case, name: str, by: str, at: datetime, now: datetime, **data: Any) -> Transition:
    """A step placed at `at`; the receive time is kept in its data when the phone reported it late."""
    if at != now:
        data["received_at"] = now.isoformat()
    return _step(case, name, by, at, **data)


def accept(
    case: Case, *, work_order_id: str, by: str, now: datetime, acted_at: datetime | None = None
) -> Transition | Refusal:
    """The receiving side confirms the work order (R-DI-3)."""
    found = _assignee_wo(case, work_order_id, by)
    if isinstance(found, Refusal):
        return found
    i, wo = found
    if wo.state != WorkOrderState.DISPATCHED:
        return _wo_state_refusal(wo, "accept", [WorkOrderState.DISPATCHED])
    at = field_time(acted_at, now, wo.assigned_at)
    wo = replace(wo, state=WorkOrderState.ACCEPTED, accepted_at=at)
    new = replace(case, work_orders=_with_wo(case, i, wo), state=CaseState.ACCEPTED)
    return _step(new, "work_order.accepted", by, at, work_order_id=wo.id)


def arrive(
    case: Case,
    *,
    work_order_id: str,
    by: str,
    now: datetime,
    device_at: datetime | None = None,
    geo: tuple[float, float] | None = None,
    acted_at: datetime | None = None,
) -> Transition | Refusal:
    """Arrival on site, counted at `field_time` (the phone's act in server time, or `now`).

    The phone's own clock reading is kept beside it as evidence.
    """
    found = _assignee_wo(case, work_order_id, by)
    if isinstance(found, Refusal):
        return found
    i, wo = found
    if wo.state not in (WorkOrderState.DISPATCHED, WorkOrderState.ACCEPTED):
        return _wo_state_refusal(wo, "arrive on", [WorkOrderState.DISPATCHED, WorkOrderState.ACCEPTED])
    at = field_time(acted_at, now, wo.accepted_at or wo.assigned_at)
    # An offline phone may send arrival without a separate accept: arriving is accepting.
    wo = replace(
        wo,
        state=WorkOrderState.ON_SITE,
        accepted_at=wo.accepted_at or at,
        arrived_at=at,
        arrived_device_at=device_at,
        geo=geo,
    )
    new = replace(case, work_orders=_with_wo(case, i, wo), state=CaseState.ON_SITE)
    return _step(
        new,
        "work_order.arrived",
        by,
        at,
        work_order_id=wo.id,
        device_at=device_at.isoformat() if device_at else None,
    )


def add_note(
    case: Case,
    *,
    text: str,
    by: str,
    now: datetime,
    photo_sha256: str | None = None,
    work_order_id: str | None = None,
    acted_at: datetime | None = None,
) -> Transition | Refusal:
    """A note on the case or on one work order; a phone's note counts when it was written (D97)."""
    if not text.strip() and photo_sha256 is None:
        return _text_required("text")
    note = Note(text=text, photo_sha256=photo_sha256, at=now, by=by)
    if work_order_id is None:
        return _step(replace(case, notes=(*case.notes, note)), "case.note_added", by, now)
    found = _find_wo(case, work_order_id)
    if isinstance(found, Refusal):
        return found
    i, wo = found
    if wo.state == WorkOrderState.CANCELLED:
        # A note sent from a phone that was offline when the desk reassigned the job: kept on the
        # withdrawn order nobody reads, and the technician never learnt why. Refused, it is shown on
        # the phone and lands in the desk's field refusals with its text and photo (D28).
        return _wo_state_refusal(wo, "add a note to", ACTIVE_WORK_ORDER_STATES)
    at = field_step_time(wo, acted_at=acted_at, now=now)
    note = replace(note, at=at, received_at=now if at != now else None)
    wo = replace(wo, notes=(*wo.notes, note))
    return _field_step(
        replace(case, work_orders=_with_wo(case, i, wo)),
        "work_order.note_added",
        by,
        at,
        now,
        work_order_id=wo.id,
    )


def mark_unable(
    case: Case, *, work_order_id: str, reason: str, by: str, now: datetime, acted_at: datetime | None = None
) -> Transition | Refusal:
    """The executor cannot do the job; the case goes back to the desk for another dispatch."""
    found = _assignee_wo(case, work_order_id, by)
    if isinstance(found, Refusal):
        return found
    i, wo = found
    if wo.state not in ACTIVE_WORK_ORDER_STATES:
        return _wo_state_refusal(wo, "mark unable", ACTIVE_WORK_ORDER_STATES)
    if not reason.strip():
        return _text_required("reason")
    at = field_step_time(wo, acted_at=acted_at, now=now)
    wo = replace(wo, state=WorkOrderState.UNABLE, unable_reason=reason, unable_at=at)
    new = replace(case, work_orders=_with_wo(case, i, wo), state=_undispatched_state(case))
    return _field_step(new, "work_order.unable", by, at, now, work_order_id=wo.id, reason=reason)


def complete(
    case: Case, *, work_order_id: str, by: str, now: datetime, slip: ServiceSlip | None = None,
    fee_unit: str | None = None, acted_at: datetime | None = None,
) -> Transition | Refusal:
    """Finish the job on site. Repairs and paid services need the resident's signed slip.

    A phone's completion counts when it was done (`field_step_time`, D97): the slip the resident
    signed offline says that time, and R-FU-6's 24 hours run from it. The caller signs the slip at
    the same `field_step_time`.

    `fee_unit` is a booked special service's item unit (per_visit, per_piece, per_hour), for the
    agreed-fee check (`slip_fee_refusal`).
    """
    found = _assignee_wo(case, work_order_id, by)
    if isinstance(found, Refusal):
        return found
    i, wo = found
    if wo.state not in (WorkOrderState.DISPATCHED, WorkOrderState.ACCEPTED, WorkOrderState.ON_SITE):
        # Reassigned while the phone was offline, perhaps after the arrival: "record arrival first"
        # would send the technician back to a job that is no longer theirs. Completed or reported
        # unable meanwhile (the same person on another phone): the arrival was recorded, so say the state.
        return _wo_state_refusal(wo, "complete", [WorkOrderState.ON_SITE])
    if wo.state != WorkOrderState.ON_SITE:
        # R-CL-3: completion is only believable after an arrival was recorded.
        return refuse(
            CaseReason.NOT_ON_SITE,
            "未记录到场，不能完工",
            "Record arrival before completing",
            missing=["arrival"],
        )
    if case.plan is not None and case.plan.expected_days > PLAN_THRESHOLD_DAYS and not case.plan.approved:
        return refuse(
            CaseReason.PLAN_NOT_APPROVED,
            "超过 3 天的维修方案尚未审批",
            "The plan for a repair over 3 days is not approved",
            missing=["plan_approval"],
        )
    if slip is None and _needs_slip(case):
        return refuse(
            CaseReason.SLIP_REQUIRED,
            "须有业主签字的服务单",
            "A signed service slip is required",
            missing=["slip"],
        )
    if slip is not None:
        missing = [
            n
            for n, ok in (
                ("work_done", bool(slip.work_done.strip())),
                ("signer_name", bool(slip.signer_name)),
                ("signer_relation", slip.signer_relation is not None),
                ("signature", bool(slip.signature_sha256)),
                ("signed_at", slip.signed_at is not None),
                ("content_hash", bool(slip.content_hash)),
            )
            if not ok
        ]
        if missing:
            return refuse(
                CaseReason.SLIP_INCOMPLETE,
                "服务单不完整",
                "The service slip is incomplete",
                kind="invalid",
                missing=missing,
            )
        if slip.fee_cents and not resident_may_be_charged(case):
            return refuse(
                CaseReason.FEE_NOT_CHARGEABLE,
                "此工单不向住户收费（公共设施、开发商遗留问题或非有偿服务），服务单收费须为 0；如属业主付费，请先由服务中心更改责任分类",
                "This job is free for the resident (common facility, developer defect or unpaid work): the slip's "
                "fee must be 0; if the owner pays, have the service centre change the responsibility first",
                kind="invalid",
                field="fee_cents",
            )
        over = slip_fee_refusal(case, slip.fee_cents, slip.fee_over_reason, fee_unit=fee_unit)
        if over is not None:
            return over
        # Return and countersign happen at the desk later; never accept them from the phone.
        slip = replace(
            slip, executor_id=by, countersigned_by=None, countersigned_at=None, slip_returned_at=None
        )
    at = field_step_time(wo, acted_at=acted_at, now=now)
    wo = replace(wo, state=WorkOrderState.COMPLETED, completed_at=at)
    new = replace(case, work_orders=_with_wo(case, i, wo), state=CaseState.COMPLETED, slip=slip or case.slip)
    return _field_step(new, "work_order.completed", by, at, now, work_order_id=wo.id, signed=slip is not None)


def return_slip(case: Case, *, by: str, roles: Iterable[Role], now: datetime) -> Transition | Refusal:
    """The signed slip (or its copy) reached the service centre (R-CL-1 A, R-FU-6)."""
    if not set(roles) & DESK:
        return _forbidden("receive slips", DESK)
    if case.slip is None or not case.slip.signature_sha256:
        return refuse(CaseReason.SLIP_REQUIRED, "没有已签字的服务单", "No signed slip", missing=["signature"])
    if case.slip.slip_returned_at is not None:
        return refuse(CaseReason.WRONG_STATE, "服务单已交回", "The slip is already back")
    new = replace(case, slip=replace(case.slip, slip_returned_at=now))
    return _step(new, "slip.returned", by, now)


def countersign_slip(case: Case, *, by: str, roles: Iterable[Role], now: datetime) -> Transition | Refusal:
    """R-CL-6: the dispatcher countersigns the returned, signed slip; it becomes the billing basis."""
    if not set(roles) & DESK:
        return _forbidden("countersign", DESK)
    if case.slip is None or not case.slip.signature_sha256:
        return refuse(CaseReason.SLIP_REQUIRED, "没有已签字的服务单", "No signed slip", missing=["signature"])
    if case.slip.slip_returned_at is None:
        return refuse(
            CaseReason.SLIP_NOT_RETURNED,
            "服务单尚未交回",
            "The slip has not come back",
            missing=["slip_returned"],
        )
    if case.slip.countersigned_by is not None:
        return refuse(CaseReason.WRONG_STATE, "服务单已会签", "The slip is already countersigned")
    new = replace(case, slip=replace(case.slip, countersigned_by=by, countersigned_at=now))
    return _step(new, "slip.countersigned", by, now)


# --- linked problems (R-CL-1 C, R-CL-2 D) ------------------------------------------------------


def report_linked_problem(
    case: Case,
    *,
    description: str,
    by: str,
    now: datetime,
    separately: bool = True,
    child_id: str | None = None,
    child_no: str | None = None,
    kind: Kind = Kind.REPAIR,
    problem_id: str | None = None,
    work_order_id: str | None = None,
    acted_at: datetime | None = None,
) -> Transition | Refusal:
    """A problem found on the job: its own case when it can be (C), otherwise held on this one (D).

    `work_order_id` names the job it was found on, when a phone reports it: a job the desk has
    reassigned meanwhile is refused like its note (the desk gets it from the field refusals, D28).
    Found offline, it counts when it was reported on the phone (D97); a new case is still received
    when the service centre heard of it (`now`): its own clocks cannot start before anyone knew.
    """
    if not description.strip():
        return _text_required("description")
    found_at = now
    on: tuple[int, WorkOrder] | None = None
    if work_order_id is not None:
        found = _find_wo(case, work_order_id)
        if isinstance(found, Refusal):
            return found
        if found[1].state == WorkOrderState.CANCELLED:
            return _wo_state_refusal(found[1], "report a linked problem on", ACTIVE_WORK_ORDER_STATES)
        found_at = field_step_time(found[1], acted_at=acted_at, now=now)
        on = found

    def on_order(c: Case, report: LinkedReport) -> Case:
        # Kept on the job it was found on: the phone shows it there, with the new case's number.
        if on is None:
            return c
        i, wo = on
        return replace(c, work_orders=_with_wo(c, i, replace(wo, linked=(*wo.linked, report))))
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "report a linked problem on", ())
    if not separately:
        if not problem_id:
            return refuse(CaseReason.TEXT_REQUIRED, "缺少编号", "problem_id is required", kind="invalid")
        lp = LinkedProblem(id=problem_id, description=description, found_at=found_at, found_by=by)
        new = on_order(replace(case, linked_problems=(*case.linked_problems, lp)),
                       LinkedReport(description=description, at=found_at, problem_id=problem_id))
        return _field_step(new, "case.linked_problem_held", by, found_at, now, problem_id=problem_id)
    if not child_id or not child_no:
        return refuse(
            CaseReason.TEXT_REQUIRED, "缺少新案件编号", "child_id and child_no are required", kind="invalid"
        )
    child_t = intake(
        case_id=child_id,
        no=child_no,
        compound_id=case.compound_id,
        kind=kind,
        channel=Channel.STAFF_FOUND,
        contact_name=case.contact_name,
        phone=case.phone,
        unit_id=case.unit_id,
        address=case.address,
        content=description,
        receiver_id=by,
        now=now,
        complaint_category=ComplaintCategory.OTHER if kind == Kind.COMPLAINT else None,
        help_kind=HelpKind.OTHER if kind == Kind.HELP else None,
        service_code=PaidService.OTHER if kind == Kind.SPECIAL_SERVICE else None,
        parent_case_id=case.id,
    )
    if isinstance(child_t, Refusal):
        return child_t
    # Found by the technician (the receiver on record, R-IN-1), but followed up at the service centre
    # by whoever follows the original case: a technician cannot open or dispatch it, and their phone
    # got the desk's 5-minute and follow-up reminders while the desk got none (R-IN-9, R-FU-1).
    child = replace(child_t.case, follower_id=case.follower_id or by)
    parent = on_order(replace(case, linked_case_ids=(*case.linked_case_ids, child_id)),
                      LinkedReport(description=description, at=found_at, case_id=child_id, case_no=child_no))
    # The child's own "received" belongs to the child's timeline (the caller records it there); the
    # parent records the link, by number as people know the case.
    step = _field_step(parent, "case.linked_case_created", by, found_at, now,
                       child_id=child_id, child_no=child_no, kind=str(kind))
    return replace(step, new_cases=(child,))


def resolve_linked_problem(case: Case, *, problem_id: str, by: str, now: datetime) -> Transition | Refusal:
    for i, lp in enumerate(case.linked_problems):
        if lp.id == problem_id and lp.resolved_at is None:
            done = replace(lp, resolved_at=now, resolved_by=by)
            problems = (*case.linked_problems[:i], done, *case.linked_problems[i + 1 :])
            return _step(
                replace(case, linked_problems=problems),
                "case.linked_problem_resolved",
                by,
                now,
                problem_id=problem_id,
            )
    return refuse(
        CaseReason.UNKNOWN_LINKED_PROBLEM,
        "找不到未解决的关联问题",
        "No such open linked problem",
        kind="not_found",
    )


# --- follow-up (R-FU-1..8) ---------------------------------------------------------------------


def record_follow_up(
    case: Case,
    *,
    kind: FollowUpKind,
    by: str,
    now: datetime,
    note: str = "",
    reported_to_manager_id: str | None = None,
    manager_roles: Iterable[Role] = (),
    new_due_at: datetime | None = None,
    medium: ReplyMedium | None = None,
    signer: str | None = None,
) -> Transition | Refusal:
    """Record a follow-up; the deadline engine reads these to stop its clocks.

    A written reply names who signed and issued it (`signer`, 签发人); no other follow-up does.

    `manager_roles` are the roles of the account named as `reported_to_manager_id` (none when it is
    no active account of the compound). R-FU-2's and R-FU-3's "manager" is 管理处负责人: a record
    saying the manager was told must name one, or the Monday review passed up goes to nobody.
    """
    # An intake left unopened is not followed up (R-OP-2), but a written inquiry among them still owes
    # its written reply (R-IN-5, D69): the reply, and only the reply, is recorded on it.
    unopened_reply = case.state == CaseState.NOT_OPENED and kind == FollowUpKind.REPLY and case.owes_written_reply
    if case.state == CaseState.CLOSED or (case.state == CaseState.NOT_OPENED and not unopened_reply):
        return _wrong_state(case, "follow up", ())
    if reported_to_manager_id and Role.MANAGER not in set(manager_roles):
        return refuse(
            CaseReason.REPORTED_TO_NOT_MANAGER,
            "请选择管理处负责人（经理）作为报告对象",
            "Choose the manager (管理处负责人) this was reported to",
            kind="invalid",
            reported_to_manager_id=reported_to_manager_id[:64],
        )
    nothing_arranged = not case.work_orders
    if kind == FollowUpKind.SECOND and nothing_arranged and not reported_to_manager_id:
        # R-FU-2: nothing arranged by the second follow-up -> tell the manager, and record it.
        return refuse(
            CaseReason.MANAGER_NOT_TOLD,
            "尚未安排处理，须报告管理处负责人并记录",
            "Nothing is arranged yet: tell the manager and record who was told",
            missing=["reported_to_manager"],
        )
    if kind == FollowUpKind.DELAY_NOTICE and (new_due_at is None or new_due_at <= now):
        return refuse(
            CaseReason.TEXT_REQUIRED,
            "须与住户约定新的时间",
            "Agree a new time with the resident",
            kind="invalid",
            missing=["new_due_at"],
        )
    if kind == FollowUpKind.REPLY and medium is None:
        # R-IN-5: a written inquiry is answered in writing; which medium a reply took decides whether
        # it met that clock, so a reply that does not say is not recorded.
        return refuse(
            CaseReason.REPLY_MEDIUM_REQUIRED,
            "请选择答复方式：电话、当面或书面",
            "Say how the reply was given: by phone, in person or in writing",
            kind="invalid",
            missing=["medium"],
        )
    if kind != FollowUpKind.REPLY and medium is not None:
        return refuse(
            CaseReason.MEDIUM_ONLY_FOR_REPLY,
            "只有答复记录答复方式",
            "Only a reply records how it was given",
            kind="invalid",
            follow_up_kind=str(kind),
        )
    written = kind == FollowUpKind.REPLY and medium == ReplyMedium.WRITTEN
    signer = (signer or "").strip() or None
    if written and signer is None:
        # R-IN-5: a written reply is a letter or notice the resident keeps; someone signs and issues it.
        return refuse(
            CaseReason.WRITTEN_REPLY_SIGNER_REQUIRED,
            "书面答复须填写签发人",
            "A written reply needs the name of whoever signed and issued it",
            kind="invalid",
            missing=["signer"],
        )
    if signer is not None and not written:
        return refuse(
            CaseReason.SIGNER_ONLY_FOR_WRITTEN_REPLY,
            "只有书面答复记录签发人",
            "Only a written reply records who signed it",
            kind="invalid",
            follow_up_kind=str(kind),
        )
    fu = FollowUp(
        kind=kind,
        at=now,
        by=by,
        note=note,
        reported_to_manager_id=reported_to_manager_id,
        new_due_at=new_due_at,
        medium=medium,
        signer=signer,
    )
    said: dict[str, Any] = {"medium": str(medium)} if medium is not None else {}
    if signer is not None:
        said["signer"] = signer
    return _step(
        replace(case, follow_ups=(*case.follow_ups, fu)), "case.followed_up", by, now, kind=str(kind), **said
    )


def pending_review_referral(case: Case) -> FollowUp | None:
    """R-FU-3: the latest Monday review, if it passed the case to a manager who has not answered yet.

    Confirming that the case cannot be handled answers it too (the case then waits for the quarterly
    review, R-CL-4); a later review that keeps the case at the desk ends the referral.
    """
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE):
        return None
    reviews = [f for f in case.follow_ups if f.kind == FollowUpKind.WEEKLY_REVIEW]
    last = reviews[-1] if reviews else None
    if last is None or not last.reported_to_manager_id:
        return None
    if any(a.referral_at == last.at for a in case.review_answers):
        return None
    return last


def answer_review_referral(
    case: Case, *, approach: str, by: str, roles: Iterable[Role], now: datetime
) -> Transition | Refusal:
    """R-FU-3: the manager sets a new approach for a case the Monday review passed up.

    Any manager may answer, not only the one named: a case must not wait for someone who is away
    (as D50 for openings). The other answer, that the case cannot be handled, is `mark_cannot_handle`.
    """
    if not _is_manager(roles):
        return _forbidden("answer a Monday review", {Role.MANAGER})
    referral = pending_review_referral(case)
    if referral is None:
        if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE):
            return _wrong_state(case, "answer a Monday review", ())
        return refuse(
            CaseReason.NO_REVIEW_REFERRAL,
            "该案件没有转交经理、待答复的周一回顾",
            "No Monday review passed this case to a manager, or it was answered already",
        )
    if not approach.strip():
        return _text_required("approach")
    answer = ReviewAnswer(approach=approach.strip(), by=by, at=now, referral_at=referral.at)
    return _step(
        replace(case, review_answers=(*case.review_answers, answer)),
        "case.review_answered",
        by,
        now,
        note=answer.approach,
        referred_by=referral.by,
        # Whom the review named: the history then says when another manager answered in their place.
        referred_to_id=referral.reported_to_manager_id,
    )


MAX_FEEDBACK_CHANGES = 2


def feedback_due_at(case: Case, calendar: BusinessCalendar) -> datetime | None:
    """The promised feedback moment: work_end on the promised date (R-FU-8)."""
    if not case.feedback_promises:
        return None
    return calendar.at(case.feedback_promises[-1].promised, calendar.work_end)


def set_feedback_date(
    case: Case,
    *,
    promised: date,
    calendar: BusinessCalendar,
    by: str,
    now: datetime,
    reason: str = "",
    close_limit: datetime | None = None,
) -> Transition | Refusal:
    """Promise a feedback date; it may be moved at most twice, and only before it passes (R-FU-8).

    `close_limit` is the moment the complaint must be closed by (R-FU-9, the compound's policy): a
    promise past it would plan the breach, so it is refused and the desk is told the last day.
    """
    if case.kind != Kind.COMPLAINT:
        return refuse(
            CaseReason.NOT_A_COMPLAINT,
            "只有投诉需要约定反馈日期",
            "Only complaints get a feedback date",
            kind="invalid",
        )
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "set a feedback date on", ())
    today = calendar.local(now).date()
    if promised < today:
        return refuse(
            CaseReason.FEEDBACK_DATE_INVALID,
            "反馈日期不能早于今天",
            "The date is in the past",
            kind="invalid",
        )
    if close_limit is not None and promised > (last := calendar.local(close_limit).date()):
        return refuse(
            CaseReason.FEEDBACK_AFTER_CLOSE_LIMIT,
            f"投诉须在受理后规定期限内处理完毕，反馈日期最晚为 {last.isoformat()}",
            f"A complaint must be closed within its limit: the latest feedback date is {last.isoformat()}",
            kind="invalid",
            close_by=last.isoformat(),
        )
    if case.feedback_promises:
        changes = len(case.feedback_promises) - 1
        if changes >= MAX_FEEDBACK_CHANGES:
            return refuse(
                CaseReason.FEEDBACK_CHANGES_EXHAUSTED,
                "反馈日期最多只能更改两次",
                "The feedback date may be changed at most twice",
                changes=changes,
            )
        due = feedback_due_at(case, calendar)
        assert due is not None
        if now > due:
            return refuse(
                CaseReason.FEEDBACK_DATE_PASSED,
                "须在原定反馈日期前联系客户改期",
                "Contact the customer before the promised date passes",
                promised=case.feedback_promises[-1].promised.isoformat(),
            )
        if not reason.strip():
            return _text_required("reason")
        if promised <= case.feedback_promises[-1].promised:
            return refuse(
                CaseReason.FEEDBACK_DATE_INVALID,
                "新日期须晚于原日期",
                "The new date must be later",
                kind="invalid",
            )
    fp = FeedbackPromise(promised=promised, set_at=now, set_by=by, reason=reason)
    new = replace(case, feedback_promises=(*case.feedback_promises, fp))
    change = len(new.feedback_promises) - 1
    # A moved date carries why the customer was told it moved: the timeline is where the desk and
    # the manager read a complaint's history, and a bare new date hides the reason (R-FU-8).
    extra = {"reason": reason.strip()} if change else {}
    return _step(
        new,
        "case.feedback_date_set",
        by,
        now,
        promised=promised.isoformat(),
        change=change,
        **extra,
    )


def submit_plan(case: Case, *, expected_days: int, text: str, by: str, now: datetime) -> Transition | Refusal:
    """The team's expected duration; over 3 days it needs approval (R-FU-5)."""
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.COMPLETED):
        return _wrong_state(case, "plan", ())
    if expected_days < 1:
        return refuse(CaseReason.TEXT_REQUIRED, "天数无效", "expected_days must be >= 1", kind="invalid")
    plan = RepairPlan(expected_days=expected_days, text=text, submitted_by=by, submitted_at=now)
    return _step(replace(case, plan=plan), "case.plan_submitted", by, now, expected_days=expected_days)


def approve_plan(case: Case, *, by: str, roles: Iterable[Role], now: datetime) -> Transition | Refusal:
    """The engineering manager and the office head (manager) each approve (R-FU-5)."""
    if case.plan is None:
        return refuse(CaseReason.NO_PLAN, "尚无维修方案", "No plan submitted", kind="not_found")
    role_set = set(roles)
    plan = case.plan
    if Role.ENGINEERING in role_set and plan.engineering_approved_by is None:
        plan = replace(plan, engineering_approved_by=by, engineering_approved_at=now)
    elif Role.MANAGER in role_set and plan.manager_approved_by is None:
        plan = replace(plan, manager_approved_by=by, manager_approved_at=now)
    else:
        return _forbidden("approve this plan", {Role.ENGINEERING, Role.MANAGER})
    return _step(replace(case, plan=plan), "case.plan_approved", by, now, fully_approved=plan.approved)


def record_progress(case: Case, *, text: str, by: str, now: datetime) -> Transition | Refusal:
    """A daily progress entry for a long repair (R-FU-5)."""
    if case.plan is None:
        return refuse(CaseReason.NO_PLAN, "尚无维修方案", "No plan submitted", kind="not_found")
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "record progress on", ())
    if not text.strip():
        return _text_required("text")
    entry = ProgressEntry(at=now, by=by, text=text)
    return _step(replace(case, progress=(*case.progress, entry)), "case.progress", by, now)


def verify(case: Case, *, note: str, by: str, roles: Iterable[Role], now: datetime) -> Transition | Refusal:
    """R-CL-1 B: papers or a supervisor's notice arrived and the desk verified them."""
    if not set(roles) & DESK:
        return _forbidden("verify", DESK)
    if not note.strip():
        return _text_required("note")
    return _step(replace(case, verification=Verification(note=note, by=by, at=now)), "case.verified", by, now)


# --- emergencies (R-EM-*) ----------------------------------------------------------------------


def declare_emergency(
    case: Case, *, trigger: em.EmergencyTrigger, by: str, now: datetime
) -> Transition | Refusal:
    """A case turns out to be an emergency after intake."""
    if case.emergency is not None:
        return refuse(CaseReason.WRONG_STATE, "已是紧急事件", "Already an emergency")
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "declare an emergency on", ())
    new = replace(case, is_emergency=True, emergency=em.declare(trigger=trigger, by=by, now=now))
    return _step(new, "emergency.declared", by, now, trigger=str(trigger))


def emergency_step(
    case: Case,
    step: Callable[[em.EmergencyState], em.EmergencyState | Refusal],
    *,
    name: str,
    by: str,
    now: datetime,
    **data: Any,
) -> Transition | Refusal:
    """Apply one emergencies.* step to the case's emergency state, e.g.
    `emergency_step(c, lambda s: em.summon(s, role=..., person_id=..., now=now), name="emergency.summoned", ...)`.
    """
    if case.emergency is None:
        return refuse(CaseReason.NOT_EMERGENCY, "不是紧急事件", "Not an emergency")
    result = step(case.emergency)
    if isinstance(result, Refusal):
        return result
    return _step(replace(case, emergency=result), name, by, now, **data)


def record_scene_report(
    case: Case, *, role: em.SummonedRole, report: str | None, by: str, now: datetime
) -> Transition | Refusal:
    """R-EM-2: the desk writes down an arrival, and what the person summoned found, as said on the radio.
    The history carries the words as it does for a report from the phone (`report_from_scene`); the desk
    is who wrote them down. No words (or only blanks) records the arrival alone."""
    text = report.strip() if report is not None and report.strip() else None
    data: dict[str, Any] = {"role": str(role)}
    if text is not None:
        data["report"] = text
    return emergency_step(
        case,
        lambda s: em.report_arrival(s, role=role, report=text, now=now, by=by),
        name="emergency.arrived", by=by, now=now, **data,
    )


def report_from_scene(
    case: Case,
    *,
    role: em.SummonedRole,
    by: str,
    report: str | None,
    now: datetime,
    acted_at: datetime | None = None,
) -> Transition | Refusal:
    """R-EM-2: a person summoned to the scene reports back from their phone — arrived (`report` None) or
    what they found. The step the desk records from the radio (`emergencies.report_arrival`), counted
    when it was tapped (D35, D128): never before the summons, never after the server heard of it.

    Who may send it (the person named, or a holder of the post) is the caller's to check
    (`emergencies.summons_for`). A closed case takes no more reports: the phone is told, the desk sees it."""
    if case.emergency is None:
        return refuse(CaseReason.NOT_EMERGENCY, "不是紧急事件", "Not an emergency")
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return _wrong_state(case, "report from the scene of", [s for s in CaseState if s not in (
            CaseState.CLOSED, CaseState.NOT_OPENED)])
    if report is not None and not report.strip():
        return _text_required("text")
    summons = next((s for s in case.emergency.summons if s.role == role), None)
    if summons is None:
        return refuse(em.EmergencyReason.NOT_SUMMONED, "该负责人未被通知", "Not summoned", role=str(role))
    at = field_time(acted_at, now, summons.summoned_at)
    text = report.strip() if report is not None else None
    state = em.report_arrival(case.emergency, role=role, report=text, now=at, by=by, on_scene=by)
    if isinstance(state, Refusal):
        return state
    data: dict[str, Any] = {"role": str(role)}
    if text is not None:
        data["report"] = text
    return _field_step(replace(case, emergency=state), "emergency.arrived", by, at, now, **data)


def pass_summons(
    case: Case, *, post: em.SummonedRole, gained: Sequence[str], lost: Sequence[str], by: str, now: datetime
) -> Transition | None:
    """R-EM-2: the post a summons naming nobody calls changed hands (the manager's staff page, D129); the
    summons follows it. The new holders are called; a former holder no longer is, unless they already said
    from their phone that they are on the scene (`kept_ids`: their report counts). None when the case has
    no such summons for `post` or is no longer open: a summons naming a person stays with that person."""
    if case.emergency is None or not case.is_open:
        return None
    s = next((x for x in case.emergency.summons if x.person_id is None and x.role == post), None)
    state = em.post_changed_hands(case.emergency, post=post, gained=gained, lost=lost, by=by, now=now)
    if s is None or state is None:
        return None
    return _step(replace(case, emergency=state), "emergency.summons_passed", by, now, role=str(post),
                 to_ids=list(gained), from_ids=[p for p in lost if p not in s.on_scene],
                 kept_ids=[p for p in lost if p in s.on_scene])


def unowned_emergency(case: Case) -> bool:
    """An emergency raised on a staff phone that nobody at the desk has taken: nobody follows it and
    nobody holds its post (D138). The desk's banner offers to take it, and its reminders run until then."""
    return (case.field_report is not None and case.is_open and case.emergency is not None
            and not case.follower_id and not case.emergency.at_post_id)


# An emergency nobody at the desk has taken is pushed to the dispatchers and the control room this long
# after it reached the desk, then every UNOWNED_REPEAT (the managers too from the second), until taken.
UNOWNED_FIRST = timedelta(minutes=5)
UNOWNED_REPEAT = timedelta(minutes=15)


def unowned_reminder_times(case: Case, now: datetime) -> tuple[datetime, ...]:
    """When the desk is reminded of an emergency nobody has taken, as seen at `now`: the last reminder
    due (if any) and the next one — never the ones missed before it, so a scheduler that was down sends
    one. Counted from when the report reached the desk (`field_report.received_at`): it could not be
    taken before. Empty once someone has taken it."""
    if not unowned_emergency(case) or case.field_report is None:
        return ()
    first = case.field_report.received_at + UNOWNED_FIRST
    if now < first:
        return (first,)
    k = (now - first) // UNOWNED_REPEAT
    return (first + k * UNOWNED_REPEAT, first + (k + 1) * UNOWNED_REPEAT)


def take_emergency(case: Case, *, by: str, roles: Iterable[Role], now: datetime) -> Transition | Refusal:
    """R-IN-9, R-EM-3: someone at the desk takes an emergency nobody has taken (接手): they follow it, as
    naming oneself follower does (`hand_over_follow`), and hold its post, as the handover's incoming
    person does (`emergencies.take_over`). Two at once: the second is told who has it."""
    if not set(roles) & DESK:
        return _forbidden("take an emergency", DESK)
    if not unowned_emergency(case):
        return refuse(
            CaseReason.ALREADY_TAKEN, "此紧急事件已有人接手", "Someone already took this emergency",
            follower_id=case.follower_id, at_post_id=case.emergency.at_post_id if case.emergency else "",
        )
    followed = hand_over_follow(case, to_id=by, by=by, roles=roles, now=now)
    if isinstance(followed, Refusal):
        return followed
    posted = emergency_step(followed.case, lambda s: em.take_over(s, by=by, now=now),
                            name="emergency.taken_over", by=by, now=now)
    if isinstance(posted, Refusal):
        return posted
    return Transition(case=posted.case, events=(*followed.events, *posted.events))


def record_public_call(case: Case, *, number: str, by: str, now: datetime) -> Transition | Refusal:
    """R-EM-5: the desk called a public emergency number for this event; the history says which, and
    the entry's author and time say who called and when."""
    return emergency_step(
        case,
        lambda s: em.record_public_call(s, number=number, by=by, now=now),
        name="emergency.public_called", by=by, now=now, number=str(number),
    )


def give_instruction(
    case: Case, *, instruction_id: str, text: str, given_by: str, by: str, now: datetime
) -> Transition | Refusal:
    """R-EM-4: a leadership instruction, its history entry saying what was instructed and by whom
    (the case's timeline is read by people: an instruction id alone tells them nothing)."""
    return emergency_step(
        case,
        lambda s: em.add_instruction(s, instruction_id=instruction_id, text=text, given_by=given_by, now=now),
        name="emergency.instruction", by=by, now=now,
        instruction_id=instruction_id, text=text, given_by=given_by.strip(),
    )


def finish_instruction(
    case: Case, *, instruction_id: str, result: str, by: str, now: datetime
) -> Transition | Refusal:
    """R-EM-4: an instruction carried out; its entry repeats the instruction beside the result."""
    given = next((x for x in case.emergency.instructions if x.id == instruction_id), None) if case.emergency else None
    said = {"text": given.text, "given_by": given.given_by} if given else {}
    return emergency_step(
        case,
        lambda s: em.complete_instruction(s, instruction_id=instruction_id, by=by, result=result, now=now),
        name="emergency.instruction_done", by=by, now=now, instruction_id=instruction_id, **said, result=result,
    )


# --- closing (R-CL-1..6) -----------------------------------------------------------------------


def needs_manager_approval(case: Case) -> bool:
    return case.is_emergency or case.is_major


def missing_to_close(case: Case) -> list[str]:
    """Everything that still stops the desk from closing the case, in a stable order.

    "manager_approval" is listed for emergency and major cases because it is supplied at the
    moment of closing; close() drops it when a manager approves.
    """
    missing: list[str] = []
    if case.opening is None:
        missing.append("opening_decision")  # R-IN-7 backfill / R-OP-4
    active = case.active_work_order
    if active is not None or (case.work_orders and case.state != CaseState.COMPLETED):
        missing.append("completion")  # R-CL-3
    if _needs_slip(case):
        if case.state != CaseState.COMPLETED and "completion" not in missing:
            missing.append("completion")
        slip = case.slip
        if slip is None or not slip.signature_sha256:
            missing.append("signature")
        if slip is None or slip.slip_returned_at is None:
            missing.append("slip_returned")
        if slip is None or slip.countersigned_by is None:
            missing.append("countersign")
    elif case.verification is None:
        missing.append("verification")  # R-CL-1 B, R-CL-3: the desk checked it is done
    if any(lp.resolved_at is None for lp in case.linked_problems):
        missing.append("linked_problems")  # R-CL-2 D
    if case.kind == Kind.COMPLAINT and case.judgement is None:
        missing.append("complaint_judgement")  # R-IN-8
    if case.plan is not None and case.plan.expected_days > PLAN_THRESHOLD_DAYS and not case.plan.approved:
        missing.append("plan_approval")  # R-FU-5
    if case.written_reply_due:
        # R-IN-5: closing stopped the written reply's clock unseen, so a written inquiry closed on a
        # phone call was never answered in writing. No way a case ends makes the reply moot (D70).
        missing.append("written_reply")
    if needs_manager_approval(case):
        if not case.reports_up and not (case.emergency is not None and em.reached_someone(case.emergency)):
            # R-DI-2: an emergency's escalation chain that reached the manager or a leader is that
            # report, recorded with who and how; a second 上报 record would only repeat it.
            missing.append("reported_up")
        if case.emergency is not None:
            missing.extend(em.missing_to_close(case.emergency))  # R-EM-2..4
        missing.append("manager_approval")  # R-CL-2 E, R-EM-4
    return missing


def check_close_approval(case: Case) -> Refusal | None:
    """Whether a manager may approve closing now (R-CL-2 E, R-EM-4).

    The approval is of the handled outcome ("afterwards" in R-EM-4), so it is given only once
    everything else needed to close is in place; approving an emergency still in progress would be
    a signature on work nobody has seen.
    """
    if not needs_manager_approval(case):
        return refuse(CaseReason.APPROVAL_NOT_NEEDED, "该工单不需要经理审批", "This case needs no approval to close")
    if case.state == CaseState.CLOSED:
        return refuse(CaseReason.ALREADY_CLOSED, "案件已销项", "The case is already closed")
    rest = [m for m in missing_to_close(case) if m != "manager_approval"]
    if rest:
        return refuse(
            CaseReason.APPROVAL_TOO_EARLY,
            "其余销项条件齐备后才能审批：" + "、".join(rest),
            "Approve once everything else needed to close is done: " + ", ".join(rest),
            missing=rest,
        )
    return None


def approval_still_counts(case: Case, approved_at: datetime) -> bool:
    """An approval given before the case was last reopened approved other work (R-EM-4)."""
    return not case.reopenings or approved_at >= case.reopenings[-1].at


def close(
    case: Case,
    *,
    result: str,
    by: str,
    roles: Iterable[Role],
    now: datetime,
    approver_id: str | None = None,
    approver_roles: Iterable[Role] = (),
) -> Transition | Refusal:
    """Close a case the desk has verified as done (R-CL-1..3, R-CL-5)."""
    if not set(roles) & DESK:
        return _forbidden("close cases", DESK)
    if case.state == CaseState.CLOSED:
        return refuse(CaseReason.ALREADY_CLOSED, "案件已销项", "The case is already closed")
    if case.state == CaseState.CANNOT_HANDLE:
        return refuse(
            CaseReason.USE_QUARTERLY_REVIEW,
            "无法处理的案件只能在季度评审时销项",
            "A case that cannot be handled closes only at the quarterly review",
        )
    if case.state == CaseState.NOT_OPENED:
        return _wrong_state(case, "close", [CaseState.OPENED, CaseState.COMPLETED])
    # A case still awaiting its opening decision falls through to the list of what is missing
    # (opening_decision first), so the desk is told what to do rather than only its state.
    if not result.strip():
        return _text_required("result")
    missing = missing_to_close(case)
    approved = approver_id is not None and _is_manager(approver_roles)
    if approved and "manager_approval" in missing:
        missing.remove("manager_approval")
    if missing:
        code = CaseReason.CLOSE_UNFINISHED if "completion" in missing else CaseReason.CLOSE_MISSING
        return refuse(
            code,
            "销项条件不满足：" + "、".join(missing),
            "Cannot close yet: " + ", ".join(missing),
            missing=missing,
        )
    record = CloseRecord(
        result=result,
        dispatcher_id=by,
        closed_at=now,
        approver_id=approver_id if approved else None,
    )
    new = replace(case, close=record, state=CaseState.CLOSED)
    return _step(new, "case.closed", by, now, approver_id=record.approver_id)


def reopen_for_review(case: Case, *, reason: str, by: str, now: datetime) -> Transition | Refusal:
    """A C grade on the call-back sends finished work back to the desk for review and rework.

    The case returns to `opened`, so it is followed again (R-OP-4) and can be re-dispatched; the
    earlier close record is kept on the reopening, and a new close needs the full checks again.
    """
    if not reason.strip():
        return _text_required("reason")
    if case.state not in (CaseState.COMPLETED, CaseState.CLOSED):
        return _wrong_state(case, "reopen", (CaseState.COMPLETED, CaseState.CLOSED))
    record = Reopening(reason=reason.strip(), by=by, at=now, from_state=case.state, previous_close=case.close)
    new = replace(case, state=CaseState.OPENED, close=None, reopenings=(*case.reopenings, record))
    return _step(new, "case.reopened", by, now, reason=record.reason, from_state=str(record.from_state))


def mark_cannot_handle(
    case: Case, *, reason: str, by: str, roles: Iterable[Role], now: datetime
) -> Transition | Refusal:
    """Record that the case cannot be handled, with the manager's confirmation (R-FU-3, R-CL-4).

    This is also one of the manager's two answers to a case the Monday review passed up (the other is
    `answer_review_referral`): such a case may still be 已受理, its opening never decided, and the
    review is where R-FU-3 puts this confirmation, so it is accepted then (D116). The opening stays
    undecided and its clock shows as stopped unmet; the case is kept and closes at the quarterly review.
    """
    if not _is_manager(roles):
        return _forbidden("confirm a case cannot be handled", {Role.MANAGER})
    referral = pending_review_referral(case)
    open_states = {CaseState.OPENED, CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.ON_SITE}
    if referral is not None:
        open_states.add(CaseState.RECEIVED)
    if case.state not in open_states:
        return _wrong_state(case, "mark cannot-handle", open_states)
    if not reason.strip():
        return _text_required("reason")
    work_orders = tuple(
        replace(wo, state=WorkOrderState.CANCELLED, cancelled_at=now)
        if wo.state in ACTIVE_WORK_ORDER_STATES
        else wo
        for wo in case.work_orders
    )
    removed = [wo.assignee_id for wo in case.work_orders if wo.state in ACTIVE_WORK_ORDER_STATES]
    record = CannotHandleRecord(reason=reason, recorded_by=by, recorded_at=now, confirmed_by=by)
    new = replace(case, state=CaseState.CANNOT_HANDLE, cannot_handle=record, work_orders=work_orders)
    # The history says when the confirmation answered a Monday review, and whose (R-FU-3).
    answered = {"referred_by": referral.by, "referred_to_id": referral.reported_to_manager_id} if referral else {}
    return _step(new, "case.cannot_handle", by, now, reason=reason, removed_assignee_ids=removed, **answered)


def close_in_quarterly_review(
    case: Case,
    *,
    review: QuarterlyReview,
    calendar: BusinessCalendar,
    result: str,
    by: str,
    roles: Iterable[Role],
    now: datetime,
) -> Transition | Refusal:
    """R-CL-4: a cannot-handle case closes only at the quarterly review, approved and signed."""
    if not set(roles) & DESK:
        return _forbidden("close cases", DESK)
    if case.state != CaseState.CANNOT_HANDLE or case.cannot_handle is None:
        return _wrong_state(case, "close at the quarterly review", [CaseState.CANNOT_HANDLE])
    if review.at > now or not calendar.is_quarter_review_time(review.at):
        return refuse(
            CaseReason.NOT_REVIEW_TIME,
            "只能在季度评审时销项",
            "Only at the quarterly review",
            review_at=review.at.isoformat(),
        )
    if review.at < case.cannot_handle.recorded_at:
        return refuse(CaseReason.NOT_REVIEW_TIME, "评审早于记录时间", "The review predates the record")
    if Role.MANAGER not in review.approver_roles:
        return refuse(
            CaseReason.APPROVER_REQUIRED,
            "须管理处负责人批准",
            "The manager must approve",
            kind="forbidden",
            missing=["manager_approval"],
        )
    if not review.approver_signature_sha256:
        return refuse(
            CaseReason.SIGNATURE_REQUIRED,
            "须管理处负责人签字",
            "The manager must sign",
            kind="invalid",
            missing=["approver_signature"],
        )
    if not result.strip():
        return _text_required("result")
    if case.written_reply_due:
        # R-IN-5: a written inquiry that cannot be handled is still answered in writing, if only to say
        # so; its clock kept running while the case waited for the review (D70).
        return refuse(
            CaseReason.CLOSE_MISSING,
            "书面咨询须先书面答复才能销项",
            "A written inquiry closes only once its written reply is recorded",
            missing=["written_reply"],
        )
    record = CloseRecord(
        result=result,
        dispatcher_id=by,
        closed_at=now,
        approver_id=review.approver_id,
        approver_signature_sha256=review.approver_signature_sha256,
        quarterly_review_at=review.at,
    )
    new = replace(case, close=record, state=CaseState.CLOSED)
    return _step(new, "case.closed", by, now, approver_id=review.approver_id, quarterly=True)


# --- targets (R-FU-10) -------------------------------------------------------------------------

TIMELY_REPAIR_TARGET = 0.98
REWORK_TARGET = 0.01


def timely_repair_rate(timely: int, total: int) -> float:
    """Share of repairs done within their limit; an empty period counts as meeting the target."""
    return 1.0 if total == 0 else timely / total


def rework_rate(reworked: int, total: int) -> float:
    return 0.0 if total == 0 else reworked / total


def meets_targets(*, timely: int, reworked: int, total: int) -> bool:
    """R-FU-10: timely-repair rate >= 98 % and rework rate <= 1 %."""
    return (
        timely_repair_rate(timely, total) >= TIMELY_REPAIR_TARGET
        and rework_rate(reworked, total) <= REWORK_TARGET
    )
