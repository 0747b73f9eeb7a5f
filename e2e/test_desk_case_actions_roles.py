"""The case page offers a team lead only what the lead's role may do (the server's route roles)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_a_team_lead_is_offered_redispatch_and_a_plan_but_not_the_desks_actions(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1 R-FU-5
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {"kind": "repair", "channel": "phone", "contact_name": "班长视角",
                                             "phone": "13800000061", "address": "6栋", "content": "水泵异响",
                                             "repair_responsibility": "common", "repair_class": "general"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    ctx, page = open_desk(browser, server, "lead")
    page.goto(f"{server.url}/#/case/{case['id']}")
    bar = page.locator(".desk-actions")
    expect(bar.locator("[data-action=redispatch]")).to_be_visible(timeout=10000)
    offered = sorted(bar.locator("[data-action]").evaluate_all("els => els.map((e) => e.dataset.action)"))
    assert offered == ["plan", "redispatch"], offered
    ctx.close()
