"""A summons naming nobody follows its post; an emergency raised on a staff phone is taken at the desk
(R-EM-2, R-EM-3, R-IN-9), on SQLite and PostgreSQL (ESTATEDESK_TEST_DB).

1. The desk summons the guard shift lead's post (孙护卫 holds it). The manager's staff page gives the post to
   韩队长: the summons goes to his phone (its feed document, a push and an inbox item) and leaves 孙护卫's,
   the pull saying why — unless 孙护卫 already said from his phone that he is on the scene.
2. A guard's emergency reaches the desk with nobody following it; the desk's 接手 makes the caller its
   follower and puts them at its post. Until someone does, the dispatchers and the control room are pushed
   5 minutes after it arrived and every 15 minutes after, the managers from the second push on.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from sqlalchemy import select

from server.notify.scheduler import run_once
from server.storage.db import Database
from server.storage.schema import audit
from tests.conftest import login
from tests.integration.scenarios import Phone
from tests.integration.test_push_reminders import inbox, reminder_rows, subscribe
from tests.integration.test_push_subscriptions import api_fixture  # noqa: F401 (the `api` fixture)
from tests.pushservice_double import PushServiceDouble

M = timedelta(minutes=1)
SLOW = timedelta(hours=-1)  # the phone's clock is an hour behind: only its own differences count (D35)
GUARD = {"display_name": "孙护卫", "phone": "13900000008"}
CAPTAIN = {"display_name": "韩队长", "phone": "13900000015"}


async def _emergency(api, desk) -> str:  # noqa: ANN001
    r = await api.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": "地下车库有烟雾", "help_kind": "disaster"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _summon(api, desk, case_id: str, role: str, person_id: str | None = None) -> None:  # noqa: ANN001
    r = await api.post(f"/api/cases/{case_id}/emergency/summon", headers=desk,
                       json={"role": role, **({"person_id": person_id} if person_id else {})})
    assert r.status_code == 200, r.text


async def _posts(api, manager, user_id: str, who: dict, posts: list[str]) -> None:  # noqa: ANN001
    r = await api.put(f"/api/staff/accounts/{user_id}", headers=manager, json={**who, "posts": posts})
    assert r.status_code == 200, r.text


async def _push(api, clock, phone: Phone, *tapped: tuple[dict, datetime]) -> list[dict]:  # noqa: ANN001
    ms = [{**m, "device_time": (at + SLOW).isoformat()} for m, at in tapped]
    r = await api.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": ms, "sent_at": (clock.now() + SLOW).isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _removed(changes: list[dict], sid: str) -> dict | None:
    return next((ch["doc"] for ch in changes if ch["entity"] == "summons" and ch["id"] == sid
                 and ch["op"] == "remove"), None)


# --- 1. the summons follows its post -------------------------------------------------------------


async def test_the_post_changing_hands_moves_the_summons_to_the_new_holders_phone_and_off_the_former_ones(api, demo_db, clock):  # noqa: ANN001  # R-EM-2
    desk, manager = await login(api, "dispatcher"), await login(api, "manager")
    with PushServiceDouble() as push_service:
        guard_push = await subscribe(api, push_service, "guard")
        cap_push = await subscribe(api, push_service, "guardcap")
        case_id = await _emergency(api, desk)
        await _summon(api, desk, case_id, "guard_shift_lead")  # nobody named: 孙护卫 holds the post
        sid = f"{case_id}:guard_shift_lead"
        await run_once(demo_db)
        assert len(guard_push.json_messages()) == 1 and cap_push.json_messages() == []
        guard = Phone(api, await login(api, "guard", device="guard phone"))
        cap = Phone(api, await login(api, "guardcap", device="cap phone"))
        await guard.pull()
        await cap.pull()
        assert ("summons", sid) in guard.docs and ("summons", sid) not in cap.docs

        # The manager moves the shift lead's post from 孙护卫 to 韩队长 (two edits on the staff page).
        clock.advance(minutes=4)
        await _posts(api, manager, "usr_guardcap", CAPTAIN, ["guard_captain", "guard_shift_lead"])
        await _posts(api, manager, "usr_guard", GUARD, [])

        # 孙护卫's phone: removed, saying the post passed and to whom.
        got = await guard.pull()
        assert ("summons", sid) not in guard.docs
        case_no = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()["case"]["no"]
        assert _removed(got, sid) == {"reason": "post_passed", "case_no": case_no, "role": "guard_shift_lead",
                                      "to_names": ["韩队长"]}
        # 韩队长's phone: the summons, as a fresh one: feed document, push and inbox item.
        await cap.pull()
        assert cap.docs[("summons", sid)]["role"] == "guard_shift_lead"
        stats = await run_once(demo_db)
        assert stats.pushes == 1
        [msg] = cap_push.json_messages()
        assert msg["title"].startswith("紧急召集：") and msg["url"] == f"/#/summons/{case_id}/guard_shift_lead"
        [item] = await inbox(demo_db, "usr_guardcap")
        assert (item["kind"], item["url"]) == ("summons", msg["url"])
        assert len(guard_push.json_messages()) == 1  # nothing more for 孙护卫

    # The history and the audit trail say so.
    view = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()
    passed = [e for e in view["timeline"] if e["action"] == "emergency.summons_passed"]
    assert [(e["actor_id"], e["data"]["to_ids"], e["data"]["from_ids"]) for e in passed] == [
        ("usr_manager", ["usr_guardcap"], []), ("usr_manager", [], ["usr_guard"])]
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(audit.c.entity_id, audit.c.data).where(
            audit.c.entity == "user", audit.c.action == "update").order_by(audit.c.id))).all()
    assert [(r.entity_id, json.loads(r.data)["summons_passed"]) for r in rows] == [
        ("usr_guardcap", [view["case"]["no"]]), ("usr_guard", [view["case"]["no"]])]

    # Only the holder now reports from the scene; the former holder's later tap is refused, saying why.
    res = await _push(api, clock, guard, (guard.mutation("summons.arrive", case_id=case_id, role="guard_shift_lead"),
                                          clock.now()))
    assert (res[0]["status"], res[0]["code"]) == ("rejected", "scope.not_summoned")
    assert "不再担任" in res[0]["message"]
    res = await _push(api, clock, cap, (cap.mutation("summons.arrive", case_id=case_id, role="guard_shift_lead"),
                                        clock.now()))
    assert res[0]["status"] == "applied", res


async def test_a_former_holder_already_on_the_scene_keeps_the_summons_and_the_new_holder_is_not_called_out(api, demo_db, clock):  # noqa: ANN001  # R-EM-2
    desk, manager = await login(api, "dispatcher"), await login(api, "manager")
    case_id = await _emergency(api, desk)
    t0 = clock.now()
    await _summon(api, desk, case_id, "guard_shift_lead")
    sid = f"{case_id}:guard_shift_lead"
    guard = Phone(api, await login(api, "guard", device="guard phone"))
    clock.advance(minutes=3)
    res = await _push(api, clock, guard, (guard.mutation("summons.arrive", case_id=case_id, role="guard_shift_lead"),
                                          t0 + 2 * M))
    assert res[0]["status"] == "applied", res
    await guard.pull()

    clock.advance(minutes=2)
    await _posts(api, manager, "usr_guard", GUARD, [])
    await _posts(api, manager, "usr_guardcap", CAPTAIN, ["guard_captain", "guard_shift_lead"])
    got = await guard.pull()
    assert _removed(got, sid) is None and ("summons", sid) in guard.docs  # still his
    # 韩队长 holds the post, so he sees the summons, answered already: no call-out push for him.
    cap = Phone(api, await login(api, "guardcap", device="cap phone"))
    await cap.pull()
    assert cap.docs[("summons", sid)]["arrived_at"] is not None
    assert await reminder_rows(demo_db, case_id, code="EM_SUMMONS:guard_shift_lead", recipient_id="usr_guardcap") == []

    # 孙护卫's report from the scene counts.
    clock.advance(minutes=1)
    res = await _push(api, clock, guard, (guard.mutation("summons.report", case_id=case_id, role="guard_shift_lead",
                                                         text="B2 配电间冒烟，已断电"), clock.now()))
    assert res[0]["status"] == "applied", res
    view = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()
    s = next(x for x in view["case"]["emergency"]["summons"] if x["role"] == "guard_shift_lead")
    assert (s["report"], s["reported_by"], s["on_scene"]) == ("B2 配电间冒烟，已断电", "usr_guard", ["usr_guard"])
    [e] = [e for e in view["timeline"] if e["action"] == "emergency.summons_passed" and e["data"]["kept_ids"]]
    assert e["data"]["kept_ids"] == ["usr_guard"] and e["data"]["from_ids"] == []


async def test_an_arrival_tapped_before_the_post_passed_counts_when_it_syncs_and_brings_the_summons_back(api, demo_db, clock):  # noqa: ANN001  # R-EM-2 design 4
    desk, manager = await login(api, "dispatcher"), await login(api, "manager")
    case_id = await _emergency(api, desk)
    t0 = clock.now()
    await _summon(api, desk, case_id, "guard_shift_lead")
    sid = f"{case_id}:guard_shift_lead"
    guard = Phone(api, await login(api, "guard", device="guard phone"))
    await guard.pull()
    arrive = guard.mutation("summons.arrive", case_id=case_id, role="guard_shift_lead")  # tapped at +3, offline
    clock.advance(minutes=5)
    await _posts(api, manager, "usr_guard", GUARD, [])
    clock.advance(minutes=5)  # back in signal at +10
    res = await _push(api, clock, guard, (arrive, t0 + 3 * M))
    assert res[0]["status"] == "applied", res
    await guard.pull()
    assert guard.docs[("summons", sid)]["arrived_at"] is not None  # on the scene: his again
    view = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()
    s = next(x for x in view["case"]["emergency"]["summons"] if x["role"] == "guard_shift_lead")
    assert s["on_scene"] == ["usr_guard"]


async def test_a_summons_naming_a_person_stays_with_that_person_when_the_post_changes_hands(api, demo_db, clock):  # noqa: ANN001  # R-EM-2
    desk, manager = await login(api, "dispatcher"), await login(api, "manager")
    case_id = await _emergency(api, desk)
    await _summon(api, desk, case_id, "guard_captain", "usr_guardcap")
    sid = f"{case_id}:guard_captain"
    cap = Phone(api, await login(api, "guardcap", device="cap phone"))
    await cap.pull()
    await _posts(api, manager, "usr_guardcap", CAPTAIN, [])
    await _posts(api, manager, "usr_guard", GUARD, ["guard_shift_lead", "guard_captain"])
    got = await cap.pull()
    assert _removed(got, sid) is None and ("summons", sid) in cap.docs
    guard = Phone(api, await login(api, "guard", device="guard phone"))
    await guard.pull()
    assert ("summons", sid) not in guard.docs
    view = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()
    assert not [e for e in view["timeline"] if e["action"] == "emergency.summons_passed"]


# --- 2. an emergency nobody at the desk has taken -------------------------------------------------------


async def _field_report(api, clock) -> str:  # noqa: ANN001
    guard = Phone(api, await login(api, "guard", device="guard phone"))
    res = await _push(api, clock, guard, (guard.mutation("emergency.report", what="fire", building_id="bld_2",
                                                         where="B2 配电间", note="配电间冒烟"), clock.now()))
    assert res[0]["status"] == "applied", res
    desk = await login(api, "dispatcher")
    r = await api.get("/api/cases", headers=desk, params={"open": "true", "attention": "true", "limit": 1000})
    [row] = [c for c in r.json() if c["field_report"]]
    return row["id"]


async def test_the_desk_takes_an_emergency_nobody_has_taken_and_a_second_taker_is_told(api, demo_db, clock):  # noqa: ANN001  # R-IN-9 R-EM-3
    case_id = await _field_report(api, clock)
    desk, control = await login(api, "dispatcher"), await login(api, "control")
    view = (await api.get(f"/api/cases/{case_id}", headers=desk)).json()
    assert view["summary"]["field_report"]["unowned"] is True
    guard = await login(api, "guard")
    assert (await api.post(f"/api/cases/{case_id}/emergency/take", headers=guard)).status_code == 403

    clock.advance(minutes=2)
    r = await api.post(f"/api/cases/{case_id}/emergency/take", headers=desk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case"]["follower_id"] == "usr_dispatcher" and body["case"]["emergency"]["at_post_id"] == "usr_dispatcher"
    assert body["summary"]["field_report"]["unowned"] is False
    r = await api.post(f"/api/cases/{case_id}/emergency/take", headers=control)
    assert (r.status_code, r.json()["code"]) == (409, "case.already_taken")
    assert r.json()["details"]["follower_id"] == "usr_dispatcher"
    # Recorded and audited as the steps they are: the follow-up named, the post taken.
    async with demo_db.read() as conn:
        rows = (await conn.execute(select(audit.c.action, audit.c.actor_id).where(
            audit.c.case_id == case_id, audit.c.action.in_(["case.follower_changed", "emergency.taken_over"]))
            .order_by(audit.c.id))).all()
    assert [(r.action, r.actor_id) for r in rows] == [
        ("case.follower_changed", "usr_dispatcher"), ("emergency.taken_over", "usr_dispatcher")]


async def test_two_at_the_desk_taking_it_at_once_one_takes_it(api, demo_db, clock):  # noqa: ANN001  # R-IN-9
    case_id = await _field_report(api, clock)
    desk, control = await login(api, "dispatcher"), await login(api, "control")
    rs = await asyncio.gather(*(api.post(f"/api/cases/{case_id}/emergency/take", headers=h) for h in (desk, control)))
    assert sorted(r.status_code for r in rs) == [200, 409], [r.text for r in rs]
    winner = next(r for r in rs if r.status_code == 200).json()["case"]
    assert winner["follower_id"] == winner["emergency"]["at_post_id"]


async def test_nobody_taking_it_pushes_the_desk_at_5_minutes_then_every_15_with_the_managers_until_taken(api, demo_db, clock):  # noqa: ANN001  # R-IN-9 R-EM-2
    with PushServiceDouble() as push_service:
        phones = {u: await subscribe(api, push_service, u) for u in ("dispatcher", "control", "manager", "frontdesk")}
        t0 = clock.now()
        case_id = await _field_report(api, clock)

        def unowned(u: str) -> list[dict]:
            return [m for m in phones[u].json_messages() if m["code"] == "EM_UNOWNED"]

        for minutes in (4, 5, 6, 19, 20, 21):
            clock.set(t0 + minutes * M)
            await run_once(demo_db, t0 + minutes * M)
        assert (len(unowned("dispatcher")), len(unowned("control")), len(unowned("manager")), len(unowned("frontdesk"))) == (
            2, 2, 1, 0)
        first, second = unowned("dispatcher")
        assert first["title"].startswith("紧急事件无人接手：") and "5 分钟" in first["body"] and "20 分钟" in second["body"]
        assert first["url"] == "/#/" and first["tag"] == f"unowned-{case_id}"
        [item, _] = await inbox(demo_db, "usr_control")
        assert item["kind"] == "unowned" and item["url"] == "/#/"

        # Taken: what is planned next is withdrawn, and nothing more is sent.
        desk = await login(api, "dispatcher")
        r = await api.post(f"/api/cases/{case_id}/emergency/take", headers=desk)
        assert r.status_code == 200, r.text
        for minutes in (35, 50):
            clock.set(t0 + minutes * M)
            await run_once(demo_db, t0 + minutes * M)
        assert (len(unowned("dispatcher")), len(unowned("manager"))) == (2, 1)
        rows = await reminder_rows(demo_db, case_id, code="EM_UNOWNED")
        assert {r.state for r in rows if r.due_at == t0 + 35 * M} == {"cancelled"}


async def test_two_schedulers_at_once_send_each_reminder_of_an_unowned_emergency_once(api, demo_db, clock):  # noqa: ANN001  # R-IN-9
    # Two server processes: two Database objects on one database (PostgreSQL: FOR UPDATE SKIP LOCKED).
    with PushServiceDouble() as push_service:
        phones = {u: await subscribe(api, push_service, u) for u in ("dispatcher", "control", "manager")}
        t0 = clock.now()
        case_id = await _field_report(api, clock)
        other = Database(demo_db.url, clock=clock)
        try:
            for minutes in (5, 20):
                at = t0 + minutes * M
                clock.set(at)
                await asyncio.gather(*(run_once(d, at, instance=f"p{i}", batch=1)
                                       for i, d in enumerate((demo_db, other, demo_db, other))))
        finally:
            await other.dispose()
        counts = {u: len([m for m in p.json_messages() if m["code"] == "EM_UNOWNED"]) for u, p in phones.items()}
        assert counts == {"dispatcher": 2, "control": 2, "manager": 1}
        sent = await reminder_rows(demo_db, case_id, code="EM_UNOWNED", state="sent")
        assert len(sent) == 5 and all(r.attempts == 1 for r in sent)
        assert await reminder_rows(demo_db, state="claimed") == []
        # The next stage planned once per person, by whichever round sent the last one.
        nxt = await reminder_rows(demo_db, case_id, code="EM_UNOWNED", due_at=t0 + 35 * M)
        assert sorted(r.recipient_id for r in nxt) == ["usr_control", "usr_dispatcher", "usr_manager"]
