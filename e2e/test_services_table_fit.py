"""The special-services bookings table on a desk screen (D123): at 1366 and 1280 px, in Chinese and English,
no unit label (陈先生 1 / 栋-102) is broken over two lines, nor a header or an item's or resident's name
inside a word (服务项 / 目, 疏通下 / 水道); English names wrap between words, notes and states wrap freely."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import booked
from e2e.test_shell import login

# How many lines a unit's text takes (the distinct tops of its client rects), and for headers and names
# the breaks that fall inside a word: a character on a new line whose neighbour before it is no space
# ("Appliance / cleaning" may wrap; 服务项 / 目 and 疏通下 / 水道 may not).
_LINES = """() => {
    const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
        return new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size; };
    const midWord = (el) => {
        const node = el.firstChild;
        if (!node || node.nodeType !== Node.TEXT_NODE) return 0;
        const r = document.createRange();
        let top = null; let breaks = 0;
        for (let i = 0; i < node.length; i += 1) {
            r.setStart(node, i); r.setEnd(node, i + 1);
            const q = r.getClientRects()[0];
            if (!q || !node.data[i].trim()) continue;
            if (top !== null && Math.round(q.top) > top && node.data[i - 1].trim()) breaks += 1;
            top = Math.round(q.top);
        }
        return breaks;
    };
    const box = document.querySelector('[data-testid=svc-bookings]');
    const units = [...box.querySelectorAll('[data-testid=svc-booking-unit]')].map((el) => ({text: el.textContent, lines: lines(el)}));
    const words = (sel) => [...box.querySelectorAll(sel)].map((el) => ({text: el.textContent, lines: midWord(el) + 1}));
    return {units, heads: words('thead th'), labels: words('.svc-label')};
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_bookings_table_keeps_units_headers_and_names_whole_at_1366_and_1280(browser: Browser, server, lang: str) -> None:  # noqa: ANN001  # R-SS-2
    tag = uuid.uuid4().hex[:4]
    # A consented booking (its row carries the dispatch chooser, the widest controls) and one waiting
    # for consent, as in the review's screenshot.
    booked(server.url, f"陈先生{tag}")
    Api(server.url, "frontdesk").call("POST", "/api/services/bookings", {
        "item_code": "unlock", "resident_name": f"李女士{tag}", "unit_id": "unit_1_102", "phone": "13700001111"})
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate(f"localStorage.setItem('estatedesk.lang', '{lang}')")
    page.reload()
    login(page, "dispatcher")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(server.url + "/#/services")
    table = page.get_by_test_id("svc-bookings")
    expect(table).to_contain_text(f"陈先生{tag}", timeout=15000)
    for width in (1366, 1280):
        page.set_viewport_size({"width": width, "height": 768})
        seen = page.evaluate(_LINES)
        assert seen["units"], seen
        for group in ("units", "heads", "labels"):
            broken = [x for x in seen[group] if x["lines"] > 1]
            assert not broken, (width, lang, group, broken)
    ctx.close()
