"""What the desk records at the key cabinet so a key can be chased (R-KY-1, D119): an outsider's phone, asked
before the signature and shown on the loan; what happened, asked in the loss dialog, in the cabinet or on loan,
and shown on the key's page; and a loan left without a due time falls due inside working hours."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.keys import lend_outsider, new_key
from e2e.test_desk_slips import sign_open_dialog
from e2e.test_shell import open_desk

CST = ZoneInfo("Asia/Shanghai")


def _label() -> str:
    return f"e2e-{uuid.uuid4().hex[:6]} 入户门"


def test_an_outsiders_loan_asks_a_phone_and_falls_due_within_working_hours(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    desk = Api(server.url, "frontdesk")
    key = new_key(desk, label, building="8栋", floor="6")
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    row.locator(f"[data-outsider='{key['id']}']").check()
    expect(row.get_by_text("联系电话", exact=True)).to_be_visible()
    expect(row.get_by_text("应还时间（不填：当天下班时，下班后为次一工作日上班时）", exact=True)).to_be_visible()
    row.locator("input[name=borrower]").fill("送水工 刘某")
    row.locator("input[name=last4]").fill("2233")
    row.locator("input[name=deposit]").fill("30")
    row.locator("input[name=receipt]").fill("SJ-0301")
    # No phone: refused before the signature is asked, naming the phone.
    row.get_by_role("button", name="签名借出").click()
    expect(row.locator(".desk-error")).to_contain_text("联系电话")
    expect(page.locator("dialog.desk-dialog canvas")).to_have_count(0)
    row.locator("input[name=phone]").fill("139 0000 1111")
    row.get_by_role("button", name="签名借出").click()
    sign_open_dialog(page)
    loan = row.get_by_test_id("key-loan")
    expect(loan).to_contain_text("电话 139 0000 1111", timeout=10000)

    [listed] = [k for k in desk.call("GET", "/api/keys") if k["key"]["id"] == key["id"]]
    assert listed["loan"]["borrower_phone"] == "139 0000 1111"
    # Due at a working-hours boundary (the demo compound: 08:30-17:30), never "4 hours later" at night.
    due = datetime.fromisoformat(listed["loan"]["due_at"]).astimezone(CST)
    assert (due.hour, due.minute) in ((17, 30), (8, 30)), due
    ctx.close()


def test_a_loss_in_the_cabinet_asks_what_happened_and_the_key_page_shows_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    desk = Api(server.url, "frontdesk")
    new_key(desk, label, building="8栋", floor="7")
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    row.get_by_test_id("key-lost").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_text("经过", exact=True)).to_be_visible()
    dialog.get_by_test_id("key-lost-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明遗失经过")
    expect(row).to_contain_text("在柜")  # nothing recorded
    dialog.locator("textarea[name=loss_account]").fill("月末清点时挂钩上没有，已问过当班同事")
    dialog.get_by_test_id("key-lost-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)
    expect(row).to_contain_text("遗失", timeout=10000)

    row.get_by_test_id("key-history-link").click()
    expect(page.get_by_test_id("key-losses-record")).to_contain_text("经过：月末清点时挂钩上没有，已问过当班同事", timeout=10000)
    ctx.close()


def test_a_key_lost_on_loan_asks_what_happened_with_the_deposit(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = _label()
    desk = Api(server.url, "frontdesk")
    key = new_key(desk, label, building="8栋", floor="8")
    lend_outsider(server, desk, key["id"], name="装修工 郑十", deposit_cents=5000, receipt="YJ-88")
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row.get_by_test_id("key-loan")).to_contain_text("电话 13800138000", timeout=15000)
    row.get_by_test_id("key-lost").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明遗失经过")
    dialog.locator("textarea[name=loss_account]").fill("郑十称钥匙在工地遗失")
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)
    expect(row).to_contain_text("遗失", timeout=10000)
    [listed] = [k for k in desk.call("GET", "/api/keys") if k["key"]["id"] == key["id"]]
    assert listed["key"]["losses"][-1]["account"] == "郑十称钥匙在工地遗失"
    ctx.close()
