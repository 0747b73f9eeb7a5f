"""The gate, end to end: a guard's phone verifies release slips offline from a picture of the QR, refuses
a tampered one, releases the valid one, and the desk sees it released once the phone is back online."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import segno
from PIL import Image
from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_shell import login, wait_until_controlled

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _api_login(api: httpx.Client, username: str) -> dict[str, str]:
    r = api.post("/api/auth/login", json={"username": username, "password": "demo", "device_name": "e2e"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _issue_slip(api: httpx.Client, desk: dict[str, str], items: list[dict] | None = None) -> dict:
    buf = io.BytesIO()
    Image.new("L", (80, 30), 180).save(buf, format="PNG")
    sig = hashlib.sha256(buf.getvalue()).hexdigest()
    r = api.put(f"/api/blobs/{sig}", content=buf.getvalue(), headers={**desk, "Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    r = api.post("/api/slips", headers=desk, json={
        "unit_id": "unit_1_202", "requester_name": "林业主", "relation": "owner",
        "items": items or [{"name": "洗衣机", "large": True}, {"name": "纸箱", "quantity": 3}],
        "gates": ["N", "S"], "valid_until": until,
        "id_check": {"id_type": "resident_id_card", "last4": "0021"}, "requester_signature_sha256": sig,
    })
    assert r.status_code == 201, r.text
    return r.json()


def _tampered(payload: str) -> str:
    # Change one character inside the signature (not the last one, which carries padding bits):
    # still a well-formed payload, but the signature no longer matches.
    i = len(payload) - 10
    return payload[:i] + B64URL[(B64URL.index(payload[i]) + 1) % 64] + payload[i + 1 :]


def _qr_png(payload: str, path: Path) -> Path:
    segno.make(payload, error="m", micro=False, boost_error=False).save(str(path), kind="png", scale=6, border=4)
    return path


def _guard_phone(browser: Browser, server, viewport: dict):  # noqa: ANN001, ANN202
    """The guard signed in on a phone whose service worker controls the page and whose offline data
    (keys, revocations, gate documents) has been downloaded, ready to go offline."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "guard")
    expect(page.locator("[data-view=gate]")).to_be_visible(timeout=15000)
    # The keys and the revocation list are on the phone (pulled feed and/or GET /api/gate/keys).
    expect(page.get_by_test_id("gate-cache")).to_contain_text("个密钥", timeout=15000)
    wait_until_controlled(page)
    return ctx, page


def test_guard_verifies_offline_refuses_a_tampered_slip_and_the_release_reaches_the_desk(
    browser: Browser, server, tmp_path: Path  # noqa: ANN001
) -> None:
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue_slip(api, desk)
    valid_png = _qr_png(slip["payload"], tmp_path / "valid.png")
    tampered_png = _qr_png(_tampered(slip["payload"]), tmp_path / "tampered.png")

    ctx, page = _guard_phone(browser, server, PHONE)

    ctx.set_offline(True)
    page.locator("select[name=gate]").select_option("N")  # chosen from the compound's gates (D47)

    page.get_by_test_id("gate-qr-image").set_input_files(str(valid_png))
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    expect(verdict).to_contain_text("有效")
    expect(verdict).to_contain_text("1栋-202")
    expect(verdict).to_contain_text("4 件")
    expect(verdict).to_contain_text(slip["short_code"])
    # Offline, the guard sees who signed the slip and the signature itself (from the pulled gate document).  # R-RS-1
    signed = verdict.get_by_test_id("gate-signatures")
    expect(signed).to_contain_text("业主已签字：林业主（业主本人）")
    expect(signed.locator("img.gate-signature-img")).to_have_count(1)
    expect(verdict).to_contain_text("北门（N）、南门（S）")

    page.get_by_test_id("gate-qr-image").set_input_files(str(tampered_png))
    expect(verdict).to_have_attribute("data-verdict", "tampered", timeout=10000)
    expect(verdict).not_to_contain_text("1栋-202")  # nothing from a forged slip is shown
    expect(verdict.locator("[data-action=release]")).to_have_count(0)

    page.get_by_test_id("gate-qr-image").set_input_files(str(valid_png))
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    verdict.locator("[data-action=release]").click()
    page.locator("[data-action=release-confirm]").click()  # the second, different tap (D92)
    expect(page.get_by_test_id("gate-released")).to_be_visible()
    # The gate reads once, with its code in one pair of brackets.  # R-RS-1
    expect(page.get_by_test_id("gate-released")).to_contain_text("已在北门（N）登记放行")
    assert "））" not in page.get_by_test_id("gate-released").inner_text()
    # The guard who just released sees it confirmed, not "already released, do not release".
    expect(verdict).to_have_attribute("data-verdict", "released")
    expect(verdict).not_to_contain_text("不得")
    expect(verdict.locator("[data-action=release]")).to_have_count(0)

    # The same phone refuses the slip at once, still offline.
    verdict.locator("[data-action=clear]").click()
    page.get_by_test_id("gate-qr-image").set_input_files(str(valid_png))
    expect(verdict).to_have_attribute("data-verdict", "already_used", timeout=10000)
    assert api.get(f"/api/slips/{slip['id']}", headers=desk).json()["state"] == "issued"

    ctx.set_offline(False)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    state = None
    while datetime.now(UTC) < deadline:
        view = api.get(f"/api/slips/{slip['id']}", headers=desk).json()
        state = view["state"]
        if state == "released":
            break
        page.wait_for_timeout(500)
    assert state == "released"
    assert view["slip"]["released_gate"] == "N"
    assert view["slip"]["released_by"] == "usr_guard"
    assert api.get("/api/slips/incidents", headers=desk).json() == []
    ctx.close()
    api.close()


