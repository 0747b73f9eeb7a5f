"""The case view's R-FU-6 call-back clock and the call-back list agree, across the case's close."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import closed_repair_owing_call_back


def _call_back_clock(view: dict) -> dict:
    found = [k for k in view["clocks"] if k["code"] == "FU6_CALLBACK_72H"]
    assert len(found) == 1, [k["code"] for k in view["clocks"]]
    return found[0]


async def _due_ids(client, headers) -> list[str]:  # noqa: ANN001
    return [t["case_id"] for t in (await client.get("/api/callbacks", headers=headers,
                                                    params={"status": "due"})).json()]


async def test_closing_keeps_the_call_back_clock_running_until_the_call_back_is_recorded(client, clock):  # R-FU-6
    desk = await login(client, "dispatcher")
    cid = await closed_repair_owing_call_back(client, clock, desk)

    # Closed, call-back still owed: the clock runs and the list has the case as due.
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    k = _call_back_clock(view)
    assert k["running"] is True and k["satisfied_at"] is None
    assert cid in await _due_ids(client, desk)

    clock.advance(hours=5)
    task = next(t for t in (await client.get("/api/callbacks", headers=desk)).json() if t["case_id"] == cid)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "A"}})
    assert r.status_code == 200, r.text
    called_at = r.json()["called_back_at"]

    # Recorded: the clock is met at the call-back's time and the list no longer has it as due.
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    k = _call_back_clock(view)
    assert k["running"] is False and k["overdue"] is False
    assert k["satisfied_at"] == called_at
    assert cid not in await _due_ids(client, desk)
