"""The manager's monthly report: no empty chart without ballots, a readable satisfaction chart in
English, and the names of who handed it in and who signed it (R-RV-3, R-RV-4)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import running_since
from e2e.test_shell import login, open_desk


def _month(page, value: str) -> None:  # noqa: ANN001
    page.locator("input[name=month]").fill(value)
    page.locator("input[name=month]").dispatch_event("change")


def _running_since_2025(server) -> None:  # noqa: ANN001
    # Months long over, to hand in and sign on the real clock, need a compound that lived through them.
    running_since(server, 2025, 1)


def test_a_month_without_ballots_says_so_instead_of_an_empty_chart(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-3
    _running_since_2025(server)
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible(timeout=15000)
    _month(page, "2025-01")  # long before the demo: nothing received, no survey
    expect(view.get_by_test_id("no-survey")).to_have_text("本月没有回收的满意度调查票，各项满意率不计算。")
    expect(view.locator("canvas[data-testid=chart-satisfaction]")).to_have_count(0)
    # A draft tells the manager why there is nothing to sign yet (the dispatcher submits first).
    expect(view.get_by_test_id("awaiting-submit")).to_contain_text("调度员提交月报后")
    ctx.close()


def test_the_english_satisfaction_chart_has_room_for_every_wrapped_area(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-2 R-RV-3
    mgr, desk = Api(server.url, "manager"), Api(server.url, "dispatcher")
    sid = mgr.call("POST", "/api/surveys", {"title": "本月综合回访", "issued": 5})["id"]
    desk.call("POST", f"/api/surveys/{sid}/ballots", {"grades": {"overall": "A", "cleaning": "B"}})
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    chart = view.locator("canvas[data-testid=chart-satisfaction]")
    expect(chart).to_be_visible(timeout=15000)
    page.locator(".btn-lang").click()
    expect(view.get_by_text("Satisfaction by area (%)")).to_be_visible()
    # 14 areas, several wrapping onto three lines: more than the old fixed 400 px, where they overlapped.
    box = view.locator("canvas[data-testid=chart-satisfaction]").bounding_box()
    assert box is not None and box["height"] > 400, box
    ctx.close()


def test_the_signed_report_names_who_submitted_and_who_signed(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    _running_since_2025(server)
    Api(server.url, "dispatcher").call("POST", "/api/reports/monthly/2025/2/submit", {})
    Api(server.url, "manager").call("POST", "/api/reports/monthly/2025/2/sign", {"comment": "调度及时，继续保持"})
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible(timeout=15000)
    _month(page, "2025-02")
    expect(view.get_by_test_id("report-status")).to_have_text("已签批")
    expect(view.get_by_test_id("report-signature")).to_contain_text("管理处负责人 钱经理 已签名")
    expect(view).to_contain_text("王调度 于")
    ctx.close()


def test_the_printed_complaint_list_fits_an_a4_page(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-5
    desk = Api(server.url, "dispatcher")
    desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "打印业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "夜间噪音", "complaint_category": "decoration"})
    ctx = browser.new_context(viewport={"width": 794, "height": 1123}, locale="zh-CN")  # A4 at 96 dpi
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(server.url + "/#/reports")
    view = page.locator("[data-view=reports]")
    expect(view.get_by_role("cell", name="打印业主").first).to_be_visible(timeout=15000)
    page.emulate_media(media="print")
    # Every column of every report table lies inside the page: nothing cut at the right edge.
    widths = page.evaluate("""() => [...document.querySelectorAll('.rpt .table-wrap')].map(
        (w) => [w.scrollWidth, w.clientWidth, w.querySelector('table').getBoundingClientRect().right])""")
    assert widths and all(scroll <= client + 1 and right <= 794 for scroll, client, right in widths), widths
    ctx.close()


def test_the_month_is_handed_in_from_its_30th_with_a_confirmation_returned_signed_and_reopened(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4 R-RV-5
    _running_since_2025(server)
    # Found in review: the current month could be submitted and signed on the 7th with no question
    # asked, then stayed frozen without the cases that came later, and nothing could undo it (D103).
    ctx, page = open_desk(browser, server, "dispatcher", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.get_by_test_id("submit-opens")).to_contain_text("起可以提交", timeout=15000)
    expect(view.get_by_test_id("report-submit")).to_have_count(0)
    _month(page, "2025-04")
    view.get_by_test_id("report-submit").click()
    dialog = page.locator("dialog")
    expect(dialog.locator(".dialog-title")).to_have_text("提交2025年4月月报？")
    dialog.get_by_role("button", name="提交月报").click()
    expect(view.get_by_test_id("report-status")).to_have_text("已提交")
    ctx.close()

    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible(timeout=15000)
    _month(page, "2025-04")
    view.get_by_test_id("report-return").click()
    dialog = page.locator("dialog")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog).to_contain_text("原因")  # the reason is required
    dialog.locator("textarea[name=reason]").fill("投诉明细缺处理结果")
    dialog.get_by_test_id("dialog-submit").click()
    expect(view.get_by_test_id("report-status")).to_have_text("草稿（实时计算）")
    expect(view.get_by_test_id("report-history")).to_contain_text("钱经理 于")
    expect(view.get_by_test_id("report-history")).to_contain_text("投诉明细缺处理结果")
    Api(server.url, "dispatcher").call("POST", "/api/reports/monthly/2025/4/submit", {})
    _month(page, "2025-03")
    _month(page, "2025-04")
    view.locator("textarea[name=comment]").fill("四月调度及时")
    view.get_by_test_id("report-sign").click()
    dialog = page.locator("dialog")
    expect(dialog.locator(".dialog-title")).to_have_text("签批2025年4月月报？")
    # No weekly quality check was recorded in April 2025: the manager is told, and signs regardless (R-RV-4).
    expect(dialog).to_contain_text("请注意：有 4 周未做质量检查")
    dialog.get_by_role("button", name="知悉并签批").click()
    expect(view.get_by_test_id("report-status")).to_have_text("已签批")
    expect(view.get_by_test_id("report-reopen")).to_have_count(0)  # only the GM reopens
    ctx.close()

    ctx, page = open_desk(browser, server, "gm", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible(timeout=15000)
    _month(page, "2025-04")
    view.get_by_test_id("report-reopen").click()
    dialog = page.locator("dialog")
    dialog.locator("textarea[name=reason]").fill("经理误签，重新审阅")
    dialog.get_by_test_id("dialog-submit").click()
    expect(view.get_by_test_id("report-status")).to_have_text("已提交")
    history = view.get_by_test_id("report-history")
    expect(history).to_contain_text("四月调度及时")  # the old signature stays on record
    expect(history).to_contain_text("郑总经理 于")
    expect(history).to_contain_text("撤回签批")
    ctx.close()
