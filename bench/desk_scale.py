"""Desk at a year's scale: the desk and manager views over a compound that has run for a year.

Not part of the test run. One run on one machine:
  (a) seeds (untimed) one large compound: ~3,000 units, ~30,000 cases over the past 365 days across
      every kind, each taken through the real domain steps (intake, opening, dispatch, accept,
      arrival, completion with a slip, slip back and countersigned, judgement, verification, close;
      or left open part-way when it is recent or stuck) and stored through the service layer's
      save path (document, index columns, clocks, reminders, change feed, call-backs, audit);
      emergencies and special-service bookings through the desk, cashier and phone API in process;
      release slips issued and released at the gate through the gate service;
  (b) starts the real server (a subprocess, scheduler off) and times over loopback HTTP, as the role
      that uses each, the desk's real reads (p50/p95 of repeated requests);
  (c) measures a limit for each in the same run: the raw driver (stdlib sqlite3, or asyncpg with
      --db) reading exactly the rows that endpoint must read, fetched by primary key, plus one
      msgspec encode of them (stored JSON passed through as msgspec.Raw). ratio = p50 / limit.
The LAST line printed is one JSON object with the figures.

    .venv/bin/python bench/desk_scale.py                     # SQLite (a temp file)
    .venv/bin/python bench/desk_scale.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
With --db a fresh database is created on that PostgreSQL server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync_bench import login, pg_database, server_database, start_server  # noqa: E402
from tests.images import signature_png  # noqa: E402

COMPOUND = "cmp_demo"
DAYS = 365
BUILDINGS, FLOORS, PER_FLOOR = 30, 25, 4  # 3,000 units
TECHS = [f"usr_tech{i}" for i in range(3, 11)]  # with the demo's tech and tech2: ten technicians
CLEANERS = [f"usr_cleaner{i}" for i in range(2, 5)]
OPEN = ("closed", "not_opened")  # states that are not open


def log(*a: object) -> None:
    print(*a, flush=True)


# --- (a) seeding ---------------------------------------------------------------------------------


CONTENT = {
    "repair": [("厨房水龙头漏水，关阀后仍滴水", "small"), ("卫生间灯不亮", "common_facility"),
               ("阳台地漏堵塞", "small"), ("楼道声控灯损坏", "common_facility"), ("入户门锁芯卡死", "general"),
               ("空调冷凝水管漏水", "small"), ("电梯按钮失灵", "common_facility"), ("外墙渗水至卧室", "general")],
    "complaint": [("楼上夜间装修噪音", "decoration"), ("电梯厅地面污渍两天无人清理", "cleaning"),
                  ("小区绿化带杂草丛生", "greening"), ("保安夜间巡逻不到位", "security"),
                  ("快递被放在门口丢失", "mail_newspapers"), ("前台接待态度差", "staff_attitude")],
    "inquiry": [("咨询停车月卡办理", None), ("询问物业费缴费方式", None), ("咨询装修申请流程", None),
                ("询问小区开放时间", None)],
    "help": [("帮忙搬运重物到楼下", "other"), ("老人忘带钥匙请求协助", "other"), ("求助寻找走失宠物", "other")],
}
NAMES = ["黄业主", "林业主", "杨租户", "高业主", "谢业主", "罗业主", "周女士", "陈先生", "吴阿姨", "赵先生"]


def _sh_working_time(rng: random.Random, day: datetime) -> datetime:
    """A moment between 08:00 and 20:00 Shanghai time on `day` (a UTC midnight)."""
    return day + timedelta(hours=rng.uniform(0, 12))  # 08:00 CST = 00:00 UTC


@dataclass
class Made:
    case: Any
    events: list[Any] = field(default_factory=list)

    @property
    def last_at(self) -> datetime:
        return self.events[-1].at


def _ok(out: Any, made: Made) -> None:
    from server.domain.errors import Refusal

    if isinstance(out, Refusal):
        raise RuntimeError(f"seed step refused: {out.code} {out.message_en} on {made.case.kind} {made.case.state}")
    made.case = out.case
    made.events += list(out.events)


def year_case(rng: random.Random, *, case_id: str, no: str, unit: tuple[str, str], received: datetime,
              now: datetime, policy: Any) -> Made:
    """One case taken through the real domain steps as far as its age and luck say (pure)."""
    from server.domain import cases as dc
    from server.domain import deadlines
    from server.domain.roles import Role
    from server.domain.service_slips import slip_hash

    desk, desk_roles = "usr_dispatcher", {Role.DISPATCHER}
    kind = rng.choices(["repair", "complaint", "inquiry", "help"], weights=[50, 18, 20, 12])[0]
    content, sub = rng.choice(CONTENT[kind])
    extra: dict[str, Any] = {}
    if kind == "repair":
        extra = {"repair_responsibility": "common", "repair_class": sub}
    elif kind == "complaint":
        extra = {"complaint_category": sub}
    elif kind == "help":
        extra = {"help_kind": sub}
    made = Made(case=None)
    out = dc.intake(case_id=case_id, no=no, compound_id=COMPOUND, kind=dc.Kind(kind),
                    channel=rng.choice([dc.Channel.PHONE, dc.Channel.WALK_IN, dc.Channel.APP]),
                    contact_name=rng.choice(NAMES), phone=f"138{rng.randrange(10**8):08d}", content=content,
                    receiver_id=rng.choice([desk, "usr_frontdesk"]), now=received, unit_id=unit[0], address=unit[1],
                    **extra)
    _ok(out, made)
    age = (now - received).total_seconds() / 86400
    # How far it got: old cases are almost all closed; the last week's are spread along the way.
    if age > 30:
        stop = rng.choices(["closed", "not_opened", "completed", "opened"], weights=[965, 30, 3, 2])[0]
    elif age > 7:
        stop = rng.choices(["closed", "not_opened", "completed", "dispatched", "opened"], weights=[86, 3, 6, 3, 2])[0]
    else:
        stop = rng.choices(["received", "not_opened", "opened", "dispatched", "accepted", "on_site", "completed",
                            "closed"], weights=[5, 3, 10, 15, 10, 7, 20, 30])[0]
    t = received + timedelta(minutes=rng.randint(1, 10))

    def later(lo: float, hi: float) -> datetime:
        nonlocal t
        t = min(t + timedelta(minutes=rng.uniform(lo, hi)), now - timedelta(seconds=1))
        return t

    if stop == "received":
        return made
    if stop == "not_opened":
        _ok(dc.decide_opening(made.case, open=False, reason="F", note="已当场解释，住户接受", by=desk,
                              roles=desk_roles, now=later(1, 20)), made)
        return made
    reason = {"inquiry": "C"}.get(kind, "A")
    _ok(dc.decide_opening(made.case, open=True, reason=reason, by=desk, roles=desk_roles, now=later(1, 10)), made)
    if stop == "opened":
        return made
    if kind in ("repair", "complaint"):
        cleaning = kind == "complaint" and sub in ("cleaning", "greening")
        who = rng.choice(CLEANERS + ["usr_cleaner"]) if cleaning else rng.choice(TECHS + ["usr_tech", "usr_tech2"])
        role = Role.CLEANER if cleaning else Role.TECHNICIAN
        at = later(2, 15)
        wo_id = f"{case_id}-w1"
        _ok(dc.dispatch(made.case, work_order_id=wo_id, job=content[:100], assignee_id=who, assignee_role=role,
                        deadline_at=deadlines.work_order_deadline(made.case, at, policy), by=desk, roles=desk_roles,
                        now=at, attempts=[dc.DispatchRecord(told_id="usr_lead", told_role=Role.TEAM_LEAD, at=at,
                                                            by=desk, reached=False)]), made)
        if stop == "dispatched":
            return made
        _ok(dc.accept(made.case, work_order_id=wo_id, by=who, now=later(2, 20)), made)
        if stop == "accepted":
            return made
        _ok(dc.arrive(made.case, work_order_id=wo_id, by=who, now=later(5, 40)), made)
        if stop == "on_site":
            return made
        done = later(20, 120)
        slip = None
        if kind == "repair":
            wo = made.case.work_orders[0]
            slip = dc.ServiceSlip(work_done="已处理完毕，试用正常", materials="配件1个", fee_cents=0, executor_id=who,
                                  signer_name=made.case.contact_name, signer_relation=dc.SignerRelation.OWNER,
                                  signature_sha256=hashlib.sha256(case_id.encode()).hexdigest(), signed_at=done)
            slip = msgspec.structs.replace(slip, content_hash=slip_hash(made.case, wo, slip))
        _ok(dc.complete(made.case, work_order_id=wo_id, by=who, now=done, slip=slip), made)
        if stop == "completed":
            return made
        if kind == "repair":
            _ok(dc.return_slip(made.case, by=desk, roles=desk_roles, now=later(60, 1500)), made)
            _ok(dc.countersign_slip(made.case, by=desk, roles=desk_roles, now=later(1, 5)), made)
    elif stop in ("dispatched", "accepted", "on_site", "completed"):
        return made  # inquiries and help requests are handled at the desk: left opened
    if kind == "complaint":
        _ok(dc.judge_complaint(made.case, fault=dc.ComplaintFault.COMPANY, explanation="属实，已整改",
                               by=desk, now=later(10, 600)), made)
    if kind != "repair":
        _ok(dc.verify(made.case, note="已回访确认处理完毕", by=desk, roles=desk_roles, now=later(10, 600)), made)
    _ok(dc.close(made.case, result="已处理，住户满意", by=desk, roles=desk_roles, now=later(5, 600)), made)
    return made


def owner_of(unit_id: str) -> str:
    return NAMES[int(hashlib.sha256(unit_id.encode()).hexdigest(), 16) % len(NAMES)]


async def _units(db: Any) -> list[tuple[str, str]]:
    """3,000 units in 30 buildings, each with its registered owner, inserted in bulk (the demo
    compound's own stay)."""
    from sqlalchemy import insert

    from server.storage.schema import buildings, people, units

    blds, rows, owners = [], [], []
    for b in range(1, BUILDINGS + 1):
        blds.append({"id": f"bld_y{b}", "compound_id": COMPOUND, "name": f"{b}号楼"})
        for f in range(1, FLOORS + 1):
            for n in range(1, PER_FLOOR + 1):
                rows.append({"id": f"unit_y{b}_{f}{n:02d}", "compound_id": COMPOUND, "building_id": f"bld_y{b}",
                             "floor": f, "label": f"{b}号楼-{f}{n:02d}"})
                owners.append({"id": f"psn_y{b}_{f}{n:02d}", "compound_id": COMPOUND, "unit_id": rows[-1]["id"],
                               "name": owner_of(rows[-1]["id"]), "relation": "owner", "registered": True,
                               "phone": "13800000000"})
    async with db.transaction() as uow:
        await uow.conn.execute(insert(buildings), blds)
        await uow.conn.execute(insert(units), rows)
        await uow.conn.execute(insert(people), owners)
    return [(r["id"], r["label"]) for r in rows]


async def _staff(db: Any) -> None:
    from server.auth.passwords import hash_password
    from server.domain.roles import Role
    from server.services.accounts import create_user

    shared = hash_password("demo")
    for uid in TECHS + CLEANERS:
        role = Role.CLEANER if "cleaner" in uid else Role.TECHNICIAN
        await create_user(db, username=uid[4:], password="demo", display_name=f"师傅{uid[-2:]}", roles=[role],
                          compound_id=COMPOUND, user_id=uid, phone="13900000000", password_hash=shared)


async def _api_flows(db: Any, clock: Any, url: str, tmp: Path, rng: random.Random, now: datetime,
                     emergencies: int, services: int, units: list[tuple[str, str]]) -> None:
    """Emergencies and special services go through the desk, cashier and phone API (in process):
    their escalation chains and bookings have more moving parts than a seed should re-implement."""
    import httpx

    from server.app import create_app
    from server.ratelimit import DeviceRateLimiter
    from server.settings import Settings

    settings = Settings(database_url=url, data_dir=tmp / "seed", run_scheduler=False)
    app = create_app(settings, db=db, migrate=False)
    app.state.db, app.state.settings = db, settings
    logging.getLogger("httpx").setLevel(logging.WARNING)  # building the app set INFO
    app.state.rate_limiter = DeviceRateLimiter(burst=10**9)  # a year of desk work in seconds is no flood
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        async def auth(user: str, device: str = "seed") -> dict[str, str]:
            r = await c.post("/api/auth/login", json={"username": user, "password": "demo", "device_name": device})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['token']}"}

        async def call(method: str, path: str, headers: dict, body: Any = None, ok: int = 200) -> dict:
            r = await c.request(method, path, headers=headers, json=body)
            assert r.status_code == ok, (path, r.status_code, r.text[:500])
            return r.json()

        # Oldest first: the clock only moves forward, so the seed's device tokens never sit idle.
        days = sorted(rng.sample(range(1, DAYS), min(DAYS - 1, emergencies + services)), reverse=True)
        clock.set(now - timedelta(days=DAYS))
        desk, mgr, cashier = await auth("dispatcher"), await auth("manager"), await auth("cashier")
        tech = await auth("tech", "phone")
        client_id, mid = "seedphone" + hashlib.sha256(url.encode()).hexdigest()[:16], 1
        plan = ["emergency"] * emergencies + ["service"] * services
        rng.shuffle(plan)
        for day, what in zip(days, plan, strict=False):
            start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day)
            clock.set(_sh_working_time(rng, start))
            unit_id = rng.choice(units)[0]
            if what == "emergency":
                cid = (await call("POST", "/api/cases", desk, {
                    "kind": "help", "channel": "phone", "contact_name": rng.choice(NAMES), "phone": "13800000009",
                    "unit_id": unit_id, "content": rng.choice(["楼道冒烟", "地下车库进水", "住户突发疾病"]),
                    "help_kind": "disaster"}, ok=201))["case"]["id"]
                steps = [("decide", {"open": True, "reason": "D"}, desk),
                         ("report-up", {"to_role": "manager", "to_id": "usr_manager"}, desk),
                         ("emergency/attempt", {"target_role": "manager", "target_id": "usr_manager",
                                                "reached": True}, desk),
                         ("emergency/summon", {"role": "security_manager"}, desk),
                         ("emergency/arrival", {"role": "security_manager", "report": "现场已控制"}, desk),
                         ("emergency/settle", None, desk),
                         ("verify", {"text": "已确认处理完毕"}, desk),
                         ("emergency/ack", None, mgr),
                         ("approve-close", None, mgr),
                         ("close", {"result": "已处理"}, desk)]
                if day < 3:
                    steps = steps[:4]  # this week's: still being handled
                for path, body, who in steps:
                    clock.advance(minutes=rng.uniform(2, 30))
                    await call("POST", f"/api/cases/{cid}/{path}", who, body)
                continue
            item = rng.choice(["drain_unblock", "unlock"])
            fee = {"drain_unblock": 8000, "unlock": 5000}[item]
            bid = (await call("POST", "/api/services/bookings", desk, {
                "item_code": item, "resident_name": rng.choice(NAMES), "unit_id": unit_id, "phone": "13800000002",
                "content": "上门服务"}, ok=201))["booking"]["id"]
            clock.advance(minutes=2)
            await call("POST", f"/api/services/bookings/{bid}/consent", desk, {"shown_fee_cents": fee})
            clock.advance(minutes=3)
            view = await call("POST", f"/api/services/bookings/{bid}/dispatch", desk,
                              {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
            cid = view["case_id"]
            if day < 2:
                continue
            job_id = f"{cid}-w1"
            png = signature_png(cid)
            sha = hashlib.sha256(png).hexdigest()
            r = await c.put(f"/api/blobs/{sha}", content=png, headers={**tech, "content-type": "image/png"})
            assert r.status_code in (200, 201), r.text
            muts = []
            for type_, args in (("job.accept", {"job_id": job_id}), ("job.arrive", {"job_id": job_id}),
                                ("job.complete", {"job_id": job_id, "work_done": "服务完成", "fee_cents": fee,
                                                  "signature_sha256": sha, "signer_name": "黄业主",
                                                  "signer_relation": "owner"})):
                muts.append({"mutation_id": mid, "type": type_, "args": args,
                             "device_time": clock.now().isoformat()})
                mid += 1
            clock.advance(minutes=20)
            res = await call("POST", "/api/sync/push", tech, {"client_id": client_id, "mutations": muts})
            assert all(x["status"] == "applied" for x in res["results"]), res
            clock.advance(minutes=30)
            await call("POST", f"/api/services/bookings/{bid}/settle", cashier,
                       {"amount_cents": fee, "receipt_no": f"SJ-{bid[-8:]}"})
            clock.advance(hours=20)
            for path, body in (("return-slip", None), ("countersign", None), ("close", {"result": "服务完成"})):
                await call("POST", f"/api/cases/{cid}/{path}", desk, body)


async def _slips(db: Any, clock: Any, rng: random.Random, now: datetime, per_day: int,
                 units: list[tuple[str, str]]) -> list[str]:
    """Release slips through the gate service: issued at the desk, most released at the gate."""
    from sqlalchemy import select

    from server.auth.principal import Principal
    from server.domain.release_slips import IdType, Relation
    from server.domain.roles import Role
    from server.services import gate
    from server.storage.schema import blobs
    from server.sync.mutations import MutationContext, registry

    desk = Principal(user_id="usr_frontdesk", username="frontdesk", display_name="李前台",
                     roles=frozenset({str(Role.FRONT_DESK)}), compound_id=COMPOUND, device_id="seed")
    guard = Principal(user_id="usr_guard", username="guard", display_name="孙护卫",
                      roles=frozenset({str(Role.GUARD)}), compound_id=COMPOUND, device_id="seed")
    async with db.read() as conn:
        sha = (await conn.execute(select(blobs.c.sha256).limit(1))).scalar_one()  # the demo's signature
    release = registry()["slip.release"].handler
    codes = []
    for day in range(DAYS, -1, -1):
        start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day)
        clock.set(max(start, min(_sh_working_time(rng, start), now - timedelta(minutes=5))))
        async with db.transaction() as uow:
            for _ in range(per_day):
                unit_id = rng.choice(units)[0]
                view = await gate.issue_in(uow, desk, gate.SlipIssueIn(
                    unit_id=unit_id, requester_name=owner_of(unit_id), relation=Relation.OWNER,
                    items=[gate.ItemIn(name=rng.choice(["冰箱", "旧沙发", "纸箱"]), quantity=rng.randint(1, 3))],
                    gates=["N", "S"], valid_until=uow.now + timedelta(days=2),
                    id_check=gate.IdCheckIn(id_type=IdType.RESIDENT_ID_CARD, last4="123X"),
                    requester_signature_sha256=sha))
                codes.append(view.short_code)
                if day > 0 and rng.random() < 0.9:
                    await release(MutationContext(uow=uow, principal=guard, client_id="seed-gate", mutation_id=0,
                                                  device_time=None), {"slip_id": view.id, "gate": "N"})
    return codes


async def seed(url: str, tmp: Path, n_cases: int, seed_no: int = 7) -> dict[str, Any]:
    """The demo compound grown to a year: returns what the timed part needs (ids, codes, users)."""
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from server.clock import FixedClock
    from server.demo import seed_demo
    from server.services import visits
    from server.services.cases import compound_rules, save_case
    from server.storage.db import Database
    from server.storage.migrate import upgrade
    from server.storage.schema import counters

    rng = random.Random(seed_no)
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FixedClock(now - timedelta(days=DAYS + 1))
    await upgrade(url)
    db = Database(url, clock=clock)
    await seed_demo(db, sample_cases=False)
    units = await _units(db)
    await _staff(db)
    t0 = time.perf_counter()
    await _api_flows(db, clock, url, tmp, rng, now, emergencies=150, services=300, units=units)
    log(f"  seed: 150 emergencies and 300 special services through the API in {time.perf_counter() - t0:.1f} s")

    # The bulk: pure domain steps in memory, then stored in time order through save_case.
    t0 = time.perf_counter()
    async with db.read() as conn:
        policy = (await compound_rules(conn, COMPOUND)).policy
        numbers = {r.name: r.value for r in (await conn.execute(select(counters))).all()}
    made: list[Made] = []
    per_day = n_cases / DAYS
    i = 0
    for day in range(DAYS, -1, -1):
        start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day)
        for _ in range(int(per_day) + (1 if rng.random() < per_day % 1 else 0)):
            received = _sh_working_time(rng, start)
            if received >= now:
                continue
            local_day = (received + timedelta(hours=8)).strftime("%Y%m%d")
            key = f"case_no:{COMPOUND}:{local_day}"
            numbers[key] = numbers.get(key, 0) + 1
            i += 1
            made.append(year_case(rng, case_id=f"case_y{i:06d}", no=f"GD{local_day}-{numbers[key]:04d}",
                                  unit=rng.choice(units), received=received, now=now, policy=policy))
    made.sort(key=lambda m: m.last_at)
    log(f"  seed: {len(made)} cases through the domain steps in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    chunk = 500
    for k in range(0, len(made), chunk):
        part = made[k:k + chunk]
        clock.set(part[-1].last_at)  # the chunk is written when its last change happened
        async with db.transaction() as uow:
            for m in part:
                await save_case(uow, m.case, created=True)
                await visits.on_case_saved(uow, m.case)
                for ev in m.events:
                    uow.audit(entity="case", entity_id=m.case.id, action=ev.name, actor_id=ev.by,
                              actor_role=None, device_id="seed", case_id=m.case.id, compound_id=COMPOUND,
                              data=msgspec.to_builtins(ev.data))
                    uow._audit[-1]["at"] = ev.at  # the timeline shows when each step happened
    async with db.transaction() as uow:
        ins = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(counters)
        for name, value in numbers.items():
            await uow.conn.execute(ins.values(name=name, value=value).on_conflict_do_update(
                index_elements=[counters.c.name], set_={"value": value}))
    log(f"  seed: stored in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    codes = await _slips(db, clock, rng, now, 12, units)
    log(f"  seed: {len(codes)} release slips in {time.perf_counter() - t0:.1f} s")
    closed_repairs = [m.case.id for m in made if m.case.state == "closed" and m.case.kind == "repair"]
    await db.dispose()
    return {"now": now, "detail_case": closed_repairs[len(closed_repairs) // 2], "slip_codes": codes,
            "tech": "usr_tech3"}


# --- (c) the limits --------------------------------------------------------------------------------


class Reader:
    """The raw driver on the server's database: ids first (untimed), then the timed read by key."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgresql")
        self.conn: Any = None

    async def __aenter__(self) -> Reader:
        if self.pg:
            import asyncpg

            self.conn = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        else:
            self.conn = sqlite3.connect(self.url.split("///", 1)[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.pg:
            await self.conn.close()
        else:
            self.conn.close()

    async def fetch(self, sql: str, args: list[Any]) -> list[tuple]:
        if self.pg:
            n = iter(range(1, 1000))
            sql = "".join(f"${next(n)}" if ch == "?" else ch for ch in sql)
            return [tuple(r) for r in await self.conn.fetch(sql, *args)]
        return self.conn.execute(sql, args).fetchall()

    def ts(self, t: datetime) -> Any:
        # SQLite stores naive UTC text (server/storage/schema.py UTCDateTime); PostgreSQL timestamptz.
        return t if self.pg else t.replace(tzinfo=None).isoformat(sep=" ")

    async def docs_by_key(self, table: str, key: str, ids: list[Any], cols: str = "doc") -> float:
        """Milliseconds (best of 5): read these rows by primary key and encode them as one list."""
        enc = msgspec.json.Encoder()
        best = float("inf")
        if self.pg:
            sql = f"SELECT {cols} FROM {table} WHERE {key} = ANY($1)"
        for _ in range(5):
            t0 = time.perf_counter()
            rows: list[tuple] = []
            if self.pg:
                rows = [tuple(r) for r in await self.conn.fetch(sql, ids)]
            else:
                for i in range(0, len(ids), 500):
                    part = ids[i:i + 500]
                    rows += self.conn.execute(f"SELECT {cols} FROM {table} WHERE {key} IN "
                                              f"({','.join('?' * len(part))})", part).fetchall()
            enc.encode([[msgspec.Raw(v.encode()) if isinstance(v, str) and v[:1] in "{[" else
                         (v.isoformat() if isinstance(v, datetime) else v) for v in r] for r in rows])
            best = min(best, (time.perf_counter() - t0) * 1000)
        return best


async def limits(url: str, info: dict[str, Any]) -> tuple[dict[str, float], dict[str, int]]:
    """The limit of each endpoint: the rows it must read, by key, and one encode (ms); and row counts."""
    from server.domain.calendar import BusinessCalendar
    from server.domain.monthly_report import month_bounds

    now = datetime.now(UTC)
    out: dict[str, float] = {}
    rows: dict[str, int] = {}
    async with Reader(url) as rd:
        cal_json = (await rd.fetch("SELECT calendar FROM compounds WHERE id = ?", [COMPOUND]))[0][0]
        cal = msgspec.json.decode(cal_json, type=BusinessCalendar)
        open_ids = [r[0] for r in await rd.fetch(
            "SELECT id FROM cases WHERE compound_id = ? AND state NOT IN ('closed', 'not_opened')", [COMPOUND])]
        # Follow-up queue: every open case (each may hold running clocks).
        out["followups"] = await rd.docs_by_key("cases", "id", open_ids)
        rows["followups"] = len(open_ids)
        # The default list and the home's banner list: the newest 200 / 500.
        for name, n in (("cases_list", 200), ("cases_500", 500)):
            ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? "
                                                "ORDER BY received_at DESC LIMIT ?", [COMPOUND, n])]
            out[name] = await rd.docs_by_key("cases", "id", ids)
            rows[name] = len(ids)
        # The home's banner and approvals (D31): open cases, however old, newest first.
        ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? AND state NOT IN "
                                            "('closed', 'not_opened') ORDER BY received_at DESC LIMIT 1000",
                                            [COMPOUND])]
        out["cases_open"] = await rd.docs_by_key("cases", "id", ids)
        rows["cases_open"] = len(ids)
        # Overdue: open cases whose soonest running clock is past.
        ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? AND state NOT IN "
                                            "('closed', 'not_opened') AND next_due_at < ?",
                                            [COMPOUND, rd.ts(now)])]
        out["cases_overdue"] = await rd.docs_by_key("cases", "id", ids)
        rows["cases_overdue"] = len(ids)
        ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? AND kind = 'repair' AND "
                                            "state = 'closed' ORDER BY received_at DESC LIMIT 200", [COMPOUND])]
        out["cases_filtered"] = await rd.docs_by_key("cases", "id", ids)
        rows["cases_filtered"] = len(ids)
        ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? AND doc LIKE ? "
                                            "ORDER BY received_at DESC LIMIT 200", [COMPOUND, "%外墙渗水%"])]
        out["cases_search"] = await rd.docs_by_key("cases", "id", ids)
        rows["cases_search"] = len(ids)
        # Case detail: the case and its audit timeline.
        aud = [r[0] for r in await rd.fetch("SELECT id FROM audit WHERE case_id = ?", [info["detail_case"]])]
        out["case_detail"] = (await rd.docs_by_key("cases", "id", [info["detail_case"]])
                              + await rd.docs_by_key("audit", "id", aud, "id, action, actor_id, at, data"))
        rows["case_detail"] = 1 + len(aud)
        # Monday review: open cases received before this Monday.
        local = cal.local(now)
        monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        ids = [r[0] for r in await rd.fetch("SELECT id FROM cases WHERE compound_id = ? AND state NOT IN "
                                            "('closed', 'not_opened') AND received_at < ?",
                                            [COMPOUND, rd.ts(monday.astimezone(UTC))])]
        out["monday_review"] = await rd.docs_by_key("cases", "id", ids)
        rows["monday_review"] = len(ids)
        # Monthly report of last month: the cases that touch it (its own definition,
        # server/services/reports.py) with their call-backs and bookings.
        first = local.replace(day=1)
        prev = (first - timedelta(days=1))
        start, end = month_bounds(prev.year, prev.month, cal.zone)
        ids = [r[0] for r in await rd.fetch(
            "SELECT id FROM cases WHERE compound_id = ? AND received_at < ? AND (state NOT IN ('closed', "
            "'not_opened') OR updated_at >= ? OR received_at >= ?)",
            [COMPOUND, rd.ts(end), rd.ts(start), rd.ts(start - timedelta(days=62))])]
        cb = [r[0] for r in await rd.fetch("SELECT id FROM call_backs WHERE subject_id IN (SELECT id FROM cases "
                                           "WHERE compound_id = ? AND received_at < ? AND received_at >= ?)",
                                           [COMPOUND, rd.ts(end), rd.ts(start - timedelta(days=62))])]
        out["monthly_report"] = (await rd.docs_by_key("cases", "id", ids)
                                 + await rd.docs_by_key("call_backs", "id", cb))
        out["monthly_xlsx"] = out["monthly_report"]
        rows["monthly_report"] = rows["monthly_xlsx"] = len(ids) + len(cb)
        info["month"] = (prev.year, prev.month)
        # A technician's full pull: their feed rows.
        seqs = [r[0] for r in await rd.fetch("SELECT seq FROM changes WHERE scope = ?", [f"user:{info['tech']}"])]
        out["tech_pull"] = await rd.docs_by_key("changes", "seq", seqs, "seq, entity, entity_id, op, doc")
        rows["tech_pull"] = len(seqs)
        # The gate's lookup: one slip by its code.
        out["slip_lookup"] = await rd.docs_by_key("release_slips", "short_code", [info["slip_codes"][0]],
                                                  "id, payload, short_code, doc")
        rows["slip_lookup"] = 1
        out["health"] = 0.0
    return out, rows


# --- (b) the endpoints over HTTP -------------------------------------------------------------------


async def timed(base: str, token: str, path: str, n: int, paged: bool = False) -> tuple[float, float, int]:
    """p50 and p95 ms of n requests after two warm-ups; and the bytes of one answer."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    times, size = [], 0
    async with httpx.AsyncClient(timeout=300) as http:
        for i in range(n + 2):
            t0 = time.perf_counter()
            if paged:  # the phone's full pull: pages of 1000 (pwa/src/sync.js) until `more` is false
                cursor, size = 0, 0
                while True:
                    r = await http.get(f"{base}{path}", headers=headers, params={"cursor": cursor, "limit": 1000})
                    assert r.status_code == 200, r.text[:300]
                    size += len(r.content)
                    head = msgspec.json.decode(r.content)
                    cursor = head["cursor"]
                    if not head["more"]:
                        break
            else:
                r = await http.get(f"{base}{path}", headers=headers)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                size = len(r.content)
            if i >= 2:
                times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], size


async def analyze_pg(url: str) -> None:
    """PostgreSQL's autovacuum would have gathered planner statistics over a year; a freshly loaded
    database has none, and its plans would be those of an empty table. (SQLite gathers none unless
    told to, and the server does not: it is measured as it runs.)"""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="", help="postgresql+asyncpg://... (a fresh database is created there)")
    ap.add_argument("--cases", type=int, default=30_000, help="cases over the year")
    ap.add_argument("--n", type=int, default=20, help="timed requests per endpoint")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite file) afterwards")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="estatedesk-desk-"))
    log(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    log(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    url, pg_name, dialect = server_database(args.db, tmp)
    proc = None
    try:
        t0 = time.perf_counter()
        info = asyncio.run(seed(url, tmp, args.cases))
        logging.getLogger("httpx").setLevel(logging.WARNING)
        log(f"seeded in {time.perf_counter() - t0:.1f} s")
        if dialect == "postgresql":
            asyncio.run(analyze_pg(url))
            log("ANALYZE done (planner statistics, as autovacuum would have them)")
        lim, nrows = asyncio.run(limits(url, info))

        (tmp / "srv").mkdir()
        proc, base = start_server(url, tmp / "srv")
        y, m = info["month"]
        endpoints = [
            # name, role, path
            ("health", "", "/api/health"),
            ("followups", "dispatcher", "/api/followups"),
            ("cases_list", "dispatcher", "/api/cases"),
            ("cases_500", "dispatcher", "/api/cases?limit=500"),
            ("cases_open", "dispatcher", "/api/cases?open=true&limit=1000"),
            ("cases_overdue", "dispatcher", "/api/cases?overdue=true"),
            ("cases_filtered", "dispatcher", "/api/cases?kind=repair&state=closed"),
            ("cases_search", "dispatcher", "/api/cases?q=%E5%A4%96%E5%A2%99%E6%B8%97%E6%B0%B4"),
            ("case_detail", "dispatcher", f"/api/cases/{info['detail_case']}"),
            ("monday_review", "dispatcher", "/api/review/monday"),
            ("monthly_report", "manager", f"/api/reports/monthly/{y}/{m}"),
            ("monthly_xlsx", "manager", f"/api/reports/monthly/{y}/{m}/xlsx"),
            ("tech_pull", info["tech"][4:], "/api/sync/pull"),
            ("slip_lookup", "guard", f"/api/slips/by-code/{info['slip_codes'][0]}"),
        ]
        res: dict[str, dict[str, Any]] = {}
        for name, role, path in endpoints:
            n = max(5, args.n // 4) if name in ("monthly_report", "monthly_xlsx", "tech_pull") else args.n
            # A device of its own per endpoint: the per-device flood guard is not what is measured.
            token = asyncio.run(login(base, role)) if role else ""
            p50, p95, size = asyncio.run(timed(base, token, path, n, paged=name == "tech_pull"))
            limit = lim[name]
            res[name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "limit_ms": round(limit, 2),
                         "ratio": round(p50 / limit, 2) if limit else None, "rows": nrows.get(name),
                         "bytes": size}
            log(f"{name:15s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  limit {limit:7.2f} ms  "
                f"ratio {res[name]['ratio'] or '-':>7}  rows {nrows.get(name, '-')!s:>6}  {size:,} B")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        if pg_name:
            asyncio.run(pg_database(args.db, False, pg_name))
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({"db": dialect, "cases": args.cases, "endpoints": res}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
