"""Database engine setup for SQLite and PostgreSQL, and the unit of work every service writes through.

SQLite: WAL, foreign keys on, synchronous=FULL (an acknowledged write survives power loss), and
write transactions opened with BEGIN IMMEDIATE so a read-then-write transaction never fails with
SQLITE_BUSY halfway. Writers inside one process also queue on an asyncio lock: a FIFO hand-off is
far cheaper than SQLite's sleep-and-retry busy handler when eight phones push at once.
PostgreSQL: asyncpg with pre-ping so the pool recovers after a server restart.
`sqlite_max_page_count` (settings, ESTATEDESK_SQLITE_MAX_PAGE_COUNT) caps the SQLite file to rehearse
a full disk; it is read when a connection opens, so change it and `dispose()` to apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from server.clock import SystemClock


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, clock: Any = None, sqlite_max_page_count: int | None = None
    ) -> None:
        self.url = url
        self.dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        self.clock = clock or SystemClock()
        if sqlite_max_page_count is None:
            from server.settings import from_env

            sqlite_max_page_count = from_env().sqlite_max_page_count
        # 0 = no cap. Read by each new connection (see _install_sqlite_hooks).
        self.sqlite_max_page_count = sqlite_max_page_count
        if self.dialect == "sqlite":
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
            )
            _install_sqlite_hooks(self.engine, self)
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800
            )
            self._write_lock = None

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[UnitOfWork]:
        """One transaction. On success, pending feed changes and audit entries are flushed, then commit."""
        if write and self._write_lock is not None:
            async with self._write_lock:
                async with self._begin(write) as uow:
                    yield uow
        else:
            async with self._begin(write) as uow:
                yield uow

    @asynccontextmanager
    async def _begin(self, write: bool) -> AsyncIterator[UnitOfWork]:
        async with self.engine.connect() as conn:
            if self.dialect == "sqlite" and write:
                await conn.execution_options(sqlite_immediate=True)
            async with conn.begin():
                uow = UnitOfWork(conn, self.dialect, self.clock.now())
                yield uow
                if write:
                    await uow.flush()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._begin(False) as uow:
            yield uow.conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _install_sqlite_hooks(engine: AsyncEngine, db: Database) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        if db.sqlite_max_page_count > 0:
            cur.execute(f"PRAGMA max_page_count={int(db.sqlite_max_page_count)}")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UnitOfWork:
    """The open transaction plus what must be appended when it commits (feed changes, audit)."""

    def __init__(self, conn: AsyncConnection, dialect: str, now: datetime) -> None:
        self.conn = conn
        self.dialect = dialect
        self.now = now
        self._changes: dict[tuple[str, str, str], tuple[str, bytes | None]] = {}
        self._audit: list[dict[str, Any]] = []
        # Aggregates changed in this transaction but not written yet (services stage them and
        # write each once at flush), and the state each had when it was read from the database.
        self.staged: dict[tuple[str, str], Any] = {}
        self.loaded: dict[tuple[str, str], Any] = {}
        self._flush_hooks: list[Callable[[UnitOfWork], Awaitable[None]]] = []

    def emit(self, scope: str, entity: str, entity_id: str, op: str, doc: bytes | None) -> None:
        # Only the last state of an entity per scope matters inside one transaction.
        self._changes[(scope, entity, entity_id)] = (op, doc)

    def audit(
        self,
        *,
        entity: str,
        entity_id: str,
        action: str,
        actor_id: str | None,
        actor_role: str | None,
        device_id: str | None,
        data: dict[str, Any] | None = None,
        case_id: str | None = None,
        compound_id: str | None = None,
    ) -> None:
        self._audit.append(
            {
                "compound_id": compound_id,
                "case_id": case_id,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "actor_id": actor_id,
                "actor_role": actor_role,
                "device_id": device_id,
                "at": self.now,
                "data": data or {},
            }
        )

    def on_flush(self, hook: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Run `hook` at the next flush (once, however often it is registered)."""
        if hook not in self._flush_hooks:
            self._flush_hooks.append(hook)

    def checkpoint(self) -> tuple[dict, int, dict]:
        return dict(self._changes), len(self._audit), dict(self.staged)

    def rollback_to(self, mark: tuple[dict, int, dict]) -> None:
        """Forget feed changes, audit entries and staged aggregates made after `mark`."""
        self._changes = mark[0]
        del self._audit[mark[1] :]
        self.staged = mark[2]

    async def flush(self) -> None:
        # Staged aggregates are written first: writing them emits feed changes and audit entries.
        while self._flush_hooks:
            hook = self._flush_hooks.pop(0)
            await hook(self)
        if not self._changes and not self._audit:
            return
        from server.audit import append_entries
        from server.sync.feed import append_changes

        # The counter row lock is taken first and held to commit: it orders both the change
        # feed and the audit hash chain across concurrent transactions and server processes.
        await append_changes(self.conn, self.dialect, self._changes)
        await append_entries(self.conn, self._audit)
        self._changes = {}
        self._audit = []
