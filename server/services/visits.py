"""Return visits: the call-back owed after each job, the caller's A/B/C grades, periodic surveys.

Rules: R-FU-6 (slip back within 24 h, call-back within 72 h after the slip returned), R-RV-1..3,
R-SS-5. Each round of work on a case gets one call-back task when it is done (idempotent: keyed by
the case and the round): the first work, and each redo after an unsatisfied call-back reopened the
case, so the resident is asked whether the rework fixed it (D133). A C grade opens the manager's
review; a C on the work itself also reopens the case, and counts it as rework.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import and_, insert, or_, select, update

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.cases import Case, Kind
from server.domain.errors import fail
from server.domain.roles import Role
from server.ids import new_id
from server.services.acting import acting_role
from server.storage.db import Database, UnitOfWork
from server.storage.tables_services import call_backs, monthly_reports, surveys

_enc = msgspec.json.Encoder()


class CallBackRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The stored call-back: the domain task, the case it belongs to, and its review when graded C."""

    task: sv.CallBackTask
    compound_id: str
    case_id: str
    case_no: str
    review: str | None = None  # open | done
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


_rec_dec = msgspec.json.Decoder(CallBackRecord)
_survey_dec = msgspec.json.Decoder(sv.PeriodicSurvey)
_report_dec = msgspec.json.Decoder(mr.MonthlyReport)

CALLERS = tuple(sorted(sv.CALL_BACK_ROLES))


# A grade as the desk's form sends it: "" (or null) is the select's "choose a grade" left as it was.
GradeIn = Literal["A", "B", "C", ""] | None


class CallBackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # No grade at all is refused as survey.no_grades, a blank one as survey.grade_missing: the
    # caller is told which, never the generic request.invalid (R-RV-3).
    grades: dict[sv.SurveyArea, GradeIn] = {}
    comment: str = ""


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: str


class SurveyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(max_length=100)]
    issued: int
    # The month whose report counts the survey, "2026-11"; none: the current month (D139).
    period: str | None = None


class BallotIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # An area the resident left blank is simply not sent: it is not graded on this ballot (R-RV-3).
    grades: dict[sv.SurveyArea, sv.Grade]
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # The desk's own id for the ballot: a retried post records it once (D139).
    id: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    unit: Annotated[str, msgspec.Meta(max_length=40)] = ""


def _subject(case: Case) -> sv.CallBackSubject:
    if case.kind == Kind.COMPLAINT:
        return sv.CallBackSubject.COMPLAINT
    if case.kind == Kind.SPECIAL_SERVICE:
        return sv.CallBackSubject.SPECIAL_SERVICE
    return sv.CallBackSubject.REPAIR


async def _save(uow: UnitOfWork, rec: CallBackRecord, *, created: bool = False) -> None:
    values = dict(due_at=rec.task.due_at, called_back_at=rec.task.called_back_at, review=rec.review,
                  doc=_enc.encode(rec).decode())
    if created:
        await uow.conn.execute(insert(call_backs).values(
            id=rec.task.id, compound_id=rec.compound_id, subject=str(rec.task.subject),
            subject_id=rec.case_id, completion_round=rec.task.completion_round, **values))
    else:
        await uow.conn.execute(update(call_backs).where(call_backs.c.id == rec.task.id).values(**values))


