"""The Monday review's one reminder a week (R-FU-3), planned by the scheduler's round when its moment comes.

A case's reminders are planned when the case is saved (server/notify/reminders.py). The weekly review
belongs to no case, and how many cases it holds is known only on the day, so each round of the
scheduler (server/notify/scheduler.run_once) asks, per compound, whether the week's reminder is due
(reminders.monday_review_plan: during the review day's working hours the dispatchers' one, for a day
after its end the managers' one). The first round that finds one due counts the cases awaiting the
review (deadlines.awaits_monday_review, the test the review page and the cases' clocks make) and
stores one reminder per recipient, which that same round then sends. Nothing waits: nothing is stored.

Once per database for each compound, week and kind, however many server processes: the planning
inserts its `one_time_tasks` row in the transaction that stores the reminders (as catch_up.py does).
On PostgreSQL a second process's insert waits for the first to commit, then finds the row taken; on
SQLite, BEGIN IMMEDIATE serializes the writers. A process remembers what it found done, so a round
costs one read of the compounds table the rest of the week.
"""

from __future__ import annotations

import logging
from datetime import datetime
from weakref import WeakKeyDictionary

import msgspec
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.domain import deadlines
from server.domain.calendar import BusinessCalendar
from server.ids import new_id
from server.notify import reminders as rm
from server.notify.tables import reminders
from server.notify.webpush import encode_payload
from server.storage.db import Database, UnitOfWork
from server.storage.schema import cases, compounds, one_time_tasks

log = logging.getLogger(__name__)

# Per database: the weekly reminders this process found planned (by it or by another process).
_done: WeakKeyDictionary[Database, set[str]] = WeakKeyDictionary()


def _task_name(compound_id: str, due: datetime, kind: str) -> str:
    return f"monday-review:{compound_id}:{due.strftime('%Y-%m-%dT%H:%MZ')}:{kind}"


async def _awaiting(uow: UnitOfWork, compound_id: str, calendar: BusinessCalendar, now: datetime) -> int:
    """How many of the compound's cases this week's review has still to look at (its page's open rows)."""
    from server.services.cases import OPEN_STATES, decode_case  # circular: services import the notifier

    rows = (await uow.conn.execute(
        select(cases.c.doc).where(cases.c.compound_id == compound_id, cases.c.state.in_(OPEN_STATES),
                                  cases.c.received_at < calendar.week_start(now))
    )).all()
    return sum(deadlines.awaits_monday_review(decode_case(r.doc), calendar, now) for r in rows)


async def plan_monday_reviews(db: Database, now: datetime, *, instance: str) -> int:
    """Store the weekly review reminders due at `now` not yet planned; returns how many rows were stored."""
    done = _done.setdefault(db, set())
    async with db.lookup() as conn:
        rows = (await conn.execute(select(compounds.c.id, compounds.c.calendar).order_by(compounds.c.id))).all()
    stored = 0
    for row in rows:
        calendar = msgspec.json.decode(row.calendar or "{}", type=BusinessCalendar)
        # Which reminder is due now, whatever the count (one case or many, the same moment).
        probe = rm.monday_review_plan(calendar, now, awaiting=1)
        if not probe:
            continue
        name = _task_name(row.id, probe[0].due_at, probe[0].kind)
        if name in done:
            continue
        async with db.transaction() as uow:
            ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(one_time_tasks)
            claimed = (await uow.conn.execute(
                ins.values(name=name, done_at=now, done_by=instance)
                .on_conflict_do_nothing(index_elements=[one_time_tasks.c.name])
                .returning(one_time_tasks.c.name)
            )).first()
            if claimed is not None:
                awaiting = await _awaiting(uow, row.id, calendar, now)
                values = []
                planned = rm.monday_review_plan(calendar, now, awaiting)
                staff = (await rm.compound_accounts(uow, row.id)).by_role if planned else {}
                for p in planned:
                    payload = encode_payload(rm.payload_for(None, p)).decode("utf-8")
                    for rid in staff.get(str(p.recipient_role), []):
                        values.append(dict(
                            id=new_id("rem"), compound_id=row.id, case_id=rm.MONDAY_REVIEW_CASE, job_id=None,
                            code=p.code, kind=p.kind, recipient_id=rid, due_at=p.due_at, send_at=p.send_at,
                            payload=payload, state="pending", attempts=0, next_attempt_at=p.send_at,
                            delivered_to="[]", created_at=now, updated_at=now,
                        ))
                if values:
                    rins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(reminders)
                    await uow.conn.execute(rins.on_conflict_do_nothing(), values)
                stored += len(values)
                await uow.conn.execute(
                    update(one_time_tasks).where(one_time_tasks.c.name == name)
                    .values(detail=f"cases awaiting the review: {awaiting}; reminders stored: {len(values)}")
                )
                log.info("weekly review of %s: %d cases awaiting, %d reminders", row.id, awaiting, len(values))
        done.add(name)
    return stored
