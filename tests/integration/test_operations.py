"""Every command docs/deploy.md gives an operator, run for real: backup, restore, key rotation."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.audit import verify_chain
from server.gate.tables import slip_keys
from server.notify.tables import push_subscriptions
from server.notify.vapid_store import shared_vapid_keys
from server.storage.db import Database
from server.storage.schema import audit, cases
from tests.conftest import TEST_DB, create_pg_database, drop_pg_database, login
from tests.integration.scenarios import new_repair

ROOT = Path(__file__).resolve().parents[2]
PG_PSQL = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)


def _run(cmd: list[str], db_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ESTATEDESK_DATABASE_URL=db_url)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


async def sh(cmd: list[str], db_url: str, *, ok: bool = True) -> subprocess.CompletedProcess:
    p = await asyncio.to_thread(_run, cmd, db_url)
    if ok:
        assert p.returncode == 0, f"{cmd}\n{p.stdout}\n{p.stderr}"
    return p


def server_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "server", *args]


async def counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.read() as conn:
            n_cases = (await conn.execute(select(func.count()).select_from(cases))).scalar()
            n_audit = (await conn.execute(select(func.count()).select_from(audit))).scalar()
            assert (await verify_chain(conn)).ok
        return n_cases, n_audit
    finally:
        await db.dispose()


def sqlite_path(db_url: str) -> Path:
    return Path(db_url.split(":///", 1)[1])


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite backup/restore; PostgreSQL has its own test below")
async def test_sqlite_online_backup_and_restore_bring_the_data_back(client, demo_db, db_url, tmp_path):  # noqa: ANN001
    desk = await login(client, "dispatcher", device="desk")
    kept_case = (await new_repair(client, desk, content="备份前的报修"))["case"]["id"]
    at_backup = await counts(db_url)
    backup = tmp_path / "backup.sqlite3"

    # Online: the server's connection pool is open and has just written.
    out = await sh(server_cmd("backup", str(backup)), db_url)
    assert "integrity ok" in out.stdout

    lost_case = (await new_repair(client, desk, content="备份后的报修"))["case"]["id"]
    assert (await counts(db_url))[0] == at_backup[0] + 1

    await demo_db.dispose()  # the server is stopped for a restore
    out = await sh(server_cmd("restore", str(backup)), db_url)
    assert "restored" in out.stdout
    assert await counts(db_url) == at_backup  # the audit chain verifies too
    assert list(sqlite_path(db_url).parent.glob("*.before-restore-*"))  # what was replaced is kept
    r = await client.get(f"/api/cases/{kept_case}", headers=desk)
    assert r.status_code == 200
    assert (await client.get(f"/api/cases/{lost_case}", headers=desk)).status_code == 404
    await sh(server_cmd("verify-audit"), db_url)


@pytest.mark.skipif(TEST_DB != "sqlite", reason="the sqlite3 shell backs up SQLite only")
@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
async def test_sqlite3_shell_backup_is_a_valid_database(client, demo_db, db_url, tmp_path):  # noqa: ANN001
    desk = await login(client, "dispatcher", device="desk")
    await new_repair(client, desk)
    backup = tmp_path / "shell-backup.sqlite3"
    await sh(["sqlite3", str(sqlite_path(db_url)), f".backup '{backup}'"], db_url)
    assert await counts(f"sqlite+aiosqlite:///{backup}") == await counts(db_url)


def test_restore_refuses_a_file_that_is_not_an_estatedesk_database(db_url, tmp_path):  # noqa: ANN001
    if TEST_DB != "sqlite":
        pytest.skip("the `python -m server restore` command is SQLite-only")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    p = _run(server_cmd("restore", str(junk)), db_url)
    assert p.returncode != 0 and "refusing" in p.stderr + p.stdout


@pytest.mark.skipif(TEST_DB != "pg", reason="pg_dump/pg_restore need PostgreSQL")
async def test_pg_dump_and_restore_into_an_empty_database(client, db_url, tmp_path):  # noqa: ANN001
    desk = await login(client, "dispatcher", device="desk")
    case_id = (await new_repair(client, desk, content="备份前的报修"))["case"]["id"]
    at_backup = await counts(db_url)
    dump = tmp_path / "estatedesk.dump"
    await sh(["bash", "scripts/backup_pg.sh", "backup", str(dump)], db_url)

    # Restoring over a database that has tables is refused.
    p = await sh(["bash", "scripts/backup_pg.sh", "restore", str(dump)], db_url, ok=False)
    assert p.returncode == 1 and "refusing" in p.stderr

    url, name = await create_pg_database()
    try:
        await sh(["bash", "scripts/backup_pg.sh", "restore", str(dump)], url)
        assert await counts(url) == at_backup
        db = Database(url)
        try:
            async with db.read() as conn:
                assert (await conn.execute(select(cases.c.id).where(cases.c.id == case_id))).scalar() == case_id
        finally:
            await db.dispose()
        await sh(server_cmd("verify-audit"), url)
    finally:
        await drop_pg_database(name)


async def test_slip_signing_key_rotation_command(demo_db, db_url):  # noqa: ANN001
    async with demo_db.transaction() as uow:
        from server.gate.keystore import signing_key

        first = await signing_key(uow, "cmp_demo")
    out = await sh([sys.executable, "-m", "server.gate.keystore", "rotate", "cmp_demo", "--overlap-days", "7"], db_url)
    new_kid = out.stdout.strip().rsplit(" ", 1)[-1]
    async with demo_db.read() as conn:
        rows = {r.kid: r for r in await conn.execute(select(slip_keys).where(slip_keys.c.compound_id == "cmp_demo"))}
    assert set(rows) == {first.kid, new_kid}
    assert rows[new_kid].active and not rows[first.kid].active
    old = rows[first.kid]
    assert old.verify_until - old.retired_at == timedelta(days=7)  # the retired key keeps verifying

    p = await sh([sys.executable, "-m", "server.gate.keystore", "rotate", "cmp_demo", "--overlap-days", "1"],
                 db_url, ok=False)
    assert p.returncode != 0  # shorter than the longest slip validity is refused


async def test_vapid_key_rotation_statements(client, demo_db, db_url):  # noqa: ANN001
    # The statements docs/deploy.md gives, run through the same shell tools (sqlite3 / psql).
    old = await shared_vapid_keys(demo_db)
    sql = "BEGIN; DELETE FROM push_subscriptions; DELETE FROM vapid_keys; COMMIT;"
    if TEST_DB == "sqlite":
        if shutil.which("sqlite3") is None:
            pytest.skip("the sqlite3 shell is not installed")
        await sh(["sqlite3", str(sqlite_path(db_url)), sql], db_url)
    else:
        psql = shutil.which("psql") or PG_PSQL
        assert psql, "psql not found"
        await sh([str(psql), "-v", "ON_ERROR_STOP=1", "-d", db_url.replace("postgresql+asyncpg:", "postgresql:"),
             "-c", sql], db_url)
    # A restarted process (a fresh Database: the key is cached per process) makes and stores a new key.
    fresh = Database(db_url)
    try:
        new = await shared_vapid_keys(fresh)
        assert new.application_server_key != old.application_server_key
        again = Database(db_url)
        try:
            assert (await shared_vapid_keys(again)).application_server_key == new.application_server_key
        finally:
            await again.dispose()
        async with fresh.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(push_subscriptions))).scalar() == 0
    finally:
        await fresh.dispose()
    tech = await login(client, "tech", device="phone")
    r = await client.get("/api/push/vapid-key", headers=tech)
    assert r.status_code == 200


async def test_key_rotation_command_answers_mistakes_in_one_line(client, db_url):  # noqa: ANN001
    # An unknown compound was an IntegrityError traceback, a short overlap a ValueError traceback.
    cmd = [sys.executable, "-m", "server.gate.keystore", "rotate"]
    nosuch = await sh([*cmd, "cmp_nosuch"], db_url, ok=False)
    assert nosuch.returncode == 2 and "Traceback" not in nosuch.stderr, nosuch.stderr
    assert "cmp_nosuch" in nosuch.stderr and "cmp_demo" in nosuch.stderr  # names the compounds there are
    short = await sh([*cmd, "cmp_demo", "--overlap-days", "3"], db_url, ok=False)
    assert short.returncode == 2 and "Traceback" not in short.stderr, short.stderr
    assert "--overlap-days" in short.stderr
