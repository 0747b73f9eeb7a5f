"""A new build deployed while the app is open: the open page keeps working until the user reloads
(D127). The server serves a copy of pwa/ (ESTATEDESK_PWA_DIR) and each test "deploys" a new build into
that copy the way scripts/build_pwa.mjs would: a renamed lazy chunk, a new version in sw-version.js,
the old file gone from the server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE, ROOT, RunningServer, start_server
from e2e.test_shell import login, wait_until_controlled


class Deployed:
    """The copy of pwa/ a server serves, with a way to put a new build in place of the current one."""

    def __init__(self, server: RunningServer, pwa: Path) -> None:
        self.server = server
        self.pwa = pwa
        self.builds = 0

    @property
    def url(self) -> str:
        return self.server.url

    def deploy_new_build(self) -> str:
        """Renames the reports chunk (as a changed reports module would be renamed by esbuild), rewrites
        the import that names it, and gives the build a new version: the next update check installs a
        new service worker, and the previous build's reports chunk no longer exists on the server."""
        self.builds += 1
        dist = self.pwa / "dist"
        old = next((dist / "chunks").glob("reports-*.js"))
        new_name = f"reports-NEW{self.builds:05d}.js"
        for f in dist.rglob("*.js"):
            text = f.read_text()
            if old.name in text:
                f.write_text(text.replace(old.name, new_name))
        old.rename(old.with_name(new_name))
        version_file = dist / "sw-version.js"
        m = re.search(r"self\.ESTATEDESK_BUILD = (\{.*\});", version_file.read_text())
        assert m, "sw-version.js has the shape scripts/build_pwa.mjs writes"
        build = json.loads(m.group(1))
        build["version"] = f"e2e-build-{self.builds}"
        build["precache"] = [u.replace(old.name, new_name) for u in build["precache"]]
        version_file.write_text(f"self.ESTATEDESK_BUILD = {json.dumps(build)};\n")
        return new_name


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    if not (ROOT / "pwa" / "dist" / "sw-version.js").exists():
        subprocess.run(["node", "scripts/build_pwa.mjs"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="estatedesk-e2e-update-") as d:
        pwa = Path(d) / "pwa"
        shutil.copytree(ROOT / "pwa", pwa, ignore=shutil.ignore_patterns("node_modules", "test", "*.map"))
        data = Path(d) / "data"
        data.mkdir()
        srv = start_server(data, {"ESTATEDESK_PWA_DIR": str(pwa)})
        try:
            yield Deployed(srv, pwa)
        finally:
            srv.proc.terminate()
            try:
                srv.proc.wait(10)
            except subprocess.TimeoutExpired:
                srv.proc.kill()


# registration.update(), then wait until the new worker has taken over the page and finished its
# activate handler: the page's controller changes before that handler runs, the cache clean-up with it.
_UPDATE_AND_WAIT = """async (ms) => {
    const activated = (sw) => sw.state === 'activated' || new Promise((resolve) =>
        sw.addEventListener('statechange', () => sw.state === 'activated' && resolve(true)));
    const changed = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange',
        () => resolve(activated(navigator.serviceWorker.controller)), {once: true}));
    const reg = await navigator.serviceWorker.getRegistration();
    await reg.update();
    return Promise.race([changed, new Promise((resolve) => setTimeout(() => resolve('timed out'), ms))]);
}"""


def update_service_worker(page: Page, timeout_ms: int = 30000) -> None:
    assert page.evaluate(_UPDATE_AND_WAIT, timeout_ms) is True


def manager_on_the_desk(browser: Browser, url: str) -> Page:
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    return page


def test_an_open_page_still_opens_the_monthly_report_after_a_new_build_takes_over(
        browser: Browser, deployed: Deployed) -> None:
    page = manager_on_the_desk(browser, deployed.url)
    deployed.deploy_new_build()
    update_service_worker(page)
    # No reload: the page still runs the previous build, whose reports chunk is gone from the server.
    page.locator(".desk-nav a[href='#/reports']").click()
    expect(page.locator("[data-view=reports]")).to_be_visible(timeout=15000)
    expect(page.locator(".notice-error")).to_have_count(0)
    # And the page says a new version is ready, for when the user chooses to reload.
    expect(page.locator(".update-banner")).to_contain_text("新版本已就绪")
    page.locator(".update-banner button").click()
    expect(page.locator("[data-view=reports]")).to_be_visible(timeout=15000)
    expect(page.locator(".update-banner")).to_be_hidden()
    page.context.close()


def test_a_page_opened_on_a_first_visit_offers_the_reload_when_a_later_update_arrives(
        browser: Browser, deployed: Deployed) -> None:
    page = manager_on_the_desk(browser, deployed.url)  # a fresh context: the first install claims this page
    # Installing the first worker is not an update: nothing to reload for.
    expect(page.locator(".update-banner")).to_be_hidden()
    deployed.deploy_new_build()
    update_service_worker(page)
    expect(page.locator(".update-banner")).to_be_visible()
    expect(page.locator(".update-banner")).to_contain_text("新版本已就绪")
    expect(page.locator(".update-banner button")).to_have_text("刷新")
    page.context.close()


@pytest.mark.parametrize(("lang", "message", "button"), [
    ("zh", "报表模块未能加载，可能是应用刚刚更新。请刷新页面。", "刷新"),
    ("en", "The reports module could not be loaded; the app may have just been updated. Please reload the page.", "Reload"),
])
def test_a_lazy_module_that_fails_to_load_says_so_plainly_with_a_reload_button_at_360_px(
        browser: Browser, deployed: Deployed, lang: str, message: str, button: str) -> None:
    # No service worker here: the chunk request is refused as a server that no longer has it would.
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    ctx.add_init_script(f"localStorage.setItem('estatedesk.lang', '{lang}')")
    page = ctx.new_page()
    page.goto(deployed.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.route(re.compile(r"/dist/chunks/reports-[^/]*\.js$"), lambda route: route.fulfill(status=404, body="gone"))
    page.locator(".desk-nav a[href='#/reports']").click()
    notice = page.locator(".chunk-failed")
    expect(notice).to_be_visible(timeout=15000)
    expect(notice).to_contain_text(message)
    assert "http" not in notice.inner_text() and "dist/chunks" not in notice.inner_text()
    # Every word inside the card at 360 px: nothing runs past its right edge.
    over = notice.evaluate("""el => { const r = el.getBoundingClientRect();
        return el.scrollWidth > el.clientWidth || r.right > document.documentElement.clientWidth; }""")
    assert over is False
    reload = notice.get_by_role("button", name=button)
    expect(reload).to_be_visible()
    page.unroute(re.compile(r"/dist/chunks/reports-[^/]*\.js$"))
    reload.click()
    expect(page.locator("[data-view=reports]")).to_be_visible(timeout=15000)
    ctx.close()


def test_only_the_previous_build_is_kept_besides_the_current_one(browser: Browser, deployed: Deployed) -> None:
    page = manager_on_the_desk(browser, deployed.url)
    shells = "async () => (await caches.keys()).filter((n) => n.startsWith('estatedesk-shell-'))"
    first = page.evaluate(shells)
    assert len(first) == 1
    deployed.deploy_new_build()
    update_service_worker(page)
    second = page.evaluate(shells)
    assert second[0] == first[0] and len(second) == 2  # the page's own build stays for it
    deployed.deploy_new_build()
    update_service_worker(page)
    # Two builds on: the first has no page left to serve and is deleted; the one before the newest stays.
    assert page.evaluate(shells) == [second[1], f"estatedesk-shell-e2e-build-{deployed.builds}"]
    page.context.close()
