"""The manager's staff page through HTTP (D129): add a person, edit their phone and emergency posts
(R-EM-2, D89), deactivate and reactivate them, reset their password; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import msgspec
from sqlalchemy import select

from server.storage.schema import audit
from tests.conftest import login
from tests.integration.scenarios import new_repair, open_and_dispatch

CAPTAIN = {"username": "han.cap2", "display_name": "韩副队长", "password": "captain-pass", "roles": ["guard"],
           "phone": "13912345678", "posts": ["guard_captain"]}
BASE = "/api/staff/accounts"


async def _entries(db, user_id: str) -> list:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(audit).where(audit.c.entity == "user", audit.c.entity_id == user_id)
                                   .order_by(audit.c.id))).all()


async def _directory(client, headers) -> dict[str, dict]:  # noqa: ANN001
    r = await client.get("/api/staff", headers=headers)
    assert r.status_code == 200, r.text
    return {u["username"]: u for u in r.json()}


async def _add(client, mgr, **kw) -> dict:  # noqa: ANN001, ANN003
    r = await client.post(BASE, headers=mgr, json={**CAPTAIN, **kw})
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_manager_adds_a_guard_captain_who_signs_in_and_the_directory_calls(client, db):  # noqa: ANN001  # R-EM-2 D89
    mgr = await login(client, "manager")
    person = await _add(client, mgr)
    assert (person["username"], person["phone"], person["posts"], person["roles"], person["active"]) == \
        ("han.cap2", "13912345678", ["guard_captain"], ["guard"], True)
    assert (person["devices"], person["last_seen_at"], person["open_cases"]) == (0, None, [])
    # The emergency panel's directory lists the new holder of the post with the number to call.
    desk = await login(client, "dispatcher")
    listed = (await _directory(client, desk))["han.cap2"]
    assert (listed["phone"], listed["posts"]) == ("13912345678", ["guard_captain"])
    # The initial password the manager gave works (hashed as create-user hashes it).
    headers = await login(client, "han.cap2", "captain-pass")
    assert (await client.get("/api/me", headers=headers)).json()["display_name"] == "韩副队长"
    # The page shows the sign-in.
    [row] = [p for p in (await client.get(BASE, headers=mgr)).json() if p["id"] == person["id"]]
    assert row["devices"] == 1 and row["last_seen_at"] is not None
    # Audited with who did it; the password is nowhere in the record.
    [entry] = await _entries(db, person["id"])
    assert (entry.action, entry.actor_id) == ("create", "usr_manager")
    assert "captain-pass" not in entry.data and "password" not in msgspec.json.decode(entry.data)


async def test_a_dispatcher_cannot_read_or_change_the_staff_list(client):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    calls = [("GET", BASE, None), ("POST", BASE, CAPTAIN),
             ("PUT", f"{BASE}/usr_tech", {"display_name": "张师傅", "phone": "13900000000", "posts": []}),
             ("POST", f"{BASE}/usr_tech/deactivate", None), ("POST", f"{BASE}/usr_tech/reactivate", None),
             ("POST", f"{BASE}/usr_tech/password", {"password": "new-password"})]
    for method, url, body in calls:
        r = await client.request(method, url, headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden"), (method, url, r.text)
    mgr = await login(client, "manager")
    assert not any(p["username"] == "han.cap2" for p in (await client.get(BASE, headers=mgr)).json())
    assert (await login(client, "tech"))  # still active, same password


async def test_a_login_name_already_taken_in_any_letter_case_is_refused(client):  # noqa: ANN001
    mgr = await login(client, "manager")
    for username in ("tech", "TECH"):
        r = await client.post(BASE, headers=mgr, json={**CAPTAIN, "username": username})
        assert (r.status_code, r.json()["code"]) == (409, "user.exists"), r.text
    r = await client.post(BASE, headers=mgr, json={**CAPTAIN, "posts": ["lift_boss"]})  # R-EM-2
    assert (r.status_code, r.json()["code"]) == (400, "user.unknown_post"), r.text
    r = await client.post(BASE, headers=mgr, json={**CAPTAIN, "password": "short"})
    assert (r.status_code, r.json()["code"]) == (400, "user.password_too_short"), r.text
    assert "han.cap2" not in await _directory(client, mgr)


async def test_a_changed_phone_and_post_reach_the_directory_and_are_audited(client, db):  # noqa: ANN001  # R-EM-2 D89
    mgr = await login(client, "manager")
    r = await client.put(f"{BASE}/usr_guardcap", headers=mgr,
                         json={"display_name": "韩队长", "phone": "13955556666", "posts": ["guard_captain", "elevator_captain"]})
    assert r.status_code == 200, r.text
    desk = await login(client, "dispatcher")
    cap = (await _directory(client, desk))["guardcap"]
    assert (cap["phone"], cap["posts"]) == ("13955556666", ["guard_captain", "elevator_captain"])
    [entry] = [e for e in await _entries(db, "usr_guardcap") if e.action != "create"]
    assert (entry.action, entry.actor_id) == ("update", "usr_manager")
    assert msgspec.json.decode(entry.data) == {
        "phone": ["13900000015", "13955556666"], "posts": [["guard_captain"], ["guard_captain", "elevator_captain"]]}
    # Posts are checked as at creation; nothing changes on a refusal.
    r = await client.put(f"{BASE}/usr_guardcap", headers=mgr, json={"display_name": "韩队长", "phone": "", "posts": ["boss"]})
    assert (r.status_code, r.json()["code"]) == (400, "user.unknown_post"), r.text
    assert (await _directory(client, desk))["guardcap"]["phone"] == "13955556666"
    r = await client.put(f"{BASE}/usr_nobody", headers=mgr, json={"display_name": "x", "phone": "", "posts": []})
    assert (r.status_code, r.json()["code"]) == (404, "user.not_found"), r.text


async def test_a_person_with_an_open_job_is_not_deactivated_until_it_is_dispatched_elsewhere(client, db):  # noqa: ANN001  # R-OP-4
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    tech = await login(client, "tech")
    case = (await new_repair(client, desk))["case"]
    await open_and_dispatch(client, desk, case["id"], "usr_tech")
    r = await client.post(f"{BASE}/usr_tech/deactivate", headers=mgr)
    assert (r.status_code, r.json()["code"]) == (409, "user.open_work_orders"), r.text
    assert r.json()["details"]["cases"] == [case["no"]]
    [row] = [p for p in (await client.get(BASE, headers=mgr)).json() if p["id"] == "usr_tech"]
    assert row["active"] is True and row["open_cases"] == [{"id": case["id"], "no": case["no"]}]
    assert (await client.get("/api/me", headers=tech)).status_code == 200  # nothing was revoked

    # The desk gives the job to someone else; then the person can go.
    r = await client.post(f"/api/cases/{case['id']}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{BASE}/usr_tech/deactivate", headers=mgr)
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["devices"], r.json()["open_cases"]) == (False, 0, [])
    # Their token stops working at once, they cannot sign in, the directory no longer offers them.
    r = await client.get("/api/me", headers=tech)
    assert (r.status_code, r.json()["code"]) == (401, "auth.invalid_token")
    r = await client.post("/api/auth/login", json={"username": "tech", "password": "demo"})
    assert (r.status_code, r.json()["code"]) == (401, "auth.bad_credentials")
    assert "tech" not in await _directory(client, desk)
    # A dispatch to them is refused now.
    other = (await new_repair(client, desk, content="楼道灯不亮"))["case"]
    await client.post(f"/api/cases/{other['id']}/decide", headers=desk, json={"open": True, "reason": "A"})
    r = await client.post(f"/api/cases/{other['id']}/dispatch", headers=desk,
                          json={"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    assert (r.status_code, r.json()["code"]) == (400, "staff.not_found"), r.text
    # Again: nothing more to do, nothing more recorded.
    assert (await client.post(f"{BASE}/usr_tech/deactivate", headers=mgr)).status_code == 200
    assert [e.action for e in await _entries(db, "usr_tech")] == ["create", "deactivate"]

    # Reactivated: a new sign-in works; the old device stays signed out.
    r = await client.post(f"{BASE}/usr_tech/reactivate", headers=mgr)
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    assert (await client.get("/api/me", headers=tech)).status_code == 401
    assert await login(client, "tech")
    [*_, deact, react] = await _entries(db, "usr_tech")
    assert (deact.action, react.action, react.actor_id) == ("deactivate", "reactivate", "usr_manager")
    assert len(msgspec.json.decode(deact.data)["devices_revoked"]) == 1


async def test_the_compound_keeps_an_active_manager(client):  # noqa: ANN001  # R-EM-2 R-CL-2
    mgr = await login(client, "manager")
    r = await client.post(f"{BASE}/usr_manager/deactivate", headers=mgr)
    assert (r.status_code, r.json()["code"]) == (409, "user.last_manager"), r.text
    second = await _add(client, mgr, username="sun.mgr", display_name="孙经理", roles=["manager"], posts=[])
    mgr2 = await login(client, "sun.mgr", "captain-pass")
    # With a second manager either may go; the one left cannot.
    r = await client.post(f"{BASE}/usr_manager/deactivate", headers=mgr2)
    assert r.status_code == 200, r.text
    assert (await client.get(BASE, headers=mgr)).status_code == 401
    r = await client.post(f"{BASE}/{second['id']}/deactivate", headers=mgr2)
    assert (r.status_code, r.json()["code"]) == (409, "user.last_manager"), r.text


async def test_a_reset_password_signs_the_person_out_everywhere(client, db):  # noqa: ANN001
    mgr = await login(client, "manager")
    phone = await login(client, "tech", device="phone")
    desk_pc = await login(client, "tech", device="pc")
    r = await client.post(f"{BASE}/usr_tech/password", headers=mgr, json={"password": "short"})
    assert (r.status_code, r.json()["code"]) == (400, "user.password_too_short"), r.text
    r = await client.post(f"{BASE}/usr_tech/password", headers=mgr, json={"password": "fresh-secret-1"})
    assert r.status_code == 200 and r.json()["devices"] == 0, r.text
    for headers in (phone, desk_pc):
        assert (await client.get("/api/me", headers=headers)).status_code == 401
    r = await client.post("/api/auth/login", json={"username": "tech", "password": "demo"})
    assert r.status_code == 401
    assert await login(client, "tech", "fresh-secret-1")
    entry = (await _entries(db, "usr_tech"))[-1]
    assert entry.action == "password_reset" and "fresh-secret-1" not in entry.data
    # Resetting one's own keeps the device doing it signed in, and signs out the others.
    other = await login(client, "manager", device="tablet")
    r = await client.post(f"{BASE}/usr_manager/password", headers=mgr, json={"password": "manager-new-1"})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/me", headers=mgr)).status_code == 200
    assert (await client.get("/api/me", headers=other)).status_code == 401


async def test_leadership_accounts_stay_with_the_company(client):  # noqa: ANN001  # R-SS-1
    mgr = await login(client, "manager")
    r = await client.post(BASE, headers=mgr, json={**CAPTAIN, "username": "boss2", "roles": ["general_manager"]})
    assert (r.status_code, r.json()["code"]) == (403, "user.leadership_account"), r.text
    for action, body in (("deactivate", None), ("reactivate", None), ("password", {"password": "i-am-the-gm"})):
        r = await client.post(f"{BASE}/usr_gm/{action}", headers=mgr, json=body)
        assert (r.status_code, r.json()["code"]) == (403, "user.leadership_account"), (action, r.text)
    assert await login(client, "gm")
    # The GM's number is directory data the desk needs on the emergency chain (R-EM-2): the manager keeps it.
    r = await client.put(f"{BASE}/usr_gm", headers=mgr, json={"display_name": "郑总经理", "phone": "13911110000", "posts": []})
    assert r.status_code == 200 and r.json()["company_account"] is True, r.text


async def test_a_dispatch_in_progress_is_seen_by_a_deactivation_that_waits_for_it(client, db):  # noqa: ANN001  # R-OP-4
    """A dispatch to a person and their deactivation at the same moment: never both (a job on the phone
    of someone who cannot sign in). The dispatch holds the person's row until it commits."""
    from sqlalchemy import update

    from server.auth.principal import Principal
    from server.demo import DEMO_COMPOUND
    from server.domain.errors import DomainError
    from server.services import accounts, desk
    from server.storage.schema import cases

    desk_h = await login(client, "dispatcher")
    case = (await new_repair(client, desk_h))["case"]
    mgr = Principal(user_id="usr_manager", username="manager", display_name="钱经理", roles=frozenset({"manager"}),
                    compound_id=DEMO_COMPOUND, device_id="d")
    disp = Principal(user_id="usr_dispatcher", username="dispatcher", display_name="王调度",
                     roles=frozenset({"dispatcher"}), compound_id=DEMO_COMPOUND, device_id="d")
    deactivation: asyncio.Task | None = None
    async with db.transaction() as uow:
        # The dispatch's read of the assignee, then (while it is open) the deactivation starts.
        await desk._staff_role(uow, disp, "usr_tech")
        deactivation = asyncio.create_task(accounts.deactivate_staff(db, mgr, "usr_tech"))
        await asyncio.sleep(0.5)
        assert not deactivation.done(), "the deactivation went ahead while a dispatch to the person was open"
        await uow.conn.execute(update(cases).where(cases.c.id == case["id"]).values(assignee_id="usr_tech",
                                                                                     state="dispatched"))
    try:
        await deactivation
    except DomainError as e:
        assert e.refusal.code == "user.open_work_orders"
    else:
        raise AssertionError("deactivated a person who had just been given a job")
