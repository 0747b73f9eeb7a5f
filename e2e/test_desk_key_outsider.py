"""Lending a key to an outsider at the desk (R-KY-1): the ID shown is recorded as the kind of ID it
is, and the open loan shows the ID and the deposit with its receipt, so whoever takes the key back
knows what to refund."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk_slips import sign_open_dialog
from e2e.test_shell import open_desk


def test_an_outsiders_loan_records_the_id_kind_and_shows_the_deposit_to_refund(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    desk = Api(server.url, "frontdesk")
    key = desk.call("POST", "/api/keys", {"building": "5栋", "floor": "2", "key_type": "resident_entrusted", "label": label})["key"]
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)

    row.locator(f"[data-outsider='{key['id']}']").check()
    # Each box is named on screen, not only by a placeholder that goes once typed in.
    for name in ("外来人员姓名", "证件类型", "证件后四位", "押金（元）", "收据号"):
        expect(row.get_by_text(name, exact=True)).to_be_visible()
    row.locator("input[name=borrower]").fill("快递员 王五")
    row.locator("input[name=phone]").fill("13700001234")
    row.locator("select[name=doc_type]").select_option("passport")
    row.locator("input[name=last4]").fill("9876")
    row.locator("input[name=deposit]").fill("50")
    row.locator("input[name=receipt]").fill("SJ-0002")
    row.get_by_role("button", name="签名借出").click()
    sign_open_dialog(page)

    loan = row.get_by_test_id("key-loan")
    expect(loan).to_contain_text("快递员 王五", timeout=10000)
    expect(loan).to_contain_text("护照 后四位 9876")
    expect(loan).to_contain_text("押金 ¥50.00，收据号 SJ-0002")
    expect(row.get_by_role("button", name="归还（押金 ¥50.00）")).to_be_visible()
    [listed] = [k for k in desk.call("GET", "/api/keys") if k["key"]["id"] == key["id"]]
    assert listed["loan"]["id_shown"] == {"doc_type": "passport", "last4": "9876"}
    assert listed["loan"]["deposit_cents"] == 5000

    # The return is confirmed in a dialog that offers the whole deposit back (D64).
    row.get_by_role("button", name="归还（押金 ¥50.00）").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("input[name=refund]")).to_have_value("50.00")
    dialog.locator("input[name=refund_receipt_no]").fill("TK-0002")  # the refund's own receipt
    dialog.get_by_test_id("key-end-ok").click()
    expect(row).to_contain_text("在柜", timeout=10000)
    ctx.close()


def test_the_desk_records_a_key_lost_after_confirming(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 配电房"
    Api(server.url, "frontdesk").call("POST", "/api/keys", {"building": "6栋", "floor": "B1", "key_type": "plant_room_spare", "label": label})
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    row.get_by_test_id("key-lost").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(label)
    dialog.get_by_role("button", name="取消").click()
    expect(row).to_contain_text("在柜")  # nothing recorded without the confirmation
    row.get_by_test_id("key-lost").click()
    page.locator("dialog[open] textarea[name=loss_account]").fill("挂钩上没有，当班同事未见")  # what happened (D119)
    page.locator("dialog[open]").get_by_role("button", name="登记遗失").click()
    expect(row).to_contain_text("遗失", timeout=10000)
    expect(row.get_by_role("button", name="签名借出")).to_have_count(0)
    ctx.close()


def test_the_monthly_key_count_prints_as_a_signed_sheet_without_the_controls(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    view = page.locator("[data-view=keys]")
    expect(view.get_by_test_id("key-print")).to_be_visible(timeout=15000)
    signs = view.get_by_test_id("key-print-signs")
    expect(signs).to_be_hidden()  # on screen: the working page
    page.emulate_media(media="print")
    expect(view.locator("h1", has_text="钥匙月度盘点表")).to_be_visible()
    expect(view.get_by_test_id("key-count")).to_contain_text("盘点时间")
    expect(signs).to_contain_text("盘点人签字")
    expect(signs).to_contain_text("管理处负责人审阅")
    assert view.locator(".key-count-table th").last.evaluate("(th) => getComputedStyle(th, '::after').content") == '"实物核对"'
    # Nothing to press or fill on paper: the lending boxes, the buttons and the register form are gone.
    for control in ("button", "select", "input"):
        assert view.locator(control).evaluate_all("(els) => els.filter((e) => e.offsetParent !== null).length") == 0, control
    expect(view.get_by_text("钥匙管理", exact=True)).to_be_hidden()
    ctx.close()
