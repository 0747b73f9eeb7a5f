"""Reminders a case already needed before the code that plans them existed, planned once at a scheduler's start.

Reminders are planned when a case is saved (server/notify/reminders.py). A referral passed up before
D78 — an opening waiting for a supervisor (R-OP-3) or a Monday review waiting for a manager (R-FU-3) —
was stored with no reminder, and would get one only when something else changed its case. The
scheduler's start plans them (D88): every case with a referral still waiting is planned as a save
would plan it, which also moves the D78 "everyone else" rows to the people D88 pushes.

Once per database, whatever the number of server processes: the work runs in one transaction that
first inserts its `one_time_tasks` row. On PostgreSQL a second process's insert waits on that key
until the first commits, then finds it taken and does nothing; if the first fails, its row goes with
its rollback and the next start tries again. Each case is re-read locked (`load_case`) before it is
planned, so a save racing the planning is either seen by it or plans after it (and cancels what the
case no longer needs). On SQLite, BEGIN IMMEDIATE serializes the writers anyway.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.domain import referrals as rf
from server.domain.cases import CaseState
from server.storage.db import Database, UnitOfWork
from server.storage.schema import cases, one_time_tasks

log = logging.getLogger(__name__)

# Named for the decision that made it needed: a later change of who is reminded would add its own.
WAITING_REFERRALS = "plan-waiting-referral-reminders-D88"
_ENDED = (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE)


async def claim_task(uow: UnitOfWork, name: str, instance: str) -> bool:
    """Take a once-per-database task by inserting its row; False when another start already took it.

    On PostgreSQL a second process's insert waits on the key until the first commits (then finds it
    taken); if the first rolls back, its row goes too and the next start tries again.
    """
    ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(one_time_tasks)
    claimed = (await uow.conn.execute(
        ins.values(name=name, done_at=uow.now, done_by=instance)
        .on_conflict_do_nothing(index_elements=[one_time_tasks.c.name])
        .returning(one_time_tasks.c.name)
    )).first()
    return claimed is not None


async def record_task(uow: UnitOfWork, name: str, detail: str) -> None:
    """What a claimed task did, on its row (read by whoever wonders why a start planned nothing)."""
    await uow.conn.execute(update(one_time_tasks).where(one_time_tasks.c.name == name).values(detail=detail))


async def plan_waiting_referrals(db: Database, *, instance: str) -> int | None:
    """Plan the reminders of every referral still waiting, once per database.

    Returns how many cases were planned, or None when the task was already done (by this process
    at an earlier start, or by another one).
    """
    from server.services import cases as svc  # circular: services import the notifier

    async with db.transaction() as uow:
        if not await claim_task(uow, WAITING_REFERRALS, instance):
            return None
        rows = (await uow.conn.execute(
            select(cases.c.id, cases.c.compound_id, cases.c.doc)
            .where(cases.c.state.not_in([str(s) for s in _ENDED])).order_by(cases.c.id)
        )).all()
        waiting: list[str] = []
        for row in rows:
            rules = await svc.compound_rules(uow, row.compound_id)
            if rf.referral_reminders(svc.decode_case(row.doc), rules.calendar):
                waiting.append(row.id)
        planned = 0
        for case_id in waiting:
            case = await svc.load_case(uow, case_id)  # locked on PostgreSQL: a racing save waits or is seen
            if rf.referral_reminders(case, (await svc.compound_rules(uow, case.compound_id)).calendar):
                await svc.replan_reminders(uow, case)
                planned += 1
        await record_task(uow, WAITING_REFERRALS, f"{planned} cases with a referral waiting planned")
    log.info("planned the reminders of %d waiting referrals", planned)
    return planned
