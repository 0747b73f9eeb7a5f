"""A deposit kept for a key lost on loan, handed back once the key is found (R-KY-1, D86): the desk records
the key found from the cabinet, then refunds the kept deposit from the key's loans against its refund
receipt, with the reason; the loan row says so and the month's settled deposits list it as its own entry,
in Chinese and in English."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.keys import lend_outsider, new_key
from e2e.test_shell import desk_in, open_desk


def _lost_on_loan(server, desk: Api, label: str, name: str) -> dict:  # noqa: ANN001
    """Lent to an outsider against ¥80.00 and lost, the whole deposit kept."""
    key = new_key(desk, label, building="10栋", floor="3")
    lend_outsider(server, desk, key["id"], name=name, deposit_cents=8000, receipt="YJ-K1", last4="2468")
    desk.call("POST", f"/api/keys/{key['id']}/lost", {"account": "钥匙遗失", "refund_cents": 0, "kept_reason": "钥匙遗失"})
    return key


def test_a_key_found_again_has_its_kept_deposit_refunded_from_its_loans(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    frontdesk = Api(server.url, "frontdesk")
    key = _lost_on_loan(server, frontdesk, label, "装修工 郑十")

    # Not offered while the key is still lost.
    ctx, page = open_desk(browser, server, "frontdesk", f"keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    expect(history.locator("tbody tr").first).to_contain_text("扣留 ¥80.00", timeout=15000)
    expect(history.get_by_test_id("key-refund-kept")).to_have_count(0)

    # Found from the key's page, then the refund is offered on the loan it was lost on.
    history.get_by_test_id("key-found").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name=found_note]").fill("郑十在车里找到后交回")
    dialog.get_by_test_id("key-found-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)
    history.get_by_test_id("key-refund-kept").click()
    expect(dialog).to_contain_text("扣留押金 ¥80.00（钥匙遗失）")
    expect(dialog.locator("input[name=refund]")).to_have_value("80.00")
    # The receipt and the reason are asked before anything is sent; more than was kept is refused.
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("退还押金须登记退款收据号")
    dialog.locator("input[name=refund_receipt_no]").fill("TK-K1")
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明退还原因")
    dialog.locator("textarea[name=refund_reason]").fill("钥匙找回，扣除换锁芯费用后退还")
    dialog.locator("input[name=refund]").fill("80.01")
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请填写退还金额，且不超过扣留的 ¥80.00")
    dialog.locator("input[name=refund]").fill("50")
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)

    row = history.locator("tbody tr").first
    refunded = row.get_by_test_id("key-kept-refunded")
    expect(refunded).to_contain_text("找回后退还 ¥50.00（退款收据号 TK-K1）：钥匙找回，扣除换锁芯费用后退还", timeout=10000)
    expect(refunded).to_contain_text("李前台")
    expect(row).to_contain_text("扣留 ¥80.00")  # the loss's settlement stands
    expect(history.get_by_test_id("key-refund-kept")).to_have_count(0)  # once
    # On paper with the register, the button never.
    page.emulate_media(media="print")
    expect(refunded).to_be_visible()
    page.emulate_media(media="screen")

    # The month's settled deposits list the refund as its own entry, taken off what was kept.
    page.goto(f"{server.url}/#/keys")
    entry = page.get_by_test_id("key-settlements").locator("tr", has_text=label).filter(has_text="TK-K1")
    expect(entry.get_by_test_id("key-settlement-entry")).to_have_text("找回后退还扣留押金", timeout=15000)
    expect(entry.locator("td").nth(4)).to_have_text("¥50.00（TK-K1）")
    expect(entry.locator("td").nth(5)).to_have_text("-¥50.00（退还扣留）：钥匙找回，扣除换锁芯费用后退还")
    expect(page.get_by_test_id("key-kept-refunded")).to_contain_text("其中找回后退还扣留押金")
    ctx.close()
    [loan] = frontdesk.call("GET", f"/api/keys/{key['id']}/loans")["loans"]
    assert loan["kept_refund"]["refunded_cents"] == 5000 and loan["kept_refundable"] is False


def test_the_kept_deposit_refund_reads_in_english(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} door"
    frontdesk = Api(server.url, "frontdesk")
    key = _lost_on_loan(server, frontdesk, label, "Fitter Wang")
    frontdesk.call("POST", f"/api/keys/{key['id']}/found", {"note": "brought back by the borrower"})
    page = desk_in(browser, server, "en", "frontdesk", route=f"keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    button = history.get_by_test_id("key-refund-kept")
    expect(button).to_have_text("Refund kept deposit", timeout=15000)
    button.click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".dialog-title")).to_have_text("Refund the deposit kept, key found")
    expect(dialog).to_contain_text("¥80.00 of the deposit was kept")
    dialog.locator("input[name=refund_receipt_no]").fill("TK-E1")
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("Give the reason for the refund")
    dialog.locator("textarea[name=refund_reason]").fill("key found")
    dialog.get_by_test_id("key-refund-kept-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)
    expect(history.get_by_test_id("key-kept-refunded")).to_contain_text(
        "Refunded ¥80.00 after the key was found (refund receipt TK-E1): key found", timeout=10000)
    page.context.close()
