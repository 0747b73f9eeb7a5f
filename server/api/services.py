"""Desk endpoints for special services, return visits and surveys, the monthly report, keys and records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import JSONBody, QueryParameter

from server.api.compression import NO_COMPRESSION
from server.auth.guards import allow
from server.auth.principal import Principal
from server.domain import complaint_report as cr
from server.domain import keys as dk
from server.domain import monthly_report as mr
from server.domain import special_services as sp
from server.domain.roles import DESK, EXECUTORS, LEADERSHIP, Role
from server.input_guard import check_instants
from server.services import catalogue, complaint_reports, keyring, records, reports, visits
from server.storage.db import Database

DESK_ONLY = allow(*DESK)
SERVICE_READERS = allow(*DESK, *LEADERSHIP, Role.CASHIER)
# The rule, not the route, refuses a wrong role here, so the caller learns the rule's own code
# (e.g. special_service.not_general_manager, special_service.field_staff_cannot_settle).
CATALOGUE_WRITERS = allow(*DESK, *LEADERSHIP)
MONEY_ROLES = allow(Role.CASHIER, *DESK, *EXECUTORS, Role.TEAM_LEAD)
MANAGEMENT = allow(Role.MANAGER, *LEADERSHIP)
CALLERS = allow(*DESK, Role.TEAM_LEAD)
REPORT_READERS = allow(*DESK, *LEADERSHIP)
# Who undoes a return or a loss report recorded by mistake (D72, D80).
RETURN_CORRECTORS = allow(Role.DISPATCHER, Role.MANAGER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- views (published in the OpenAPI schema) -------------------------------------------------


class ItemView(msgspec.Struct, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    fee_cents: int
    unit: sp.ServiceUnit
    unit_label: str
    unit_label_en: str
    promise_minutes: int
    advance: sp.Advance
    advance_cents: int
    status: sp.ItemStatus
    bookable: bool
    proposed_by: str
    proposed_at: datetime
    pending_fee_cents: int | None = None
    price_history: list[sp.PriceEntry] = []
    announced_at: datetime | None = None
    # The fee residents were last told and what a booking quotes now (None unless approved); a newer
    # approved fee waits for its notice (R-SS-1, D112).
    announced_fee_cents: int | None = None
    quoted_fee_cents: int | None = None
    sent_back: sp.SentBack | None = None  # the GM's refusal, with its reason, until answered (D112)


class BookingView(msgspec.Struct, kw_only=True):
    booking: sp.Booking
    case_id: str | None
    item_name_zh: str
    item_name_en: str
    balance_due_cents: int | None
    missing_to_dispatch: list[str]
    case: dict[str, Any] | None = None
    # The total told to the resident: the approved unit fee × the quoted quantity (R-SS-2, D100).
    told_fee_cents: int = 0
    content: str = ""  # the desk's notes on the request, the case's content at dispatch
    # The resident's arrival promise and where it stands, before and after dispatch (R-FU-7, D100).
    promise: sp.PromiseView | None = None
    # While booked: the leads its dispatch tells first and accepts as tried (R-DI-1, D144), every lead.
    leads: list[str] = []


class CorrectionView(dk.ReturnCorrection, kw_only=True):
    # Who had taken the key back in the undone return, and who undid it, by name.
    received_by_name: str | None = None
    corrected_by_name: str | None = None


class LoanView(dk.KeyLoan, kw_only=True):
    overdue: bool
    # Who handed the key out, took it back, reported it lost and settled the deposit, by name.
    lent_by_name: str | None = None
    received_by_name: str | None = None
    lost_reported_by_name: str | None = None
    settled_by_name: str | None = None
    kept_refunded_by_name: str | None = None  # who handed back a deposit kept at a loss (D86)
    corrections: list[CorrectionView] = []
    # On a key's loan history: this loan's return may still be undone (the key's latest loan, returned
    # today, the key in the cabinet since; D72).
    return_correctable: bool = False
    # On a key's loan history: the deposit kept when the key was lost on this loan may be handed back,
    # the key found since and nothing handed back yet (D86).
    kept_refundable: bool = False


class KeyView(msgspec.Struct, kw_only=True):
    key: dk.Key
    loan: LoanView | None
    # A lost key whose loss may still be undone as a mistake now (reported today; D80).
    loss_correctable: bool = False


class LossView(dk.KeyLoss, kw_only=True):
    # Who reported the loss, found the key and corrected the report, by name (D80).
    reported_by_name: str | None = None
    found_by_name: str | None = None
    corrected_by_name: str | None = None


class KeyHistoryView(msgspec.Struct, kw_only=True):
    key: dk.Key
    loans: list[LoanView]  # newest first
    losses: list[LossView] = []  # newest first, each found, corrected or in force (D80)
    loss_correctable: bool = False


class SettlementUndoneView(dk.SettlementUndone, kw_only=True):
    corrected_by_name: str | None = None


class SettlementView(msgspec.Struct, kw_only=True):
    """One deposit settled in the month, for the accountant: an `undone` one was voided by a correction
    and is not in the month's sums (D80)."""

    key_id: str
    key_label: str | None
    key_building: str | None
    key_floor: str | None
    loan_id: str
    borrower_name: str
    deposit_cents: int
    deposit_receipt_no: str | None
    ended: dk.LoanEnd
    refunded_cents: int
    refund_receipt_no: str | None
    kept_cents: int
    kept_reason: str | None
    settled_at: datetime
    settled_by: str
    settled_by_name: str | None
    undone: SettlementUndoneView | None = None
    # `kept_refunded`: a deposit kept at a loss handed back after the key was found, its kept_cents
    # negative (D86); `settled`: the deposit settled as the loan ended.
    entry: dk.SettlementEntry = dk.SettlementEntry.SETTLED


