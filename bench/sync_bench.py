"""Sync throughput bench: this server's push and pull over HTTP against what raw SQLite can do.

Not part of the test run. One run on one machine measures:
  (a) the limit - stdlib sqlite3 (WAL, synchronous=FULL like the server, D2) inserting the rows of a
      push request's mutations 100 per transaction after a msgspec decode of the request body; and a
      raw select of 10,000 work-order documents plus encoding them into one JSON response (stored JSON
      passed through as msgspec.Raw);
  (b) this server's push over HTTP on loopback (the real server as a subprocess), batches of 100
      job.note mutations with full semantics (dedupe, domain step, case save, change feed, audit),
      from 1 and from 8 concurrent clients;
  (c) a pull of 10,000 work orders over HTTP (paged at the server's maximum page, 5000);
  (d) the transport floor: the same push client against bench/floor_app.py, the push endpoint with
      the same wire contract and no semantics (no middleware, no database) - the most any push
      on this stack can reach on this machine, for reading (b) against.
The LAST line printed is one JSON object with the figures (see bench/README.md).

    .venv/bin/python bench/sync_bench.py                     # SQLite (a temp file)
    .venv/bin/python bench/sync_bench.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
With --db a fresh database is created on that PostgreSQL server and dropped afterwards; the limit
stays raw sqlite3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 100
JOBS = 10_000
NOTES_PER_JOB_PER_BATCH = 5  # a batch touches 20 jobs, like a phone back from a day offline
TARGETS = {"push_ratio_to_limit": (">=", 0.20), "push_c8_over_c1": (">=", 1.0), "pull_ratio_to_limit": ("<=", 3.0)}


def log(*a: object) -> None:
    print(*a, flush=True)


# --- (a) the limit -----------------------------------------------------------------------------------


class MutationIn(msgspec.Struct, kw_only=True):
    mutation_id: int
    type: str
    args: dict
    device_time: datetime | None = None


class PushIn(msgspec.Struct, kw_only=True):
    client_id: str
    mutations: list[MutationIn]


def push_body(client_id: str, first_id: int, jobs: list[str]) -> bytes:
    muts = []
    for i in range(BATCH):
        mid = first_id + i
        muts.append({"mutation_id": mid, "type": "job.note", "device_time": "2026-11-23T02:00:00Z",
                     "args": {"job_id": jobs[i // NOTES_PER_JOB_PER_BATCH],
                              "text": f"更换了阀芯，检查管道无渗漏 #{client_id[:6]}:{mid}"}})
    return msgspec.json.encode({"client_id": client_id, "mutations": muts})


def limit_insert(tmp: Path, bodies: list[bytes]) -> float:
    """Rows/s: decode a push body, insert its mutation rows in one transaction, fsync (FULL)."""
    path = tmp / "limit.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("""CREATE TABLE sync_mutations (client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL,
        type TEXT NOT NULL, status TEXT NOT NULL, code TEXT, message TEXT, message_en TEXT,
        args TEXT NOT NULL, received_at TEXT NOT NULL, device_time TEXT, PRIMARY KEY (client_id, mutation_id))""")
    dec = msgspec.json.Decoder(PushIn)
    enc = msgspec.json.Encoder()
    t0 = time.perf_counter()
    n = 0
    for body in bodies:
        req = dec.decode(body)
        now = datetime.now(UTC).isoformat()
        rows = [(req.client_id, m.mutation_id, m.type, "applied", None, None, None, enc.encode(m.args).decode(),
                 now, m.device_time.isoformat() if m.device_time else None) for m in req.mutations]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO sync_mutations VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
        n += len(rows)
    dt = time.perf_counter() - t0
    conn.close()
    return n / dt


def limit_pull(tmp: Path, docs: list[bytes]) -> float:
    """Milliseconds: select 10,000 stored documents of one scope and encode them as one response."""
    path = tmp / "limit_pull.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("""CREATE TABLE changes (seq INTEGER PRIMARY KEY, scope TEXT NOT NULL, entity TEXT NOT NULL,
        entity_id TEXT NOT NULL, op TEXT NOT NULL, doc TEXT)""")
    conn.execute("CREATE INDEX ix_scope_seq ON changes (scope, seq)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO changes VALUES (?,?,?,?,?,?)",
                     [(i + 1, "user:usr_tech", "job", f"job{i}", "upsert", d.decode()) for i, d in enumerate(docs)])
    conn.execute("COMMIT")
    enc = msgspec.json.Encoder()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        rows = conn.execute("SELECT seq, entity, entity_id, op, doc FROM changes WHERE scope IN (?, ?) AND seq > ? "
                            "ORDER BY seq LIMIT ?", ("user:usr_tech", "x", 0, len(docs) + 1)).fetchall()
        body = enc.encode({"changes": [{"seq": s, "entity": e, "id": i, "op": o, "doc": msgspec.Raw(d.encode())}
                                       for s, e, i, o, d in rows], "cursor": rows[-1][0], "more": False})
        best = min(best, (time.perf_counter() - t0) * 1000)
        assert len(body) > 1000 * len(docs) // 2
    conn.close()
    return best


# --- seeding (in-process, before the server starts) ---------------------------------------------------


async def seed(url: str, tmp: Path) -> list[str]:
    """The demo compound plus JOBS dispatched repairs for `tech`; returns their job ids."""
    import httpx
    import msgspec.structs as ms

    from server.app import create_app
    from server.demo import seed_demo
    from server.services.cases import save_case
    from server.settings import Settings
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    await upgrade(url)
    db = Database(url)
    await seed_demo(db)
    settings = Settings(database_url=url, data_dir=tmp / "seed", run_scheduler=False)
    app = create_app(settings, db=db, migrate=False)
    app.state.db, app.state.settings = db, settings
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        r = await c.post("/api/auth/login", json={"username": "dispatcher", "password": "demo", "device_name": "b"})
        desk = {"Authorization": f"Bearer {r.json()['token']}"}
        r = await c.post("/api/cases", headers=desk, json={
            "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
            "unit_id": "unit_1_101", "content": "厨房水龙头漏水，关阀后仍滴水", "repair_responsibility": "common",
            "repair_class": "small"})
        assert r.status_code == 201, r.text
        cid = r.json()["case"]["id"]
        assert (await c.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})).is_success
        r = await c.post(f"/api/cases/{cid}/dispatch", headers=desk,
                         json={"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        assert r.status_code == 200, r.text
    # Copies of the dispatched case, saved through the service layer (doc, index columns, clocks,
    # reminders, change feed) in chunks: the API path would take minutes for 10,000.
    from server.services.cases import decode_case
    from server.storage.schema import cases

    async with db.read() as conn:
        from sqlalchemy import select

        template = decode_case((await conn.execute(select(cases.c.doc).where(cases.c.id == cid))).scalar_one())
    jobs = [template.work_orders[0].id]
    for start in range(1, JOBS, 1000):
        async with db.transaction() as uow:
            for i in range(start, min(start + 1000, JOBS)):
                new_id = f"case_bench{i:06d}"
                wo = ms.replace(template.work_orders[0], id=f"{new_id}-w1")
                case = ms.replace(template, id=new_id, no=f"GD-BENCH-{i:06d}", work_orders=(wo,))
                await save_case(uow, case, created=True)
                jobs.append(wo.id)
    await db.dispose()
    return jobs


# --- the server, as a subprocess ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    env = dict(os.environ, ESTATEDESK_DATA_DIR=str(data_dir), ESTATEDESK_DATABASE_URL=url,
               ESTATEDESK_RUN_SCHEDULER="0")
    logf = open(data_dir / "server.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text()[-3000:])
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def start_floor(data_dir: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    logf = open(data_dir / "floor.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.post(f"{base}/api/sync/push", json={"client_id": "warmup-0", "mutations": []}, timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("floor server did not start")


# --- (b) push and (c) pull over HTTP --------------------------------------------------------------------


async def push_run(base: str, tokens: list[str], jobs: list[str], job_cursor: list[int], batches_per_client: int,
                   warmup: int = 0) -> float:
    """Mutations/s with len(tokens) clients pushing concurrently, each its own client id and connection."""
    import httpx

    plans = []
    for tok in tokens:
        cid = "bench" + uuid.uuid4().hex
        bodies = []
        for b in range(warmup + batches_per_client):
            take = BATCH // NOTES_PER_JOB_PER_BATCH
            js = jobs[job_cursor[0]: job_cursor[0] + take]
            job_cursor[0] += take
            bodies.append(push_body(cid, 1 + b * BATCH, js))
        plans.append((tok, bodies))

    async def client(tok: str, bodies: list[bytes], start: asyncio.Barrier) -> None:
        headers = {"Authorization": f"Bearer {tok}", "content-type": "application/json"}
        async with httpx.AsyncClient(timeout=120) as http:
            for i, body in enumerate(bodies):
                if i == warmup:
                    await start.wait()  # every client warmed up and connected: the clock starts
                r = await http.post(f"{base}/api/sync/push", content=body, headers=headers)
                assert r.status_code == 200, r.text
                res = r.json()["results"]
                assert len(res) == BATCH and all(x["status"] == "applied" for x in res), res[:2]

    start = asyncio.Barrier(len(plans) + 1)
    tasks = [asyncio.create_task(client(t, b, start)) for t, b in plans]
    await start.wait()
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    dt = time.perf_counter() - t0
    return len(tokens) * batches_per_client * BATCH / dt


class PageHead(msgspec.Struct):
    """What the timed loop reads of a page; the changes are skipped, not built (the limit builds none)."""

    cursor: int
    more: bool


async def pull_run(base: str, token: str, encoding: str) -> tuple[float, int, int]:
    """Best of 3 full pulls (ms), the work orders in them, and the bytes on the wire for one pull.

    `encoding` is the Accept-Encoding sent: "gzip" as a browser sends it, or "identity".
    """
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": encoding}
    head = msgspec.json.Decoder(PageHead)
    best = float("inf")
    wire = 0
    async with httpx.AsyncClient(timeout=120) as http:
        for _ in range(3):
            t0 = time.perf_counter()
            cursor, wire = 0, 0
            while True:
                r = await http.get(f"{base}/api/sync/pull", headers=headers, params={"cursor": cursor, "limit": 5000})
                wire += r.num_bytes_downloaded
                page = head.decode(r.content)
                cursor = page.cursor
                if not page.more:
                    break
            best = min(best, (time.perf_counter() - t0) * 1000)
        # Untimed: check that the pages held the work orders.
        cursor, n = 0, 0
        while True:
            r = await http.get(f"{base}/api/sync/pull", headers=headers, params={"cursor": cursor, "limit": 5000})
            body = msgspec.json.decode(r.content)
            n += sum(1 for c in body["changes"] if c["entity"] == "job")
            cursor = body["cursor"]
            if not body["more"]:
                break
    return best, n, wire


async def login(base: str, username: str) -> str:
    import httpx

    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(f"{base}/api/auth/login",
                            json={"username": username, "password": "demo", "device_name": "bench"})
        assert r.status_code == 200, r.text
        return r.json()["token"]


def server_database(db_arg: str, tmp: Path) -> tuple[str, str | None, str]:
    """The server's database for a run: a fresh PostgreSQL database on the server `db_arg` names
    (dropped afterwards by the caller, by the name returned), else a SQLite file under `tmp`."""
    if db_arg:
        url, pg_name = asyncio.run(pg_database(db_arg, True))
    else:
        url, pg_name = f"sqlite+aiosqlite:///{tmp / 'server.sqlite3'}", None
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    log(f"server database: {dialect}")
    return url, pg_name, dialect


async def pg_database(base_url: str, create: bool, name: str | None = None) -> tuple[str, str]:
    import asyncpg

    conn = await asyncpg.connect(base_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        if create:
            name = "edbench_" + uuid.uuid4().hex[:12]
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return f"{base_url.rsplit('/', 1)[0]}/{name}", name or ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="", help="postgresql+asyncpg://... (a fresh database is created there)")
    ap.add_argument("--c1-batches", type=int, default=100, help="batches of 100 for the 1-client run")
    ap.add_argument("--c8-batches", type=int, default=10, help="batches of 100 per client for the 8-client run")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="estatedesk-bench-"))
    log(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    log(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")

    # (a) the limit
    bodies = [push_body("limit" + uuid.uuid4().hex, 1 + b * BATCH, [f"job{b}-{j}" for j in range(20)])
              for b in range(100)]
    # Best of three (a fresh file each): this VM's short runs swing by a third, and the best is
    # the stricter yardstick for the ratio.
    runs = []
    for i in range(3):
        (tmp / f"limit{i}").mkdir()
        runs.append(limit_insert(tmp / f"limit{i}", bodies))
    limit_rows = max(runs)
    log(f"limit  insert: stdlib sqlite3 WAL synchronous=FULL, msgspec decode + 100 rows/transaction: "
        f"{limit_rows:,.0f} rows/s (best of {', '.join(f'{r:,.0f}' for r in runs)})")

    url, pg_name, dialect = server_database(args.db, tmp)
    proc = None
    try:
        t0 = time.perf_counter()
        jobs = asyncio.run(seed(url, tmp))
        # Building the app for seeding configured logging at INFO; httpx would then log (and this
        # process format and print) every request of the timed loops.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        log(f"seeded {len(jobs)} dispatched jobs for tech in {time.perf_counter() - t0:.1f} s")

        # The pull limit uses the very documents the server stores for these jobs.
        docs = asyncio.run(_stored_job_docs(url))
        limit_pull_ms = limit_pull(tmp, docs)
        log(f"limit  pull: raw select + encode of {len(docs)} stored job docs "
            f"(avg {sum(map(len, docs)) // len(docs)} B): {limit_pull_ms:.1f} ms")

        (tmp / "srv").mkdir()
        proc, base = start_server(url, tmp / "srv")
        tokens = [asyncio.run(login(base, "tech")) for _ in range(8)]

        # (c) pull first, while the documents are as seeded
        # As a phone pulls (its browser accepts gzip), and uncompressed for comparison.
        pull_ms, pulled, pull_bytes = asyncio.run(pull_run(base, tokens[0], "gzip"))
        log(f"server pull: {pulled} work orders over HTTP in {pull_ms:.1f} ms, {pull_bytes / 1e6:.1f} MB on the "
            "wire (gzip; best of 3, pages of 5000)")
        plain_ms, _, plain_bytes = asyncio.run(pull_run(base, tokens[0], "identity"))
        log(f"server pull uncompressed: {plain_ms:.1f} ms, {plain_bytes / 1e6:.1f} MB on the wire")

        # (b) push
        cursor = [1]
        c1 = asyncio.run(push_run(base, tokens[:1], jobs, cursor, args.c1_batches, warmup=3))
        log(f"server push c1: {c1:,.0f} mutations/s ({args.c1_batches} batches of {BATCH} job.note)")
        c8 = asyncio.run(push_run(base, tokens, jobs, cursor, args.c8_batches, warmup=1))
        log(f"server push c8: {c8:,.0f} mutations/s (8 clients x {args.c8_batches} batches of {BATCH})")
        proc.terminate()
        proc.wait(20)
        proc = None

        # (d) the transport floor: the same client against a push endpoint with no semantics.
        proc, floor_base = start_floor(tmp / "srv")
        floor = asyncio.run(push_run(floor_base, tokens[:1], jobs, [1], args.c1_batches, warmup=3))
        log(f"floor  push: {floor:,.0f} mutations/s (no-op endpoint, same client, Litestar + uvicorn)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        if pg_name:
            asyncio.run(pg_database(args.db, False, pg_name))

    out = {
        "db": dialect,
        "push_mut_per_s": round(c1, 1),
        "push_c8_mut_per_s": round(c8, 1),
        "limit_insert_rows_per_s": round(limit_rows, 1),
        "push_ratio_to_limit": round(c1 / limit_rows, 4),
        "push_c8_over_c1": round(c8 / c1, 3),
        "pull_10k_ms": round(pull_ms, 1),
        "limit_pull_10k_ms": round(limit_pull_ms, 1),
        "pull_ratio_to_limit": round(pull_ms / limit_pull_ms, 3),
        "jobs_pulled": pulled,
        "pull_10k_wire_bytes": pull_bytes,
        "pull_10k_identity_ms": round(plain_ms, 1),
        "pull_10k_identity_wire_bytes": plain_bytes,
        "floor_push_mut_per_s": round(floor, 1),
        "floor_ratio_to_limit": round(floor / limit_rows, 4),
    }
    missed = [k for k, (op, v) in TARGETS.items() if not (out[k] >= v if op == ">=" else out[k] <= v)]
    log(f"targets missed: {missed}" if missed else "targets: all met")
    out["targets_missed"] = missed
    print(json.dumps(out), flush=True)
    return 0


async def _stored_job_docs(url: str) -> list[bytes]:
    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import changes

    db = Database(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(changes.c.doc).where(
                changes.c.scope == "user:usr_tech", changes.c.entity == "job", changes.c.op == "upsert")
                .order_by(changes.c.seq).limit(JOBS))).all()
    finally:
        await db.dispose()
    return [r.doc.encode() for r in rows]


if __name__ == "__main__":
    raise SystemExit(main())
