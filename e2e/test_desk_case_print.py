"""A printed case page is a paper record: no buttons or inputs, the emergency panel's included."""

from __future__ import annotations

import re

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


def test_a_printed_case_page_shows_due_times_not_live_countdowns(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {"kind": "repair", "channel": "phone", "contact_name": "打印时限",
                                             "phone": "13800000032", "address": "7栋", "content": "配电箱跳闸",
                                             "repair_responsibility": "common", "repair_class": "general"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    clocks = page.get_by_test_id("case-clocks")
    expect(clocks.locator(".desk-countdown").first).to_contain_text("剩余", timeout=10000)  # live on screen
    page.emulate_media(media="print")
    live = re.compile(r"(剩余|超时) ?\d")
    # innerText is what is laid out, so what goes on paper (textContent would include hidden text).
    for card in (clocks, page.get_by_test_id("work-orders")):
        text = card.inner_text()
        assert not live.search(text), text
        assert "未超时（截至打印）" in text, text
    # The work order's deadline prints once, beside its status, not twice.
    assert "截止" not in page.get_by_test_id("work-orders").inner_text()
    ctx.close()
