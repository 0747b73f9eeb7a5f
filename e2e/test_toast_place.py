"""Where a toast shows: over the sync bar's line at the top, covering no control, on the phone and the
desk (D94 left it at the bottom centre, over the job page's action buttons while it showed; D115)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.test_field_offline import _dispatched_repair, _phone_showing

# The controls a shown toast overlaps at any scroll of the page (a person scrolls while it shows):
# every button, link, field and select on screen, less the part of each the sticky bars hide. The sync
# bar is a link and the toast sits over it on purpose: it says what the bar would (saved, to be sent).
_COVERED = """(toast) => {
    const covered = new Set();
    const sticky = (el) => el.closest('.topbar, .syncbar');
    const controls = [...document.querySelectorAll('button, a[href], input, select, textarea, [role=button]')]
        .filter((el) => !el.closest('#toast') && !el.matches('.syncbar') && el.checkVisibility());
    const end = document.documentElement.scrollHeight - window.innerHeight;
    for (let y = 0; y <= end + 40; y += 40) {
        window.scrollTo(0, Math.min(y, end));
        const t = toast.getBoundingClientRect();
        const bars = document.querySelector('.syncbar') || document.querySelector('.topbar');
        const floor = bars ? bars.getBoundingClientRect().bottom : 0;
        for (const el of controls) {
            const r = el.getBoundingClientRect();
            const top = sticky(el) ? r.top : Math.max(r.top, floor);
            if (r.width > 0 && top < r.bottom && r.left < t.right && t.left < r.right && top < t.bottom && t.top < r.bottom) {
                covered.add(el.outerHTML.slice(0, 100));
            }
        }
    }
    window.scrollTo(0, 0);
    return [...covered];
}"""


def _toast_covers(page: Page) -> list[str]:
    toast = page.locator("#toast.show")
    expect(toast).to_be_visible(timeout=5000)
    page.wait_for_timeout(300)  # its slide in has ended
    return toast.evaluate(_COVERED)


def test_a_toast_on_the_job_page_at_360_px_covers_no_button(browser: Browser, server) -> None:  # noqa: ANN001
    # design guarantee 6: the worker sees what was saved without losing the buttons to act next
    content = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)  # 360 x 740
    page.locator(".job-card", has_text=content).click()
    ctx.set_offline(True)
    page.locator("[data-action=accept]").click()
    assert _toast_covers(page) == []
    page.locator("[data-action=arrive]").click()
    assert _toast_covers(page) == []
    ctx.set_offline(False)
    ctx.close()
