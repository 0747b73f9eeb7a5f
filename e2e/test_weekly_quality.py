"""The manager's weekly quality check and the CAPA report a poor week calls for (R-RV-4)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def _poor_week(manager: Api) -> dict:
    # One check per week and compound: a random past Monday keeps tests on a shared server apart.
    week = date(2001, 1, 1) + timedelta(weeks=random.randrange(1200))  # noqa: S311
    return manager.call("POST", "/api/quality/weekly-checks", {
        "week_start": week.isoformat(), "cases_checked": 6, "poor_quality": True, "findings": f"回访超时{week}"})


def test_a_poor_week_waits_on_the_approvals_page_and_its_capa_number_is_filed_there(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # The week waiting for its corrective-action report was not on the approvals page; an empty number
    # said "须填写…编号 — 缺少：…编号", at the top of the section rather than beside the week.
    manager = Api(server.url, "manager")
    check = _poor_week(manager)
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa][data-check={check['id']}]")
    expect(row).to_contain_text(check["findings"], timeout=15000)
    row.get_by_test_id("capa-file").click()
    error = row.locator(".desk-error")
    expect(error).to_have_text("请填写纠正预防措施报告编号")
    row.locator("input[name=capa_report_no]").fill("CAPA-2026-07")
    row.get_by_test_id("capa-file").click()
    expect(page.locator(f"tr[data-check={check['id']}]")).to_have_count(0, timeout=15000)
    filed = next(c for c in manager.call("GET", "/api/quality/weekly-checks") if c["id"] == check["id"])
    assert filed["capa_report_no"] == "CAPA-2026-07"
    ctx.close()


def test_on_the_review_page_a_capa_refusal_shows_beside_its_week_once(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    check = _poor_week(Api(server.url, "manager"))
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/review")
    section = page.get_by_test_id("weekly-quality")
    row = section.locator("tr", has_text=check["findings"])
    expect(row).to_be_visible(timeout=15000)
    row.get_by_test_id("capa-file").click()
    expect(row.locator(".desk-error")).to_have_text("请填写纠正预防措施报告编号")
    expect(section.locator(".desk-error:visible")).to_have_count(1)  # only the row's, none at the top
    ctx.close()
