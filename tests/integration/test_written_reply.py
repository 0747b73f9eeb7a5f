"""R-IN-5 through the API: a written inquiry's 2-day clock is met only by a written reply.

A reply says how it was given (phone, in person, written); one that does not is refused, and a reply
stored before replies said so still reads. The clock starts Monday 2026-11-23 (Shanghai).
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select, update

from server.storage.schema import cases
from tests.conftest import login

CLOCK = "IN5_WRITTEN_REPLY_2D"


async def _written_inquiry(client, desk) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "inquiry", "channel": "written", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": "来信询问明年物业费是否调整"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _view(client, desk, cid: str) -> dict:  # noqa: ANN001
    r = await client.get(f"/api/cases/{cid}", headers=desk)
    assert r.status_code == 200, r.text
    return r.json()


def _clock(view: dict) -> dict:
    [k] = [k for k in view["clocks"] if k["code"] == CLOCK]
    return k


async def test_a_phone_reply_to_a_written_inquiry_is_recorded_but_the_clock_waits_for_the_written_one(
        client, clock) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    url = f"/api/cases/{cid}/follow-up"
    # No medium, or one outside the closed set: refused with a stable code, nothing recorded.
    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已电话告知"})
    assert (r.status_code, r.json()["code"]) == (400, "case.reply_medium_required"), r.text
    assert r.json()["message"] and r.json()["message_en"] and r.json()["details"]["missing"] == ["medium"]
    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已传真", "medium": "fax"})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text
    assert "medium" in r.text
    # A medium on anything but a reply is refused too, rather than kept where nothing reads it.
    r = await client.post(url, headers=desk, json={"kind": "first", "medium": "phone"})
    assert (r.status_code, r.json()["code"]) == (400, "case.medium_only_for_reply"), r.text
    assert (await _view(client, desk, cid))["case"]["follow_ups"] == []

    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "已电话告知，书面答复随后", "medium": "phone"})
    assert r.status_code == 200, r.text
    clock.advance(days=2, minutes=1)
    view = await _view(client, desk, cid)
    [fu] = view["case"]["follow_ups"]
    assert (fu["kind"], fu["medium"]) == ("reply", "phone")
    k = _clock(view)
    assert (k["running"], k["satisfied_at"], k["overdue"]) == (True, None, True)
    assert "已电话答复" in k["label"] and "by phone" in k["label_en"]  # the desk sees why it still runs
    assert any(e["action"] == "case.followed_up" and e["data"] == {"kind": "reply", "medium": "phone"}
               for e in view["timeline"])

    r = await client.post(url, headers=desk, json={"kind": "reply", "note": "书面答复已送达", "medium": "written"})
    assert r.status_code == 200, r.text
    k = _clock(await _view(client, desk, cid))
    assert (k["running"], k["overdue"], k["label"]) == (False, True, "书面咨询两日内书面答复")
    assert k["satisfied_at"] is not None


async def test_a_written_reply_in_time_meets_the_clock(client, clock) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "frontdesk")
    cid = await _written_inquiry(client, desk)
    clock.advance(hours=20)
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={"kind": "reply", "medium": "written"})
    assert r.status_code == 200, r.text
    k = _clock(await _view(client, desk, cid))
    assert (k["running"], k["overdue"]) == (False, False)


async def test_a_reply_stored_without_a_medium_still_reads_and_counts(client, demo_db) -> None:  # noqa: ANN001  # R-IN-5
    desk = await login(client, "dispatcher")
    cid = await _written_inquiry(client, desk)
    # A reply recorded before replies said their medium: the stored document has no such key.
    async with demo_db.transaction() as uow:
        doc = msgspec.json.decode((await uow.conn.execute(select(cases.c.doc).where(cases.c.id == cid))).scalar_one())
        doc["follow_ups"] = [{"kind": "reply", "at": doc["received_at"], "by": "usr_dispatcher", "note": "已答复"}]
        await uow.conn.execute(update(cases).where(cases.c.id == cid).values(doc=msgspec.json.encode(doc).decode()))
    view = await _view(client, desk, cid)
    [fu] = view["case"]["follow_ups"]
    assert (fu["note"], fu["medium"]) == ("已答复", None)
    k = _clock(view)
    assert (k["running"], k["overdue"]) == (False, False)
