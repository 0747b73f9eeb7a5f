"""Hostile but schema-valid bodies on every JSON route, drawn from the app's own OpenAPI document.

For every POST/PUT/PATCH route under /api/ that takes a JSON body, hypothesis-jsonschema draws
bodies from that route's request schema (docs/decisions.md D30), and each is sent by a role the
route declares, with path ids that name real objects of the demo compound (cases in several states,
a handover sheet, a booking, ...) and, in a second pass, made-up ids. Every answer must be below 500;
every 4xx must be the error shape {code, message, message_en, details}; and a refused request must
leave the database as it found it: no row added or removed in any table, no change-feed sequence
taken, no counter moved, no case version bumped (design.md: errors are values mapped to a 4xx in one
place; the sync guarantee 1 "applies it in one transaction").

Where test_schemathesis.py checks that every documented operation answers with a documented status,
this test aims the bodies at the domain code: the route's own roles instead of two fixed callers,
real objects behind the path, and objects closed to unknown fields (the Structs refuse those, see
test_hostile_input.py) so the examples are spent on the fields the route reads.

Hypothesis is synchronous and the app lives on the test's event loop (the `client` fixture), so the
examples run in a worker thread that hands each request to that loop. Derandomized and bounded;
for a longer local hunt, ESTATEDESK_FUZZ_EXAMPLES raises the count and ESTATEDESK_FUZZ_SEED draws
other examples.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import json
import math
import os
import re
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from sqlalchemy import func, select

from server.storage.schema import metadata
from tests.conftest import login
from tests.integration.scenarios import (
    Phone,
    complete_on_phone,
    new_repair,
    open_and_dispatch,
    signature_png,
    upload,
)
from tests.integration.test_access_matrix import USER_FOR_ROLE

DEFAULT_EXAMPLES = 30
EXAMPLES = int(os.environ.get("ESTATEDESK_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
# Another seed draws other examples for a longer local hunt; unset, the run is derandomized.
SEED = os.environ.get("ESTATEDESK_FUZZ_SEED")
MADE_UP_EXAMPLES = max(2, EXAMPLES // 3)
# Logging out revokes the token every later request uses; it has no body anyway (test_foundation).
SKIP = {("POST", "/api/auth/logout")}
ERROR_KEYS = {"code", "message", "message_en", "details"}
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")

# Which table holds the real objects a path parameter names.
ID_TABLES = {
    "case_id": ("cases", "id"),
    "sheet_id": ("handovers", "id"),
    "booking_id": ("service_bookings", "id"),
    "code": ("service_items", "code"),
    "survey_id": ("surveys", "id"),
    "task_id": ("call_backs", "id"),
    "key_id": ("keys", "id"),
    "loan_id": ("key_loans", "id"),
    "slip_id": ("release_slips", "id"),
    "comp_id": ("compensations", "id"),
    "check_id": ("weekly_checks", "id"),
    "device_id": ("devices", "id"),
    "user_id": ("users", "id"),
    "client_id": ("field_refusals", "client_id"),
    "mutation_id": ("field_refusals", "mutation_id"),
}
# Body fields that name an object: drawn from the real ids too, so the body reaches past the lookup.
BODY_ID_POOLS = {
    "case_id": "case_id",
    "incoming_id": "user",
    "assignee_id": "user",
    "to_id": "user",
    "target_id": "user",
    "borrower_user_id": "user",
    "confirmed_by_id": "user",
    "unit_id": "unit",
    "item_code": "code",
    "agreement_id": "agreement",
    "job_id": "job",
}


# --- the objects the fuzz aims at ---------------------------------------------------------------


async def _world(client, db) -> dict[str, list]:  # noqa: ANN001
    """Real objects in the states the routes act on, made through the API like the desk would."""
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    fresh = (await new_repair(client, desk))["case"]["id"]
    dispatched = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    await open_and_dispatch(client, desk, dispatched)
    r = await client.post(
        f"/api/cases/{dispatched}/linked-problem",
        headers=desk,
        json={"description": "门锁松动", "separately": False},
    )
    assert r.status_code == 200, r.text
    done = (await new_repair(client, desk, content="卫生间堵塞"))["case"]["id"]
    await open_and_dispatch(client, desk, done)
    await complete_on_phone(client, done)  # a completed job brings a call-back task
    r = await client.post(
        "/api/cases",
        headers=desk,
        json={
            "kind": "help",
            "channel": "phone",
            "contact_name": "罗业主",
            "phone": "13800000009",
            "unit_id": "unit_3_104",
            "content": "楼道冒烟",
            "help_kind": "disaster",
        },
    )
    assert r.status_code == 201, r.text
    emergency = r.json()["case"]["id"]
    for path, body in (
        ("decide", {"open": True, "reason": "D"}),
        ("emergency/instructions", {"text": "封锁楼道", "given_by": "钱经理"}),
    ):
        r = await client.post(f"/api/cases/{emergency}/{path}", headers=desk, json=body)
        assert r.status_code == 200, (path, r.text)
    r = await client.post(
        "/api/cases",
        headers=desk,
        json={
            "kind": "complaint",
            "channel": "phone",
            "contact_name": "林业主",
            "phone": "13800000004",
            "unit_id": "unit_1_202",
            "content": "垃圾未清",
            "complaint_category": "cleaning",
        },
    )
    assert r.status_code == 201, r.text
    made = [
        ("/api/handovers", desk, {"incoming_id": "usr_frontdesk", "notes": "夜班"}),
        (
            "/api/services/bookings",
            desk,
            {
                "item_code": "drain_unblock",
                "resident_name": "黄业主",
                "unit": "1栋-101",
                "unit_id": "unit_1_101",
                "phone": "13800000001",
                "content": "下水道堵塞",
            },
        ),
        (
            "/api/services/agreements",
            desk,
            {
                "item_code": "laundry",
                "resident_name": "林业主",
                "unit": "1栋-202",
                "phone": "13800000004",
                "fee_cents": 1200,
                "valid_until": "2027-11-23T00:00:00Z",
            },
        ),
        ("/api/surveys", mgr, {"title": "11月综合回访", "issued": 10}),
        ("/api/compensations", desk, {"case_id": fresh, "amount_cents": 30_000}),
        (
            "/api/quality/weekly-checks",
            mgr,
            {"week_start": "2026-11-25", "cases_checked": 12, "poor_quality": False, "findings": ""},
        ),
    ]
    for url, headers, body in made:
        r = await client.post(url, headers=headers, json=body)
        assert r.status_code == 201, (url, r.text)
    # A returned ballot on the survey: one the withdraw route can reach.
    sid = (await client.get("/api/surveys", headers=mgr)).json()[0]["id"]
    r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": "fuzz-ballot", "grades": {"overall": "A"}})
    assert r.status_code == 200, r.text
    # A key lent and taken back: a loan whose return the correction route can reach.
    key_id = (await client.get("/api/keys", headers=desk)).json()[0]["key"]["id"]
    r = await client.post(f"/api/keys/{key_id}/loans", headers=desk, json={
        "borrower_kind": "staff", "borrower_user_id": "usr_tech", "due_at": "2026-11-23T09:00:00Z",
        "signature_sha256": await upload(client, desk, signature_png("fuzz-key"))})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/keys/{key_id}/return", headers=desk, json={})
    assert r.status_code == 200, r.text
    # A field record the push refused: a note from tech2's phone on the job dispatched to tech.
    async with db.read() as conn:
        doc = json.loads(
            (
                await conn.execute(
                    select(metadata.tables["cases"].c.doc).where(metadata.tables["cases"].c.id == dispatched)
                )
            ).scalar()
        )
    phone = Phone(client, await login(client, "tech2", device="fuzz phone"))
    res = await phone.push(phone.mutation("job.note", job_id=doc["work_orders"][-1]["id"], text="不是我的单"))
    assert res["results"][0]["status"] == "rejected", res
    ids: dict[str, list] = {}
    async with db.read() as conn:
        for param, (table, column) in ID_TABLES.items():
            t = metadata.tables[table]
            ids[param] = sorted({row[0] for row in (await conn.execute(select(t.c[column])))})
        ids["user"] = sorted(r[0] for r in await conn.execute(select(metadata.tables["users"].c.id)))
        ids["unit"] = sorted(r[0] for r in await conn.execute(select(metadata.tables["units"].c.id)))
        ids["agreement"] = sorted(
            r[0] for r in await conn.execute(select(metadata.tables["service_agreements"].c.id))
        )
        docs = [json.loads(r[0]) for r in await conn.execute(select(metadata.tables["cases"].c.doc))]
    ids["problem_id"] = [p["id"] for d in docs for p in d.get("linked_problems", [])]
    ids["iid"] = [i["id"] for d in docs for i in (d.get("emergency") or {}).get("instructions", [])]
    ids["job"] = [w["id"] for d in docs for w in d.get("work_orders", [])]
    ids["ballot_id"] = ["fuzz-ballot"]
    ids["year"], ids["month"] = [2026], [11]
    assert ids["problem_id"] and ids["iid"] and ids["job"] and ids["agreement"], ids
    return ids


# --- the database before and after --------------------------------------------------------------


def _snapshot_query():  # noqa: ANN202
    """One round trip: the row count of every table, the feed sequence, the counters, case versions."""
    cols = [
        select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in metadata.sorted_tables
    ]
    t = metadata.tables
    cols += [
        select(func.coalesce(func.max(t["change_counter"].c.seq), 0))
        .scalar_subquery()
        .label("=feed sequence"),
        select(func.coalesce(func.sum(t["counters"].c.value), 0)).scalar_subquery().label("=counter values"),
        select(func.coalesce(func.sum(t["cases"].c.version), 0)).scalar_subquery().label("=case versions"),
    ]
    return select(*cols)


async def _snapshot(db, query) -> dict[str, int]:  # noqa: ANN001
    async with db.read() as conn:
        row = (await conn.execute(query)).one()
    return {k: int(v) for k, v in row._mapping.items()}


# --- the routes and their bodies ----------------------------------------------------------------


def _resolve(node: Any, components: dict, seen: tuple[str, ...] = ()) -> Any:
    """Inline every $ref, and close objects: the Structs refuse unknown fields (forbid_unknown_fields)."""
    if isinstance(node, list):
        return [_resolve(x, components, seen) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        assert name not in seen, f"recursive schema {name}"
        return _resolve(copy.deepcopy(components[name]), components, (*seen, name))
    out = {
        k: (v if k in ("enum", "default", "examples", "const") else _resolve(v, components, seen))
        for k, v in node.items()
    }
    out.pop("default", None)  # Litestar writes Python reprs here ("frozenset()"); they are not JSON values
    out.pop("examples", None)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _with_real_ids(schema: dict, ids: dict[str, list]) -> dict:
    """Let a body field that names an object be one of the real ones as well as anything the schema allows."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in out:
            out[key] = [_with_real_ids(s, ids) for s in out[key]]
    if isinstance(out.get("items"), dict):
        out["items"] = _with_real_ids(out["items"], ids)
    if "properties" in out:
        props = {}
        for name, sub in out["properties"].items():
            sub = _with_real_ids(sub, ids)
            pool = ids.get(BODY_ID_POOLS.get(name, ""))
            if pool and isinstance(sub, dict) and sub.get("type") == "string":
                sub = {"anyOf": [sub, {"enum": pool}]}
            props[name] = sub
        out["properties"] = props
    return out


