"""cases.next_due_at for written inquiries left unopened before D69 (R-IN-5)

Revision ID: 0014_written_reply_due
Revises: 0001
Create Date: 2026-12-07

No schema change. Since D69 a written inquiry explained and left unopened (R-OP-2 F) keeps its
2-day written-reply clock, and its stored `next_due_at` is what puts it in the follow-up queue, the
shift handover and the overdue case list (all three read unopened intakes by that column alone, so
the thousands of other unopened intakes are never read). Rows saved before D69 have it NULL, because
then an unopened intake ran no clock: they owed the reply but nothing listed them.

This fills the column for those rows with what saving the case computes today
(`services.cases._prepare_case`): the domain's own `deadlines.clocks` and `deadlines.next_due` on the
stored document, with the compound's calendar and policy. The domain is pure (no I/O, the clock passed
in), so a migration can call it as the service does; a copy of the rule here could drift from it (D70).
The due time is the receipt plus the policy's days, whatever `now` is; `now` (the wall clock) only
decides whether the clock already counts as overdue, which is not stored.

Idempotent: only unopened inquiries whose column is still NULL are read; one that owes nothing (a
phone inquiry, or a written one answered before it was left unopened) stays NULL. Reminders are not
planned here (they need the notifier's transaction); the queue, the handover and the overdue list do
not read them, and the next save of the case plans them as usual. Downgrade leaves the column as it
is: the value is derived, and the code before D69 never read it on an unopened intake.

Branches off 0001 (which created `cases` and `compounds`), like the other feature migrations.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
import sqlalchemy as sa
from alembic import op

from server.domain import deadlines
from server.domain.calendar import BusinessCalendar
from server.domain.cases import Case, CaseState, Kind
from server.domain.deadlines import DeadlinePolicy
from server.storage.schema import UTCDateTime

revision: str = "0014_written_reply_due"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_cases = sa.table(
    "cases", sa.column("id", sa.String), sa.column("compound_id", sa.String), sa.column("kind", sa.String),
    sa.column("state", sa.String), sa.column("next_due_at", UTCDateTime()), sa.column("doc", sa.Text),
)
_compounds = sa.table("compounds", sa.column("id", sa.String), sa.column("calendar", sa.Text),
                      sa.column("policy", sa.Text))
_case_dec = msgspec.json.Decoder(Case)


def backfill_written_reply_due(bind: sa.Connection, now: datetime) -> int:
    """Store `next_due_at` on the unopened written inquiries still owed their written reply; returns
    how many rows were set."""
    rules: dict[str, tuple[BusinessCalendar, DeadlinePolicy]] = {}
    for row in bind.execute(sa.select(_compounds.c.id, _compounds.c.calendar, _compounds.c.policy)):
        rules[row.id] = (msgspec.json.decode(row.calendar or "{}", type=BusinessCalendar),
                         msgspec.json.decode(row.policy or "{}", type=DeadlinePolicy))
    rows = bind.execute(sa.select(_cases.c.id, _cases.c.compound_id, _cases.c.doc).where(
        _cases.c.state == str(CaseState.NOT_OPENED), _cases.c.kind == str(Kind.INQUIRY),
        _cases.c.next_due_at.is_(None)))
    updates = []
    for row in rows:
        case = _case_dec.decode(row.doc)
        if not case.owes_written_reply or row.compound_id not in rules:
            continue
        calendar, policy = rules[row.compound_id]
        nxt = deadlines.next_due(deadlines.clocks(case, calendar, now, policy))
        if nxt is not None:
            updates.append({"b_id": row.id, "b_due": nxt.due_at})
    if updates:
        bind.execute(sa.update(_cases).where(_cases.c.id == sa.bindparam("b_id"))
                     .values(next_due_at=sa.bindparam("b_due")), updates)
    return len(updates)


def upgrade() -> None:
    backfill_written_reply_due(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    pass
