"""Emergencies from staff phones, through the sync push as every field step (R-IN-1, R-EM-2).

A guard raises an emergency from the emergency sheet while offline: it reaches the desk as an intake
found by staff, flagged emergency, received when tapped. The people the desk summons are told on their
phones (the summons in their feed, a push and an inbox item) and report back from there; someone not
summoned is refused and audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text

from server.notify.scheduler import run_once
from server.storage.schema import changes, field_refusals
from tests.conftest import login
from tests.images import signature_png
from tests.integration.scenarios import Phone, upload
from tests.integration.test_push_reminders import inbox, reminder_rows, subscribe
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

SLOW = timedelta(hours=-1)  # the phone's clock is an hour behind: only its own differences count (D35)
M = timedelta(minutes=1)


def _t(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def _push(client, clock, phone: Phone, *tapped: tuple[dict, datetime]) -> list[dict]:  # noqa: ANN001
    """Push mutations tapped at the given server times from a phone whose clock is an hour slow."""
    ms = [{**m, "device_time": (at + SLOW).isoformat()} for m, at in tapped]
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": ms, "sent_at": (clock.now() + SLOW).isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["results"]


async def _desk_emergency(client, desk) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": "地下车库有烟雾", "help_kind": "disaster"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _summon(client, desk, case_id: str, role: str, person_id: str | None = None) -> dict:  # noqa: ANN001
    body = {"role": role, **({"person_id": person_id} if person_id else {})}
    r = await client.post(f"/api/cases/{case_id}/emergency/summon", headers=desk, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_guard_raises_an_emergency_offline_and_the_desk_gets_it_found_by_staff_when_tapped(client, clock):  # R-IN-1 R-EM-1
    guard = Phone(client, await login(client, "guard", device="guard phone"))
    photo = await upload(client, guard.headers, signature_png("smoke in B2"))
    t0 = clock.now()
    m = guard.mutation("emergency.report", what="fire", building_id="bld_2", where="B2 配电间",
                       note="配电间冒烟，有焦味", photo_sha256=photo)
    clock.advance(minutes=25)  # in the basement: it syncs 25 minutes after the tap
    [res] = await _push(client, clock, guard, (m, t0 + 2 * M))
    assert res["status"] == "applied", res

    desk = await login(client, "dispatcher")
    r = await client.get("/api/cases", headers=desk, params={"open": "true", "attention": "true", "limit": 1000})
    [row] = [c for c in r.json() if c["field_report"]]
    # R-IN-1: found by staff, the reporter's name and phone as the contact, received when tapped.
    assert (row["channel"], row["kind"], row["is_emergency"]) == ("staff_found", "help", True)
    assert (row["contact_name"], row["phone"], row["address"]) == ("孙护卫", "13900000008", "2栋 B2 配电间")
    assert _t(row["received_at"]) == t0 + 2 * M
    fr = row["field_report"]
    assert (fr["by"], _t(fr["reported_at"]), _t(fr["received_at"]), fr["unanswered"]) == (
        "usr_guard", t0 + 2 * M, clock.now(), True)
    assert row["numbers_to_call"] == ["119"]  # R-EM-5, as the desk's own intake prompts

    view = (await client.get(f"/api/cases/{row['id']}", headers=desk)).json()
    assert view["case"]["notes"][0]["photo_sha256"] == photo
    # The photo's note has no words of its own: the desk labels it in its language (D145).
    assert view["case"]["notes"][0]["text"] == ""
    assert (await client.get(f"/api/blobs/{photo}", headers=desk)).status_code == 200  # the desk sees the photo
    reply = next(k for k in view["clocks"] if k["code"] == "IN5_HELP_REPLY_5M")
    assert _t(reply["due_at"]) == t0 + 7 * M  # R-IN-5 from the tap: the desk already owes the reporter a word
    received = next(e for e in view["timeline"] if e["action"] == "case.received")
    assert (received["actor_id"], _t(received["data"]["acted_at"])) == ("usr_guard", t0 + 2 * M)
    assert received["data"]["field_report"] is True
    # Nobody at the desk follows it or holds its post until someone there takes it.
    assert view["case"]["follower_id"] == "" and view["case"]["emergency"]["at_post_id"] == ""
    r = await client.post(f"/api/cases/{row['id']}/hand-over-follow", headers=desk, json={"to_id": "usr_dispatcher"})
    assert r.status_code == 200 and r.json()["case"]["follower_id"] == "usr_dispatcher", r.text

    # Answered (R-IN-5), it no longer waits at the top of the banner.
    r = await client.post(f"/api/cases/{row['id']}/follow-up", headers=desk,
                          json={"kind": "reply", "medium": "phone", "note": "收到，已报 119，请在入口引导消防车"})
    assert r.status_code == 200 and r.json()["summary"]["field_report"]["unanswered"] is False, r.text


async def test_a_report_waits_for_its_photo_and_only_field_staff_raise_one_from_a_phone(client):  # R-IN-1 guarantee 5
    guard = Phone(client, await login(client, "guard", device="guard phone"))
    missing = "b" * 64
    res = await guard.push(guard.mutation("emergency.report", what="crime", where="北门岗亭", photo_sha256=missing))
    assert res["results"][0]["status"] == "waiting" and res["stopped"] == "waiting_blob"
    desk = Phone(client, await login(client, "dispatcher", device="desk"))
    res = await desk.push(desk.mutation("emergency.report", what="crime", where="北门岗亭"))
    assert res["results"][0]["code"] == "auth.forbidden"
    # Nothing was recorded for the waiting one: the phone sends it again after the upload; a fresh queue here.
    guard = Phone(client, guard.headers)
    res = await guard.push(guard.mutation("emergency.report", what="crime", building_id="bld_x", where="北门"))
    assert res["results"][0]["code"] == "building.not_found"
    res = await guard.push(guard.mutation("emergency.report", what="leadership_order", where="北门"))
    assert res["results"][0]["code"] == "case.not_field_emergency"


async def test_the_people_summoned_get_it_on_their_phones_and_report_back_from_there(client, clock, demo_db):  # R-EM-2
    desk = await login(client, "dispatcher")
    case_id = await _desk_emergency(client, desk)
    t0 = clock.now()
    await _summon(client, desk, case_id, "guard_shift_lead")  # nobody named: whoever holds the post (孙护卫)
    await _summon(client, desk, case_id, "guard_captain", "usr_guardcap")  # 韩队长, by name

    guard = Phone(client, await login(client, "guard", device="guard phone"))
    await guard.pull()
    mine = {k[1]: d for k, d in guard.docs.items() if k[0] == "summons"}
    assert list(mine) == [f"{case_id}:guard_shift_lead"]  # not the captain's summons
    doc = mine[f"{case_id}:guard_shift_lead"]
    assert (doc["case_id"], doc["role"], doc["address"], doc["arrived_at"]) == (case_id, "guard_shift_lead", "3栋-104", None)
    cap = Phone(client, await login(client, "guardcap", device="cap phone"))
    await cap.pull()
    assert [k[1] for k in cap.docs if k[0] == "summons"] == [f"{case_id}:guard_captain"]
    # Each is told at once, by push and in the inbox (the reminder is the summoned person's).
    rows = await reminder_rows(demo_db, case_id, kind="summons")
    assert sorted((r.code, r.recipient_id, r.send_at) for r in rows) == [
        ("EM_SUMMONS:guard_captain", "usr_guardcap", t0), ("EM_SUMMONS:guard_shift_lead", "usr_guard", t0)]

    # On site in the basement: arrival at +3, the report at +6, sent when the signal is back at +20.
    clock.advance(minutes=20)
    res = await _push(client, clock, guard,
                      (guard.mutation("summons.arrive", case_id=case_id, role="guard_shift_lead"), t0 + 3 * M),
                      (guard.mutation("summons.report", case_id=case_id, role="guard_shift_lead",
                                      text="B2 配电间冒烟，已断电，地库人员已疏散"), t0 + 6 * M))
    assert [r["status"] for r in res] == ["applied", "applied"], res

    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    s = next(x for x in view["case"]["emergency"]["summons"] if x["role"] == "guard_shift_lead")
    assert (_t(s["arrived_at"]), s["report"], _t(s["reported_at"]), s["reported_by"]) == (
        t0 + 3 * M, "B2 配电间冒烟，已断电，地库人员已疏散", t0 + 6 * M, "usr_guard")
    told = [e for e in view["timeline"] if e["action"] == "emergency.arrived"]
    assert [(e["actor_id"], _t(e["data"]["acted_at"])) for e in told] == [("usr_guard", t0 + 3 * M), ("usr_guard", t0 + 6 * M)]
    assert told[1]["data"]["report"] == "B2 配电间冒烟，已断电，地库人员已疏散"
    # The phone's copy says the same once it pulls; arrived, the pending summons reminder is withdrawn.
    await guard.pull()
    assert guard.docs[("summons", f"{case_id}:guard_shift_lead")]["report"].startswith("B2 配电间冒烟")
    [row] = await reminder_rows(demo_db, case_id, code="EM_SUMMONS:guard_shift_lead")
    assert row.state == "cancelled"


async def test_the_summons_goes_out_as_a_push_and_lands_in_the_inbox(api, demo_db):  # R-EM-2
    desk = await login(api, "dispatcher")
    with PushServiceDouble() as push_service:
        phone = await subscribe(api, push_service, "guard")
        case_id = await _desk_emergency(api, desk)
        await _summon(api, desk, case_id, "guard_shift_lead")
        stats = await run_once(demo_db)
        assert stats.pushes == 1 and push_service.refusals() == []
        [msg] = phone.json_messages()
        assert msg["title"].startswith("紧急召集：") and msg["body"].startswith("你被召集到 3栋-104 现场：地下车库有烟雾")
        assert msg["url"] == f"/#/summons/{case_id}/guard_shift_lead"
        assert "summoned to the scene" in msg["body_en"]
        [item] = await inbox(demo_db, "usr_guard")
        assert (item["title"], item["url"], item["kind"]) == (msg["title"], msg["url"], "summons")


async def test_someone_not_summoned_cannot_report_from_the_scene(client, demo_db):  # R-EM-2
    desk = await login(client, "dispatcher")
    case_id = await _desk_emergency(client, desk)
    await _summon(client, desk, case_id, "guard_shift_lead")
    await _summon(client, desk, case_id, "guard_captain", "usr_guardcap")
    before = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["emergency"]

    # 蒋保安经理 holds another post; 孙护卫 holds the shift lead's, not the captain's named summons.
    security = Phone(client, await login(client, "security", device="sec phone"))
    res = await security.push(security.mutation("summons.report", case_id=case_id, role="guard_shift_lead",
                                                text="我在现场"))
    assert (res["results"][0]["status"], res["results"][0]["code"]) == ("rejected", "scope.not_summoned")
    guard = Phone(client, await login(client, "guard", device="guard phone"))
    res = await guard.push(guard.mutation("summons.arrive", case_id=case_id, role="guard_captain"))
    assert res["results"][0]["code"] == "scope.not_summoned"
    assert (await security.pull()) is not None and not [k for k in security.docs if k[0] == "summons"]

    after = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["emergency"]
    assert after == before  # nothing stored
    async with demo_db.read() as conn:
        audited = (await conn.execute(text(
            "SELECT count(*) FROM audit WHERE action = 'refused.scope.not_summoned'"))).scalar()
        kept = (await conn.execute(select(field_refusals.c.user_id, field_refusals.c.case_id)
                                   .order_by(field_refusals.c.user_id))).all()
        summons_docs = (await conn.execute(select(changes.c.scope).where(changes.c.entity == "summons"))).all()
    assert audited == 2
    # Kept for the desk with the case it names (D28).
    assert [(k.user_id, k.case_id) for k in kept] == [("usr_guard", case_id), ("usr_security", case_id)]
    assert sorted(r.scope for r in summons_docs) == ["user:usr_guard", "user:usr_guardcap"]


async def test_the_compounds_own_numbers_are_read_by_every_phone_and_kept_by_the_manager(client):  # R-EM-2 R-EM-5
    guard = await login(client, "guard")
    r = await client.get("/api/compound/phones", headers=guard)
    assert r.status_code == 200, r.text
    assert r.json() == {"service_centre_phone": "0755-86000001", "control_room_phone": "0755-86000002"}
    desk = await login(client, "dispatcher")
    r = await client.put("/api/compound/phones", headers=desk,
                         json={"service_centre_phone": "1", "control_room_phone": "2"})
    assert r.status_code == 403, r.text
    manager = await login(client, "manager")
    r = await client.put("/api/compound/phones", headers=manager,
                         json={"service_centre_phone": "0755-8600 1000", "control_room_phone": ""})
    assert r.status_code == 200, r.text
    r = await client.get("/api/compound/phones", headers=guard)
    assert r.json() == {"service_centre_phone": "0755-8600 1000", "control_room_phone": ""}
    r = await client.put("/api/compound/phones", headers=manager,
                         json={"service_centre_phone": "call me", "control_room_phone": ""})
    assert r.status_code == 400, r.text


async def test_a_summons_names_only_an_active_account_of_the_compound(client):  # R-EM-2
    # The summons now reaches the person it names (D138), so a name that is nobody's would be a reminder
    # to no one; an overlong one broke the reminders' recipient column on PostgreSQL (a 500).
    desk = await login(client, "dispatcher")
    cid = await _desk_emergency(client, desk)
    for person in ("usr_nobody", "漏" * 5000):
        r = await client.post(f"/api/cases/{cid}/emergency/summon", headers=desk,
                              json={"role": "engineering_manager", "person_id": person})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "emergency.person_unknown"
    view = await _summon(client, desk, cid, "guard_captain", "usr_guard")
    assert [s["person_id"] for s in view["case"]["emergency"]["summons"]] == ["usr_guard"]
