"""The change feed: what each pull returns, with a cursor that never skips a committed change.

Why not an autoincrement id: with several writers, transaction A can take id 10 and commit after
transaction B took id 11 and committed; a puller that saw 11 moves its cursor past 10 forever.
Here a transaction takes its sequence numbers as its very last statement, by incrementing the single
row of `change_counter`. The row lock is held until commit, so the next transaction cannot obtain a
higher number before this one is committed: sequence order equals commit order, on PostgreSQL with
many processes as on SQLite (where BEGIN IMMEDIATE serializes writers anyway).
Compaction: a scope keeps only the newest change per entity (upsert on scope+entity+id), so a pull
from cursor 0 returns one row per live entity.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.storage.db import execute_many
from server.storage.schema import change_counter, changes


def _upsert(ins):  # noqa: ANN001, ANN202
    return ins.on_conflict_do_update(
        index_elements=[changes.c.scope, changes.c.entity, changes.c.entity_id],
        set_={"seq": ins.excluded.seq, "op": ins.excluded.op, "doc": ins.excluded.doc},
    )


# Built once: the storage layer caches each statement's compiled form by identity.
_UPSERT = {"postgresql": _upsert(pg_insert(changes)), "sqlite": _upsert(sqlite_insert(changes))}


_RESERVE = (update(change_counter).where(change_counter.c.id == 1)
            .values(seq=change_counter.c.seq + bindparam("b_n", type_=BigInteger)).returning(change_counter.c.seq))


async def reserve_seqs(conn: AsyncConnection, n: int) -> int:
    """Lock the counter row and reserve n numbers; returns the first. Call last in a transaction."""
    row = (await conn.execute(_RESERVE, {"b_n": n})).one()
    return int(row.seq) - n + 1


async def append_changes(
    conn: AsyncConnection, dialect: str, pending: dict[tuple[str, str, str], tuple[str, bytes | None]]
) -> None:
    first = await reserve_seqs(conn, len(pending))
    if not pending:
        return
    rows = [
        {
            "seq": first + i,
            "scope": scope,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "doc": doc.decode() if doc is not None else None,
        }
        for i, ((scope, entity, entity_id), (op, doc)) in enumerate(pending.items())
    ]
    await execute_many(conn, _UPSERT[dialect], rows)


async def read_changes(conn: AsyncConnection, scopes: list[str], cursor: int, limit: int) -> list:
    """Changes in the given scopes after `cursor`, oldest first. Rows: (seq, entity, entity_id, op, doc)."""
    q = (
        select(changes.c.seq, changes.c.entity, changes.c.entity_id, changes.c.op, changes.c.doc)
        .where(changes.c.scope.in_(scopes), changes.c.seq > cursor)
        .order_by(changes.c.seq)
        .limit(limit)
    )
    return list((await conn.execute(q)).all())


async def current_seq(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(change_counter.c.seq).where(change_counter.c.id == 1))).scalar_one())
