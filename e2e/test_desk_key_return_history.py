"""Ending a key loan at the desk and reading a key's loans (R-KY-1): the return is asked for in the
app's own dialog, which also settles an outsider's deposit (a part kept only with its reason); a
key's page lists its loans newest first with who lent and took back and the deposit's outcome; the
desk home of the roles that lend keys says how many are overdue."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.keys import lend_outsider, new_key
from e2e.test_shell import open_desk
from tests.images import signature_png


def _key(desk: Api, label: str) -> dict:
    return new_key(desk, label, building="7栋", floor="3")


def _lend_outsider(server, desk: Api, key_id: str, deposit_cents: int) -> None:  # noqa: ANN001
    lend_outsider(server, desk, key_id, name="装修工 赵六", deposit_cents=deposit_cents, receipt="SJ-9",
                  doc_type="passport")


def _lend_staff(server, desk: Api, key_id: str, user_id: str, due: datetime) -> None:  # noqa: ANN001
    sig = _upload(server.url, desk, signature_png(f"staff-{key_id}-{user_id}"))
    desk.call("POST", f"/api/keys/{key_id}/loans", {
        "borrower_user_id": user_id, "borrower_kind": "staff", "signature_sha256": sig, "due_at": due.isoformat()})


def _on_loan(desk: Api, key_id: str) -> bool:
    [listed] = [k for k in desk.call("GET", "/api/keys") if k["key"]["id"] == key_id]
    return listed["key"]["state"] == "on_loan"


def test_a_return_is_confirmed_first_and_a_kept_deposit_needs_its_reason(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    desk = Api(server.url, "frontdesk")
    key = _key(desk, label)
    _lend_outsider(server, desk, key["id"], 8000)
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)

    # One tap opens the question, not the return: cancelling records nothing.
    row.get_by_test_id("key-return").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(label)
    expect(dialog).to_contain_text("装修工 赵六")
    expect(dialog).to_contain_text("所收押金 ¥80.00（收据号 SJ-9）")
    expect(dialog.locator("input[name=refund]")).to_have_value("80.00")
    expect(dialog.locator("input[name=kept_reason]")).to_be_hidden()  # nothing kept, nothing to explain
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    expect(row.get_by_test_id("key-loan")).to_contain_text("装修工 赵六")
    assert _on_loan(desk, key["id"])

    # Part of the deposit kept: the dialog says the split and will not record it without a reason.
    row.get_by_test_id("key-return").click()
    dialog.locator("input[name=refund]").fill("90")
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("退还金额不能超过所收押金 ¥80.00")
    dialog.locator("input[name=refund]").fill("50")
    expect(dialog.get_by_test_id("key-settle-line")).to_have_text("退还 ¥50.00，扣留 ¥30.00")
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("扣留押金须写明原因")
    assert _on_loan(desk, key["id"])
    dialog.locator("input[name=kept_reason]").fill("钥匙磨损需另配")
    # Money handed back is recorded against its refund receipt.
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("退还押金须登记退款收据号")
    assert _on_loan(desk, key["id"])
    dialog.locator("input[name=refund_receipt_no]").fill("TK-31")
    dialog.get_by_test_id("key-end-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)
    expect(row).to_contain_text("在柜", timeout=10000)

    # The key's own page shows the loan with the deposit's outcome, who settled it and when.
    row.get_by_test_id("key-history-link").click()
    history = page.locator("[data-view=key-history]")
    loans = history.locator("tbody tr")
    expect(loans).to_have_count(1, timeout=10000)
    expect(loans.first).to_contain_text("护照 后四位 1234")
    outcome = loans.first.get_by_test_id("key-deposit-outcome")
    expect(outcome).to_contain_text("¥80.00，收据号 SJ-9")
    expect(outcome).to_contain_text("已退 ¥50.00（退款收据号 TK-31）")
    expect(outcome).to_contain_text("扣留 ¥30.00：钥匙磨损需另配")
    expect(outcome).to_contain_text("李前台")
    ctx.close()


def test_a_keys_page_lists_its_loans_newest_first_and_prints_them(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 水泵房"
    desk, dispatcher = Api(server.url, "frontdesk"), Api(server.url, "dispatcher")
    key = _key(desk, label)
    later = datetime.now(UTC) + timedelta(hours=4)
    _lend_staff(server, desk, key["id"], "usr_tech", later)
    dispatcher.call("POST", f"/api/keys/{key['id']}/return", {})
    _lend_outsider(server, desk, key["id"], 5000)
    dispatcher.call("POST", f"/api/keys/{key['id']}/return", {"refund_cents": 5000, "refund_receipt_no": "TK-5"})
    _lend_staff(server, desk, key["id"], "usr_tech2", later)  # out now

    ctx, page = open_desk(browser, server, "frontdesk", f"keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    expect(history).to_contain_text(label, timeout=15000)
    rows = history.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("刘师傅")  # the newest: still out
    expect(rows.nth(0)).to_contain_text("未还")
    expect(rows.nth(1)).to_contain_text("装修工 赵六")
    expect(rows.nth(1)).to_contain_text("外来人员")
    expect(rows.nth(1)).to_contain_text("已退 ¥50.00")
    expect(rows.nth(2)).to_contain_text("张师傅")
    expect(rows.nth(2)).to_contain_text("经办 王调度")  # who took it back
    expect(rows.nth(2)).to_contain_text("经办 李前台")  # who handed it out
    # Each loan shows the borrower's signature, fetched with the desk's token.
    for i in range(3):
        expect(rows.nth(i).locator("img.key-history-sig")).to_have_js_property("complete", True)
        assert rows.nth(i).locator("img.key-history-sig").evaluate("(img) => img.naturalWidth") > 0

    # On paper: the register's title, every column, no buttons.
    page.emulate_media(media="print")
    expect(history.locator("h1", has_text="钥匙借用登记表")).to_be_visible()
    expect(history.locator("th").last).to_have_text("借用人签名")
    expect(rows.nth(0).locator("img.key-history-sig")).to_be_visible()
    assert history.locator("button, a").evaluate_all("(els) => els.filter((e) => e.offsetParent !== null).length") == 0
    ctx.close()


def test_the_desk_home_shows_the_keys_overdue_to_those_who_lend_keys(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 信报箱"
    desk = Api(server.url, "frontdesk")
    key = _key(desk, label)
    _lend_staff(server, desk, key["id"], "usr_tech", datetime.now(UTC) + timedelta(seconds=2))
    time.sleep(2.5)
    overdue = len(desk.call("GET", "/api/keys/overdue"))
    assert overdue >= 1

    ctx, page = open_desk(browser, server, "frontdesk")
    panel = page.get_by_test_id("keys-overdue")
    expect(panel).to_be_visible(timeout=15000)
    expect(panel.get_by_test_id("keys-overdue-count")).to_have_text(str(overdue))
    expect(panel).to_contain_text(f"{overdue} 把钥匙已过应还时间仍未归还")
    panel.get_by_test_id("keys-overdue-link").click()
    row = page.locator("[data-view=keys] .key-count-table tr", has_text=label)
    expect(row.get_by_test_id("key-loan")).to_contain_text("超期未还", timeout=15000)
    ctx.close()

    # A team lead's desk home does not lend keys: no panel, and no request it would be refused.
    ctx, page = open_desk(browser, server, "lead")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/keys" in r.url else None)
    page.reload()  # the home again, now watched from its first request
    expect(page.locator(".desk-queue")).to_be_visible(timeout=15000)
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("keys-overdue")).to_have_count(0)
    assert asked == []
    ctx.close()
