"""The job page's refused actions say that the service centre received what they carried (D28)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _dispatched_repair, _phone_showing
from e2e.test_field_sync_triggers import _pending, _work_order


def test_a_refused_action_on_the_job_page_says_the_service_centre_has_it_too(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 1
    # The outbox said so, but the job page — where the technician sees the refusal — did not, so a
    # refused record looked lost and the technician redid or worried about it.
    content = f"消防栓漏水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, viewport=PHONE)
    job_id = _work_order(server, case_id)["id"]

    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)
    answer = Api(server.url, "tech").call("POST", "/api/sync/push", {
        "client_id": f"e2e-{uuid.uuid4().hex}",
        "mutations": [{"mutation_id": 1, "type": "job.unable", "args": {"job_id": job_id, "reason": "缺少配件"}}]})
    assert answer["results"][0]["status"] == "applied", answer
    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)

    card = page.locator(".refused-card")
    note = card.get_by_test_id("refused-desk-has-it")
    expect(note).to_have_text("服务中心也收到了被拒绝记录所带的内容，会跟进处理。", timeout=15000)
    for lang in ("zh", "en"):
        if lang == "en":
            _switch_language(page, "en")
            expect(note).to_have_text("The service centre has also received what the refused records carried and will follow them up.")
        # At 360 px it stays inside the card: nothing runs off the screen.
        # Measured in one step in the page: a sync may redraw the job page between two separate reads.
        left, right, card_left, card_right = note.evaluate(
            "el => { const b = el.getBoundingClientRect(), c = el.closest('.refused-card').getBoundingClientRect();"
            " return [b.left, b.right, c.left, c.right]; }")
        assert left >= card_left and right <= card_right <= 360, (lang, left, right, card_left, card_right)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, lang
    ctx.close()
