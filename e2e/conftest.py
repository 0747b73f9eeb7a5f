"""e2e fixtures: the real server (subprocess, demo compound, fresh SQLite) and Debian Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ESTATEDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The narrowest phone the field app supports (issue: "signature capture that works with a finger at
# 360 px width"): every phone test runs at this size, so a page that fits here fits every phone.
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, url: str, proc: subprocess.Popen, data_dir: Path) -> None:
        self.url = url
        self.proc = proc
        self.data_dir = data_dir


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> RunningServer:
    port = _free_port()
    env = dict(os.environ, ESTATEDESK_DATA_DIR=str(data_dir), **(extra_env or {}))
    env.pop("ESTATEDESK_DATABASE_URL", None)
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--demo", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=1) as r:
                if r.status == 200:
                    return RunningServer(url, proc, data_dir)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


@contextmanager
def serving(prefix: str = "estatedesk-e2e-") -> Iterator[RunningServer]:
    """A demo server on a fresh SQLite file for as long as the block runs; stopped and removed after.
    Tests whose figures depend on the whole compound (a month's report, the open handover items) use
    one of their own instead of the shared `server`."""
    with tempfile.TemporaryDirectory(prefix=prefix) as d:
        srv = start_server(Path(d))
        try:
            yield srv
        finally:
            srv.proc.terminate()
            try:
                srv.proc.wait(10)
            except subprocess.TimeoutExpired:
                srv.proc.kill()


def running_since(server: RunningServer, year: int, month: int) -> None:
    """The demo compound as one set up on the 1st of `month` (Shanghai). The demo is set up today and
    the server runs on the real clock, and a month before a compound's first has no report (R-RV-4):
    a test that hands in or signs a month long over needs a compound that lived through it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import create_engine, update

    from server.demo import DEMO_COMPOUND
    from server.storage.schema import compounds

    engine = create_engine(f"sqlite:///{server.data_dir / 'estatedesk.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(update(compounds).where(compounds.c.id == DEMO_COMPOUND).values(
            created_at=datetime(year, month, 1, tzinfo=ZoneInfo("Asia/Shanghai"))))
    engine.dispose()


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    with serving() as srv:
        yield srv


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # Browsers cannot be downloaded here: drive Debian's Chromium.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
