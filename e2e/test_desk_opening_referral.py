"""R-OP-3 on the desk: the dispatcher passes an opening up to a named supervisor, who decides it."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_dispatcher_passes_the_opening_to_the_lead_who_decides_it_from_the_desk(browser: Browser, server) -> None:  # noqa: ANN001  # R-OP-3
    desk = Api(server.url, "dispatcher")
    content = f"楼道灯不亮，责任不清 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {"kind": "repair", "channel": "phone", "contact_name": "转交测试",
                                             "phone": "13800000011", "address": "2栋1单元", "content": content,
                                             "repair_responsibility": "common"})["case"]
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    page.locator("[data-action=decide]").click()
    dialog = page.locator("dialog[open] .desk-decide")
    dialog.get_by_role("radio", name="无法决定，转交主管").check()
    # Nothing chosen: the form says whom to pick instead of posting.
    dialog.get_by_test_id("decide-submit").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请选择由哪位主管或经理决定")
    dialog.get_by_test_id("refer-to").select_option("usr_lead")
    dialog.locator("textarea[name=refer_note]").fill("不确定是否公共部位")
    dialog.get_by_test_id("decide-submit").click()
    expect(page.get_by_test_id("awaiting-decision")).to_be_visible(timeout=10000)
    expect(page.get_by_test_id("opening-awaiting")).to_contain_text("不确定是否公共部位")
    # The dispatcher may only ask someone else now; the choice to open is the supervisor's.
    page.locator("[data-action=decide]").click()
    dialog = page.locator("dialog[open] .desk-decide")
    expect(dialog.get_by_test_id("decide-waiting")).to_be_visible()
    expect(dialog.locator("input[name=open_reason]").first).to_be_hidden()
    page.keyboard.press("Escape")
    ctx.close()

    ctx, page = open_desk(browser, server, "lead")
    mine = page.get_by_test_id("decide-mine")
    expect(mine).to_contain_text(content, timeout=10000)
    mine.get_by_role("link", name=case["no"]).click()
    page.locator("[data-action=decide]").click()
    dialog = page.locator("dialog[open] .desk-decide")
    expect(dialog.get_by_test_id("decide-waiting")).to_contain_text("不确定是否公共部位")
    dialog.locator("input[name=open_reason][value=A]").check()
    dialog.get_by_test_id("decide-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_text("已立项", timeout=10000)
    expect(page.get_by_test_id("awaiting-decision")).to_have_count(0)
    opened = desk.call("GET", f"/api/cases/{case['id']}")["case"]["opening"]
    assert (opened["decided_by"], opened["escalated"]) == ("usr_lead", True)
    ctx.close()


def test_an_urgent_case_dispatched_first_and_passed_up_waits_on_the_deciders_home(browser: Browser, server) -> None:  # noqa: ANN001  # R-OP-3 R-IN-7
    desk = Api(server.url, "dispatcher")
    content = f"主水管爆裂，先派工 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {"kind": "repair", "channel": "phone", "contact_name": "先派后定",
                                             "phone": "13800000012", "address": "4栋地下室", "content": content,
                                             "repair_responsibility": "common", "repair_class": "urgent"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    desk.call("POST", f"/api/cases/{case['id']}/refer-opening", {"to_id": "usr_manager", "note": "是否立项请经理定"})
    ctx, page = open_desk(browser, server, "manager")
    mine = page.get_by_test_id("decide-mine")
    expect(mine).to_contain_text(content, timeout=10000)
    ctx.close()
