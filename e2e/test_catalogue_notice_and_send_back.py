"""The catalogue between the GM's word and the residents' notice (R-SS-1, R-SS-2, D112): the desk cannot
book an approved item before it is announced, nor quote an approved fee before its notice; the GM sends
a proposal back with a reason and the manager revises it; the manager's form asks for the English name,
the unit and the advance."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_shell import open_desk


def test_an_approved_item_waits_disabled_for_its_notice_and_a_new_fee_is_quoted_once_announced(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    code = f"ac{uuid.uuid4().hex[:6]}"
    manager, gm = Api(server.url, "manager"), Api(server.url, "gm")
    manager.call("POST", "/api/services/items", {"code": code, "name_zh": f"空调加氟{code}", "name_en": "AC refill",
                                                 "fee_cents": 15000, "unit": "per_visit", "promise_minutes": 25})
    gm.call("POST", f"/api/services/items/{code}/approve", {})
    ctx, page = open_desk(browser, server, "dispatcher", "services")
    option = page.locator("[data-view=services] select[name=item_code] option", has_text=f"空调加氟{code}")
    expect(option).to_have_text(f"空调加氟{code}（待公告）", timeout=15000)
    expect(option).to_be_disabled()
    ctx.close()
    manager.call("POST", f"/api/services/items/{code}/announce", {})
    # A fee change approved but not announced: the desk quotes the announced fee.
    manager.call("POST", f"/api/services/items/{code}/price", {"fee_cents": 16000})
    gm.call("POST", f"/api/services/items/{code}/approve", {})
    ctx, page = open_desk(browser, server, "dispatcher", "services")
    option = page.locator("[data-view=services] select[name=item_code] option", has_text=f"空调加氟{code}")
    expect(option).to_have_text(f"空调加氟{code} ¥150.00/次", timeout=15000)
    expect(option).to_be_enabled()
    ctx.close()


def test_the_gm_sends_a_proposal_back_with_a_reason_and_the_manager_revises_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    code = f"sb{uuid.uuid4().hex[:6]}"
    manager = Api(server.url, "manager")
    manager.call("POST", "/api/services/items", {"code": code, "name_zh": f"地毯清洗{code}", "name_en": "Carpet cleaning",
                                                 "fee_cents": 20000, "unit": "per_piece", "promise_minutes": 25})
    ctx, page = open_desk(browser, server, "gm", "approvals")
    row = page.locator(f"tr[data-approval=item][data-item={code}]")
    expect(row).to_contain_text("新项目 ¥200.00/件", timeout=15000)
    row.get_by_test_id("approval-item-send-back").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog.locator(".desk-error")).to_contain_text("退回原因")  # the reason is required
    dialog.get_by_test_id("send-back-reason").fill("收费偏高，请参考市价")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator(f"tr[data-item={code}]")).to_have_count(0, timeout=15000)
    ctx.close()

    ctx, page = open_desk(browser, server, "manager", "approvals")
    returned = page.locator(f"tr[data-approval=returned][data-item={code}]")
    expect(returned.get_by_test_id("approval-sent-back")).to_have_text("已退回：收费偏高，请参考市价", timeout=15000)
    returned.get_by_test_id("approval-go-revise").click()
    row = page.locator("[data-view=services] tr", has_text=f"地毯清洗{code}")
    expect(row.get_by_test_id("svc-sent-back")).to_have_text("已退回：收费偏高，请参考市价", timeout=15000)
    row.get_by_test_id("svc-revise").click()
    dialog = page.locator("dialog[open]")
    fee = dialog.locator("input[name=fee]")
    expect(fee).to_have_value("200.00")
    fee.fill("150")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator("dialog[open]")).to_have_count(0, timeout=15000)
    item = next(i for i in manager.call("GET", "/api/services/items") if i["code"] == code)
    assert (item["status"], item["fee_cents"], item["unit"], item["name_en"]) == ("proposed", 15000, "per_piece", "Carpet cleaning")
    ctx.close()


def test_the_manager_proposes_an_item_with_its_english_name_unit_and_advance(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1 R-SS-2
    code = f"dc{uuid.uuid4().hex[:6]}"
    ctx, page = open_desk(browser, server, "manager", "services")
    form = page.get_by_test_id("svc-propose-form")
    expect(form).to_be_visible(timeout=15000)
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name_zh]").fill(f"深度保洁{code}")
    form.locator("input[name=fee]").fill("300")
    form.locator("select[name=unit]").select_option("per_hour")
    form.locator("select[name=advance]").select_option("prepayment")
    form.locator("button[type=submit]").click()
    # The English name is asked for, not copied from the Chinese one; so is the advance amount.
    expect(form).to_contain_text("英文名称")
    expect(form.locator(".is-missing")).to_have_count(2)
    form.locator("input[name=name_en]").fill("Deep cleaning")
    form.locator("input[name=advance_yuan]").fill("100")
    form.locator("button[type=submit]").click()
    row = page.locator("[data-view=services] tr", has_text=f"深度保洁{code}")
    expect(row).to_contain_text("¥300.00/小时", timeout=15000)
    item = next(i for i in Api(server.url, "manager").call("GET", "/api/services/items") if i["code"] == code)
    assert (item["name_en"], item["unit"], item["advance"], item["advance_cents"]) == ("Deep cleaning", "per_hour", "prepayment", 10000)
    ctx.close()
    # The GM reads the advance in the row it approves.
    ctx, page = open_desk(browser, server, "gm", "approvals")
    expect(page.locator(f"tr[data-approval=item][data-item={code}]")).to_contain_text("新项目 ¥300.00/小时 · 预付 ¥100.00", timeout=15000)
    ctx.close()