async def on_case_saved(uow: UnitOfWork, case: Case) -> None:
    """Called after every case save: opens the call-back of the current round of work once it is done,
    and moves its due time to 72 h after the slip came back (R-FU-6). Saving the case again changes
    nothing; a round redone after a reopening gets a call-back of its own (D133)."""
    from server.services import catalogue

    await catalogue.on_case_saved(uow, case)
    done = dc.round_done(case)
    if done is None:
        return
    row = (await uow.conn.execute(select(call_backs.c.doc).where(
        call_backs.c.subject == str(_subject(case)), call_backs.c.subject_id == case.id,
        call_backs.c.completion_round == done.round))).first()
    returned = case.slip.slip_returned_at if case.slip is not None else None
    if case.kind == Kind.COMPLAINT and case.slip is None and case.close is not None:
        returned = case.close.closed_at  # a complaint has no slip: the close is its paperwork
    if row is None:
        task = sv.open_call_back(id=new_id("cbk_"), subject=_subject(case), subject_id=case.id,
                                 completed_at=done.at, staff_ids=done.staff_ids, completion_round=done.round)
        if returned is not None:
            task = sv.record_slip_returned(task, at=returned)
        await _save(uow, CallBackRecord(task=task, compound_id=case.compound_id, case_id=case.id,
                                        case_no=case.no), created=True)
        return
    rec = _rec_dec.decode(row.doc)
    if returned is not None and rec.task.slip_returned_at is None:
        rec = msgspec.structs.replace(rec, task=sv.record_slip_returned(rec.task, at=returned))
        await _save(uow, rec)


def _view(rec: CallBackRecord, now: datetime, about: dict[str, Any] | None = None) -> dict[str, Any]:
    t = rec.task
    return {
        **(about if about is not None else _NOTHING_ABOUT),
        "id": t.id, "case_id": rec.case_id, "case_no": rec.case_no, "subject": str(t.subject),
        "completion_round": t.completion_round,
        "completed_at": t.completed_at, "slip_due_at": t.slip_due_at, "slip_returned_at": t.slip_returned_at,
        "slip_late": sv.slip_late(t, now), "due_at": t.due_at, "overdue": sv.call_back_overdue(t, now),
        "called_back_at": t.called_back_at, "called_back_by": t.called_back_by,
        "grades": {str(k): str(v) for k, v in t.grades.items()}, "comment": t.comment,
        "reopen_for_review": t.reopen_for_review, "counts_as_rework": sv.counts_as_rework(t),
        "review": rec.review, "review_note": rec.review_note, "reviewed_by": rec.reviewed_by,
        "reviewed_at": rec.reviewed_at, "staff_ids": list(t.staff_ids),
    }


# What the caller needs beside the task to make the call (R-FU-6): whom to ring, about what, who did
# the work, and what the resident already said on the slip they signed (D33). Read from the case as
# it is now, so a corrected phone number reaches the caller.
_NOTHING_ABOUT: dict[str, Any] = {
    "kind": None, "resident_name": "", "unit": "", "phone": "", "content": "", "work_done": "",
    "executors": [], "resident_grade": None, "resident_opinion": "", "area": str(sv.SurveyArea.OVERALL),
}


async def _about(conn, recs: list[CallBackRecord]) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    """Per case id: the call's who and what, read in chunks of 500 (one query for the cases, one
    for the staff names)."""
    from server.services.cases import case_category, decode_case
    from server.storage.schema import cases, users

    ids = list(dict.fromkeys(r.case_id for r in recs))
    found: dict[str, Case] = {}
    for i in range(0, len(ids), 500):
        for row in (await conn.execute(select(cases.c.id, cases.c.doc).where(cases.c.id.in_(ids[i:i + 500])))).all():
            found[row.id] = decode_case(row.doc)
    staff: dict[str, list[str]] = {}
    for rec in recs:
        case = found.get(rec.case_id)
        # The executor who signed the slip first, then anyone else whose work order was completed.
        signed = case.slip.executor_id if case is not None and case.slip is not None else None
        staff[rec.case_id] = list(dict.fromkeys(x for x in (signed, *rec.task.staff_ids) if x))
    names: dict[str, str] = {}
    wanted = sorted({x for xs in staff.values() for x in xs})
    for i in range(0, len(wanted), 500):
        for row in (await conn.execute(select(users.c.id, users.c.display_name).where(
                users.c.id.in_(wanted[i:i + 500])))).all():
            names[row.id] = row.display_name
    out: dict[str, dict[str, Any]] = {}
    for case_id, case in found.items():
        slip = case.slip
        out[case_id] = {
            "kind": str(case.kind), "resident_name": case.contact_name, "unit": case.address,
            "phone": case.phone, "content": case.content, "work_done": slip.work_done if slip else "",
            "executors": [{"id": x, "name": names.get(x, x)} for x in staff[case_id]],
            # The resident's own grade on the signed slip (C = 住户不满意), as the case view shows it.
            "resident_grade": str(slip.resident_grade) if slip and slip.resident_grade else None,
            "resident_opinion": slip.resident_opinion if slip else "",
            # The survey area the call asks about first, from the case's kind and category (R-RV-2, D100).
            "area": str(sv.call_back_area(str(case.kind), case_category(case))),
        }
    return out


