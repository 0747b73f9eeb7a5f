"""What a technician sees on a 360 px phone as they move between screens and wait in a basement."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.test_field_offline import _dispatched_repair
from e2e.test_shell import login, wait_until_controlled

NARROW = {"width": 360, "height": 740}


def test_a_job_opened_from_low_in_the_list_opens_at_its_top_and_back_returns_to_the_list_position(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-FU-4: the countdown and address are the first thing the technician must see
    tag = uuid.uuid4().hex[:6]
    contents = [f"楼道应急灯不亮 {tag} 第{i}处" for i in range(5)]
    for c in contents:
        _dispatched_repair(server, c)
    ctx = browser.new_context(viewport=NARROW, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    last = page.locator(".job-card", has_text=contents[-1])
    expect(last).to_be_visible(timeout=20000)
    last.scroll_into_view_if_needed()
    list_scroll = page.evaluate("window.scrollY")
    assert list_scroll > 200, "the list is long enough to scroll"

    last.click()
    expect(page.locator("[data-testid=job-state]")).to_be_visible(timeout=10000)
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator(".countdown-big")).to_be_in_viewport()

    page.go_back()
    expect(page.locator(".job-card", has_text=contents[-1])).to_be_visible(timeout=10000)
    assert abs(page.evaluate("window.scrollY") - list_scroll) < 5
    ctx.close()


def test_the_job_page_countdown_runs_on_while_offline(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4, design guarantee 4
    content = f"设备间排风扇不转 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx = browser.new_context(viewport=NARROW, locale="zh-CN")
    page = ctx.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    ctx.set_offline(True)  # in a basement: no sync re-renders the page from here on
    page.locator(".job-card", has_text=content).click()
    big = page.locator(".countdown-big")
    expect(big).to_contain_text("剩余")
    on_site = page.locator(".kv-row", has_text="派工后15分钟到场").locator(".countdown")
    expect(on_site).to_contain_text("剩余")

    page.clock.fast_forward("20:00")
    expect(big).to_contain_text("已超时")
    expect(big).to_have_class(re.compile(r"\boverdue\b"))
    expect(on_site).to_contain_text("已超时")
    expect(on_site).to_have_class(re.compile(r"\boverdue\b"))
    ctx.close()