class CountAmendmentView(dk.CountAmendment, kw_only=True):
    amended_by_name: str | None = None


class PhysicalCountView(dk.PhysicalCount, kw_only=True):
    counted_by_name: str | None = None
    amendments: list[CountAmendmentView] = []  # what each same-day amendment replaced, oldest first (D86)
    # On a month's sheet: the caller may amend it now (its counter or a manager, the day it was recorded).
    amendable: bool = False


class LiveKeyCountView(dk.KeyCount, kw_only=True):
    settlements: list[SettlementView] = []  # this month's so far, oldest first
    # The running month, and its physical count: recorded from its 30th (`physical_opens_on`), on the cabinet's
    # page while the month runs; `physical_recordable` says it may be recorded now (not yet, and the day has come).
    year: int
    month: int
    physical: PhysicalCountView | None = None
    physical_opens_on: date
    physical_recordable: bool = False


class PastKeyCountView(msgspec.Struct, kw_only=True):
    year: int
    month: int
    count: dk.KeyCount
    physical: PhysicalCountView | None = None  # the count at the cabinet, once recorded (D72)


class KeyCountSheetView(PastKeyCountView, kw_only=True):
    keys: list[KeyView]  # the cabinet at the month's end, in filing order
    settlements: list[SettlementView] = []  # the deposits settled in the month, oldest first (D80)


class MonthlyReportView(mr.MonthlyReport, kw_only=True):
    tz: str
    quality_poor: bool
    labels: dict[str, dict[str, str]]  # group -> value -> Chinese label
    labels_en: dict[str, dict[str, str]]  # the same in English
    submitted_by_name: str | None = None  # the filler and the signer by name, for screen and print
    signed_by_name: str | None = None
    people: dict[str, str] = {}  # account id -> name for everyone in `history`
    covers_whole_month: bool = True  # False while the month is not over: the figures still grow (D103)
    submission_opens_on: str = ""  # the day the dispatcher may hand it in (the 30th)
    submission_open: bool = False  # by the server's clock: the 30th has come
    signing_open: bool = False  # by the server's clock: the month is over
    first_month: str | None = None  # the compound's first month ("2026-11"): none is reported before it
    # The month's weekly quality checks, unchecked weeks, missed targets and what signing warns of,
    # read live beside the figures (R-RV-4, R-FU-10). None only where no view computes it.
    quality: mr.MonthQuality | None = None


