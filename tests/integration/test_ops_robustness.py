"""What an operator sees when things go wrong: SQL logs without secrets, migrations racing, a full
disk, a restore onto a running server (DNEW-ops-robust)."""

from __future__ import annotations

import logging

from sqlalchemy import text

from server.storage.db import Database


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