# Values at the edges that random draws rarely reach, offered beside whatever the schema allows:
# instants whose UTC falls off datetime's range, the integer widths of the columns, and text of the
# full allowed length in a multi-byte script (PostgreSQL counts characters, SQLite nothing at all).
EDGE_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00Z",
]
EDGE_DATES = ["0001-01-01", "9999-12-31"]
EDGE_INTS = [0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 2**64 - 1]
LONG_TEXT = 5000
OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=14)), timezone(-timedelta(hours=14))]


def _with_edges(schema: Any) -> Any:  # noqa: ANN401
    if isinstance(schema, list):
        return [_with_edges(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: (_with_edges(v) if k in ("anyOf", "oneOf", "allOf", "items", "additionalProperties") else v)
        for k, v in schema.items()
    }
    if "properties" in out:
        out["properties"] = {k: _with_edges(v) for k, v in out["properties"].items()}
    edges: list = []
    if out.get("type") == "integer":
        lo, hi = out.get("minimum", -math.inf), out.get("maximum", math.inf)
        edges = [i for i in EDGE_INTS if lo <= i <= hi]
    elif out.get("type") == "string" and "enum" not in out and "pattern" not in out:
        if out.get("format") in ("date-time", "date"):
            # Years 0000-9999 at random almost never land in the years the server takes (2000-2999,
            # input_guard.INPUT_YEARS): offer plausible ones too, or no body would reach the handler.
            plausible = {"type": "string", "format": f"x-plausible-{out['format']}"}
            return {
                "anyOf": [
                    out,
                    plausible,
                    {"enum": EDGE_INSTANTS if out["format"] == "date-time" else EDGE_DATES},
                ]
            }
        if "format" not in out:
            edges = ["漏" * out.get("maxLength", LONG_TEXT)]
    return {"anyOf": [out, {"enum": edges}]} if edges else out


def _json_routes(app, doc: dict) -> list[tuple[str, str, frozenset | None, dict]]:  # noqa: ANN001
    """(method, path template, roles or None for public, request schema) of every JSON-body route."""
    out = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", ()) or ()):
                if method not in ("POST", "PUT", "PATCH") or not route.path.startswith("/api/"):
                    continue
                if (method, route.path) in SKIP:
                    continue
                op = doc["paths"].get(_PARAM.sub(r"{\1}", route.path), {}).get(method.lower(), {})
                body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
                if body is None:
                    continue
                roles = None if handler.opt.get("public") else frozenset(handler.opt["roles"])
                out.append((method, route.path, roles, body["schema"]))
    return out


def _made_up_id(kind: str) -> st.SearchStrategy:
    if kind == "int":
        return st.integers(min_value=-(10**20), max_value=10**20)
    return st.one_of(
        st.sampled_from(["case_does_not_exist", "0", "-1", "x" * 300, "%", "..", "null"]),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=80),
    )


