"""The field phone at 360 px, the narrowest it supports, in Chinese and in English: no page scrolls
sideways, and the sync bar keeps to one line when a record was refused (issue: the field phone must
work at 360 px width)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _dispatched_repair, _draw_signature, _phone_showing
from e2e.test_field_sync_triggers import _pending, _work_order

_SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"
# The rows the bar's items sit on: its children's vertical centres, those within 4 px of each other
# counted as one row (the dot is shorter than the words but centred on the same row).
_ROWS = """(bar) => [...bar.children].map((c) => { const r = c.getBoundingClientRect(); return (r.top + r.bottom) / 2; })
    .sort((a, b) => a - b).filter((y, i, ys) => i === 0 || y - ys[i - 1] > 4).length"""
# Whether the last-sync time is on the bar's line, and whether its start is cut off at the left.
_LAST_SYNC = """(el) => {
    const box = el.getBoundingClientRect(), text = el.firstElementChild.getBoundingClientRect();
    return [text.top < box.bottom, text.left < box.left - 0.5];
}"""
# How many lines an element's text takes: the distinct tops of its text's line boxes.
_LINES = """(el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
}"""


def _phone_with_a_refused_record(browser: Browser, server) -> tuple:  # noqa: ANN001
    """The technician's phone with one refused record (an acceptance made offline on a job the desk
    gave to someone else meanwhile) and a job still theirs; returns (ctx, page, job id, content)."""
    tag = uuid.uuid4().hex[:6]
    gone = f"地下车库排水沟堵塞 {tag}"
    mine = f"三号楼楼道声控灯不亮 {tag}"
    gone_id = _dispatched_repair(server, gone)
    mine_id = _dispatched_repair(server, mine)
    ctx, page = _phone_showing(browser, server, mine)
    ctx.set_offline(True)
    page.locator(".job-card", has_text=gone).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)
    Api(server.url, "dispatcher").call("POST", f"/api/cases/{gone_id}/dispatch",
                                       {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)
    expect(page.locator(".syncbar-refused")).to_be_visible(timeout=15000)
    return ctx, page, _work_order(server, mine_id)["id"], mine


def _fits(page: Page, where: str) -> None:
    page.wait_for_timeout(300)  # one layout pass after the render
    overflow = page.evaluate(_SIDEWAYS)
    assert overflow <= 0, f"{where}: the page scrolls {overflow}px sideways at {PHONE['width']} px"


def _bar_on_one_line(page: Page, where: str) -> None:
    bar = page.locator(".syncbar")
    assert bar.evaluate(_ROWS) == 1, f"{where}: the sync bar wraps: {bar.inner_text()!r}"
    for item in (page.get_by_test_id("pending-count"), page.locator(".syncbar-refused")):
        assert item.evaluate(_LINES) == 1, f"{where}: {item.inner_text()!r} breaks"
        box = item.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{where}: {item.inner_text()!r} off screen"
    # The last-sync time shows whole or not at all (clipped below its line), never cut at the side.
    shown, left_cut = bar.locator(".syncbar-last").evaluate(_LAST_SYNC)
    assert not (shown and left_cut), f"{where}: the last-sync time is cut"


def test_no_phone_page_scrolls_sideways_at_360_px_in_chinese_or_english_with_a_refused_record(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # design guarantees 1 and 6: the refusal and the unsent count are in sight on every page
    ctx, page, job_id, content = _phone_with_a_refused_record(browser, server)
    for lang in ("zh", "en"):
        if lang == "en":
            _switch_language(page, "en")
        page.goto(f"{server.url}/#/jobs")
        expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=10000)
        _fits(page, f"{lang} job list")
        _bar_on_one_line(page, f"{lang} job list")

        page.goto(f"{server.url}/#/job/{job_id}")
        expect(page.get_by_test_id("job-state")).to_be_visible(timeout=10000)
        if lang == "zh":
            _fits(page, "zh job before arrival")
            page.locator("[data-action=accept]").click()
            page.locator("[data-action=arrive]").click()
            expect(page.get_by_test_id("job-state")).to_have_text("已到场", timeout=10000)
        _fits(page, f"{lang} job on site")

        page.locator("[data-action=complete]").click()
        expect(page.locator("canvas.signature-canvas")).to_be_visible(timeout=10000)
        _draw_signature(page)
        _fits(page, f"{lang} completion with signature")
        _bar_on_one_line(page, f"{lang} completion")

        page.goto(f"{server.url}/#/outbox")
        expect(page.locator(".outbox-item[data-state=refused]")).to_have_count(1, timeout=10000)
        _fits(page, f"{lang} outbox")
        for route in ("reminders", "settings"):
            page.goto(f"{server.url}/#/{route}")
            page.wait_for_timeout(500)
            _fits(page, f"{lang} {route}")
    ctx.close()


def test_the_english_sync_bar_keeps_to_one_line_with_a_refused_record_at_360_px(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # design guarantee 6: what is unsent and what was refused stay in sight, whole
    # English put "synced just now" on a second line of its own under "Offline 1 waiting to send
    # 1 refused": the sticky bar grew over the page and the last line read as a stray.
    ctx, page, job_id, _ = _phone_with_a_refused_record(browser, server)
    _switch_language(page, "en")
    page.goto(f"{server.url}/#/jobs")
    expect(page.locator(".syncbar-refused")).to_have_text("1 refused", timeout=10000)
    _bar_on_one_line(page, "online, all sent")

    ctx.set_offline(True)
    page.goto(f"{server.url}/#/job/{job_id}")
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_text("1 to send", timeout=15000)
    expect(page.locator(".syncbar")).to_contain_text("Offline")
    _bar_on_one_line(page, "offline, one to send")
    # The time of the last sync may give way on the bar; the outbox it opens always says it.
    page.locator(".syncbar").click()
    expect(page.get_by_test_id("outbox-last-sync")).to_contain_text("Last sync:")
    ctx.set_offline(False)
    ctx.close()


def test_an_outbox_entry_keeps_its_state_beside_what_it_was_at_360_px_in_english(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # design guarantee 1: a refusal is shown to the person
    # "Accept GD… (no longer on this phone)" pushed the Refused badge onto a line of its own.
    ctx, page, _, _ = _phone_with_a_refused_record(browser, server)
    _switch_language(page, "en")
    page.goto(f"{server.url}/#/outbox")
    entry = page.locator(".outbox-item[data-state=refused]")
    expect(entry).to_contain_text("no longer on this phone", timeout=10000)
    what, badge = entry.locator(".outbox-top strong").bounding_box(), entry.locator(".badge").bounding_box()
    assert abs(badge["y"] - what["y"]) < 8, ("the badge is not beside the action", what, badge)
    assert badge["x"] + badge["width"] <= PHONE["width"]
    ctx.close()


def test_a_field_scrolled_to_clears_a_sync_bar_of_two_lines(browser: Browser, server) -> None:  # noqa: ANN001
    # When what the bar must show takes two lines (an upload, other accounts' records, a long
    # error), what the app scrolls to must still land below it, not under its second line.
    ctx, page, job_id, _ = _phone_with_a_refused_record(browser, server)
    _switch_language(page, "en")
    page.goto(f"{server.url}/#/job/{job_id}")
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    work_done = page.locator("textarea[name=work_done]")
    expect(work_done).to_be_visible(timeout=10000)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)
    # A long error as the bar's state, as a full phone shows it (the real one is hard to hold, see
    # test_field_offline.py). Drawn by a style rule, not written into the bar's text: the bar redraws
    # on every sync event, the 30-s tick and the 60-s sync, and a redraw between a text set by hand and
    # the measurement put the bar back on one line (the test was flaky); a rule holds across redraws.
    # The state's word is hidden and the error drawn in its place at the bar's size (0.85rem); added
    # through the CSSOM, as the app's CSP refuses an inline <style>.
    page.evaluate("""() => {
        const sheet = document.styleSheets[0];
        sheet.insertRule('.syncbar-state { font-size: 0; }', sheet.cssRules.length);
        sheet.insertRule(".syncbar-state::after { content: 'Sync failed: phone storage full, free some space'; "
                         + 'font-size: 0.85rem; }', sheet.cssRules.length);
    }""")
    bar = page.locator(".syncbar")
    # The app has measured the bar's new height (a ResizeObserver sets --syncbar-h): then scroll and
    # read, in one go, so no redraw can come in between.
    fit = page.wait_for_function("""() => {
        const bar = document.querySelector('.syncbar');
        const measured = getComputedStyle(document.documentElement).getPropertyValue('--syncbar-h').trim();
        if (measured !== `${bar.offsetHeight}px`) return null;
        const rows = (""" + _ROWS + """)(bar);
        const field = document.querySelector('textarea[name=work_done]');
        field.scrollIntoView({ block: 'start' });
        return { rows, top: field.getBoundingClientRect().top, barBottom: bar.getBoundingClientRect().bottom,
                 scrollY: window.scrollY, text: bar.innerText };
    }""", timeout=10000).json_value()
    assert fit["rows"] >= 2, fit
    assert fit["scrollY"] > 0, "the test means something: the page did scroll"
    assert fit["top"] >= fit["barBottom"], ("the field is under the sync bar", fit)
    assert bar.evaluate(_ROWS) >= 2, bar.inner_text()  # still two lines after any redraw since
    ctx.close()
