"""The technician's phone in English at 360 px: longer English words fit where the Chinese did."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import PHONE
from e2e.test_field_offline import _dispatched_repair
from e2e.test_shell import login

# How many lines an element's text takes: the distinct tops of its text's line boxes.
_LINES = """(el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
}"""


def _job_page(browser: Browser, server, content: str) -> tuple:  # noqa: ANN001
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    card = page.locator(".job-card", has_text=content)
    expect(card).to_be_visible(timeout=20000)
    card.click()
    expect(page.locator("[data-action=accept]")).to_be_visible(timeout=10000)
    return ctx, page


def _switch_language(page: Page, to: str) -> None:
    page.locator(".btn-lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if to == "en" else "zh-CN")


def test_the_call_link_and_the_action_buttons_keep_their_words_on_one_line_in_english_at_360px(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-FU-4: calling the resident and reporting from the job page, on a small phone
    content = f"卫生间排风扇异响 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _job_page(browser, server, content)
    page.locator("[data-action=accept]").click()
    expect(page.locator("[data-action=arrive]")).to_be_visible(timeout=10000)
    page.locator("[data-action=arrive]").click()
    expect(page.locator("[data-testid=job-state]")).to_have_text("已到场", timeout=10000)
    expect(page.locator(".syncbar")).to_contain_text("全部已发送", timeout=20000)  # no re-render to come

    # Chinese first: the two smaller actions share one row, as before.
    linked, unable = page.locator("[data-action=linked_problem]"), page.locator("[data-action=unable]")
    # The pull after the push may still redraw the page on a loaded machine: measure once both are drawn.
    expect(linked).to_be_visible(timeout=10000)
    expect(unable).to_be_visible(timeout=10000)
    assert linked.bounding_box()["y"] == unable.bounding_box()["y"]
    zh_font = linked.evaluate("(el) => getComputedStyle(el).fontSize")

    _switch_language(page, "en")
    call = page.locator("[data-testid=job-contact] .tel-link")
    expect(call).to_have_text("Call 13800000001")
    assert call.evaluate(_LINES) == 1, "'Call' and the number on one line"
    card = page.locator(".job-detail").bounding_box()
    box = call.bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"], "the link stays inside its card"
    for action in ("note", "linked_problem", "unable"):
        button = page.locator(f"[data-action={action}]")
        assert button.evaluate(_LINES) == 1, f"{action}: {button.inner_text()!r} breaks"
        b = button.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], f"{action} fits the screen"
    assert linked.evaluate("(el) => getComputedStyle(el).fontSize") == zh_font, "not fitted by shrinking"
    ctx.close()


def test_a_toast_in_the_old_language_goes_when_the_language_is_switched(browser: Browser, server) -> None:  # noqa: ANN001
    content = f"走廊吸顶灯闪烁 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _job_page(browser, server, content)
    page.locator("[data-action=accept]").click()
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    said = toast.inner_text()
    assert said and not said.isascii(), said  # the Chinese confirmation
    _switch_language(page, "en")
    # At once, not after its own 3.5 s fade: what is still shown must not be the Chinese sentence.
    assert toast.evaluate("(el) => el.classList.contains('show') ? el.textContent : ''") != said
    expect(page.locator("[data-action=arrive]")).to_have_text("Record arrival")
    ctx.close()
