"""Model-based test of the sync protocol: phones offline, retries, lost responses, gaps, restarts.

A hypothesis state machine drives three field phones (tech, tech2, lead), each holding two jobs
dispatched through the desk API, against the real app and database (SQLite, or PostgreSQL with
ESTATEDESK_TEST_DB=pg). The oracle sees every response, including the ones a phone "loses", so it
predicts exactly what the server must have done; the database is checked against it after every
step. Guarantees exercised (docs/../design.md "Guarantees the sync layer keeps"):
  2 exactly once - a retried or duplicated push applies nothing twice; a gap stops the batch;
  3 no change skipped - each phone's incremental pulls converge on the server's state for its scope,
    and cursors only move forward.
Each example runs on a clone of one prepared database (file copy on SQLite, CREATE DATABASE
... TEMPLATE on PostgreSQL), so seeding and dispatch happen once per test, not per example.
The state machine is synchronous; each step runs on the example's own asyncio loop, in a worker
thread so the pytest-asyncio loop that owns the db_url fixture is never re-entered.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from server.clock import FixedClock
from tests.conftest import T0, drop_pg_database

FIELD_USERS = ("tech", "tech2", "lead")
JOBS_PER_USER = 2
DEVICE_TIME = "2026-11-23T02:00:00Z"
# What the run actually exercised, summed over all examples (checked at the end of the test).
SEEN: collections.Counter[str] = collections.Counter()


# --- the prepared database ----------------------------------------------------------------------


@dataclass
class Prepared:
    url: str  # the template database, seeded, with the jobs dispatched
    tokens: dict[str, str]  # username -> bearer token of a phone device
    jobs: dict[str, list[str]]  # username -> job ids dispatched to them at setup
    tmp: Path


def _app(url: str, tmp: Path):  # noqa: ANN202
    from server.app import create_app
    from server.settings import Settings
    from server.storage.db import Database

    db = Database(url, clock=FixedClock(T0))
    settings = Settings(database_url=url, data_dir=tmp / "data", run_scheduler=False)
    app = create_app(settings, db=db, migrate=False)
    # The lifespan only publishes these two; setting them directly lets a plain httpx ASGI
    # transport drive the app, and lets a "restart" throw the whole app away at any step.
    app.state.db = db
    app.state.settings = settings
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.localhost")
    return db, client


async def _prepare(url: str, tmp: Path) -> Prepared:
    from server.demo import seed_demo
    from server.storage.migrate import upgrade
    from tests.integration.scenarios import new_repair, open_and_dispatch

    await upgrade(url)
    db, client = _app(url, tmp)
    try:
        await seed_demo(db)
        tokens: dict[str, str] = {}
        for who in ("dispatcher", *FIELD_USERS):
            r = await client.post("/api/auth/login", json={"username": who, "password": "demo", "device_name": "phone"})
            assert r.status_code == 200, r.text
            tokens[who] = r.json()["token"]
        desk = {"Authorization": f"Bearer {tokens['dispatcher']}"}
        jobs: dict[str, list[str]] = {u: [] for u in FIELD_USERS}
        for u in FIELD_USERS:
            for i in range(JOBS_PER_USER):
                case_id = (await new_repair(client, desk, content=f"{u} 的第{i + 1}个报修"))["case"]["id"]
                view = await open_and_dispatch(client, desk, case_id, assignee=f"usr_{u}")
                jobs[u].append(view["case"]["work_orders"][-1]["id"])
    finally:
        await client.aclose()
        await db.dispose()
    return Prepared(url=url, tokens=tokens, jobs=jobs, tmp=tmp)


async def _clone(prep: Prepared) -> tuple[str, str | None]:
    """A fresh copy of the prepared database for one example: (url, pg database name or None)."""
    if prep.url.startswith("sqlite"):
        src = prep.url.split("///", 1)[1]
        dst = prep.tmp / f"ex_{uuid.uuid4().hex[:8]}.sqlite3"
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)
        a.close()
        b.close()
        return f"sqlite+aiosqlite:///{dst}", None
    import asyncpg

    template = prep.url.rsplit("/", 1)[1]
    name = "ed_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(prep.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return f"{prep.url.rsplit('/', 1)[0]}/{name}", name


# --- the model ------------------------------------------------------------------------------------


@dataclass
class SimPhone:
    user: str
    token: str
    own_jobs: list[str]
    client_id: str = field(default_factory=lambda: "c" + uuid.uuid4().hex)
    next_id: int = 1
    outbox: list[dict] = field(default_factory=list)
    online: bool = True
    cursor: int = 0
    docs: dict[tuple[str, str], Any] = field(default_factory=dict)
    last_batch: list[dict] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Oracle:
    """What the server must have done, learnt from every response (lost ones included)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = collections.defaultdict(int)  # client -> last processed id
        self.outcome: dict[tuple[str, int], tuple[str, str | None]] = {}
        self.sent: dict[tuple[str, int], dict] = {}
        self.job_state: dict[str, str] = {}
        self.notes: dict[str, list[str]] = collections.defaultdict(list)  # job -> texts applied
        self.refused: list[tuple[str, int]] = []  # forbidden mutations: audited once each
        self.accepts: collections.Counter[str] = collections.Counter()  # job -> accepts applied

    def predict(self, phone: SimPhone, batch: list[dict]) -> tuple[list[tuple[int, str, str | None]], bool]:
        """Per mutation (id, status, code) the server must answer, and whether a gap stops the batch."""
        expected = self.last[phone.client_id] + 1
        out: list[tuple[int, str, str | None]] = []
        states = dict(self.job_state)
        for m in batch:
            mid = m["mutation_id"]
            if mid < expected:
                out.append((mid, "duplicate", None))
                continue
            if mid > expected:
                return out, True
            status, code = self._domain(phone, m, states)
            out.append((mid, status, code))
            expected += 1
        return out, False

    def _domain(self, phone: SimPhone, m: dict, states: dict[str, str]) -> tuple[str, str | None]:
        job = m["args"]["job_id"]
        if job not in phone.own_jobs:
            return "rejected", "scope.not_assigned"
        state = states[job]
        if m["type"] == "job.note":
            return "applied", None
        # The job's own assignee sending a step the order already has (D145): recorded once,
        # answered applied with a word for the phone.
        if m["type"] == "job.accept":
            if state != "dispatched":
                return "applied", "case.step_already_recorded"
            states[job] = "accepted"
            return "applied", None
        if m["type"] == "job.arrive":
            if state not in ("dispatched", "accepted"):
                return "applied", "case.step_already_recorded"
            states[job] = "on_site"
            return "applied", None
        raise AssertionError(m)

    def learn(self, phone: SimPhone, batch: list[dict], body: dict) -> None:
        predicted, gap = self.predict(phone, batch)
        got = [(r["mutation_id"], r["status"]) for r in body["results"]]
        assert got == [(mid, status) for mid, status, _ in predicted], (batch, body, predicted)
        assert (body.get("stopped") == "gap") == gap, body
        if gap:
            SEEN["gap reported"] += 1
        if any(s == "duplicate" for _, s, _ in predicted):
            SEEN["duplicates answered from the stored outcome"] += 1
        for r, (mid, status, code) in zip(body["results"], predicted, strict=True):
            key = (phone.client_id, mid)
            if status == "duplicate":
                # The stored outcome comes back, never a second application.
                first_status, first_code = self.outcome[key]
                assert r.get("original") == first_status and r.get("code") == first_code, (r, self.outcome[key])
                continue
            assert r.get("code") == code, (r, code)
            assert key not in self.outcome, f"{key} processed twice"
            self.outcome[key] = (status, code)
            m = self.sent[key]
            self._domain(phone, m, self.job_state)
            if status == "applied" and m["type"] == "job.note":
                self.notes[m["args"]["job_id"]].append(m["args"]["text"])
            if status == "applied" and code is None and m["type"] == "job.accept":
                self.accepts[m["args"]["job_id"]] += 1
            if code == "scope.not_assigned":
                self.refused.append(key)
        new_last = body["expected_next_id"] - 1
        assert new_last >= self.last[phone.client_id], "expected_next_id moved backwards"
        assert new_last == self.last[phone.client_id] + sum(1 for _, s, _ in predicted if s != "duplicate")
        self.last[phone.client_id] = new_last


