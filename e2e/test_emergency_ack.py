"""R-EM-2 in a browser: the person the desk reached is asked on their own desk to take charge."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import login, open_desk


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


def test_an_emergency_panel_refusal_shows_beside_the_control_that_caused_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-4
    # The panel is taller than a 1366x768 screen: a refused instruction reported at the panel's top
    # is off-screen while the dispatcher is typing at its bottom.
    desk = Api(server.url, "dispatcher")
    content = f"配电房冒烟 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(server.url + f"/#/case/{case['id']}")
    panel = page.get_by_test_id("emergency-panel")
    expect(panel).to_be_visible(timeout=15000)
    panel.get_by_role("button", name="添加指示").click()  # no instruction typed
    error = panel.get_by_test_id("em-instructions").locator(".desk-error")
    expect(error).to_contain_text("指示内容不能为空")
    expect(error).to_be_in_viewport()
    expect(panel.get_by_test_id("em-chain").locator(".desk-error")).to_be_hidden()
    ctx.close()


def test_the_manager_prompted_on_a_phone_lands_on_the_acknowledge_button(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2
    # The prompt opened the case at its top; 确认已接手 sat ~1,470 px down on a 360x740 phone (D125).
    desk = Api(server.url, "dispatcher")
    content = f"水管爆裂 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "D"})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/attempt", {"target_role": "manager", "reached": True})

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    prompt = page.locator(".desk-em-list li", has_text=content).get_by_test_id("em-ack-prompt")
    expect(prompt).to_be_visible(timeout=15000)
    prompt.click()
    ack = page.get_by_role("button", name="确认已接手")
    expect(ack).to_be_in_viewport(timeout=15000)
    expect(ack).to_be_focused()
    ack.click()
    expect(page.locator(".desk-chain-step.is-acked")).to_have_count(1, timeout=15000)
    ctx.close()
