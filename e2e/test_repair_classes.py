"""The desk classifies a repair (R-IN-6) at intake and on the case page, names its own desk, and
shows no rule numbers in what it says to desk staff."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.test_desk import open_desk

RULE_CODE = re.compile(r"R-[A-Z]{2}-\d")


def _undecided_repair(base: str, content: str) -> dict:
    """A repair taken as "to be decided on site" (no responsibility) and opened."""
    desk = Api(base, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "韩业主", "phone": "13800000011",
        "unit_id": "unit_1_101", "content": content})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    return case


def _visible_text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_desk_classifies_repair_then_dispatches(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6 R-FU-4
    case = _undecided_repair(server.url, f"阳台推拉门卡住 {uuid.uuid4().hex[:6]}")
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case['id']}")
    card = page.get_by_test_id("repair-classify")
    facts = card.get_by_test_id("repair-class-facts")
    expect(facts).to_contain_text("待现场判定", timeout=10000)
    expect(facts).to_contain_text("未定类别按一般维修 72 小时内修好")  # R-FU-4: the general limit holds it

    # Verified on site: the owner's private part, urgent. No fee told yet: dispatch is blocked.
    card.locator("select[name=repair_responsibility]").select_option("owner_private")
    card.locator("select[name=repair_class]").select_option("urgent")
    card.get_by_test_id("classify-submit").click()
    expect(facts).to_contain_text("a 业主自用部分 · 有偿", timeout=10000)
    expect(facts).to_contain_text("力争 2 小时内修好，最长不超过 24 小时")
    expect(card.get_by_test_id("fee-told")).to_have_text("尚未告知费用")
    expect(card.get_by_test_id("fee-blocks-dispatch")).to_be_visible()
    page.locator("[data-action=dispatch]").click()
    dialog = page.locator("dialog.desk-dialog")
    dialog.locator("select[name=assignee_id]").select_option(label="陈班长（班组主管）")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog.locator(".desk-error")).to_contain_text("业主自用部分维修须先告知收费标准", timeout=10000)
    dialog.get_by_role("button", name="取消").click()

    # A negative fee: the server's refusal beside the control, in its own words; nothing changes.
    card.locator("input[name=fee_quote]").fill("-5")
    card.get_by_test_id("classify-submit").click()
    expect(card.locator(".desk-error")).to_contain_text("费用不能为负数", timeout=10000)
    expect(card.get_by_test_id("fee-told")).to_have_text("尚未告知费用")

    # The fee told: recorded, shown, and the repair dispatches.
    card.locator("input[name=fee_quote]").fill("50")
    card.get_by_test_id("classify-submit").click()
    expect(card.get_by_test_id("fee-told")).to_have_text("已告知住户 ¥50.00", timeout=10000)
    expect(card.get_by_test_id("fee-blocks-dispatch")).to_have_count(0)
    page.locator("[data-action=dispatch]").click()
    dialog = page.locator("dialog.desk-dialog")
    dialog.locator("select[name=assignee_id]").select_option(label="陈班长（班组主管）")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0, timeout=10000)
    expect(page.get_by_test_id("case-state")).to_have_text("已派工")
    stored = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case['id']}")["case"]
    assert (stored["repair_responsibility"], stored["repair_class"], stored["fee_quote_cents"]) == (
        "owner_private", "urgent", 5000)
    ctx.close()


def test_intake_asks_who_answers_for_a_repair_and_takes_to_be_decided_on_site(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6
    desk = Api(server.url, "dispatcher")
    content = f"客厅吊灯不亮 {uuid.uuid4().hex[:6]}"
    ctx, page = open_desk(browser, server)
    page.goto(server.url + "/#/intake")
    form = page.locator(".desk-intake-form")
    form.locator("input[name=address]").fill("3栋2单元502")
    form.locator("input[name=contact_name]").fill("分类测试")
    form.locator("input[name=phone]").fill("13800000012")
    form.locator("textarea[name=content]").fill(content)
    # Nothing preselected: a repair without a decision on who answers for it is not sent.
    expect(form.locator("select[name=repair_responsibility]")).to_have_value("")
    page.get_by_test_id("intake-submit").click()
    expect(form.locator(".desk-error")).to_contain_text("请选择维修责任；暂时无法判断时选「待现场判定」")
    expect(form.locator("[data-field=repair_responsibility]")).to_have_class(re.compile("is-missing"))
    assert not [c for c in desk.call("GET", "/api/cases?q=" + content.split()[-1]) if c.get("content") == content]

    # A paid class asks for the fee told; "to be decided on site" does not.
    fee = form.locator("[data-field=fee_quote_cents]")
    form.locator("select[name=repair_responsibility]").select_option("owner_private")
    expect(fee).to_be_visible()
    form.locator("select[name=repair_responsibility]").select_option(label="待现场判定")
    expect(fee).to_be_hidden()
    expect(form.locator("select[name=repair_class] option[value='']")).to_have_text("未定（按一般维修 72 小时）")
    page.get_by_test_id("intake-submit").click()
    expect(page.locator(".desk-intake-done")).to_contain_text("已受理", timeout=10000)
    case = next(c for c in desk.call("GET", "/api/cases?limit=20") if c.get("content") == content)
    stored = desk.call("GET", f"/api/cases/{case['id']}")["case"]
    assert stored["repair_responsibility"] is None  # D38: decided on site, recorded as none yet
    ctx.close()


def test_each_desk_role_sees_its_own_desk_named_in_the_header(browser: Browser, server) -> None:  # noqa: ANN001
    for username, title in (("frontdesk", "前台"), ("dispatcher", "调度台"), ("control", "中控室"), ("manager", "经理台")):
        ctx, page = open_desk(browser, server, username)
        expect(page.get_by_test_id("desk-title")).to_have_text(title)
        ctx.close()


def test_case_page_and_intake_show_no_rule_numbers_to_desk_staff(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6
    case = _undecided_repair(server.url, f"厨房插座没电 {uuid.uuid4().hex[:6]}")
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case['id']}")
    expect(page.get_by_test_id("case-clocks").locator("[data-code]").first).to_be_visible(timeout=10000)
    text = _visible_text(page, ".desk-body")
    assert not RULE_CODE.search(text), RULE_CODE.findall(text)
    # The rule stays one hover away for whoever wants it.
    expect(page.get_by_test_id("case-clocks").locator("[title^='R-']").first).to_be_attached()
    for action in ("follow_up", "linked"):
        page.locator(f"[data-action={action}]").click()
        dialog = page.locator("dialog.desk-dialog")
        expect(dialog).to_be_visible()
        assert not RULE_CODE.search(dialog.inner_text()), (action, dialog.inner_text())
        dialog.get_by_role("button", name="取消").click()
    page.goto(server.url + "/#/intake")
    expect(page.locator(".desk-intake-form")).to_be_visible(timeout=10000)
    text = _visible_text(page, ".desk")
    assert not RULE_CODE.search(text), RULE_CODE.findall(text)
    ctx.close()
