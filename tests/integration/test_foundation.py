"""Foundation: health, migrations, storage settings, login and device tokens, error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.storage.migrate import upgrade
from tests.conftest import TEST_DB, login


async def test_health_reports_dialect_and_migration_revision(client):
    r = await client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["dialect"] == ("postgresql" if TEST_DB == "pg" else "sqlite")
    assert body["revision"] and body["revision"] != "None"


async def test_migrations_run_on_an_empty_and_on_a_current_database(empty_db_url):
    await upgrade(empty_db_url)
    await upgrade(empty_db_url)  # a second start must be a no-op, not an error
    from server.storage.db import Database
    from server.storage.migrate import current_revision

    db = Database(empty_db_url)
    try:
        async with db.read() as conn:
            rev = await current_revision(conn)
    finally:
        await db.dispose()
    assert rev and "0001" not in rev.split(",")  # upgraded past the first revision to every head
    from alembic.script import ScriptDirectory

    from server.storage.migrate import alembic_config

    assert set(rev.split(",")) == set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def test_the_migrations_build_exactly_the_schema_the_code_declares(empty_db_url):
    # Migrations are written by hand beside the tables; a column or index added to one and not the
    # other would only show on a customer's upgraded database.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    import server.gate.tables  # noqa: F401 - every module that declares tables
    import server.notify.tables  # noqa: F401
    import server.storage.tables_contact_slips  # noqa: F401
    import server.storage.tables_services  # noqa: F401
    from server.storage.schema import metadata

    await upgrade(empty_db_url)
    engine = create_async_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata))
    finally:
        await engine.dispose()
    assert diff == []


async def test_sqlite_is_durable_wal_with_foreign_keys(db):
    if db.dialect != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite; the PostgreSQL run covers its own engine")
    async with db.read() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # 2 = FULL: an acknowledged commit survives power loss, not just a process crash.
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2
    # Write transactions run on their own (stdlib-driver) connections: the same guarantees hold there.
    async with db.transaction() as uow:
        assert (await uow.conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await uow.conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await uow.conn.execute(text("PRAGMA synchronous"))).scalar() == 2


async def test_sqlite_write_transactions_begin_immediate(db):
    if db.dialect != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite-specific")
    # A second connection must not be able to take the write lock while a write transaction is open,
    # even before the first one has written anything: that is what IMMEDIATE guarantees.
    import sqlite3

    path = db.url.split("///", 1)[1]
    async with db.transaction():
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


async def test_a_write_waiting_for_another_process_lock_does_not_stall_the_server(db):
    if db.dialect != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL writers do not queue on one lock")
    # Writes run their statements on the event loop (D18). When another process (a CLI command)
    # holds SQLite's write lock, the wait for it must happen off the loop: other requests go on.
    import asyncio
    import sqlite3

    from server.storage.schema import counters

    path = db.url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with db.transaction() as uow:
            await uow.conn.execute(counters.insert().values(name="waited-for-lock", value=1))

    writer = asyncio.create_task(write())
    await asyncio.sleep(0.2)  # the writer starts and meets the lock
    assert not writer.done()
    # The lock is released by this task, on the loop. A writer that waited for the lock on the loop
    # would keep this line from running until its busy timeout and then fail "database is locked".
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, 10)  # then it proceeds, with nothing lost
    async with db.read() as conn:
        got = (await conn.execute(text("SELECT value FROM counters WHERE name = 'waited-for-lock'"))).scalar()
    assert got == 1


async def test_login_gives_a_device_token_that_identifies_the_user(client):
    headers = await login(client, "tech")
    r = await client.get("/api/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["username"] == "tech"
    assert r.json()["roles"] == ["technician"]


async def test_the_user_learns_the_compound_time_zone_at_login_and_from_me(client):
    # The apps show and read wall-clock times in the compound's zone, not the device's (R-FU-2's
    # "end of the working day" is the compound's day).
    r = await client.post("/api/auth/login", json={"username": "dispatcher", "password": "demo", "device_name": "pc"})
    assert r.json()["user"]["time_zone"] == "Asia/Shanghai"
    mgr = await login(client, "manager")
    cal = (await client.get("/api/calendar", headers=mgr)).json()
    assert (await client.put("/api/calendar", headers=mgr, json={**cal, "tz": "Asia/Urumqi"})).status_code == 200
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert r.json()["time_zone"] == "Asia/Urumqi"


async def test_wrong_password_is_refused_with_a_stable_code(client):
    r = await client.post("/api/auth/login", json={"username": "tech", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["code"] == "auth.bad_credentials"
    assert r.json()["message"] and r.json()["message_en"]


async def test_each_login_is_its_own_device_listed_for_the_manager(client):
    await login(client, "tech", device="phone A")
    await login(client, "tech", device="phone B")
    mgr = await login(client, "manager")
    r = await client.get("/api/devices", params={"user_id": "usr_tech"}, headers=mgr)
    assert r.status_code == 200
    assert sorted(d["name"] for d in r.json()) == ["phone A", "phone B"]


async def test_revoked_device_token_is_refused_on_its_next_request(client):
    tech = await login(client, "tech", device="lost phone")
    mgr = await login(client, "manager")
    devices = (await client.get("/api/devices", params={"user_id": "usr_tech"}, headers=mgr)).json()
    r = await client.post(f"/api/devices/{devices[0]['id']}/revoke", headers=mgr)
    assert r.status_code == 200 and r.json()["revoked_at"]
    r = await client.get("/api/me", headers=tech)
    assert r.status_code == 401
    assert r.json()["code"] == "auth.invalid_token"


async def test_only_a_manager_lists_devices(client):
    tech = await login(client, "tech")
    r = await client.get("/api/devices", headers=tech)
    assert r.status_code == 403
    assert r.json()["code"] == "auth.forbidden"


async def test_logout_revokes_only_this_device(client):
    a = await login(client, "tech", device="a")
    b = await login(client, "tech", device="b")
    assert (await client.post("/api/auth/logout", headers=a)).status_code == 200
    assert (await client.get("/api/me", headers=a)).status_code == 401
    assert (await client.get("/api/me", headers=b)).status_code == 200


async def test_malformed_body_gives_400_with_code(client):
    r = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "request.invalid"
    r = await client.post("/api/auth/login", json={"username": 5, "password": "x"})
    assert r.status_code == 400
    assert r.json()["code"] == "request.invalid"


async def test_unknown_host_is_refused(client):
    r = await client.get("/api/health", headers={"host": "evil.example"})
    assert r.status_code == 400
    assert r.json()["code"] == "request.bad_host"


async def test_openapi_document_is_public_and_lists_the_api(client):
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/health" in paths and "/api/auth/login" in paths


async def test_demo_seed_is_idempotent(demo_db):
    from server.demo import seed_demo

    assert await seed_demo(demo_db) == "present"
    async with demo_db.read() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM users WHERE username = 'dispatcher'"))).scalar()
    assert n == 1


async def test_responses_carry_a_script_free_content_security_policy(client):
    r = await client.get("/api/health")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_served_demo_has_cases_in_different_states(empty_db_url):
    from server.demo import seed_demo
    from server.storage.db import Database

    await upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        assert await seed_demo(db) == "created"
        assert await seed_demo(db) == "present"  # a restart seeds nothing twice
        async with db.read() as conn:
            states = set((await conn.execute(text("SELECT DISTINCT state FROM cases"))).scalars())
            users = (await conn.execute(text("SELECT count(*) FROM users"))).scalar()
    finally:
        await db.dispose()
    assert {"received", "dispatched", "on_site", "completed"} <= states
    assert users >= 13  # a login for every role in domain-rules.md
