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


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001
    if TEST_DB == "pg" and "name" in _TEMPLATE:
        import asyncio

        asyncio.run(drop_pg_database(_TEMPLATE.pop("name")))


def _pg_base() -> str:
    url = os.environ.get("ESTATEDESK_TEST_PG_URL")
    if not url:
        # Never skip silently: the PostgreSQL run must run (scripts/test.sh provides the URL).
        raise RuntimeError("ESTATEDESK_TEST_DB=pg needs ESTATEDESK_TEST_PG_URL (scripts/test.sh sets it)")
    return url


async def create_pg_database(template: str | None = None) -> tuple[str, str]:
    import asyncpg

    base = _pg_base()
    name = "ed_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # FILE_COPY: copying the files is far faster than WAL-logging every block (PG 15 default).
        suffix = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
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


# Migrating every test's database from scratch costs seconds; migrate one template per session
# and clone it (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL).
_TEMPLATE: dict[str, str] = {}


async def _migrated_template(tmp_root) -> str:  # noqa: ANN001
    """Migrated and seeded with the demo compound (seeding is idempotent, so demo_db stays honest)."""
    from server.demo import seed_demo
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    if "name" in _TEMPLATE:
        return _TEMPLATE["name"]
    if TEST_DB == "sqlite":
        path = tmp_root / "template.sqlite3"
        url, name = f"sqlite+aiosqlite:///{path}", str(path)
    else:
        url, name = await create_pg_database()
    await upgrade(url)
    seeder = Database(url, clock=FixedClock(T0))
    try:
        await seed_demo(seeder, sample_cases=False)
    finally:
        await seeder.dispose()
    _TEMPLATE["name"] = name
    return name


@pytest.fixture
async def empty_db_url(tmp_path) -> AsyncIterator[str]:  # noqa: ANN001
    """A database with nothing in it, for tests of the migrations themselves."""
    if TEST_DB == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url, name = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(name)


@pytest.fixture
async def db_url(tmp_path, tmp_path_factory) -> AsyncIterator[str]:  # noqa: ANN001
    """A freshly migrated database of the configured engine."""
    template = await _migrated_template(tmp_path_factory.getbasetemp())
    if TEST_DB == "sqlite":
        import shutil

        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url, name = await create_pg_database(template=template)
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


_APP: dict = {}


@pytest.fixture
async def client(settings, demo_db):  # noqa: ANN001, ANN201
    # httpx's ASGI transport runs the app on the test's own event loop. Litestar's AsyncTestClient
    # runs it on a portal thread's loop, which asyncpg connections (bound to one loop) refuse.
    import httpx

    from server.app import create_app

    # Building the app (routes, signatures, OpenAPI) takes about a second: build it once and give
    # each test its own database and settings through app.state, which is all that varies.
    if "app" not in _APP:
        _APP["app"] = create_app(settings, db=demo_db, migrate=False)
    app = _APP["app"]
    # The lifespan only wires state (the database is migrated already and the scheduler is off);
    # entering it from a fixture trips anyio's task-bound cancel scopes, so wire it directly.
    app.state.db = demo_db
    app.state.settings = settings
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.localhost") as c:
        yield c


async def login(client, username: str, password: str = "demo", device: str = "pytest") -> dict[str, str]:  # noqa: ANN001
    r = await client.post("/api/auth/login", json={"username": username, "password": password, "device_name": device})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
