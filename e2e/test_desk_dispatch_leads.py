"""The desk's 派工 dialog offers the lead of the case's own line of work (R-DI-1): the guard captain for
security, nobody (the cleaner directly) for cleaning in the demo compound, and no false "未联系上" for a
reassignment from a lead already reached; 派工 is offered only where the server dispatches (R-IN-7); a
scene report written down at the desk reads in the case history (R-EM-2)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_shell import open_desk


def _complaint(desk: Api, category: str, content: str, *, opened: bool = True) -> dict:
    case = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "周业主", "phone": "13800000011",
        "unit_id": "unit_3_104", "content": f"{content} {uuid.uuid4().hex[:4]}", "complaint_category": category})["case"]
    if opened:
        desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    return case


def _options(dialog, group: str) -> list[str]:  # noqa: ANN001
    return dialog.locator(f"select[name=assignee_id] optgroup[label='{group}'] option").all_inner_texts()


def test_a_security_job_offers_the_guard_captain_and_cleaning_goes_to_the_cleaner(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1
    desk = Api(server.url, "dispatcher")
    security = _complaint(desk, "security", "地库有陌生人徘徊")
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{security['id']}")
    page.locator("[data-action=dispatch]").click()
    dialog = page.locator("dialog[open]")
    # The guard captain is the lead of security work; the repair lead is not offered, nor to be ticked.
    assert _options(dialog, "班组主管") == ["韩队长（保安队长）"]
    tried = dialog.get_by_test_id("tried-leads")
    expect(tried).to_be_visible()
    expect(tried.get_by_role("checkbox")).to_have_count(1)
    expect(tried.get_by_role("checkbox", name="韩队长")).to_have_count(1)
    dialog.locator("select[name=assignee_id]").select_option(label="韩队长（保安队长）")
    expect(tried).to_be_hidden()
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_text("已派工", timeout=10000)
    expect(page.locator(".desk-wos")).to_contain_text("韩队长")
    expect(page.locator(".desk-wos")).not_to_contain_text("未联系上")
    # Titled by the post that made him the lead, as the dialog offered him — on the work-order table, the
    # dispatch list and the history — never 班组主管, which he is not.
    expect(page.get_by_test_id("wo-assignee")).to_have_text("韩队长（保安队长）")
    expect(page.locator(".desk-wos li")).to_contain_text("韩队长（保安队长）")
    expect(page.locator(".desk-wos")).not_to_contain_text("班组主管")
    expect(page.locator(".desk-timeline-list li", has_text="韩队长（保安队长）")).to_have_count(1)
    expect(page.locator(".desk-timeline-list")).not_to_contain_text("班组主管")
    # And on the printed 派工单.
    page.get_by_test_id("wo-print").click()
    sheet = page.get_by_test_id("wo-sheet")
    expect(sheet.get_by_test_id("wo-executor")).to_have_text("韩队长（保安队长）", timeout=10000)
    expect(sheet).not_to_contain_text("班组主管")

    # Cleaning: nobody leads it in the demo compound, so 周阿姨 is told directly with nothing ticked.
    cleaning = _complaint(desk, "cleaning", "电梯厅地面有污渍")
    page.goto(f"{server.url}/#/case/{cleaning['id']}")
    page.locator("[data-action=dispatch]").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_test_id("tried-leads")).to_be_hidden()
    expect(dialog.get_by_test_id("lead-note")).to_have_text("本类工作未设班组负责人，可直接派给实施人员")
    assert _options(dialog, "班组主管") == []
    dialog.locator("select[name=assignee_id]").select_option(label="周阿姨（清洁工）")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_text("已派工", timeout=10000)
    expect(page.locator(".desk-wos")).not_to_contain_text("未联系上")
    expect(page.locator(".desk-timeline-list li", has_text="本类工作未设班组负责人，直接通知")).to_have_count(1)
    ctx.close()


def test_a_reassignment_from_the_lead_reached_asks_no_tick(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"门锁松动 {uuid.uuid4().hex[:4]}", "repair_responsibility": "common",
        "repair_class": "small"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_lead"})  # 陈班长, 已联系上
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case['id']}")
    page.locator("[data-action=redispatch]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name=assignee_id]").select_option(label="刘师傅（维修工）")
    expect(dialog.get_by_test_id("tried-leads")).to_be_hidden()
    expect(dialog.get_by_test_id("lead-note")).to_have_text("本案已联系上陈班长，可直接改派，无需勾选")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator("dialog[open]")).to_have_count(0, timeout=10000)
    expect(page.locator(".desk-wos")).to_contain_text("刘师傅")
    expect(page.locator(".desk-wos")).not_to_contain_text("未联系上")
    expect(page.locator(".desk-timeline-list li", has_text="班组负责人已在本案联系上")).to_have_count(1)
    # The printed 派工单 gives the same basis instead of a bare dash, which would read as no lead told.
    page.get_by_test_id("wo-print").last.click()
    expect(page.get_by_test_id("wo-sheet").get_by_test_id("wo-lead")).to_have_text("班组负责人已在本案联系上", timeout=10000)
    ctx.close()


def test_dispatch_is_offered_only_where_the_server_dispatches(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-7
    desk = Api(server.url, "dispatcher")
    received = _complaint(desk, "security", "楼道灯被人砸坏", opened=False)
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{received['id']}")
    expect(page.get_by_test_id("case-state")).to_have_text("已受理", timeout=10000)
    expect(page.locator("[data-action=decide]")).to_be_visible()
    expect(page.locator("[data-action=dispatch]")).to_have_count(0)  # the server says case.not_opened
    # An urgent repair goes first and is written up after (R-IN-7): offered while still 已受理.
    urgent = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"水管爆裂 {uuid.uuid4().hex[:4]}", "repair_responsibility": "common",
        "repair_class": "urgent"})["case"]
    page.goto(f"{server.url}/#/case/{urgent['id']}")
    expect(page.get_by_test_id("case-state")).to_have_text("已受理", timeout=10000)
    expect(page.locator("[data-action=dispatch]")).to_be_visible()
    ctx.close()


def test_a_scene_report_written_at_the_desk_reads_in_the_history(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009", "unit_id": "unit_3_104",
        "content": f"楼道冒烟 {uuid.uuid4().hex[:6]}", "help_kind": "disaster"})["case"]
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case['id']}")
    post = page.get_by_test_id("em-summons").locator("li[data-role=security_manager]")
    expect(post).to_be_visible(timeout=10000)
    post.get_by_role("button", name="通知").click()
    post.locator("input[name=report_security_manager]").fill("现场已封锁，烟雾来自烧焦的锅")
    post.get_by_role("button", name="到场汇报").click()
    expect(post.get_by_test_id("em-summons-report")).to_contain_text("现场已封锁", timeout=10000)
    expect(page.locator(".desk-timeline-list li", has_text="汇报：现场已封锁，烟雾来自烧焦的锅")).to_have_count(1)
    ctx.close()