async def list_call_backs(db: Database, who: Principal, status: str | None = None,
                          case_id: str | None = None) -> list[dict[str, Any]]:
    """The compound's call-backs, or one case's (the case page shows its own, D100)."""
    q = select(call_backs.c.doc).where(call_backs.c.compound_id == who.compound_id)
    if case_id:
        # Keyed by (subject, subject_id): naming every subject lets the unique index find the case's.
        q = q.where(call_backs.c.subject.in_([str(x) for x in sv.CallBackSubject]),
                    call_backs.c.subject_id == case_id)
    if status == "due":
        q = q.where(call_backs.c.called_back_at.is_(None))
    elif status == "done":
        q = q.where(call_backs.c.called_back_at.is_not(None))
    elif status == "review":
        q = q.where(call_backs.c.review == "open")
    async with db.read() as conn:
        rows = (await conn.execute(q.order_by(call_backs.c.due_at).limit(1000))).all()
        recs = [_rec_dec.decode(r.doc) for r in rows]
        about = await _about(conn, recs)
    now = db.clock.now()
    return [_view(rec, now, about.get(rec.case_id)) for rec in recs]


async def _load(uow: UnitOfWork, who: Principal, task_id: str) -> CallBackRecord:
    q = select(call_backs.c.doc).where(call_backs.c.id == task_id, call_backs.c.compound_id == who.compound_id)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("call_back.not_found", "未找到回访任务", "No such call-back", kind="not_found")
    return _rec_dec.decode(row.doc)


async def _work_areas(uow: UnitOfWork, case_id: str) -> frozenset[sv.SurveyArea]:
    """The survey areas that grade this case's work (D133), from its kind and category."""
    from server.services.cases import case_category, decode_case
    from server.storage.schema import cases

    row = (await uow.conn.execute(select(cases.c.doc).where(cases.c.id == case_id))).first()
    if row is None:
        return frozenset()
    case = decode_case(row.doc)
    return sv.work_areas(str(case.kind), case_category(case))


