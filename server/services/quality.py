"""The manager's weekly quality check and its corrective-and-preventive-action report (R-RV-4).

One stored check per compound and week (named by its Monday); the domain WeeklyCheck is the
document, the row's id is how the desk names it when filing the CAPA report number.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from server.auth.principal import Principal
from server.domain import monthly_report as mr
from server.domain.errors import fail
from server.domain.roles import Role
from server.ids import new_id
from server.input_guard import DatedIn
from server.notify import capa as capa_reminders
from server.services.acting import acting_role
from server.services.cases import compound_rules
from server.storage.db import Database, UnitOfWork
from server.storage.schema import users, weekly_checks

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(mr.WeeklyCheck)
RECENT_WEEKS = 52  # the list shows a year of checks


class WeeklyCheckIn(DatedIn, kw_only=True):
    week_start: date  # any day of the week; stored as its Monday
    cases_checked: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    # The verdict, 不合格 (true) or 合格 (false). Optional on the wire only so that a check without one
    # is refused by the rule with its own code (monthly_report.verdict_required), not as malformed.
    poor_quality: bool | None = None
    findings: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class CapaIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The report's paper number and what it says (D117). The texts default to empty so that a missing
    one is refused by the rule with its own code (monthly_report.capa_incomplete), naming it."""

    report_no: Annotated[str, msgspec.Meta(max_length=60)]
    problem: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    cause: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    corrective_action: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    preventive_action: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    owner_id: Annotated[str, msgspec.Meta(max_length=40)] = ""
    due_on: date | None = None


class CapaDecisionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    accept: bool
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class CapaDoneIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Empty by default so that a missing one is refused by the rule with its own code, naming it.
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


def decode_check(doc: str) -> mr.WeeklyCheck:
    return _dec.decode(doc)


async def _checked_weeks(uow: UnitOfWork, compound_id: str) -> set[date]:
    rows = await uow.conn.execute(select(weekly_checks.c.week_start).where(weekly_checks.c.compound_id == compound_id))
    return {r.week_start for r in rows}


def _audit(uow: UnitOfWork, who: Principal, check_id: str, action: str, data: dict) -> None:
    uow.audit(entity="weekly_check", entity_id=check_id, action=action, actor_id=who.user_id,
              actor_role=who.primary_role, device_id=who.device_id, compound_id=who.compound_id, data=data)


def _not_yet_begun(week_start: date, today: date) -> None:
    """A week is checked from its records; one that has not begun has none. Recording it early also
    took the week, so the real check later was refused as already done (R-RV-4)."""
    if mr.week_of(week_start) > mr.week_of(today):
        raise fail("monthly_report.week_not_begun", "该周尚未开始，不能记录质量检查",
                   "That week has not begun yet; it cannot be checked", kind="invalid",
                   week_start=mr.week_of(week_start).isoformat())


async def record(db: Database, who: Principal, data: WeeklyCheckIn) -> tuple[str, mr.WeeklyCheck]:
    async with db.transaction() as uow:
        zone = (await compound_rules(uow, who.compound_id)).calendar.zone
        _not_yet_begun(data.week_start, uow.now.astimezone(zone).date())
        check = mr.record_weekly_check(
            week_start=data.week_start, cases_checked=data.cases_checked, poor_quality=data.poor_quality,
            findings=data.findings, by_role=acting_role(who, (Role.MANAGER,)), by_id=who.user_id, now=uow.now,
            checked_weeks=await _checked_weeks(uow, who.compound_id))
        check_id = new_id("wck_")
        try:
            await uow.conn.execute(insert(weekly_checks).values(
                id=check_id, compound_id=who.compound_id, week_start=check.week_start,
                doc=_enc.encode(check).decode()))
        except IntegrityError:
            # Two checks of the same week at once (PostgreSQL): the unique key decides, the rule speaks.
            raise mr.week_already_checked(check.week_start) from None
        _audit(uow, who, check_id, "weekly_check.recorded",
               {"week_start": check.week_start.isoformat(), "poor_quality": check.poor_quality})
        return check_id, check


async def list_checks(db: Database, who: Principal) -> list[tuple[str, mr.WeeklyCheck]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(weekly_checks.c.id, weekly_checks.c.doc)
                                   .where(weekly_checks.c.compound_id == who.compound_id)
                                   .order_by(weekly_checks.c.week_start.desc()).limit(RECENT_WEEKS))).all()
    return [(r.id, _dec.decode(r.doc)) for r in rows]


