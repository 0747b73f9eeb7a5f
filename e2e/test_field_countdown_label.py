"""The job page's big countdown names the deadline it counts down to (D107)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _dispatched_repair, _phone_showing


def test_the_big_countdown_is_labelled_with_its_clocks_name(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4
    content = f"单元门闭门器损坏 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, PHONE)
    page.locator(".job-card", has_text=content).click()
    label = page.get_by_test_id("countdown-label")
    expect(label).to_have_text("派工后 15 分钟到场")
    expect(label).to_be_in_viewport()
    # The same name as the 时限 card's row for the clock.
    expect(page.locator("[data-clock=FU4_ON_SITE_15M] .kv-label")).to_have_text("派工后 15 分钟到场")
    _switch_language(page, "en")
    expect(label).to_have_text("On site 15 min after the work order")
    ctx.close()
