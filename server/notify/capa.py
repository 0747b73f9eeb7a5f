"""Reminders of a CAPA report's due date (R-RV-4): its owner before it, the owner and the managers after it.

The weekly quality check's corrective-and-preventive-action report names an owner and a due date (D117).
`capa_plan` is pure: while the actions are open (filed, not sent back, not recorded as done:
monthly_report.capa_actions_open) the owner is reminded on the morning of the due day — the start of
working hours, or of the last working day before it when the due day is a day off — and, if the actions
are still not recorded as done when the day is over, the owner and every manager are told once, when the
desk opens next. Each stage is one reminder per person (the reminders table's unique key, as for a case's
clocks); a stage a day past is stale news and is not planned any more (OVERDUE_STALE_AFTER).

`schedule_for_check` runs in the transaction that changes the report (filed, signed off or sent back,
recorded as done; server/services/quality.py) with the check's row locked, and stores the plan like a
case save (reminders.store_plan): what is no longer needed and not yet sent is cancelled. The scheduler
sends them, claimed through the database like every reminder, so each goes out once however many
server processes run. The rows' case_id is the check's id (reminders.case_of: no case).

`plan_open_capas` plans, once per database at a scheduler's start, the reports filed before their
reminders existed (as catch_up.py does for referrals).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from sqlalchemy import select

from server.domain import monthly_report as mr
from server.domain.calendar import BusinessCalendar
from server.domain.roles import Role
from server.notify import reminders as rm
from server.notify.catch_up import claim_task, record_task
from server.storage.db import Database, UnitOfWork
from server.storage.schema import weekly_checks

log = logging.getLogger(__name__)

CAPA_CODE = "CAPA_DUE"
LABEL_ZH, LABEL_EN = "纠正预防措施", "corrective and preventive action"
# Where a manager acts on it: the weekly checks on the review page (the owner's opens the inbox).
QUALITY_URL = "/#/review?focus=quality"
# Once per database: named for what it plans.
OPEN_CAPAS_TASK = "plan-open-capa-reminders"


def due_at(check: mr.WeeklyCheck, calendar: BusinessCalendar) -> datetime:
    """The actions are due by the end of the due day, in the compound's zone."""
    assert check.capa is not None and check.capa.due_on is not None
    return calendar.at(check.capa.due_on + timedelta(days=1), time(0, 0))


def capa_plan(
    check_id: str, check: mr.WeeklyCheck, calendar: BusinessCalendar, now: datetime, *, names: Mapping[str, str]
) -> list[rm.Planned]:
    """Every reminder the report needs at `now` (sent or not); what is not listed is not needed."""
    if not mr.capa_actions_open(check):
        return []
    capa = check.capa
    assert capa is not None and capa.due_on is not None
    due = due_at(check, calendar)
    remind = calendar.at(calendar.working_day_on_or_before(capa.due_on), calendar.work_start)
    chase = calendar.next_working_moment(due)
    day = calendar.shown_day(capa.due_on, now)
    owner = names.get(capa.owner_id) or capa.owner_id
    action = capa.corrective_action if len(capa.corrective_action) <= 60 else capa.corrective_action[:60] + "…"
    subject, subject_en = f"纠正预防措施报告 {check.capa_report_no}", f"CAPA report {check.capa_report_no}"
    common = dict(code=CAPA_CODE, due_at=due, tag=f"capa-{check_id}")
    out: list[rm.Planned] = []
    if now < due:
        out.append(rm.Planned(
            kind=rm.BEFORE_DUE, recipient_role=None, recipient_id=capa.owner_id, send_at=remind,
            title=f"{rm.DUE_SOON_ZH}{LABEL_ZH}", body=f"{subject}：{action}（完成期限 {day}，责任人：{owner}）",
            title_en=f"{rm.DUE_SOON_EN}{LABEL_EN}", body_en=f"{subject_en}: {action} (due {day}, owner: {owner})",
            late=rm.Texts(
                title=f"{rm.OVERDUE_ZH}{LABEL_ZH}", body=f"{subject}：{action}（已超时，完成期限 {day}，责任人：{owner}）",
                title_en=f"{rm.OVERDUE_EN}{LABEL_EN}",
                body_en=f"{subject_en}: {action} (overdue, was due {day}, owner: {owner})",
            ),
            **common,  # type: ignore[arg-type]
        ))
    if now - chase <= rm.OVERDUE_STALE_AFTER:
        late = dict(
            kind=rm.OVERDUE, send_at=chase, title=f"{rm.OVERDUE_ZH}{LABEL_ZH}",
            body=f"{subject}：{action}（完成期限 {day}，责任人：{owner}，尚未落实）",
            title_en=f"{rm.OVERDUE_EN}{LABEL_EN}",
            body_en=f"{subject_en}: {action} (was due {day}, owner: {owner}; not recorded as done)",
        )
        out.append(rm.Planned(recipient_role=None, recipient_id=capa.owner_id, **late, **common))  # type: ignore[arg-type]
        out.append(rm.Planned(recipient_role=Role.MANAGER, recipient_id=None, url=QUALITY_URL,
                              **late, **common))  # type: ignore[arg-type]
    return out


async def schedule_for_check(uow: UnitOfWork, compound_id: str, check_id: str, check: mr.WeeklyCheck) -> None:
    """Bring the report's stored reminders in line with what it needs now (the check's row locked)."""
    from server.services.cases import compound_rules  # circular: services import the notifier

    calendar = (await compound_rules(uow, compound_id)).calendar
    accounts = await rm.compound_accounts(uow, compound_id)
    planned = capa_plan(check_id, check, calendar, uow.now, names=accounts.names)
    # An owner whose account was deactivated since is not pushed; the managers still hear of an overdue report.
    active = {uid for ids in accounts.by_role.values() for uid in ids}
    planned = [p for p in planned if p.recipient_id is None or p.recipient_id in active]
    await rm.store_plan(uow, compound_id=compound_id, subject_id=check_id, payload_case_id=None,
                        planned=planned, accounts=accounts)


async def plan_open_capas(db: Database, *, instance: str) -> int | None:
    """Plan the reminders of every report whose actions are open, once per database.

    Returns how many reports were planned, or None when the task was already done (by this process at an
    earlier start, or by another one). On PostgreSQL a second process's insert of the task's row waits
    for the first to commit, then finds it taken; each check is re-read locked before it is planned, so
    a step on the report racing the planning is seen by it or plans after it.
    """
    from server.services.quality import decode_check  # circular: services import the notifier

    async with db.transaction() as uow:
        if not await claim_task(uow, OPEN_CAPAS_TASK, instance):
            return None
        rows = (await uow.conn.execute(select(weekly_checks.c.id, weekly_checks.c.compound_id, weekly_checks.c.doc)
                                       .order_by(weekly_checks.c.id))).all()
        planned = 0
        for row in rows:
            if not mr.capa_actions_open(decode_check(row.doc)):
                continue
            doc = (await uow.conn.execute(uow.for_update(
                select(weekly_checks.c.doc).where(weekly_checks.c.id == row.id)))).scalar_one()
            check = decode_check(doc)
            if mr.capa_actions_open(check):
                await schedule_for_check(uow, row.compound_id, row.id, check)
                planned += 1
        await record_task(uow, OPEN_CAPAS_TASK, f"{planned} CAPA reports with open actions planned")
    log.info("planned the reminders of %d CAPA reports with open actions", planned)
    return planned

