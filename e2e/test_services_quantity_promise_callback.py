"""The special-service booking's quantity and notes, the consent to the total told, the tried leads
asked up front, the promise after dispatch, and a repair's call-back from its case page (D100).

R-SS-2 (the fee told and consented before dispatch), R-DI-1 (the team lead first), R-FU-7 (the
resident's arrival promise), R-FU-6 / R-RV-2 (the call-back, its survey area).
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.repairs import completed_repair
from e2e.test_desk import open_desk


def _booking(server, resident: str) -> dict:  # noqa: ANN001
    views = Api(server.url, "dispatcher").call("GET", "/api/services/bookings")
    return next(v for v in views if v["booking"]["resident_name"] == resident)


def _book(page: Page, server, resident: str, *, item: str = "家电清洗 ¥120.00/件", quantity: str | None = None,  # noqa: ANN001
          notes: str = "") -> None:
    page.goto(server.url + "/#/services")
    page.locator("select[name=item_code]").select_option(label=item)
    if quantity is not None:
        page.locator("input[name=quantity]").fill(quantity)
    page.locator("input[name=resident_name]").fill(resident)
    page.locator("select[name=building]").select_option(label="2栋")
    page.locator("select[name=unit_id]").select_option(label="2栋-201")
    page.locator("input[name=phone]").fill("13700007777")
    if notes:
        page.locator("textarea[name=content]").fill(notes)
    page.get_by_role("button", name="预约登记").click()
    expect(page.locator("tr", has_text=resident).get_by_test_id("svc-booking-no")).to_be_visible(timeout=10000)


def test_a_booking_quotes_a_quantity_and_the_consent_states_the_total_and_is_confirmed(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-2 R-FU-7
    resident = f"黄先生{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(server.url + "/#/services")
    # A per-visit item takes no quantity; a per-piece one asks how many pieces.
    page.locator("select[name=item_code]").select_option(label="开锁 ¥50.00/次")
    expect(page.locator("input[name=quantity]")).to_be_hidden()
    page.locator("select[name=item_code]").select_option(label="家电清洗 ¥120.00/件")
    expect(page.locator("input[name=quantity]")).to_be_visible()
    expect(page.locator("label", has=page.locator("input[name=quantity]"))).to_contain_text("数量（件）")
    _book(page, server, resident, quantity="3", notes="客厅空调两台、洗衣机一台")
    row = page.locator("tr", has_text=resident)
    expect(row.get_by_test_id("svc-told-fee")).to_have_text("¥360.00（¥120.00/件 × 3）")
    expect(row.get_by_test_id("svc-booking-notes")).to_have_text("客厅空调两台、洗衣机一台")
    consent = row.get_by_test_id("svc-consent")
    expect(consent).to_contain_text("¥360.00（¥120.00/件 × 3）")
    expect(consent).to_contain_text("25 分钟内上门")

    # One click records nothing: the desk confirms what it told the resident first.
    consent.click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(f"已向 {resident} 2栋-201 告知：收费 ¥360.00（¥120.00/件 × 3），25 分钟内上门")
    dialog.get_by_role("button", name="取消").click()
    assert _booking(server, resident)["booking"]["consent_at"] is None
    consent.click()
    page.locator("dialog[open]").get_by_role("button", name="住户同意，记录").click()
    # The toast says what was recorded, not just "saved".
    expect(page.locator("#toast")).to_contain_text(re.compile(r"已记录：住户同意收费 ¥360\.00（¥120\.00/件 × 3），承诺 \d\d/\d\d \d\d:\d\d 前到达"))
    b = _booking(server, resident)["booking"]
    assert (b["quoted_quantity"], b["told_fee_cents"]) == (3, 36000) and b["consent_at"]
    ctx.close()


def test_the_tried_leads_are_asked_up_front_and_the_promise_stays_after_dispatch(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1 R-FU-7
    resident = f"钟女士{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    _book(page, server, resident, item="疏通下水道 ¥80.00/次")
    row = page.locator("tr", has_text=resident)
    row.get_by_test_id("svc-consent").click()
    page.locator("dialog[open]").get_by_role("button", name="住户同意，记录").click()
    expect(row.get_by_test_id("svc-arrive-by")).to_contain_text("前到达", timeout=10000)
    expect(row.get_by_test_id("svc-promise")).to_contain_text("进行中")
    before = row.get_by_test_id("svc-arrive-by").inner_text()

    # Choosing a technician asks which leads were tried, beside the choice, before 派工 is clicked.
    tried = row.get_by_test_id("tried-leads")
    row.locator("select[name=assignee]").select_option(label="张师傅（维修工）")
    expect(tried).to_be_visible()
    expect(tried).to_contain_text("已尝试但未联系上的主管")
    expect(tried.get_by_label("陈班长")).to_be_visible()
    # The team lead himself: nobody to record as not reached.
    row.locator("select[name=assignee]").select_option(label="陈班长（班组主管）")
    expect(tried).to_be_hidden()
    row.get_by_role("button", name="派工").click()
    expect(row.get_by_test_id("svc-case-link")).to_be_visible(timeout=10000)
    # Dispatched: the promise is still there, with its state (was blank).
    expect(row.get_by_test_id("svc-arrive-by")).to_have_text(before)
    expect(row.get_by_test_id("svc-promise")).to_have_attribute("data-state", "running")
    expect(row.get_by_test_id("svc-promise")).to_contain_text("进行中")
    ctx.close()


def test_the_case_dialog_asks_the_tried_leads_with_the_same_chooser(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"门锁松动 {uuid.uuid4().hex[:4]}", "repair_responsibility": "common",
        "repair_class": "small"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    page.locator("[data-action=dispatch]").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_test_id("tried-leads")).to_be_visible()
    dialog.locator("select[name=assignee_id]").select_option(label="陈班长（班组主管）")
    expect(dialog.get_by_test_id("tried-leads")).to_be_hidden()
    dialog.locator("select[name=assignee_id]").select_option(label="张师傅（维修工）")
    dialog.get_by_role("checkbox", name="陈班长").check()
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator(".desk-wos")).to_contain_text("未联系上", timeout=10000)
    ctx.close()


def test_a_repairs_call_back_is_made_from_its_case_page_on_building_repair(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-6 R-RV-2
    content = f"卫生间地漏堵塞 {uuid.uuid4().hex[:4]}"
    case_id = completed_repair(server.url, content)
    ctx, page = open_desk(browser, server, "dispatcher")
    # The desk home counts the call-backs due and links each case.
    panel = page.get_by_test_id("callbacks-due")
    expect(panel).to_be_visible(timeout=15000)
    expect(panel.get_by_test_id("callbacks-due-count")).to_have_text(re.compile(r"^\d+$"))
    case_no = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["no"]
    link = panel.get_by_test_id("callbacks-due-case").filter(has_text=case_no)
    if link.count():
        link.click()
    else:  # more than five due on the shared server: the case page itself
        page.goto(f"{server.url}/#/case/{case_id}")
    card = page.get_by_test_id("case-callback")
    expect(card).to_be_visible(timeout=15000)
    # The area is the case's, 房屋维修保养 for a repair, not 综合评议.
    expect(card.locator("select[name=area]")).to_have_value("building_repair")
    expect(card.locator("select[name=grade]")).to_have_value("")
    card.locator("select[name=grade]").select_option("A")
    card.locator("input[name=comment]").fill("已修好")
    card.get_by_test_id("cb-record").click()
    expect(page.locator("#toast")).to_contain_text("回访已记录：房屋维修保养 A")
    expect(card.get_by_test_id("cb-done")).to_contain_text("房屋维修保养 A", timeout=10000)
    task = next(c for c in Api(server.url, "dispatcher").call("GET", f"/api/callbacks?case_id={case_id}"))
    assert task["grades"] == {"building_repair": "A"} and task["called_back_at"]
    ctx.close()
