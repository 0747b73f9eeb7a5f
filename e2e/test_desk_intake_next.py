"""Intake at the desk, one call after another (R-IN-1): once a request is recorded the form is
locked to show what was taken; the desk must get a fresh form for the next caller without leaving
the page — with its own button, and with the 受理登记 link it is already on."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.test_shell import open_desk


def record_inquiry(page: Page, name: str, content: str) -> None:
    form = page.locator(".desk-intake-form")
    expect(form.locator("select[name=channel]")).to_be_enabled(timeout=10000)
    form.locator("select[name=channel]").select_option("written")
    form.locator("input[name=kind][value=inquiry]").check()
    form.locator("input[name=address]").fill("3栋2单元502")
    form.locator("input[name=contact_name]").fill(name)
    form.locator("textarea[name=content]").fill(content)
    page.get_by_test_id("intake-submit").click()
    expect(page.locator(".desk-intake-done")).to_contain_text("已受理", timeout=10000)
    expect(form.locator("select[name=channel]")).to_be_disabled()


def test_the_desk_takes_the_next_request_right_after_recording_one(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-1
    ctx, page = open_desk(browser, server, "frontdesk", "intake")
    form = page.locator(".desk-intake-form")

    record_inquiry(page, "来信一", "来信咨询物业费标准")
    # The button beside the decision: a fresh, empty form, the decision panel gone.
    page.get_by_test_id("intake-next").click()
    expect(form.locator("input[name=contact_name]")).to_be_enabled()
    expect(form.locator("input[name=contact_name]")).to_have_value("")
    expect(page.locator(".desk-intake-done")).to_have_count(0)

    # The 受理登记 link the desk is already on does the same (the hash does not change).
    record_inquiry(page, "来信二", "来信咨询停车位")
    page.locator("a.desk-nav-link[href='#/intake']").click()
    expect(form.locator("input[name=contact_name]")).to_be_enabled()
    expect(form.locator("textarea[name=content]")).to_have_value("")
    record_inquiry(page, "来信三", "来信咨询装修时间")
    ctx.close()
