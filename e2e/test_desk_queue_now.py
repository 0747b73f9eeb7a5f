"""The desk home's follow-up queue shows what needs the desk now; the banner says what it counts down to (D90).

The reviewer's desk listed every running clock ("跟进队列 35" for 10 cases, a Monday review six days off
among them), so only about six cards of 35 fitted at 1366x768; and the emergency banner's "剩余 01:54:45"
did not say which limit it was.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_the_queue_lists_what_is_due_now_and_folds_the_later_clocks(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-1 R-FU-3 R-FU-9
    desk = Api(server.url, "dispatcher")
    content = f"楼上装修噪音 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "钱业主", "phone": "13800000031",
        "unit_id": "unit_2_301", "content": content, "complaint_category": "decoration"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    every = desk.call("GET", "/api/followups")

    ctx, page = open_desk(browser, server)
    now = page.get_by_test_id("followup-queue")
    later = page.get_by_test_id("followup-queue-later")
    mine = f"li[data-case='{case['id']}']"
    # The first follow-up, due in 2 hours, needs the desk now.
    expect(now.locator(f"{mine}[data-clock=FU1_FIRST_FOLLOW_UP]")).to_be_visible(timeout=15000)
    # The Monday review and the 15-day close limit are folded away, out of sight until asked for.
    for code in ("FU3_MONDAY_REVIEW", "FU9_COMPLAINT_15D"):
        expect(now.locator(f"{mine}[data-clock={code}]")).to_have_count(0)
        expect(later.locator(f"{mine}[data-clock={code}]")).to_be_hidden()
    n_later = later.locator("li").count()
    assert n_later >= 2
    expect(later.locator("summary")).to_have_text(f"稍后到期 {n_later} 项")
    # The badge counts what needs action, not every running clock.
    n_now = now.locator("li").count()
    expect(page.get_by_test_id("followup-queue-count")).to_have_text(str(n_now))
    assert n_now + n_later == len(every) and n_now < len(every)
    later.locator("summary").click()
    expect(later.locator(f"{mine}[data-clock=FU3_MONDAY_REVIEW]")).to_be_visible()
    expect(later.locator(f"{mine}[data-clock=FU9_COMPLAINT_15D]")).to_be_visible()
    ctx.close()


def test_the_emergency_banner_names_the_clock_it_counts_down(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5 R-EM-1
    desk = Api(server.url, "dispatcher")
    content = f"配电房冒烟 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    nxt = desk.call("GET", f"/api/cases/{case['id']}")["summary"]["next_due"]
    assert nxt["code"] == "IN5_HELP_REPLY_5M"  # the help reply's 5 minutes run first

    ctx, page = open_desk(browser, server)
    item = page.locator(".desk-em-list li", has_text=content)
    label = item.get_by_test_id("em-clock-label")
    expect(label).to_have_text("求助 5 分钟内答复", timeout=15000)
    expect(item.locator(".desk-countdown")).to_have_text(re.compile(r"^剩余 "))
    page.get_by_role("button", name="EN").click()
    item = page.locator(".desk-em-list li", has_text=content)
    expect(item.get_by_test_id("em-clock-label")).to_have_text("Help request: reply within 5 min", timeout=15000)
    ctx.close()


def test_a_follow_up_the_close_stopped_reads_stopped_at_closing_not_done(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-2
    desk = Api(server.url, "dispatcher")
    content = f"询问停车位租赁 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "phone", "contact_name": "孙业主", "phone": "13800000032",
        "unit_id": "unit_1_101", "content": content})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "C"})
    desk.call("POST", f"/api/cases/{case['id']}/verify", {"text": "已答复"})
    closed = desk.call("POST", f"/api/cases/{case['id']}/close", {"result": "已答复"})
    assert closed["case"]["state"] == "closed"

    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case['id']}")
    fu2 = page.locator("[data-testid=case-clocks] [data-code=FU2_END_OF_DAY]")
    expect(fu2).to_contain_text("结案时停止", timeout=15000)
    expect(fu2).not_to_contain_text("已完成")
    ctx.close()
