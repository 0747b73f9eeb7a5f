"""The desk drafts a work-contact slip 工作联系单 for a developer's legacy defect, is stopped from
sending it unverified, records the on-site verification, sends it and opens its A4 print view (R-IN-6 d)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk

SLIP_NO = re.compile(r"^LX\d{8}-\d{3}$")


def test_desk_creates_verifies_issues_and_prints_a_contact_slip(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6
    content = f"卧室外墙渗水，墙面发霉 {uuid.uuid4().hex[:6]}"
    case = Api(server.url, "dispatcher").call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "韩业主", "phone": "13800000011",
        "unit_id": "unit_1_101", "content": content, "repair_responsibility": "developer_defect"})["case"]
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case['id']}")
    card = page.get_by_test_id("contact-slip")
    expect(card).to_contain_text("尚未发工作联系单", timeout=10000)

    # The draft starts from the case: what was reported, where, the usual addressee.
    card.get_by_test_id("lx-new").click()
    form = card.get_by_test_id("lx-new-form")
    expect(form.locator("textarea[name=description]")).to_have_value(content)
    expect(form.locator("input[name=addressee]")).to_have_value("开发商售后服务部")
    expect(form.locator("input[name=location]")).to_have_value(case["address"])
    form.locator("input[name=addressee]").fill("某某地产售后服务部")
    form.get_by_test_id("lx-new-form-submit").click()
    slip = card.get_by_test_id("lx-slip")
    expect(slip.get_by_test_id("lx-state")).to_have_text("草稿", timeout=10000)
    expect(slip.get_by_test_id("lx-not-verified")).to_be_visible()

    # Not verified on site: the server refuses, in its own words, beside the slip.
    slip.get_by_test_id("lx-issue").click()
    slip.get_by_test_id("lx-issue-confirm").click()
    expect(slip.locator(".desk-error")).to_contain_text("发出前须先现场核实", timeout=10000)
    expect(slip.get_by_test_id("lx-state")).to_have_text("草稿")

    slip.get_by_test_id("lx-verify").click()
    verify = slip.get_by_test_id("lx-verify-form")
    verify.locator("input[name=verified_by]").fill("陈班长")
    verify.locator("textarea[name=note]").fill("卧室外墙窗框下方渗水，属交房遗留问题")
    verify.get_by_test_id("lx-verify-submit").click()
    expect(slip.get_by_test_id("lx-verification")).to_contain_text("陈班长", timeout=10000)

    slip.get_by_test_id("lx-issue").click()
    slip.get_by_test_id("lx-issue-confirm").click()
    expect(slip.get_by_test_id("lx-state")).to_have_text("已发出，待回复", timeout=10000)
    no = slip.get_by_test_id("lx-no").inner_text().strip()
    assert SLIP_NO.match(no), no
    # The case header follows the open slip up until the developer answers.
    expect(page.get_by_test_id("contact-slip-badge")).to_have_text(f"联系单待回复 {no}")
    expect(page.locator(".desk-timeline")).to_contain_text("工作联系单发出")

    slip.get_by_test_id("lx-print").click()
    sheet = page.get_by_test_id("contact-slip-print")
    expect(sheet).to_be_visible(timeout=10000)
    expect(sheet.get_by_test_id("lx-print-no")).to_have_text(no)
    expect(sheet.get_by_test_id("lx-print-addressee")).to_have_text("某某地产售后服务部")
    expect(sheet).to_contain_text("工作联系单")
    expect(sheet).to_contain_text(content)
    expect(sheet).to_contain_text("发件人（签字）")
    expect(sheet).to_contain_text("开发商签收（签字/盖章）")
    assert sheet.get_by_test_id("lx-print-company").inner_text().strip()

    # The case list on the desk's home flags it too, so the desk follows the developer up.
    page.goto(f"{server.url}/#/")
    row = page.locator(f"[data-testid=case-list] tr[data-case='{case['id']}']")
    expect(row.get_by_test_id("contact-slip-badge")).to_have_text(f"联系单待回复 {no}", timeout=10000)
    ctx.close()


def test_a_paid_repair_shows_no_contact_slip_card_and_its_history_says_the_fee_told(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6
    # "工作联系单 — 尚未发工作联系单" on an owner-paid (a) repair: the card is for (d) only; the intake
    # entry left out the ¥80 told (D96).
    case = Api(server.url, "dispatcher").call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "李先生", "phone": "13800001111",
        "unit_id": "unit_1_101", "content": f"卧室空调不制冷 {uuid.uuid4().hex[:6]}",
        "repair_responsibility": "owner_private", "repair_class": "small", "fee_quote_cents": 8000})["case"]
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case['id']}")
    expect(page.locator(".desk-timeline")).to_contain_text("登记为报修，维修责任：a 业主自用部分 · 有偿，已告知收费 ¥80.00", timeout=10000)
    expect(page.get_by_test_id("repair-classify")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("contact-slip")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("尚未发工作联系单")
    page.locator(".btn-lang").click()
    expect(page.locator(".desk-timeline")).to_contain_text("fee told: ¥80.00", timeout=10000)
    ctx.close()
