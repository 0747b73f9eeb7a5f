"""R-OP-3 through the API: when the dispatcher cannot decide, a supervisor's decision is recorded."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair


async def test_team_lead_decides_an_opening_the_dispatcher_passed_up_and_is_recorded(client):  # noqa: ANN001  # R-OP-3
    desk = await login(client, "dispatcher")
    lead = await login(client, "lead")
    case_id = (await new_repair(client, desk))["case"]["id"]
    # The dispatcher cannot record the supervisor's decision for them.
    r = await client.post(f"/api/cases/{case_id}/decide", headers=desk,
                          json={"open": True, "reason": "A", "escalated": True})
    assert r.status_code == 403 and r.json()["code"] == "case.escalated_needs_supervisor"
    # The team lead (主管/班长) is one of the supervisors the rule names; the route must let them decide.
    r = await client.post(f"/api/cases/{case_id}/decide", headers=lead,
                          json={"open": True, "reason": "A", "escalated": True, "note": "需上门查看"})
    assert r.status_code == 200, r.text
    opening = r.json()["case"]["opening"]
    assert (opening["opened"], opening["escalated"], opening["decided_by"]) == (True, True, "usr_lead")
