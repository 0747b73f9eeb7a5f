"""The yearly complaint report 客户投诉报告 on the desk's reports page (R-RV-5, R-RV-3): the months' chart and the
register for the demo year, and last year's report handed in by the manager and acknowledged by the deputy GM.

The e2e server runs on the real clock (D103's e2e tests do the same): the demo's complaints are this year's, and
last year has ended, so it is the one handed in. A server of its own: a report acknowledged here is final."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK, RunningServer, serving
from e2e.test_shell import login, open_desk

THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year
LAST_YEAR = THIS_YEAR - 1


@pytest.fixture(scope="module")
def own_server() -> Iterator[RunningServer]:
    with serving("estatedesk-e2e-yearly-") as srv:
        yield srv


def _year(page, year: int) -> None:  # noqa: ANN001
    page.locator("select[name=year]").select_option(str(year))


def test_the_yearly_page_draws_the_months_and_the_register_for_the_demo_year(browser: Browser, own_server) -> None:  # noqa: ANN001  # R-RV-5 R-RV-3
    desk = Api(own_server.url, "dispatcher")
    mine = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "年报业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "楼道灯坏了一周", "complaint_category": "engineering_repair"})["case"]["no"]
    expected = Api(own_server.url, "manager").call("GET", f"/api/reports/yearly/{THIS_YEAR}")
    assert mine in {c["case_no"] for c in expected["complaints"]} and expected["received"] >= 2  # the demo's and ours

    ctx = browser.new_context(viewport=DESK, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.goto(own_server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(own_server.url + "/#/reports")
    # The yearly report is the reports page's second tab.
    page.get_by_test_id("report-tab-yearly").click()
    view = page.locator("[data-view=yearly]")
    expect(view.locator("canvas[data-testid=chart-months]")).to_be_visible(timeout=15000)
    assert page.url.endswith("#/reports/yearly")
    expect(view.get_by_role("heading", name="年度客户投诉报告")).to_be_visible()
    expect(view.get_by_test_id("yearly-received")).to_have_text(f"全年受理投诉 {expected['received']} 件")
    # The register lists every complaint of the year, ours with its unit; the month table carries the count.
    register = view.get_by_test_id("yearly-register")
    for line in expected["complaints"]:
        expect(register).to_contain_text(line["case_no"])
    expect(register.locator("tr", has_text=mine)).to_contain_text("1栋-202")
    month = datetime.now(ZoneInfo("Asia/Shanghai")).month
    count = expected["months"][month - 1]["received"]
    expect(view.get_by_test_id("yearly-months").locator("tbody tr").nth(month - 1)).to_contain_text(f"{month}月{count}")
    # The rates carry the monthly report's definitions, summed over the year.
    expect(view.locator("[data-rate=complaint_validity] [data-testid=rate-definition]")).to_contain_text("全年数字为十二个月")
    expect(view.locator("[data-rate=complaint_call_back_satisfaction]")).to_contain_text("投诉回访满意率")
    # This year has not ended: the manager writes the analysis but cannot hand it in yet.
    expect(view.get_by_test_id("yearly-submit")).to_have_count(0)
    expect(view.get_by_test_id("yearly-opens")).to_contain_text(f"{THIS_YEAR}年结束后才能提交")
    assert "null" not in view.inner_text() and "undefined" not in view.inner_text()
    with page.expect_download() as info:
        view.get_by_test_id("download-xlsx").click()
    assert info.value.suggested_filename == f"complaint-report-{THIS_YEAR}.xlsx"
    book = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))  # noqa: SIM115
    assert book.sheetnames[:2] == ["概要", "按月统计"] and book["概要"]["A1"].value == f"{THIS_YEAR}年度客户投诉报告"
    # On A4 paper nothing is cut at the right edge, and the editor gives way to the text and the signature lines.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    widths = page.evaluate("""() => [...document.querySelectorAll('[data-view=yearly] .table-wrap')].map(
        (w) => [w.scrollWidth, w.clientWidth, w.querySelector('table').getBoundingClientRect().right])""")
    assert widths and all(scroll <= client + 1 and right <= 794 for scroll, client, right in widths), widths
    expect(view.get_by_test_id("yearly-editor")).to_be_hidden()
    expect(view.get_by_test_id("yearly-analysis")).to_be_visible()
    expect(view.get_by_test_id("yearly-print-signs")).to_contain_text("分管副总经理签收")
    page.emulate_media(media="screen")
    page.set_viewport_size(DESK)
    # In English, the page's own words follow.
    page.locator(".btn-lang").click()
    expect(view.get_by_role("heading", name="Yearly complaint report")).to_be_visible()
    expect(view.locator("[data-rate=timely_handling]")).to_contain_text("Timely-handling rate, whole year")
    ctx.close()


def test_the_manager_hands_in_last_year_and_the_deputy_gm_returns_then_acknowledges_it(browser: Browser, own_server) -> None:  # noqa: ANN001  # R-RV-5
    ctx, page = open_desk(browser, own_server, "manager", "reports/yearly")
    view = page.locator("[data-view=yearly]")
    expect(view.locator("canvas[data-testid=chart-months]")).to_be_visible(timeout=15000)
    _year(page, LAST_YEAR)
    expect(view.get_by_test_id("yearly-submit")).to_be_visible()
    # Handed in without its analysis: refused, and the page says why.
    view.get_by_test_id("yearly-submit").click()
    dialog = page.locator("dialog")
    expect(dialog.locator(".dialog-title")).to_have_text(f"提交{LAST_YEAR}年度客户投诉报告？")
    dialog.get_by_role("button", name="提交分管副总经理").click()
    expect(view.get_by_test_id("yearly-editor-error")).to_contain_text("请填写原因分析和整改措施")
    expect(view.get_by_test_id("yearly-status")).to_have_text("草稿（实时计算）")
    view.locator("textarea[name=cause_analysis]").fill("投诉集中在楼道保洁，夜间巡查不足")
    view.locator("textarea[name=corrective_actions]").fill("增加保洁频次，每周抽查")
    view.get_by_test_id("yearly-submit").click()
    page.locator("dialog").get_by_role("button", name="提交分管副总经理").click()
    expect(view.get_by_test_id("yearly-status")).to_have_text("已提交分管副总经理")
    expect(view.get_by_test_id("yearly-editor")).to_have_count(0)
    expect(view.get_by_test_id("yearly-analysis")).to_contain_text("增加保洁频次，每周抽查")
    expect(view.get_by_test_id("yearly-acknowledge")).to_have_count(0)  # the deputy GM's, not the manager's
    ctx.close()

    ctx, page = open_desk(browser, own_server, "deputy", "reports/yearly")
    view = page.locator("[data-view=yearly]")
    expect(view.locator("canvas[data-testid=chart-months]")).to_be_visible(timeout=15000)
    _year(page, LAST_YEAR)
    expect(view.get_by_test_id("yearly-status")).to_have_text("已提交分管副总经理")
    # Returned with a reason: the reason is required.
    view.get_by_test_id("yearly-return").click()
    dialog = page.locator("dialog")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog).to_contain_text("原因")
    dialog.locator("textarea[name=reason]").fill("整改措施须写明责任人")
    dialog.get_by_test_id("dialog-submit").click()
    expect(view.get_by_test_id("yearly-status")).to_have_text("草稿（实时计算）")
    expect(view.get_by_test_id("yearly-history")).to_contain_text("整改措施须写明责任人")
    Api(own_server.url, "manager").call("POST", f"/api/reports/yearly/{LAST_YEAR}/submit", {
        "cause_analysis": "投诉集中在楼道保洁，夜间巡查不足", "corrective_actions": "增加保洁频次，保洁主管负责，每周抽查"})
    _year(page, THIS_YEAR)
    _year(page, LAST_YEAR)
    expect(view.get_by_test_id("yearly-status")).to_have_text("已提交分管副总经理")
    view.get_by_test_id("yearly-acknowledge").click()
    dialog = page.locator("dialog")
    expect(dialog.locator(".dialog-title")).to_have_text(f"签收{LAST_YEAR}年度客户投诉报告？")
    dialog.locator("textarea[name=comment]").fill("同意，按措施落实")
    dialog.get_by_test_id("dialog-submit").click()
    expect(view.get_by_test_id("yearly-status")).to_have_text("分管副总经理已签收")
    expect(view.get_by_test_id("yearly-acknowledged")).to_contain_text("分管副总经理 吴副总 已签收")
    expect(view.get_by_test_id("yearly-acknowledged")).to_contain_text("同意，按措施落实")
    expect(view.get_by_test_id("yearly-acknowledge")).to_have_count(0)
    expect(view.get_by_test_id("yearly-history")).to_contain_text("吴副总 于")
    ctx.close()

    # Acknowledged is final: the manager reads it and has nothing left to edit.
    ctx, page = open_desk(browser, own_server, "manager", "reports/yearly")
    view = page.locator("[data-view=yearly]")
    expect(view.locator("canvas[data-testid=chart-months]")).to_be_visible(timeout=15000)
    _year(page, LAST_YEAR)
    expect(view.get_by_test_id("yearly-status")).to_have_text("分管副总经理已签收")
    expect(view.get_by_test_id("yearly-editor")).to_have_count(0)
    expect(view.get_by_test_id("yearly-analysis")).to_contain_text("保洁主管负责")
    ctx.close()