# --- the state machine ----------------------------------------------------------------------------


class SyncMachine(RuleBasedStateMachine):
    prep: Prepared  # set by the test before the run

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.url, self.pg_name = self.run(_clone(self.prep))
        self.db, self.client = _app(self.url, self.prep.tmp)
        self.oracle = Oracle()
        self.phones: list[SimPhone] = []
        all_jobs = [j for js in self.prep.jobs.values() for j in js]
        for u in FIELD_USERS:
            self.phones.append(SimPhone(user=u, token=self.prep.tokens[u], own_jobs=list(self.prep.jobs[u])))
        for j in all_jobs:
            self.oracle.job_state[j] = "dispatched"
        self.all_jobs = all_jobs
        self.restarts = 0

    def run(self, coro):  # noqa: ANN001, ANN201
        return self.loop.run_until_complete(coro)

    # -- phone side --

    def _record(self, phone: SimPhone, type_: str, job: str, text: str | None = None) -> None:
        args: dict[str, Any] = {"job_id": job}
        if type_ == "job.note":
            # Unique text per mutation: the notes on a job name exactly the mutations applied.
            args["text"] = f"{phone.client_id}:{phone.next_id}"
        m = {"mutation_id": phone.next_id, "type": type_, "args": args, "device_time": DEVICE_TIME}
        self.oracle.sent[(phone.client_id, phone.next_id)] = m
        phone.next_id += 1
        phone.outbox.append(m)

    @rule(p=st.integers(0, 2), j=st.integers(0, JOBS_PER_USER - 1), n=st.integers(1, 4))
    def note(self, p: int, j: int, n: int) -> None:
        phone = self.phones[p]
        for _ in range(n):
            self._record(phone, "job.note", phone.own_jobs[j])

    @rule(p=st.integers(0, 2), j=st.integers(0, JOBS_PER_USER - 1), arrive=st.booleans())
    def accept_or_arrive(self, p: int, j: int, arrive: bool) -> None:
        phone = self.phones[p]
        self._record(phone, "job.arrive" if arrive else "job.accept", phone.own_jobs[j])

    @rule(p=st.integers(0, 2), j=st.integers(0, JOBS_PER_USER - 1))
    def note_on_someone_elses_job(self, p: int, j: int) -> None:
        phone = self.phones[p]
        other = self.phones[(p + 1) % len(self.phones)]
        self._record(phone, "job.note", other.own_jobs[j])

    @rule(p=st.integers(0, 2))
    def go_offline(self, p: int) -> None:
        self.phones[p].online = False

    @rule(p=st.integers(0, 2))
    def come_online(self, p: int) -> None:
        self.phones[p].online = True

    async def _push(self, phone: SimPhone, batch: list[dict]) -> dict:
        r = await self.client.post("/api/sync/push", headers=phone.headers,
                                   json={"client_id": phone.client_id, "mutations": batch})
        assert r.status_code == 200, r.text
        return r.json()

    def _acknowledge(self, phone: SimPhone, body: dict) -> None:
        done = {r["mutation_id"] for r in body["results"] if r["status"] in ("applied", "rejected", "duplicate")}
        phone.outbox = [m for m in phone.outbox if m["mutation_id"] not in done]

    def _send(self, phone: SimPhone, batch: list[dict], *, keep_response: bool) -> None:
        body = self.run(self._push(phone, batch))
        self.oracle.learn(phone, batch, body)
        phone.last_batch = batch
        if keep_response:
            self._acknowledge(phone, body)
        else:
            # The response was lost after the server committed; the phone keeps its outbox.
            SEEN["response lost after commit"] += 1

    def _ready(self, min_outbox: int = 1) -> list[SimPhone]:
        return [p for p in self.phones if p.online and len(p.outbox) >= min_outbox]

    @precondition(lambda self: self._ready())
    @rule(p=st.integers(0, 2), k=st.integers(1, 8))
    def push(self, p: int, k: int) -> None:
        phone = self._ready()[p % len(self._ready())]
        self._send(phone, phone.outbox[:k], keep_response=True)

    @precondition(lambda self: self._ready())
    @rule(p=st.integers(0, 2), k=st.integers(1, 8))
    def push_and_lose_the_response(self, p: int, k: int) -> None:
        phone = self._ready()[p % len(self._ready())]
        self._send(phone, phone.outbox[:k], keep_response=False)

    @precondition(lambda self: any(p.online and p.last_batch for p in self.phones))
    @rule(p=st.integers(0, 2))
    def retry_last_batch(self, p: int) -> None:
        ready = [p for p in self.phones if p.online and p.last_batch]
        phone = ready[p % len(ready)]
        self._send(phone, phone.last_batch, keep_response=True)

    @precondition(lambda self: self._ready(2))
    @rule(p=st.integers(0, 2), skip=st.integers(1, 3), k=st.integers(1, 4))
    def push_later_batch_first(self, p: int, skip: int, k: int) -> None:
        # The later batch overtakes the earlier one (a second tab, a reordering proxy).
        phone = self._ready(2)[p % len(self._ready(2))]
        skip = min(skip, len(phone.outbox) - 1)
        self._send(phone, phone.outbox[skip: skip + k], keep_response=True)

    @precondition(lambda self: self._ready())
    @rule(p=st.integers(0, 2), k=st.integers(1, 5))
    def same_batch_twice_at_once(self, p: int, k: int) -> None:
        # A retry racing the original: one of them applies, the other answers duplicates.
        phone = self._ready()[p % len(self._ready())]
        batch = phone.outbox[:k]

        async def both() -> list[dict]:
            return list(await asyncio.gather(self._push(phone, batch), self._push(phone, batch)))

        a, b = self.run(both())
        fresh = [x for x in (a, b) if any(r["status"] != "duplicate" for r in x["results"])]
        assert len(fresh) <= 1, (a, b)
        # Learn from the one that applied first, then check the other against the stored outcome.
        first, second = (a, b) if fresh and fresh[0] is a else (b, a)
        self.oracle.learn(phone, batch, first)
        self.oracle.learn(phone, batch, second)
        SEEN["same batch raced itself"] += 1
        self._acknowledge(phone, second)
        phone.last_batch = batch

    async def _pull(self, phone: SimPhone, limit: int) -> None:
        while True:
            r = await self.client.get("/api/sync/pull", headers=phone.headers,
                                      params={"cursor": phone.cursor, "limit": limit})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["reset"] is False
            seqs = [c["seq"] for c in body["changes"]]
            assert seqs == sorted(set(seqs)) and all(s > phone.cursor for s in seqs), (phone.cursor, seqs)
            assert body["cursor"] >= phone.cursor, "cursor moved backwards"
            for ch in body["changes"]:
                key = (ch["entity"], ch["id"])
                if ch["op"] == "remove":
                    phone.docs.pop(key, None)
                else:
                    phone.docs[key] = ch["doc"]
            phone.cursor = body["cursor"]
            if not body["more"]:
                return

    @rule(p=st.integers(0, 2), limit=st.sampled_from([2, 5, 1000]))
    def pull(self, p: int, limit: int) -> None:
        phone = self.phones[p]
        if phone.online:
            self.run(self._pull(phone, limit))

    @precondition(lambda self: self.restarts < 2)
    @rule()
    def restart_server(self) -> None:
        # Throw away the app and every pooled connection; phones keep their tokens and outboxes.
        self.run(self.client.aclose())
        self.run(self.db.dispose())
        self.db, self.client = _app(self.url, self.prep.tmp)
        self.restarts += 1
        SEEN["server restarted"] += 1

    # -- what must hold --

    async def _server_state(self) -> dict[str, Any]:
        from server.services.cases import case_id_of_job, decode_case
        from server.storage.schema import audit, cases, sync_clients, sync_mutations

        async with self.db.read() as conn:
            clients = {r.client_id: int(r.last_mutation_id) for r in await conn.execute(select(sync_clients))}
            muts = collections.defaultdict(list)
            for r in await conn.execute(select(sync_mutations.c.client_id, sync_mutations.c.mutation_id)):
                muts[r.client_id].append(int(r.mutation_id))
            case_ids = {case_id_of_job(j) for j in self.all_jobs}
            docs = {r.id: decode_case(r.doc) for r in await conn.execute(
                select(cases.c.id, cases.c.doc).where(cases.c.id.in_(case_ids)))}
            audit_rows = [(r.action, r.entity_id, r.data) for r in await conn.execute(
                select(audit.c.action, audit.c.entity_id, audit.c.data).where(
                    audit.c.action.in_(["work_order.note_added", "work_order.accepted"])
                    | (audit.c.entity == "mutation")))]
        wos = {}
        for case in docs.values():
            for wo in case.work_orders:
                wos[wo.id] = wo
        return {"clients": clients, "muts": muts, "wos": wos, "audit": audit_rows}

    @invariant()
    def applied_exactly_once(self) -> None:
        s = self.run(self._server_state())
        for phone in self.phones:
            last = self.oracle.last[phone.client_id]
            assert s["clients"].get(phone.client_id, 0) == last
            assert sorted(s["muts"].get(phone.client_id, [])) == list(range(1, last + 1))
        note_audits = collections.Counter()
        accept_audits = collections.Counter()
        refused = collections.Counter()
        for action, entity_id, data in s["audit"]:
            if action == "work_order.note_added":
                note_audits[msgspec.json.decode(data)["work_order_id"]] += 1
            elif action == "work_order.accepted":
                accept_audits[msgspec.json.decode(data)["work_order_id"]] += 1
            elif action.startswith("refused."):
                refused[entity_id] += 1
        for job in self.all_jobs:
            wo = s["wos"][job]
            texts = [n.text for n in wo.notes]
            assert len(texts) == len(set(texts)), f"a note applied twice on {job}: {texts}"
            assert sorted(texts) == sorted(self.oracle.notes[job]), job
            assert note_audits[job] == len(texts), (job, note_audits[job], texts)
            assert str(wo.state) == self.oracle.job_state[job], job
            assert accept_audits[job] == self.oracle.accepts[job] <= 1, (job, accept_audits, self.oracle.accepts)
        assert refused == collections.Counter(f"{c}:{m}" for c, m in self.oracle.refused)

    async def _expected_docs(self, user: str) -> dict[str, Any]:
        """The user's job documents rendered afresh from the stored aggregates (the truth)."""
        from server.domain import deadlines
        from server.domain.cases import CaseState, WorkOrderState
        from server.services.cases import compound_rules, decode_case, job_doc
        from server.storage.schema import cases

        out = {}
        async with self.db.read() as conn:
            rows = (await conn.execute(select(cases.c.doc))).all()
            now = self.db.clock.now()
            for r in rows:
                case = decode_case(r.doc)
                rules = await compound_rules(conn, case.compound_id)
                clocks = deadlines.clocks(case, rules.calendar, now, rules.policy)
                for wo in case.work_orders:
                    if wo.assignee_id != f"usr_{user}":
                        continue
                    if wo.state == WorkOrderState.CANCELLED or case.state == CaseState.CLOSED:
                        continue
                    out[wo.id] = msgspec.json.decode(msgspec.json.encode(job_doc(case, wo, clocks)))
        return out

    def teardown(self) -> None:
        try:
            self._quiesce_and_converge()
        finally:
            self.run(self.client.aclose())
            self.run(self.db.dispose())
            if self.pg_name:
                self.run(drop_pg_database(self.pg_name))
            self.loop.close()

    def _quiesce_and_converge(self) -> None:
        for phone in self.phones:
            phone.online = True
            rounds = 0
            while phone.outbox:
                self._send(phone, phone.outbox[:5], keep_response=True)
                rounds += 1
                assert rounds < 100, "outbox does not drain"
        self.applied_exactly_once()
        for phone in self.phones:
            self.run(self._pull(phone, 1000))
            mine = {k[1]: v for k, v in phone.docs.items() if k[0] == "job"}
            assert mine == self.run(self._expected_docs(phone.user)), f"{phone.user}'s phone did not converge"
            # A phone that starts over from cursor 0 sees the same thing.
            fresh = SimPhone(user=phone.user, token=phone.token, own_jobs=phone.own_jobs)
            self.run(self._pull(fresh, 1000))
            assert fresh.docs == phone.docs
            for j in phone.own_jobs:
                assert mine[j]["state"] == self.oracle.job_state[j]
                assert sorted(n["text"] for n in mine[j]["notes"]) == sorted(self.oracle.notes[j])


