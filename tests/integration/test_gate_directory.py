"""The manager keeps the compound's gate directory, and slips name only gates that exist (D42, D46):
a slip for a gate not in a non-empty directory is refused with nothing stored; a gate that an
issued, unexpired slip names cannot be removed until that slip expires or is revoked."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.test_gate_slips import desk, issue, owner_request, pull_all, sig  # noqa: F401

DEMO = [("N", "北门"), ("S", "南门"), ("E", "东门"), ("B1", "地库出口")]


def gates_body(pairs) -> dict:  # noqa: ANN001
    return {"gates": [{"code": c, "name": n} for c, n in pairs]}


async def revoke_live_slips(client, headers) -> None:  # noqa: ANN001
    """The demo compound starts with one live slip at N and S; these tests start from none."""
    for slip in (await client.get("/api/slips?state=issued", headers=headers)).json():
        r = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "测试"}, headers=headers)
        assert r.status_code == 200, r.text


async def listed(client, headers) -> list[tuple[str, str]]:  # noqa: ANN001
    r = await client.get("/api/gates", headers=headers)
    assert r.status_code == 200, r.text
    return [(g["code"], g["name"]) for g in r.json()["gates"]]


async def test_the_manager_renames_reorders_adds_and_removes_gates(client):  # noqa: ANN001  # R-RS-1
    manager = await login(client, "manager")
    new = [("S", "南大门"), ("N", "北门"), ("W", "西门"), ("B1", "地库出口")]  # E removed, W added
    r = await client.put("/api/gates", json=gates_body(new), headers=manager)
    assert r.status_code == 200, r.text
    assert await listed(client, manager) == new  # in the order saved
    assert await listed(client, await login(client, "guard")) == new


async def test_only_the_manager_may_change_the_gates(client):  # noqa: ANN001  # R-RS-1
    body = gates_body([("N", "北门")])
    for username in ("frontdesk", "dispatcher", "guard", "control"):
        headers = await login(client, username)
        r = await client.put("/api/gates", json=body, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden", (username, r.text)
    assert await listed(client, await login(client, "manager")) == DEMO


async def test_a_slip_for_a_gate_the_compound_does_not_have_is_refused_and_nothing_stored(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1, R-RS-4
    guard = await login(client, "guard")
    feed_before = len(await pull_all(client, guard))
    slips_before = (await client.get("/api/slips", headers=desk)).json()
    r = await client.post("/api/slips", json=owner_request(sig, gates=["N", "W"]), headers=desk)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "slip.unknown_gate"
    assert body["details"]["unknown"] == ["W"]
    assert body["details"]["known"] == ["N", "S", "E", "B1"]
    assert "W" in body["message"] and "北门（N）" in body["message"] and "地库出口（B1）" in body["message"]
    assert "W" in body["message_en"] and "北门 (N)" in body["message_en"]
    assert (await client.get("/api/slips", headers=desk)).json() == slips_before
    assert len(await pull_all(client, guard)) == feed_before  # no gate_slip document went out
    # The same slip at gates the compound has is issued.
    assert (await issue(client, desk, owner_request(sig, gates=["N", "B1"])))["slip"]["gates"] == ["N", "B1"]


async def test_with_no_gates_named_any_well_formed_code_is_still_accepted(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1
    manager = await login(client, "manager")
    await revoke_live_slips(client, desk)
    r = await client.put("/api/gates", json={"gates": []}, headers=manager)
    assert r.status_code == 200, r.text
    slip = await issue(client, desk, owner_request(sig, gates=["W", "G2"]))
    assert slip["slip"]["gates"] == ["W", "G2"]


async def test_a_gate_an_unexpired_slip_names_cannot_be_removed_but_can_be_renamed(client, desk, sig):  # noqa: ANN001, F811  # D46, R-RS-1
    manager = await login(client, "manager")
    await revoke_live_slips(client, desk)
    slip = await issue(client, desk, owner_request(sig, gates=["N", "S"]))
    r = await client.put("/api/gates", json=gates_body([("N", "北门"), ("E", "东门")]), headers=manager)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "gate.in_use"
    assert body["details"]["codes"] == ["S"]
    assert [(s["id"], s["short_code"], s["gates"]) for s in body["details"]["slips"]] == [
        (slip["id"], slip["short_code"], ["S"])]
    assert "南门（S）" in body["message"] and slip["short_code"] in body["message"]
    assert await listed(client, manager) == DEMO  # nothing changed
    # Renaming the gate, and removing gates no live slip names, is fine.
    kept = [("N", "北大门"), ("S", "南门（临时）")]
    r = await client.put("/api/gates", json=gates_body(kept), headers=manager)
    assert r.status_code == 200, r.text
    assert await listed(client, manager) == kept


async def test_a_gate_can_be_removed_once_its_slips_are_revoked_or_expired(client, desk, sig, clock):  # noqa: ANN001, F811  # D46, R-RS-1
    manager = await login(client, "manager")
    await revoke_live_slips(client, desk)
    revoked = await issue(client, desk, owner_request(sig, gates=["S"]))
    r = await client.post(f"/api/slips/{revoked['id']}/revoke", json={"reason": "改期"}, headers=desk)
    assert r.status_code == 200, r.text
    r = await client.put("/api/gates", json=gates_body([("N", "北门"), ("E", "东门"), ("B1", "地库出口")]), headers=manager)
    assert r.status_code == 200, r.text  # S: only a revoked slip named it
    await issue(client, desk, owner_request(sig, gates=["E"]))  # valid for a day
    r = await client.put("/api/gates", json=gates_body([("N", "北门")]), headers=manager)
    assert r.status_code == 409 and r.json()["details"]["codes"] == ["E"], r.text
    clock.advance(days=1, seconds=1)
    manager = await login(client, "manager")
    r = await client.put("/api/gates", json=gates_body([("N", "北门")]), headers=manager)
    assert r.status_code == 200, r.text
    assert await listed(client, manager) == [("N", "北门")]