def _request_strategy(path: str, roles: list[str], body: dict, ids: dict[str, list], made_up: bool):  # noqa: ANN202
    params = {}
    for name, kind in _PARAM.findall(path):
        real = ids.get(name) or []
        params[name] = _made_up_id(kind) if made_up or not real else st.sampled_from(real)
    fmt = {
        "duration": st.times().map(lambda t: t.isoformat()),  # Litestar's name for a time of day
        "x-plausible-date-time": st.datetimes(
            min_value=datetime(2000, 1, 2),
            max_value=datetime(2999, 12, 30),
            timezones=st.sampled_from(OFFSETS),
        ).map(lambda t: t.isoformat()),
        "x-plausible-date": st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31)).map(str),
    }
    return st.fixed_dictionaries(
        {
            "role": st.sampled_from(roles),
            "params": st.fixed_dictionaries(params),
            "body": from_schema(body, custom_formats=fmt, allow_x00=False),  # NUL: test_hostile_input.py
        }
    )


def _brief(body: Any) -> str:  # noqa: ANN401
    """The body as JSON, with long strings shortened so a failure stays readable."""

    def short(x: Any) -> Any:  # noqa: ANN401
        if isinstance(x, str) and len(x) > 80:
            return f"{x[:20]}…({len(x)} chars)"
        if isinstance(x, dict):
            return {k: short(v) for k, v in x.items()}
        return [short(v) for v in x] if isinstance(x, list) else x

    return json.dumps(short(body), ensure_ascii=False)[:1500]


