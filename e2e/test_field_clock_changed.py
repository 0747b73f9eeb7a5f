"""A phone whose clock is set back for the tap and forward again before the sync cannot move the arrival.

Design guarantee 4, R-FU-4, D128. The phone synced (its page holds a server-time anchor on the
monotonic clock), goes offline, the technician sets the clock back 20 minutes, taps 接单 and 到场, sets it
right again and the phone syncs. The batch's own clock (D35) would have placed both taps 20 minutes
before they happened — before the dispatch, so at it. The phone's server-time estimate places them when
they happened, and the desk's history says the phone's clock was changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_field_offline import _dispatched_repair, _phone_showing
from e2e.test_shell import open_desk

# The page's wall clock moved by `shift` ms: Date.now() and `new Date()` read it; performance.now() does not.
_SHIFT_WALL_CLOCK = """(shift) => {
  const Real = window.__realDate || Date;
  window.__realDate = Real;
  window.Date = shift ? class extends Real {
    constructor(...a) { if (a.length) super(...a); else super(Real.now() + shift); }
    static now() { return Real.now() + shift; }
  } : Real;
}"""


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_an_arrival_tapped_with_the_clock_set_back_counts_when_it_happened(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4 design 4
    content = f"水表井盖松动 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)

    ctx.set_offline(True)  # no reload: the page keeps the anchor of its last sync
    page.evaluate(_SHIFT_WALL_CLOCK, -20 * 60 * 1000)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    tapped = datetime.now(UTC)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "2", timeout=15000)
    page.evaluate(_SHIFT_WALL_CLOCK, 0)  # set right again
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()

    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    wo = view["case"]["work_orders"][-1]
    arrived, dispatched = _at(wo["arrived_at"]), _at(wo["assigned_at"])
    # Counted when tapped (after the dispatch, not clamped to it), not 20 minutes before.
    assert dispatched < arrived <= tapped + timedelta(seconds=5), (dispatched, arrived, tapped)
    assert abs(_at(wo["arrived_device_at"]) - (arrived - timedelta(minutes=20))) < timedelta(seconds=30)
    entry = next(e for e in view["timeline"] if e["action"] == "work_order.arrived")
    assert abs(entry["data"]["clock_changed_s"] - 20 * 60) < 30, entry["data"]

    # The desk's history says so beside the step.
    desk_ctx, desk = open_desk(browser, server, "dispatcher", f"case/{case_id}")
    row = desk.locator(".desk-timeline-list li", has_text="到场")
    expect(row.get_by_test_id("tl-clock-changed")).to_have_text("（手机时钟在离线期间被调整）", timeout=15000)
    expect(desk.get_by_test_id("tl-clock-changed")).to_have_count(2)  # 接单 too
    desk_ctx.close()