class YearlyReportView(cr.YearlyComplaintReport, kw_only=True):
    tz: str
    labels: dict[str, str]  # complaint category -> Chinese label
    labels_en: dict[str, str]  # the same in English
    submitted_by_name: str | None = None  # the author, the deputy GM and the last editor by name
    acknowledged_by_name: str | None = None
    analysis_saved_by_name: str | None = None
    people: dict[str, str] = {}  # account id -> name for everyone in `history`
    year_over: bool = False  # by the server's clock: the year has ended and it may be handed in
    opens_at: str = ""  # the instant the year ends in the compound's zone (ISO)
    covers_whole_year: bool = False  # False while the year runs: the figures still grow


class RateDefinition(msgspec.Struct, kw_only=True):
    key: str
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str
    target: str | None


def _as(t: type, value: Any) -> Any:
    return msgspec.convert(msgspec.to_builtins(value), t)


def _item(d: dict) -> ItemView:
    return _as(ItemView, d)


def _booking(d: dict) -> BookingView:
    return _as(BookingView, d)


def _key(d: dict) -> KeyView:
    return _as(KeyView, d)


def _report(d: dict) -> MonthlyReportView:
    return _as(MonthlyReportView, d)


def _yearly(d: dict) -> YearlyReportView:
    return _as(YearlyReportView, d)


class ServicesController(Controller):
    path = "/api"
    tags = ["special services"]

    # --- catalogue (R-SS-1) ---

    @get("/services/items", opt=SERVICE_READERS)
    async def items(self, db: Database, principal: Principal) -> list[ItemView]:
        return [_item(i) for i in await catalogue.list_items(db, principal)]

    @post("/services/items", opt=CATALOGUE_WRITERS, status_code=201)
    async def propose(self, db: Database, principal: Principal, data: JSONBody[catalogue.ItemIn]) -> ItemView:
        return _item(await catalogue.propose_item(db, principal, data))

    @post("/services/items/{code:str}/price", opt=CATALOGUE_WRITERS, status_code=200)
    async def propose_price(self, db: Database, principal: Principal, code: str,
                            data: JSONBody[catalogue.PriceIn]) -> ItemView:
        return _item(await catalogue.propose_price(db, principal, code, data.fee_cents))

    @post("/services/items/{code:str}/approve", opt=CATALOGUE_WRITERS, status_code=200)
    async def approve(self, db: Database, principal: Principal, code: str) -> ItemView:
        return _item(await catalogue.approve_item(db, principal, code))

    @post("/services/items/{code:str}/send-back", opt=CATALOGUE_WRITERS, status_code=200)
    async def send_back(self, db: Database, principal: Principal, code: str,
                        data: JSONBody[catalogue.SendBackIn]) -> ItemView:
        return _item(await catalogue.send_back_item(db, principal, code, data.reason))

    @post("/services/items/{code:str}/revise", opt=CATALOGUE_WRITERS, status_code=200)
    async def revise(self, db: Database, principal: Principal, code: str,
                     data: JSONBody[catalogue.ItemIn]) -> ItemView:
        return _item(await catalogue.revise_item(db, principal, code, data))

    @post("/services/items/{code:str}/announce", opt=MANAGEMENT, status_code=200)
    async def announce(self, db: Database, principal: Principal, code: str) -> ItemView:
        return _item(await catalogue.announce_item(db, principal, code))

    @post("/services/items/{code:str}/withdraw", opt=CATALOGUE_WRITERS, status_code=200)
    async def withdraw(self, db: Database, principal: Principal, code: str) -> ItemView:
        return _item(await catalogue.withdraw_item(db, principal, code))

    @get("/services/items/{code:str}/loss-review", opt=MANAGEMENT)
    async def loss_review(self, db: Database, principal: Principal, code: str, start: datetime, end: datetime,
                          cost_cents: int) -> sp.LossReview:
        check_instants(start=start, end=end)
        return _as(sp.LossReview, await catalogue.loss_review(db, principal, code, start, end, cost_cents))

    @post("/services/items/{code:str}/loss-decision", opt=MANAGEMENT, status_code=200)
    async def loss_decision(self, db: Database, principal: Principal, code: str,
                            data: JSONBody[catalogue.LossDecisionIn]) -> dict[str, Any]:
        return await catalogue.decide_loss(db, principal, code, data)

    # --- agreements and bookings (R-SS-2, R-SS-3) ---

    @post("/services/agreements", opt=DESK_ONLY, status_code=201)
    async def agreement(self, db: Database, principal: Principal,
                        data: JSONBody[catalogue.AgreementIn]) -> sp.Agreement:
        return _as(sp.Agreement, await catalogue.create_agreement(db, principal, data))

    @get("/services/agreements", opt=SERVICE_READERS)
    async def agreements(self, db: Database, principal: Principal) -> list[sp.Agreement]:
        return [_as(sp.Agreement, a) for a in await catalogue.list_agreements(db, principal)]

    @post("/services/bookings", opt=DESK_ONLY, status_code=201)
    async def book(self, db: Database, principal: Principal, data: JSONBody[catalogue.BookIn]) -> BookingView:
        return _booking(await catalogue.book(db, principal, data))

    @get("/services/bookings", opt=SERVICE_READERS)
    async def bookings(self, db: Database, principal: Principal,
                       state_: Annotated[str | None, QueryParameter(name="state")] = None) -> list[BookingView]:
        return [_booking(b) for b in await catalogue.list_bookings(db, principal, state_)]

    @get("/services/bookings/{booking_id:str}", opt=SERVICE_READERS)
    async def booking(self, db: Database, principal: Principal, booking_id: str) -> BookingView:
        return _booking(await catalogue.get_booking(db, principal, booking_id))

    @post("/services/bookings/{booking_id:str}/consent", opt=DESK_ONLY, status_code=200)
    async def consent(self, db: Database, principal: Principal, booking_id: str,
                      data: JSONBody[catalogue.ConsentIn]) -> BookingView:
        return _booking(await catalogue.consent(db, principal, booking_id, data.shown_fee_cents))

    @post("/services/bookings/{booking_id:str}/advance", opt=MONEY_ROLES, status_code=200)
    async def advance(self, db: Database, principal: Principal, booking_id: str,
                      data: JSONBody[catalogue.MoneyIn]) -> BookingView:
        return _booking(await catalogue.advance(db, principal, booking_id, data))

    @post("/services/bookings/{booking_id:str}/dispatch", opt=DESK_ONLY, status_code=200)
    async def dispatch(self, db: Database, principal: Principal, booking_id: str,
                       data: JSONBody[catalogue.BookingDispatchIn]) -> BookingView:
        return _booking(await catalogue.dispatch(db, principal, booking_id, data))

    @post("/services/bookings/{booking_id:str}/complete", opt=DESK_ONLY, status_code=200)
    async def complete(self, db: Database, principal: Principal, booking_id: str,
                       data: JSONBody[catalogue.CompleteIn]) -> BookingView:
        return _booking(await catalogue.complete(db, principal, booking_id, data.quantity))

    @post("/services/bookings/{booking_id:str}/settle", opt=MONEY_ROLES, status_code=200)
    async def settle(self, db: Database, principal: Principal, booking_id: str,
                     data: JSONBody[catalogue.MoneyIn]) -> BookingView:
        return _booking(await catalogue.settle(db, principal, booking_id, data))