def _url(path: str, params: dict) -> str:
    return _PARAM.sub(lambda m: quote(str(params[m.group(1)]), safe=""), path)


# --- the test -----------------------------------------------------------------------------------


async def test_every_json_route_answers_hostile_bodies_with_a_coded_4xx_and_stores_nothing(client, demo_db):  # noqa: ANN001
    from server.ratelimit import DeviceRateLimiter

    app = client._transport.app
    doc = app.openapi_schema.to_schema()
    components = doc["components"]["schemas"]
    ids = await _world(client, demo_db)
    tokens = {str(role): await login(client, user, device="fuzz") for role, user in USER_FOR_ROLE.items()}
    routes = _json_routes(app, doc)
    assert len(routes) >= 50, [r[:2] for r in routes]
    # Every path parameter has real objects behind it, or the route would only ever answer 404:
    # a new route's new parameter is named here until ID_TABLES (or _world) learns it.
    unnamed = sorted(
        {name for _, path, _, _ in routes for name, _ in _PARAM.findall(path) if not ids.get(name)}
    )
    assert not unnamed, f"no real ids for path parameters {unnamed}"
    query = _snapshot_query()
    loop = asyncio.get_running_loop()
    # What each route answered, by status and code: printed, and checked to reach past the decoder.
    seen: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)

    def run(coro: Coroutine) -> Any:  # noqa: ANN401
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    async def call(method: str, url: str, headers: dict, body: Any) -> tuple[int, Any, str, dict, dict]:  # noqa: ANN401
        before = await _snapshot(demo_db, query)
        r = await client.request(method, url, headers=headers, json=body)
        after = await _snapshot(demo_db, query) if 400 <= r.status_code < 500 else before
        try:
            parsed = r.json()
        except ValueError:
            parsed = None
        return r.status_code, parsed, r.text[:500], before, after

    def exerciser(method: str, path: str, roles: frozenset | None, schema: dict, made_up: bool) -> Callable:
        body_schema = _with_edges(_with_real_ids(_resolve(schema, components), ids))
        callers = sorted(roles) if roles is not None else ["public"]
        strategy = _request_strategy(path, callers, body_schema, ids, made_up)

        @given(req=strategy)
        @settings(
            max_examples=MADE_UP_EXAMPLES if made_up else EXAMPLES,
            deadline=None,
            database=None,
            derandomize=SEED is None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(int(SEED or 0))
        def exercise(req: dict) -> None:
            url = _url(path, req["params"])
            headers = {} if req["role"] == "public" else tokens[req["role"]]
            status, body, text, before, after = run(call(method, url, headers, req["body"]))
            seen[(method, path, made_up)][
                f"{status} {body.get('code', '') if isinstance(body, dict) else ''}"
            ] += 1
            where = f"{method} {url} as {req['role']} with {_brief(req['body'])}"
            assert status < 500, f"{where}: {status} {text}"
            if status >= 400:
                assert isinstance(body, dict) and set(body) == ERROR_KEYS, f"{where}: {status} {text}"
                assert body["code"] and body["message"] and body["message_en"], f"{where}: {text}"
                moved = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                assert not moved, f"{where}: refused {status} {body['code']} but changed {moved}"

        return exercise

    limiter = app.state.rate_limiter
    # The fuzz is one device per role sending hundreds of requests; the limiter has its own tests.
    app.state.rate_limiter = DeviceRateLimiter(burst=10**9)
    failures: list[str] = []
    started = time.monotonic()
    fuzzed = 0

    def fuzz_all() -> None:
        nonlocal fuzzed
        for method, path, roles, schema in routes:
            passes = (False, True) if _PARAM.search(path) else (False,)
            for made_up in passes:
                try:
                    exerciser(method, path, roles, schema, made_up)()
                except Exception as exc:  # noqa: BLE001 - collect every route's failure, report together
                    failures.append(f"{method} {path}{' [made-up ids]' if made_up else ''}:\n  {exc}"[:3000])
            fuzzed += 1

    try:
        await asyncio.to_thread(fuzz_all)
    finally:
        app.state.rate_limiter = limiter
    elapsed = time.monotonic() - started
    print(f"fuzzed {fuzzed} JSON routes in {elapsed:.1f} s")
    for (method, path, made_up), counter in seen.items():
        print(method, path, "[made-up ids]" if made_up else "", dict(counter))
    assert not failures, "\n\n".join(failures) + f"\n\n({len(failures)} failing route passes)"
    assert fuzzed == len(routes)
    # The bodies must reach the handlers, not only the decoder: with real ids, every route answers at
    # least once with something other than request.invalid (its own refusal, or success).
    stuck = [
        f"{m} {p}"
        for m, p, _, _ in routes
        if not any(not k.endswith(" request.invalid") for k in seen[(m, p, False)])
    ]
    assert not stuck, f"no generated body got past the decoder of {stuck}"
