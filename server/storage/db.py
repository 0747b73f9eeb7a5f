"""Database engine setup for SQLite and PostgreSQL, and the unit of work every service writes through.

SQLite: WAL, foreign keys on, synchronous=FULL (an acknowledged write survives power loss), and
write transactions opened with BEGIN IMMEDIATE so a read-then-write transaction never fails with
SQLITE_BUSY halfway. Writers inside one process also queue on an asyncio lock: a FIFO hand-off is
far cheaper than SQLite's sleep-and-retry busy handler when eight phones push at once.
SQLite write transactions run their statements on the event loop's own thread through the stdlib
driver (`DirectConnection`): the writer already holds the process's write lock, a statement on a
local file takes microseconds, and aiosqlite's several thread hops per statement cost ~0.4 ms each
here (D18). COMMIT (the fsync) runs on a worker thread, so the loop keeps serving other requests
while the disk syncs; so does BEGIN IMMEDIATE when another process holds the lock and it must
wait. Reads stay on aiosqlite: a long report must not stall the loop.
PostgreSQL: asyncpg with pre-ping so the pool recovers after a server restart.
`sqlite_max_page_count` (settings, ESTATEDESK_SQLITE_MAX_PAGE_COUNT) caps the SQLite file to rehearse
a full disk; it is read when a connection opens, so change it and `dispose()` to apply.
"""

from __future__ import annotations

import asyncio
import logging
import operator
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from server.clock import SystemClock


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, clock: Any = None, sqlite_max_page_count: int | None = None
    ) -> None:
        self.url = url
        if echo:
            # ESTATEDESK_LOG_SQL: statements through the app's own log handler, once each. Not
            # SQLAlchemy's echo, which adds a second (stdout) handler, so every line came out twice.
            # Parameters are always hidden (hide_parameters): they carry password hashes, the VAPID
            # private key and push subscription keys, and they would also appear in error messages.
            logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        self.dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        self.clock = clock or SystemClock()
        # Set by the storage error handler (server/errors.py): until this monotonic time /api/health
        # says storage is full, and when each kind of storage failure was last logged.
        self.storage_full_until = 0.0
        self.storage_warned_at: dict[str, float] = {}
        if sqlite_max_page_count is None:
            from server.settings import from_env

            sqlite_max_page_count = from_env().sqlite_max_page_count
        # 0 = no cap. Read by each new connection (see _install_sqlite_hooks).
        self.sqlite_max_page_count = sqlite_max_page_count
        if self.dialect == "sqlite":
            self.engine: AsyncEngine = create_async_engine(
                url, hide_parameters=True, connect_args={"timeout": 30, "check_same_thread": False}
            )
            _install_sqlite_hooks(self.engine.sync_engine, self)
            # The write path: same file, stdlib driver, used from the loop thread and (for BEGIN and
            # COMMIT) from a worker thread, never both at once (the write lock is held throughout).
            self.write_engine: Engine | None = create_engine(
                url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1), hide_parameters=True,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            _install_sqlite_hooks(self.write_engine, self)
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        else:
            self.engine = create_async_engine(
                url, hide_parameters=True, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800
            )
            self._write_lock = None
            self.write_engine = None

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[UnitOfWork]:
        """One transaction. On success, pending feed changes and audit entries are flushed, then commit."""
        if write and self._write_lock is not None:
            async with self._write_lock:
                async with self._begin_direct() as uow:
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
    async def _begin_direct(self) -> AsyncIterator[UnitOfWork]:
        assert self.write_engine is not None
        engine = self.write_engine
        # This process's writers queue on the write lock, so BEGIN IMMEDIATE almost always gets
        # SQLite's lock at once: take it on the loop. Only when another process holds it (a CLI
        # command writing) wait for it on a worker thread, where waiting cannot stall the loop.
        try:
            conn, trans = _open_write(engine, wait=False)
        except _Busy:
            conn, trans = await asyncio.to_thread(_open_write, engine, wait=True)
        try:
            uow = UnitOfWork(DirectConnection(conn), self.dialect, self.clock.now())
            yield uow
            await uow.flush()
            await asyncio.to_thread(trans.commit)
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
        finally:
            conn.close()

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncConnection | DirectConnection]:
        """A short read (a point query or two), e.g. the token check on every request.

        On SQLite it runs on the loop's thread like the writes (WAL readers never wait for the
        writer); on PostgreSQL it is an ordinary read. Not for anything that returns many rows.
        """
        if self.write_engine is None:
            async with self.read() as conn:
                yield conn
            return
        with self.write_engine.connect() as conn:
            try:
                yield DirectConnection(conn)
            finally:
                conn.rollback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._begin(False) as uow:
            yield uow.conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not None:
            self.write_engine.dispose()


