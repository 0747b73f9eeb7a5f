"""A scene report the desk writes down (到场汇报) is in the case's history with its words, as one sent from the
phone is (R-EM-2)."""

from __future__ import annotations

from tests.conftest import login


async def test_the_desk_s_scene_report_is_in_the_case_history(client) -> None:  # noqa: ANN001  # R-EM-2
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": "楼道冒烟", "help_kind": "disaster"})
    assert r.status_code == 201, r.text
    cid = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/emergency/summon", headers=desk, json={"role": "security_manager"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{cid}/emergency/arrival", headers=desk, json={
        "role": "security_manager", "report": "现场已封锁，烟雾来自烧焦的锅"})
    assert r.status_code == 200, r.text
    view = r.json()
    [entry] = [e for e in view["timeline"] if e["action"] == "emergency.arrived"]
    assert entry["data"] == {"role": "security_manager", "report": "现场已封锁，烟雾来自烧焦的锅"}
    [s] = view["case"]["emergency"]["summons"]
    assert s["report"] == "现场已封锁，烟雾来自烧焦的锅" and s["reported_by"] == "usr_dispatcher"
    # An arrival told without words records the arrival only.
    await client.post(f"/api/cases/{cid}/emergency/summon", headers=desk, json={"role": "guard_captain"})
    r = await client.post(f"/api/cases/{cid}/emergency/arrival", headers=desk, json={"role": "guard_captain"})
    assert r.status_code == 200, r.text
    last = [e for e in r.json()["timeline"] if e["action"] == "emergency.arrived"][-1]
    assert last["data"] == {"role": "guard_captain"}
