"""The key cabinet at the desk (R-KY-1): a refused 签名借出 shows beside the key's own row, not in the
page's error box above the table, which is off screen once the desk has scrolled down to the key."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk_slips import sign_open_dialog
from e2e.test_shell import open_desk


def test_a_refused_key_loan_shows_beside_its_row(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    Api(server.url, "frontdesk").call("POST", "/api/keys", {
        "building": "3栋", "floor": "9", "key_type": "resident_entrusted", "label": label})
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    view = page.locator("[data-view=keys]")
    page_error = view.locator(":scope > .desk-error")
    row = view.locator("tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    row_error = row.locator(".rpt-row-error")

    # No staff member picked: said at the row, before anyone signs.  # R-KY-1
    row.get_by_role("button", name="签名借出").click()
    expect(row_error).to_contain_text("请先选择借钥匙的员工")
    expect(row_error).to_be_in_viewport()
    expect(page_error).to_be_hidden()

    # The server refuses (a return time before the loan): its words are at the row too.
    row.locator("select[name=borrower_user]").select_option("usr_tech")
    row.locator("input[name=due]").fill("2020-01-01T10:00")
    row.get_by_role("button", name="签名借出").click()
    sign_open_dialog(page)
    expect(row_error).to_contain_text("归还时间须晚于借出时间", timeout=10000)
    expect(row_error).to_be_in_viewport()
    expect(page_error).to_be_hidden()
    expect(row).to_contain_text("在柜")  # nothing was lent
    ctx.close()


# The width a text takes laid out in the box's own font (a span on the page: the CJK fallback font
# counts, which a canvas measure does not see).
TEXT_WIDTH = """(e, text) => { const s = document.createElement('span'); s.style.font = getComputedStyle(e).font;
    s.style.whiteSpace = 'pre'; s.textContent = text; document.body.append(s);
    const w = s.getBoundingClientRect().width; s.remove(); return w; }"""


def test_the_lending_boxes_show_their_whole_text_at_1366_px(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    # At 1366 px a due time typed in read "12/08/2026, 10:3" and the staff picker "员工借用：选择员工"
    # / "Staff: pick the person" was cut: each box is as wide as what it shows (D96).
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    Api(server.url, "frontdesk").call("POST", "/api/keys", {
        "building": "3栋", "floor": "9", "key_type": "resident_entrusted", "label": label})
    for lang in ("zh", "en"):
        ctx, page = open_desk(browser, server, "frontdesk", "keys")
        if lang == "en":
            page.locator(".btn-lang").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        row = page.locator("[data-view=keys] tr", has_text=label)
        expect(row).to_be_visible(timeout=15000)
        row.locator("input[name=due]").fill("2026-12-08T22:30")
        for name in ("input[name=due]", "select[name=borrower_user]"):
            box = row.locator(name)
            fit = box.evaluate("e => ({sw: e.scrollWidth, cw: e.clientWidth, w: e.getBoundingClientRect().width})")
            assert fit["sw"] <= fit["cw"], (lang, name, fit)
        # The select's chosen text and the date's text are drawn whole: wider than the text they hold.
        pick = row.locator("select[name=borrower_user]")
        need = pick.evaluate(f"e => ({TEXT_WIDTH})(e, e.options[e.selectedIndex].text)")
        inner = pick.evaluate("e => { const s = getComputedStyle(e); return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }")
        assert need + 28 <= inner, (lang, need, inner)  # plus the select's arrow
        due = row.locator("input[name=due]")
        need = due.evaluate(f"e => ({TEXT_WIDTH})(e, '12/08/2026, 10:30 PM')")
        inner = due.evaluate("e => { const s = getComputedStyle(e); return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }")
        assert need + 24 <= inner, (lang, need, inner)  # plus the calendar button
        ctx.close()
