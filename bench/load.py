"""Load test: many phones pushing and pulling against real server processes on 127.0.0.1.

Not part of the test run. Defaults are the issue's numbers: 200 phones, each pushing a batch every
30 s and pulling every 15 s, for 5 minutes.

    .venv/bin/python bench/load.py --engine sqlite
    .venv/bin/python bench/load.py --engine pg --pg-url postgresql+asyncpg://postgres@127.0.0.1:PORT/postgres
    .venv/bin/python bench/load.py --engine sqlite --phones 20 --duration 30   # a quick look

SQLite runs one server process; PostgreSQL runs two behind a round robin (phone i talks to port
i mod 2), sharing one fresh database that is dropped afterwards. Setup (not timed): the demo
compound, one technician account per phone, one repair case per phone opened and dispatched to it.
Each phone then, staggered at random: first push accept + arrive + a note, later pushes `--batch`
notes; each pull reads everything new since its cursor. Reports p50/p90/p99/max latency per
operation and the error count, then checks that every acknowledged mutation is stored exactly once.
Every loop is bounded by the duration (plus a fixed grace period); all traffic is loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"
GRACE_S = 60  # the load phase ends by itself at most this long after --duration


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def start_server(db_url: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, ESTATEDESK_DATABASE_URL=db_url, ESTATEDESK_DATA_DIR=str(data_dir))
    log = open(data_dir / f"server-{port}.log", "ab")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "server", "serve", "--host", LOOPBACK, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/api/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def prepare_database(url: str, phones: int) -> list[str]:
    """Migrate, seed the demo compound, create one technician per phone. Returns the usernames."""
    from server.auth.passwords import hash_password
    from server.demo import seed_demo
    from server.domain.roles import Role
    from server.services.accounts import create_user
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    await upgrade(url)
    db = Database(url)
    try:
        await seed_demo(db)
        pw_hash = hash_password("load-test-pw")  # hashed once: Argon2 per account would dominate setup
        names = []
        for i in range(phones):
            name = f"load{i:03d}"
            await create_user(db, username=name, password="", password_hash=pw_hash, display_name=f"负载{i:03d}",
                              roles=[Role.TECHNICIAN], compound_id="cmp_demo", user_id=f"usr_{name}")
            names.append(name)
        return names
    finally:
        await db.dispose()


class Stats:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}

    def add(self, op: str, ms: float, error: str | None) -> None:
        self.ms.setdefault(op, []).append(ms)
        if error:
            self.errors.setdefault(op, []).append(error)

    def report(self) -> dict:
        out = {}
        for op, values in sorted(self.ms.items()):
            v = sorted(values)
            q = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else v * 99
            out[op] = {"count": len(v), "errors": len(self.errors.get(op, [])), "p50_ms": round(q[49], 1),
                       "p90_ms": round(q[89], 1), "p99_ms": round(q[98], 1), "max_ms": round(v[-1], 1),
                       "error_samples": sorted(set(self.errors.get(op, [])))[:5]}
        return out


class LoadPhone:
    def __init__(self, http: httpx.AsyncClient, token: str, job_id: str, name: str, stats: Stats) -> None:
        self.http, self.job_id, self.name, self.stats = http, job_id, name, stats
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client_id = "load" + uuid.uuid4().hex
        self.next_id = 1
        self.cursor = 0
        self.outbox: list[dict] = []
        self.acked: set[int] = set()

    def _mutation(self, type_: str, **args) -> dict:  # noqa: ANN003
        m = {"mutation_id": self.next_id, "type": type_, "args": {"job_id": self.job_id, **args},
             "device_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.next_id += 1
        return m

    async def timed(self, op: str, method: str, url: str, **kw) -> httpx.Response | None:  # noqa: ANN003
        t = time.perf_counter()
        try:
            r = await self.http.request(method, url, headers=self.headers, **kw)
        except httpx.HTTPError as e:
            self.stats.add(op, (time.perf_counter() - t) * 1000, type(e).__name__)
            return None
        ms = (time.perf_counter() - t) * 1000
        self.stats.add(op, ms, None if r.status_code == 200 else f"{r.status_code} {r.text[:80]}")
        return r if r.status_code == 200 else None

    async def pull(self) -> None:
        for _ in range(20):  # bounded: 20 pages of 1000 changes is far more than one phone sees
            r = await self.timed("pull", "GET", "/api/sync/pull", params={"cursor": self.cursor})
            if r is None:
                return
            body = r.json()
            self.cursor = body["cursor"]
            if not body["more"]:
                return

    async def push(self, batch: int) -> None:
        if not self.outbox:  # an unacknowledged batch is resent as it is, like the app's outbox
            if self.next_id == 1:
                self.outbox = [self._mutation("job.accept"), self._mutation("job.arrive")]
            while len(self.outbox) < max(batch, 3 if self.next_id <= 3 else 1):
                self.outbox.append(self._mutation("job.note", text=f"{self.name} 进度 {self.next_id}"))
        r = await self.timed("push", "POST", "/api/sync/push",
                             json={"client_id": self.client_id, "mutations": self.outbox})
        if r is None:
            return
        body = r.json()
        bad = [x for x in body["results"] if x["status"] not in ("applied", "duplicate")]
        if bad:
            self.stats.add("push_rejected", 0, f"{bad[0]['status']} {bad[0].get('code')}")
        self.acked |= {x["mutation_id"] for x in body["results"] if x["status"] in ("applied", "duplicate")}
        self.outbox = [m for m in self.outbox if m["mutation_id"] not in self.acked]

    async def run(self, t_end: float, push_every: float, pull_every: float, batch: int) -> None:
        now = time.monotonic()
        next_push = now + random.uniform(0, push_every)
        next_pull = now + random.uniform(0, pull_every)
        while True:
            nxt = min(next_push, next_pull)
            if nxt >= t_end:
                return
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))
            if next_push <= next_pull:
                next_push += push_every
                await self.push(batch)
            else:
                next_pull += pull_every
                await self.pull()


async def setup_phones(clients: list[httpx.AsyncClient], names: list[str], stats: Stats) -> list[LoadPhone]:
    # Several desk logins: the per-device flood limit (server/ratelimit.py, 240 at once) is meant for
    # one person's pace, and dispatching 200 jobs from one device in seconds is not that.
    desks = []
    for k in range(0, len(names), 40):
        r = await clients[0].post("/api/auth/login", json={"username": "dispatcher", "password": "demo",
                                                            "device_name": f"load-desk-{k}"})
        r.raise_for_status()
        desks.append({"Authorization": f"Bearer {r.json()['token']}"})
    sem = asyncio.Semaphore(8)
    phones: list[LoadPhone | None] = [None] * len(names)

    async def one(i: int, name: str) -> None:
        http = clients[i % len(clients)]
        desk = desks[i // 40]
        async with sem:
            r = await http.post("/api/auth/login", json={"username": name, "password": "load-test-pw",
                                                         "device_name": f"load-phone-{i}"})
            r.raise_for_status()
            token = r.json()["token"]
            r = await http.post("/api/cases", headers=desk, json={
                "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
                "unit_id": "unit_1_101", "content": f"负载测试报修 {i}", "repair_responsibility": "common",
                "repair_class": "small"})
            r.raise_for_status()
            case_id = r.json()["case"]["id"]
            r = await http.post(f"/api/cases/{case_id}/decide", headers=desk, json={"open": True, "reason": "A"})
            r.raise_for_status()
            r = await http.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                                json={"assignee_id": f"usr_{name}", "unreached_lead_ids": ["usr_lead"]})
            r.raise_for_status()
            phone = LoadPhone(http, token, "", name, stats)
            await phone.pull()
        phones[i] = phone

    await asyncio.gather(*(one(i, n) for i, n in enumerate(names)))
    # The job id arrives with the first pull (the feed), as on a real phone.
    for p in phones:
        assert p is not None
    return [p for p in phones if p is not None]


async def find_jobs(url: str, phones: list[LoadPhone]) -> None:
    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import cases

    db = Database(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(cases.c.id, cases.c.assignee_id))).all()
    finally:
        await db.dispose()
    by_user = {r.assignee_id: r.id for r in rows if r.assignee_id}
    for p in phones:
        p.job_id = f"{by_user[f'usr_{p.name}']}-w1"


async def verify(url: str, phones: list[LoadPhone]) -> dict:
    """Every acknowledged mutation is stored, and none twice."""
    from sqlalchemy import func, select

    from server.storage.db import Database
    from server.storage.schema import sync_mutations

    db = Database(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(sync_mutations.c.client_id, func.count())
                                       .where(sync_mutations.c.client_id.like("load%"))
                                       .group_by(sync_mutations.c.client_id))).all()
    finally:
        await db.dispose()
    stored = dict(rows)
    acked = sum(len(p.acked) for p in phones)
    missing = sum(max(0, len(p.acked) - stored.get(p.client_id, 0)) for p in phones)
    return {"acknowledged": acked, "stored": sum(stored.values()), "missing": missing}


async def main_async(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="estatedesk-load-"))
    pg_name = None
    if args.engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'estatedesk.sqlite3'}"
        n_servers = 1
    else:
        base = args.pg_url or os.environ.get("ESTATEDESK_TEST_PG_URL")
        if not base:
            raise SystemExit("--engine pg needs --pg-url or ESTATEDESK_TEST_PG_URL (a throwaway cluster)")
        import asyncpg

        pg_name = "ed_load_" + uuid.uuid4().hex[:10]
        conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        url = base.rsplit("/", 1)[0] + "/" + pg_name
        n_servers = args.servers
    procs: list[subprocess.Popen] = []
    try:
        t0 = time.monotonic()
        names = await prepare_database(url, args.phones)
        ports = [free_port() for _ in range(n_servers)]
        for port in ports:  # one after the other: the first start migrates and seeds
            procs.append(start_server(url, tmp, port))
            await asyncio.to_thread(wait_ready, procs[-1], port)
        limits = httpx.Limits(max_connections=args.phones + 10, max_keepalive_connections=args.phones + 10)
        clients = [httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{p}", timeout=30, limits=limits) for p in ports]
        try:
            setup_stats = Stats()
            phones = await setup_phones(clients, names, setup_stats)
            await find_jobs(url, phones)
            print(f"setup: {len(phones)} phones with a dispatched job, {n_servers} server process(es), "
                  f"{time.monotonic() - t0:.0f} s", flush=True)
            stats = Stats()
            for p in phones:
                p.stats = stats
            t_start = time.monotonic()
            t_end = t_start + args.duration
            await asyncio.wait_for(
                asyncio.gather(*(p.run(t_end, args.push_every, args.pull_every, args.batch) for p in phones)),
                args.duration + GRACE_S,
            )
            elapsed = time.monotonic() - t_start
        finally:
            for c in clients:
                await c.aclose()
        result = {
            "engine": args.engine, "servers": n_servers, "phones": args.phones, "duration_s": round(elapsed, 1),
            "push_every_s": args.push_every, "pull_every_s": args.pull_every, "batch": args.batch,
            "cpus": os.cpu_count(), "ops": stats.report(), "verify": await verify(url, phones),
        }
        return result
    finally:
        for p in procs:
            stop(p)
        if pg_name:
            import asyncpg

            conn = await asyncpg.connect(args.pg_url.replace("postgresql+asyncpg://", "postgresql://")
                                         if args.pg_url else
                                         os.environ["ESTATEDESK_TEST_PG_URL"].replace("postgresql+asyncpg://",
                                                                                      "postgresql://"))
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()
        print(f"server logs: {tmp}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "pg"], default="sqlite")
    p.add_argument("--phones", type=int, default=200)
    p.add_argument("--duration", type=float, default=300, help="seconds of load (after setup)")
    p.add_argument("--push-every", type=float, default=30)
    p.add_argument("--pull-every", type=float, default=15)
    p.add_argument("--batch", type=int, default=3, help="mutations per push")
    p.add_argument("--servers", type=int, default=2, help="server processes on PostgreSQL")
    p.add_argument("--pg-url", help="PostgreSQL server URL (default ESTATEDESK_TEST_PG_URL)")
    p.add_argument("--json", help="also write the result here")
    args = p.parse_args()
    if args.phones < 1 or args.duration <= 0 or args.duration > 3600:
        p.error("--phones >= 1 and 0 < --duration <= 3600")
    result = asyncio.run(main_async(args))
    print(f"\n{result['engine']}: {result['phones']} phones, {result['servers']} server process(es), "
          f"{result['duration_s']} s, {result['cpus']} CPUs")
    print(f"{'op':<14}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for op, s in result["ops"].items():
        print(f"{op:<14}{s['count']:>7}{s['errors']:>8}{s['p50_ms']:>9}{s['p90_ms']:>9}{s['p99_ms']:>9}{s['max_ms']:>9}")
        for e in s["error_samples"]:
            print(f"    e.g. {e}")
    print(f"verify: {result['verify']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    errors = sum(s["errors"] for s in result["ops"].values())
    return 0 if errors == 0 and result["verify"]["missing"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
