"""The work-contact slip 工作联系单 to the developer (R-IN-6 d, D44) through HTTP, on both engines:
created for a developer-defect repair, verified on site, issued with a number, answered; the
refusals leave nothing behind."""

from __future__ import annotations

from tests.conftest import login

REPAIR = {"kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
          "unit_id": "unit_1_101", "content": "卧室外墙渗水，墙面发霉"}
VERIFIED = {"verified_by": "陈班长", "verified_at": "2026-11-23T09:30:00+08:00",
            "note": "卧室外墙窗框下方渗水，属交房遗留问题"}


async def _repair(client, desk, responsibility: str | None = "developer_defect") -> dict:  # noqa: ANN001
    body = {**REPAIR, **({"repair_responsibility": responsibility} if responsibility else {})}
    r = await client.post("/api/cases", headers=desk, json=body)
    assert r.status_code == 201, r.text
    return r.json()["case"]


async def _slips(client, desk, case_id: str) -> list[dict]:  # noqa: ANN001
    r = await client.get(f"/api/cases/{case_id}/contact-slips", headers=desk)
    assert r.status_code == 200, r.text
    return r.json()["slips"]


async def _timeline_actions(client, desk, case_id: str) -> list[str]:  # noqa: ANN001
    r = await client.get(f"/api/cases/{case_id}", headers=desk)
    return [e["action"] for e in r.json()["timeline"] if e["action"].startswith("contact_slip.")]


async def test_a_contact_slip_is_drafted_verified_issued_and_answered(client, clock):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "dispatcher")
    case = await _repair(client, desk)
    r = await client.get(f"/api/cases/{case['id']}/contact-slips", headers=desk)
    assert r.json() == {"slips": [], "default_addressee": "开发商售后服务部"}

    r = await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={
        "description": "卧室外墙渗水", "requested_action": "请查明原因并修复", "reply_by": "2026-11-26"})
    assert r.status_code == 201, r.text
    slip = r.json()
    # Pre-filled from the case and the compound: the location is the case's address.
    assert (slip["state"], slip["no"], slip["addressee"], slip["location"]) == (
        "draft", None, "开发商售后服务部", case["address"])
    assert slip["case_no"] == case["no"] and slip["open"] and not slip["overdue"]

    r = await client.put(f"/api/contact-slips/{slip['id']}", headers=desk, json={"addressee": "某某地产售后部"})
    assert r.status_code == 200 and r.json()["addressee"] == "某某地产售后部", r.text
    r = await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=desk, json=VERIFIED)
    assert r.status_code == 200, r.text
    assert r.json()["verification"]["verified_by"] == "陈班长"

    r = await client.post(f"/api/contact-slips/{slip['id']}/issue", headers=desk)
    assert r.status_code == 200, r.text
    sent = r.json()
    assert (sent["state"], sent["no"], sent["issued_at"]) == ("sent", "LX20261123-001", "2026-11-23T02:00:00Z")

    # The case page and the case list flag the slip waiting for the developer; past its date, overdue.
    view = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert view["summary"]["contact_slip"] == {"id": slip["id"], "no": "LX20261123-001",
                                               "reply_by": "2026-11-26", "overdue": False}
    clock.advance(days=4)
    view = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert view["summary"]["contact_slip"]["overdue"] is True
    rows = (await client.get("/api/cases", headers=desk, params={"kind": "repair"})).json()
    assert next(c for c in rows if c["id"] == case["id"])["contact_slip"]["overdue"] is True

    r = await client.post(f"/api/contact-slips/{slip['id']}/reply", headers=desk,
                          json={"replied_on": "2026-11-27", "text": "已安排施工单位12月1日进场维修"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["reply"]["replied_on"], r.json()["open"]) == ("answered", "2026-11-27", False)
    view = (await client.get(f"/api/cases/{case['id']}", headers=desk)).json()
    assert view["summary"]["contact_slip"] is None
    assert await _timeline_actions(client, desk, case["id"]) == [
        "contact_slip.created", "contact_slip.edited", "contact_slip.verified", "contact_slip.issued",
        "contact_slip.answered"]
    # The next slip of the compound starts from the addressee the desk used last.
    assert (await client.get(f"/api/cases/{case['id']}/contact-slips", headers=desk)).json()[
        "default_addressee"] == "某某地产售后部"


async def test_a_repair_not_classified_as_the_developers_gets_no_slip(client):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "frontdesk")
    for responsibility in ("common", None):
        case = await _repair(client, desk, responsibility)
        r = await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={"description": "渗水"})
        assert r.status_code == 409 and r.json()["code"] == "contact_slip.not_developer_defect", r.text
        assert r.json()["message"]
        assert await _slips(client, desk, case["id"]) == []
        assert await _timeline_actions(client, desk, case["id"]) == []


