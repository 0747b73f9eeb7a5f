"""Access control, generated: every route × every role, against the route's own declared roles.

The matrix is built from the app's route table, so a new route is covered the day it is added:
a role outside the route's `opt["roles"]` gets 403 auth.forbidden; a role inside never gets that
refusal (it may still get 400/404/409 from the handler, or a 403 scope.* object-level refusal).
Then the object-level checks: what a technician can see of other people's work.
"""

from __future__ import annotations

import re

from litestar import Litestar

from server.domain.roles import Role
from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, open_and_dispatch

# One demo login per role (server/demo.py). RESIDENT has no staff login and no route allows it.
USER_FOR_ROLE = {
    Role.DISPATCHER: "dispatcher", Role.FRONT_DESK: "frontdesk", Role.CONTROL_ROOM: "control",
    Role.TEAM_LEAD: "lead", Role.TECHNICIAN: "tech", Role.CLEANER: "cleaner", Role.GUARD: "guard",
    Role.MANAGER: "manager", Role.DEPUTY_GM: "deputy", Role.GENERAL_MANAGER: "gm",
    Role.ENGINEERING: "engineering", Role.CASHIER: "cashier",
}
# Minimal valid-looking path parameters: by name where the value must parse, else a plausible id.
PATH_VALUES = {"year": "2026", "month": "11", "sha256": "0" * 64}
_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def _fill(path: str) -> str:
    return _PARAM.sub(lambda m: PATH_VALUES.get(m.group(1), "1" if m.group(2) == "int" else f"x_{m.group(1)}"), path)


def _routes(app: Litestar) -> list[tuple[str, str, dict]]:
    """(method, path, opt) for every handler, OPTIONS excepted (Litestar adds one per path itself)."""
    out = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", ()) or ()):
                if method == "OPTIONS":
                    continue
                out.append((method, route.path, handler.opt))
    return out


async def _call(client, method: str, path: str, headers: dict):  # noqa: ANN001, ANN202
    url = _fill(path)
    if method in ("POST", "PUT", "PATCH"):
        return await client.request(method, url, headers=headers, json={})
    return await client.request(method, url, headers=headers)


def _is_static(path: str) -> bool:
    return path == "/" or path.startswith("/{file_path")


async def test_every_route_refuses_exactly_the_roles_it_does_not_declare(client):  # noqa: ANN001
    app = client._transport.app
    routes = _routes(app)
    assert len(routes) > 80
    # Logging out revokes the token the rest of the matrix uses: it is called last.
    routes.sort(key=lambda r: r[1] == "/api/auth/logout")
    tokens = {role: await login(client, user, device="matrix") for role, user in USER_FOR_ROLE.items()}
    wrong: list[str] = []
    checked = 0
    for method, path, opt in routes:
        if _is_static(path):
            continue
        declared = opt.get("roles")
        # A public route has no role rule to check: one caller shows it does not refuse by role.
        callers = list(tokens.items())[:1] if opt.get("public") else tokens.items()
        for role, headers in callers:
            r = await _call(client, method, path, headers)
            body = r.json() if r.content and r.headers.get("content-type", "").startswith("application/json") else {}
            code = body.get("code") if isinstance(body, dict) else None
            # A HEAD answer has no body to carry the code: its 403 can only be the role guard's.
            refused_by_role = r.status_code == 403 and (code == "auth.forbidden" or method == "HEAD")
            if opt.get("public"):
                ok = r.status_code != 403
            elif str(role) in declared:
                ok = not refused_by_role and r.status_code not in (401, 405) and r.status_code < 500
            else:
                ok = refused_by_role
            if not ok:
                wrong.append(f"{method} {path} as {role}: {r.status_code} {code}")
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 70 * len(tokens)


async def test_every_non_public_route_needs_a_token(client):  # noqa: ANN001
    app = client._transport.app
    wrong = []
    for method, path, opt in _routes(app):
        if opt.get("public") or _is_static(path):
            continue
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic ZGVtbzpkZW1v"}):
            r = await _call(client, method, path, headers)
            if r.status_code != 401 or (method != "HEAD" and not r.json()["code"].startswith("auth.")):
                wrong.append(f"{method} {path} {headers}: {r.status_code}")
    assert not wrong, "\n".join(wrong)


async def test_a_role_matrix_refusal_is_the_error_shape(client):  # noqa: ANN001
    r = await client.get("/api/devices", headers=await login(client, "cleaner"))
    assert r.status_code == 403
    assert set(r.json()) == {"code", "message", "message_en", "details"}


# --- object level: what a technician sees of other people's work ---


async def test_pull_never_gives_a_technician_another_technicians_job(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    mine, theirs = [], []
    for i, who in enumerate(["usr_tech", "usr_tech2", "usr_tech", "usr_tech2", "usr_cleaner"]):
        cid = (await new_repair(client, desk, content=f"任务{i}"))["case"]["id"]
        await open_and_dispatch(client, desk, cid, assignee=who)
        (mine if who == "usr_tech" else theirs).append(cid)
    tech = Phone(client, await login(client, "tech", device="p1"))
    changes = await tech.pull()
    assert sorted(d["case_id"] for d in tech.jobs().values()) == sorted(mine)
    # Not even as a removal or under another entity name: nothing about the others' cases at all.
    leaked = [c for c in changes if any(t in str(c) for t in theirs)]
    assert leaked == []
    tech2 = Phone(client, await login(client, "tech2", device="p2"))
    await tech2.pull()
    assert sorted(d["case_id"] for d in tech2.jobs().values()) == sorted(theirs[:2])


async def test_reading_another_technicians_case_is_refused_for_every_executor(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, case_id, assignee="usr_tech")
    for user in ("tech2", "cleaner", "guard"):
        r = await client.get(f"/api/cases/{case_id}", headers=await login(client, user))
        assert r.status_code == 403, (user, r.text)
        assert r.json()["code"] == "scope.not_assigned"
        # The refusal says nothing about the case beyond that it exists.
        details = r.json()["details"]
        assert set(details) <= {"case"} and details.get("case", case_id) == case_id, details


async def test_a_reassigned_technician_loses_read_access_to_the_case(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    case_id = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, case_id, assignee="usr_tech")
    tech = await login(client, "tech")
    assert (await client.get(f"/api/cases/{case_id}", headers=tech)).status_code == 200
    r = await client.post(f"/api/cases/{case_id}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    # The first technician's work order stays in the case history, but it is no longer theirs to act on.
    phone = Phone(client, tech)
    await phone.pull()
    assert case_id not in {d["case_id"] for d in phone.jobs().values()}
    assert (await client.get(f"/api/cases/{case_id}", headers=await login(client, "tech2"))).status_code == 200
    r = await client.get(f"/api/cases/{case_id}", headers=tech)
    assert r.status_code == 403 and r.json()["code"] == "scope.not_assigned"


async def test_a_technician_cannot_list_or_search_the_desks_cases(client):  # noqa: ANN001
    tech = await login(client, "tech")
    for url in ("/api/cases", "/api/cases?q=漏水", "/api/followups", "/api/staff"):
        r = await client.get(url, headers=tech)
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden", url
