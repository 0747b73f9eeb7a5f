"""The desk's case list fits its card at 1366x768, in English as in Chinese: no column is cut off."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK
from e2e.test_shell import login

# The wrap's overflow, and every case number and receipt time that broke over two lines.
_FIT = """() => {
    const table = document.querySelector('[data-testid=case-list]');
    const wrap = table.parentElement;
    const broken = [...table.querySelectorAll('tbody tr')].flatMap((tr) => {
        const no = tr.querySelector('.desk-case-no');
        const received = tr.children[1];
        const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el); return new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size; };
        return [no, received].filter((el) => lines(el) > 1).map((el) => el.textContent);
    });
    return {scroll: wrap.scrollWidth, client: wrap.clientWidth, broken};
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_case_list_fits_its_card_at_1366_with_long_badges_and_addresses(browser: Browser, server, lang: str) -> None:  # noqa: ANN001  # R-OP-3 R-FU-1
    desk = Api(server.url, "dispatcher")
    tag = uuid.uuid4().hex[:6]
    # The widest rows a working day brings: a case passed up for a decision (its badge names the
    # manager), a long basement address, and a case that is both dispatched and waiting.
    referred = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "宽度测试", "phone": "13800000031",
        "address": "12栋2单元地下车库B区17号车位", "content": f"楼道灯不亮，责任不清 {tag}", "repair_responsibility": "common"})["case"]
    desk.call("POST", f"/api/cases/{referred['id']}/refer-opening", {"to_id": "usr_manager", "note": "请经理定"})
    urgent = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "宽度测试", "phone": "13800000032",
        "address": "4栋地下室水泵房", "content": f"主水管爆裂 {tag}", "repair_responsibility": "common", "repair_class": "urgent"})["case"]
    desk.call("POST", f"/api/cases/{urgent['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    desk.call("POST", f"/api/cases/{urgent['id']}/refer-opening", {"to_id": "usr_lead", "note": "请班长定"})

    ctx = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate(f"localStorage.setItem('estatedesk.lang', '{lang}')")
    page.reload()
    login(page, "dispatcher")
    table = page.get_by_test_id("case-list")
    expect(table).to_contain_text(referred["no"], timeout=15000)
    fit = page.evaluate(_FIT)
    assert fit["scroll"] <= fit["client"], fit
    assert not fit["broken"], fit
    # The last column is on screen, not behind a sideways scroll.
    last = table.locator("thead th").last
    box, card = last.bounding_box(), page.locator(".desk-cases").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"], (box, card)
    ctx.close()
