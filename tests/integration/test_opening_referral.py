"""R-OP-3 through the API: the dispatcher passes the opening up to a named supervisor, who decides."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair


async def test_dispatcher_passes_opening_up_and_the_lead_decides_on_record(client):  # noqa: ANN001  # R-OP-3
    desk = await login(client, "dispatcher")
    lead = await login(client, "lead")
    case_id = (await new_repair(client, desk))["case"]["id"]
    r = await client.post(f"/api/cases/{case_id}/refer-opening", headers=desk,
                          json={"to_id": "usr_lead", "note": "责任不清，请主管判断"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["case"]["opening_referral"]["to_id"] == "usr_lead"
    waiting = view["summary"]["awaiting_decision"]
    assert (waiting["to_id"], waiting["to_role"], waiting["by"]) == ("usr_lead", "team_lead", "usr_dispatcher")
    assert waiting["at"]  # when it was passed up: how long it waited
    # The case list shows whom it waits for.
    listed = {c["id"]: c for c in (await client.get("/api/cases", headers=desk)).json()}
    assert listed[case_id]["awaiting_decision"]["to_id"] == "usr_lead"
    # The dispatcher cannot decide it any more, nor pass it to someone who is not a supervisor.
    r = await client.post(f"/api/cases/{case_id}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert r.status_code == 403 and r.json()["code"] == "case.awaiting_supervisor"
    r = await client.post(f"/api/cases/{case_id}/refer-opening", headers=desk, json={"to_id": "usr_tech"})
    assert r.status_code in (400, 422) and r.json()["code"] == "case.referral_not_supervisor"
    r = await client.post(f"/api/cases/{case_id}/decide", headers=lead, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    view = r.json()
    op = view["case"]["opening"]
    assert (op["opened"], op["escalated"], op["decided_by"], op["referred_to_id"]) == (True, True, "usr_lead",
                                                                                      "usr_lead")
    assert view["summary"]["awaiting_decision"] is None
    actions = [(e["action"], e["actor_id"]) for e in view["timeline"]]
    assert ("case.opening_referred", "usr_dispatcher") in actions and ("case.opened", "usr_lead") in actions
