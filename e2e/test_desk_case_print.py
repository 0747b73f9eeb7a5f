"""A printed case page is a paper record: no buttons or inputs, the emergency panel's included, and every
time and day on it with its year."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.repairs import completed_repair
from e2e.test_desk import open_desk
from e2e.test_print_a4_sheets import _pdf_pages


def test_printing_an_emergency_case_leaves_out_every_control(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-4
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {"kind": "help", "channel": "phone", "contact_name": "打印测试",
                                             "phone": "13800000031", "address": "地下车库", "content": "车库冒烟",
                                             "help_kind": "disaster", "emergency_trigger": "fire"})["case"]
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    panel = page.get_by_test_id("emergency-panel")
    expect(panel.locator("button").first).to_be_visible(timeout=10000)
    page.emulate_media(media="print")
    expect(panel).to_be_visible()  # the record of the escalation stays on paper
    for sel in ("button", "input", "select", "textarea"):
        loc = page.locator(f".desk-body {sel}")
        for i in range(loc.count()):
            expect(loc.nth(i)).to_be_hidden()
    ctx.close()


def test_a_printed_case_page_shows_due_times_not_live_countdowns(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {"kind": "repair", "channel": "phone", "contact_name": "打印时限",
                                             "phone": "13800000032", "address": "7栋", "content": "配电箱跳闸",
                                             "repair_responsibility": "common", "repair_class": "general"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case['id']}")
    clocks = page.get_by_test_id("case-clocks")
    expect(clocks.locator(".desk-countdown").first).to_contain_text("剩余", timeout=10000)  # live on screen
    page.emulate_media(media="print")
    live = re.compile(r"(剩余|超时) ?\d")
    # innerText is what is laid out, so what goes on paper (textContent would include hidden text).
    for card in (clocks, page.get_by_test_id("work-orders")):
        text = card.inner_text()
        assert not live.search(text), text
        assert "未超时（截至打印）" in text, text
    # The work order's deadline prints once, beside its status, not twice.
    assert "截止" not in page.get_by_test_id("work-orders").inner_text()
    ctx.close()


# ---- on paper every time carries its year ------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
BARE_DAY = re.compile(r"(?<![\d/])\d{2}/\d{2}(?![\d/])")  # "12/07" with no year before it
DATED = re.compile(r"\d{4}/\d{2}/\d{2}")


def _soon(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _push(base: str, username: str, job_id: str, steps: list[str]) -> None:
    res = Api(base, username).call("POST", "/api/sync/push", {"client_id": "yr-" + uuid.uuid4().hex[:8], "mutations": [
        {"mutation_id": i + 1, "type": t, "args": {"job_id": job_id}, "device_time": datetime.now().astimezone().isoformat()}
        for i, t in enumerate(steps)]})
    assert [r["status"] for r in res["results"]] == ["applied"] * len(steps), res


def _emergency(base: str) -> tuple[str, str]:
    """A fire reported by phone and handled through every part of the emergency panel (R-EM-2..5),
    answered within its 5 minutes (R-IN-5), followed up, noted, reported up and dispatched."""
    desk, manager = Api(base, "dispatcher"), Api(base, "manager")
    cid = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "年份测试", "phone": "13800000041", "unit_id": "unit_3_104",
        "content": f"地下车库冒烟 {uuid.uuid4().hex[:6]}", "help_kind": "disaster", "emergency_trigger": "fire"})["case"]["id"]
    for path, body in (("decide", {"open": True, "reason": "D"}),
                       ("emergency/public-call", {"number": "119"}),
                       ("emergency/attempt", {"target_role": "manager", "target_id": "usr_manager", "reached": True}),
                       ("emergency/summon", {"role": "security_manager"}),
                       ("emergency/arrival", {"role": "security_manager", "report": "现场已封锁"}),
                       ("emergency/instructions", {"text": "疏散车库人员", "given_by": "钱经理"}),
                       ("report-up", {"to_role": "manager", "to_id": "usr_manager"}),
                       ("follow-up", {"kind": "reply", "medium": "phone", "note": "已告知消防已到"}),
                       ("follow-up", {"kind": "first", "note": "消防在场", "new_due_at": _soon(3)}),
                       ("note", {"text": "物业经理已到场"}),
                       ("linked-problem", {"description": "车库排烟风机不转", "separately": False}),
                       ("dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})):
        desk.call("POST", f"/api/cases/{cid}/{path}", body)
    manager.call("POST", f"/api/cases/{cid}/emergency/ack", None)
    case = desk.call("GET", f"/api/cases/{cid}")["case"]
    iid = case["emergency"]["instructions"][0]["id"]
    desk.call("POST", f"/api/cases/{cid}/emergency/instructions/{iid}/done", {"result": "已疏散"})
    desk.call("POST", f"/api/cases/{cid}/emergency/settle", None)
    _push(base, "tech", case["work_orders"][-1]["id"], ["job.accept"])
    return cid, "emergency-panel"


def _repair_closed_and_called_back(base: str) -> tuple[str, str]:
    """A repair signed for, its slip returned and countersigned, closed and called back (R-CL-1, R-FU-6)."""
    desk = Api(base, "dispatcher")
    cid = completed_repair(base, f"厨房水龙头漏水 {uuid.uuid4().hex[:6]}")
    for path, body in (("return-slip", None), ("countersign", None), ("close", {"result": "已修复"})):
        desk.call("POST", f"/api/cases/{cid}/{path}", body)
    [task] = [c for c in desk.call("GET", "/api/callbacks?status=due") if c["case_id"] == cid]
    desk.call("POST", f"/api/callbacks/{task['id']}", {"grades": {"overall": "A"}, "comment": "满意"})
    return cid, "cb-done"


def _defect_with_contact_slip_and_plan(base: str) -> tuple[str, str]:
    """A developer's legacy defect (R-IN-6 d): its work-contact slip verified, sent and answered, and a
    repair plan over 3 days with a day's progress (R-FU-5)."""
    desk = Api(base, "dispatcher")
    cid = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "年份测试", "phone": "13800000042", "unit_id": "unit_1_101",
        "content": f"卧室外墙渗水 {uuid.uuid4().hex[:6]}", "repair_responsibility": "developer_defect"})["case"]["id"]
    desk.call("POST", f"/api/cases/{cid}/decide", {"open": True, "reason": "A"})
    reply_by = (datetime.now(SHANGHAI) + timedelta(days=5)).date().isoformat()
    slip = desk.call("POST", f"/api/cases/{cid}/contact-slips", {"description": "外墙渗水", "requested_action": "请修复",
                                                                 "reply_by": reply_by}, expect=201)
    desk.call("POST", f"/api/contact-slips/{slip['id']}/verification", {
        "verified_by": "陈班长", "verified_at": datetime.now(UTC).isoformat(), "note": "窗框下方渗水"})
    desk.call("POST", f"/api/contact-slips/{slip['id']}/issue", None)
    desk.call("POST", f"/api/contact-slips/{slip['id']}/reply", {
        "replied_on": datetime.now(SHANGHAI).date().isoformat(), "text": "下周进场维修"})
    desk.call("POST", f"/api/cases/{cid}/plan", {"expected_days": 5, "text": "搭架外墙修补"})
    desk.call("POST", f"/api/cases/{cid}/progress", {"text": "已搭架"})
    return cid, "lx-reply-text"


