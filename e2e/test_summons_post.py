"""A summons naming nobody follows its post; the desk takes an emergency nobody has taken (R-EM-2, R-EM-3,
R-IN-9), in Chromium against the real server.

The guard's phone shows a call-out to a post he holds; the manager gives the post to the guard captain, and
the phone's next sync takes the call-out off it, saying to whom the post passed. A guard's emergency reaches
the desk with nobody following it: the banner marks it 无人接手 and offers 接手; the one who presses it takes
it, and a second desk that pressed too late is told.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import serving
from e2e.test_field_emergency import _guard_phone
from e2e.test_shell import open_desk

GUARD = {"display_name": "孙护卫", "phone": "13900000008"}
CAPTAIN = {"display_name": "韩队长", "phone": "13900000015"}


def test_a_call_out_leaves_the_former_holders_phone_when_the_post_passes_on_saying_to_whom(browser: Browser) -> None:  # R-EM-2
    # A server of its own: the test changes who holds the demo's posts.
    with serving("estatedesk-e2e-posts-") as server:
        _post_passes(browser, server)


def _post_passes(browser: Browser, server) -> None:  # noqa: ANN001
    desk, manager = Api(server.url, "dispatcher"), Api(server.url, "manager")
    content = f"电梯困人 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    sid = f"{case['id']}/elevator_captain"
    # Nobody holds the elevator captain's post in the demo: the manager gives it to 孙护卫, and the desk
    # summons the post (nobody named).
    manager.call("PUT", "/api/staff/accounts/usr_guard", {**GUARD, "posts": ["guard_shift_lead", "elevator_captain"]})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/summon", {"role": "elevator_captain"})
    ctx, page = _guard_phone(browser, server)
    strip = page.locator(f"[data-testid=summons-strip][href='#/summons/{sid}']")
    expect(strip).to_contain_text("你被召集到 3栋-104 现场", timeout=20000)

    # The post passes to 韩队长 (two edits on the staff page, the new holder first).
    manager.call("PUT", "/api/staff/accounts/usr_guardcap", {**CAPTAIN, "posts": ["guard_captain", "elevator_captain"]})
    manager.call("PUT", "/api/staff/accounts/usr_guard", {**GUARD, "posts": ["guard_shift_lead"]})
    # The next sync (back in signal) takes it off the phone and says why.
    ctx.set_offline(True)
    ctx.set_offline(False)
    expect(strip).to_have_count(0, timeout=30000)
    expect(page.locator("#toast")).to_contain_text("你已不再担任电梯队长，召集已转给韩队长", timeout=10000)
    # The push and inbox item still open its page, which says the same.
    page.goto(f"{server.url}/#/summons/{sid}")
    gone = page.get_by_test_id("summons-gone")
    expect(gone).to_have_text("你已不再担任电梯队长，此次召集已随岗位转给韩队长，已从本机移除。")
    expect(gone).to_have_attribute("data-reason", "post_passed")
    ctx.close()

    view = desk.call("GET", f"/api/cases/{case['id']}")
    assert [e["data"]["from_ids"] for e in view["timeline"] if e["action"] == "emergency.summons_passed"] == [
        [], ["usr_guard"]]
    # The case history at the desk tells it.
    desk_ctx, desk_page = open_desk(browser, server, "dispatcher", f"case/{case['id']}")
    expect(desk_page.locator("body")).to_contain_text("电梯队长的召集随岗位转给韩队长", timeout=15000)
    expect(desk_page.locator("body")).to_contain_text("孙护卫已不担任此岗位，召集已从其手机移除")
    # The emergency panel names when the call reached the new holder, not only the summons' own time.
    passed = desk_page.get_by_test_id("emergency-panel").get_by_test_id("em-summons-passed")
    expect(passed).to_have_count(1)
    expect(passed).to_contain_text("转给韩队长")
    desk_ctx.close()


def _field_report(server, note: str) -> None:  # noqa: ANN001
    guard = Api(server.url, "guard")
    res = guard.call("POST", "/api/sync/push", {"client_id": "e2e" + uuid.uuid4().hex, "mutations": [{
        "mutation_id": 1, "type": "emergency.report", "device_time": datetime.now(UTC).isoformat(),
        "args": {"what": "fire", "building_id": "bld_2", "where": "B2 配电间", "note": note}}]})
    assert res["results"][0]["status"] == "applied", res


def test_the_desk_banner_offers_to_take_an_emergency_nobody_has_taken_and_a_late_second_is_told(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-9 R-EM-3
    note = f"配电间冒烟 {uuid.uuid4().hex[:6]}"
    _field_report(server, note)
    # Two at the desk look at the banner: the dispatcher and the control room.
    desk_ctx, desk = open_desk(browser, server, "dispatcher")
    ctl_ctx, ctl = open_desk(browser, server, "control")
    rows = {p: p.locator(".desk-em-banner .desk-em-list > li", has_text=note) for p in (desk, ctl)}
    for row in rows.values():
        expect(row.get_by_test_id("em-unowned")).to_have_text("无人接手", timeout=15000)
        expect(row.get_by_test_id("em-take")).to_have_text("接手")

    rows[desk].get_by_test_id("em-take").click()
    expect(desk.locator("#toast")).to_contain_text("已接手", timeout=10000)
    expect(rows[desk].get_by_test_id("em-take")).to_have_count(0)
    expect(rows[desk].get_by_test_id("em-unowned")).to_have_count(0)
    # The control room pressed it a moment later: told who was first, and the button goes.
    rows[ctl].get_by_test_id("em-take").click()
    expect(ctl.locator("#toast")).to_contain_text("此紧急事件已有人接手", timeout=10000)
    expect(rows[ctl].get_by_test_id("em-take")).to_have_count(0)
    ctl_ctx.close()

    case_id = rows[desk].get_attribute("data-case")
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert view["case"]["follower_id"] == "usr_dispatcher" and view["case"]["emergency"]["at_post_id"] == "usr_dispatcher"
    # Its page says who holds the post now.
    rows[desk].locator("a.desk-em-link").click()
    expect(desk.get_by_test_id("emergency-panel")).to_contain_text("值守人：王调度", timeout=15000)
    desk_ctx.close()
