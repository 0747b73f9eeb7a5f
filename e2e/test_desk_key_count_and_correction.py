"""The key cabinet's corrections and counts at the desk (R-KY-1): a return recorded by mistake is undone
from the key's loans after a dialog that asks the reason and says the deposit settlement goes with it,
the undone return staying on the register as corrected; an ended month's sheet records the physical
count (who counted, the witness, when, what differed) once, on screen and on paper, and its counter amends
it the same day, the first entry kept struck through (D86); the running month's count is recorded on the
cabinet's page from its 30th, the day the seed has it handed in (003 4.5.6)."""

from __future__ import annotations

import calendar
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Route, expect

from e2e.api import Api
from e2e.keys import lend_outsider, new_key
from e2e.test_shell import open_desk


def _lent_and_returned(server, desk: Api, label: str) -> dict:  # noqa: ANN001
    key = new_key(desk, label, building="8栋", floor="2")
    lend_outsider(server, desk, key["id"], name="装修工 孙七", deposit_cents=8000, receipt="YJ-77", last4="4321")
    desk.call("POST", f"/api/keys/{key['id']}/return", {"refund_cents": 8000, "refund_receipt_no": "TK-9"})
    return key


def test_a_return_recorded_by_mistake_is_corrected_from_the_keys_loans(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    frontdesk = Api(server.url, "frontdesk")
    key = _lent_and_returned(server, frontdesk, label)

    # The front desk reads the loans but is not offered the correction (the route is the dispatcher's
    # and the manager's).
    ctx, page = open_desk(browser, server, "frontdesk", f"keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    expect(history.locator("tbody tr")).to_have_count(1, timeout=15000)
    expect(history).to_contain_text("已退 ¥80.00（退款收据号 TK-9）")
    expect(history.get_by_test_id("key-correct")).to_have_count(0)
    ctx.close()

    ctx, page = open_desk(browser, server, "dispatcher", f"keys/{key['id']}")
    history = page.locator("[data-view=key-history]")
    row = history.locator("tbody tr").first
    expect(row).to_contain_text("李前台", timeout=15000)
    row.get_by_test_id("key-correct").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("装修工 孙七")
    expect(dialog.get_by_test_id("key-correct-deposit")).to_contain_text("已退 ¥80.00，扣留 ¥0.00，退款收据号 TK-9")
    # Cancelling records nothing.
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    assert frontdesk.call("GET", f"/api/keys/{key['id']}/loans")["key"]["state"] == "in_store"

    row.get_by_test_id("key-correct").click()
    dialog.get_by_test_id("key-correct-ok").click()
    expect(dialog.locator(".desk-error")).to_contain_text("请写明更正原因")
    dialog.locator("textarea[name=correction_reason]").fill("登记错了钥匙，孙七尚未交回")
    dialog.get_by_test_id("key-correct-ok").click()
    expect(dialog).to_have_count(0, timeout=10000)

    # The loan is out again; the undone return stays on it, struck through, with why and by whom.
    expect(row).to_contain_text("未还", timeout=10000)
    corrected = row.get_by_test_id("key-corrected")
    expect(corrected).to_contain_text("已更正：原登记")
    expect(corrected).to_contain_text("经办 李前台")
    expect(corrected).to_contain_text("原因：登记错了钥匙，孙七尚未交回 · 王调度")
    expect(corrected).to_contain_text("撤销的押金结算：已退 ¥80.00，扣留 ¥0.00，退款收据号 TK-9")
    assert corrected.locator(".key-corrected-was").evaluate("(e) => getComputedStyle(e).textDecorationLine") == "line-through"
    expect(row.get_by_test_id("key-correct")).to_have_count(0)
    listed = frontdesk.call("GET", f"/api/keys/{key['id']}/loans")
    assert listed["key"]["state"] == "on_loan" and listed["loans"][0]["deposit_settlement"] is None

    # On paper: the correction prints with the register, the button does not.
    page.emulate_media(media="print")
    expect(corrected).to_be_visible()
    assert history.locator("button, a").evaluate_all("(els) => els.filter((e) => e.offsetParent !== null).length") == 0
    ctx.close()


def test_an_ended_months_physical_count_is_recorded_once_and_printed(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    route = f"keys/month/{year}-{month:02d}"
    ctx, page = open_desk(browser, server, "frontdesk", route)
    view = page.locator("[data-view=key-month]")
    form = view.get_by_test_id("key-physical-form")
    expect(form).to_be_visible(timeout=15000)

    # The verdict is asked, and a mismatch says what differed, before anything is sent.
    form.get_by_test_id("key-physical-ok").click()
    expect(form.locator(".desk-error")).to_contain_text("请选择实物与登记是否一致")
    form.get_by_label("实物与登记不符").check()
    form.get_by_test_id("key-physical-ok").click()
    expect(form.locator(".desk-error")).to_contain_text("实物与登记不符时须写明差异")
    form.locator("textarea[name=discrepancy]").fill("3栋 信报箱总钥匙 不在柜内，已报遗失")
    form.locator("input[name=witness_name]").fill("保安 陈某")
    form.get_by_test_id("key-physical-ok").click()

    physical = view.get_by_test_id("key-physical")
    expect(physical.locator("tbody tr")).to_have_count(1, timeout=10000)
    expect(form).to_have_count(0)
    row = physical.locator("tbody tr")
    expect(row.locator("td").nth(0)).to_have_text("李前台")  # the signed-in counter
    expect(row.locator("td").nth(1)).to_have_text("保安 陈某")
    expect(row.locator("td").nth(3)).to_have_text("实物与登记不符：3栋 信报箱总钥匙 不在柜内，已报遗失")
    assert physical.locator("th").all_inner_texts() == ["盘点人", "见证人", "盘点时间", "差异说明"]

    # A second count of the month is refused with its own code; the page shows the first one again.
    answer = Api(server.url, "dispatcher").call("POST", f"/api/keys/counts/{year}/{month}/physical",
                                                {"matches_register": True}, expect=409)
    assert answer["code"] == "key.count_already_recorded"
    page.reload()
    expect(physical.locator("tbody tr td").nth(0)).to_have_text("李前台", timeout=15000)
    expect(view.get_by_test_id("key-physical-form")).to_have_count(0)

    # The counter amends it the same day (D86): the reason is asked, the first entry stays struck through.
    physical.get_by_test_id("key-physical-amend").click()
    amend = physical.get_by_test_id("key-physical-amend-form")
    expect(amend.locator("textarea[name=amend_discrepancy]")).to_have_value("3栋 信报箱总钥匙 不在柜内，已报遗失")
    amend.get_by_label("实物与登记一致").check()
    amend.get_by_test_id("key-physical-amend-ok").click()
    expect(amend.locator(".desk-error")).to_contain_text("请写明更正原因")
    amend.locator("textarea[name=amend_discrepancy]").fill("")
    amend.locator("textarea[name=amend_reason]").fill("信报箱钥匙在维修班，已核对")
    amend.get_by_test_id("key-physical-amend-ok").click()
    expect(row.get_by_test_id("key-physical-verdict")).to_have_text("实物与登记一致", timeout=10000)
    amended = row.get_by_test_id("key-physical-amended")
    expect(amended).to_contain_text("已更正：原登记 实物与登记不符：3栋 信报箱总钥匙 不在柜内，已报遗失")
    expect(amended).to_contain_text("原因：信报箱钥匙在维修班，已核对 · 李前台")
    assert amended.locator(".key-corrected-was").evaluate("(e) => getComputedStyle(e).textDecorationLine") == "line-through"
    # Not the dispatcher's: the counter's or a manager's (the server says who may, today).
    answer = Api(server.url, "dispatcher").call("POST", f"/api/keys/counts/{year}/{month}/physical/amend",
                                                {"matches_register": True, "reason": "x"}, expect=403)
    assert answer["code"] == "key.count_not_amender"
    expect(view.get_by_test_id("key-xlsx")).to_have_text("导出 XLSX")

    # On paper: the four headings with what was recorded, above the sheet's signature lines.
    page.emulate_media(media="print")
    expect(physical.locator("table")).to_be_visible()
    expect(physical).to_contain_text("保安 陈某")
    expect(amended).to_be_visible()
    expect(physical.get_by_test_id("key-physical-amend")).to_be_hidden()
    expect(view.get_by_test_id("key-print-signs")).to_be_visible()
    ctx.close()

    # A month is counted from its 30th (003 4.5.6): next month's is not open yet, whatever today is.
    ny, nm = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    answer = Api(server.url, "frontdesk").call("POST", f"/api/keys/counts/{ny}/{nm}/physical",
                                               {"matches_register": True}, expect=400)
    assert answer["code"] == "key.count_month_open" and answer["details"]["opens_on"].startswith(f"{ny}-{nm:02d}-")


def test_this_months_count_is_offered_on_the_cabinet_page_when_the_server_says_its_day_has_come(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    # The server decides from its own clock (tests/integration/test_key_deposit_book_and_count_day.py); here the
    # page is shown next month's answer, whose 30th has not come whatever today is, so both answers are seen.
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    ny, nm = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(30, calendar.monthrange(ny, nm)[1])
    answer = {"year": ny, "month": nm, "physical": None, "physical_opens_on": f"{ny}-{nm:02d}-{day:02d}",
              "physical_recordable": False}

    def as_next_month(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), **answer})

    ctx, page = open_desk(browser, server, "frontdesk")
    # On the context: once the service worker controls the page, its fetches pass the context's routes only.
    ctx.route("**/api/keys/count", as_next_month)
    page.goto(f"{server.url}/#/keys")
    view = page.locator("[data-view=keys]")
    form = view.get_by_test_id("key-physical-form")
    # Before its 30th the page says from when, and offers no form.
    shown = f"{nm:02d}/{day:02d}" if ny == local.year else f"{ny}/{nm:02d}/{day:02d}"
    expect(view.get_by_test_id("key-physical-opens")).to_have_text(f"本月实物盘点自 {shown}（上报日）起登记。",
                                                                   timeout=15000)
    expect(form).to_have_count(0)

    # From it the form is on the cabinet's page and records that month's count; a refusal is read where it was
    # typed (the server's clock has the last word: next month's 30th has not come).
    answer["physical_recordable"] = True
    page.reload()
    expect(form).to_be_visible(timeout=15000)
    expect(view.get_by_test_id("key-physical-opens")).to_have_count(0)
    form.get_by_label("实物与登记一致").check()
    form.get_by_test_id("key-physical-ok").click()
    expect(form.locator(".desk-error")).to_contain_text(f"{ny}年{nm}月的实物盘点自{nm}月{day}日起登记")
    ctx.close()