async def record_call_back(db: Database, who: Principal, task_id: str, data: CallBackIn) -> dict[str, Any]:
    """Grades per survey area (R-RV-2); any C opens a review of the case and counts it as rework."""
    from server.services.cases import apply

    async with db.transaction() as uow:
        rec = await _load(uow, who, task_id)
        role = acting_role(who, CALLERS)
        blank = sorted(str(k) for k, v in data.grades.items() if not v)
        if blank and role in sv.CALL_BACK_ROLES and rec.task.called_back_at is None:
            # The desk's grade select starts on "choose a grade": left there, nothing is recorded.
            raise fail("survey.grade_missing", "请选择回访评价(A/B/C)", "Choose a grade (A, B or C) for the call-back",
                       kind="invalid", missing=blank)
        grades = {k: sv.Grade(v) for k, v in data.grades.items() if v}
        work = await _work_areas(uow, rec.case_id)
        task = sv.record_call_back(rec.task, by_role=role, by_id=who.user_id,
                                   grades=grades, comment=data.comment, now=uow.now, work_areas=work)
        review = sv.needs_review(task)
        rec = msgspec.structs.replace(rec, task=task, review="open" if review else None)
        await _save(uow, rec)
        uow.audit(entity="call_back", entity_id=task.id, action="call_back.recorded", actor_id=who.user_id,
                  actor_role=who.primary_role, device_id=who.device_id, case_id=rec.case_id,
                  compound_id=who.compound_id,
                  data={"grades": {str(k): str(v) for k, v in task.grades.items()},
                        "reopen_for_review": task.reopen_for_review, "review_opened": review})
        grades = " ".join(f"{sv.AREA_LABELS[k][0]}:{v}" for k, v in task.grades.items())
        note = f"回访结果 {grades}" + (f";{data.comment}" if data.comment.strip() else "")
        # A C on the work itself sends it back to be redone; a C elsewhere only to the manager (D133).
        outcome = ";不满意,退回返修并转经理复查" if task.reopen_for_review else ";不满意,转经理复查" if review else ""

        def step(case: Case):  # noqa: ANN202
            if task.reopen_for_review and case.state in (dc.CaseState.COMPLETED, dc.CaseState.CLOSED):
                # The work goes back to the desk to be redone, and counts as rework.
                return dc.reopen_for_review(case, reason=note + outcome, by=who.user_id, now=uow.now)
            if case.state in (dc.CaseState.CLOSED, dc.CaseState.NOT_OPENED):
                return dc.add_note(case, text=note + outcome, by=who.user_id, now=uow.now)
            # Still open: the follow-up stops the deadline engine's call-back clock (R-FU-6).
            return dc.record_follow_up(case, kind=dc.FollowUpKind.CALLBACK, by=who.user_id, now=uow.now,
                                       note=note + outcome)

        await apply(uow, who, rec.case_id, step)
        return _view(rec, uow.now, (await _about(uow.conn, [rec])).get(rec.case_id))