# Counts the synced gate documents in the phone's IndexedDB (evaluate, not wait_for_function: the CSP).
_SYNCED = """async ([slipId, revokedId]) => {
    const db = await new Promise((ok, bad) => { const r = indexedDB.open('estatedesk'); r.onsuccess = () => ok(r.result); r.onerror = bad; });
    const get = (store, key) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).get(key); r.onsuccess = () => ok(r.result); r.onerror = () => ok(undefined); });
    const slip = await get('docs', ['gate_slip', slipId]);
    const revoked = await get('slip_revocations', revokedId);
    db.close();
    return Boolean(slip && revoked);
}"""


def test_guard_types_a_code_offline_and_sees_the_goods_and_the_requester(  # R-RS-1
    browser: Browser, server, tmp_path: Path  # noqa: ANN001
) -> None:
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue_slip(api, desk, [{"name": "钢琴", "large": True}, {"name": "首饰盒", "valuable": True},
                                   {"name": "书箱", "quantity": 5}])
    cancelled = _issue_slip(api, desk, [{"name": "旧床垫", "large": True}])
    r = api.post(f"/api/slips/{cancelled['id']}/revoke", headers=desk, json={"reason": "业主取消"})
    assert r.status_code == 200, r.text

    # The walk-through's phone: 360 px wide.
    ctx, page = _guard_phone(browser, server, {"width": 360, "height": 780})
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while not page.evaluate(_SYNCED, [slip["id"], cancelled["id"]]):
        assert datetime.now(UTC) < deadline, "the guard's phone never synced the gate documents"
        page.wait_for_timeout(300)

    ctx.set_offline(True)
    page.locator("select[name=gate]").select_option("N")
    code = page.locator("input[name=short-code]")
    code.fill(slip["short_code"].lower())  # as a guard types it
    page.locator("[data-action=lookup]").click()
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    expect(verdict).to_contain_text("有效")
    expect(verdict).to_contain_text("林业主（业主本人）")
    goods = page.get_by_test_id("gate-goods")
    expect(goods).to_contain_text("钢琴 ×1")
    expect(goods).to_contain_text("大件")
    expect(goods).to_contain_text("首饰盒 ×1")
    expect(goods).to_contain_text("贵重")
    expect(goods).to_contain_text("书箱 ×5")
    expect(goods).to_contain_text("共 7 件")
    expect(page.get_by_test_id("gate-goods-unchecked")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "gate-typed-offline.png"), full_page=True)
    # Nothing runs off a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The revoked slip, typed offline after the sync, is refused.
    verdict.locator("[data-action=clear]").click()
    code.fill(cancelled["short_code"])
    page.locator("[data-action=lookup]").click()
    expect(verdict).to_have_attribute("data-verdict", "revoked", timeout=10000)
    expect(verdict).to_contain_text("已作废")
    expect(verdict).not_to_contain_text("旧床垫")
    expect(verdict.locator("[data-action=release]")).to_have_count(0)
    ctx.close()
    api.close()


def test_guard_with_no_gate_set_is_asked_for_the_gate_before_releasing(  # R-RS-1
    browser: Browser, server  # noqa: ANN001
) -> None:
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    slip = _issue_slip(api, desk, [{"name": "电视机", "large": True}])  # valid at gates N and S

    # R-RS-1: a fresh login, 本岗出入口代码 empty, 360 px phone.
    ctx, page = _guard_phone(browser, server, {"width": 360, "height": 780})
    gate = page.locator("select[name=gate]")
    expect(gate).to_have_value("")
    page.locator("input[name=short-code]").fill(slip["short_code"])
    page.locator("[data-action=lookup]").click()
    verdict = page.get_by_test_id("gate-verdict")
    expect(verdict).to_have_attribute("data-verdict", "gate_unset", timeout=10000)
    expect(verdict).to_contain_text("请先设置本岗出入口（本单限 北门（N）、南门（S））")
    expect(verdict).not_to_contain_text("可以放行")
    expect(verdict.locator("[data-action=release]")).to_have_count(0)
    expect(gate).to_have_attribute("aria-invalid", "true")
    expect(gate).to_be_focused()

    # Setting the gate re-checks the slip on the screen: now valid, with the release button.
    gate.select_option("N")
    expect(verdict).to_have_attribute("data-verdict", "valid", timeout=10000)
    expect(gate).not_to_have_attribute("aria-invalid", "true")
    release = verdict.locator("[data-action=release]")
    clear = verdict.locator("[data-action=clear]")
    expect(release).to_be_visible()
    # 确认放行 and 核验下一张 do not touch at 360 px.
    a, b = release.bounding_box(), clear.bounding_box()
    assert a and b
    apart = b["x"] - (a["x"] + a["width"]) if abs(a["y"] - b["y"]) < 1 else b["y"] - (a["y"] + a["height"])
    assert apart >= 6, (a, b)
    ctx.close()
    api.close()
