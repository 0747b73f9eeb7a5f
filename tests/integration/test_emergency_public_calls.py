"""R-EM-5 through the API: the number an emergency calls for, and the call recorded on the case."""

from __future__ import annotations

from tests.conftest import login

_HELP = {"kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009", "unit_id": "unit_3_104"}


async def test_the_desk_learns_which_number_each_help_kind_and_emergency_type_calls_for(client):  # noqa: ANN001  # R-EM-5 R-IN-4
    desk = await login(client, "dispatcher")
    r = await client.get("/api/emergency-numbers/to-call", headers=desk)
    assert r.status_code == 200, r.text
    table = r.json()
    assert table["help_kind"] == {"medical_emergency": ["120"], "crime": ["110"],
                                  "traffic_accident": ["122", "110"], "disaster": ["119"]}
    assert table["trigger"]["fire"] == ["119"] and table["trigger"]["traffic_accident"] == ["122", "110"]
    assert "government_order" not in table["trigger"]
    # A case carries the numbers it calls for, for the desk's panel and the intake's prompt.
    r = await client.post("/api/cases", headers=desk, json={**_HELP, "content": "小区门口两车相撞", "help_kind": "traffic_accident"})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["case"]["is_emergency"] is True and view["case"]["emergency"]["trigger"] == "traffic_accident"
    assert view["summary"]["numbers_to_call"] == ["122", "110"]
    r = await client.post("/api/cases", headers=desk, json={**_HELP, "content": "楼道灯不亮", "help_kind": "repair"})
    assert r.json()["summary"]["numbers_to_call"] == []


async def test_a_called_number_is_recorded_with_who_and_when_and_shown_in_the_case_history(client):  # noqa: ANN001  # R-EM-5
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={**_HELP, "content": "业主在家中晕倒", "help_kind": "medical_emergency"})
    cid = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/emergency/public-call", headers=desk, json={"number": "120"})
    assert r.status_code == 200, r.text
    [call] = r.json()["case"]["emergency"]["public_calls"]
    assert (call["number"], call["by"]) == ("120", "usr_dispatcher") and call["at"]
    # The manager at the desk calls the police too: a second record, under the manager's name.
    mgr = await login(client, "manager")
    r = await client.post(f"/api/cases/{cid}/emergency/public-call", headers=mgr, json={"number": "110"})
    assert r.status_code == 200, r.text
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert [(c["number"], c["by"]) for c in view["case"]["emergency"]["public_calls"]] == [
        ("120", "usr_dispatcher"), ("110", "usr_manager")]
    called = [e for e in view["timeline"] if e["action"] == "emergency.public_called"]
    assert [(e["data"]["number"], e["actor_id"]) for e in called] == [("120", "usr_dispatcher"), ("110", "usr_manager")]
    assert all(e["at"] for e in called)


async def test_only_the_four_public_numbers_on_an_emergency_by_the_desk_are_recorded(client):  # noqa: ANN001  # R-EM-5
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={**_HELP, "content": "地下车库有烟雾", "help_kind": "disaster"})
    cid = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/emergency/public-call", headers=desk, json={"number": "999"})
    assert r.status_code == 400, r.text
    # Not an emergency: nothing to record the call on.
    r = await client.post("/api/cases", headers=desk, json={**_HELP, "content": "咨询停车费", "help_kind": "inquiry"})
    plain = r.json()["case"]["id"]
    r = await client.post(f"/api/cases/{plain}/emergency/public-call", headers=desk, json={"number": "110"})
    assert (r.status_code, r.json()["code"]) == (409, "case.not_emergency"), r.text
    # A technician does not record calls on the desk's case.
    tech = await login(client, "tech")
    r = await client.post(f"/api/cases/{cid}/emergency/public-call", headers=tech, json={"number": "119"})
    assert r.status_code == 403, r.text
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["case"]["emergency"]["public_calls"] == []
    assert not any(e["action"] == "emergency.public_called" for e in view["timeline"])
