"""The desk's case list shows a closed case's pending R-FU-6 call-back as its next deadline.

The call-back clock outlives the close (the case page had it), but the list and the stored
`next_due_at` were computed without the stored call-back task, so a closed case showed no next
deadline, was never "overdue" and fell out of the overdue filter while its call-back was still owed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.storage.schema import cases
from tests.conftest import login
from tests.integration.scenarios import closed_repair_owing_call_back


async def _closed_with_call_back_owed(client, clock, desk) -> tuple[str, dict]:  # noqa: ANN001
    cid = await closed_repair_owing_call_back(client, clock, desk)
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    call_back = next(k for k in view["clocks"] if k["code"] == "FU6_CALLBACK_72H")
    assert call_back["running"] is True
    return cid, call_back


async def _row(client, desk, cid: str, **params) -> dict | None:  # noqa: ANN001
    page = (await client.get("/api/cases", headers=desk, params={"limit": 1000, **params})).json()
    return next((c for c in page if c["id"] == cid), None)


async def _stored_next_due(db, cid: str) -> datetime | None:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(cases.c.next_due_at).where(cases.c.id == cid))).scalar_one()


def _same_instant(stored: datetime, iso: str) -> bool:
    return stored.replace(tzinfo=None) == datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)


async def test_closed_case_lists_its_pending_call_back_as_next_deadline(client, clock, db):  # R-FU-6
    desk = await login(client, "dispatcher")
    cid, call_back = await _closed_with_call_back_owed(client, clock, desk)

    row = await _row(client, desk, cid)
    assert row is not None and row["state"] == "closed"
    assert row["next_due"] is not None, "a closed case owed its call-back shows that clock"
    assert row["next_due"]["code"] == "FU6_CALLBACK_72H"
    assert row["next_due"]["due_at"] == call_back["due_at"]
    assert row["overdue"] is False
    # The index column agrees with the list.
    stored = await _stored_next_due(db, cid)
    assert stored is not None and _same_instant(stored, call_back["due_at"])


async def test_closed_case_with_late_call_back_is_found_by_the_overdue_filter(client, clock, db):  # R-FU-6
    desk = await login(client, "dispatcher")
    cid, _ = await _closed_with_call_back_owed(client, clock, desk)
    clock.advance(hours=73)

    row = await _row(client, desk, cid, overdue="true")
    assert row is not None, "the overdue filter finds the closed case whose call-back is late"
    assert row["overdue"] is True and row["next_due"]["code"] == "FU6_CALLBACK_72H"

    # Called back: the clock is met, so the case has no next deadline and is no longer overdue.
    task = next(t for t in (await client.get("/api/callbacks", headers=desk)).json() if t["case_id"] == cid)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "A"}})
    assert r.status_code == 200, r.text
    row = await _row(client, desk, cid)
    assert row is not None and row["next_due"] is None and row["overdue"] is False
    assert await _stored_next_due(db, cid) is None
    assert await _row(client, desk, cid, overdue="true") is None
