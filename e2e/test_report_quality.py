"""The monthly report page and its print: the month's weekly quality checks with the weeks never checked,
the targets missed and the way to the CAPA report, the warning before a signature, how far the figures
run and when the paper was printed, and months that have no report (R-RV-4, R-RV-5, R-FU-10).

Found in review: December missed both targets and was signed with no weekly check or CAPA status on the
page; a printed live draft said only 草稿（实时计算）, with no time; and 2001 could be signed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import RunningServer, running_since, serving
from e2e.test_shell import open_desk

MONTH = (2025, 6)  # Mondays 2, 9, 16, 23 and 30: five weeks, one of them checked


def _month(page, value: str) -> None:  # noqa: ANN001
    page.locator("input[name=month]").fill(value)
    page.locator("input[name=month]").dispatch_event("change")


def _handed_in_with_targets_missed(srv: RunningServer, mgr: Api) -> None:
    """June 2025 as handed in with timely repair and rework at 25 % (both R-FU-10 targets missed).

    The e2e server runs on the real clock, so no repair can be completed in June 2025 through the API;
    the fixture writes the report the dispatcher would have handed in, whole-month and frozen."""
    import msgspec
    from sqlalchemy import create_engine

    from server.demo import DEMO_COMPOUND
    from server.domain import monthly_report as mr
    from server.storage.tables_services import monthly_reports

    year, month = MONTH
    live = msgspec.json.decode(msgspec.json.encode(mgr.call("GET", f"/api/reports/monthly/{year}/{month}")),
                               type=mr.MonthlyReport)
    missed = {"timely_repair", "rework"}
    rates = tuple(msgspec.structs.replace(r, numerator=1, denominator=4, value=25.0, met=False)
                  if r.key in missed else r for r in live.rates)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    handed_in = msgspec.structs.replace(
        live, rates=rates, status=mr.ReportStatus.SUBMITTED, submitted_by="usr_dispatcher", submitted_at=now,
        submitted_late=True, history=(mr.ReportEvent(action=mr.ReportAction.SUBMITTED, by="usr_dispatcher", at=now),))
    engine = create_engine(f"sqlite:///{srv.data_dir / 'estatedesk.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(monthly_reports.insert().values(
            compound_id=DEMO_COMPOUND, year=year, month=month, status="submitted", updated_at=now,
            doc=msgspec.json.encode(handed_in).decode()))
    engine.dispose()


@pytest.fixture(scope="module")
def june_server() -> Iterator[RunningServer]:
    """A compound running since January 2025 whose June had one poor week checked and missed both targets.
    Its own server: the report is stored frozen, and signing it changes it."""
    with serving() as srv:
        running_since(srv, 2025, 1)
        mgr = Api(srv.url, "manager")
        mgr.call("POST", "/api/quality/weekly-checks", {
            "week_start": "2025-06-02", "cases_checked": 5, "poor_quality": True, "findings": "三单维修超时未跟进"})
        _handed_in_with_targets_missed(srv, mgr)
        yield srv


def test_the_report_lists_the_weekly_checks_flags_what_is_missing_and_warns_before_signing(
        browser: Browser, june_server) -> None:  # noqa: ANN001  # R-RV-4 R-FU-10
    ctx, page = open_desk(browser, june_server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    # The month the page opens on is live: counted up to now.
    expect(view.get_by_test_id("report-as-of")).to_contain_text("（实时计算，至当前）", timeout=15000)
    _month(page, "2025-06")
    expect(view.get_by_test_id("report-status")).to_have_text("已提交")
    expect(view.get_by_test_id("report-as-of")).to_have_text("统计截止：2025/06/30 月末（整月）")
    expect(view.get_by_test_id("targets-missed")).to_contain_text("维修及时率 25.00%（目标 ≥ 98%）")
    expect(view.get_by_test_id("targets-missed")).to_contain_text("返修率 25.00%（目标 ≤ 1%）")
    expect(view.get_by_test_id("weeks-unchecked")).to_have_text(
        "有 4 周未做质量检查（2025/06/09、2025/06/16、2025/06/23、2025/06/30 起的一周）")
    weeks = view.get_by_test_id("quality-weeks")
    expect(weeks.locator("tbody tr")).to_have_count(5)
    expect(weeks.get_by_test_id("quality-unchecked")).to_have_count(4)
    expect(weeks.locator("tbody tr").first).to_contain_text("钱经理")
    expect(weeks.locator("tbody tr").first).to_contain_text("不合格")
    expect(weeks.get_by_test_id("quality-capa")).to_have_text("待提交")
    expect(view.get_by_test_id("capa-prompt")).to_contain_text("1 周质量不合格，纠正预防措施报告未提交")
    expect(view.get_by_test_id("capa-link")).to_have_attribute("href", "#/review?focus=quality")

    # On paper: the weekly checks print, and the sheet says when it was printed.
    page.emulate_media(media="print")
    expect(weeks).to_be_visible()
    expect(view.get_by_test_id("report-printed-at")).to_be_visible()
    expect(view.get_by_test_id("report-printed-at")).to_contain_text("打印于 20")
    expect(view.get_by_test_id("capa-link")).to_be_hidden()
    page.emulate_media(media="screen")

    # Signing says what is outstanding first; the manager may sign regardless, and the history says so.
    view.locator("textarea[name=comment]").fill("六月维修超时，限期整改")
    view.get_by_test_id("report-sign").click()
    dialog = page.locator("dialog")
    expect(dialog).to_contain_text("请注意：有 4 周未做质量检查")
    expect(dialog).to_contain_text("1 周质量不合格，纠正预防措施报告未提交")
    dialog.get_by_role("button", name="知悉并签批").click()
    expect(view.get_by_test_id("report-status")).to_have_text("已签批")
    expect(view.get_by_test_id("report-history")).to_contain_text(
        "签批时已提示：有周未做质量检查、质量不合格未提交纠正预防措施报告")

    # The prompt leads to the weekly checks, where the poor week's CAPA report is filed.
    view.get_by_test_id("capa-link").click()
    section = page.get_by_test_id("weekly-quality")
    expect(section).to_be_focused()
    expect(section).to_be_in_viewport()
    expect(section.get_by_test_id("capa-filer")).to_be_visible()
    ctx.close()


def test_a_month_without_a_report_is_labelled_instead_of_showing_figures(browser: Browser, june_server) -> None:  # noqa: ANN001  # R-RV-4
    ctx, page = open_desk(browser, june_server, "dispatcher", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible(timeout=15000)
    _month(page, "2001-01")
    expect(view.get_by_test_id("month-unavailable")).to_have_text("该月早于本管理处启用的月份（2025年1月），没有月报。")
    expect(view.locator("canvas")).to_have_count(0)
    expect(view.get_by_test_id("report-submit")).to_have_count(0)
    expect(view.get_by_test_id("download-xlsx")).to_have_count(0)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    _month(page, f"{now.year + 1}-{now.month:02d}")
    expect(view.get_by_test_id("month-unavailable")).to_have_text("该月尚未开始，还没有月报。")
    ctx.close()
