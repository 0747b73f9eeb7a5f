"""The manager's desk on a phone (360 x 740, a touch screen): the follow-up queue flows in the page
instead of scrolling in a box of its own, every control is at least 40 px each way, no page scrolls
sideways, and the report's definitions read as Chinese with no rule numbers (D131).

A product review found the queue a scroller inside the scrolling page (two scrollbars under one thumb),
approve buttons and tabs 36 px tall and case numbers 17 px tall, and definitions reading
"× 100%;尚未判定的投诉不计入" and "目标：每件求助 5 分钟内答复(R-IN-5)".

The pages are read on a fresh demo server with its own waiting approvals, so what they hold is the
demo compound's and this file's, not whatever the shared server's other tests left there."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.conftest import DESK, PHONE, RunningServer, serving
from e2e.repairs import completed_repair
from e2e.test_approvals import _opened_repair, emergency_awaiting_approval
from e2e.test_desk import login

MIN_TAP = 40  # CSS px, each way (D131; the rule gives 44, the app's --tap)

_SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"
# Every control the desk draws, as the finger meets it: a checkbox or radio through its label.
_SMALL_CONTROLS = """(min) => {
    const sel = '.desk a[href], .desk button, .desk select, .desk textarea, .desk summary, '
      + '.desk input:not([type=hidden]), dialog[open] button, dialog[open] input:not([type=hidden]), dialog[open] select';
    return [...document.querySelectorAll(sel)]
      .map((e) => ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label')) || e)
      .filter((e, i, all) => all.indexOf(e) === i)
      .map((e) => [e, e.getBoundingClientRect()])
      .filter(([e, r]) => r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden')
      .filter(([, r]) => r.width < min || r.height < min)
      .map(([e, r]) => `${e.tagName.toLowerCase()} "${(e.textContent || e.placeholder || e.name || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
}"""
# A box that scrolls on its own inside the page: its overflow lets it scroll, and it holds more than it shows.
_SCROLLS_INSIDE = """(el) => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
}"""
_ASCII_IN_ZH = re.compile(r"[;,()]|(?<!\d):|:(?!\d)")


@pytest.fixture(scope="module")
def compound() -> Iterator[tuple[RunningServer, dict[str, str]]]:
    """A fresh demo compound with one of each thing waiting on the manager's approvals page that has a
    button: an emergency ready for its close approval, a long repair plan, a call-back graded C."""
    with serving("estatedesk-mgrphone-") as srv:
        desk, manager = Api(srv.url, "dispatcher"), Api(srv.url, "manager")
        plan = _opened_repair(desk, "屋面翻修（手机审批）")
        desk.call("POST", f"/api/cases/{plan}/plan", {"expected_days": 5, "text": "分三段施工"})
        reviewed = completed_repair(srv.url, "推拉门卡滞（手机复查）")
        [task] = [c for c in desk.call("GET", "/api/callbacks?status=due") if c["case_id"] == reviewed]
        desk.call("POST", f"/api/callbacks/{task['id']}", {"grades": {"overall": "C"}, "comment": "门还是卡"})
        smoke = emergency_awaiting_approval(desk, manager, "楼道冒烟（手机审批）")
        yield srv, {"plan": plan, "emergency": smoke}


def _manager_phone(browser: Browser, srv: RunningServer) -> Page:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(srv.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    return page


def _no_sideways_scroll(page: Page, where: str) -> None:
    page.wait_for_timeout(300)  # one layout pass after the render
    assert page.evaluate(_SIDEWAYS) <= 0, f"{where}: the page scrolls sideways at {PHONE['width']} px"


def _thumb_sized(page: Page, where: str) -> None:
    small = page.evaluate(_SMALL_CONTROLS, MIN_TAP)
    assert small == [], f"{where}: controls under {MIN_TAP} px: {small}"


def test_the_follow_up_queue_flows_in_the_page_on_a_phone(browser: Browser, compound) -> None:  # noqa: ANN001  # R-FU-2
    srv, _ = compound
    page = _manager_phone(browser, srv)
    queue = page.get_by_test_id("followup-queue")
    expect(queue.locator("li").first).to_be_visible(timeout=15000)
    # The queue holds more than the box it was given (the screen less 250 px), so a box would scroll.
    assert queue.evaluate("(q) => q.scrollHeight") > PHONE["height"] - 250, "too few clocks to tell"
    later = page.locator(".desk-queue-later > summary")
    if later.count():
        later.tap()  # the clocks due later, unfolded, flow in the page too
    for i, box in enumerate(page.locator(".desk-queue-list").all()):
        assert not box.evaluate(_SCROLLS_INSIDE), f"queue list {i} scrolls inside the page"
    _no_sideways_scroll(page, "home")
    _thumb_sized(page, "home")
    page.context.close()


def test_the_manager_approves_with_a_thumb_on_a_phone(browser: Browser, compound) -> None:  # noqa: ANN001  # R-FU-5
    srv, ids = compound
    page = _manager_phone(browser, srv)
    page.goto(srv.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=plan][data-case='{ids['plan']}']")
    expect(row).to_be_visible(timeout=15000)
    approve = row.get_by_test_id("approval-plan-approve")
    box = approve.bounding_box()
    assert box and box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, box
    case_link = row.locator(f"a[href='#/case/{ids['plan']}']").bounding_box()
    assert case_link and case_link["height"] >= MIN_TAP, case_link
    tab = page.locator(".desk-nav-link.active").bounding_box()
    assert tab and tab["height"] >= MIN_TAP, tab
    _thumb_sized(page, "approvals")
    _no_sideways_scroll(page, "approvals")
    # The rule a quarterly close follows is the hint's tooltip, not its text.
    expect(page.get_by_test_id("approvals")).not_to_contain_text("R-")
    approve.tap()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("预计 5 天")
    _thumb_sized(page, "the approval's confirmation")
    dialog.get_by_role("button", name="批准方案").tap()
    expect(row).to_have_count(0, timeout=15000)
    assert Api(srv.url, "manager").call("GET", f"/api/cases/{ids['plan']}")["case"]["plan"]["manager_approved_by"]
    page.context.close()


def test_the_desk_keeps_its_compact_controls_at_1366_with_a_mouse(browser: Browser, compound) -> None:  # noqa: ANN001
    # The touch sizes are the phone's and the touch screen's: the desk's 1366-px layouts (D28, D96) stay.
    srv, _ = compound
    ctx = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(srv.url + "/")
    login(page, "manager")
    page.goto(srv.url + "/#/approvals")
    approve = page.get_by_test_id("approve-close").first
    expect(approve).to_be_visible(timeout=15000)
    assert approve.bounding_box()["height"] < MIN_TAP
    assert page.locator(".desk-nav-link").first.bounding_box()["height"] < MIN_TAP
    queue = page.get_by_test_id("followup-queue")
    page.goto(srv.url + "/#/")
    expect(queue.locator("li").first).to_be_visible(timeout=15000)
    assert queue.evaluate("(q) => getComputedStyle(q).overflowY") == "auto"  # beside the list, in its own column
    ctx.close()


def test_the_report_definitions_read_as_chinese_without_rule_numbers_on_a_phone(browser: Browser, compound) -> None:  # noqa: ANN001  # R-RV-5
    srv, _ = compound
    page = _manager_phone(browser, srv)
    page.goto(srv.url + "/#/reports")
    definitions = page.get_by_test_id("rate-definition")
    expect(definitions.first).to_be_visible(timeout=15000)
    texts = [t for t in definitions.all_inner_texts() if t.strip()]
    assert len(texts) >= 5, texts  # every rate and the satisfaction rate
    for text in texts:
        assert not _ASCII_IN_ZH.findall(text), text
        assert "R-" not in text, text
    expect(page.locator("[data-view=reports], .desk-body").first).not_to_contain_text("R-IN-5")
    _no_sideways_scroll(page, "reports")
    page.context.close()


# The manager's other pages, each with what shows it has drawn.
PAGES = [
    ("review", "[data-testid=weekly-quality]"),
    ("reports", "[data-testid=rate-definition]"),
    ("services", "[data-view=services]"),
    ("keys", "[data-testid=key-count]"),
    ("slips", "[data-testid=slip-list]"),
    ("handover", ".desk-ho-grid"),
    ("calendar", "[data-testid=calendar-form]"),
    ("case/{emergency}", ".desk-emergency"),
]


@pytest.mark.parametrize(("route", "ready"), PAGES, ids=[r.split("/")[0] for r, _ in PAGES])
def test_the_managers_pages_fit_a_phone_and_take_a_thumb(browser: Browser, compound, route: str, ready: str) -> None:  # noqa: ANN001
    srv, ids = compound
    page = _manager_phone(browser, srv)
    page.goto(f"{srv.url}/#/{route.format(**ids)}")
    expect(page.locator(ready).first).to_be_visible(timeout=15000)
    page.wait_for_timeout(800)  # the parts a page loads after its first draw (the weekly checks, the bookings)
    _no_sideways_scroll(page, route)
    _thumb_sized(page, route)
    page.context.close()


def test_a_sheet_printed_from_a_phone_keeps_its_compact_rows(browser: Browser, compound) -> None:  # noqa: ANN001  # R-KY-1
    # An A4 page is 794 px wide, under the phone width: the touch sizes are the screen's, not the paper's,
    # or each key on the count sheet would take a 44-px row.
    srv, _ = compound
    page = _manager_phone(browser, srv)
    page.goto(srv.url + "/#/keys")
    link = page.get_by_test_id("key-history-link").first
    expect(link).to_be_visible(timeout=15000)
    assert link.bounding_box()["height"] >= MIN_TAP  # on the phone's screen, a thumb's size
    page.emulate_media(media="print")
    assert link.bounding_box()["height"] < 30, link.bounding_box()
    page.context.close()
