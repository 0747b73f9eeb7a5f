"""The PWA shell: role homes, offline start after one online visit."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.conftest import DESK, PHONE


def login(page, username: str, password: str = "demo") -> None:  # noqa: ANN001
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("button[type=submit]").click()


def open_desk(browser: Browser, server, username: str, route: str = ""):  # noqa: ANN001, ANN201
    """A desk-sized browser context logged in as `username`, on `#/route` once the desk is up."""
    ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, username)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    if route:
        page.goto(f"{server.url}/#/{route}")
    return ctx, page


def test_technician_home_opens_offline_after_one_visit(browser: Browser, server) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "tech")
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    # The demo technician has dispatched work waiting on the phone.
    expect(page.locator(".job-list").first).to_contain_text("厨房水龙头漏水", timeout=15000)
    # The service worker controls the page once it has claimed it.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    ctx.set_offline(True)
    page.reload()
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    ctx.close()


def test_dispatcher_sees_the_desk_home_on_a_wide_screen(browser: Browser, server) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "dispatcher")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    ctx.close()
