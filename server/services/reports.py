"""The monthly dispatch summary per compound: flatten stored cases into report rows, build, submit, sign.

Rules: R-RV-4 (dispatcher fills, manager comments and signs), R-RV-5 (by category, validity and
timely-handling rates, due on the 30th), R-FU-10 (timely-repair >= 98 %, rework <= 1 %), R-RV-3.
Until it is submitted the report is computed live; submitting freezes the figures the dispatcher
handed in, and the manager signs exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.principal import Principal
from server.domain import deadlines
from server.domain import monthly_report as mr
from server.domain import special_services as sp
from server.domain import surveys as sv
from server.domain.calendar import BusinessCalendar
from server.domain.cases import Case, CaseState, ComplaintFault, FollowUpKind, Kind, first_written_reply
from server.domain.deadlines import Clock, ClockCode, DeadlinePolicy
from server.domain.errors import fail
from server.domain.roles import Role
from server.services.acting import acting_role
from server.services.cases import OPEN_STATES, compound_rules, decode_case
from server.services.visits import call_back_rounds, survey_of_month
from server.storage.db import Database, UnitOfWork
from server.storage.schema import buildings, cases, compounds, units, users, weekly_checks
from server.storage.tables_services import monthly_reports, service_bookings

_enc = msgspec.json.Encoder()
_report_dec = msgspec.json.Decoder(mr.MonthlyReport)
_booking_dec = msgspec.json.Decoder(sp.Booking)
_check_dec = msgspec.json.Decoder(mr.WeeklyCheck)

REPAIR_LIMITS = (ClockCode.FU4_REPAIR_24H, ClockCode.FU4_GENERAL_72H)
WRITTEN_REPLY = ClockCode.IN5_WRITTEN_REPLY_2D
HELP_REPLY = ClockCode.IN5_HELP_REPLY_5M
COMPLAINT_LIMITS = (ClockCode.FU8_FEEDBACK_DATE, ClockCode.FU9_COMPLAINT_15D)
LOOKBACK = timedelta(days=62)
GRADE_ORDER = {sv.Grade.C: 0, sv.Grade.B: 1, sv.Grade.A: 2}


class SignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: str


class ReasonIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str


def _limit(clock_list: list[Clock], codes: tuple[ClockCode, ...]) -> datetime | None:
    for code in codes:
        for c in clock_list:
            if c.code == code:
                return c.due_at
    return None


def case_row(case: Case, *, calendar: BusinessCalendar, policy: DeadlinePolicy, now: datetime,
             names: dict[str, str], call_backs: Sequence[sv.CallBackTask], booking: sp.Booking | None,
             places: dict[str, tuple[str, str]] | None = None) -> mr.CaseRow:
    """One stored case as the report sees it. Limits come from the deadline engine, so the report
    and the desk's clocks can never disagree about when something was due. `call_backs` are the case's
    call-backs, one per round of work, in round order (R-FU-6).

    A case an unsatisfied call-back reopened is judged on its first completion (a repair) or first close
    (a complaint), in the month that came, and its rework is counted there, once (D133): the redo
    neither moves it to a later month nor makes it late."""
    clock_list = deadlines.clocks(case, calendar, now, policy)
    kind = str(case.kind)
    deadline_at: datetime | None = None
    first_close = case.first_close
    closed_at: datetime | None = first_close.closed_at if first_close else None
    reply_signer: str | None = None
    if case.kind == Kind.REPAIR:
        # The R-FU-4 limit of its class; a major repair is held to its work order's agreed deadline.
        deadline_at = _limit(clock_list, REPAIR_LIMITS)
        done = [wo for wo in case.work_orders if wo.completed_at is not None]
        if deadline_at is None and done:
            deadline_at = min(done, key=lambda wo: wo.completed_at or now).deadline_at  # the first one done
        closed_at = case.first_completed_at
    elif case.kind == Kind.COMPLAINT:
        # The agreed feedback date, but never past the close limit: a late promise does not make a
        # complaint closed on day 25 timely (R-FU-9).
        dues = [d for code in COMPLAINT_LIMITS if (d := _limit(clock_list, (code,))) is not None]
        deadline_at = min(dues) if dues else None
    elif case.owes_written_reply:
        # R-IN-5: a written inquiry is late when its written reply came after the 2 days, or has not
        # come by then, opened or not (D70). Its "done" is the written reply; a case closed unanswered
        # before closing waited for the reply stopped its clock at the close, and is judged there, as
        # its clock is.
        reply = next(c for c in clock_list if c.code == WRITTEN_REPLY)
        deadline_at = reply.due_at
        closed_at = reply.satisfied_at or (closed_at if not reply.running else None)
        # Who signed the reply whose time the row shows (D74): a late reply is answered for by name.
        written = first_written_reply(case)
        if written is not None and written.at == reply.satisfied_at:
            reply_signer = written.signer
    elif case.kind == Kind.SPECIAL_SERVICE:
        closed_at = case.last_completed_at
    # R-IN-5: a help request's reply within 5 minutes, read from its clock (the first reply recorded, or
    # the close). A help request left unopened runs no clock, and carries no due time.
    help_clock = next((c for c in clock_list if c.code == HELP_REPLY), None)
    revenue = 0
    if booking is not None and booking.settled_at is not None:
        revenue = booking.slip_fee_cents or 0
        closed_at = booking.settled_at  # revenue counts in the month it was collected
    # The resident's word as it stands: the latest call-back made (after a rework, whether it fixed it).
    satisfaction = None
    call_back = next((t for t in reversed(call_backs) if t.grades), None)
    if call_back is not None:
        satisfaction = call_back.grades.get(sv.SurveyArea.OVERALL) or min(
            call_back.grades.values(), key=lambda g: GRADE_ORDER[g])
    handler_id = report_handler_id(case)
    place = (places or {}).get(case.unit_id) if case.unit_id else None
    valid = None
    method = method_en = ""
    if case.judgement is not None:
        valid = case.judgement.fault == ComplaintFault.COMPANY
        method = method_en = case.judgement.agreed_solution or case.judgement.explanation
    elif case.work_orders:
        method, method_en = "派工处理", "Dispatched to staff"
    return mr.CaseRow(
        case_no=case.no, kind=kind, channel=str(case.channel),
        received_at=case.received_at,
        complaint_category=str(case.complaint_category) if case.complaint_category else None,
        complainant=case.contact_name, receiver=names.get(case.receiver_id, case.receiver_id),
        handler=names.get(handler_id, handler_id) if handler_id else "", method=method, method_en=method_en,
        result=last_close.result if (last_close := case.last_close) else "", deadline_at=deadline_at,
        closed_at=closed_at, reworked=any(sv.counts_as_rework(t) for t in call_backs), satisfaction=satisfaction,
        valid_complaint=valid, revenue_cents=revenue,
        help_reply_due_at=help_clock.due_at if help_clock else None,
        help_replied_at=help_clock.satisfied_at if help_clock else None,
        reply_signer=reply_signer,
        # The registered unit by its label and building (R-IN-1), for the yearly report's places; with no
        # unit picked, the address typed at intake.
        unit_id=case.unit_id if place else None, unit=place[0] if place else case.address,
        building=place[1] if place else "", not_opened=case.state == CaseState.NOT_OPENED,
    )


def report_handler_id(case: Case) -> str | None:
    """Who handled the case, for the report's 处理人 (R-RV-5; docs/report-definitions.md, D96).

    The executor of the current or last work order; with none, whoever handled it at the desk: closed
    it, else last answered the resident (a reply). Nobody before either: the follower watches the case,
    the handler does the work (the list named the receiver as the handler of complaints never sent).
    """
    sent = [wo.assignee_id for wo in case.work_orders if wo.state != "cancelled"]
    if sent:
        return sent[-1]
    # A case a call-back reopened was handled at the desk by whoever closed it (the close it set aside).
    if (closed := case.last_close) is not None:
        return closed.dispatcher_id
    return next((f.by for f in reversed(case.follow_ups) if f.kind == FollowUpKind.REPLY), None)


async def _places(conn: AsyncConnection, compound_id: str) -> dict[str, tuple[str, str]]:
    """unit id -> (its label, its building's name), for the report's places."""
    rows = (await conn.execute(select(units.c.id, units.c.label, buildings.c.name).join(
        buildings, buildings.c.id == units.c.building_id).where(units.c.compound_id == compound_id))).all()
    return {r.id: (r.label, r.name) for r in rows}


async def load_rows(uow: UnitOfWork, compound_id: str, start: datetime, cutoff: datetime,
                    kinds: tuple[Kind, ...] = ()) -> list[mr.CaseRow]:
    """The stored cases that can touch [start, cutoff) as report rows, only of `kinds` when given (the yearly
    complaint report reads a year of complaints, not a year of everything)."""
    rules = await compound_rules(uow, compound_id)
    # Everything that can touch the month: received before its end, and still open, changed since it
    # began, or recent enough that its limit (a complaint's 15 days, a promised date) may fall in it;
    # and any case a clock still runs on, as a written inquiry left unopened still owed its written
    # reply (R-IN-5): late in every month until it is answered, however long ago it came in.
    # And every case whose booking the cashier settled in the month: settling writes the booking, not
    # the case, so a case closed long before its money came in was none of the above, and its revenue
    # was lost from the month it was collected in (R-SS-3; the loss review reads the same settlements).
    settled_in_month = select(service_bookings.c.case_id).where(
        service_bookings.c.compound_id == compound_id, service_bookings.c.case_id.is_not(None),
        service_bookings.c.settled_at >= start, service_bookings.c.settled_at < cutoff)
    stmt = select(cases.c.doc).where(
        cases.c.compound_id == compound_id, cases.c.received_at < cutoff,
        or_(cases.c.state.in_(OPEN_STATES), cases.c.next_due_at.is_not(None),
            cases.c.updated_at >= start, cases.c.received_at >= start - LOOKBACK,
            cases.c.id.in_(settled_in_month)))
    if kinds:
        stmt = stmt.where(cases.c.kind.in_([str(k) for k in kinds]))
    all_cases = [decode_case(r.doc) for r in (await uow.conn.execute(stmt)).all()]
    names = {r.id: r.display_name for r in (await uow.conn.execute(
        select(users.c.id, users.c.display_name).where(users.c.compound_id == compound_id))).all()}
    places = await _places(uow.conn, compound_id)
    ids = [c.id for c in all_cases]
    tasks = await call_back_rounds(uow.conn, ids)
    bookings: dict[str, sp.Booking] = {}
    for i in range(0, len(ids), 500):
        for r in (await uow.conn.execute(select(service_bookings.c.doc, service_bookings.c.case_id).where(
                service_bookings.c.case_id.in_(ids[i:i + 500])))).all():
            bookings[r.case_id] = _booking_dec.decode(r.doc)
    return [case_row(c, calendar=rules.calendar, policy=rules.policy, now=uow.now, names=names,
                     call_backs=tasks.get(c.id, []), booking=bookings.get(c.id), places=places)
                for c in all_cases]


def _check_month(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise fail("monthly_report.bad_month", "月份不正确", "No such month", kind="invalid")


async def _first_day(conn: AsyncConnection, compound_id: str, zone: Any) -> date:  # noqa: ANN401
    """The compound's first day in its zone: when it was set up, or its first case if that is older
    (cases brought over from paper keep the time they came in)."""
    created = (await conn.execute(select(compounds.c.created_at).where(compounds.c.id == compound_id))).scalar()
    oldest = (await conn.execute(select(func.min(cases.c.received_at)).where(
        cases.c.compound_id == compound_id))).scalar()
    return min(t for t in (created, oldest) if t is not None).astimezone(zone).date()


async def _require_lived(uow: UnitOfWork, compound_id: str, year: int, month: int) -> date:
    """Refuses a month before the compound's first or not begun (R-RV-4); returns the first day."""
    _check_month(year, month)
    zone = (await compound_rules(uow, compound_id)).calendar.zone
    first = await _first_day(uow.conn, compound_id, zone)
    mr.refuse_unlived_month(year, month, first_day=first, today=uow.now.astimezone(zone).date())
    return first


async def _compute(uow: UnitOfWork, compound_id: str, year: int, month: int) -> mr.MonthlyReport:
    rules = await compound_rules(uow, compound_id)
    tz = rules.calendar.zone
    start, end = mr.month_bounds(year, month, tz)
    cutoff = min(end, uow.now)
    rows = await load_rows(uow, compound_id, start, cutoff)
    survey = await survey_of_month(uow.conn, compound_id, start, end)
    return mr.build_monthly_report(rows, year=year, month=month, tz=tz, as_of=uow.now, survey=survey)


async def _stored(uow: UnitOfWork, compound_id: str, year: int, month: int, *,
                  lock: bool = True) -> mr.MonthlyReport | None:
    """The stored report, its row locked until commit for a sign-off step (`lock`). A read takes no lock
    (D103): on PostgreSQL it would hold a submit or a signature back while it computes the month."""
    q = select(monthly_reports.c.doc).where(monthly_reports.c.compound_id == compound_id,
                                            monthly_reports.c.year == year, monthly_reports.c.month == month)
    if lock:
        q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    return _report_dec.decode(row.doc) if row is not None else None


async def _save(uow: UnitOfWork, compound_id: str, report: mr.MonthlyReport, *, created: bool) -> None:
    values = dict(status=str(report.status), updated_at=uow.now, doc=_enc.encode(report).decode())
    if created:
        await uow.conn.execute(insert(monthly_reports).values(
            compound_id=compound_id, year=report.year, month=report.month, **values))
    else:
        await uow.conn.execute(update(monthly_reports).where(
            monthly_reports.c.compound_id == compound_id, monthly_reports.c.year == report.year,
            monthly_reports.c.month == report.month).values(**values))


async def people_names(conn: AsyncConnection, compound_id: str, ids: Iterable[str | None]) -> dict[str, str]:
    """Account ids by the names people know: an account id means nothing on paper."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = (await conn.execute(select(users.c.id, users.c.display_name).where(
        users.c.compound_id == compound_id, users.c.id.in_(wanted)))).all()
    return {r.id: r.display_name for r in rows}


async def _signer_names(conn: AsyncConnection, compound_id: str, report: mr.MonthlyReport) -> dict[str, str]:
    """Who handed the report in and who signed it, and everyone in its history."""
    return await people_names(conn, compound_id, (report.submitted_by, report.signed_by,
                                                  *(e.by for e in report.history)))


def report_view(report: mr.MonthlyReport, tz_name: str, names: dict[str, str] | None = None,
                now: datetime | None = None, first_day: date | None = None) -> dict[str, Any]:
    out = msgspec.to_builtins(report)
    out["tz"] = tz_name
    # The compound's first month: the page offers no month before it (R-RV-4).
    out["first_month"] = mr.first_month(first_day) if first_day is not None else None
    names = names or {}
    out["submitted_by_name"] = names.get(report.submitted_by) if report.submitted_by else None
    out["signed_by_name"] = names.get(report.signed_by) if report.signed_by else None
    out["people"] = {e.by: names.get(e.by, e.by) for e in report.history}
    out["covers_whole_month"] = mr.covers_whole_month(report)
    out["submission_opens_on"] = mr.submission_opens_on(report).isoformat()
    # What the server's clock allows now, so the page offers no button the rule would refuse (D103).
    if now is not None:
        out["submission_open"] = now.astimezone(report.period_start.tzinfo).date() >= mr.submission_opens_on(report)
        out["signing_open"] = now >= mr.month_end(report)
    out["quality_poor"] = mr.quality_poor(report)
    # The report's own wording (the seed's report form), in both languages: the desk shows the one
    # its language switch selects.
    for key, i in (("labels", 0), ("labels_en", 1)):
        out[key] = {
            group: {str(k): v[i] for k, v in table.items()}
            for group, table in (("kind", mr.KIND_LABELS), ("category", mr.CATEGORY_LABELS),
                                 ("channel", mr.CHANNEL_LABELS))
        }
    return out


async def _current(uow: UnitOfWork, compound_id: str, year: int, month: int, *,
                   lock: bool = True) -> tuple[mr.MonthlyReport, bool]:
    """The report as it stands, and whether a row is stored for it.

    Only figures that cover the whole month stay frozen (D103): a draft (never handed in, or returned)
    is live, and so is one handed in on the 30th of a month that had not ended; those carry their
    sign-off state and history over fresh figures, so a case received on the 31st is in them.
    A signed report is always frozen, whole month or not: one signed mid-month before D103 holds the
    figures that were signed, and today's numbers under that signature would be a forgery (D103)."""
    stored = await _stored(uow, compound_id, year, month, lock=lock)
    if stored is not None and mr.figures_frozen(stored):
        return stored, True
    fresh = await _compute(uow, compound_id, year, month)
    return (mr.with_workflow_of(fresh, stored) if stored is not None else fresh), stored is not None


async def monthly(db: Database, who: Principal, year: int, month: int) -> mr.MonthlyReport:
    async with db.transaction(write=False) as uow:
        await _require_lived(uow, who.compound_id, year, month)
        return (await _current(uow, who.compound_id, year, month, lock=False))[0]


async def _quality(uow: UnitOfWork, compound_id: str, report: mr.MonthlyReport, first: date) -> mr.MonthQuality:
    """The month's weekly checks beside the report (R-RV-4), read live: the checks are the manager's
    record, and a CAPA report filed or signed off after the summary was handed in shows as it stands."""
    zone = (await compound_rules(uow, compound_id)).calendar.zone
    month_days = mr.month_bounds(report.year, report.month, zone)
    first_of_month, last_day = month_days[0].date(), (month_days[1] - timedelta(days=1)).date()
    rows = (await uow.conn.execute(select(weekly_checks.c.doc).where(
        weekly_checks.c.compound_id == compound_id, weekly_checks.c.week_start >= first_of_month,
        weekly_checks.c.week_start <= last_day))).all()
    checks = [_check_dec.decode(r.doc) for r in rows]
    names = {r.id: r.display_name for r in (await uow.conn.execute(select(users.c.id, users.c.display_name).where(
        users.c.compound_id == compound_id, users.c.id.in_({c.checked_by for c in checks})))).all()} if checks else {}
    return mr.month_quality(report, checks, first_day=first, today=uow.now.astimezone(zone).date(), names=names)


async def _view(uow: UnitOfWork, who: Principal, report: mr.MonthlyReport, first: date) -> dict[str, Any]:
    tz = (await compound_rules(uow, who.compound_id)).calendar.tz
    names = await _signer_names(uow.conn, who.compound_id, report)
    view = report_view(report, tz, names, now=uow.now, first_day=first)
    view["quality"] = msgspec.to_builtins(await _quality(uow, who.compound_id, report, first))
    return view


async def monthly_view(db: Database, who: Principal, year: int, month: int) -> dict[str, Any]:
    async with db.transaction(write=False) as uow:
        first = await _require_lived(uow, who.compound_id, year, month)
        report = (await _current(uow, who.compound_id, year, month, lock=False))[0]
        return await _view(uow, who, report, first)


async def _step(db: Database, who: Principal, year: int, month: int, action: str, step) -> dict[str, Any]:  # noqa: ANN001
    """One sign-off step on the report as it stands, saved and audited in one transaction."""
    async with db.transaction() as uow:
        first = await _require_lived(uow, who.compound_id, year, month)
        current, stored = await _current(uow, who.compound_id, year, month)
        report = step(current, uow.now, await _quality(uow, who.compound_id, current, first))
        await _save(uow, who.compound_id, report, created=not stored)
        last = report.history[-1] if report.history else None
        uow.audit(entity="monthly_report", entity_id=f"{year}-{month:02d}", action=f"monthly_report.{action}",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  compound_id=who.compound_id,
                  data={"late": report.submitted_late, "reason": last.reason if last else "",
                        # what the manager signed knowing: weeks unchecked, poor quality without CAPA
                        "warnings": [str(w) for w in last.warnings] if last else [],
                        # a signature taken back is named in the audit as well as kept in the history
                        "previous_signed_by": current.signed_by, "previous_signed_at":
                            current.signed_at.isoformat() if current.signed_at else None})
        return await _view(uow, who, report, first)


async def submit(db: Database, who: Principal, year: int, month: int) -> dict[str, Any]:
    role = acting_role(who, sorted(mr.FILLERS))
    return await _step(db, who, year, month, "submitted", lambda rep, now, _q: mr.submit_report(
        rep, by_role=role, by_id=who.user_id, now=now))


async def sign(db: Database, who: Principal, year: int, month: int, comment: str) -> dict[str, Any]:
    role = acting_role(who, (Role.MANAGER,))
    # Weeks unchecked and poor quality without a CAPA report are recorded with the signature, not
    # refused: the page warns the manager first, who may have reasons (D134).
    return await _step(db, who, year, month, "signed", lambda rep, now, quality: mr.sign_report(
        rep, by_role=role, by_id=who.user_id, comment=comment, now=now, warnings=quality.sign_warnings))


async def return_report(db: Database, who: Principal, year: int, month: int, reason: str) -> dict[str, Any]:
    role = acting_role(who, (Role.MANAGER,))
    return await _step(db, who, year, month, "returned", lambda rep, now, _q: mr.return_report(
        rep, by_role=role, by_id=who.user_id, reason=reason, now=now))


async def reopen(db: Database, who: Principal, year: int, month: int, reason: str) -> dict[str, Any]:
    role = acting_role(who, (Role.GENERAL_MANAGER,))
    return await _step(db, who, year, month, "reopened", lambda rep, now, _q: mr.reopen_report(
        rep, by_role=role, by_id=who.user_id, reason=reason, now=now))


async def export_xlsx(db: Database, who: Principal, year: int, month: int, lang: str = "zh") -> bytes:
    """The workbook in the desk's language (`lang`: "zh", the default, or "en"; D71)."""
    from server.reports.xlsx import monthly_report_xlsx

    async with db.transaction(write=False) as uow:
        first = await _require_lived(uow, who.compound_id, year, month)
        report = (await _current(uow, who.compound_id, year, month, lock=False))[0]
        tz = (await compound_rules(uow, who.compound_id)).calendar.zone
        names = await _signer_names(uow.conn, who.compound_id, report)
        quality = await _quality(uow, who.compound_id, report, first)
    return monthly_report_xlsx(report, tz=tz, names=names, lang=lang, quality=quality)
