"""R-FU-3 through the API: the Monday review list says which of last week's cases were reviewed this week."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair


async def test_monday_review_shows_this_weeks_review_and_who_it_went_to(client, clock):  # noqa: ANN001  # R-FU-3
    desk = await login(client, "dispatcher")
    first = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    second = (await new_repair(client, desk, content="门禁失灵"))["case"]["id"]
    clock.advance(days=7)  # the next Monday: both are last week's cases
    r = await client.post(f"/api/cases/{first}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "配件未到，请经理定方案", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    rows = {c["id"]: c for c in (await client.get("/api/review/monday", headers=desk)).json()}
    done = rows[first]["reviewed"]
    assert (done["by"], done["note"], done["reported_to_manager_id"]) == (
        "usr_dispatcher", "配件未到，请经理定方案", "usr_manager")
    assert done["at"]
    assert rows[second]["reviewed"] is None
    # A week on, last week's review is history: the case is to be reviewed again.
    clock.advance(days=7)
    rows = {c["id"]: c for c in (await client.get("/api/review/monday", headers=desk)).json()}
    assert rows[first]["reviewed"] is None
