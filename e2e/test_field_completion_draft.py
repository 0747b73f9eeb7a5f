"""The completion form keeps its draft (D91): what the technician typed and the resident drew at the
door comes back after the inbox and back, and after a reload; it is gone once the completion is queued."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.test_field_offline import _dispatched_repair, _draw_signature, _phone_showing

# How many pixels of the signature canvas carry ink (anything clearly darker than the white ground).
_INK = """(c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
    return n;
}"""
_DRAFTS = """() => new Promise((resolve, reject) => {
    const rq = indexedDB.open('estatedesk');
    rq.onerror = () => reject(rq.error);
    rq.onsuccess = () => {
        const all = rq.result.transaction('drafts').objectStore('drafts').getAll();
        all.onsuccess = () => { resolve(all.result.length); rq.result.close(); };
    };
})"""


def _form_is_as_left(page: Page, work: str) -> None:
    expect(page.locator("textarea[name=work_done]")).to_have_value(work, timeout=10000)
    expect(page.locator("textarea[name=materials]")).to_have_value("阀芯 1 个")
    expect(page.locator("input[name=signer_name]")).to_have_value("黄小明")
    expect(page.locator("input[name=signer_relation][value=household]")).to_be_checked()
    expect(page.locator("input[name=resident_grade][value=A]")).to_be_checked()
    canvas = page.locator("canvas.signature-canvas")
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the canvas is sized, and the ink redrawn, once it is on screen
    assert canvas.evaluate(_INK) > 50, "the drawn signature did not come back"


def test_a_half_filled_completion_comes_back_after_leaving_the_screen_and_a_reload(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-IN-6: the resident's signature is taken on the phone; a lost form means a second visit
    content = f"厨房水龙头滴水 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    work = "更换阀芯，试水无渗漏"
    page.locator("textarea[name=work_done]").fill(work)
    page.locator("textarea[name=materials]").fill("阀芯 1 个")
    page.locator("input[name=signer_name]").fill("黄小明")
    page.locator("label.segmented-item", has=page.locator("input[name=signer_relation][value=household]")).click()
    page.locator("label.segmented-item", has=page.locator("input[name=resident_grade][value=A]")).click()
    _draw_signature(page)
    page.wait_for_timeout(500)

    # The inbox tab, then back: the form opens again as it was left.
    page.locator(".topnav a[href='#/reminders']").click()
    expect(page.locator("h1")).to_have_text("提醒", timeout=10000)
    page.go_back()
    _form_is_as_left(page, work)

    # A reload (the app killed and opened again does the same).
    page.reload()
    _form_is_as_left(page, work)

    page.locator("button[type=submit]").click()
    expect(page.get_by_test_id("job-state")).to_be_visible(timeout=10000)
    assert page.evaluate(_DRAFTS) == 0, "the draft outlived the completion it was for"
    ctx.close()


def test_a_toast_does_not_follow_onto_the_next_screen(browser: Browser, server) -> None:  # noqa: ANN001
    # design guarantee 6: what the phone says is about the screen in front of the worker
    content = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)
    page.locator(".job-card", has_text=content).click()
    ctx.set_offline(True)
    page.locator("[data-action=accept]").click()
    expect(page.locator("#toast.show")).to_be_visible(timeout=5000)
    page.wait_for_timeout(900)
    page.locator(".topnav a[href='#/reminders']").click()
    expect(page.locator("h1")).to_have_text("提醒", timeout=10000)
    expect(page.locator("#toast.show")).to_have_count(0, timeout=500)
    ctx.set_offline(False)
    ctx.close()
