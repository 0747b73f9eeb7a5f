"""R-EM-2 through the API: the staff directory says who holds each rung and post, with the number to
call; a person named on a rung holds its role; calls and escalations are not the help reply (R-IN-5)."""

from __future__ import annotations

from tests.conftest import login

_HELP = {"kind": "help", "channel": "phone", "contact_name": "赵女士", "phone": "13900002222", "unit_id": "unit_2_201",
         "content": "老人在家中摔倒，意识不清", "help_kind": "medical_emergency"}


async def _emergency(client, desk) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json=_HELP)
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def test_the_directory_names_who_holds_each_emergency_post_with_a_number_to_call(client):  # noqa: ANN001  # R-EM-2
    desk = await login(client, "dispatcher")
    r = await client.get("/api/staff", headers=desk)
    assert r.status_code == 200, r.text
    staff = {u["username"]: u for u in r.json()}
    # The chain's rungs are roles; the people summoned to the scene are posts some staff hold (D89).
    assert (staff["manager"]["roles"], staff["manager"]["phone"]) == (["manager"], "13900000009")
    assert (staff["security"]["posts"], staff["security"]["phone"]) == (["security_manager"], "13900000014")
    assert staff["engineering"]["posts"] == ["engineering_manager"] and staff["guardcap"]["posts"] == ["guard_captain"]
    assert staff["dispatcher"]["posts"] == []
    # The demo compound has no elevator captain: the panel says so rather than guessing.
    assert not any("elevator_captain" in u["posts"] for u in staff.values())
    # Every person the desk may call has a number of their own.
    assert len({u["phone"] for u in staff.values()}) == len(staff)


async def test_a_person_named_on_a_rung_of_the_chain_must_hold_its_role(client):  # noqa: ANN001  # R-EM-2
    desk = await login(client, "dispatcher")
    cid = await _emergency(client, desk)
    url = f"/api/cases/{cid}/emergency/attempt"
    for who in ("usr_deputy", "usr_nobody"):
        r = await client.post(url, headers=desk, json={"target_role": "manager", "target_id": who, "reached": False})
        assert (r.status_code, r.json()["code"]) == (400, "emergency.target_not_in_role"), r.text
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["case"]["emergency"]["attempts"] == []  # nothing stored
    r = await client.post(url, headers=desk, json={"target_role": "manager", "target_id": "usr_manager", "reached": False})
    assert r.status_code == 200, r.text
    [attempt] = r.json()["case"]["emergency"]["attempts"]
    assert (attempt["target_id"], attempt["reached"]) == ("usr_manager", False)
    # The history names whom the desk tried, for the record of who was reached and who was not.
    [entry] = [e for e in r.json()["timeline"] if e["action"] == "emergency.attempt"]
    assert entry["data"] == {"target_role": "manager", "reached": False, "target_id": "usr_manager"}
    # The level alone is still recorded when the directory names nobody for it.
    r = await client.post(url, headers=desk, json={"target_role": "deputy_gm", "reached": True})
    assert r.status_code == 200, r.text


async def test_a_public_call_or_an_escalation_is_not_the_reply_to_the_person_asking(client):  # noqa: ANN001  # R-IN-5 R-EM-2 R-EM-5
    desk = await login(client, "dispatcher")
    cid = await _emergency(client, desk)

    def reply_clock(view: dict) -> dict:
        return next(k for k in view["clocks"] if k["code"] == "IN5_HELP_REPLY_5M")

    await client.post(f"/api/cases/{cid}/emergency/public-call", headers=desk, json={"number": "120"})
    r = await client.post(f"/api/cases/{cid}/emergency/attempt", headers=desk,
                          json={"target_role": "manager", "target_id": "usr_manager", "reached": True})
    assert r.status_code == 200, r.text
    # The ambulance and the manager were called; the caller has not been answered yet (D89).
    assert reply_clock(r.json())["running"] is True
    # The reply is the existing follow-up of kind reply, as the desk's 已答复求助人 button records it.
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "phone", "note": "已叫救护车，请勿移动老人"})
    assert r.status_code == 200, r.text
    clock = reply_clock(r.json())
    assert clock["running"] is False and clock["satisfied_at"]


async def test_an_account_is_created_with_its_phone_and_the_emergency_posts_it_holds(empty_db_url):  # noqa: ANN001  # R-EM-2
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, ESTATEDESK_DATABASE_URL=empty_db_url)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "server", "create-user", *args], cwd=Path(__file__).resolve().parents[2],
                              env=env, capture_output=True, text=True, timeout=120)

    r = cli("jiang", "--password", "s3cret-pass", "--role", "guard", "--phone", "13912345678", "--post", "security_manager")
    assert r.returncode == 0, r.stderr
    bad = cli("lift", "--password", "s3cret-pass", "--role", "technician", "--post", "lift_boss")
    assert bad.returncode == 1 and "No such post" in bad.stderr
    from server.auth.principal import Principal
    from server.services import desk
    from server.storage.db import Database

    db = Database(empty_db_url)
    try:
        async with db.read() as conn:
            from sqlalchemy import select

            from server.storage.schema import users
            cid = (await conn.execute(select(users.c.compound_id))).scalar()
        who = Principal(user_id="x", username="x", display_name="x", compound_id=cid,
                        roles=frozenset({"dispatcher"}), device_id="d")
        [u] = await desk.staff(db, who, None)
    finally:
        await db.dispose()
    assert (u["username"], u["phone"], u["posts"]) == ("jiang", "13912345678", ["security_manager"])
