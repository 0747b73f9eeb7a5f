"""The phone's job page before accepting (360 px, Chinese first): the 费用与分类 block with the booking
number, service and agreed fee of a paid service (R-SS-2), a repair's responsibility class (R-IN-6),
and the booking form's registered-unit picker (D41)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_desk import open_desk
from e2e.test_shell import login


def _open_job(browser: Browser, server, title: str):  # noqa: ANN001, ANN202
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    page.locator(".job-card", has_text=title).click(timeout=20000)
    return ctx, page


def test_the_job_page_shows_the_booking_number_service_and_agreed_fee_before_accepting(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-2
    resident = f"钱阿姨{uuid.uuid4().hex[:4]}"
    desk = Api(server.url, "frontdesk")
    b = desk.call("POST", "/api/services/bookings", {
        "item_code": "drain_unblock", "resident_name": resident, "unit_id": "unit_2_202", "phone": "13700007777"})["booking"]
    desk.call("POST", f"/api/services/bookings/{b['id']}/consent", {"shown_fee_cents": b["unit_fee_cents"]})
    view = desk.call("POST", f"/api/services/bookings/{b['id']}/dispatch",
                     {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    ctx, page = _open_job(browser, server, view["case"]["no"])
    block = page.get_by_test_id("job-terms")
    expect(block).to_contain_text("费用与分类", timeout=10000)
    expect(block.locator("[data-term=booking_no]")).to_contain_text(b["booking_no"])
    expect(block.locator("[data-term=service]")).to_contain_text("疏通下水道")
    expect(block.locator("[data-term=fee]")).to_contain_text("¥80.00/次")
    expect(block.locator("[data-term=fee]")).to_contain_text("不得另收")
    # Before the 接单 button, and inside a 360 px screen: nothing to scroll sideways to.
    assert block.bounding_box()["y"] < page.locator("[data-action=accept]").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()


def test_the_job_page_shows_a_repairs_responsibility_class_and_fee_told(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6
    tag = uuid.uuid4().hex[:4]
    disp = Api(server.url, "dispatcher")
    titles = {}
    for resp, fee in (("owner_private", 5000), (None, None)):
        title = f"维修分类 {resp or 'on_site'} {tag}"
        body = {"kind": "repair", "channel": "phone", "contact_name": "李业主", "phone": "13800000002",
                "unit_id": "unit_1_102", "content": title, "repair_class": "small"}
        if resp:
            body |= {"repair_responsibility": resp, "fee_quote_cents": fee}
        case = disp.call("POST", "/api/cases", body)["case"]
        disp.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
        disp.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        titles[resp] = title
    ctx, page = _open_job(browser, server, titles["owner_private"])
    block = page.get_by_test_id("job-terms")
    expect(block.locator("[data-term=class]")).to_contain_text("业主自用部分（有偿）", timeout=10000)
    expect(block.locator("[data-term=repair_fee]")).to_contain_text("¥50.00（已告知住户）")
    page.get_by_role("link", name="‹ 我的工单").click()
    page.locator(".job-card", has_text=titles[None]).click()
    expect(block.locator("[data-term=class]")).to_contain_text("待现场判定", timeout=10000)
    # English on the switch.
    page.get_by_role("button", name="EN").click()
    expect(page.get_by_test_id("job-terms")).to_contain_text("Fee & class", timeout=10000)
    expect(page.get_by_test_id("job-terms").locator("[data-term=class]")).to_contain_text("To be judged on site")
    ctx.close()


def test_the_booking_form_picks_a_registered_unit(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-2
    resident = f"孙先生{uuid.uuid4().hex[:4]}"
    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(server.url + "/#/services")
    form = page.locator("form", has=page.locator("select[name=item_code]"))
    expect(form.locator("input[name=unit]")).to_have_count(0, timeout=10000)  # no free text
    form.locator("select[name=item_code]").select_option(label="开锁 ¥50.00/次")
    form.locator("input[name=resident_name]").fill(resident)
    form.locator("input[name=phone]").fill("13700006666")
    form.get_by_role("button", name="预约登记").click()
    expect(form.locator(".desk-error")).to_contain_text("房号")  # the unit is required
    form.locator("select[name=building]").select_option(label="3栋")
    form.locator("select[name=unit_id]").select_option(label="3栋-104")
    form.get_by_role("button", name="预约登记").click()
    row = page.locator("tr", has_text=resident)
    expect(row.get_by_test_id("svc-booking-no")).to_have_text(re.compile(r"^TY\d{8}-\d{3}$"), timeout=10000)
    views = Api(server.url, "dispatcher").call("GET", "/api/services/bookings")
    b = next(v for v in views if v["booking"]["resident_name"] == resident)["booking"]
    assert b["unit"] == "3栋-104"
    ctx.close()


def test_the_completion_form_offers_a_fee_only_where_the_resident_pays(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6, R-SS-3
    tag = uuid.uuid4().hex[:4]
    disp = Api(server.url, "dispatcher")
    titles = {}
    for resp, fee in (("common", None), ("owner_private", 5000)):
        title = f"完工收费 {resp} {tag}"
        body = {"kind": "repair", "channel": "phone", "contact_name": "李业主", "phone": "13800000002",
                "unit_id": "unit_1_102", "content": title, "repair_class": "small", "repair_responsibility": resp}
        if fee:
            body["fee_quote_cents"] = fee
        case = disp.call("POST", "/api/cases", body)["case"]
        disp.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
        disp.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
        titles[resp] = title
    ctx, page = _open_job(browser, server, titles["common"])
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    # A common facility costs the resident nothing: no amount to type, the form says so.
    expect(page.get_by_test_id("no-fee")).to_contain_text("不向住户收费", timeout=10000)
    expect(page.locator("input[name=fee]")).to_have_count(0)

    page.goto(server.url + "/#/jobs")
    page.locator(".job-card", has_text=titles["owner_private"]).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    expect(page.locator("input[name=fee]")).to_have_value("50.00", timeout=10000)  # the fee told, to start from
    expect(page.get_by_test_id("no-fee")).to_have_count(0)
    ctx.close()
