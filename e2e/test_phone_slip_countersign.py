"""The technician's printable service slip 服务单 has the dispatcher's countersign line, like the
desk's print (R-CL-6): blank until the dispatcher countersigns, then who and when."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.repairs import completed_repair
from e2e.test_shell import login, wait_until_controlled

SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-phone-slip-"))


def test_phone_slip_prints_a_blank_countersign_line_then_the_dispatchers_name_and_time(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-6
    content = f"卫生间灯不亮 {uuid.uuid4().hex[:6]}"
    case_id = completed_repair(server.url, content, work_done="更换灯泡")
    desk = Api(server.url, "dispatcher")
    job_id = desk.call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    page.goto(server.url + f"/#/job/{job_id}/slip")
    slip = page.locator("article.slip")
    expect(slip).to_contain_text("更换灯泡", timeout=10000)
    line = slip.get_by_test_id("slip-countersign")
    expect(line).to_have_text("调度员复核签字：________ 日期：________")  # blanks to sign on the paper
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    expect(line).to_be_visible()
    page.screenshot(path=str(SHOTS / "phone-slip-blank-print.png"), full_page=True)
    page.emulate_media(media="screen")

    desk.call("POST", f"/api/cases/{case_id}/return-slip", {})
    signed = desk.call("POST", f"/api/cases/{case_id}/countersign", {})["case"]["slip"]
    me = desk.call("GET", "/api/me")
    deadline = time.monotonic() + 30
    while me["display_name"] not in line.inner_text():  # until a pull brings the countersigned slip
        assert time.monotonic() < deadline, "the phone's slip never showed the countersign"
        page.reload()
        page.wait_for_timeout(1000)
        line = page.locator("article.slip").get_by_test_id("slip-countersign")
        expect(line).to_be_visible(timeout=10000)
    at = datetime.fromisoformat(signed["countersigned_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    expect(line).to_contain_text(f"调度员复核签字：{me['display_name']}")
    expect(line).to_contain_text(at.strftime("%H:%M"))
    expect(line).not_to_contain_text("____")
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "phone-slip-countersigned-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.screenshot(path=str(SHOTS / "phone-slip-countersigned-screen.png"), full_page=True)

    page.evaluate("localStorage.setItem('estatedesk.lang', 'en')")
    page.reload()
    expect(page.locator("article.slip").get_by_test_id("slip-countersign")).to_contain_text(
        f"Dispatcher's countersignature: {me['display_name']}", timeout=10000)
    ctx.close()


def _label_and_blank_share_a_line(line, label: str) -> bool:  # noqa: ANN001
    """The blank sits on the label's last text line (a long label may wrap above it; the two never part).

    Both boxes are read in one layout pass, and for up to 5 s: the slip is drawn from the phone's copy
    and drawn again when a sync brings the job, so two separate reads could straddle the redraw."""
    js = """(el, label) => {
      const head = [...el.querySelectorAll('span')].filter((s) => s.textContent.includes(label)).pop();
      const blank = head && head.nextElementSibling;
      if (!head || !blank) return false;
      const a = head.getBoundingClientRect(), b = blank.getBoundingClientRect();
      return Math.abs(a.bottom - b.bottom) < 4 && b.left > a.left;
    }"""
    deadline = time.monotonic() + 5
    while True:
        if line.evaluate(js, label):
            return True
        if time.monotonic() > deadline:
            return False
        line.page.wait_for_timeout(100)


def test_phone_slip_keeps_each_countersign_label_with_its_blank_at_360_px(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-6
    content = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    case_id = completed_repair(server.url, content, work_done="更换灯管")
    job_id = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    page.goto(server.url + f"/#/job/{job_id}/slip")
    line = page.locator("article.slip").get_by_test_id("slip-countersign")
    expect(line).to_contain_text("日期", timeout=10000)
    for lang, labels in (("zh", ("调度员复核签字：", "日期：")), ("en", ("Dispatcher's countersignature:", "Date:"))):
        if lang == "en":
            page.get_by_role("button", name="EN").click()
            expect(line).to_contain_text("Date:", timeout=10000)
        for media in ("screen", "print"):
            page.emulate_media(media=media)
            for label in labels:
                assert _label_and_blank_share_a_line(line, label), (lang, media, label)
        page.emulate_media(media="screen")
    ctx.close()
