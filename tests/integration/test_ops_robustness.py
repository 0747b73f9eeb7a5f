"""What an operator sees when things go wrong: SQL logs without secrets, migrations racing, a full
disk, a restore onto a running server (D148)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from server.storage.db import Database
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


async def test_sql_log_hides_parameters_and_writes_each_statement_once(db_url, caplog, capsys):
    # ESTATEDESK_LOG_SQL=true used to print the VAPID private key, push keys and password hashes,
    # each line twice (SQLAlchemy's own stdout handler plus the app's root handler).
    db = Database(db_url, echo=True)
    try:
        with caplog.at_level(logging.INFO):
            async with db.transaction() as uow:
                await uow.conn.execute(text("SELECT :secret AS s"), {"secret": "PRIVATE-KEY-PEM-xyz"})
    finally:
        await db.dispose()
        logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)  # other tests stay quiet
    sql = [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert any("AS s" in r.getMessage() for r in sql)
    assert not any("PRIVATE-KEY-PEM-xyz" in r.getMessage() for r in caplog.records)
    out = capsys.readouterr()
    assert "AS s" not in out.out and "PRIVATE-KEY-PEM-xyz" not in out.out + out.err
    assert not logging.getLogger("sqlalchemy.engine.Engine").handlers


def test_two_servers_starting_on_an_empty_database_both_migrate(empty_db_url, tmp_path):
    # Two processes started together on a fresh database used to race the migration: one crashed
    # with UniqueViolationError on alembic_version (PostgreSQL). Each takes the migration lock now.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATEDESK_")}
    env |= {"ESTATEDESK_DATABASE_URL": empty_db_url, "ESTATEDESK_DATA_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-m", "server", "migrate"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [rc for rc, _ in results] == [0, 0, 0], "\n".join(err[-2000:] for _, err in results)


async def test_access_log_has_one_line_per_request_without_query_or_token(client, caplog):
    import httpx

    from server.access_log import with_access_log

    headers = await login(client, "dispatcher")
    token = headers["Authorization"].split()[-1]
    client._transport = httpx.ASGITransport(app=with_access_log(client._transport.app))
    with caplog.at_level(logging.INFO, logger="estatedesk.access"):
        await client.get("/api/health?probe=secret-query")
        await client.get("/api/me", headers=headers)
        await client.get("/api/health", headers={"Host": "evil.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "estatedesk.access"]
    assert len(lines) == 3, lines
    assert lines[0].startswith("GET /api/health 200 ") and "user=-" in lines[0]
    assert lines[1].startswith("GET /api/me ") and "user=u" in lines[1], lines[1]
    assert lines[2].startswith("GET /api/health 400 ")
    assert not any("secret-query" in m or token in m for m in lines)


async def test_a_refused_host_is_logged_once_naming_the_setting(client, caplog):
    with caplog.at_level(logging.WARNING, logger="estatedesk"):
        for _ in range(3):
            r = await client.get("/api/health", headers={"Host": "192.168.7.7:8838"})
            assert r.status_code == 400
    lines = [r.getMessage() for r in caplog.records if "192.168.7.7" in r.getMessage()]
    assert len(lines) == 1 and "ESTATEDESK_ALLOWED_HOSTS" in lines[0], lines


def _storage_error(message: str):  # noqa: ANN202
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    return DBAPIError.instance("INSERT INTO x VALUES (?)", ("secret",), sqlite3.OperationalError(message),
                               sqlite3.DatabaseError)


def _request_on(app):  # noqa: ANN001, ANN202
    from types import SimpleNamespace

    return SimpleNamespace(app=app, method="POST", url=SimpleNamespace(path="/api/sync/push"))


async def test_a_disk_io_error_is_its_own_code_and_is_logged_once_a_minute(client, settings, caplog):
    from server.errors import storage_error_handler
    from tests.conftest import _APP

    request = _request_on(_APP["app"])
    with caplog.at_level(logging.WARNING, logger="estatedesk"):
        answers = [storage_error_handler(request, _storage_error("disk I/O error")) for _ in range(3)]
    assert {a.status_code for a in answers} == {503}
    assert answers[0].content["code"] == "storage.io_error"
    lines = [r.getMessage() for r in caplog.records if "storage.io_error" in r.getMessage()]
    # Where to look: the data dir on SQLite, the database's host and name on PostgreSQL (no password).
    where = str(settings.data_dir) if settings.dialect == "sqlite" else settings.database_url.rsplit("@", 1)[1]
    assert len(lines) == 1 and where in lines[0], lines
    # An I/O error is not a full disk: health stays green.
    assert (await client.get("/api/health")).status_code == 200


async def test_after_a_full_disk_health_says_so_with_503(client, caplog):
    from server.errors import storage_error_handler
    from tests.conftest import _APP

    assert (await client.get("/api/health")).json()["storage"] == "ok"
    with caplog.at_level(logging.WARNING, logger="estatedesk"):
        r = storage_error_handler(_request_on(_APP["app"]), _storage_error("database or disk is full"))
    assert r.content["code"] == "storage.full"
    assert any("storage.full" in x.getMessage() for x in caplog.records)
    h = await client.get("/api/health")
    assert h.status_code == 503 and h.json()["storage"] == "full"
