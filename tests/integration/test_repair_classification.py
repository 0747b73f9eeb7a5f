"""R-IN-6 at intake: a repair's responsibility, class and fee pass the same checks as a later
classification, and a repair taken as "to be decided on site" carries no class (D38)."""

from __future__ import annotations

from tests.conftest import login

REPAIR = {"kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
          "unit_id": "unit_1_101", "content": "卫生间地漏堵塞"}


async def _case_count(client, desk) -> int:  # noqa: ANN001
    r = await client.get("/api/cases", headers=desk)
    assert r.status_code == 200, r.text
    return len(r.json())


async def test_intake_refuses_a_negative_fee_and_repair_classes_on_other_kinds_and_stores_nothing(client):  # R-IN-6
    desk = await login(client, "dispatcher")
    before = await _case_count(client, desk)
    refused = (
        ({**REPAIR, "repair_responsibility": "owner_private", "fee_quote_cents": -100}, "case.negative_fee"),
        ({**REPAIR, "kind": "complaint", "complaint_category": "engineering_repair",
          "repair_responsibility": "common"}, "case.not_a_repair"),
        ({**REPAIR, "kind": "inquiry", "repair_class": "urgent"}, "case.not_a_repair"),
    )
    for body, code in refused:
        r = await client.post("/api/cases", headers=desk, json=body)
        assert r.status_code == 400 and r.json()["code"] == code, r.text
        assert r.json()["message"]  # the desk shows the server's own words beside the form
    assert await _case_count(client, desk) == before  # nothing half-recorded


async def test_a_repair_to_be_decided_on_site_has_no_class_and_gets_one_later(client):  # R-IN-6 R-FU-4
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json=REPAIR)
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["case"]["repair_responsibility"], view["case"]["repair_class"]) == (None, None)
    codes = {c["code"] for c in view["clocks"]}
    # D45: the team must judge it on site, so the 5-minute order clock runs; held to the general 72 hours.
    assert {"FU4_GENERAL_72H", "IN6_ORDER_TO_TEAM_5M"} <= codes
    case_id = view["case"]["id"]
    r = await client.post(f"/api/cases/{case_id}/classify", headers=desk,
                          json={"repair_responsibility": "developer_defect", "repair_class": "urgent"})
    assert r.status_code == 200, r.text
    codes = {c["code"] for c in r.json()["clocks"]}
    assert {"IN6_ORDER_TO_TEAM_5M", "FU4_REPAIR_2H", "FU4_REPAIR_24H"} <= codes
    assert "FU4_GENERAL_72H" not in codes
