"""Test fixtures. Integration tests run on the database named by ESTATEDESK_TEST_DB (sqlite | pg).

scripts/test.sh runs the whole suite on SQLite, then tests/integration again with
ESTATEDESK_TEST_DB=pg against a throwaway PostgreSQL cluster (ESTATEDESK_TEST_PG_URL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from server.clock import FixedClock

TEST_DB = os.environ.get("ESTATEDESK_TEST_DB", "sqlite")
# Monday 2026-11-23 10:00 in Shanghai: inside working hours, so clocks are easy to read in tests.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def pytest_report_header(config) -> str:  # noqa: ANN001
    return f"estatedesk test database: {TEST_DB}"


def _pg_base() -> str:
    url = os.environ.get("ESTATEDESK_TEST_PG_URL")
    if not url:
        # Never skip silently: the PostgreSQL run must run (scripts/test.sh provides the URL).
        raise RuntimeError("ESTATEDESK_TEST_DB=pg needs ESTATEDESK_TEST_PG_URL (scripts/test.sh sets it)")
    return url


async def create_pg_database() -> tuple[str, str]:
    import asyncpg

    base = _pg_base()
    name = "ed_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{name}", name


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_base().replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def db_url(tmp_path) -> AsyncIterator[str]:  # noqa: ANN001
    if TEST_DB == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url, name = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def db(db_url: str, clock: FixedClock):  # noqa: ANN201
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    await upgrade(db_url)
    database = Database(db_url, clock=clock)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def demo_db(db):  # noqa: ANN001, ANN201
    from server.demo import seed_demo

    await seed_demo(db)
    return db


@pytest.fixture
def settings(tmp_path, db_url):  # noqa: ANN001, ANN201
    from server.settings import Settings

    return Settings(database_url=db_url, data_dir=tmp_path / "data", run_scheduler=False)


@pytest.fixture
async def client(settings, demo_db):  # noqa: ANN001, ANN201
    from litestar.testing import AsyncTestClient

    from server.app import create_app

    app = create_app(settings, db=demo_db, migrate=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


async def login(client, username: str, password: str = "demo", device: str = "pytest") -> dict[str, str]:  # noqa: ANN001
    r = await client.post("/api/auth/login", json={"username": username, "password": password, "device_name": device})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
