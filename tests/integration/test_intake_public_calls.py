"""R-EM-5 at intake: the public numbers the desk called while filling the form are recorded with the
intake, in its one transaction, at the times they were made (D73). A refused intake stores nothing.

The desk's clock in these tests runs 3 minutes slow, as a badly set desk PC would: the server places
each call by its distance from the form's sending, read on that same clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from server.storage.schema import audit, cases
from tests.conftest import login

_FIRE = {"kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
         "unit_id": "unit_3_104", "content": "地下车库有烟雾", "help_kind": "disaster"}
SLOW = timedelta(minutes=3)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _desk_times(now: datetime, *calls: tuple[str, int], opened_min: int = 6) -> dict:
    """The form opened `opened_min` minutes ago and sent now; each call `n` seconds before sending,
    all read on the desk's slow clock."""
    desk = now - SLOW
    return {"form_opened_at": _iso(desk - timedelta(minutes=opened_min)), "sent_at": _iso(desk),
            "public_calls": [{"number": n, "at": _iso(desk - timedelta(seconds=s))} for n, s in calls]}


async def _counts(db) -> tuple[int, int]:  # noqa: ANN001
    async with db.read() as conn:
        n_cases = (await conn.execute(select(func.count()).select_from(cases))).scalar_one()
        n_audit = (await conn.execute(select(func.count()).select_from(audit))).scalar_one()
    return n_cases, n_audit


async def test_calls_marked_on_the_form_are_recorded_with_the_intake_at_the_time_made(client, clock) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    desk = await login(client, "dispatcher")
    now = clock.now()
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **_desk_times(now, ("119", 240), ("119", 60))})
    assert r.status_code == 201, r.text
    view = r.json()
    calls = view["case"]["emergency"]["public_calls"]
    assert [(c["number"], c["by"], datetime.fromisoformat(c["at"])) for c in calls] == [
        ("119", "usr_dispatcher", now - timedelta(minutes=4)), ("119", "usr_dispatcher", now - timedelta(minutes=1))]
    assert datetime.fromisoformat(view["case"]["received_at"]) == now  # received when registered (R-IN-1)
    called = [e for e in view["timeline"] if e["action"] == "emergency.public_called"]
    assert [(e["data"]["number"], datetime.fromisoformat(e["data"]["called_at"]), e["actor_id"]) for e in called] == [
        ("119", now - timedelta(minutes=4), "usr_dispatcher"), ("119", now - timedelta(minutes=1), "usr_dispatcher")]
    # A later call is still recorded on the case, at the time it is recorded.
    clock.advance(minutes=2)
    r = await client.post(f"/api/cases/{view['case']['id']}/emergency/public-call", headers=desk, json={"number": "120"})
    assert r.status_code == 200, r.text
    assert [c["number"] for c in r.json()["case"]["emergency"]["public_calls"]] == ["119", "119", "120"]


async def test_a_refused_intake_stores_neither_the_case_nor_its_calls(client, clock, demo_db) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    desk = await login(client, "dispatcher")
    now = clock.now()
    before = await _counts(demo_db)
    refusals = [
        ({**_FIRE, **_desk_times(now, ("110", 60))}, "emergency.call_not_called_for"),
        ({**_FIRE, **_desk_times(now, ("119", -30))}, "emergency.call_in_future"),
        ({**_FIRE, **_desk_times(now, ("119", 600), opened_min=5)}, "emergency.call_before_form"),
        ({**_FIRE, "public_calls": [{"number": "119", "at": _iso(now)}]}, "emergency.call_time_missing"),
        # A good call on an incomplete intake: the intake's refusal, and the call is not kept either.
        ({**_FIRE, "contact_name": "", **_desk_times(now, ("119", 60))}, "case.intake_incomplete"),
    ]
    for body, code in refusals:
        r = await client.post("/api/cases", headers=desk, json=body)
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **_desk_times(now, ("999", 60))})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
    assert await _counts(demo_db) == before
    # The numbering did not move either: the next case takes the number the refused ones would have.
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **_desk_times(now, ("119", 60))})
    assert r.status_code == 201, r.text
    assert r.json()["case"]["no"].endswith("-0001")


async def test_a_call_marked_long_before_sending_is_recorded_only_once_the_desk_confirmed_it(client, clock, demo_db) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    # D85: the dispatcher marked 119 and left the form open; 45 minutes later it is sent.
    desk = await login(client, "dispatcher")
    r = await client.get("/api/emergency-numbers/to-call", headers=desk)
    assert (r.json()["call_confirm_after_minutes"], r.json()["call_max_age_minutes"]) == (30, 12 * 60)
    now = clock.now()
    before = await _counts(demo_db)
    late = _desk_times(now, ("119", 45 * 60), opened_min=50)
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **late})
    assert (r.status_code, r.json()["code"]) == (400, "emergency.call_not_confirmed"), r.text
    assert {k: r.json()["details"][k] for k in ("number", "minutes_ago", "confirm_after_minutes")} == {
        "number": "119", "minutes_ago": 45, "confirm_after_minutes": 30}
    # Past a shift, not even a confirmed mark is placed at its time.
    old = _desk_times(now, ("119", 13 * 3600), opened_min=14 * 60)
    old["public_calls"][0]["confirmed"] = True
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **old})
    assert (r.status_code, r.json()["code"]) == (400, "emergency.call_too_old"), r.text
    assert await _counts(demo_db) == before  # neither refusal stored a case or used its number

    late["public_calls"][0]["confirmed"] = True
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **late})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["case"]["no"].endswith("-0001")
    [call] = view["case"]["emergency"]["public_calls"]
    assert (datetime.fromisoformat(call["at"]), call["confirmed"]) == (now - timedelta(minutes=45), True)
    [entry] = [e for e in view["timeline"] if e["action"] == "emergency.public_called"]
    assert entry["data"]["confirmed"] is True


async def test_a_form_open_for_days_records_a_call_just_made(client, clock) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    desk = await login(client, "dispatcher")
    now = clock.now()
    r = await client.post("/api/cases", headers=desk, json={**_FIRE, **_desk_times(now, ("119", 120), opened_min=3 * 24 * 60)})
    assert r.status_code == 201, r.text
    [call] = r.json()["case"]["emergency"]["public_calls"]
    assert (datetime.fromisoformat(call["at"]), call["confirmed"]) == (now - timedelta(minutes=2), False)
