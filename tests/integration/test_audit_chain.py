"""The audit trail is tamper-evident: a hash chain that names the first entry that does not fit.

Each entry's hash covers the previous entry's hash and its own canonical content (server/audit.py),
so editing a row breaks that row, deleting one breaks the row after it, and re-hashing an edited
row moves the break to the next row. `python -m server verify-audit` exits 1 on a broken chain.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select, text, update

from server.audit import GENESIS, verify_chain
from server.settings import REPO_ROOT
from server.storage.schema import audit
from tests.conftest import login
from tests.integration.scenarios import complete_on_phone, new_repair, open_and_dispatch


async def _activity(client) -> None:  # noqa: ANN001
    """Real work: logins, an intake, opening, dispatch, a phone completing the job, a refused push."""
    desk = await login(client, "dispatcher")
    for content in ("厨房漏水", "门锁坏了"):
        case_id = (await new_repair(client, desk, content=content))["case"]["id"]
        await open_and_dispatch(client, desk, case_id)
    await complete_on_phone(client, case_id)
    await client.post("/api/auth/login", json={"username": "tech", "password": "wrong"})


async def _ids(db) -> list[int]:  # noqa: ANN001
    async with db.read() as conn:
        return [r[0] for r in (await conn.execute(text("SELECT id FROM audit ORDER BY id"))).all()]


async def _verify(db):  # noqa: ANN001, ANN202
    async with db.read() as conn:
        return await verify_chain(conn)


async def _exec(db, sql: str, **params) -> None:  # noqa: ANN001, ANN003
    async with db.transaction() as uow:
        await uow.conn.execute(text(sql), params)


async def test_the_chain_verifies_after_real_activity(client, demo_db):  # noqa: ANN001
    await _activity(client)
    report = await _verify(demo_db)
    ids = await _ids(demo_db)
    assert report.ok and report.first_bad_id is None
    assert report.entries == len(ids) > 20
    async with demo_db.read() as conn:
        first = (await conn.execute(text("SELECT prev_hash FROM audit ORDER BY id LIMIT 1"))).scalar()
        actions = {r[0] for r in (await conn.execute(text("SELECT DISTINCT action FROM audit"))).all()}
    assert first == GENESIS
    assert {"login", "case.received", "case.dispatched", "work_order.completed"} <= actions


async def test_changing_one_rows_data_is_detected_at_that_row(client, demo_db):  # noqa: ANN001
    await _activity(client)
    ids = await _ids(demo_db)
    victim = ids[len(ids) // 2]
    await _exec(demo_db, "UPDATE audit SET data = :d WHERE id = :i", d='{"fee_cents":0}', i=victim)
    report = await _verify(demo_db)
    assert not report.ok and report.first_bad_id == victim
    assert report.entries == ids.index(victim)


async def test_changing_who_or_when_is_detected_too(client, demo_db):  # noqa: ANN001
    await _activity(client)
    ids = await _ids(demo_db)
    await _exec(demo_db, "UPDATE audit SET actor_id = 'usr_manager' WHERE id = :i", i=ids[3])
    assert (await _verify(demo_db)).first_bad_id == ids[3]
    # A second edit earlier in the chain: the report names the earliest break.
    await _exec(demo_db, "UPDATE audit SET action = 'login' WHERE id = :i", i=ids[1])
    assert (await _verify(demo_db)).first_bad_id == ids[1]
    async with demo_db.read() as conn:
        at = (await conn.execute(select(audit.c.at).where(audit.c.id == ids[0]))).scalar()
    async with demo_db.transaction() as uow:
        await uow.conn.execute(update(audit).where(audit.c.id == ids[0]).values(at=at - timedelta(minutes=1)))
    assert (await _verify(demo_db)).first_bad_id == ids[0]


async def test_deleting_a_row_is_detected_at_the_row_after_it(client, demo_db):  # noqa: ANN001
    await _activity(client)
    ids = await _ids(demo_db)
    gone = ids[len(ids) // 3]
    await _exec(demo_db, "DELETE FROM audit WHERE id = :i", i=gone)
    report = await _verify(demo_db)
    assert not report.ok and report.first_bad_id == ids[ids.index(gone) + 1]


async def test_rehashing_an_edited_row_moves_the_break_to_the_next_row(client, demo_db):  # noqa: ANN001
    """Someone who knows the algorithm recomputes the edited row's hash: its successor no longer fits."""
    from server.audit import entry_hash

    await _activity(client)
    ids = await _ids(demo_db)
    victim = ids[5]
    async with demo_db.read() as conn:
        row = dict((await conn.execute(select(audit).where(audit.c.id == victim))).one()._mapping)
    row["data"] = '{"forged":true}'
    new_hash = entry_hash(row["prev_hash"], row)
    await _exec(demo_db, "UPDATE audit SET data = :d, hash = :h WHERE id = :i", d=row["data"], h=new_hash, i=victim)
    assert (await _verify(demo_db)).first_bad_id == ids[6]


def _cli(db_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ESTATEDESK_DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "server", "verify-audit"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_the_cli_exits_0_on_an_intact_chain_and_1_naming_the_break(client, demo_db, db_url):  # noqa: ANN001
    await _activity(client)
    ok = _cli(db_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout
    ids = await _ids(demo_db)
    await _exec(demo_db, "DELETE FROM audit WHERE id = :i", i=ids[2])
    broken = _cli(db_url)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"entry id {ids[3]}" in broken.stdout
