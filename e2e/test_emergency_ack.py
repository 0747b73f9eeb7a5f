"""R-EM-2 in a browser: the person the desk reached is asked on their own desk to take charge."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_a_reached_deputy_is_prompted_on_the_desk_home_and_the_prompt_goes_once_they_take_charge(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2
    desk = Api(server.url, "dispatcher")
    content = f"地下车库进水 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "D"})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/attempt", {"target_role": "manager", "reached": False})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/attempt", {"target_role": "deputy_gm", "reached": True})

    # The dispatcher sees whom the chain is waiting for; only the deputy is asked to confirm.
    ctx, page = open_desk(browser, server, "dispatcher")
    item = page.locator(".desk-em-list li", has_text=content)
    expect(item.locator(".desk-em-waiting")).to_contain_text("确认接手", timeout=15000)
    expect(item.get_by_test_id("em-ack-prompt")).to_have_count(0)
    ctx.close()

    ctx, page = open_desk(browser, server, "deputy")
    item = page.locator(".desk-em-list li", has_text=content)
    prompt = item.get_by_test_id("em-ack-prompt")
    expect(prompt).to_be_visible(timeout=15000)
    prompt.click()
    page.get_by_role("button", name="确认已接手").click()
    expect(page.locator(".desk-chain-step.is-acked")).to_have_count(1, timeout=15000)
    page.goto(server.url + "/#/")
    item = page.locator(".desk-em-list li", has_text=content)
    expect(item).to_be_visible(timeout=15000)
    expect(item.get_by_test_id("em-ack-prompt")).to_have_count(0)
    ctx.close()
