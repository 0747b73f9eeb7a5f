"""The cashier's phone and the printed settlement statement (R-SS-3), and desk tables on a phone.

The cashier and the front desk often work from a 360 px phone: a table there must not hide its
buttons past the right edge. Once money passes the cashier, the desk prints a 结算单 whose every
figure is one the server recorded.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from e2e import bookings
from e2e.api import Api
from e2e.conftest import DESK, PHONE
from e2e.test_shell import login


def _desk_at(browser: Browser, server, username: str, viewport: dict):  # noqa: ANN001, ANN201
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, username)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    return ctx, page


def _inside_viewport(page: Page, locator) -> None:  # noqa: ANN001
    """The element is on screen once the page is scrolled down to it. Only the page scrolls, and only
    vertically: Playwright's scroll-into-view would also slide a table's own scroll box sideways,
    which a cashier's thumb does not do."""
    box = locator.evaluate("""el => {
        window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - innerHeight / 2);
        const r = el.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height};
    }""")
    width, height = page.evaluate("[innerWidth, innerHeight]")
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), page.evaluate(
        "[document.scrollingElement.scrollWidth, innerWidth]")


def test_cashier_collects_settlement_at_360px(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-3
    resident = f"黄阿姨{uuid.uuid4().hex[:4]}"
    view = bookings.booked(server.url, resident)
    done = bookings.complete(server.url, view["booking"]["id"], quantity=2)
    assert done["balance_due_cents"] == 24000  # 2 件 × ¥120.00, as the resident signed

    ctx, page = _desk_at(browser, server, "cashier", PHONE)
    page.goto(server.url + "/#/services")
    row = page.locator("tr", has_text=resident)
    receipt = row.get_by_placeholder("收据号")
    collect = row.get_by_role("button", name="收款 ¥240.00")
    expect(collect).to_be_visible(timeout=15000)
    # The row is a card: its cells read with their column's name, and nothing lies past the edge.
    expect(row.locator("td[data-label=收费]")).to_have_text("¥240.00")
    _no_sideways_scroll(page)
    _inside_viewport(page, receipt)
    _inside_viewport(page, collect)
    receipt.fill("SJ-360")
    collect.click()
    expect(row).to_contain_text("已结算 #SJ-360", timeout=10000)
    settled = next(v for v in Api(server.url, "cashier").call("GET", "/api/services/bookings")
                   if v["booking"]["id"] == view["booking"]["id"])["booking"]
    assert (settled["state"], settled["settled_cents"], settled["receipt_no"]) == ("settled", 24000, "SJ-360")
    _no_sideways_scroll(page)
    ctx.close()


def test_a_settlement_without_a_receipt_number_is_refused_beside_the_cashiers_button(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-3
    """The cashier taps 收款 with the receipt box empty: the server refuses (a settlement needs its
    receipt), and the refusal must show in the booking's own row on the 360 px phone, where the
    cashier is looking, not in the page's error box scrolled far above."""
    resident = f"韩阿姨{uuid.uuid4().hex[:4]}"
    view = bookings.booked(server.url, resident)
    bookings.complete(server.url, view["booking"]["id"], quantity=1)

    ctx, page = _desk_at(browser, server, "cashier", PHONE)
    page.goto(server.url + "/#/services")
    row = page.locator("tr", has_text=resident)
    collect = row.get_by_role("button", name="收款 ¥120.00")
    expect(collect).to_be_visible(timeout=15000)
    _inside_viewport(page, collect)
    collect.click()
    refusal = row.locator(".rpt-row-error")
    expect(refusal).to_contain_text("收据号", timeout=10000)
    _inside_viewport(page, refusal)
    # Nothing was settled; with the receipt number the same button goes through.
    row.get_by_role("textbox", name="收据号").fill("SJ-0001")
    collect.click()
    expect(row).to_contain_text("已结算 #SJ-0001", timeout=10000)
    ctx.close()


def test_desk_tables_stack_into_labelled_cards_on_a_phone_and_stay_tables_on_a_laptop(
        browser: Browser, server) -> None:  # noqa: ANN001
    ctx, page = _desk_at(browser, server, "frontdesk", PHONE)
    for route, table, label in (("#/", "case-list", "单号"), ("#/keys", None, "标签")):
        page.goto(server.url + "/" + route)
        rows = page.get_by_test_id(table).locator("tbody tr") if table else page.locator(".rpt-table tbody tr")
        expect(rows.first).to_be_visible(timeout=15000)
        cells = rows.first.locator("td")
        # Every cell on the card is on screen, the last one too (on a wide table it was past the edge).
        _no_sideways_scroll(page)
        _inside_viewport(page, cells.last)
        labelled = rows.first.locator(f"td[data-label='{label}']")
        shown = labelled.evaluate("td => getComputedStyle(td, '::before').content")
        assert shown == f'"{label}"', (route, shown)
    # At the desk's own width the same pages are tables again, the header row on show.
    page.set_viewport_size(DESK)
    page.goto(server.url + "/#/keys")
    head = page.locator(".rpt-table thead th").first
    expect(head).to_be_visible(timeout=15000)
    assert page.locator(".rpt-table tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    ctx.close()


def test_cashier_prints_the_settlement_statement_with_the_servers_figures(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-3 R-SS-2
    code = f"moving_{uuid.uuid4().hex[:6]}"
    bookings.approved_item(server.url, code, 20000, advance="prepayment", advance_cents=5000)
    resident = f"林先生{uuid.uuid4().hex[:4]}"
    booked = bookings.booked(server.url, resident, code)["booking"]
    bid, booking_no = booked["id"], booked["booking_no"]
    assert re.fullmatch(r"TY\d{8}-\d{3}", booking_no), booking_no

    ctx, page = _desk_at(browser, server, "cashier", DESK)
    page.goto(server.url + "/#/services")
    row = page.locator("tr", has_text=resident)
    # The bookings table names each booking by its number, the one the statement prints (D39).
    expect(row.get_by_test_id("svc-booking-no")).to_have_text(booking_no, timeout=15000)
    row.get_by_placeholder("收据号").fill("YF-51")
    row.get_by_role("button", name="收预付 ¥50.00").click()
    # An advance taken is already worth a statement: the row offers it at once.
    expect(row.get_by_test_id("svc-statement-link")).to_be_visible(timeout=10000)

    done = bookings.complete(server.url, bid, quantity=2)
    assert done["balance_due_cents"] == 35000  # 2 小时 × ¥200.00 less the ¥50.00 prepaid
    page.reload()
    row.get_by_placeholder("收据号").fill("SJ-52")
    row.get_by_role("button", name="收款 ¥350.00").click()
    expect(row).to_contain_text("已结算 #SJ-52", timeout=10000)
    row.get_by_test_id("svc-statement-link").click()

    stmt = page.get_by_test_id("settlement-statement")
    expect(stmt).to_be_visible(timeout=10000)
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{done['case_id']}")["case"]
    expect(page.get_by_test_id("stmt-title")).to_have_text("翠湖花园（演示） · 特约服务结算单")
    expect(stmt.get_by_test_id("stmt-case-no")).to_have_text(case["no"])
    expect(stmt).not_to_contain_text(bid)  # the booking's internal id means nothing on paper
    expect(stmt.get_by_test_id("stmt-item")).to_have_text("搬家协助")
    expect(stmt.get_by_test_id("stmt-unit-fee")).to_have_text("¥200.00/小时")
    expect(stmt.get_by_test_id("stmt-quantity")).to_have_text("2 小时")
    expect(stmt.get_by_test_id("stmt-slip-fee")).to_have_text("¥200.00/小时 × 2 = ¥400.00")
    expect(stmt.get_by_test_id("stmt-slip-hash")).to_have_text(case["slip"]["content_hash"])
    expect(stmt.get_by_test_id("stmt-advance")).to_contain_text("¥50.00，收据号 YF-51")
    expect(stmt.get_by_test_id("stmt-advance")).to_contain_text("收款人 何收银")
    expect(stmt.get_by_test_id("stmt-balance")).to_have_text("收取余款 ¥350.00")
    expect(stmt.get_by_test_id("stmt-receipt")).to_have_text("SJ-52")
    expect(stmt.get_by_test_id("stmt-cashier")).to_have_text("何收银")
    expect(stmt.get_by_test_id("stmt-booking-no")).to_have_text(booking_no)

    # On paper only the statement: the desk's header and the tools bar are left off.
    page.emulate_media(media="print")
    expect(page.locator(".desk-slip-tools")).to_be_hidden()
    expect(page.locator(".desk-header")).to_be_hidden()
    expect(stmt).to_be_visible()
    page.emulate_media(media="screen")

    # The same statement in English reads the same server figures.
    page.locator(".btn-lang").first.click()
    expect(stmt.get_by_test_id("stmt-balance")).to_have_text("Balance collected ¥350.00", timeout=10000)
    expect(stmt.get_by_test_id("stmt-slip-fee")).to_have_text("¥200.00/hour × 2 = ¥400.00")
    ctx.close()


def _statement_as_cashier(browser: Browser, server, booking_id: str):  # noqa: ANN001, ANN202
    """The cashier's browser on a booking's settlement statement (opened by its address)."""
    ctx, page = _desk_at(browser, server, "cashier", DESK)
    page.goto(f"{server.url}/#/services/{booking_id}/statement")
    return ctx, page, page.get_by_test_id("settlement-statement")


def test_the_statement_prints_what_the_resident_signed_beside_a_lower_amount_due(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-3
    code = f"porter_{uuid.uuid4().hex[:6]}"
    bookings.approved_item(server.url, code, 5000)
    resident = f"钟女士{uuid.uuid4().hex[:4]}"
    bid = bookings.booked(server.url, resident, code)["booking"]["id"]
    # ¥125.00 signed on a ¥50.00-per-hour item: the desk completes it as 2 hours (3 would be refused).
    bookings.complete(server.url, bid, quantity=2, fee_cents=12500)
    desk = Api(server.url, "frontdesk")
    desk.call("POST", f"/api/services/bookings/{bid}/complete", {"quantity": 2})
    Api(server.url, "cashier").call("POST", f"/api/services/bookings/{bid}/settle",
                                    {"amount_cents": 10000, "receipt_no": "SJ-61"})
    ctx, page, stmt = _statement_as_cashier(browser, server, bid)
    expect(stmt.get_by_test_id("stmt-slip-fee")).to_have_text("¥50.00/小时 × 2 = ¥100.00", timeout=10000)
    expect(stmt.get_by_test_id("stmt-signed-fee")).to_contain_text("¥125.00")
    expect(stmt.get_by_test_id("stmt-balance")).to_have_text("收取余款 ¥100.00")
    ctx.close()


def test_a_statement_before_dispatch_says_none_in_every_empty_row(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-2
    code = f"moving_{uuid.uuid4().hex[:6]}"
    bookings.approved_item(server.url, code, 20000, advance="prepayment", advance_cents=5000)
    booked = bookings.booked(server.url, f"潘先生{uuid.uuid4().hex[:4]}", code)["booking"]
    bid = booked["id"]
    Api(server.url, "cashier").call("POST", f"/api/services/bookings/{bid}/advance",
                                    {"amount_cents": 5000, "receipt_no": "YF-70"})
    ctx, page, stmt = _statement_as_cashier(browser, server, bid)
    # Taken before dispatch, the statement is still named by a number a person quotes: the
    # booking's own, given when it was booked (D39), not its booking time.
    expect(stmt.get_by_test_id("stmt-booking-no")).to_have_text(booked["booking_no"], timeout=10000)
    expect(stmt.get_by_test_id("stmt-booking-no")).to_have_text(re.compile(r"^TY\d{8}-\d{3}$"))
    # No case and no signed slip yet: both rows say so (one shared node would leave the first blank).
    expect(stmt.get_by_test_id("stmt-case-no")).to_have_text("无")
    expect(stmt.get_by_test_id("stmt-slip-hash")).to_have_text("无")
    expect(stmt.get_by_test_id("stmt-advance")).to_contain_text("YF-70")
    ctx.close()
