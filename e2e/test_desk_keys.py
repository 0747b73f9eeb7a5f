"""The key cabinet at the desk (R-KY-1): a refused 签名借出 shows beside the key's own row, not in the
page's error box above the table, which is off screen once the desk has scrolled down to the key."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk_slips import sign_open_dialog
from e2e.test_shell import open_desk


def test_a_refused_key_loan_shows_beside_its_row(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    Api(server.url, "frontdesk").call("POST", "/api/keys", {
        "building": "3栋", "floor": "9", "key_type": "resident_entrusted", "label": label})
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    view = page.locator("[data-view=keys]")
    page_error = view.locator(":scope > .desk-error")
    row = view.locator("tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    row_error = row.locator(".rpt-row-error")

    # No staff member picked: said at the row, before anyone signs.  # R-KY-1
    row.get_by_role("button", name="签名借出").click()
    expect(row_error).to_contain_text("请先选择借钥匙的员工")
    expect(row_error).to_be_in_viewport()
    expect(page_error).to_be_hidden()

    # The server refuses (a return time before the loan): its words are at the row too.
    row.locator("select[name=borrower_user]").select_option("usr_tech")
    row.locator("input[name=due]").fill("2020-01-01T10:00")
    row.get_by_role("button", name="签名借出").click()
    sign_open_dialog(page)
    expect(row_error).to_contain_text("归还时间须晚于借出时间", timeout=10000)
    expect(row_error).to_be_in_viewport()
    expect(page_error).to_be_hidden()
    expect(row).to_contain_text("在柜")  # nothing was lent
    ctx.close()
