"""A call-back's C reopens the work only when it grades the work itself; any C reaches the manager's review
(R-RV-2, R-FU-10, R-RV-4; D133)."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import (
    call_backs,
    complete_on_phone,
    new_repair,
    open_and_dispatch,
    rate_counts,
)


async def _grade(client, desk, task_id: str, grades: dict, comment: str = "") -> dict:  # noqa: ANN001
    r = await client.post(f"/api/callbacks/{task_id}", headers=desk, json={"grades": grades, "comment": comment})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_c_on_attitude_alone_goes_to_the_managers_review_not_to_rework(client, clock):  # R-RV-2 R-FU-10
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    [task] = await call_backs(client, desk, cid)
    graded = await _grade(client, desk, task["id"], {"building_repair": "A", "staff_attitude": "C"},
                          "师傅态度不好，但修得很好")
    assert graded["counts_as_rework"] is False and graded["reopen_for_review"] is False
    assert graded["review"] == "open"  # the manager still looks into the attitude
    reviews = (await client.get("/api/callbacks", headers=desk, params={"status": "review"})).json()
    assert [t["case_id"] for t in reviews] == [cid]
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["state"] == "completed"
    clock.advance(hours=1)
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rate_counts(rep, "rework") == (0, 1)


async def test_a_c_on_equipment_reopens_a_repair_as_rework(client, clock):  # R-RV-2 R-FU-10
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    cid = (await new_repair(client, desk, content="电梯按钮失灵"))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    [task] = await call_backs(client, desk, cid)
    graded = await _grade(client, desk, task["id"], {"equipment": "C"}, "按钮还是不灵")
    assert graded["counts_as_rework"] is True and graded["review"] == "open"
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["case"]["state"] == "opened" and "退回返修" in view["case"]["reopenings"][-1]["reason"]
    clock.advance(hours=1)
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rate_counts(rep, "rework") == (1, 1)