def _complaint_with_a_feedback_date(base: str) -> tuple[str, str]:
    """A complaint judged and given a feedback date (R-IN-8, R-FU-8): the date is a day, not a time."""
    desk = Api(base, "dispatcher")
    cid = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "年份测试", "phone": "13800000043", "unit_id": "unit_1_101",
        "content": f"楼道保洁不及时 {uuid.uuid4().hex[:6]}", "complaint_category": "cleaning"})["case"]["id"]
    desk.call("POST", f"/api/cases/{cid}/decide", {"open": True, "reason": "B"})
    promised = (datetime.now(SHANGHAI) + timedelta(days=3)).date().isoformat()
    desk.call("POST", f"/api/cases/{cid}/feedback-date", {"promised": promised, "reason": ""})
    desk.call("POST", f"/api/cases/{cid}/judge", {"fault": "company", "explanation": "保洁排班不足", "customer_accepted": True})
    return cid, "missing-to-close"


@pytest.mark.parametrize("build", [_emergency, _repair_closed_and_called_back, _defect_with_contact_slip_and_plan,
                                   _complaint_with_a_feedback_date],
                         ids=["emergency", "closed-repair", "defect", "complaint"])
def test_every_time_and_day_on_the_printed_case_page_carries_its_year(browser: Browser, server, tmp_path, build) -> None:  # noqa: ANN001  # R-IN-1, R-CL-5
    # On paper only the work-order table carried the year: the received time, the clocks, the history,
    # the emergency panel, follow-ups, the slip and the call-back printed "12/07 16:50", which names
    # no year once the page is filed (README: a printed sheet always carries the year).
    case_id, ready = build(server.url)
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]
    received = datetime.fromisoformat(case["received_at"]).astimezone(SHANGHAI)
    ctx, page = open_desk(browser, server)
    page.goto(f"{server.url}/#/case/{case_id}")
    expect(page.get_by_test_id(ready).first).to_be_visible(timeout=15000)
    # On screen this year's times stay short (D81, D137).
    row = page.locator(".desk-info .kv-row", has=page.locator(".kv-label", has_text=re.compile("^受理时间$"))).locator(".kv-value")
    assert row.inner_text().strip() == received.strftime("%m/%d %H:%M"), row.inner_text()
    page.emulate_media(media="print")
    _, texts = _pdf_pages(page, tmp_path)
    text = "\n".join(texts)
    assert received.strftime("%Y/%m/%d %H:%M") in text, text
    assert not BARE_DAY.findall(text), [ln for ln in text.splitlines() if BARE_DAY.search(ln)]
    assert len(DATED.findall(text)) >= 6, text  # the page printed its times: the check above says something
    ctx.close()
