"""The guard's release is checked again at the moment it is confirmed (R-RS-1): a slip the desk revoked, or
whose validity ended, while its verdict sat on the guard's phone is refused then, not released; a sync that
brings a revocation turns the slip on screen to "revoked"; a release the server recorded as an incident says so
on the phone; offline data past its age says it is out of date."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE
from e2e.test_gate import _api_login, _guard_phone
from e2e.test_shell import login, wait_until_controlled

# What this phone queued as slip releases (evaluate, not wait_for_function: the CSP).
_RELEASES_QUEUED = """async () => {
    const db = await new Promise((ok, bad) => { const r = indexedDB.open('estatedesk'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
    const all = await new Promise((ok) => { const r = db.transaction('outbox').objectStore('outbox').getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => ok([]); });
    db.close();
    return all.filter((e) => e.type === 'slip.release').map((e) => ({ state: e.state, slip_id: e.args.slip_id }));
}"""
_GATE_SLIP_SYNCED = """async (slipId) => {
    const db = await new Promise((ok, bad) => { const r = indexedDB.open('estatedesk'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
    const slip = await new Promise((ok) => { const r = db.transaction('docs').objectStore('docs').get(['gate_slip', slipId]); r.onsuccess = () => ok(r.result); r.onerror = () => ok(undefined); });
    db.close();
    return Boolean(slip);
}"""


def _issue(api: httpx.Client, desk: dict[str, str], *, valid_for: timedelta = timedelta(days=1)) -> dict:
    buf = io.BytesIO()
    Image.new("L", (80, 30), 170).save(buf, format="PNG")
    sig = hashlib.sha256(buf.getvalue()).hexdigest()
    r = api.put(f"/api/blobs/{sig}", content=buf.getvalue(), headers={**desk, "Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    until = (datetime.now(UTC) + valid_for).isoformat().replace("+00:00", "Z")
    r = api.post("/api/slips", headers=desk, json={
        "unit_id": "unit_1_202", "requester_name": "林业主", "relation": "owner",
        "items": [{"name": "沙发", "large": True}], "gates": ["N", "S"], "valid_until": until,
        "id_check": {"id_type": "resident_id_card", "last4": "0021"}, "requester_signature_sha256": sig,
    })
    assert r.status_code == 201, r.text
    return r.json()


def _look_up(page: Page, code: str) -> None:
    page.locator("input[name=short-code]").fill(code)
    page.locator("[data-action=lookup]").click()


def _wait_for_gate_slip(page: Page, slip_id: str) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while not page.evaluate(_GATE_SLIP_SYNCED, slip_id):
        assert datetime.now(UTC) < deadline, "the guard's phone never synced the slip"
        page.wait_for_timeout(300)


def _valid_on_screen(page: Page, code: str):  # noqa: ANN202
    """At gate N, the slip looked up and shown valid: the verdict card."""
    page.locator("select[name=gate]").select_option("N")
    _look_up(page, code)
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    return verdict


def _desk_and_guard(browser: Browser, server):  # noqa: ANN001, ANN202
    """The front desk's API session with a slip it issued, and the guard's phone."""
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue(api, desk)
    ctx, page = _guard_phone(browser, server, PHONE)
    return api, desk, slip, ctx, page


def _revoke(api: httpx.Client, desk: dict[str, str], slip: dict) -> None:
    """The desk revokes the slip (the owner called it off)."""
    r = api.post(f"/api/slips/{slip['id']}/revoke", headers=desk, json={"reason": "业主取消"})
    assert r.status_code == 200, r.text


def _server_slip(api: httpx.Client, desk: dict[str, str], slip_id: str) -> dict:
    return api.get(f"/api/slips/{slip_id}", headers=desk).json()


def test_a_slip_revoked_while_on_screen_is_refused_at_the_confirmation_not_released(  # R-RS-1
    browser: Browser, server,  # noqa: ANN001
) -> None:
    api, desk, slip, ctx, page = _desk_and_guard(browser, server)
    verdict = _valid_on_screen(page, slip["short_code"])

    # The desk revokes it while the guard has "valid" on screen; the guard taps 确认放行, then 是，放行出门.
    _revoke(api, desk, slip)
    verdict.locator("[data-action=release]").click()
    page.locator("[data-action=release-confirm]").click()

    # The phone asked the server at the confirmation: the new verdict, and nothing released.
    expect(verdict).to_have_attribute("data-verdict", "revoked", timeout=10000)
    expect(verdict).to_contain_text("已作废 · 不得放行")
    expect(page.get_by_test_id("gate-recheck")).to_contain_text("未登记放行")
    expect(page.get_by_test_id("gate-released")).to_have_count(0)
    expect(verdict.locator("[data-action=release]")).to_have_count(0)
    assert page.evaluate(_RELEASES_QUEUED) == []
    page.wait_for_timeout(1500)  # a sync would have sent a queued release by now
    view = _server_slip(api, desk, slip["id"])
    assert view["state"] == "revoked" and view["slip"]["released_at"] is None
    assert api.get("/api/slips/incidents", params={"slip_id": slip["id"]}, headers=desk).json() == []
    ctx.close()
    api.close()


def test_a_sync_that_brings_the_revocation_turns_the_slip_on_screen_to_revoked(  # R-RS-1
    browser: Browser, server,  # noqa: ANN001
) -> None:
    api, desk, slip, ctx, page = _desk_and_guard(browser, server)
    verdict = _valid_on_screen(page, slip["short_code"])

    _revoke(api, desk, slip)
    # The phone comes back online (as after a dropped signal): its sync pulls the revocation, and the
    # slip still on screen is checked again without a tap.
    ctx.set_offline(True)
    page.wait_for_timeout(300)
    ctx.set_offline(False)
    expect(verdict).to_have_attribute("data-verdict", "revoked", timeout=15000)
    expect(verdict.locator("[data-action=release]")).to_have_count(0)
    ctx.close()
    api.close()


def test_a_slip_whose_validity_ends_while_the_guard_confirms_offline_is_refused(  # R-RS-1
    browser: Browser, server,  # noqa: ANN001
) -> None:
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue(api, desk, valid_for=timedelta(minutes=10))
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.clock.install()  # the phone's clock is moved past the slip's end below
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "guard")
    expect(page.get_by_test_id("gate-cache")).to_contain_text("个密钥", timeout=15000)
    wait_until_controlled(page)
    _wait_for_gate_slip(page, slip["id"])
    ctx.set_offline(True)
    verdict = _valid_on_screen(page, slip["short_code"])

    verdict.locator("[data-action=release]").click()
    confirm = page.locator("[data-action=release-confirm]")
    expect(confirm).to_be_enabled(timeout=5000)
    page.clock.fast_forward("11:00")  # the slip ended while the dialog was open
    confirm.click()

    expect(verdict).to_have_attribute("data-verdict", "expired", timeout=10000)
    expect(page.get_by_test_id("gate-released")).to_have_count(0)
    assert page.evaluate(_RELEASES_QUEUED) == []
    ctx.close()
    api.close()


def test_a_release_the_server_records_as_an_incident_says_so_on_the_phone(  # R-RS-1
    browser: Browser, server,  # noqa: ANN001
) -> None:
    api, desk, slip, ctx, page = _desk_and_guard(browser, server)
    _wait_for_gate_slip(page, slip["id"])
    # Offline, the phone cannot learn the desk's revocation: it releases on the verdict it has.
    ctx.set_offline(True)
    verdict = _valid_on_screen(page, slip["short_code"])
    _revoke(api, desk, slip)
    verdict.locator("[data-action=release]").click()
    page.locator("[data-action=release-confirm]").click()
    released = page.get_by_test_id("gate-released")
    expect(released).to_contain_text("待同步到服务中心")

    ctx.set_offline(False)  # the release reaches the server, which records it as an incident
    expect(released).to_contain_text("记为异常", timeout=20000)
    expect(released).to_contain_text("已作废")
    expect(released).not_to_contain_text("待同步")
    incidents = api.get("/api/slips/incidents", params={"slip_id": slip["id"]}, headers=desk).json()
    assert [i["kinds"] for i in incidents] == [["released_while_revoked"]]
    # The sync bar does not say all is well, and the outbox names the incident on the release's line.
    expect(page.locator(".syncbar")).to_contain_text("异常 1 条")
    page.goto(server.url + "/#/outbox")
    entry = page.locator(".outbox-item", has_text="放行")
    expect(entry).to_contain_text("记为异常")
    expect(entry).to_contain_text("已作废")
    ctx.close()
    api.close()


def test_offline_data_past_its_age_warns_and_the_lookup_says_why(  # R-RS-1
    browser: Browser, server,  # noqa: ANN001
) -> None:
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue(api, desk, valid_for=timedelta(days=3))
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "guard")
    status = page.get_by_test_id("gate-cache")
    expect(status).to_contain_text("个密钥", timeout=15000)
    wait_until_controlled(page)
    _wait_for_gate_slip(page, slip["id"])
    page.locator("select[name=gate]").select_option("N")
    ctx.set_offline(True)
    page.clock.fast_forward("25:00:00")

    # The line turns by itself: out of date, sync first.
    expect(status).to_contain_text("已过期", timeout=10000)
    expect(status).to_contain_text("请联网同步")
    expect(status).to_have_class(re.compile(r"\bnotice-warn\b"))
    _look_up(page, slip["short_code"])
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "cannot_verify_offline", timeout=10000)
    expect(page.get_by_test_id("gate-note")).to_contain_text("超过 24 小时")

    # No camera here: the sentence is the app's own, the browser's English goes on a detail line.
    page.locator("[data-action=scan]").click()
    msg = page.get_by_test_id("gate-scan-msg")
    expect(msg).to_contain_text("无法打开摄像头", timeout=10000)
    assert not any("a" <= c.lower() <= "z" for c in msg.inner_text()), msg.inner_text()
    expect(page.get_by_test_id("gate-scan-detail")).not_to_be_empty()
    ctx.close()
    api.close()
