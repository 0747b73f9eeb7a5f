"""Run Alembic migrations from inside the server (at start) or from tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

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
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


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