def _scripted_walk() -> None:
    """Every fault at least once, whatever the random exploration picks."""
    m = SyncMachine()
    try:
        m.go_offline(0)
        m.note(0, 0, 3)  # tech's phone is offline in a plant room: three notes queue up
        m.accept_or_arrive(0, 1, arrive=True)
        m.note_on_someone_elses_job(0, 0)  # out of scope: must be rejected and audited once
        m.come_online(0)
        m.push_later_batch_first(0, skip=2, k=3)  # a later batch first: gap, nothing applied
        assert m.oracle.last[m.phones[0].client_id] == 0
        m.push_and_lose_the_response(0, k=2)  # applied, response lost
        m.note(1, 1, 2)
        m.same_batch_twice_at_once(1, k=2)
        m.restart_server()
        m.push(0, k=8)  # resend: two duplicates answered from the stored outcome, the rest applied
        m.retry_last_batch(0)
        m.pull(0, limit=2)
        m.applied_exactly_once()
    finally:
        m.teardown()  # drains every outbox, then checks convergence
    assert {"gap reported", "response lost after commit", "duplicates answered from the stored outcome",
            "same batch raced itself", "server restarted"} <= set(SEEN), SEEN


def _run_machine(db_url: str, tmp: Path) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    SyncMachine.prep = asyncio.run(_prepare(db_url, tmp))
    _scripted_walk()
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=20, stateful_step_count=20, deadline=None, database=None,
            # No shrinking: each step is real I/O, and a shrink can run for many minutes; a failure
            # is reported with its (at most 20) steps as generated, which is short enough to read.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


async def test_sync_converges_and_applies_each_mutation_once_under_faults(db_url, tmp_path):  # design 2, 3
    SEEN.clear()
    await asyncio.to_thread(_run_machine, db_url, tmp_path)
    print(dict(SEEN))