async def _locked_check(uow: UnitOfWork, who: Principal, check_id: str) -> mr.WeeklyCheck:
    q = select(weekly_checks.c.doc).where(weekly_checks.c.id == check_id,
                                          weekly_checks.c.compound_id == who.compound_id)
    row = (await uow.conn.execute(uow.for_update(q))).first()
    if row is None:
        raise fail("monthly_report.weekly_check_not_found", "未找到该周质量检查", "No such weekly check",
                   kind="not_found")
    return _dec.decode(row.doc)


async def _save(uow: UnitOfWork, check_id: str, check: mr.WeeklyCheck) -> None:
    await uow.conn.execute(update(weekly_checks).where(weekly_checks.c.id == check_id)
                           .values(doc=_enc.encode(check).decode()))


async def file_capa(db: Database, who: Principal, check_id: str, data: CapaIn) -> tuple[str, mr.WeeklyCheck]:
    async with db.transaction() as uow:
        check = await _locked_check(uow, who, check_id)
        zone = (await compound_rules(uow, who.compound_id)).calendar.zone
        content = mr.CapaContent(problem=data.problem, cause=data.cause, corrective_action=data.corrective_action,
                                 preventive_action=data.preventive_action, owner_id=data.owner_id, due_on=data.due_on)
        check = mr.file_capa(check, report_no=data.report_no, content=content,
                             today=uow.now.astimezone(zone).date(), by_role=acting_role(who, (Role.MANAGER,)),
                             by_id=who.user_id, now=uow.now)
        # The owner carries the actions out: an active staff account of this compound, not a typed name.
        owner = (await uow.conn.execute(select(users.c.roles).where(
            users.c.id == check.capa.owner_id, users.c.compound_id == who.compound_id,
            users.c.active.is_(True)))).scalar()
        if owner is None or Role.RESIDENT.value in msgspec.json.decode(owner):
            raise fail("monthly_report.capa_owner_unknown", "责任人须为本管理处在职员工",
                       "The owner must be an active staff member of this compound", kind="invalid",
                       owner_id=check.capa.owner_id)
        await _save(uow, check_id, check)
        await capa_reminders.schedule_for_check(uow, who.compound_id, check_id, check)
        _audit(uow, who, check_id, "weekly_check.capa_filed",
               {"capa_report_no": check.capa_report_no, "owner_id": check.capa.owner_id,
                "due_on": check.capa.due_on.isoformat() if check.capa.due_on else None})
        return check_id, check


async def decide_capa(db: Database, who: Principal, check_id: str,
                      data: CapaDecisionIn) -> tuple[str, mr.WeeklyCheck]:
    """The general manager accepts a filed CAPA report or sends it back with a reason (D117)."""
    async with db.transaction() as uow:
        check = mr.decide_capa(await _locked_check(uow, who, check_id), accept=data.accept, reason=data.reason,
                               by_role=acting_role(who, (Role.GENERAL_MANAGER,)), by_id=who.user_id, now=uow.now)
        await _save(uow, check_id, check)
        # Sent back, its reminders stop until it is filed anew (with its owner and date as then written).
        await capa_reminders.schedule_for_check(uow, who.compound_id, check_id, check)
        _audit(uow, who, check_id, f"weekly_check.capa_{check.capa_status}",
               {"capa_report_no": check.capa_report_no, "reason": check.capa_return_reason})
        return check_id, check


async def complete_capa(db: Database, who: Principal, check_id: str, data: CapaDoneIn) -> tuple[str, mr.WeeklyCheck]:
    """The manager records the report's actions as carried out; their reminders not yet sent are cancelled."""
    async with db.transaction() as uow:
        check = mr.complete_capa(await _locked_check(uow, who, check_id), note=data.note,
                                 by_role=acting_role(who, (Role.MANAGER,)), by_id=who.user_id, now=uow.now)
        await _save(uow, check_id, check)
        await capa_reminders.schedule_for_check(uow, who.compound_id, check_id, check)
        _audit(uow, who, check_id, "weekly_check.capa_done",
               {"capa_report_no": check.capa_report_no, "note": check.capa_done_note})
        return check_id, check
