"""The handover page (R-SH-1): errors beside their sheet, the printable signed sheet, the review kept."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.test_desk import open_desk
from tests.images import signature_png

SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-handover-"))


def _sheet(server, *, sign_in: bool) -> dict:  # noqa: ANN001
    desk, front = Api(server.url, "dispatcher"), Api(server.url, "frontdesk")
    sheet = desk.call("POST", "/api/handovers", {"incoming_id": "usr_frontdesk", "notes": "夜班交接"})
    desk.call("POST", f"/api/handovers/{sheet['id']}/sign-outgoing",
              {"signature_sha256": _upload(server.url, desk, signature_png())})
    if sign_in:
        emergencies = [i["case_id"] for i in sheet["items"] if i["is_emergency"]]
        sheet = front.call("POST", f"/api/handovers/{sheet['id']}/sign-incoming",
                           {"signature_sha256": _upload(server.url, front, signature_png()),
                            "takes_over_case_ids": emergencies})
    return sheet


def test_a_refused_signature_shows_under_its_own_sheet(browser: Browser, server) -> None:  # noqa: ANN001  # R-SH-1 R-EM-3
    sheet = _sheet(server, sign_in=False)
    assert any(i["is_emergency"] for i in sheet["items"]), "the demo compound has an open emergency"
    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(f"{server.url}/#/handover")
    card = page.locator(f"article[data-sheet='{sheet['id']}']")
    card.get_by_role("button", name="接班签字").click()
    # Not ticking the emergency: the warning sits under this sheet, not at the page's head.
    expect(card.locator(".desk-error")).to_contain_text("请先勾选接手所有未平息的紧急事件")
    expect(page.locator(".desk-body > .desk-error")).to_be_hidden()
    ctx.close()


def test_the_signed_sheet_prints_with_both_signatures_and_the_review_survives_a_reload(browser: Browser, server) -> None:  # noqa: ANN001  # R-SH-1
    sheet = _sheet(server, sign_in=True)
    ctx, page = open_desk(browser, server, "lead")
    page.goto(f"{server.url}/#/handover")
    card = page.locator(f"article[data-sheet='{sheet['id']}']")
    card.locator("input[name=review_note]").fill("催办未完成项")
    card.get_by_role("button", name="晨间复核").click()
    expect(card.get_by_test_id("ho-review")).to_contain_text("请督促", timeout=10000)
    page.reload()
    card = page.locator(f"article[data-sheet='{sheet['id']}']")
    # What the review found still open is the review's record, not the page's memory.
    expect(card.get_by_test_id("ho-review")).to_contain_text("请督促", timeout=10000)
    expect(card.locator(".desk-ho-unfinished li").first).to_be_visible()
    card.get_by_test_id("ho-print").click()
    printed = page.get_by_test_id("ho-print-sheet")
    expect(printed).to_contain_text("交接班记录")
    expect(printed.get_by_test_id("ho-print-out")).to_contain_text("王调度")
    expect(printed.get_by_test_id("ho-print-in")).to_contain_text("已签")
    expect(printed.locator("img.ho-print-signature")).to_have_count(2)
    expect(printed.locator("img.ho-print-signature").nth(1)).to_be_visible(timeout=10000)
    expect(printed.locator("tbody tr")).to_have_count(len(sheet["items"]))
    ctx.close()


def test_a_written_inquiry_still_owed_its_written_reply_is_on_the_sheet(browser: Browser, server) -> None:  # noqa: ANN001  # R-SH-1 R-IN-5
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    content = f"来信询问外墙清洗安排 {tag}"
    case = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "冯业主", "phone": "13800000024",
        "unit_id": "unit_1_101", "content": content})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": False, "reason": "F", "note": "已当面解释，业主接受"})
    # Unsigned by the incoming side: the demo's emergency may already be held by either desk account.
    sheet = _sheet(server, sign_in=False)
    assert any(i["case_id"] == case["id"] and i["written_reply_due"] for i in sheet["items"])
    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(f"{server.url}/#/handover")
    card = page.locator(f"article[data-sheet='{sheet['id']}']")
    row = card.locator("tbody tr", has_text=content)
    expect(row).to_contain_text("不立项", timeout=10000)
    expect(row.get_by_test_id("ho-written-reply-due")).to_have_text("待书面答复")
    page.screenshot(path=str(SHOTS / "handover-written-reply.png"))
    ctx.close()
