"""Lost keys and the month's deposits at the desk (R-KY-1): a loss reported by mistake is undone the same
day from the cabinet by the dispatcher (the front desk is not offered it), the loan out again and the undone
report kept, struck through, on the key's page; a key really lost is found again (找回) by the desk and is
back in the cabinet, its loss on record; and the month's count lists each settled deposit, on screen and
on paper, a voided one struck through."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.keys import lend_outsider, new_key
from e2e.test_shell import open_desk


def _key(desk: Api, label: str) -> dict:
    return new_key(desk, label, building="9栋", floor="4")


def _lend_outsider(server, desk: Api, key: dict, name: str, deposit_cents: int, receipt: str) -> dict:  # noqa: ANN001
    return lend_outsider(server, desk, key["id"], name=name, deposit_cents=deposit_cents, receipt=receipt,
                         last4="5678")


def _label() -> str:
    return f"e2e-{uuid.uuid4().hex[:6]} 入户门"


def test_a_loss_reported_by_mistake_is_corrected_from_the_cabinet(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    frontdesk = Api(server.url, "frontdesk")
    key = _key(frontdesk, label)
    _lend_outsider(server, frontdesk, key, "装修工 钱八", 6000, "YJ-61")
    frontdesk.call("POST", f"/api/keys/{key['id']}/lost", {"account": "钥匙遗失", "refund_cents": 0, "kept_reason": "钥匙遗失"})

    # The front desk may record the key found, not undo the report.
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row.get_by_test_id("key-found")).to_be_visible(timeout=15000)
    expect(row.get_by_test_id("key-correct-loss")).to_have_count(0)
    ctx.close()

    ctx, page = open_desk(browser, server, "dispatcher", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    row.get_by_test_id("key-correct-loss").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("钥匙重新记为借给 装修工 钱八")
    expect(dialog).to_contain_text("李前台")
    expect(dialog.get_by_test_id("key-correct-deposit")).to_contain_text("已退 ¥0.00，扣留 ¥60.00")
    dialog.get_by_test_id("key-correct-loss-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明更正原因")
    dialog.locator("textarea[name=correction_reason]").fill("钱八仍持有钥匙，误报遗失")
    dialog.get_by_test_id("key-correct-loss-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)

    # Out on its loan again, with the return button; the voided settlement is listed, struck through.
    expect(row.get_by_test_id("key-return")).to_be_visible(timeout=10000)
    expect(row).to_contain_text("装修工 钱八")
    voided = page.get_by_test_id("key-settlements").locator("tr", has_text=label)
    expect(voided.get_by_test_id("key-settlement-undone")).to_contain_text("已更正，作废：钱八仍持有钥匙，误报遗失 · 王调度")
    assert voided.locator(".key-corrected-was").first.evaluate("(e) => getComputedStyle(e).textDecorationLine") == "line-through"

    # The key's page: the loan row keeps the undone report, and the losses record says corrected.
    page.goto(f"{server.url}/#/keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    corrected = history.get_by_test_id("key-loss-corrected")
    expect(corrected).to_contain_text("已更正：原登记", timeout=15000)
    expect(corrected).to_contain_text("遗失（经办 李前台）")
    expect(corrected).to_contain_text("撤销的押金结算：已退 ¥0.00，扣留 ¥60.00")
    losses = history.get_by_test_id("key-losses-record")
    expect(losses).to_contain_text("借给 装修工 钱八 期间")
    expect(losses).to_contain_text("已更正（误登记） · 原因：钱八仍持有钥匙，误报遗失 · 王调度")
    ctx.close()
    assert frontdesk.call("GET", f"/api/keys/{key['id']}/loans")["key"]["state"] == "on_loan"


def test_a_lost_key_is_found_again_and_back_in_the_cabinet(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    frontdesk = Api(server.url, "frontdesk")
    key = _key(frontdesk, label)
    frontdesk.call("POST", f"/api/keys/{key['id']}/lost", {"account": "钥匙遗失"})
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_contain_text("遗失", timeout=15000)
    row.get_by_test_id("key-found").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(label)
    expect(dialog.get_by_test_id("key-found-mistake")).to_contain_text("更正遗失")
    # Cancelling records nothing; a find says where.
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    assert frontdesk.call("GET", f"/api/keys/{key['id']}/loans")["key"]["state"] == "lost"
    row.get_by_test_id("key-found").click()
    dialog.get_by_test_id("key-found-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明在何处找到、由谁交回")
    dialog.locator("textarea[name=found_note]").fill("保洁在3楼楼梯间拾到交回")
    dialog.get_by_test_id("key-found-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)

    # Back in the cabinet and lendable; this month's count still says a key was reported lost.
    expect(row).to_contain_text("在柜", timeout=10000)
    expect(row.get_by_role("button", name="签名借出")).to_be_visible()
    expect(page.get_by_test_id("key-losses")).to_contain_text("本月登记遗失")
    row.get_by_test_id("key-history-link").click()
    losses = page.locator("[data-view=key-history]").get_by_test_id("key-losses-record")
    expect(losses).to_contain_text("在柜内", timeout=15000)
    expect(losses).to_contain_text("找回（经办 李前台）：保洁在3楼楼梯间拾到交回")
    ctx.close()


def test_the_months_settled_deposits_are_listed_and_printed(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    frontdesk = Api(server.url, "frontdesk")
    key = _key(frontdesk, label)
    _lend_outsider(server, frontdesk, key, "装修工 吴九", 10000, "YJ-91")
    frontdesk.call("POST", f"/api/keys/{key['id']}/return", {"refund_cents": 6000, "kept_reason": "门锁损坏",
                                                             "refund_receipt_no": "TK-91"})
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    section = page.get_by_test_id("key-settlements")
    expect(section.locator("h2")).to_have_text("本月押金结算明细", timeout=15000)
    assert section.locator("th").all_inner_texts() == [
        "结算时间", "钥匙", "借用人", "押金（收据号）", "退还（退款收据号）", "扣留（原因）", "经办"]
    row = section.locator("tr", has_text=label)
    cells = row.locator("td")
    expect(cells.nth(2)).to_contain_text("装修工 吴九")
    expect(cells.nth(2)).to_contain_text("归还")
    expect(cells.nth(3)).to_have_text("¥100.00，收据号 YJ-91")
    expect(cells.nth(4)).to_have_text("¥60.00（TK-91）")
    expect(cells.nth(5)).to_have_text("¥40.00：门锁损坏")
    expect(cells.nth(6)).to_have_text("李前台")
    # On paper, with the sheet, above its signature lines.
    page.emulate_media(media="print")
    expect(row).to_be_visible()
    expect(page.get_by_test_id("key-print-signs")).to_be_visible()
    ctx.close()

    # An ended month's sheet has its own list, recomputed with the count (empty here: nothing settled then).
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    ctx, page = open_desk(browser, server, "frontdesk", f"keys/month/{year}-{month:02d}")
    section = page.locator("[data-view=key-month]").get_by_test_id("key-settlements")
    expect(section.locator("h2")).to_have_text("当月押金结算明细", timeout=15000)
    expect(section).not_to_contain_text(label)
    page.emulate_media(media="print")
    expect(section).to_be_visible()
    ctx.close()
