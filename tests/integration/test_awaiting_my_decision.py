"""R-OP-3 through the API: the case list finds every opening passed up to the caller, in any open state."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair


async def test_awaiting_me_lists_an_opening_passed_up_after_an_urgent_dispatch(client):  # noqa: ANN001  # R-OP-3 R-IN-7
    desk = await login(client, "dispatcher")
    lead = await login(client, "lead")
    manager = await login(client, "manager")
    urgent = (await new_repair(client, desk, content="主水管爆裂", repair_class="urgent"))["case"]["id"]
    r = await client.post(f"/api/cases/{urgent}/dispatch", headers=desk, json={
        "assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})  # dispatched first (R-IN-7)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{urgent}/refer-opening", headers=desk, json={"to_id": "usr_lead", "note": "请定"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] != "received"
    plain = (await new_repair(client, desk, content="门铃不响"))["case"]["id"]
    r = await client.post(f"/api/cases/{plain}/refer-opening", headers=desk, json={"to_id": "usr_manager"})
    assert r.status_code == 200, r.text
    (await new_repair(client, desk, content="不相关"))  # never passed up

    mine = [c["id"] for c in (await client.get("/api/cases?awaiting_me=true", headers=lead)).json()]
    assert mine == [urgent]
    theirs = [c["id"] for c in (await client.get("/api/cases?awaiting_me=true&limit=1", headers=manager)).json()]
    assert theirs == [plain]
    assert (await client.get("/api/cases?awaiting_me=true", headers=desk)).json() == []
    # Once decided it waits for nobody.
    r = await client.post(f"/api/cases/{urgent}/decide", headers=lead, json={"open": True, "reason": "D"})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/cases?awaiting_me=true", headers=lead)).json() == []