async def test_issuing_without_the_on_site_verification_is_refused_and_takes_no_number(client):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "manager")
    case = await _repair(client, desk)
    slip = (await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={
        "description": "渗水", "requested_action": "修复", "reply_by": "2026-11-30"})).json()
    r = await client.post(f"/api/contact-slips/{slip['id']}/issue", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "contact_slip.not_verified", r.text
    stored = await _slips(client, desk, case["id"])
    assert (stored[0]["state"], stored[0]["no"]) == ("draft", None)
    assert await _timeline_actions(client, desk, case["id"]) == ["contact_slip.created"]
    # The refused issue rolled its number back: the first slip issued today is still -001.
    await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=desk, json=VERIFIED)
    r = await client.post(f"/api/contact-slips/{slip['id']}/issue", headers=desk)
    assert r.status_code == 200 and r.json()["no"] == "LX20261123-001", r.text


async def test_a_sent_slip_cannot_be_edited_or_reverified_or_sent_again(client):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "dispatcher")
    case = await _repair(client, desk)
    slip = (await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={
        "description": "渗水", "requested_action": "修复", "reply_by": "2026-11-30"})).json()
    await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=desk, json=VERIFIED)
    sent = (await client.post(f"/api/contact-slips/{slip['id']}/issue", headers=desk)).json()
    for method, path, body in (
            ("PUT", "", {"description": "改过的描述"}),
            ("POST", "/verification", {**VERIFIED, "note": "再核实"}),
            ("POST", "/issue", None)):
        r = await client.request(method, f"/api/contact-slips/{slip['id']}{path}", headers=desk, json=body)
        assert r.status_code == 409 and r.json()["code"] == "contact_slip.already_issued", r.text
    r = await client.get(f"/api/contact-slips/{slip['id']}", headers=desk)
    assert r.json() == sent  # unchanged, number included
    # A second slip beside the unanswered one is refused too.
    r = await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={"description": "再发"})
    assert r.status_code == 409 and r.json()["code"] == "contact_slip.already_open", r.text
    assert len(await _slips(client, desk, case["id"])) == 1


async def test_only_the_desk_handles_contact_slips(client):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "dispatcher")
    case = await _repair(client, desk)
    slip = (await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk,
                              json={"description": "渗水"})).json()
    for user in ("tech", "cleaner", "cashier"):
        other = await login(client, user)
        r = await client.post(f"/api/cases/{case['id']}/contact-slips", headers=other, json={"description": "x"})
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden", r.text
        r = await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=other, json=VERIFIED)
        assert r.status_code == 403, r.text
        r = await client.get(f"/api/cases/{case['id']}/contact-slips", headers=other)
        assert r.status_code == 403, r.text
    stored = await _slips(client, desk, case["id"])
    assert len(stored) == 1 and stored[0]["verification"] is None
    assert await _timeline_actions(client, desk, case["id"]) == ["contact_slip.created"]


async def test_a_verification_in_the_future_and_a_bad_reply_date_change_nothing(client):  # noqa: ANN001  # R-IN-6
    desk = await login(client, "dispatcher")
    case = await _repair(client, desk)
    slip = (await client.post(f"/api/cases/{case['id']}/contact-slips", headers=desk, json={
        "description": "渗水", "requested_action": "修复", "reply_by": "2026-11-30"})).json()
    r = await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=desk,
                          json={**VERIFIED, "verified_at": "2026-11-23T11:00:00+08:00"})
    assert r.status_code == 400 and r.json()["code"] == "contact_slip.verified_in_future", r.text
    assert (await _slips(client, desk, case["id"]))[0]["verification"] is None
    await client.post(f"/api/contact-slips/{slip['id']}/verification", headers=desk, json=VERIFIED)
    await client.post(f"/api/contact-slips/{slip['id']}/issue", headers=desk)
    r = await client.post(f"/api/contact-slips/{slip['id']}/reply", headers=desk,
                          json={"replied_on": "2026-11-22", "text": "已处理"})
    assert r.status_code == 400 and r.json()["code"] == "contact_slip.reply_date_invalid", r.text
    stored = (await _slips(client, desk, case["id"]))[0]
    assert (stored["state"], stored["reply"]) == ("sent", None)