class VisitsController(Controller):
    path = "/api"
    tags = ["return visits"]

    @get("/callbacks", opt=allow(*DESK, *LEADERSHIP, Role.TEAM_LEAD))
    async def call_backs(self, db: Database, principal: Principal, status: str | None = None,
                         case_id: str | None = None) -> list[dict[str, Any]]:
        return await visits.list_call_backs(db, principal, status, case_id)

    @post("/callbacks/{task_id:str}", opt=CALLERS, status_code=200)
    async def record(self, db: Database, principal: Principal, task_id: str,
                     data: JSONBody[visits.CallBackIn]) -> dict[str, Any]:
        return await visits.record_call_back(db, principal, task_id, data)

    @post("/callbacks/{task_id:str}/review", opt=allow(Role.MANAGER), status_code=200)
    async def review(self, db: Database, principal: Principal, task_id: str,
                     data: JSONBody[visits.ReviewIn]) -> dict[str, Any]:
        return await visits.close_review(db, principal, task_id, data.note)

    @post("/surveys", opt=REPORT_READERS, status_code=201)
    async def open_survey(self, db: Database, principal: Principal, data: JSONBody[visits.SurveyIn]) -> dict[str, Any]:
        return await visits.open_survey(db, principal, data)

    @get("/surveys", opt=REPORT_READERS)
    async def surveys(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await visits.list_surveys(db, principal)

    @get("/surveys/closed-months", opt=REPORT_READERS)
    async def survey_closed_months(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        """The months whose report no longer reads a survey (handed in over the whole month, or signed),
        oldest first: the open form does not offer them (R-RV-3)."""
        return await visits.list_closed_months(db, principal)

    @get("/surveys/{survey_id:str}", opt=REPORT_READERS)
    async def survey(self, db: Database, principal: Principal, survey_id: str) -> dict[str, Any]:
        return await visits.get_survey(db, principal, survey_id)

    @post("/surveys/{survey_id:str}/ballots", opt=DESK_ONLY, status_code=200)
    async def ballot(self, db: Database, principal: Principal, survey_id: str,
                     data: JSONBody[visits.BallotIn]) -> dict[str, Any]:
        return await visits.add_ballot(db, principal, survey_id, data)

    @post("/surveys/{survey_id:str}/ballots/{ballot_id:str}/withdraw", opt=DESK_ONLY, status_code=200)
    async def withdraw_ballot(self, db: Database, principal: Principal, survey_id: str,
                              ballot_id: str) -> dict[str, Any]:
        """A ballot entered by mistake, taken out while the survey is open (D139)."""
        return await visits.withdraw_ballot(db, principal, survey_id, ballot_id)

    @post("/surveys/{survey_id:str}/close", opt=REPORT_READERS, status_code=200)
    async def close_survey(self, db: Database, principal: Principal, survey_id: str) -> dict[str, Any]:
        """The manager closes the survey (R-RV-1); the domain refuses anyone else, as for opening it."""
        return await visits.close_survey(db, principal, survey_id)


class ReportsController(Controller):
    path = "/api/reports"
    tags = ["reports"]

    @get("/definitions", opt=REPORT_READERS)
    async def definitions(self) -> list[RateDefinition]:
        """Every rate the monthly report shows, with the definition printed beside it, then the yearly
        complaint report's own: its two complaint rates are these, summed over the year (R-RV-5)."""
        out = []
        for key, labels, (zh, en), target in (
            ("complaint_validity", mr.VALIDITY_LABELS, mr.VALIDITY_DEF, None),
            ("timely_handling", mr.TIMELY_HANDLING_LABELS, mr.TIMELY_HANDLING_DEF, None),
            ("timely_repair", ("维修及时率", "Timely-repair rate"), mr.TIMELY_REPAIR_DEF,
             f"≥ {mr.TIMELY_REPAIR_TARGET:g}%"),
            ("rework", ("返修率", "Rework rate"), mr.REWORK_DEF, f"≤ {mr.REWORK_TARGET:g}%"),
            ("satisfaction", ("单项满意率", "Item satisfaction rate"), mr.SATISFACTION_DEF, None),
            ("help_reply_5m", mr.HELP_REPLY_LABELS, mr.HELP_REPLY_DEF, None),
            ("complaint_call_back_satisfaction", cr.CALL_BACK_LABELS, cr.CALL_BACK_DEF, None),
            ("repeat_units", ("重复投诉", "Repeat complaints"), cr.REPEAT_DEF, None),
            ("open_at_year_end", ("年末未结投诉", "Open at the year's end"), cr.OPEN_DEF, None),
        ):
            out.append(RateDefinition(key=key, label_zh=labels[0], label_en=labels[1], definition_zh=zh,
                                      definition_en=en, target=target))
        return out

    @get("/monthly/{year:int}/{month:int}", opt=REPORT_READERS)
    async def monthly(self, db: Database, principal: Principal, year: int, month: int) -> MonthlyReportView:
        return _report(await reports.monthly_view(db, principal, year, month))

    @post("/monthly/{year:int}/{month:int}/submit", opt=REPORT_READERS, status_code=200)
    async def submit(self, db: Database, principal: Principal, year: int, month: int) -> MonthlyReportView:
        return _report(await reports.submit(db, principal, year, month))

    @post("/monthly/{year:int}/{month:int}/sign", opt=REPORT_READERS, status_code=200)
    async def sign(self, db: Database, principal: Principal, year: int, month: int,
                   data: JSONBody[reports.SignIn]) -> MonthlyReportView:
        return _report(await reports.sign(db, principal, year, month, data.comment))

    # The manager sends a submitted report back before signing; the GM takes back a signature (D103).
    @post("/monthly/{year:int}/{month:int}/return", opt=REPORT_READERS, status_code=200)
    async def return_report(self, db: Database, principal: Principal, year: int, month: int,
                            data: JSONBody[reports.ReasonIn]) -> MonthlyReportView:
        return _report(await reports.return_report(db, principal, year, month, data.reason))

    @post("/monthly/{year:int}/{month:int}/reopen", opt=REPORT_READERS, status_code=200)
    async def reopen(self, db: Database, principal: Principal, year: int, month: int,
                     data: JSONBody[reports.ReasonIn]) -> MonthlyReportView:
        return _report(await reports.reopen(db, principal, year, month, data.reason))

    @get("/monthly/{year:int}/{month:int}/xlsx", opt={**REPORT_READERS, **NO_COMPRESSION}, media_type=XLSX)
    async def xlsx(self, db: Database, principal: Principal, year: int, month: int,
                   lang: Annotated[Literal["zh", "en"], QueryParameter(description=(
                       "The workbook's language, the one the desk shows; Chinese unless asked (D71)"))] = "zh",
                   ) -> Response[bytes]:
        body = await reports.export_xlsx(db, principal, year, month, lang)
        ascii_name = f"monthly-report-{year}-{month:02d}.xlsx"
        local_name = quote(f"{year}年{month}月调度月总结.xlsx" if lang == "zh" else ascii_name)
        return Response(content=body, media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{local_name}"})


    # --- the yearly complaint analysis report (客户投诉报告, R-RV-5, D130) ---
    # Every step is open to the report's readers: the rule, not the route, refuses a wrong role, so the
    # caller learns its own code (yearly_report.not_author, yearly_report.not_deputy_gm).

    @get("/yearly/{year:int}", opt=REPORT_READERS)
    async def yearly(self, db: Database, principal: Principal, year: int) -> YearlyReportView:
        return _yearly(await complaint_reports.yearly_view(db, principal, year))

    @post("/yearly/{year:int}/analysis", opt=REPORT_READERS, status_code=200)
    async def yearly_analysis(self, db: Database, principal: Principal, year: int,
                              data: JSONBody[complaint_reports.AnalysisIn]) -> YearlyReportView:
        return _yearly(await complaint_reports.save_analysis(db, principal, year, data))

    @post("/yearly/{year:int}/submit", opt=REPORT_READERS, status_code=200)
    async def yearly_submit(self, db: Database, principal: Principal, year: int,
                            data: JSONBody[complaint_reports.AnalysisIn]) -> YearlyReportView:
        return _yearly(await complaint_reports.submit(db, principal, year, data))

    @post("/yearly/{year:int}/acknowledge", opt=REPORT_READERS, status_code=200)
    async def yearly_acknowledge(self, db: Database, principal: Principal, year: int,
                                 data: JSONBody[complaint_reports.AcknowledgeIn]) -> YearlyReportView:
        return _yearly(await complaint_reports.acknowledge(db, principal, year, data))

    @post("/yearly/{year:int}/return", opt=REPORT_READERS, status_code=200)
    async def yearly_return(self, db: Database, principal: Principal, year: int,
                            data: JSONBody[complaint_reports.ReturnIn]) -> YearlyReportView:
        return _yearly(await complaint_reports.return_report(db, principal, year, data))

    @get("/yearly/{year:int}/xlsx", opt={**REPORT_READERS, **NO_COMPRESSION}, media_type=XLSX)
    async def yearly_xlsx(self, db: Database, principal: Principal, year: int,
                          lang: Annotated[Literal["zh", "en"], QueryParameter(description=(
                              "The workbook's language, the one the desk shows; Chinese unless asked (D71)"))] = "zh",
                          ) -> Response[bytes]:
        body = await complaint_reports.export_xlsx(db, principal, year, lang)
        ascii_name = f"complaint-report-{year}.xlsx"
        local_name = quote(f"{year}年度客户投诉报告.xlsx" if lang == "zh" else ascii_name)
        return Response(content=body, media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{local_name}"})


class KeysController(Controller):
    path = "/api/keys"
    tags = ["keys"]

    @get("/", opt=DESK_ONLY)
    async def list_keys(self, db: Database, principal: Principal) -> list[KeyView]:
        return [_key(k) for k in await keyring.list_keys(db, principal)]

    @post("/", opt=DESK_ONLY, status_code=201)
    async def register(self, db: Database, principal: Principal, data: JSONBody[keyring.KeyIn]) -> KeyView:
        return _key(await keyring.register(db, principal, data))

    @get("/overdue", opt=DESK_ONLY)
    async def overdue(self, db: Database, principal: Principal) -> list[LoanView]:
        return [_as(LoanView, x) for x in await keyring.overdue(db, principal)]

    @get("/count", opt=allow(*DESK, *LEADERSHIP))
    async def count(self, db: Database, principal: Principal) -> LiveKeyCountView:
        return _as(LiveKeyCountView, await keyring.monthly_count(db, principal))

    @get("/counts", opt=allow(*DESK, *LEADERSHIP))
    async def past_counts(self, db: Database, principal: Principal) -> list[PastKeyCountView]:
        return [_as(PastKeyCountView, c) for c in await keyring.past_counts(db, principal)]

    @get("/counts/{year:int}/{month:int}", opt=allow(*DESK, *LEADERSHIP))
    async def month_count(self, db: Database, principal: Principal, year: int, month: int) -> KeyCountSheetView:
        return _as(KeyCountSheetView, await keyring.month_count(db, principal, year, month))

    # The count done at the cabinet for an ended month: who counted, the witness, what differed (D72).
    @post("/counts/{year:int}/{month:int}/physical", opt=DESK_ONLY, status_code=201)
    async def record_count(self, db: Database, principal: Principal, year: int, month: int,
                           data: JSONBody[keyring.PhysicalCountIn]) -> KeyCountSheetView:
        return _as(KeyCountSheetView, await keyring.record_physical_count(db, principal, year, month, data))

    # Amending it the day it was recorded, by its counter or a manager (the rule refuses anyone else, D86).
    @post("/counts/{year:int}/{month:int}/physical/amend", opt=DESK_ONLY, status_code=200)
    async def amend_count(self, db: Database, principal: Principal, year: int, month: int,
                          data: JSONBody[keyring.AmendCountIn]) -> KeyCountSheetView:
        return _as(KeyCountSheetView, await keyring.amend_physical_count(db, principal, year, month, data))

    # An ended month's sheet as a workbook for the accountant, in the desk's language (D71, D86).
    @get("/counts/{year:int}/{month:int}/xlsx", opt={**allow(*DESK, *LEADERSHIP), **NO_COMPRESSION}, media_type=XLSX)
    async def month_xlsx(self, db: Database, principal: Principal, year: int, month: int,
                         lang: Annotated[Literal["zh", "en"], QueryParameter(description=(
                             "The workbook's language, the one the desk shows; Chinese unless asked (D71)"))] = "zh",
                         ) -> Response[bytes]:
        body = await keyring.export_month_xlsx(db, principal, year, month, lang)
        ascii_name = f"key-count-{year}-{month:02d}.xlsx"
        local_name = quote(f"{year}年{month}月钥匙盘点.xlsx" if lang == "zh" else ascii_name)
        return Response(content=body, media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{local_name}"})

    @get("/{key_id:str}/loans", opt=DESK_ONLY)
    async def history(self, db: Database, principal: Principal, key_id: str) -> KeyHistoryView:
        return _as(KeyHistoryView, await keyring.history(db, principal, key_id))

    @post("/{key_id:str}/loans", opt=DESK_ONLY, status_code=201)
    async def lend(self, db: Database, principal: Principal, key_id: str, data: JSONBody[keyring.LoanIn]) -> KeyView:
        return _key(await keyring.lend(db, principal, key_id, data))

    # The body settles an outsider's deposit; a loan without one may send none.
    @post("/{key_id:str}/return", opt=DESK_ONLY, status_code=200)
    async def give_back(self, db: Database, principal: Principal, key_id: str,
                        data: JSONBody[keyring.SettleIn | None] = None) -> KeyView:
        return _key(await keyring.return_key(db, principal, key_id, data))

    # Undoing a return recorded by mistake is the dispatcher's or the manager's, the same day (D72).
    @post("/{key_id:str}/loans/{loan_id:str}/correct-return", opt=RETURN_CORRECTORS, status_code=200)
    async def correct_return(self, db: Database, principal: Principal, key_id: str, loan_id: str,
                             data: JSONBody[keyring.CorrectReturnIn]) -> KeyView:
        return _key(await keyring.correct_return(db, principal, key_id, loan_id, data))

    # A deposit kept when the key was lost on that loan, handed back once the key is found (D86).
    @post("/{key_id:str}/loans/{loan_id:str}/refund-kept", opt=DESK_ONLY, status_code=200)
    async def refund_kept(self, db: Database, principal: Principal, key_id: str, loan_id: str,
                          data: JSONBody[keyring.KeptRefundIn]) -> KeyView:
        return _key(await keyring.refund_kept(db, principal, key_id, loan_id, data))

    @post("/{key_id:str}/lost", opt=DESK_ONLY, status_code=200)
    async def lost(self, db: Database, principal: Principal, key_id: str,
                   data: JSONBody[keyring.LostIn | None] = None) -> KeyView:
        return _key(await keyring.report_lost(db, principal, key_id, data))

    # Undoing a loss reported by mistake: the same roles and day as a return's correction (D72, D80).
    @post("/{key_id:str}/correct-loss", opt=RETURN_CORRECTORS, status_code=200)
    async def correct_loss(self, db: Database, principal: Principal, key_id: str,
                           data: JSONBody[keyring.CorrectLossIn]) -> KeyView:
        return _key(await keyring.correct_loss(db, principal, key_id, data))

    # A key really lost, found again any day later, back in the cabinet (D80).
    @post("/{key_id:str}/found", opt=DESK_ONLY, status_code=200)
    async def found(self, db: Database, principal: Principal, key_id: str, data: JSONBody[keyring.FoundIn]) -> KeyView:
        return _key(await keyring.record_found(db, principal, key_id, data))


class RecordsController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/records/retention", opt=REPORT_READERS)
    async def retention(self, db: Database, principal: Principal,
                        created_at: datetime | None = None) -> list[dict[str, Any]]:
        check_instants(created_at=created_at)
        return await records.retention(db, principal, created_at)

    @post("/compensations", opt=REPORT_READERS, status_code=201)
    async def open_compensation(self, db: Database, principal: Principal,
                                data: JSONBody[records.CompensationIn]) -> dict[str, Any]:
        return await records.open_compensation(db, principal, data)

    @get("/compensations", opt=REPORT_READERS)
    async def compensations(self, db: Database, principal: Principal) -> list[dict[str, Any]]:
        return await records.list_compensations(db, principal)

    @post("/compensations/{comp_id:str}/phone-approval", opt=REPORT_READERS, status_code=200)
    async def phone_approval(self, db: Database, principal: Principal, comp_id: str,
                             data: JSONBody[records.PhoneApprovalIn]) -> dict[str, Any]:
        return await records.phone_approval(db, principal, comp_id, data.developer_lead)

    @post("/compensations/{comp_id:str}/written-confirmation", opt=REPORT_READERS, status_code=200)
    async def written(self, db: Database, principal: Principal, comp_id: str,
                      data: JSONBody[records.WrittenIn]) -> dict[str, Any]:
        return await records.written_confirmation(db, principal, comp_id, data.contact_slip_no)

    @post("/compensations/{comp_id:str}/memo", opt=REPORT_READERS, status_code=200)
    async def memo(self, db: Database, principal: Principal, comp_id: str,
                   data: JSONBody[records.MemoIn]) -> dict[str, Any]:
        return await records.memo(db, principal, comp_id, data)

    @post("/compensations/{comp_id:str}/close", opt=REPORT_READERS, status_code=200)
    async def close(self, db: Database, principal: Principal, comp_id: str) -> dict[str, Any]:
        return await records.close(db, principal, comp_id)


CONTROLLERS = [ServicesController, VisitsController, ReportsController, KeysController, RecordsController]