async def close_review(db: Database, who: Principal, task_id: str, note: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        rec = await _load(uow, who, task_id)
        if rec.review != "open":
            raise fail("call_back.no_open_review", "该回访没有待复查事项", "This call-back has no open review")
        if not note.strip():
            raise fail("call_back.note_required", "须填写复查结论", "A review note is required", kind="invalid")
        rec = msgspec.structs.replace(rec, review="done", review_note=note.strip(), reviewed_by=who.user_id,
                                      reviewed_at=uow.now)
        await _save(uow, rec)
        # The case history is where the desk reads how the review ended (R-FU-6): the conclusion and
        # who reached it go into the entry, not only into the call-back record.
        uow.audit(entity="call_back", entity_id=rec.task.id, action="call_back.review_closed",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  case_id=rec.case_id, compound_id=who.compound_id,
                  data={"conclusion": rec.review_note, "reviewed_by": who.user_id})
        return _view(rec, uow.now, (await _about(uow.conn, [rec])).get(rec.case_id))


async def call_back_rounds(conn, case_ids: list[str]) -> dict[str, list[sv.CallBackTask]]:  # noqa: ANN001
    """Each case's call-backs, one per round of work, in round order."""
    out: dict[str, list[sv.CallBackTask]] = {}
    # Naming every subject lets both engines look the ids up in the (subject, subject_id, round) unique
    # index; without it each chunk scanned the whole table (the monthly report at a year's scale).
    subjects = [str(s) for s in sv.CallBackSubject]
    for i in range(0, len(case_ids), 500):
        rows = (await conn.execute(select(call_backs.c.doc).where(
            call_backs.c.subject.in_(subjects), call_backs.c.subject_id.in_(case_ids[i:i + 500])))).all()
        for r in rows:
            rec = _rec_dec.decode(r.doc)
            out.setdefault(rec.case_id, []).append(rec.task)
    for tasks in out.values():
        tasks.sort(key=lambda t: t.completion_round)
    return out


async def call_backs_for(conn, case_ids: list[str]) -> dict[str, sv.CallBackTask]:  # noqa: ANN001
    """Each case's call-back on its latest round of work: the one its R-FU-6 call-back clock follows."""
    return {case_id: tasks[-1] for case_id, tasks in (await call_back_rounds(conn, case_ids)).items()}


# --- periodic surveys (R-RV-1, R-RV-3) -------------------------------------------------------
# The manager opens a survey for a month, the desk enters the returned ballots one by one (a typed
# mistake is withdrawn while the survey is open), the manager closes it; the month's report counts
# the last survey opened for that month (D139).


def _period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def survey_summary(s: sv.PeriodicSurvey, tz: tzinfo, names: dict[str, str] | None = None,
                   closed: dict[str, sv.ClosedMonth] | None = None) -> dict[str, Any]:
    """What the list of surveys shows: the figures, not the ballots. `closed`: the months whose report is
    frozen (closed_months); the survey's own is `month_closed`, and the page then offers no ballot entry."""
    names = names or {}
    period = sv.survey_period(s, tz)
    month_closed = (closed or {}).get(period)
    return {
        "id": s.id, "title": s.title, "period": period, "opened_at": s.opened_at,
        "month_closed": msgspec.to_builtins(month_closed) if month_closed else None,
        "opened_by": s.opened_by, "opened_by_name": names.get(s.opened_by, s.opened_by),
        "issued": s.issued, "returned": sv.returned(s), "closed_at": s.closed_at, "closed_by": s.closed_by,
        "overall": msgspec.to_builtins(next(r for r in _rates(s) if r.key == f"satisfaction.{sv.SurveyArea.OVERALL}")),
    }


def _rates(s: sv.PeriodicSurvey):  # noqa: ANN202
    from server.domain.monthly_report import satisfaction_rates

    return satisfaction_rates(s)


def survey_view(s: sv.PeriodicSurvey, tz: tzinfo, names: dict[str, str] | None = None,
                closed: dict[str, sv.ClosedMonth] | None = None) -> dict[str, Any]:
    """The survey itself: its rates as the monthly report computes them (R-RV-3), each area's A/B/C,
    its ballots, and the names of everyone who opened, closed or entered (an id names nobody)."""
    names = names or {}
    people = {x: names.get(x, x) for x in (s.opened_by, s.closed_by, *(b.entered_by for b in s.ballots)) if x}
    return {
        **survey_summary(s, tz, names, closed),
        "rates": msgspec.to_builtins(_rates(s)),
        "tally": [{"area": str(t.area), "a": t.a, "b": t.b, "c": t.c, "graded": t.graded}
                  for t in sv.satisfaction_by_area(s)],
        "ballots": [{"id": b.id, "grades": {str(k): str(v) for k, v in b.grades.items()}, "comment": b.comment,
                     "unit": b.unit, "entered_by": b.entered_by, "entered_at": b.entered_at} for b in s.ballots],
        "people": people,
    }


async def _names(conn, compound_id: str, surveys_: list[sv.PeriodicSurvey]) -> dict[str, str]:  # noqa: ANN001
    from server.storage.schema import users

    ids = sorted({x for s in surveys_ for x in (s.opened_by, s.closed_by, *(b.entered_by for b in s.ballots)) if x})
    if not ids:
        return {}
    rows = (await conn.execute(select(users.c.id, users.c.display_name).where(
        users.c.compound_id == compound_id, users.c.id.in_(ids)))).all()
    return {r.id: r.display_name for r in rows}


async def _zone(uow_or_conn, compound_id: str) -> tzinfo:  # noqa: ANN001
    from server.services.cases import compound_rules

    return (await compound_rules(uow_or_conn, compound_id)).calendar.zone


async def _month_closed(uow: UnitOfWork, compound_id: str, period: str, *, lock: bool = True) -> sv.ClosedMonth | None:
    """The survey month's report, if frozen (R-RV-3, D103). A step that changes the survey locks the row
    (`lock`) until commit, so a hand-in, signature or reopening of that month waits for a ballot being
    entered, and its figures then count it."""
    year, month = sv.parse_period(period)
    q = select(monthly_reports.c.doc).where(monthly_reports.c.compound_id == compound_id,
                                            monthly_reports.c.year == year, monthly_reports.c.month == month)
    row = (await uow.conn.execute(uow.for_update(q) if lock else q)).first()
    return mr.survey_month_closed(_report_dec.decode(row.doc) if row is not None else None)


async def closed_months(conn, compound_id: str) -> dict[str, sv.ClosedMonth]:  # noqa: ANN001
    """Every month whose report no longer reads its survey, by period ("2026-11")."""
    rows = (await conn.execute(select(monthly_reports.c.doc).where(
        monthly_reports.c.compound_id == compound_id,
        monthly_reports.c.status.in_([str(mr.ReportStatus.SUBMITTED), str(mr.ReportStatus.SIGNED)])))).all()
    found = (mr.survey_month_closed(_report_dec.decode(r.doc)) for r in rows)
    return {c.period: c for c in found if c is not None}


async def _closed_now(uow: UnitOfWork, who: Principal, s: sv.PeriodicSurvey) -> sv.ClosedMonth | None:
    """The survey's month as it stands, for an answer that changes no ballot (no lock taken)."""
    return await _month_closed(uow, who.compound_id, sv.survey_period(s, await _zone(uow, who.compound_id)), lock=False)


async def _answer(uow: UnitOfWork, who: Principal, s: sv.PeriodicSurvey, closed: sv.ClosedMonth | None) -> dict[str, Any]:
    """The survey as the page shows it; `closed` is its month's state, read in the same transaction."""
    return survey_view(s, await _zone(uow, who.compound_id), await _names(uow.conn, who.compound_id, [s]),
                       {closed.period: closed} if closed else None)


def _audit(uow: UnitOfWork, who: Principal, s: sv.PeriodicSurvey, action: str, data: dict[str, Any]) -> None:
    uow.audit(entity="survey", entity_id=s.id, action=action, actor_id=who.user_id, actor_role=who.primary_role,
              device_id=who.device_id, compound_id=who.compound_id, data=data)


async def open_survey(db: Database, who: Principal, data: SurveyIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        tz = await _zone(uow, who.compound_id)
        period = data.period if data.period is not None else _period_of(uow.now.astimezone(tz))
        role = acting_role(who, (Role.MANAGER,))
        # The role first, then the month: a malformed month is refused before any report is read for it.
        closed = None
        if role in sv.SURVEY_ROLES:
            sv.parse_period(period)
            closed = await _month_closed(uow, who.compound_id, period)
        s = sv.open_survey(id=new_id("srv_"), title=data.title.strip() or "定期综合回访", issued=data.issued,
                           period=period, by_role=role, by_id=who.user_id, now=uow.now, closed=closed)
        await uow.conn.execute(insert(surveys).values(id=s.id, compound_id=who.compound_id, opened_at=s.opened_at,
                                                      period=s.period, doc=_enc.encode(s).decode()))
        _audit(uow, who, s, "survey.opened", {"issued": s.issued, "period": s.period})
        return await _answer(uow, who, s, closed)


async def _load_survey(uow: UnitOfWork, who: Principal, survey_id: str) -> sv.PeriodicSurvey:
    q = select(surveys.c.doc).where(surveys.c.id == survey_id, surveys.c.compound_id == who.compound_id)
    q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    if row is None:
        raise fail("survey.not_found", "未找到该回访调查", "No such survey", kind="not_found")
    return _survey_dec.decode(row.doc)


async def _store(uow: UnitOfWork, s: sv.PeriodicSurvey) -> None:
    await uow.conn.execute(update(surveys).where(surveys.c.id == s.id).values(doc=_enc.encode(s).decode()))


async def add_ballot(db: Database, who: Principal, survey_id: str, data: BallotIn) -> dict[str, Any]:
    async with db.transaction() as uow:
        before = await _load_survey(uow, who, survey_id)
        closed = await _month_closed(uow, who.compound_id, sv.survey_period(before, await _zone(uow, who.compound_id)))
        ballot = sv.Ballot(id=data.id or new_id("bal_"), grades=dict(data.grades), comment=data.comment.strip(),
                           unit=data.unit.strip(), entered_by=who.user_id, entered_at=uow.now)
        s = sv.record_ballot(before, ballot, closed=closed)
        if s is not before:  # a retried ballot already recorded changes nothing
            await _store(uow, s)
            _audit(uow, who, s, "survey.ballot_entered", {"ballot_id": ballot.id, "returned": sv.returned(s)})
        return await _answer(uow, who, s, closed)


async def withdraw_ballot(db: Database, who: Principal, survey_id: str, ballot_id: str) -> dict[str, Any]:
    """A ballot typed by mistake is taken out while the survey is open; the audit trail keeps what it said."""
    async with db.transaction() as uow:
        before = await _load_survey(uow, who, survey_id)
        closed = await _month_closed(uow, who.compound_id, sv.survey_period(before, await _zone(uow, who.compound_id)))
        s = sv.withdraw_ballot(before, ballot_id, closed=closed)
        gone = next(b for b in before.ballots if b.id == ballot_id)
        await _store(uow, s)
        _audit(uow, who, s, "survey.ballot_withdrawn", {
            "ballot_id": ballot_id, "grades": {str(k): str(v) for k, v in gone.grades.items()},
            "comment": gone.comment, "unit": gone.unit, "returned": sv.returned(s)})
        return await _answer(uow, who, s, closed)


async def close_survey(db: Database, who: Principal, survey_id: str) -> dict[str, Any]:
    async with db.transaction() as uow:
        s = sv.close_survey(await _load_survey(uow, who, survey_id), by_role=acting_role(who, (Role.MANAGER,)),
                            by_id=who.user_id, now=uow.now)
        await _store(uow, s)
        _audit(uow, who, s, "survey.closed", {"issued": s.issued, "returned": sv.returned(s)})
        return await _answer(uow, who, s, await _closed_now(uow, who, s))


async def get_survey(db: Database, who: Principal, survey_id: str) -> dict[str, Any]:
    async with db.transaction(write=False) as uow:
        s = await _load_survey(uow, who, survey_id)
        return await _answer(uow, who, s, await _closed_now(uow, who, s))


async def list_surveys(db: Database, who: Principal) -> list[dict[str, Any]]:
    """Newest opened first; `in_report` marks the one its month's report counts (the last opened for it)."""
    async with db.read() as conn:
        rows = (await conn.execute(select(surveys.c.doc).where(surveys.c.compound_id == who.compound_id)
                                   .order_by(surveys.c.opened_at.desc(), surveys.c.id.desc()))).all()
        found = [_survey_dec.decode(r.doc) for r in rows]
        tz = await _zone(conn, who.compound_id)
        names = await _names(conn, who.compound_id, [msgspec.structs.replace(s, ballots=()) for s in found])
        closed = await closed_months(conn, who.compound_id) if found else {}
    counted: set[str] = set()
    out = []
    for s in found:
        row = survey_summary(s, tz, names, closed)
        row["in_report"] = row["period"] not in counted
        counted.add(row["period"])
        out.append(row)
    return out


async def list_closed_months(db: Database, who: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        closed = await closed_months(conn, who.compound_id)
    return [msgspec.to_builtins(closed[p]) for p in sorted(closed)]


async def survey_of_month(conn, compound_id: str, start: datetime, end: datetime) -> sv.PeriodicSurvey | None:  # noqa: ANN001
    """The month's survey: the last one opened for the month (`start` is its first instant in the
    compound's zone); a survey opened before surveys named their month counts in the month it was opened."""
    row = (await conn.execute(select(surveys.c.doc).where(
        surveys.c.compound_id == compound_id,
        or_(surveys.c.period == _period_of(start),
            and_(surveys.c.period.is_(None), surveys.c.opened_at >= start, surveys.c.opened_at < end)))
        .order_by(surveys.c.opened_at.desc(), surveys.c.id.desc()).limit(1))).first()
    return _survey_dec.decode(row.doc) if row is not None else None


async def seed_services_demo(db: Database, compound_id: str) -> None:
    """Demo content for this feature: the approved price list and a few keys."""
    from server.services import catalogue, keyring

    await catalogue.seed_demo(db, compound_id)
    await keyring.seed_demo(db, compound_id)
