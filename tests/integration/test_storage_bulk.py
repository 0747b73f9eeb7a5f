"""The storage layer's bulk write (execute_many) stores exactly what SQLAlchemy itself stores.

On SQLite the push path skips SQLAlchemy's per-row parameter handling and converts each value
with the column type's own bind processor; a stored time in another text format would sort and
compare wrongly against every other row (deadline queries, reports). PostgreSQL takes the
ordinary path and must round-trip the same values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import bindparam, insert, select, text, update

from server.storage.db import execute_many
from server.storage.schema import sync_mutations

CST = timezone(timedelta(hours=8))
_INSERT = insert(sync_mutations)
_UPDATE = (update(sync_mutations).where(sync_mutations.c.client_id == bindparam("b_client"))
           .where(sync_mutations.c.mutation_id == bindparam("b_mid"))
           .values(status=bindparam("b_status"), device_time=bindparam("b_device_time")))


def _row(client: str, mid: int, device_time: datetime | None) -> dict:
    return {"client_id": client, "mutation_id": mid, "type": "job.note", "status": "applied", "code": None,
            "message": "已记录 ✓ emoji 🚿", "message_en": None,
            "received_at": datetime(2026, 11, 23, 2, 0, 0, 1234, tzinfo=UTC), "device_time": device_time}


async def _raw(db, client: str) -> list[tuple]:  # noqa: ANN001
    async with db.read() as conn:
        if db.dialect == "sqlite":
            q = text("SELECT mutation_id, status, message, received_at, typeof(received_at), device_time "
                     "FROM sync_mutations WHERE client_id = :c ORDER BY mutation_id")
        else:
            q = text("SELECT mutation_id, status, message, received_at::text, 'text', device_time::text "
                     "FROM sync_mutations WHERE client_id = :c ORDER BY mutation_id")
        return [tuple(r) for r in (await conn.execute(q, {"c": client})).all()]


async def test_bulk_write_stores_what_sqlalchemy_stores(db) -> None:  # noqa: ANN001
    times = [None, datetime(2026, 11, 23, 10, 0, tzinfo=CST), datetime(2026, 11, 22, 18, 30, 5, 7, tzinfo=UTC)]
    async with db.transaction() as uow:
        await uow.conn.execute(_INSERT, [_row("ordinary-path", i + 1, t) for i, t in enumerate(times)])
        await execute_many(uow.conn, _INSERT, [_row("bulk-path", i + 1, t) for i, t in enumerate(times)])
    ordinary, bulk = await _raw(db, "ordinary-path"), await _raw(db, "bulk-path")
    assert bulk == ordinary and len(bulk) == 3
    async with db.read() as conn:
        got = (await conn.execute(select(sync_mutations.c.device_time).where(
            sync_mutations.c.client_id == "bulk-path").order_by(sync_mutations.c.mutation_id))).scalars().all()
    assert got == times  # aware UTC back, the same instants

    # An UPDATE whose values are bind parameters converts them by the column's type as well.
    later = datetime(2026, 11, 24, 9, 0, tzinfo=CST)
    async with db.transaction() as uow:
        await uow.conn.execute(_UPDATE, [{"b_client": "ordinary-path", "b_mid": 1, "b_status": "rejected",
                                          "b_device_time": later}])
        await execute_many(uow.conn, _UPDATE, [{"b_client": "bulk-path", "b_mid": 1, "b_status": "rejected",
                                                "b_device_time": later}])
    assert await _raw(db, "bulk-path") == await _raw(db, "ordinary-path")
    assert (await _raw(db, "bulk-path"))[0][1] == "rejected"


async def test_a_refused_bulk_row_leaves_nothing_of_the_batch(db) -> None:  # noqa: ANN001
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):  # wrapped like any SQLAlchemy error (mapped to HTTP in one place)
        async with db.transaction() as uow:
            await execute_many(uow.conn, _INSERT, [_row("dup", 1, None), _row("dup", 2, None), _row("dup", 1, None)])
    assert await _raw(db, "dup") == []
