"""The manager's staff page 员工 (D129): a guard captain added with a phone and the post is who the
next emergency's panel calls, and a phone changed in the row is the number it dials (R-EM-2, D89);
deactivation is confirmed, refused while the person holds an open job (R-OP-4), and the page works on a
manager's phone at 360 px."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE, RunningServer, serving
from e2e.test_shell import login, open_desk


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # A fresh demo compound: these tests add people to its directory and deactivate one, which the
    # shared server's other tests (pickers, the emergency chain) would then see.
    with serving("estatedesk-e2e-staff-") as srv:
        yield srv


def _emergency(server) -> str:  # noqa: ANN001
    view = Api(server.url, "dispatcher").call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009", "unit_id": "unit_3_104",
        "content": f"地下车库进水 {uuid.uuid4().hex[:6]}", "help_kind": "disaster"})
    return view["case"]["id"]


def test_a_guard_captain_added_on_the_staff_page_is_called_from_the_next_emergency(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2 D89
    ctx, page = open_desk(browser, server, "manager")
    # The desk home has read the directory already: the panel must not keep that copy after the change.
    expect(page.locator("[data-view=desk][data-page=home]")).to_be_visible(timeout=15000)
    page.locator(".desk-nav").get_by_role("link", name="员工", exact=True).click()
    staff = page.get_by_test_id("staff-page")
    expect(staff.locator("tr[data-username=guardcap]")).to_contain_text("保安队长", timeout=10000)

    staff.locator("button[data-action=staff-add]").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".dialog-title")).to_have_text("新增员工")
    dialog.get_by_test_id("dialog-submit").click()  # nothing filled: the dialog names what is missing
    expect(dialog.locator(".desk-error")).to_contain_text("姓名")
    dialog.locator("input[name=display_name]").fill("冯副队长")
    dialog.locator("input[name=username]").fill("feng.cap")
    dialog.locator("input[name=password]").fill("captain-pass")
    dialog.get_by_test_id("dialog-submit").click()  # no role ticked
    expect(dialog.locator(".desk-error")).to_contain_text("请至少选择一个角色")
    dialog.get_by_role("checkbox", name="护卫员", exact=True).check()
    dialog.locator("input[name=phone]").fill("13977778888")
    dialog.get_by_role("checkbox", name="保安队长", exact=True).check()
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    row = staff.locator("tr[data-username='feng.cap']")
    expect(row).to_contain_text("冯副队长", timeout=10000)
    expect(row.locator("a[href='tel:13977778888']")).to_have_count(1)
    expect(row.locator(".staff-posts")).to_have_text("保安队长")
    expect(row).to_contain_text("从未登录")

    # A new emergency: the panel lists the new captain beside the demo's one, with the number to tap.
    case_id = _emergency(server)
    page.goto(f"{server.url}/#/case/{case_id}")
    post = page.get_by_test_id("emergency-panel").get_by_test_id("em-summons").locator("li[data-role=guard_captain]")
    expect(post).to_contain_text("冯副队长", timeout=10000)
    expect(post.locator("a[href='tel:13977778888']")).to_have_count(1)
    expect(post).to_contain_text("韩队长")

    # The phone changed in the row is the one the panel dials next.
    page.goto(f"{server.url}/#/staff")
    row = page.get_by_test_id("staff-page").locator("tr[data-username='feng.cap']")
    row.locator("button[data-action=staff-edit]").click()
    row.locator("input[name=phone]").fill("13966660000")
    row.locator("button[data-action=staff-save]").click()
    expect(row.locator("a[href='tel:13966660000']")).to_have_count(1, timeout=10000)
    page.goto(f"{server.url}/#/case/{case_id}")
    post = page.get_by_test_id("emergency-panel").get_by_test_id("em-summons").locator("li[data-role=guard_captain]")
    expect(post.locator("a[href='tel:13966660000']")).to_have_count(1, timeout=10000)
    expect(post.locator("a[href='tel:13977778888']")).to_have_count(0)
    ctx.close()

    # The captain signs in with the password the manager gave.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    p = phone.new_page()
    p.goto(server.url + "/")
    login(p, "feng.cap", "captain-pass")
    expect(p.locator("[data-view]").first).to_be_visible(timeout=15000)
    assert Api(server.url, "feng.cap", "captain-pass").call("GET", "/api/me")["display_name"] == "冯副队长"
    phone.close()


def test_on_a_managers_phone_deactivation_is_confirmed_and_refused_while_a_job_is_open(browser: Browser, server) -> None:  # noqa: ANN001  # R-OP-4
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001", "unit_id": "unit_1_101",
        "content": f"楼道灯不亮 {uuid.uuid4().hex[:6]}", "repair_responsibility": "common", "repair_class": "small"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/staff")
    staff = page.get_by_test_id("staff-page")
    row = staff.locator("tr[data-username=tech2]")
    expect(row.get_by_test_id("staff-open-cases")).to_contain_text(case["no"], timeout=10000)
    # Nothing scrolls sideways at 360 px: each row is a card.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Cancelled: nothing happens.
    row.locator("button[data-action=staff-deactivate]").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("停用刘师傅？")
    dialog.get_by_role("button", name="取消").click()
    expect(row.locator(".badge")).to_have_text("在职")
    # Confirmed while the job is open: the server refuses and the page says why, naming the case.
    row.locator("button[data-action=staff-deactivate]").click()
    page.locator("dialog[open]").get_by_role("button", name="停用", exact=True).click()
    error = page.get_by_test_id("staff-error")
    expect(error).to_contain_text("未完成的工单", timeout=10000)
    expect(error).to_contain_text(case["no"])
    expect(row.locator(".badge")).to_have_text("在职")

    # The job goes to someone else; now the person can go, and comes back.
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    page.reload()
    row = page.get_by_test_id("staff-page").locator("tr[data-username=tech2]")
    expect(row.get_by_test_id("staff-open-cases")).to_have_count(0, timeout=10000)
    row.locator("button[data-action=staff-deactivate]").click()
    page.locator("dialog[open]").get_by_role("button", name="停用", exact=True).click()
    expect(row.locator(".badge")).to_have_text("已停用", timeout=10000)
    Api(server.url, "manager").call("POST", "/api/auth/login", {"username": "tech2", "password": "demo"}, expect=401)
    row.locator("button[data-action=staff-reactivate]").click()
    page.locator("dialog[open]").get_by_role("button", name="重新启用").click()
    expect(row.locator(".badge")).to_have_text("在职", timeout=10000)

    # A new password, set in a dialog; the old one stops working.
    row.locator("button[data-action=staff-password]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name=new_password]").fill("tech2-new-pass")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator("dialog[open]")).to_have_count(0, timeout=10000)
    Api(server.url, "manager").call("POST", "/api/auth/login", {"username": "tech2", "password": "demo"}, expect=401)
    assert Api(server.url, "tech2", "tech2-new-pass").token
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()
