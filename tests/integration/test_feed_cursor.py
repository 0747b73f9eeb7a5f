"""The change-feed cursor never skips a committed change, even with concurrent writers (guarantee 3).

Writers pause at random inside their transactions while pullers poll. The union of everything the
pullers received must equal the final state. The same harness pointed at a naive autoincrement
cursor must detect a skip on PostgreSQL, which shows the harness can fail.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import text

from server.storage.db import Database
from server.sync import feed
from server.sync.feed import read_changes
from tests.conftest import TEST_DB

WRITERS = 8
TXNS_PER_WRITER = 12
PULLERS = 3


async def _run_harness(db: Database, write_one, pull_since) -> tuple[set[str], set[str]]:  # noqa: ANN001
    written: set[str] = set()
    received: set[str] = set()
    done = asyncio.Event()
    rng = random.Random(7)

    async def writer(w: int) -> None:
        for i in range(TXNS_PER_WRITER):
            key = f"w{w}-{i}"
            await write_one(key, rng.random() * 0.02)
            written.add(key)

    async def puller() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            rows, cursor = await pull_since(cursor)
            received.update(rows)
            if finished:
                return
            await asyncio.sleep(0.001)

    pullers = [asyncio.create_task(puller()) for _ in range(PULLERS)]
    await asyncio.gather(*(writer(w) for w in range(WRITERS)))
    done.set()
    await asyncio.gather(*pullers)
    return written, received


async def test_feed_cursor_misses_nothing_with_concurrent_writers(db, monkeypatch):  # guarantee 3
    original = feed.append_changes

    async def append_then_pause(conn, dialect, pending):  # noqa: ANN001, ANN202
        await original(conn, dialect, pending)
        # Hold the transaction open after the sequence numbers were taken: the worst moment.
        await asyncio.sleep(random.random() * 0.02)

    monkeypatch.setattr(feed, "append_changes", append_then_pause)

    async def write_one(key: str, pause: float) -> None:
        async with db.transaction() as uow:
            await asyncio.sleep(pause)  # work inside the transaction before the feed is appended
            uow.emit("test:scope", "thing", key, "upsert", b"{}")

    async def pull_since(cursor: int) -> tuple[list[str], int]:
        async with db.read() as conn:
            rows = await read_changes(conn, ["test:scope"], cursor, 1000)
        return [r.entity_id for r in rows], (rows[-1].seq if rows else cursor)

    written, received = await _run_harness(db, write_one, pull_since)
    assert len(written) == WRITERS * TXNS_PER_WRITER
    assert received == written


async def test_naive_autoincrement_cursor_is_caught_skipping(db):
    if TEST_DB != "pg":
        pytest.skip("SQLite serialises writers, so commits cannot land out of id order there; "
                    "the naive cursor's failure is a PostgreSQL (multi-writer) phenomenon")
    async with db.transaction() as uow:
        await uow.conn.execute(text("CREATE TABLE naive_changes (id BIGSERIAL PRIMARY KEY, key TEXT NOT NULL)"))

    async def write_one(key: str, pause: float) -> None:
        async with db.transaction() as uow:
            # The id is taken first, then the transaction dawdles before committing.
            await uow.conn.execute(text("INSERT INTO naive_changes (key) VALUES (:k)"), {"k": key})
            await asyncio.sleep(pause)

    async def pull_since(cursor: int) -> tuple[list[str], int]:
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT id, key FROM naive_changes WHERE id > :c ORDER BY id"),
                                       {"c": cursor})).all()
        return [r.key for r in rows], (rows[-1].id if rows else cursor)

    written, received = await _run_harness(db, write_one, pull_since)
    # The harness sees what a phone would lose forever: committed rows behind the cursor.
    assert written - received, "the naive cursor should have skipped a change under concurrent writers"
