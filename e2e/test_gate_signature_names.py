"""The guard's phone in English at 360 px: a Chinese name inside an English sentence stays whole."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from PIL import Image
from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_gate import _SYNCED, _api_login
from e2e.test_shell import login, wait_until_controlled


def _png(api: httpx.Client, desk: dict[str, str], shade: int) -> str:
    buf = io.BytesIO()
    Image.new("L", (80, 30), shade).save(buf, format="PNG")
    sha = hashlib.sha256(buf.getvalue()).hexdigest()
    r = api.put(f"/api/blobs/{sha}", content=buf.getvalue(), headers={**desk, "Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    return sha


# Where each signature line's name lies on the screen: the distinct line tops of the name's characters.
_NAME_LINES = """(name) => [...document.querySelectorAll('[data-testid=gate-signatures] li')].map((li) => {
    const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT);
    let text = '', nodes = [];
    while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
    const at = text.indexOf(name);
    if (at < 0) return null;
    const tops = new Set();
    for (let i = at; i < at + name.length; i++) {
        const [node, start] = nodes.filter(([, s]) => s <= i).pop();
        const r = document.createRange();
        r.setStart(node, i - start); r.setEnd(node, i - start + 1);
        tops.add(Math.round(r.getBoundingClientRect().top));
    }
    return tops.size;
}).filter((n) => n !== null)"""


def test_a_chinese_name_in_an_english_signature_line_is_not_split_at_360px(browser: Browser, server, tmp_path: Path) -> None:  # noqa: ANN001  # R-RS-1 R-RS-3
    # "The owner, 高业主, signed the written authorisation" broke as "高业 / 主" on a 360 px phone.
    api = httpx.Client(base_url=server.url, timeout=20)
    desk = _api_login(api, "frontdesk")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    r = api.post("/api/slips", headers=desk, json={
        "unit_id": "unit_2_301", "requester_name": "杨租户", "relation": "tenant",
        "items": [{"name": "电视机", "valuable": True}], "gates": ["N", "S"], "valid_until": until,
        "id_check": {"id_type": "resident_id_card", "last4": "0021"}, "requester_signature_sha256": _png(api, desk, 180),
        "authorisation": {"kind": "written", "delegate_name": "杨租户", "visit_date": today, "items": ["电视机"],
                          "owner_signature_sha256": _png(api, desk, 90), "owner_signature_source": "scanned",
                          "owner_id_copy_sha256": _png(api, desk, 60)},
    })
    assert r.status_code == 201, r.text
    slip = r.json()

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate("localStorage.setItem('estatedesk.lang', 'en')")
    page.reload()
    page.evaluate("navigator.serviceWorker.ready")
    login(page, "guard")
    expect(page.locator("[data-view=gate]")).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while not page.evaluate(_SYNCED, [slip["id"], "none"]) and datetime.now(UTC) < deadline:
        page.wait_for_timeout(300)
    page.locator("select[name=gate]").select_option("N")
    page.locator("input[name=short-code]").fill(slip["short_code"])
    page.locator("[data-action=lookup]").click()
    signed = page.get_by_test_id("gate-signatures")
    expect(signed).to_contain_text("The owner, 高业主, signed the written authorisation", timeout=10000)
    expect(signed).to_contain_text("杨租户")
    for name in ("高业主", "杨租户"):
        assert page.evaluate(_NAME_LINES, name) and all(n == 1 for n in page.evaluate(_NAME_LINES, name)), name
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()
    api.close()
