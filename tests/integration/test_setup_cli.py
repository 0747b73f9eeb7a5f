"""Setting up a real compound from the command line, and the demo kept out of real databases (D146).

The subcommands run in-process through `server.__main__.main`, against the engine under test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from server.__main__ import main
from server.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, monkeypatch, url: str, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    monkeypatch.setenv("ESTATEDESK_DATABASE_URL", url)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _serve_banner(url: str, data_dir: Path) -> str:
    """What `serve --demo` prints before it starts answering (then it is stopped)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, ESTATEDESK_DATABASE_URL=url, ESTATEDESK_DATA_DIR=str(data_dir),
               ESTATEDESK_RUN_SCHEDULER="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--demo", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            # The banner ends with an empty line after the "running at" line and the logins.
            if any("running at" in x for x in lines) and line.strip() == "" and len(lines) > 2:
                break
            assert time.monotonic() < deadline, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return "".join(lines)


async def _usernames(url: str) -> set[str]:
    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import users

    db = Database(url)
    try:
        async with db.read() as conn:
            return set((await conn.execute(select(users.c.username))).scalars())
    finally:
        await db.dispose()


# --- the demo stays out of a real database ---------------------------------------------------


def test_serve_demo_adds_no_demo_accounts_next_to_a_real_compound(empty_db_url, tmp_path, capsys, monkeypatch):
    # The ops reviewer's repro: a real manager first, then run.sh's `serve --demo` (also what
    # docs/deploy.md has operators run after a restore). The demo's shared-password logins must not appear.
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1")
    assert code == 0, err
    banner = _serve_banner(empty_db_url, tmp_path)
    assert "demo compound created" not in banner
    assert "were not added" in banner and "未添加演示小区" in banner
    after = banner.split("running at", 1)[1]
    assert "demo logins" not in after and "password" not in after
    import asyncio

    assert asyncio.run(_usernames(empty_db_url)) == {"boss"}


def test_serve_demo_on_an_empty_database_seeds_it_and_lists_every_readme_login(empty_db_url, tmp_path):
    banner = _serve_banner(empty_db_url, tmp_path)
    assert "demo compound created" in banner
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    listed = set(re.findall(r"`([a-z0-9]+)`", table))
    from server.demo import DEMO_STAFF

    # One list: README's table, the seeded accounts and the banner name the same people.
    assert listed == {u for u, _, _ in DEMO_STAFF}
    logins = banner.split("demo logins", 1)[1]
    shown = set(re.findall(r"[a-z0-9]+", logins)) - {"password", "demo", "also"}
    assert listed <= shown, listed - shown
    import asyncio

    assert asyncio.run(_usernames(empty_db_url)) == listed


async def test_seed_demo_refuses_a_database_with_another_compound(empty_db_url):
    from server.demo import seed_demo
    from server.services.accounts import ensure_compound
    from server.storage.db import Database

    await upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        async with db.transaction() as uow:
            await ensure_compound(uow.conn, uow.now, name="金色家园")
        assert await seed_demo(db) == "refused"
    finally:
        await db.dispose()
    assert await _usernames(empty_db_url) == set()

