"""The guard's verdict at 360x740: brought into view and focused after a lookup, released only after a
second, different confirmation that lists what leaves (D92), an earlier release said with its time and
gate, and a lookup's leftover message gone when the next lookup starts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE
from e2e.test_gate import _api_login, _guard_phone, _issue_slip

_SYNCED = """async (slipId) => {
    const db = await new Promise((ok, bad) => { const r = indexedDB.open('estatedesk'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
    const slip = await new Promise((ok) => { const r = db.transaction('docs').objectStore('docs').get(['gate_slip', slipId]); r.onsuccess = () => ok(r.result); r.onerror = () => ok(undefined); });
    db.close();
    return Boolean(slip);
}"""
# In sight: its top below the sticky header and sync bar, and not at the bottom edge of the screen.
_IN_VIEW = """(el) => {
    const r = el.getBoundingClientRect(), bar = document.querySelector('.syncbar').getBoundingClientRect();
    return r.top >= bar.bottom - 1 && r.top < window.innerHeight - 120;
}"""
_FOCUS_INSIDE = "(el) => el.contains(document.activeElement)"


def _look_up(page: Page, code: str) -> None:
    page.locator("input[name=short-code]").fill(code)
    page.locator("[data-action=lookup]").click()


def test_the_verdict_comes_into_view_and_a_release_needs_a_second_confirmation(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-RS-1: a slip is released once; a mis-tap must not use it up
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue_slip(api, desk, [{"name": "冰箱", "large": True}, {"name": "纸箱", "quantity": 3}])
    ctx, page = _guard_phone(browser, server, PHONE)
    page.locator("select[name=gate]").select_option("N")
    _look_up(page, slip["short_code"].lower())

    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    # Below the form at 360x740 it looked as if 查询 did nothing: the verdict is scrolled to and focused.
    page.wait_for_timeout(400)
    assert verdict.evaluate(_IN_VIEW), "the verdict is not in view after 查询"
    assert verdict.evaluate(_FOCUS_INSIDE), "focus did not move to the verdict"

    # The first tap asks; it lists what leaves and the gate, and releases nothing yet.
    verdict.locator("[data-action=release]").click()
    dialog = page.get_by_test_id("gate-release-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("冰箱 ×1")
    expect(dialog).to_contain_text("纸箱 ×3")
    expect(dialog).to_contain_text("北门（N）")
    expect(dialog).to_contain_text("1栋-202")
    confirm = dialog.locator("[data-action=release-confirm]")
    assert confirm.inner_text() != verdict.locator("[data-action=release]").inner_text()
    dialog.locator("[data-action=release-cancel]").click()
    expect(dialog).to_have_count(0)
    expect(verdict).to_have_attribute("data-verdict", "valid")
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", "0")

    verdict.locator("[data-action=release]").click()
    page.get_by_test_id("gate-release-confirm").locator("[data-action=release-confirm]").click()
    expect(verdict).to_have_attribute("data-verdict", "released", timeout=10000)

    # The next look at the slip says when and where it left.
    verdict.locator("[data-action=clear]").click()
    _look_up(page, slip["short_code"])
    expect(verdict).to_have_attribute("data-verdict", "already_used", timeout=10000)
    expect(page.get_by_test_id("gate-used-when")).to_have_text(re.compile(r"^已于 \d\d/\d\d \d\d:\d\d 在北门（N）放行$"))
    ctx.close()
    api.close()


def test_a_lookups_leftover_message_is_gone_when_the_next_lookup_starts(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-RS-1: the guard reads one verdict, about the slip in hand
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue_slip(api, desk)
    ctx, page = _guard_phone(browser, server, PHONE)
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while not page.evaluate(_SYNCED, slip["id"]):
        assert datetime.now(UTC) < deadline, "the guard's phone never synced the slip"
        page.wait_for_timeout(300)
    page.locator("select[name=gate]").select_option("N")
    ctx.set_offline(True)
    newer = _issue_slip(api, desk)  # issued since the phone's last sync: not in its offline data
    _look_up(page, newer["short_code"])
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "cannot_verify_offline", timeout=10000)
    expect(page.get_by_text("本机离线数据中没有该放行码", exact=False)).to_be_visible()

    _look_up(page, slip["short_code"])
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    expect(page.get_by_text("本机离线数据中没有该放行码", exact=False)).to_have_count(0)
    expect(page.locator("#toast.show")).to_have_count(0)
    ctx.set_offline(False)
    ctx.close()
    api.close()
