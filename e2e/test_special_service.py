"""A paid special service end to end, and the shift handover taking over an emergency (Chinese UI).

R-SS-2 (fee told and consented before dispatch), R-DI-1 (team lead first, and only the leads the
desk really tried are recorded), R-FU-7 (the team's 20 minutes and the resident's 25-minute
promise on the phone, the delay notice's new agreed time), R-SH-1 / R-EM-3 (handover).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.conftest import PHONE, RunningServer, serving
from e2e.test_desk import open_desk
from e2e.test_shell import login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _book_on_the_services_page(page: Page, server, resident: str) -> None:  # noqa: ANN001
    page.goto(server.url + "/#/services")
    page.locator("select[name=item_code]").select_option(label="家电清洗 ¥120.00/件")  # the unit is told too
    page.locator("input[name=resident_name]").fill(resident)
    # A registered unit, picked as at intake (D41): the booking form has no free-text unit.
    page.locator("select[name=building]").select_option(label="2栋")
    page.locator("select[name=unit_id]").select_option(label="2栋-201")
    page.locator("input[name=phone]").fill("13700007777")
    page.get_by_role("button", name="预约登记").click()
    row = page.locator("tr", has_text=resident)
    # The booking is numbered as it is taken (D39): the row shows the number the server gave it.
    expect(row.get_by_test_id("svc-booking-no")).to_have_text(re.compile(r"^TY\d{8}-\d{3}$"), timeout=10000)
    assert row.get_by_test_id("svc-booking-no").inner_text() == _booking(server, resident)["booking"]["booking_no"]
    # R-SS-2 / R-FU-7: the fee and the arrival promise are told in one breath, then confirmed (D100).
    row.get_by_test_id("svc-consent").click()
    page.locator("dialog[open]").get_by_role("button", name="住户同意，记录").click()
    expect(row.get_by_test_id("svc-arrive-by")).to_contain_text("前到达", timeout=10000)


def _booking(server, resident: str) -> dict:  # noqa: ANN001
    views = Api(server.url, "dispatcher").call("GET", "/api/services/bookings")
    return next(v for v in views if v["booking"]["resident_name"] == resident)


def _sign(page: Page) -> None:
    canvas = page.locator("dialog canvas.signature-canvas")
    box = canvas.bounding_box()
    assert box
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 20 + i * (box["width"] - 40) / 11,
                        box["y"] + box["height"] * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()


def test_dispatching_a_booking_records_only_the_leads_the_desk_tried(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1, R-SS-2
    resident = f"赵阿姨{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    _book_on_the_services_page(page, server, resident)
    row = page.locator("tr", has_text=resident)
    row.get_by_role("button", name="派工").click()
    expect(row.locator(".desk-error")).to_contain_text("请先选择派给谁")  # not "未找到该员工"
    row.locator("select[name=assignee]").select_option(label="周阿姨（清洁工）")
    row.get_by_role("button", name="派工").click()
    # Straight to the cleaner with no lead tried: the rule refuses, in Chinese, naming what is missing.
    expect(row.locator(".desk-error")).to_contain_text("须先通知班组主管")
    assert _booking(server, resident)["booking"]["state"] == "booked"
    row.locator("select[name=assignee]").select_option(label="周阿姨（清洁工）")
    row.get_by_label("陈班长").check()
    row.get_by_role("button", name="派工").click()
    link = page.locator("tr", has_text=resident).get_by_test_id("svc-case-link")
    expect(link).to_be_visible(timeout=10000)
    link.click()
    expect(page.locator(".desk-timeline")).to_contain_text("特约服务派工")  # not service_booking.dispatched
    expect(page.locator(".desk-timeline")).not_to_contain_text("service_booking")
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{_booking(server, resident)['case_id']}")["case"]
    assert [(d["told_id"], d["reached"]) for d in case["dispatches"]] == [("usr_lead", False), ("usr_cleaner", True)]

    # The chooser offers every lead the server takes for a special service (D144): the guard captain too,
    # titled by his post, to choose and to tick as tried; it offered the team leads only.
    guard_first = f"冯先生{uuid.uuid4().hex[:4]}"
    _book_on_the_services_page(page, server, guard_first)
    row = page.locator("tr", has_text=guard_first)
    leads = row.locator("select[name=assignee] optgroup[label='班组主管'] option")
    expect(leads).to_have_text(["韩队长（保安队长）", "陈班长（班组主管）"])
    row.locator("select[name=assignee]").select_option(label="周阿姨（清洁工）")
    row.get_by_label("韩队长").check()
    row.get_by_role("button", name="派工").click()
    expect(page.locator("tr", has_text=guard_first).get_by_test_id("svc-case-link")).to_be_visible(timeout=10000)
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{_booking(server, guard_first)['case_id']}")["case"]
    assert [(d["told_id"], d["reached"]) for d in case["dispatches"]] == [("usr_guardcap", False), ("usr_cleaner", True)]

    # Dispatched to the team lead himself: nobody is recorded as "not reached".
    other = f"钱先生{uuid.uuid4().hex[:4]}"
    _book_on_the_services_page(page, server, other)
    row = page.locator("tr", has_text=other)
    row.locator("select[name=assignee]").select_option(label="陈班长（班组主管）")
    expect(row.get_by_label("陈班长")).to_be_hidden()
    row.get_by_role("button", name="派工").click()
    expect(page.locator("tr", has_text=other).get_by_test_id("svc-case-link")).to_be_visible(timeout=10000)
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{_booking(server, other)['case_id']}")["case"]
    assert [(d["told_id"], d["reached"]) for d in case["dispatches"]] == [("usr_lead", True)]  # none invented
    ctx.close()


def test_a_refused_dispatch_is_told_beside_the_rows_button_not_above_the_page(browser: Browser, server) -> None:  # noqa: ANN001  # R-DI-1
    # The bookings sit below the catalogue and the booking form: an error box at the top of the page
    # was off screen at 1366×768, and clicking 派工 seemed to do nothing.
    resident = f"吴先生{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    _book_on_the_services_page(page, server, resident)
    row = page.locator("tr", has_text=resident)
    row.get_by_role("button", name="派工").scroll_into_view_if_needed()
    row.get_by_role("button", name="派工").click()
    expect(row.locator(".desk-error")).to_contain_text("请先选择派给谁")
    expect(row.locator(".desk-error")).to_be_in_viewport()
    row.locator("select[name=assignee]").select_option(label="周阿姨（清洁工）")
    row.get_by_role("button", name="派工").click()  # 陈班长 not ticked as tried
    expect(row.locator(".desk-error")).to_contain_text("须先通知班组主管")
    expect(row.locator(".desk-error")).to_be_in_viewport()
    expect(row.get_by_role("button", name="派工")).to_be_in_viewport()  # the page did not jump away
    ctx.close()


def test_the_phone_shows_the_promise_and_the_new_time_agreed_after_a_delay(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-7
    resident = f"孙女士{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    _book_on_the_services_page(page, server, resident)
    row = page.locator("tr", has_text=resident)
    row.locator("select[name=assignee]").select_option(label="周阿姨（清洁工）")
    row.get_by_label("陈班长").check()
    row.get_by_role("button", name="派工").click()
    expect(page.locator("tr", has_text=resident).get_by_test_id("svc-case-link")).to_be_visible(timeout=10000)
    case_no = Api(server.url, "dispatcher").call("GET", f"/api/cases/{_booking(server, resident)['case_id']}")["case"]["no"]

    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    ph = phone.new_page()
    ph.goto(server.url + "/")
    login(ph, "cleaner")
    ph.locator(".job-card", has_text=case_no).click()
    clocks = ph.locator("section.card", has=ph.locator("h2", has_text="时限"))
    expect(clocks).to_contain_text("有偿服务 20 分钟内到达", timeout=15000)
    expect(clocks).to_contain_text("向住户承诺 25 分钟内到达")

    # The 25 minutes cannot be kept: the desk tells the resident why and agrees a new time.
    page.locator("tr", has_text=resident).get_by_test_id("svc-case-link").click()
    page.locator("[data-action=delay_notice]").click()
    dialog = page.locator("dialog")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog).to_contain_text("缺少：说明、与住户约定的新时间")  # asked before the server refuses
    dialog.locator("textarea[name=note]").fill("前一户未完，晚到，已电话告知住户")
    agreed = datetime.now(SHANGHAI) + timedelta(hours=1)
    dialog.locator("input[name=new_due_at]").fill(agreed.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator(".desk-extras")).to_contain_text(f"新约定 {agreed.strftime('%m/%d %H:%M')}")

    ph.reload()
    expect(clocks).to_contain_text("与住户约定的新到达时间", timeout=15000)
    expect(clocks).to_contain_text(agreed.strftime("%m/%d %H:%M"))
    # On site: the order's 20-minute deadline is met; the header no longer counts down to it.
    ph.get_by_role("button", name="接单").click()
    ph.get_by_role("button", name="到场").click()
    expect(ph.get_by_test_id("job-state")).to_have_text("已到场")
    expect(ph.locator(".job-detail .countdown-big")).to_have_count(0)
    phone.close()
    ctx.close()


@pytest.fixture(scope="module")
def handover_server() -> Iterator[RunningServer]:
    """A server of its own: a handover sheet lists the compound's open work and emergencies, and on the
    shared server other tests' sheets have already taken over the demo's emergency."""
    with serving("estatedesk-e2e-handover-") as srv:
        yield srv


def test_handover_asks_to_take_over_the_emergency_before_the_signature(browser: Browser, handover_server) -> None:  # noqa: ANN001  # R-SH-1, R-EM-3
    server = handover_server
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(server.url + "/#/handover")
    page.locator("select[name=incoming_id]").select_option(label="李前台（前台）")
    sheets = page.locator(".desk-ho-sheet")
    expect(page.locator("select[name=incoming_id]")).to_be_visible(timeout=10000)
    page.wait_for_load_state("networkidle")
    before = set(sheets.evaluate_all("els => els.map(e => e.dataset.sheet)"))
    page.get_by_role("button", name="生成交接单").click()
    expect(sheets).to_have_count(len(before) + 1, timeout=10000)
    # Held by its id from here on: other tests' sheets share this server and the list is not ordered
    # newest first, so "the first sheet" is not always this one.
    (sheet_id,) = set(sheets.evaluate_all("els => els.map(e => e.dataset.sheet)")) - before
    sheet = page.locator(f"article[data-sheet='{sheet_id}']")
    expect(sheet.locator("th", has_text="下一时限")).to_be_visible(timeout=10000)
    sheet.get_by_role("button", name="交班签字").click()
    expect(page.locator("dialog")).to_contain_text("交班：王调度 → 李前台")  # what the signature stands for
    _sign(page)
    page.get_by_test_id("signature-ok").click()
    expect(sheet).to_contain_text("交班人：已签")
    ctx.close()

    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(server.url + "/#/handover")
    sheet = page.locator(f"article[data-sheet='{sheet_id}']")
    sheet.get_by_role("button", name="接班签字").click()
    # The refusal shows under this sheet's own buttons (D50's handover change), not under the heading.
    expect(sheet.locator(".desk-error:visible")).to_contain_text("请先勾选接手所有未平息的紧急事件")
    expect(page.locator("dialog[open]")).to_have_count(0)  # no signature drawn in vain
    for box in sheet.locator("input[name=take_over]").all():
        box.check()
    sheet.get_by_role("button", name="接班签字").click()
    _sign(page)
    page.get_by_test_id("signature-ok").click()
    expect(sheet.get_by_test_id("ho-taken-over").first).to_contain_text("李前台 已接手")
    ctx.close()

    # The supervisor's morning review uses the whole width (no empty form column).
    ctx, page = open_desk(browser, server, "lead")
    page.locator(".desk-nav").get_by_role("link", name="交接班").click()
    sheet = page.locator(f"article[data-sheet='{sheet_id}']")
    expect(sheet).to_be_visible(timeout=15000)
    assert sheet.bounding_box()["width"] > 1000
    sheet.locator("input[name=review_note]").fill("烟雾事件今早查明原因")
    sheet.get_by_role("button", name="晨间复核").click()
    expect(sheet.get_by_test_id("ho-review")).to_contain_text("晨间复核：陈班长")
    ctx.close()


def test_a_long_term_agreement_names_a_picked_unit_and_its_booking_opens_a_case_with_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-2
    resident = f"林阿姨{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(server.url + "/#/services")
    page.get_by_test_id("svc-agreement-new").click()
    form = page.get_by_test_id("svc-agreement-form")
    form.locator("select[name=item_code]").select_option(label="洗衣取送 ¥15.00/件")
    expect(form.locator("input[name=fee]")).to_have_value("15.00")  # the approved fee to start from
    # …and its ceiling: a higher fee was never approved; the server refuses it, naming it (R-SS-1, D123).
    expect(form.get_by_test_id("svc-agreement-fee-max")).to_have_text("不高于公告收费 ¥15.00/件")
    form.locator("input[name=fee]").fill("18")
    form.locator("input[name=resident_name]").fill(resident)
    form.locator("input[name=phone]").fill("13700008888")
    form.locator("input[name=valid_until]").fill("2030-12-31")
    form.get_by_role("button", name="登记协议").click()
    expect(form.locator(".desk-error")).to_contain_text("房号")  # no unit typed or guessed: one is picked
    # A registered unit, picked as for a one-off booking (D41): the agreement form has no free-text unit.
    form.locator("select[name=building]").select_option(label="2栋")
    form.locator("select[name=unit_id]").select_option(label="2栋-201")
    form.get_by_role("button", name="登记协议").click()
    expect(form.locator(".desk-error")).to_contain_text("协议收费不得高于向住户公告的 15.00 元/件")
    form.locator("input[name=fee]").fill("12")
    form.get_by_role("button", name="登记协议").click()
    row = page.get_by_test_id("svc-agreements").locator("tr", has_text=resident)
    expect(row.get_by_test_id("svc-agreement-unit")).to_have_text("2栋-201", timeout=10000)
    expect(row).to_contain_text("¥12.00/件")
    desk = Api(server.url, "dispatcher")
    agreement = next(a for a in desk.call("GET", "/api/services/agreements") if a["resident_name"] == resident)
    assert (agreement["unit_id"], agreement["unit"]) == ("unit_2_201", "2栋-201")

    # Booked under the agreement: its consent is the agreement's, and the case it opens has the unit.
    row.get_by_test_id("svc-agreement-book").click()
    booking = page.locator("tr", has=page.get_by_test_id("svc-booking-no"), has_text=resident)
    expect(booking.locator("select[name=assignee]")).to_be_visible(timeout=10000)
    view = _booking(server, resident)
    assert view["booking"]["agreement_id"] == agreement["id"] and view["missing_to_dispatch"] == []
    view = desk.call("POST", f"/api/services/bookings/{view['booking']['id']}/dispatch",
                     {"assignee_id": "usr_cleaner", "unreached_lead_ids": ["usr_lead"]})
    case = desk.call("GET", f"/api/cases/{view['case_id']}")["case"]
    assert (case["unit_id"], case["address"]) == ("unit_2_201", "2栋-201")
    ctx.close()
