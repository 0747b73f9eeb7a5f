"""The manager keeps the business calendar: holidays and make-up working days (issue: cases, point 2)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_shell import open_desk


def test_manager_adds_a_holiday_and_a_make_up_day(browser: Browser, server) -> None:  # noqa: ANN001  R-FU-2
    ctx, page = open_desk(browser, server, "manager", "calendar")
    form = page.locator("[data-testid=calendar-form]")
    expect(form).to_be_visible(timeout=15000)
    form.locator("textarea[name=holidays]").fill("2027-01-01\n2027-02-17")
    form.locator("textarea[name=makeup_workdays]").fill("2027-02-07")
    form.locator("button[type=submit]").click()
    expect(page.get_by_text("工作日历已保存")).to_be_visible(timeout=10000)
    ctx.close()
    cal = Api(server.url, "dispatcher").call("GET", "/api/calendar")
    assert set(cal["holidays"]) >= {"2027-01-01", "2027-02-17"}
    assert "2027-02-07" in cal["makeup_workdays"]


def test_a_dispatcher_sees_the_calendar_read_only(browser: Browser, server) -> None:  # noqa: ANN001
    ctx, page = open_desk(browser, server, "dispatcher", "calendar")
    form = page.locator("[data-testid=calendar-form]")
    expect(form).to_be_visible(timeout=15000)
    expect(form.locator("textarea[name=holidays]")).to_be_disabled()
    expect(form.locator("button[type=submit]")).to_have_count(0)
    ctx.close()


def test_a_lunch_break_without_its_end_is_named_as_missing_and_nothing_is_saved(
        browser: Browser, server) -> None:  # noqa: ANN001  R-FU-2
    before = Api(server.url, "dispatcher").call("GET", "/api/calendar")
    ctx, page = open_desk(browser, server, "manager", "calendar")
    form = page.locator("[data-testid=calendar-form]")
    expect(form).to_be_visible(timeout=15000)
    no_lunch = form.locator("input[name=no_lunch]")
    if no_lunch.is_checked():
        no_lunch.uncheck()
    form.locator("input[name=lunch_start]").fill("12:00")
    form.locator("input[name=lunch_end]").fill("")
    form.locator("input[name=work_end]").fill("")
    form.locator("button[type=submit]").click()
    # The app's words, in the app's language — not the browser's "Please fill out this field."
    expect(form.get_by_text("缺少：上班时间、午休")).to_be_visible(timeout=10000)
    expect(page.get_by_text("工作日历已保存")).to_have_count(0)
    ctx.close()
    assert Api(server.url, "dispatcher").call("GET", "/api/calendar") == before
