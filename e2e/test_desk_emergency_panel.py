"""The emergency panel and the help reply at the desk (D89): 已答复求助人 next to the 5-minute clock
(R-IN-5), the people and phones of the escalation chain and the posts summoned (R-EM-2), and a public
number whose call is recorded shown as done (R-EM-5)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk_emergency_call import _register
from e2e.test_shell import open_desk


def test_a_help_request_is_answered_from_the_done_panel_and_a_recorded_call_is_not_offered_again(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5 R-EM-5
    ctx, page = open_desk(browser, server, "dispatcher", "intake")
    form = page.locator(".desk-intake-form")
    expect(form).to_be_visible(timeout=10000)
    form.get_by_role("radio", name="求助", exact=True).check()
    form.locator("select[name=help_kind]").select_option("medical_emergency")
    page.get_by_test_id("intake-call-prompt").locator("button[data-mark='120']").click()
    _register(page, address="2栋-201", contact="赵女士", phone="13900002222",
              content=f"老人在家中摔倒，意识不清 {uuid.uuid4().hex[:6]}")

    done = page.locator(".desk-intake-done")
    calls = done.get_by_test_id("em-public-calls")
    expect(calls.get_by_test_id("em-calls")).to_contain_text("急救 120", timeout=10000)
    # 120 is recorded: no blue "记录拨打 急救 120" inviting a second record, only a secondary 再次拨打记录.
    again = calls.locator("button[data-record='120']")
    expect(again).to_have_text("再次拨打记录 急救 120")
    expect(again).not_to_have_class("btn btn-small btn-primary")
    expect(calls.locator("button.btn-primary")).to_have_count(0)

    # The 5-minute clock and its answer, right in the done panel.
    strip = done.get_by_test_id("help-reply-strip")
    expect(strip).to_contain_text("求助 5 分钟内答复")
    expect(strip.locator("[data-due]")).to_contain_text("剩余")
    strip.get_by_test_id("help-reply").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".dialog-title")).to_have_text("已答复求助人")
    expect(dialog).to_contain_text("不是对求助人的答复")  # a public call or a leader reached is not the answer
    expect(dialog.locator("select[name=medium]")).to_have_value("phone")
    assert dialog.locator("select[name=medium] option").evaluate_all("os => os.map((o) => o.value)") == ["phone", "in_person"]
    dialog.get_by_test_id("dialog-submit").click()  # what was said is required
    expect(dialog).to_contain_text("答复内容")
    expect(dialog.locator(".is-missing")).to_have_count(1)
    dialog.locator("textarea[name=note]").fill("已叫救护车，请勿移动老人，保安马上到")
    dialog.get_by_test_id("dialog-submit").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(strip.get_by_test_id("help-replied")).to_contain_text("已答复", timeout=10000)
    expect(strip.get_by_test_id("help-replied")).to_contain_text("电话")
    expect(strip.get_by_test_id("help-reply")).to_have_count(0)

    # Recorded as the existing reply follow-up: the clock stopped, in time.
    case_id = done.get_by_role("link", name="稍后决定").get_attribute("href").split("/")[-1]
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    [fu] = [f for f in view["case"]["follow_ups"] if f["kind"] == "reply"]
    assert (fu["medium"], fu["note"]) == ("phone", "已叫救护车，请勿移动老人，保安马上到")
    clock = next(k for k in view["clocks"] if k["code"] == "IN5_HELP_REPLY_5M")
    assert clock["running"] is False and clock["overdue"] is False
    ctx.close()


def test_the_case_page_answers_the_caller_and_names_and_calls_each_rung_and_post(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2 R-IN-5
    desk = Api(server.url, "dispatcher")
    view = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009", "unit_id": "unit_3_104",
        "content": f"地下车库进水 {uuid.uuid4().hex[:6]}", "help_kind": "disaster"})
    case_id = view["case"]["id"]
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case_id}")
    panel = page.get_by_test_id("emergency-panel")
    expect(panel).to_be_visible(timeout=10000)

    # R-EM-2: each rung names who holds it with a tap-to-call number.
    chain = panel.get_by_test_id("em-chain")
    manager = chain.locator("li.desk-chain-step[data-role=manager]")
    # Earlier tests on the shared server may add managers of their own: the demo's one is picked by id.
    qian = manager.locator("li.desk-rung-person", has=page.locator("[data-person-id=usr_manager]"))
    expect(qian.locator(".desk-person")).to_contain_text("钱经理")
    expect(manager.locator("a[href='tel:13900000009']")).to_have_count(1)
    expect(chain.locator("li[data-role=deputy_gm] a[href='tel:13900000010']")).to_contain_text("13900000010")
    expect(chain.locator("li[data-role=general_manager] .desk-person[data-person-id=usr_gm]")).to_contain_text("郑总经理")
    # The people summoned to the scene: the post's holder and phone, or that nobody holds it.
    summons = panel.get_by_test_id("em-summons")
    expect(summons.locator("li[data-role=security_manager]")).to_contain_text("蒋保安经理")
    expect(summons.locator("li[data-role=security_manager] a[href='tel:13900000014']")).to_have_count(1)
    expect(summons.locator("li[data-role=engineering_manager]")).to_contain_text("冯工程")
    expect(summons.locator("li[data-role=elevator_captain]").get_by_test_id("em-post-nobody")).to_contain_text("无人担任")

    # 联系不上 is asked once more, naming the person: a slip of the finger is cancelled, nothing stored.
    qian.locator("button[data-attempt=unreached]").click()
    confirm = page.locator("dialog[open]")
    expect(confirm).to_contain_text("钱经理")
    expect(confirm).to_contain_text("不能撤销")
    confirm.get_by_role("button", name="取消").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert desk.call("GET", f"/api/cases/{case_id}")["case"]["emergency"]["attempts"] == []
    qian.locator("button[data-attempt=unreached]").click()
    page.locator("dialog[open]").get_by_role("button", name="联系不上").click()
    expect(manager).to_contain_text("联系不上 · 钱经理", timeout=10000)
    [attempt] = desk.call("GET", f"/api/cases/{case_id}")["case"]["emergency"]["attempts"]
    assert (attempt["target_id"], attempt["reached"]) == ("usr_manager", False)
    expect(page.locator(".desk-timeline-list li", has_text="未联系上管理处负责人（钱经理）")).to_have_count(1)

    # R-IN-5: the reply from the emergency panel, next to its clock; the clocks card offers it too.
    expect(page.get_by_test_id("case-clocks").locator("[data-code=IN5_HELP_REPLY_5M]").get_by_test_id("help-reply")).to_have_count(1)
    strip = panel.get_by_test_id("help-reply-strip")
    strip.get_by_test_id("help-reply").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name=medium]").select_option("in_person")
    dialog.locator("textarea[name=note]").fill("已通知保安和工程部到场，请先断电并远离积水")
    dialog.get_by_test_id("dialog-submit").click()
    expect(panel.get_by_test_id("help-reply-strip").get_by_test_id("help-replied")).to_contain_text("当面", timeout=10000)
    expect(page.get_by_test_id("case-clocks").get_by_test_id("help-reply")).to_have_count(0)
    ctx.close()
