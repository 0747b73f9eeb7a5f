"""One technician on two phones working the same job (D145).

Phone A, offline, taps 接单, 到场 and 完工 with the resident's signature; phone B (here the API, signed in as the
same technician) does the same online first; then A comes back. A's outbox says its acceptance and arrival
were recorded before — no incident to count, nothing to acknowledge — and its completion was refused because
the order is already 已完工 (not "record the arrival first"). A's slip page keeps showing the slip signed on A,
marked refused, and links to the one the server recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _accept_arrive_and_complete, _dispatched_repair, _phone_showing
from e2e.test_field_sync_triggers import _pending, _work_order
from tests.images import signature_png

COMPLETED_ZH = "派工单当前为「已完工」，不能执行此操作"


def _completed_on_the_other_phone(server, job_id: str, work_done: str) -> None:  # noqa: ANN001
    tech = Api(server.url, "tech")
    sig = _upload(server.url, tech, signature_png(f"phone B {job_id}"))
    now = datetime.now().astimezone().isoformat()
    steps = [("job.accept", {}), ("job.arrive", {}),
             ("job.complete", {"work_done": work_done, "signature_sha256": sig, "signer_name": "黄业主",
                               "signer_relation": "owner"})]
    res = tech.call("POST", "/api/sync/push", {"client_id": f"e2e-{uuid.uuid4().hex}", "mutations": [
        {"mutation_id": i + 1, "type": t, "args": {"job_id": job_id, **a}, "device_time": now}
        for i, (t, a) in enumerate(steps)]})
    assert [r["status"] for r in res["results"]] == ["applied"] * 3, res


def test_the_phone_that_synced_second_keeps_its_own_slip_as_refused(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 1, R-CL-3
    content = f"配电箱跳闸 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    job_id = _work_order(server, case_id)["id"]
    ctx, page = _phone_showing(browser, server, content)

    ctx.set_offline(True)
    _accept_arrive_and_complete(page, content, "更换空气开关（A）")
    expect(_pending(page)).to_have_attribute("data-count", "3", timeout=15000)
    _completed_on_the_other_phone(server, job_id, "复位空气开关（B）")
    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)

    # One refusal, for the completion, with the order's state; the two steps already recorded are no incident.
    expect(page.locator(".syncbar-refused")).to_have_text("被拒 1 条", timeout=15000)
    expect(page.get_by_test_id("notice-count")).to_have_count(0)
    page.goto(f"{server.url}/#/outbox")
    refused = page.locator(".outbox-item[data-state=refused]")
    expect(refused).to_have_count(1)
    expect(refused.locator(".outbox-top")).to_contain_text("完工签字")
    expect(refused.locator(".refusal-reason")).to_have_text(COMPLETED_ZH)
    before = page.locator(".outbox-item .badge-outbox-recorded_before")
    expect(before).to_have_count(2)
    expect(before.first).to_have_text("已发送 · 此前已记录")
    recorded = page.locator(".outbox-item", has=page.locator(".badge-outbox-recorded_before"))
    expect(recorded.locator(".notice-reason").first).to_contain_text("此前已记录（可能来自您的另一台手机）")
    expect(page.locator(".outbox-item button", has_text="知道了")).to_have_count(1)  # the refusal's only

    # The slip page: A's own slip, refused, and the server's one link away.
    page.goto(f"{server.url}/#/job/{job_id}/slip")
    slip = page.locator("article.slip")
    expect(slip.get_by_test_id("slip-refused")).to_contain_text(COMPLETED_ZH, timeout=15000)
    expect(slip.locator(".slip-table")).to_contain_text("更换空气开关（A）")
    expect(slip.locator(".slip-table")).not_to_contain_text("复位空气开关（B）")
    slip.get_by_test_id("slip-see-server").click()
    expect(page.get_by_test_id("slip-server-copy")).to_be_visible(timeout=15000)
    expect(page.locator("article.slip .slip-table")).to_contain_text("复位空气开关（B）")
    _switch_language(page, "en")
    page.goto(f"{server.url}/#/job/{job_id}/slip")
    expect(page.get_by_test_id("slip-refused")).to_contain_text(
        "The server refused the slip signed on this phone: Cannot complete a work order that is completed", timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()
