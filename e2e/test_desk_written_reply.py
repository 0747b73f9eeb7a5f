"""The case page's reply form records how the reply was given; a written inquiry waits for a written one (R-IN-5)."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk

SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-written-reply-"))


def test_a_phone_reply_to_a_written_inquiry_is_recorded_and_the_clock_says_the_written_reply_is_due(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    case_id = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "周业主", "phone": "13800000021",
        "unit_id": "unit_1_101", "content": f"来信询问明年物业费是否调整 {tag}"})["case"]["id"]

    ctx, page = open_desk(browser, server)
    page.goto(f"{server.url}/#/case/{case_id}")
    clock = page.locator("[data-code=IN5_WRITTEN_REPLY_2D]")
    expect(clock).to_contain_text("书面咨询两日内书面答复", timeout=15000)

    page.locator("[data-action=follow_up]").click()
    dialog = page.locator("dialog[open]")
    medium = dialog.locator("select[name=medium]")
    expect(medium).to_be_hidden()  # only a reply has a medium
    dialog.locator("select[name=kind]").select_option("reply")
    expect(medium).to_be_visible()
    expect(medium).to_have_value("written")  # a written inquiry is answered in writing
    expect(dialog.get_by_test_id("reply-not-written")).to_be_hidden()
    medium.select_option("phone")
    expect(dialog.get_by_test_id("reply-not-written")).to_contain_text("书面答复的时限仍在计时")
    dialog.locator("textarea[name=note]").fill("已电话告知不调整，书面答复随后")
    page.screenshot(path=str(SHOTS / "desk-reply-medium.png"))
    dialog.get_by_test_id("dialog-submit").click()

    expect(page.get_by_test_id("follow-up")).to_contain_text("答复（电话）", timeout=15000)
    expect(clock).to_contain_text("已电话答复，书面答复仍未给出")
    expect(clock).to_have_class(re.compile(r"\bis-running\b"))
    expect(page.get_by_test_id("tl-sentence").filter(has_text="答复方式：电话")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "desk-reply-clock.png"))

    page.locator("[data-action=follow_up]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name=kind]").select_option("reply")
    dialog.locator("textarea[name=note]").fill("书面答复已送达")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("follow-up").last).to_contain_text("答复（书面）", timeout=15000)
    expect(clock).to_have_class(re.compile(r"\bis-stopped\b"))
    expect(clock).not_to_contain_text("已电话答复")
    ctx.close()


def test_a_written_inquiry_left_unopened_is_queued_and_takes_its_written_reply(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5, R-OP-2
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    content = f"来信询问电梯年检安排 {tag}"
    case_id = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "吴业主", "phone": "13800000022",
        "unit_id": "unit_1_101", "content": content})["case"]["id"]
    desk.call("POST", f"/api/cases/{case_id}/decide", {"open": False, "reason": "F", "note": "已当面解释年检安排，业主接受"})

    # Explained and not opened, it still waits in the follow-up queue for its written reply: due in
    # 2 days, among the clocks due later, folded until the desk opens them (D90).
    ctx, page = open_desk(browser, server)
    later = page.get_by_test_id("followup-queue-later")
    queued = later.locator("li", has_text=content)
    expect(queued).to_be_attached(timeout=15000)
    later.locator("summary").click()
    expect(queued).to_contain_text("书面咨询两日内书面答复")
    queued.locator("a").click()
    expect(page).to_have_url(re.compile(f"#/case/{case_id}$"))
    clock = page.locator("[data-code=IN5_WRITTEN_REPLY_2D]")
    expect(clock).to_have_class(re.compile(r"\bis-running\b"), timeout=15000)
    # The intake is not followed up: the reply is the only thing offered, and the thing to do.
    expect(page.locator("[data-action=follow_up]")).to_have_count(0)
    reply = page.locator("[data-action=reply]")
    expect(reply).to_have_class(re.compile(r"\bbtn-primary\b"))
    reply.click()
    dialog = page.locator("dialog[open]")
    kinds = dialog.locator("select[name=kind] option")
    expect(kinds).to_have_count(1)
    expect(dialog.locator("select[name=kind]")).to_have_value("reply")
    expect(dialog.locator("select[name=medium]")).to_have_value("written")
    expect(dialog.locator("select[name=reported_to_manager_id]")).to_have_count(0)
    dialog.locator("textarea[name=note]").fill("书面答复已投入业主信箱")
    page.screenshot(path=str(SHOTS / "desk-unopened-written-reply.png"))
    dialog.get_by_test_id("dialog-submit").click()

    expect(clock).to_have_class(re.compile(r"\bis-stopped\b"), timeout=15000)
    expect(page.get_by_test_id("follow-up")).to_contain_text("答复（书面）")
    expect(reply).not_to_have_class(re.compile(r"\bbtn-primary\b"))
    page.goto(f"{server.url}/#/")
    expect(page.get_by_test_id("followup-queue").or_(page.locator(".desk-queue .empty")).first).to_be_visible(timeout=15000)
    expect(page.locator(".desk-queue li", has_text=content)).to_have_count(0)
    ctx.close()


def test_the_close_dialog_names_the_written_reply_a_written_inquiry_still_owes(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5, R-CL-1
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    case_id = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "郑业主", "phone": "13800000023",
        "unit_id": "unit_1_101", "content": f"来信询问车位租金 {tag}"})["case"]["id"]
    desk.call("POST", f"/api/cases/{case_id}/decide", {"open": True, "reason": "C"})
    desk.call("POST", f"/api/cases/{case_id}/verify", {"text": "来信所问已核实"})
    desk.call("POST", f"/api/cases/{case_id}/follow-up", {"kind": "reply", "medium": "phone", "note": "已电话告知租金标准"})

    ctx, page = open_desk(browser, server)
    page.goto(f"{server.url}/#/case/{case_id}")
    expect(page.get_by_test_id("missing-to-close")).to_contain_text("书面答复", timeout=15000)
    close = page.locator("[data-action=close]")
    expect(close).not_to_have_class(re.compile(r"\bbtn-primary\b"))  # not the next step yet
    close.click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".notice-warn")).to_have_text("缺少：书面答复")
    dialog.locator("textarea[name=result]").fill("已电话答复")
    page.screenshot(path=str(SHOTS / "desk-close-needs-written-reply.png"))
    dialog.get_by_test_id("dialog-submit").click()
    # The server refuses it the same way: the written reply, in words.
    expect(dialog.locator(".desk-error")).to_contain_text("书面答复")
    dialog.locator("button", has_text="取消").first.click()
    expect(page.locator("dialog[open]")).to_have_count(0)

    page.locator("[data-action=follow_up]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name=kind]").select_option("reply")
    dialog.locator("textarea[name=note]").fill("书面答复已送达")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("missing-to-close")).to_contain_text("已满足销项条件", timeout=15000)
    expect(close).to_have_class(re.compile(r"\bbtn-primary\b"))
    close.click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".notice-warn")).to_have_count(0)
    dialog.locator("textarea[name=result]").fill("已书面答复")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_class(re.compile(r"\bdesk-state-closed\b"), timeout=15000)
    ctx.close()


def test_a_written_reply_names_its_signer_offered_as_the_desk_s_own_user_and_printed(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    case_id = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "钟业主", "phone": "13800000024",
        "unit_id": "unit_1_101", "content": f"来信询问外墙清洗时间 {tag}"})["case"]["id"]

    ctx, page = open_desk(browser, server)
    page.goto(f"{server.url}/#/case/{case_id}")
    expect(page.locator("[data-code=IN5_WRITTEN_REPLY_2D]")).to_be_visible(timeout=15000)
    page.locator("[data-action=follow_up]").click()
    dialog = page.locator("dialog[open]")
    signer = dialog.locator("input[name=signer]")
    expect(signer).to_be_hidden()  # only a written reply is signed
    dialog.locator("select[name=kind]").select_option("reply")
    expect(signer).to_be_visible()
    expect(signer).to_have_value("王调度")  # the signed-in user, unless changed
    dialog.locator("select[name=medium]").select_option("phone")
    expect(signer).to_be_hidden()
    dialog.locator("select[name=medium]").select_option("written")
    signer.fill("")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog.get_by_role("alert")).to_contain_text("签发人")  # not sent without one
    signer.fill("钱经理")  # the office head signs the letter the desk sends
    dialog.locator("textarea[name=note]").fill("书面答复已送达")
    page.screenshot(path=str(SHOTS / "desk-reply-signer.png"))
    dialog.get_by_test_id("dialog-submit").click()

    line = page.get_by_test_id("follow-up").last
    expect(line).to_contain_text("答复（书面） · 签发人 钱经理", timeout=15000)
    expect(page.get_by_test_id("tl-sentence").filter(has_text="签发人：钱经理")).to_have_count(1)
    page.emulate_media(media="print")  # the printed case page keeps who signed it
    expect(line).to_be_visible()
    assert "签发人 钱经理" in line.inner_text()
    ctx.close()
