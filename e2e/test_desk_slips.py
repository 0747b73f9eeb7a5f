"""Release slips 放行通知单 at the desk, in a wide browser: the dispatcher issues a slip for the owner
through the form, finds it in the list, opens its QR and print view, and a nanny is refused."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from e2e.test_desk import open_desk


def sign(page: Page, testid: str) -> None:
    """Draw a signature on the signature_pad canvas of the dialog and upload it."""
    page.get_by_test_id(testid).click()
    sign_open_dialog(page)


def sign_open_dialog(page: Page) -> None:
    """Sign in the signature dialog already opened, and upload it."""
    dialog = page.locator("dialog.desk-dialog")
    canvas = dialog.locator("canvas")
    expect(canvas).to_be_visible()
    page.wait_for_timeout(100)  # the pad is created on the next animation frame
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 30, y)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + 30 + i * 18, y + (12 if i % 2 else -12), steps=2)
    page.mouse.up()
    dialog.get_by_test_id("signature-ok").click()
    expect(dialog).to_have_count(0)


def fill_common(page: Page, relation: str, name: str, item: str) -> None:
    form = page.locator(".rs-form")
    expect(form).to_be_visible(timeout=10000)
    form.locator("select[name=building]").select_option(label="1栋")
    form.locator("select[name=unit_id]").select_option(label="1栋-101")
    form.locator("select[name=relation]").select_option(relation)
    form.locator("input[name=requester_name]").fill(name)
    form.locator("select[name=id_type]").select_option("resident_id_card")
    form.locator("input[name=item_name]").first.fill(item)
    form.locator("input[name=gates]").fill("N S")


def test_dispatcher_issues_an_owner_slip_prints_it_and_a_nanny_is_refused(browser: Browser, server) -> None:  # noqa: ANN001
    ctx, page = open_desk(browser, server)
    page.locator(".desk-nav").get_by_role("link", name="放行条").click()
    expect(page.get_by_test_id("slip-list")).to_be_visible(timeout=10000)
    page.get_by_test_id("slip-new").click()

    # 黄业主 is the registered owner of 1栋-101 in the demo: she shows her ID and signs.  # R-RS-2
    fill_common(page, "owner", "黄业主", "冰箱")
    form = page.locator(".rs-form")
    # The desk keeps only the last four characters of the ID, never the full number.  # R-RS-2 (privacy)
    form.locator("input[name=id_last4]").press_sequentially("110101199001011234")
    expect(form.locator("[data-field=id_check] [role=alert]")).to_be_visible()
    expect(form.locator("[data-field=id_check]")).to_contain_text("请勿录入完整证件号码")
    assert len(form.locator("input[name=id_last4]").input_value()) <= 4
    form.locator("input[name=id_last4]").fill("123X")
    form.locator("input[name=item_large]").first.check()  # a large item needs the owner's signature  # R-RS-1
    form.get_by_role("button", name="+ 添加物品").click()
    form.locator("input[name=item_name]").nth(1).fill("纸箱")
    form.locator("input[name=item_qty]").nth(1).fill("3")
    sign(page, "sign-requester")  # R-RS-2: the owner signs
    page.get_by_test_id("slip-submit").click()

    # The new slip: its short code, state and the QR the server signed.
    code_el = page.get_by_test_id("slip-code")
    expect(code_el).to_be_visible(timeout=10000)
    code = code_el.inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{9}", code), code
    expect(page.locator(".rs-detail-head .rs-state")).to_have_text("有效")
    expect(page.get_by_test_id("slip-qr").locator("svg path")).to_have_count(1, timeout=10000)

    # It is in the list, issued, for 1栋-101.
    page.locator(".rs-back").click()
    row = page.get_by_test_id("slip-list").locator("tr.rs-row", has_text=code)
    expect(row).to_be_visible(timeout=10000)
    expect(row).to_contain_text("1栋-101")
    expect(row).to_contain_text("黄业主")
    expect(row).to_contain_text("4 件")
    row.locator("a.rs-code").click()

    # Print: both copies on A6 with the QR, fetched with the bearer token.  # R-RS-4 (two copies)
    expect(page.get_by_test_id("slip-code")).to_have_text(code, timeout=10000)
    with ctx.expect_page() as popup_info:
        page.locator("[data-action=print]").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator(".qr svg")).to_have_count(2, timeout=10000)
    expect(popup.locator(".copy")).to_have_count(2)
    expect(popup.locator("body")).to_contain_text(code)
    popup.close()

    # A nanny is never a household member: without the owner's written authorisation she is refused.  # R-RS-2 R-RS-3
    page.goto(server.url + "/#/slips/new")
    fill_common(page, "nanny", "马保姆", "行李箱")
    page.locator(".rs-form input[name=id_last4]").fill("5678")
    expect(page.locator(".rs-form [data-section=delegate]")).to_be_visible()  # the form asks for the letter  # R-RS-3
    page.get_by_test_id("slip-submit").click()
    error = page.locator(".rs-form-side .rs-error")
    expect(error).to_contain_text("保姆不属于业主家属", timeout=10000)  # R-RS-2
    expect(error).to_contain_text("缺少：业主书面授权委托书")  # R-RS-3
    expect(page.locator(".rs-form [data-field=authorisation]")).to_have_class(re.compile("is-missing"))
    ctx.close()
