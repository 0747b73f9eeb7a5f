"""Run Alembic migrations from inside the server (at start) or from tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# pg_advisory_xact_lock key for "a migration is running" (any fixed number; "EDMIGRAT" in ASCII).
MIGRATION_LOCK_KEY = 0x45444D4947524154
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(url: str) -> None:
    """Bring the database to the newest revision. Safe on an empty, older or current database."""
    if url.startswith("sqlite"):
        # The data directory may not exist on a fresh clone.
        path = url.split("///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = _migration_engine(url)
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Two servers starting on an empty database must not both create the tables (one
                # crashed on alembic_version's type). The lock is the transaction's: the second waits,
                # then sees the first's committed revision and has nothing to do.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


def _migration_engine(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url)
    # SQLite: the whole upgrade in one BEGIN IMMEDIATE, which takes the file's write lock before the
    # first read of alembic_version, so a second process waits (up to the timeout) instead of
    # creating the same tables ("table audit already exists"). The driver's own implicit BEGIN is
    # turned off, as SQLAlchemy's aiosqlite documentation shows; it would leave DDL outside any
    # transaction.
    engine = create_async_engine(url, connect_args={"timeout": 120})

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _upgrade(sync_conn) -> None:  # noqa: ANN001
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "heads")


async def current_revision(conn) -> str | None:  # noqa: ANN001
    # Read Alembic's own table directly: the health check runs every few seconds behind a load
    # balancer, and MigrationContext logs two INFO lines each time it is configured.
    try:
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:  # not migrated yet: no table
        return None
    return ",".join(sorted(rows)) if rows else None
