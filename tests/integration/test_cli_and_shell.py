"""The command line (first manager, audit check) and the PWA shell's static files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ESTATEDESK_DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_serve_on_a_busy_port_says_so_before_announcing_anything(empty_db_url, tmp_path):
    # A newcomer whose port 8000 is taken must not be told "running at" first and then see a bind
    # failure from inside the web server.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = dict(os.environ, ESTATEDESK_DATABASE_URL=empty_db_url, ESTATEDESK_DATA_DIR=str(tmp_path))
        r = subprocess.run([sys.executable, "-m", "server", "serve", "--port", str(port)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "ESTATEDESK_PORT" in r.stderr
    assert "running at" not in r.stdout


def test_serve_listens_where_the_environment_says_unless_a_flag_says_otherwise(empty_db_url, tmp_path):
    # The README's configuration table promises ESTATEDESK_PORT; --port overrides it. Both are checked
    # on a busy port, so the answer names the port the server tried without serving anything.
    with socket.socket() as taken, socket.socket() as other:
        for s in (taken, other):
            s.bind(("127.0.0.1", 0))
            s.listen(1)
        port, other_port = taken.getsockname()[1], other.getsockname()[1]
        env = dict(os.environ, ESTATEDESK_DATABASE_URL=empty_db_url, ESTATEDESK_DATA_DIR=str(tmp_path),
                   ESTATEDESK_PORT=str(port))
        by_env = subprocess.run([sys.executable, "-m", "server", "serve"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        by_flag = subprocess.run([sys.executable, "-m", "server", "serve", "--port", str(other_port)], cwd=ROOT,
                                 env=env, capture_output=True, text=True, timeout=120)
    assert f"cannot listen on 127.0.0.1:{port}" in by_env.stderr, by_env.stderr
    assert f"cannot listen on 127.0.0.1:{other_port}" in by_flag.stderr, by_flag.stderr


async def test_create_user_makes_the_first_manager_and_there_is_no_default_password(empty_db_url, client):
    r = _cli("create-user", "boss", "--password", "s3cret-pass", "--display-name", "老板", url=empty_db_url)
    assert r.returncode == 0, r.stderr
    from server.services import accounts
    from server.storage.db import Database

    db = Database(empty_db_url)
    try:
        ok = await accounts.login(db, "boss", "s3cret-pass", "cli test")
        assert ok.user.roles == ["manager"]
        # Without --demo nobody else exists: the demo password opens nothing.
        from server.domain.errors import DomainError

        with pytest.raises(DomainError):
            await accounts.login(db, "dispatcher", "demo", "x")
    finally:
        await db.dispose()
    # A password that is too short is refused, and a taken name is refused with a message.
    assert _cli("create-user", "weak", "--password", "short", url=empty_db_url).returncode == 2
    again = _cli("create-user", "boss", "--password", "another-pass", url=empty_db_url)
    assert again.returncode == 1 and "taken" in again.stderr


def test_verify_audit_reports_an_intact_chain(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"
    assert _cli("migrate", url=url).returncode == 0
    assert _cli("create-user", "boss", "--password", "s3cret-pass", url=url).returncode == 0
    r = _cli("verify-audit", url=url)
    assert r.returncode == 0 and "intact" in r.stdout


async def test_manifest_declares_an_installable_chinese_app(client):
    r = await client.get("/manifest.webmanifest")
    assert r.status_code == 200
    m = json.loads(r.content)
    assert m["lang"] == "zh-CN" and m["display"] == "standalone" and m["theme_color"]
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in m["icons"]}
    assert ("192x192", "any") in sizes and ("512x512", "any") in sizes
    assert any("maskable" in p for _, p in sizes)
    for icon in m["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_service_worker_is_served_from_the_root_and_always_revalidated(client):
    r = await client.get("/service-worker.js")
    assert r.status_code == 200
    assert "no-cache" in r.headers.get("cache-control", "")
    assert "addEventListener('push'" in r.text or 'addEventListener("push"' in r.text


async def test_the_app_shell_loads_without_inline_script(client):
    r = await client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="zh-CN"' in html or "lang=\"zh-CN\"" in html
    # Every script is an external file (the CSP forbids inline script).
    import re

    for tag in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S):
        assert tag.strip() == ""
    assert "manifest.webmanifest" in html


async def test_login_is_needed_for_the_api_but_not_for_the_shell(client):
    assert (await client.get("/api/cases")).status_code == 401
    assert (await client.get("/index.html")).status_code == 200
    headers = await login(client, "dispatcher")
    assert (await client.get("/api/cases", headers=headers)).status_code == 200


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ESTATEDESK_")} | env
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,value", [("ESTATEDESK_RUN_SCHEDULER", "ture"), ("ESTATEDESK_PORT", "80x0"),
                                        ("ESTATEDESK_MAX_BODY_BYTES", "-5"),
                                        ("ESTATEDESK_DATABASE_URL", "postgresql+psycopg://u@h/d")])
def test_a_bad_setting_stops_every_command_with_one_line_naming_it(tmp_path, name, value):
    r = _run("migrate", ESTATEDESK_DATA_DIR=str(tmp_path), **{name: value})
    assert r.returncode == 2
    assert name in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "estatedesk.sqlite3").exists()


def test_serve_refuses_an_impossible_port_flag_without_a_traceback(tmp_path):
    r = _run("serve", "--port", "99999", ESTATEDESK_DATA_DIR=str(tmp_path))
    assert r.returncode == 2 and "65535" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_data_dir_that_cannot_be_written_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    r = _run("migrate", ESTATEDESK_DATA_DIR=str(blocker / "data"))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert str(blocker / "data") in r.stderr and "ESTATEDESK_DATA_DIR" in r.stderr


def test_an_unreachable_postgresql_is_one_line_without_its_password(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = _run("migrate", ESTATEDESK_DATABASE_URL=f"postgresql://ed:hunter2@127.0.0.1:{port}/estate")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "ESTATEDESK_DATABASE_URL" in r.stderr and f"127.0.0.1:{port}/estate" in r.stderr
    assert "hunter2" not in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_until_up(tmp_path, *args: str) -> tuple[subprocess.Popen, int]:
    import time
    import urllib.request

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATEDESK_")}
    env |= {"ESTATEDESK_DATA_DIR": str(tmp_path), "ESTATEDESK_RUN_SCHEDULER": "false"}
    p = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port), *args], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).close()
            return p, port
        except OSError:
            time.sleep(0.25)
    p.kill()
    raise AssertionError(p.communicate()[1])


def test_ctrl_c_stops_serve_with_one_line_not_a_traceback(tmp_path):
    import signal

    p, _ = _serve_until_up(tmp_path)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "server stopped" in err


def test_serve_on_every_address_says_how_to_let_phones_in(tmp_path):
    import signal

    p, _ = _serve_until_up(tmp_path, "--host", "0.0.0.0")
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert "ESTATEDESK_ALLOWED_HOSTS" in out and "request.bad_host" in out


def test_backup_leaves_only_the_backup_and_refuses_the_live_file_or_a_missing_folder(tmp_path):
    data = tmp_path / "data"
    assert _run("migrate", ESTATEDESK_DATA_DIR=str(data)).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    ok = _run("backup", str(out / "b.sqlite3"), ESTATEDESK_DATA_DIR=str(data))
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in out.iterdir()) == ["b.sqlite3"]  # no b.sqlite3.partial-wal / -shm
    live = _run("backup", str(data / "estatedesk.sqlite3"), ESTATEDESK_DATA_DIR=str(data))
    assert live.returncode == 1 and "Traceback" not in live.stderr and "live database" in live.stderr, live.stderr
    assert _run("verify-audit", ESTATEDESK_DATA_DIR=str(data)).returncode == 0
    missing = _run("backup", str(tmp_path / "nowhere" / "b.sqlite3"), ESTATEDESK_DATA_DIR=str(data))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr, missing.stderr
    assert str(tmp_path / "nowhere") in missing.stderr


def test_restore_refuses_while_a_server_uses_the_database(tmp_path):
    import signal

    data = tmp_path / "data"
    assert _run("migrate", ESTATEDESK_DATA_DIR=str(data)).returncode == 0
    assert _run("backup", str(tmp_path / "b.sqlite3"), ESTATEDESK_DATA_DIR=str(data)).returncode == 0
    p, _ = _serve_until_up(data)
    try:
        r = _run("restore", str(tmp_path / "b.sqlite3"), ESTATEDESK_DATA_DIR=str(data))
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "stop the server" in r.stderr
    assert not list(data.glob("*before-restore*"))  # nothing was touched
    # Once the server is stopped the same restore goes through.
    again = _run("restore", str(tmp_path / "b.sqlite3"), ESTATEDESK_DATA_DIR=str(data))
    assert again.returncode == 0, again.stderr
