"""Emergencies from staff phones (R-IN-1, R-EM-2), in Chromium against the real server.

The guard at the gate raises an emergency from the ☎ sheet with no signal; once back online it reaches
the desk, whose emergency banner shows it at the top with the reporter's name and phone. A guard the
desk summons to the scene sees the call-out on the phone, marks 已到场 and reports back from there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_shell import login, open_desk, wait_until_controlled


def _guard_phone(browser: Browser, server, username: str = "guard"):  # noqa: ANN001, ANN201
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, username)
    expect(page.locator("[data-view=gate]")).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    return ctx, page


def test_a_guard_raises_an_emergency_offline_and_the_desk_banner_shows_it_first(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-1 R-EM-2
    note = f"B2 配电间冒烟 {uuid.uuid4().hex[:6]}"
    ctx, page = _guard_phone(browser, server)
    # Online once: the sheet lists the compound's own numbers beside the public ones, each tap-to-call.
    page.locator(".btn-emergency").click()
    sheet = page.locator("dialog.dialog-emergency")
    expect(sheet.get_by_test_id("tel-service-centre")).to_have_attribute("href", "tel:0755-86000001")
    expect(sheet.get_by_test_id("tel-control-room")).to_have_attribute("href", "tel:0755-86000002")
    expect(sheet.locator("a.emergency-call[href='tel:119']")).to_be_visible()
    sheet.get_by_role("button", name="关闭").click()

    # In the basement: no signal, the app reloaded from the service worker.
    ctx.set_offline(True)
    page.reload()
    expect(page.locator("[data-view=gate]")).to_be_visible(timeout=15000)
    page.locator(".btn-emergency").click()
    sheet = page.locator("dialog.dialog-emergency")
    expect(sheet.get_by_test_id("tel-service-centre")).to_contain_text("0755-86000001")  # kept for offline
    sheet.locator("[data-action=report-emergency]").click()
    form = page.locator("dialog.dialog-emergency-report")
    form.get_by_role("button", name="报告服务中心").click()
    expect(form.locator(".form-error")).to_have_text("请选择发生了什么")  # nothing sent without what
    form.locator("label.choice", has_text="火警").click()
    form.locator("select[name=building_id]").select_option(label="2栋")
    form.locator("input[name=where]").fill("B2 配电间")
    form.locator("textarea[name=note]").fill(note)
    tapped = datetime.now(UTC)
    form.get_by_role("button", name="报告服务中心").click()
    expect(form).to_have_count(0)
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", "1", timeout=15000)
    page.wait_for_timeout(3000)  # still without signal for a while

    # Back online: the outbox drains by itself.
    ctx.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()

    desk_ctx, desk = open_desk(browser, server, "dispatcher")
    banner = desk.locator(".desk-em-banner")
    first = banner.locator(".desk-em-list > li").first
    expect(first).to_contain_text(note, timeout=15000)  # at the top: the reporter is waiting for the desk
    expect(first.get_by_test_id("em-reporter")).to_contain_text("孙护卫")
    expect(first.get_by_test_id("em-reporter").locator("a[href='tel:13900000008']")).to_be_visible()
    expect(first).to_contain_text("2栋 B2 配电间")
    case_id = first.get_attribute("data-case")
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert (view["case"]["channel"], view["case"]["is_emergency"]) == ("staff_found", True)
    # Received when the guard tapped, not when the phone synced (D35, D128): the sync came 3 s and more later.
    received = datetime.fromisoformat(view["case"]["received_at"].replace("Z", "+00:00"))
    assert abs((received - tapped).total_seconds()) < 2, (received, tapped)
    synced = datetime.fromisoformat(view["case"]["field_report"]["received_at"].replace("Z", "+00:00"))
    assert (synced - received).total_seconds() >= 3, (received, synced)
    first.locator("a.desk-em-link").click()
    expect(desk.get_by_test_id("emergency-panel")).to_contain_text("值守人：尚无")
    desk_ctx.close()


def test_a_guard_summoned_to_the_scene_marks_arrival_and_reports_back_from_the_phone(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2
    desk = Api(server.url, "dispatcher")
    content = f"地库漏水漫到配电间 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    ctx, page = _guard_phone(browser, server)
    # The desk summons the guard shift lead (孙护卫 holds the post) while the guard is at the gate.
    desk.call("POST", f"/api/cases/{case['id']}/emergency/summon", {"role": "guard_shift_lead"})
    page.reload()  # a sync on start; the strip shows on every screen
    strip = page.get_by_test_id("summons-strip")
    expect(strip).to_contain_text("你被召集到 3栋-104 现场", timeout=20000)
    # The push the scheduler sends lands in the inbox too (within its 5-s round; each reload syncs), and
    # opens the call-out's page.
    page.goto(server.url + "/#/reminders")
    item = page.locator(".reminder", has_text="紧急召集")
    for _ in range(10):
        if item.count():
            break
        page.wait_for_timeout(2000)
        page.reload()
        page.locator(".reminder-list").wait_for(state="attached", timeout=10000)
    expect(item).to_contain_text("你被召集到 3栋-104 现场")
    item.locator("a.btn").click()
    summons = page.get_by_test_id("summons-page")
    expect(summons).to_contain_text(content)
    expect(summons).to_contain_text("保安领班")

    # In the basement again: arrival and the report are kept and shown at once.
    ctx.set_offline(True)
    page.locator("[data-action=summons-arrive]").click()
    expect(page.get_by_test_id("summons-arrived")).to_contain_text("已到场", timeout=10000)
    page.locator("textarea[name=report]").fill("B2 配电间进水，已断电，人员已撤离")
    page.locator("[data-action=summons-report]").click()
    expect(page.get_by_test_id("summons-reports")).to_contain_text("B2 配电间进水", timeout=10000)
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", "2", timeout=10000)
    expect(strip).to_have_count(0)  # reported back: it no longer calls

    ctx.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()

    view = desk.call("GET", f"/api/cases/{case['id']}")
    [s] = view["case"]["emergency"]["summons"]
    assert s["arrived_at"] and s["report"] == "B2 配电间进水，已断电，人员已撤离" and s["reported_by"] == "usr_guard"
    desk_ctx, desk_page = open_desk(browser, server, "dispatcher", f"case/{case['id']}")
    expect(desk_page.get_by_test_id("em-summons-report")).to_contain_text("B2 配电间进水，已断电，人员已撤离", timeout=15000)
    expect(desk_page.get_by_test_id("em-summons-report")).to_contain_text("孙护卫报告")
    desk_ctx.close()
