"""A gate phone's release at a gate the compound's directory does not list (a typo in the phone's gate
setting, or a gate removed while the phone was offline) is stored and flagged as an `unknown_gate`
incident for the desk, never refused: the goods have already left (R-RS-1, D47)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import T0, login
from tests.integration.test_gate_directory import gates_body, revoke_live_slips
from tests.integration.test_gate_slips import desk, issue, owner_request, pull_all, push_release, sig  # noqa: F401


async def test_a_release_at_a_gate_not_in_the_directory_is_kept_and_flagged(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1
    slip = await issue(client, desk, owner_request(sig, gates=["N", "S"]))
    guard = await login(client, "guard")
    result = await push_release(client, guard, "north-gate-phone", 1, slip["id"], "M", T0 + timedelta(minutes=4))
    assert result["status"] == "applied"  # not refused: the goods left
    view = (await client.get(f"/api/slips/{slip['id']}", headers=desk)).json()
    assert view["state"] == "released"
    assert view["slip"]["released_gate"] == "M"
    assert view["incident_count"] == 1
    incidents = (await client.get("/api/slips/incidents", headers=await login(client, "manager"))).json()
    assert [(i["slip_id"], i["gate"], i["kinds"]) for i in incidents] == [
        (slip["id"], "M", ["wrong_gate", "unknown_gate"])
    ]
    # The desk's feed carries the incident as it does the others.
    fed = [c["doc"] for c in await pull_all(client, desk) if c["entity"] == "slip_incident"]
    assert [d["kinds"] for d in fed] == [["wrong_gate", "unknown_gate"]]


async def test_a_gate_removed_while_the_phone_was_offline_is_flagged_when_its_release_arrives(  # R-RS-1
    client, desk, sig  # noqa: ANN001, F811
):
    manager = await login(client, "manager")
    await revoke_live_slips(client, desk)
    # W exists when the slip is issued; the manager removes it (the slip is revoked first, D46) ...
    r = await client.put("/api/gates", json=gates_body([("N", "北门"), ("W", "西门")]), headers=manager)
    assert r.status_code == 200, r.text
    slip = await issue(client, desk, owner_request(sig, gates=["N"]))
    r = await client.put("/api/gates", json=gates_body([("N", "北门")]), headers=manager)
    assert r.status_code == 200, r.text
    # ... while a guard's phone still set to W lets the goods out and syncs later.
    guard = await login(client, "guard")
    result = await push_release(client, guard, "west-gate-phone", 1, slip["id"], "W", T0 + timedelta(minutes=9))
    assert result["status"] == "applied"
    incidents = (await client.get("/api/slips/incidents", params={"slip_id": slip["id"]}, headers=desk)).json()
    assert [i["kinds"] for i in incidents] == [["wrong_gate", "unknown_gate"]]


async def test_a_release_at_a_listed_gate_raises_no_unknown_gate(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1
    slip = await issue(client, desk, owner_request(sig, gates=["N", "S"]))
    guard = await login(client, "guard")
    result = await push_release(client, guard, "east-gate-phone", 1, slip["id"], "E", T0 + timedelta(minutes=2))
    assert result["status"] == "applied"
    incidents = (await client.get("/api/slips/incidents", headers=desk)).json()
    assert [i["kinds"] for i in incidents] == [["wrong_gate"]]  # E is a gate; just not this slip's


async def test_with_no_gates_named_a_release_anywhere_is_no_unknown_gate(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1, D46
    manager = await login(client, "manager")
    await revoke_live_slips(client, desk)
    r = await client.put("/api/gates", json={"gates": []}, headers=manager)
    assert r.status_code == 200, r.text
    slip = await issue(client, desk, owner_request(sig, gates=["W"]))
    guard = await login(client, "guard")
    result = await push_release(client, guard, "gate-phone", 1, slip["id"], "W", T0 + timedelta(minutes=2))
    assert result["status"] == "applied"
    assert (await client.get("/api/slips/incidents", headers=desk)).json() == []