BUSY_TIMEOUT_MS = 30_000


class _Busy(Exception):
    """Another process holds SQLite's write lock."""


def _open_write(engine: Engine, *, wait: bool) -> tuple[Connection, Any]:
    """A write connection with BEGIN IMMEDIATE done; without `wait`, _Busy if another process has the lock."""
    conn = engine.connect().execution_options(sqlite_immediate=True)
    try:
        if wait:
            return conn, conn.begin()
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA busy_timeout=0")
        try:
            return conn, conn.begin()
        except OperationalError as e:
            if getattr(e.orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise _Busy from e
            raise
        finally:
            raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except BaseException:
        conn.close()
        raise


class DirectConnection:
    """The part of AsyncConnection the services use, over a synchronous SQLAlchemy connection.

    Statements run on the calling thread. Results are the same buffered CursorResult that
    AsyncConnection.execute returns, so service code cannot tell the two apart.
    """

    def __init__(self, conn: Connection) -> None:
        self.sync_connection = conn
        self.dialect = conn.dialect

    async def execute(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.sync_connection.execute(statement, parameters, **kw)

    async def exec_driver_sql(self, statement: str, parameters: Any = None, **kw: Any) -> Any:
        return self.sync_connection.exec_driver_sql(statement, parameters, **kw)

    async def scalar(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.sync_connection.scalar(statement, parameters, **kw)

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return fn(self.sync_connection, *args, **kw)

    def get_execution_options(self) -> Any:
        return self.sync_connection.get_execution_options()

    def begin_nested(self) -> _Savepoint:
        return _Savepoint(self.sync_connection)

    def execute_many(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        """executemany with the statement compiled once per shape and each value converted by its
        column type's own bind processor (exactly what SQLAlchemy would store), without
        SQLAlchemy's per-row parameter assembly, which costs more than SQLite's insert itself."""
        keys = tuple(rows[0])
        plan = _MANY_PLANS.get((statement, keys))
        if plan is None:
            compiled = statement.compile(dialect=self.dialect, column_keys=list(keys))
            names = compiled.positiontup or []
            if not set(names) <= set(keys):  # a default SQLAlchemy would fill in: let it
                plan = False
            else:
                procs = [compiled.binds[n].type.dialect_impl(self.dialect).bind_processor(self.dialect) for n in names]
                get = (lambda r, _n=names[0]: (r[_n],)) if len(names) == 1 else operator.itemgetter(*names)
                plan = (compiled.string, get, tuple((i, p) for i, p in enumerate(procs) if p is not None))
            if len(_MANY_PLANS) > 256:  # callers pass module-level statements; this only guards a leak
                _MANY_PLANS.clear()
            _MANY_PLANS[(statement, keys)] = plan
        if plan is False:
            self.sync_connection.execute(statement, rows)
            return
        sql, get, convert = plan
        params = [get(r) for r in rows]
        if convert:
            # A batch repeats a few values (the transaction's time) and a conversion costs ~2.5 µs:
            # convert each distinct value once.
            memo: dict[tuple[int, Any], Any] = {}
            for k, row in enumerate(params):
                values = list(row)
                for i, proc in convert:
                    v = values[i]
                    try:
                        values[i] = memo[i, v]
                    except KeyError:
                        values[i] = memo[i, v] = proc(v)
                    except TypeError:  # unhashable: nothing to share
                        values[i] = proc(v)
                params[k] = tuple(values)
        # exec_driver_sql keeps SQLAlchemy's error wrapping (a full disk is still a 503) and events.
        self.sync_connection.exec_driver_sql(sql, params)


_MANY_PLANS: dict[tuple[Any, tuple[str, ...]], Any] = {}


async def execute_many(conn: AsyncConnection | DirectConnection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run `statement` once per row (every row with the same keys): the fast path on SQLite."""
    if not rows:
        return
    if isinstance(conn, DirectConnection):
        conn.execute_many(statement, rows)
    else:
        await conn.execute(statement, rows)


class _Savepoint:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._trans: Any = None

    async def __aenter__(self) -> _Savepoint:
        self._trans = self._conn.begin_nested()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self._trans.commit()
        elif self._trans.is_active:
            self._trans.rollback()


def _install_sqlite_hooks(sync_engine: Engine, db: Database) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
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

    def for_update(self, query: Any) -> Any:
        """`query` locking the rows it reads until commit, where that is needed: on PostgreSQL two
        writers may read the same row at once; SQLite has no FOR UPDATE and needs none, since its
        writers already queue on the one write lock (BEGIN IMMEDIATE)."""
        return query.with_for_update() if self.dialect == "postgresql" else query

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
