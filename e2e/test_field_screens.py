"""What a technician sees on a 360 px phone as they move between screens and wait in a basement."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_field_offline import _dispatched_repair
from e2e.test_shell import login, wait_until_controlled


def test_a_job_opened_from_low_in_the_list_opens_at_its_top_and_back_returns_to_the_list_position(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # R-FU-4: the countdown and address are the first thing the technician must see
    tag = uuid.uuid4().hex[:6]
    contents = [f"楼道应急灯不亮 {tag} 第{i}处" for i in range(5)]
    for c in contents:
        _dispatched_repair(server, c)
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    last = page.locator(".job-card", has_text=contents[-1])
    expect(last).to_be_visible(timeout=20000)
    last.scroll_into_view_if_needed()
    list_scroll = page.evaluate("window.scrollY")
    assert list_scroll > 200, "the list is long enough to scroll"

    last.click()
    expect(page.locator("[data-testid=job-state]")).to_be_visible(timeout=10000)
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator(".countdown-big")).to_be_in_viewport()

    page.go_back()
    expect(page.locator(".job-card", has_text=contents[-1])).to_be_visible(timeout=10000)
    assert abs(page.evaluate("window.scrollY") - list_scroll) < 5
    ctx.close()


def test_the_job_page_countdown_runs_on_while_offline(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4, design guarantee 4
    content = f"设备间排风扇不转 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    ctx.set_offline(True)  # in a basement: no sync re-renders the page from here on
    page.locator(".job-card", has_text=content).click()
    big = page.locator(".countdown-big")
    expect(big).to_contain_text("剩余")
    on_site = page.locator(".kv-row", has_text="派工后 15 分钟到场").locator(".countdown")
    expect(on_site).to_contain_text("剩余")

    page.clock.fast_forward("20:00")
    expect(big).to_contain_text("已超时")
    expect(big).to_have_class(re.compile(r"\boverdue\b"))
    expect(on_site).to_contain_text("已超时")
    expect(on_site).to_have_class(re.compile(r"\boverdue\b"))
    ctx.close()


# A phone that takes its time over a camera photo (decoding a 12-megapixel JPEG is not instant).
_SLOW_PHOTOS = """(() => {
    const decode = window.createImageBitmap.bind(window);
    window.createImageBitmap = (...args) => new Promise((ok) => setTimeout(ok, 1500)).then(() => decode(...args));
})()"""


def test_a_photo_still_being_processed_when_saving_stays_with_its_note_and_completion(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    from e2e.api import Api
    from e2e.test_field_offline import _draw_signature
    from tests.images import signature_png

    content = f"地库积水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    photo = {"name": "photo.png", "mimeType": "image/png", "buffer": signature_png(content)}
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.add_init_script(_SLOW_PHOTOS)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    page.locator(".job-card", has_text=content).click(timeout=20000)
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()

    # Text typed, photo taken, 保存 tapped at once.
    page.locator("[data-action=note]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea").fill("积水来自消防管渗漏")
    dialog.locator("input[type=file]").set_input_files(files=[photo])
    dialog.locator("button[type=submit]").click()
    note = page.locator(".note", has_text="积水来自消防管渗漏")
    expect(note).to_be_visible(timeout=10000)
    expect(note.locator("img.photo-thumb")).to_have_count(1)

    page.locator("[data-action=complete]").click()
    page.locator("textarea[name=work_done]").fill("更换消防管接头")
    page.locator("input[type=file]").set_input_files(files=[{**photo, "buffer": signature_png(content + "完工")}])
    _draw_signature(page)
    page.locator("button[type=submit]", has_text="确认完工").click()
    expect(page.locator("[data-testid=job-state]")).to_have_text("已完工", timeout=15000)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]
    assert len(case["slip"]["photo_sha256s"]) == 1
    assert case["work_orders"][-1]["notes"][0]["photo_sha256"]
