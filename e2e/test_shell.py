"""The PWA shell: role homes, offline start after one online visit."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import DESK, PHONE


def login(page, username: str, password: str = "demo") -> None:  # noqa: ANN001
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("button[type=submit]").click()


# Playwright's wait_for_function polls by evaluating a string inside the page, which the app's CSP
# (no 'unsafe-eval') refuses unless the condition already holds at the first check. These helpers wait
# on the page's own events through evaluate(), which CSP does not restrict.
# A worker that fails to install never settles `ready`: give up after `ms` instead of hanging the run.
_CONTROLLED = """async (ms) => {
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), ms));
    const ready = await Promise.race([navigator.serviceWorker.ready.then(() => 'ready'), timeout]);
    if (ready !== 'ready') return 'service worker not ready';
    return navigator.serviceWorker.controller ? true : Promise.race([timeout, new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), {once: true}))]);
}"""


def wait_until_controlled(page, timeout_ms: int = 30000) -> None:  # noqa: ANN001
    """Until the service worker controls the page (after which a reload works offline)."""
    assert page.evaluate(_CONTROLLED, timeout_ms) is True


def wait_for_hash(page, expected: str, timeout_ms: int = 10000) -> None:  # noqa: ANN001
    ok = page.evaluate(
        """([want, ms]) => location.hash === want || new Promise((resolve) => {
            const t = setTimeout(() => resolve(location.hash === want), ms);
            window.addEventListener('hashchange', function check() {
                if (location.hash === want) { clearTimeout(t); window.removeEventListener('hashchange', check); resolve(true); }
            });
        })""",
        [expected, timeout_ms],
    )
    assert ok, f"location.hash never became {expected!r}"


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


LAPTOP = {"width": 1280, "height": 800}


def desk_in(browser: Browser, server, lang: str, username: str = "dispatcher", viewport: dict | None = None,  # noqa: ANN001
            route: str = "") -> Page:
    """A desk page in `lang` ("zh" or "en") chosen before the app starts, in the compound's zone, at a
    laptop's 1280 px unless another viewport is given; on `#/route` once the desk is up."""
    ctx = browser.new_context(viewport=viewport or LAPTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.add_init_script(f"localStorage.setItem('estatedesk.lang', '{lang}')")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, username)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    if route:
        page.goto(f"{server.url}/#/{route}")
    return page


def test_technician_home_opens_offline_after_one_visit(browser: Browser, server) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "tech")
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    # The demo technician has dispatched work waiting on the phone.
    expect(page.locator(".job-list").first).to_contain_text("厨房水龙头漏水", timeout=15000)
    # A technician's header leads to their jobs, the inbox and settings; there is no desk home.
    assert page.locator(".topnav a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == [
        "#/jobs", "#/reminders", "#/settings"]
    # The service worker controls the page once it has claimed it.
    wait_until_controlled(page)
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
    # Nobody assigns work orders to a dispatcher: no "my jobs" link that could only ever be empty.
    assert page.locator(".topnav a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == [
        "#/", "#/reminders", "#/settings"]
    # A screen reader reads the navigation's name in the screen's language, not a literal 'main'.
    expect(page.locator("nav.topnav")).to_have_attribute("aria-label", "主导航")
    ctx.close()


def test_the_sync_state_stays_in_sight_below_the_top_bar_on_a_long_page(browser: Browser, server) -> None:  # noqa: ANN001
    # The pending count and the sync state must be visible wherever the technician has scrolled to.
    ctx = browser.new_context(viewport={"width": 360, "height": 400}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    expect(page.locator(".job-list").first).to_be_visible(timeout=15000)
    # A long list, as after a day of work: the view grows and the page scrolls under the bars.
    page.evaluate("document.getElementById('view').style.minHeight = '3000px'; window.scrollTo(0, 2000)")
    top = page.locator(".topbar").bounding_box()
    bar = page.locator(".syncbar").bounding_box()
    assert bar is not None and top is not None
    assert abs(bar["y"] - (top["y"] + top["height"])) < 2, (top, bar)
    ctx.close()


def test_the_desk_is_first_drawn_with_its_stylesheet_applied(browser: Browser, server) -> None:  # noqa: ANN001
    # desk.css is loaded when the desk first opens (phones never need it). Drawn before it applied,
    # the header showed unstyled (the emergency numbers on a line of their own) and jumped once it
    # landed; on a slow link that is seconds. Here the sheet answers 1.5 s late.
    ctx = browser.new_context(viewport=DESK, locale="zh-CN", service_workers="block")
    page = ctx.new_page()

    def late_sheet(route) -> None:  # noqa: ANN001
        page.wait_for_timeout(1500)
        route.continue_()

    page.route("**/desk.css", late_sheet)
    page.goto(server.url + "/")
    login(page, "dispatcher")
    header = page.locator(".desk-header")
    expect(header).to_be_visible(timeout=15000)
    assert header.evaluate("(el) => getComputedStyle(el).display") == "flex"
    ctx.close()
