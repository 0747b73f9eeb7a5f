"""Crash faults against the real server process: SIGKILL mid-push, and a response lost after commit.

The server runs as `python -m server serve --demo` in a subprocess on the test database (a SQLite
file in tmp_path, or a fresh PostgreSQL database with ESTATEDESK_TEST_DB=pg). Phones push over HTTP
with httpx and keep every mutation until they hold an answer for it, like the PWA's outbox.
Guarantee 2 (exactly once) and D2 (an acknowledged push survives the process dying) are what is
checked: every mutation acknowledged before the kill is in the database after the restart, every
mutation is recorded once, and each note exists exactly once.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
from sqlalchemy import func, select

from tests.integration.scenarios import new_repair, open_and_dispatch

ROOT = Path(__file__).resolve().parents[2]
FIELD_USERS = ("tech", "tech2", "lead")


# --- the real server, as a subprocess -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """`python -m server serve --demo` on a given database URL (e2e's launcher drops the URL)."""

    db_url: str
    data_dir: Path
    name: str = "server"
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = dict(
            os.environ,
            ESTATEDESK_DATA_DIR=str(self.data_dir),
            ESTATEDESK_DATABASE_URL=self.db_url,
            # Reminders are not under test; keep the feed to what the phones do.
            ESTATEDESK_RUN_SCHEDULER="0",
        )
        log = open(self.data_dir / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--demo", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not start within {timeout} s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; what was committed is all that survives."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_tail(self) -> str:
        p = self.data_dir / f"{self.name}.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""


async def login(http: httpx.AsyncClient, base: str, username: str) -> dict[str, str]:
    r = await http.post(f"{base}/api/auth/login",
                        json={"username": username, "password": "demo", "device_name": "phone"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


class _Desk:
    """scenarios.new_repair / open_and_dispatch expect a client with relative URLs."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self.http, self.base = http, base

    async def post(self, path: str, **kw):  # noqa: ANN003, ANN201
        return await self.http.post(self.base + path, **kw)


async def dispatch_jobs(http: httpx.AsyncClient, base: str, per_user: int) -> dict[str, list[str]]:
    desk_headers = await login(http, base, "dispatcher")
    desk = _Desk(http, base)
    jobs: dict[str, list[str]] = {u: [] for u in FIELD_USERS}
    for u in FIELD_USERS:
        for i in range(per_user):
            case_id = (await new_repair(desk, desk_headers, content=f"{u} 报修 {i}"))["case"]["id"]
            view = await open_and_dispatch(desk, desk_headers, case_id, assignee=f"usr_{u}")
            jobs[u].append(view["case"]["work_orders"][-1]["id"])
    return jobs


# --- phones over HTTP -------------------------------------------------------------------------------


@dataclass
class HttpPhone:
    user: str
    headers: dict[str, str]
    jobs: list[str]
    client_id: str = field(default_factory=lambda: "c" + uuid.uuid4().hex)
    next_id: int = 1
    outbox: list[dict] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)  # ids the phone holds an answer for
    cursor: int = 0
    docs: dict[tuple[str, str], dict] = field(default_factory=dict)
    transport_errors: int = 0

    def note(self, job: str) -> dict:
        m = {"mutation_id": self.next_id, "type": "job.note", "device_time": "2026-11-23T02:00:00Z",
             "args": {"job_id": job, "text": f"{self.client_id}:{self.next_id}"}}
        self.next_id += 1
        self.outbox.append(m)
        return m

    def take(self, body: dict) -> None:
        done = {r["mutation_id"] for r in body["results"] if r["status"] in ("applied", "duplicate", "rejected")}
        for r in body["results"]:
            if r["mutation_id"] in done:
                assert r["status"] == "applied" or r.get("original") == "applied", r
        self.acked |= done
        self.outbox = [m for m in self.outbox if m["mutation_id"] not in done]

    async def pull(self, http: httpx.AsyncClient, base: str, limit: int = 1000) -> None:
        while True:
            r = await http.get(f"{base}/api/sync/pull", headers=self.headers,
                               params={"cursor": self.cursor, "limit": limit})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["cursor"] >= self.cursor
            for ch in body["changes"]:
                if ch["op"] == "remove":
                    self.docs.pop((ch["entity"], ch["id"]), None)
                else:
                    self.docs[(ch["entity"], ch["id"])] = ch["doc"]
            self.cursor = body["cursor"]
            if not body["more"]:
                return

    def job_docs(self) -> dict[str, dict]:
        return {k[1]: v for k, v in self.docs.items() if k[0] == "job"}


TRANSPORT_ERRORS = (httpx.TransportError,)


async def drain(phone: HttpPhone, http: httpx.AsyncClient, base_url, gate: asyncio.Event,  # noqa: ANN001
                batch: int = 10, on_progress=None) -> None:  # noqa: ANN001
    """Push until the outbox is empty, retrying through errors (the PWA's sync loop)."""
    while phone.outbox:
        await gate.wait()
        try:
            r = await http.post(f"{base_url()}/api/sync/push", headers=phone.headers,
                                json={"client_id": phone.client_id, "mutations": phone.outbox[:batch]})
        except TRANSPORT_ERRORS:
            phone.transport_errors += 1
            await asyncio.sleep(0.05)
            continue
        if r.status_code >= 500:
            await asyncio.sleep(0.05)
            continue
        assert r.status_code == 200, r.text
        body = r.json()
        assert body.get("stopped") is None, body  # the phone sends in order: never a gap
        phone.take(body)
        if on_progress is not None:
            on_progress()


# --- checking the database --------------------------------------------------------------------------


async def stored_state(db_url: str, phones: list[HttpPhone]) -> dict:
    from server.audit import verify_chain
    from server.services.cases import case_id_of_job, decode_case
    from server.storage.db import Database
    from server.storage.schema import audit, cases, sync_clients, sync_mutations

    db = Database(db_url)
    try:
        async with db.read() as conn:
            last = {r.client_id: int(r.last_mutation_id) for r in await conn.execute(select(sync_clients))}
            muts: dict[str, list[int]] = collections.defaultdict(list)
            for r in await conn.execute(select(sync_mutations.c.client_id, sync_mutations.c.mutation_id,
                                               sync_mutations.c.status)):
                assert r.status == "applied", r
                muts[r.client_id].append(int(r.mutation_id))
            job_ids = {j for p in phones for j in p.jobs}
            case_rows = await conn.execute(select(cases.c.doc).where(
                cases.c.id.in_({case_id_of_job(j) for j in job_ids})))
            notes = {}
            for r in case_rows:
                for wo in decode_case(r.doc).work_orders:
                    if wo.id in job_ids:
                        notes[wo.id] = [n.text for n in wo.notes]
            note_audits: collections.Counter[str] = collections.Counter()
            for r in await conn.execute(select(audit.c.data).where(audit.c.action == "work_order.note_added")):
                note_audits[msgspec.json.decode(r.data)["work_order_id"]] += 1
            total_rows = (await conn.execute(select(func.count()).select_from(sync_mutations))).scalar_one()
            chain = await verify_chain(conn)
    finally:
        await db.dispose()
    return {"last": last, "muts": muts, "notes": notes, "note_audits": note_audits,
            "total_rows": total_rows, "chain": chain}


def assert_exactly_once(state: dict, phones: list[HttpPhone], *, drained: bool) -> None:
    all_notes = collections.Counter(t for texts in state["notes"].values() for t in texts)
    assert all(c == 1 for c in all_notes.values()), "a note was applied twice"
    for job, texts in state["notes"].items():
        assert state["note_audits"][job] == len(texts), (job, "audit entries != notes")
    assert state["total_rows"] == sum(len(v) for v in state["muts"].values())
    for p in phones:
        last = state["last"].get(p.client_id, 0)
        ids = sorted(state["muts"].get(p.client_id, []))
        assert ids == list(range(1, last + 1)), "sync_mutations rows must be 1..last, once each"
        # Every mutation the phone holds an answer for is stored, and its note exists once.
        assert p.acked <= set(ids), f"acknowledged but lost: {sorted(p.acked - set(ids))[:5]}"
        for mid in ids:
            assert all_notes[f"{p.client_id}:{mid}"] == 1
        if drained:
            assert last == p.next_id - 1
    if drained:
        want = {f"{p.client_id}:{i}" for p in phones for i in range(1, p.next_id)}
        assert set(all_notes) == want


# --- the tests --------------------------------------------------------------------------------------


async def test_acknowledged_pushes_survive_sigkill_and_retries_apply_once(db_url, tmp_path):  # design 2, D2
    srv = ServerProcess(db_url, tmp_path / "data").start()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            jobs = await dispatch_jobs(http, srv.url, per_user=2)
            phones = []
            for u in FIELD_USERS:
                for _ in range(2):  # two phones per technician: one user, two outboxes
                    phones.append(HttpPhone(u, await login(http, srv.url, u), jobs[u]))
            for p in phones:
                for i in range(120):
                    p.note(p.jobs[i % len(p.jobs)])
            total = sum(len(p.outbox) for p in phones)

            gate = asyncio.Event()
            gate.set()
            current = {"url": srv.url}
            third = asyncio.Event()

            def progress() -> None:
                if sum(len(p.acked) for p in phones) >= total // 3:
                    third.set()

            pushers = [asyncio.create_task(drain(p, http, lambda: current["url"], gate, batch=10,
                                                 on_progress=progress)) for p in phones]

            # Kill once a third of the mutations are acknowledged: pushes are in flight on every phone.
            await third.wait()
            gate.clear()
            srv.kill()
            acked_before_kill = {p.client_id: set(p.acked) for p in phones}
            assert sum(map(len, acked_before_kill.values())) < total, "the kill came too late to matter"

            # Restart on the same database; before any phone retries, everything acknowledged is there.
            srv.start()
            current["url"] = srv.url
            await asyncio.sleep(0.2)  # let the in-flight requests of the dead process fail out
            state = await stored_state(db_url, phones)
            assert_exactly_once(state, phones, drained=False)
            for p in phones:
                assert acked_before_kill[p.client_id] <= set(state["muts"].get(p.client_id, []))
            assert state["chain"].ok, state["chain"]

            gate.set()
            await asyncio.wait_for(asyncio.gather(*pushers), timeout=120)
            assert sum(p.transport_errors for p in phones) > 0, "no push was cut by the kill"

            state = await stored_state(db_url, phones)
            assert_exactly_once(state, phones, drained=True)
            assert state["chain"].ok, state["chain"]

            # And every phone converges on the server's state for its scope.
            for p in phones:
                await p.pull(http, srv.url, limit=3)
                fresh = HttpPhone(p.user, p.headers, p.jobs)
                await fresh.pull(http, srv.url)
                assert p.docs == fresh.docs
                for j in p.jobs:
                    assert sorted(n["text"] for n in p.job_docs()[j]["notes"]) == sorted(state["notes"][j])
    finally:
        srv.stop()


class DropAfterResponseProxy:
    """A TCP hop that forwards one HTTP request, waits for the server's whole answer (so the
    transaction has committed), then closes the phone's connection without passing it on."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.dropped: list[bytes] = []
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def __aenter__(self) -> DropAfterResponseProxy:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @staticmethod
    async def _read_message(reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return head + (await reader.readexactly(length) if length else b"")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read_message(reader)
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_w.write(request)
            await up_w.drain()
            response = await self._read_message(up_r)
            up_w.close()
            self.dropped.append(response)
        finally:
            writer.transport.abort()  # the phone sees the connection die, never the answer


async def test_response_lost_after_commit_is_answered_from_the_stored_outcome(db_url, tmp_path):  # design 2
    srv = ServerProcess(db_url, tmp_path / "data").start()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            jobs = await dispatch_jobs(http, srv.url, per_user=1)
            phone = HttpPhone("tech", await login(http, srv.url, "tech"), jobs["tech"])
            batch = [phone.note(phone.jobs[0]) for _ in range(3)]
            body = {"client_id": phone.client_id, "mutations": batch}

            async with DropAfterResponseProxy(srv.port) as proxy, httpx.AsyncClient(timeout=30) as via_proxy:
                try:
                    await via_proxy.post(f"http://127.0.0.1:{proxy.port}/api/sync/push",
                                         headers=phone.headers, json=body)
                    raise AssertionError("the proxy should have cut the connection")
                except httpx.TransportError:
                    pass
            assert len(proxy.dropped) == 1 and proxy.dropped[0].startswith(b"HTTP/1.1 200"), proxy.dropped

            # The server committed although the phone never heard back.
            state = await stored_state(db_url, [phone])
            assert state["last"][phone.client_id] == 3
            assert len(state["notes"][phone.jobs[0]]) == 3

            # The phone retries the very same batch: the stored outcome comes back, nothing reapplies.
            r = await http.post(f"{srv.url}/api/sync/push", headers=phone.headers, json=body)
            assert r.status_code == 200, r.text
            res = r.json()
            assert [(x["status"], x.get("original")) for x in res["results"]] == [("duplicate", "applied")] * 3
            assert res["expected_next_id"] == 4
            phone.take(res)
            assert phone.outbox == []

            # Retried with one more on the end: the old three are duplicates, the new one applies.
            extra = phone.note(phone.jobs[0])
            r = await http.post(f"{srv.url}/api/sync/push", headers=phone.headers,
                                json={"client_id": phone.client_id, "mutations": [*batch, extra]})
            assert [x["status"] for x in r.json()["results"]] == ["duplicate"] * 3 + ["applied"]
            phone.take(r.json())

            state = await stored_state(db_url, [phone])
            assert_exactly_once(state, [phone], drained=True)
            assert state["notes"][phone.jobs[0]] == [f"{phone.client_id}:{i}" for i in range(1, 5)]
            await phone.pull(http, srv.url)
            assert [n["text"] for n in phone.job_docs()[phone.jobs[0]]["notes"]] == state["notes"][phone.jobs[0]]
    finally:
        srv.stop()
