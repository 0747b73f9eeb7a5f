"""A printed case page is a paper record: no buttons or inputs, the emergency panel's included."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_printing_an_emergency_case_leaves_out_every_control(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-4
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {"kind": "help", "channel": "phone", "contact_name": "打印测试",
                                             "phone": "13800000031", "address": "地下车库", "content": "车库冒烟",
                                             "help_kind": "disaster", "emergency_trigger": "fire"})["case"]
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    panel = page.get_by_test_id("emergency-panel")
    expect(panel.locator("button").first).to_be_visible(timeout=10000)
    page.emulate_media(media="print")
    expect(panel).to_be_visible()  # the record of the escalation stays on paper
    for sel in ("button", "input", "select", "textarea"):
        loc = page.locator(f".desk-body {sel}")
        for i in range(loc.count()):
            expect(loc.nth(i)).to_be_hidden()
    ctx.close()
