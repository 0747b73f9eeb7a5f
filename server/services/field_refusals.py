"""The desk's list of field records the push refused, and marking one handled (domain/field_refusals.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from sqlalchemy import and_, select, update

from server.auth.principal import Principal
from server.domain import field_refusals as fr
from server.domain.errors import fail
from server.storage.db import Database
from server.storage.schema import cases, field_refusals, users

LIST_LIMIT = 200
_args = msgspec.json.Decoder(dict)


class HandleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=2000)]


class FieldRefusalView(fr.FieldRefusal, kw_only=True):
    user_name: str
    case_no: str | None = None


def _query(compound_id: str):  # noqa: ANN202
    # The case is joined on the compound too: a forged id naming another compound's case shows as none.
    return (
        select(field_refusals, users.c.display_name.label("user_name"), cases.c.no.label("case_no"))
        .join(users, users.c.id == field_refusals.c.user_id)
        .outerjoin(cases, and_(cases.c.id == field_refusals.c.case_id, cases.c.compound_id == compound_id))
        .where(field_refusals.c.compound_id == compound_id)
    )


def _view(row) -> FieldRefusalView:  # noqa: ANN001
    return FieldRefusalView(
        client_id=row.client_id, mutation_id=row.mutation_id, user_id=row.user_id,
        case_id=row.case_id if row.case_no is not None else None, type=row.type, code=row.code,
        message=row.message, message_en=row.message_en, args=_args.decode(row.args),
        device_time=row.device_time, received_at=row.received_at, handled_at=row.handled_at,
        handled_by=row.handled_by, handled_note=row.handled_note, user_name=row.user_name, case_no=row.case_no,
    )


async def list_refusals(db: Database, who: Principal, *, case_id: str | None = None,
                        include_handled: bool = False) -> list[FieldRefusalView]:
    """Newest first: the open ones (or all, for one case's history), at most LIST_LIMIT."""
    q = _query(who.compound_id)
    if case_id is not None:
        q = q.where(field_refusals.c.case_id == case_id)
    if not include_handled:
        q = q.where(field_refusals.c.handled_at.is_(None))
    q = q.order_by(field_refusals.c.received_at.desc(), field_refusals.c.mutation_id.desc()).limit(LIST_LIMIT)
    async with db.read() as conn:
        return [_view(r) for r in (await conn.execute(q)).all()]


async def handle(db: Database, who: Principal, client_id: str, mutation_id: int, data: HandleIn) -> FieldRefusalView:
    async with db.transaction() as uow:
        key = and_(field_refusals.c.client_id == client_id, field_refusals.c.mutation_id == mutation_id)
        # Lock the row alone: PostgreSQL cannot lock the nullable side of the view's outer join.
        mine = and_(key, field_refusals.c.compound_id == who.compound_id)
        if (await uow.conn.execute(uow.for_update(select(field_refusals.c.mutation_id).where(mine)))).first() is None:
            raise fail("refusal.not_found", "未找到该被拒记录", "No such refused record", kind="not_found")
        row = (await uow.conn.execute(_query(who.compound_id).where(key))).one()
        done = fr.handle(_view(row), by=who.user_id, note=data.note, now=uow.now)
        await uow.conn.execute(update(field_refusals).where(key).values(
            handled_at=done.handled_at, handled_by=done.handled_by, handled_note=done.handled_note))
        uow.audit(entity="field_refusal", entity_id=f"{client_id}:{mutation_id}", action="refusal.handled",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  compound_id=who.compound_id,
                  data={"case_id": done.case_id, "type": done.type, "code": done.code, "note": done.handled_note})
        return done
