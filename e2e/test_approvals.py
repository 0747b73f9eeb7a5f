"""The approvals panel: everything that waits for the manager's or the general manager's word."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK
from e2e.repairs import completed_repair
from e2e.test_desk import open_desk


def _opened_repair(desk: Api, content: str) -> str:
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": content, "repair_responsibility": "common", "repair_class": "small",
    })["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    return case["id"]


def test_manager_sees_quarterly_closes_and_long_repair_plans_and_approves_a_plan_in_place(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-4 R-FU-5
    tag = uuid.uuid4().hex[:6]
    desk, manager = Api(server.url, "dispatcher"), Api(server.url, "manager")
    stuck = _opened_repair(desk, f"外墙渗水{tag}")
    manager.call("POST", f"/api/cases/{stuck}/cannot-handle", {"reason": "属开发商保修范围"})
    long_job = _opened_repair(desk, f"屋面翻修{tag}")
    desk.call("POST", f"/api/cases/{long_job}/plan", {"expected_days": 5, "text": "分三段施工"})

    ctx, page = open_desk(browser, server, "manager")
    panel = page.get_by_test_id("approvals")
    quarterly = panel.locator("tr[data-approval=quarterly]", has_text=f"外墙渗水{tag}")
    expect(quarterly).to_be_visible(timeout=15000)
    # Closed only at the quarterly review with a signature: the row leads to the case page's dialog.
    expect(quarterly.get_by_test_id("approval-quarterly-go")).to_have_attribute("href", f"#/case/{stuck}")

    plan = panel.locator("tr[data-approval=plan]", has_text=f"屋面翻修{tag}")
    expect(plan).to_contain_text("预计 5 天")
    # Asked once, naming the case and the plan, like the GM's fee approval (D126); cancel keeps the row.
    plan_no = manager.call("GET", f"/api/cases/{long_job}")["case"]["no"]
    plan.get_by_test_id("approval-plan-approve").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(plan_no)
    expect(dialog).to_contain_text("预计 5 天")
    dialog.get_by_role("button", name="取消").click()
    expect(plan).to_be_visible()
    assert not manager.call("GET", f"/api/cases/{long_job}")["case"]["plan"]["manager_approved_by"]
    plan.get_by_test_id("approval-plan-approve").click()
    page.locator("dialog[open]").get_by_role("button", name="批准方案").click()
    expect(panel.locator("tr[data-approval=plan]", has_text=f"屋面翻修{tag}")).to_have_count(0, timeout=15000)
    assert manager.call("GET", f"/api/cases/{long_job}")["case"]["plan"]["manager_approved_by"]
    # The approvals page lists the same rows.
    page.goto(server.url + "/#/approvals")
    expect(page.locator("tr[data-approval=quarterly]", has_text=f"外墙渗水{tag}")).to_be_visible(timeout=15000)
    ctx.close()


def test_general_manager_approves_a_proposed_item_and_it_then_waits_to_be_announced(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    code = f"sofa{uuid.uuid4().hex[:6]}"
    manager = Api(server.url, "manager")
    manager.call("POST", "/api/services/items", {"code": code, "name_zh": f"沙发清洗{code}", "name_en": "Sofa",
                                                 "fee_cents": 12000, "promise_minutes": 60})
    ctx, page = open_desk(browser, server, "gm")
    panel = page.get_by_test_id("approvals")
    row = panel.locator(f"tr[data-approval=item][data-item={code}]")
    expect(row).to_contain_text("新项目 ¥120.00/次", timeout=15000)
    # The rule's number is a tooltip, not row text (D112).
    expect(row).not_to_contain_text("R-SS-1")
    row.get_by_test_id("approval-item-approve").click()
    # Approved only after a confirmation naming the item and the fee (D112).
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(f"沙发清洗{code}")
    expect(dialog).to_contain_text("¥120.00/次")
    dialog.get_by_role("button", name="批准").click()
    announce = panel.locator(f"tr[data-approval=announce][data-item={code}]")
    expect(announce).to_be_visible(timeout=15000)
    expect(announce.get_by_test_id("approval-announce")).to_have_text("向住户公告")
    announce.get_by_test_id("approval-announce").click()
    # Confirmed first, naming the item and the fee residents will be told (D123).
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(f"沙发清洗{code}")
    expect(dialog).to_contain_text("¥120.00/次")
    dialog.get_by_role("button", name="向住户公告").click()
    expect(panel.locator(f"tr[data-item={code}]")).to_have_count(0, timeout=15000)
    item = next(i for i in manager.call("GET", "/api/services/items") if i["code"] == code)
    assert item["status"] == "approved" and item["announced_at"]
    ctx.close()


def test_manager_closes_the_review_an_unsatisfied_call_back_opened(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-2 R-FU-6
    # A C on the call-back opens a review; only the manager closes that review, and no screen offered it.
    content = f"推拉门卡滞{uuid.uuid4().hex[:6]}"
    case_id = completed_repair(server.url, content)
    desk = Api(server.url, "dispatcher")
    [task] = [c for c in desk.call("GET", "/api/callbacks?status=due") if c["case_id"] == case_id]
    desk.call("POST", f"/api/callbacks/{task['id']}", {"grades": {"overall": "C"}, "comment": "门还是卡"})

    ctx, page = open_desk(browser, server, "manager")
    row = page.get_by_test_id("approvals").locator("tr[data-approval=review]", has_text=content)
    expect(row).to_contain_text("综合评议 C", timeout=15000)
    # The resident's words and who called (D111): the manager once saw only "Overall C · called …".
    expect(row).to_contain_text("门还是卡")
    expect(row.get_by_test_id("approval-review-caller")).to_contain_text("王调度")
    # Overall C alone is the manager's to take up: the repair itself was not graded C, so it was not
    # sent back to be redone (D133).
    expect(row.get_by_test_id("approval-review-rework")).to_have_text("工作本身未评不满意，未退回")
    row.get_by_test_id("approval-review-close").click()
    expect(row.locator(".desk-error")).to_have_text("请填写复查结论")  # beside its row
    row.locator("input[name=review_note]").fill("已上门调整滑轮，住户认可")
    row.get_by_test_id("approval-review-close").click()
    expect(page.locator("tr[data-approval=review]", has_text=content)).to_have_count(0, timeout=15000)
    done = next(c for c in desk.call("GET", "/api/callbacks?status=done") if c["id"] == task["id"])
    assert (done["review"], done["review_note"]) == ("done", "已上门调整滑轮，住户认可")
    ctx.close()


def test_the_general_manager_and_deputy_open_the_approvals_page_and_see_only_what_they_may_do(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    # The 审批 tab was the manager's alone: the GM saw the items waiting for approval only on the
    # desk home. The deputy GM may announce an approved item but not approve one.
    code = f"win{uuid.uuid4().hex[:6]}"
    manager = Api(server.url, "manager")
    manager.call("POST", "/api/services/items", {"code": code, "name_zh": f"擦窗{code}", "name_en": "Windows",
                                                 "fee_cents": 8000, "promise_minutes": 60})
    ctx, page = open_desk(browser, server, "gm")
    page.locator(".desk-nav a", has_text="审批").click()
    expect(page).to_have_url(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=item][data-item={code}]")
    row.get_by_test_id("approval-item-approve").click()
    page.locator("dialog[open]").get_by_role("button", name="批准").click()
    expect(page.locator(f"tr[data-approval=announce][data-item={code}]")).to_be_visible(timeout=15000)
    ctx.close()

    ctx, page = open_desk(browser, server, "deputy")
    page.locator(".desk-nav a", has_text="审批").click()
    announce = page.locator(f"tr[data-approval=announce][data-item={code}]")
    expect(announce).to_be_visible(timeout=15000)
    expect(page.get_by_test_id("approval-item-approve")).to_have_count(0)
    announce.get_by_test_id("approval-announce").click()
    page.locator("dialog[open]").get_by_role("button", name="向住户公告").click()
    expect(page.locator(f"tr[data-item={code}]")).to_have_count(0, timeout=15000)
    ctx.close()


def test_approval_groups_share_columns_and_a_quarterly_row_says_why_the_case_could_not_be_handled(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-4 R-FU-5
    # Each group was its own table, so columns wandered from group to group; and the row of a case
    # waiting for the quarterly close did not say why it could not be handled.
    tag = uuid.uuid4().hex[:6]
    desk, manager = Api(server.url, "dispatcher"), Api(server.url, "manager")
    stuck = _opened_repair(desk, f"地库渗水{tag}")
    manager.call("POST", f"/api/cases/{stuck}/cannot-handle", {"reason": f"需开发商维修{tag}"})
    long_job = _opened_repair(desk, f"外立面修补{tag}")
    desk.call("POST", f"/api/cases/{long_job}/plan", {"expected_days": 6, "text": "搭架施工"})
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    panel = page.get_by_test_id("approvals")
    quarterly = panel.locator("tr[data-approval=quarterly]", has_text=f"地库渗水{tag}")
    expect(quarterly).to_contain_text(f"无法处理原因：需开发商维修{tag}", timeout=15000)
    plan = panel.locator("tr[data-approval=plan]", has_text=f"外立面修补{tag}")
    expect(plan).to_be_visible()
    assert panel.locator("table").count() == 1
    for col in range(4):
        a, b = quarterly.locator("td").nth(col).bounding_box(), plan.locator("td").nth(col).bounding_box()
        assert abs(a["x"] - b["x"]) < 1 and abs(a["width"] - b["width"]) < 1, (col, a, b)
    ctx.close()


def test_a_case_the_monday_review_passed_to_the_manager_waits_on_their_approvals_page_until_answered(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-3
    # The dispatcher's Monday review could pass a case to the manager, but no manager's screen showed it.
    from e2e.test_desk_monday_review import _backdate

    tag = uuid.uuid4().hex[:6]
    desk, manager = Api(server.url, "dispatcher"), Api(server.url, "manager")
    new_way, stuck = _opened_repair(desk, f"车库渗水{tag}"), _opened_repair(desk, f"外墙空鼓{tag}")
    for case_id in (new_way, stuck):
        _backdate(server, case_id, 8)  # last week's case
        desk.call("POST", f"/api/cases/{case_id}/follow-up", {
            "kind": "weekly_review", "note": f"外包未定{tag}", "reported_to_manager_id": "usr_manager"})

    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    panel = page.get_by_test_id("approvals")
    row = panel.locator(f"tr[data-approval=passed][data-case='{new_way}']")
    expect(row).to_contain_text(f"车库渗水{tag}", timeout=15000)
    expect(row).to_contain_text("王调度")  # who passed it
    expect(row).to_contain_text(f"外包未定{tag}")  # and why
    expect(row.locator(f"a[href='#/case/{new_way}']")).to_be_visible()
    # An empty answer is refused beside the row, not at the top of the page.
    row.get_by_test_id("approval-approach").click()
    expect(row.locator(".desk-error")).to_have_text("请填写新的处理方式")
    row.locator("input[name=approach]").fill("联系防水公司报价")
    row.get_by_test_id("approval-approach").click()
    expect(panel.locator(f"tr[data-approval=passed][data-case='{new_way}']")).to_have_count(0, timeout=15000)
    reviewed = next(c for c in desk.call("GET", "/api/review/monday") if c["id"] == new_way)["reviewed"]
    assert reviewed["answer"]["approach"] == "联系防水公司报价"

    # Confirming the case cannot be handled answers too: it moves to the quarterly-close group.
    row = panel.locator(f"tr[data-approval=passed][data-case='{stuck}']")
    row.locator("input[name=cannot_reason]").fill("产权方不同意施工")
    row.get_by_test_id("approval-cannot-handle").click()
    expect(panel.locator(f"tr[data-approval=quarterly][data-case='{stuck}']")).to_contain_text("产权方不同意施工", timeout=15000)
    expect(panel.locator("tr[data-approval=passed]", has_text=tag)).to_have_count(0)
    ctx.close()
    assert manager.call("GET", f"/api/cases/{stuck}")["case"]["state"] == "cannot_handle"


def test_a_refused_announcement_shows_beside_its_own_item(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    # Refusals of the approve/announce buttons showed at the top of the panel, away from the row.
    tag = uuid.uuid4().hex[:6]
    manager, gm = Api(server.url, "manager"), Api(server.url, "gm")
    for code in (f"a{tag}", f"b{tag}"):
        manager.call("POST", "/api/services/items", {"code": code, "name_zh": f"擦窗{code}", "name_en": "Windows",
                                                     "fee_cents": 8000, "promise_minutes": 60})
        gm.call("POST", f"/api/services/items/{code}/approve")
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    panel = page.get_by_test_id("approvals")
    row = panel.locator(f"tr[data-approval=announce][data-item=b{tag}]")
    expect(row).to_be_visible(timeout=15000)
    # Stopped from another screen while the manager's request is on its way: the server really refuses
    # it (the withdrawal runs as the click's request leaves), and no refresh can take the row away first.
    def withdraw_then_send(route):  # noqa: ANN001, ANN202
        manager.call("POST", f"/api/services/items/b{tag}/withdraw")
        route.continue_()

    page.route(f"**/api/services/items/b{tag}/announce", withdraw_then_send)
    row.get_by_test_id("approval-announce").click()
    page.locator("dialog[open]").get_by_role("button", name="向住户公告").click()
    expect(row.locator(".desk-error")).to_contain_text("该服务已停止")
    expect(panel.locator(".desk-error:visible")).to_have_count(1)  # the row's only, none at the top
    expect(panel.locator(f"tr[data-approval=announce][data-item=a{tag}] .desk-error:visible")).to_have_count(0)
    ctx.close()


def _second_manager(server, tag: str) -> tuple[str, str]:  # noqa: ANN001
    """A second 管理处负责人 on the running server (the demo has one), made with the CLI as a compound would."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    username, password = f"manager{tag}", "demo-pass-2"
    env = dict(os.environ, ESTATEDESK_DATA_DIR=str(server.data_dir))
    env.pop("ESTATEDESK_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "server", "create-user", username, "--role", "manager",
                    "--display-name", f"孙经理{tag}", "--password", password],
                   cwd=Path(__file__).resolve().parent.parent, env=env, check=True, capture_output=True)
    return username, password


def test_a_second_manager_sees_and_answers_a_case_passed_to_the_first_and_the_monday_review_says_so(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-3 R-OP-3
    # A case the Monday review passed to 钱经理 was listed only on 钱经理's approvals page, though any
    # manager may answer it: with 钱经理 on leave nobody saw it waiting. Same for an opening passed up.
    from e2e.test_desk import login
    from e2e.test_desk_monday_review import _backdate

    tag = uuid.uuid4().hex[:6]
    username, password = _second_manager(server, tag)
    desk = Api(server.url, "dispatcher")
    case_id = _opened_repair(desk, f"地库渗水{tag}")
    _backdate(server, case_id, 8)  # last week's case
    desk.call("POST", f"/api/cases/{case_id}/follow-up", {
        "kind": "weekly_review", "note": f"外包未定{tag}", "reported_to_manager_id": "usr_manager"})
    opening = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"门禁失灵{tag}", "repair_responsibility": "common", "repair_class": "small",
    })["case"]["id"]
    desk.call("POST", f"/api/cases/{opening}/refer-opening", {"to_id": "usr_lead", "note": "请定"})

    ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, username, password)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    # The home: the opening waits for 陈班长, and this manager may decide it in their place.
    other = page.get_by_test_id("decide-others").locator(f"li[data-case='{opening}']")
    expect(other).to_contain_text(f"门禁失灵{tag}", timeout=15000)
    expect(other.get_by_test_id("decide-others-who")).to_contain_text("待陈班长决定 · 王调度于")
    expect(other.get_by_test_id("decide-others-who")).to_contain_text("已等待")

    page.goto(server.url + "/#/approvals")
    panel = page.get_by_test_id("approvals")
    expect(panel.locator(f"tr[data-approval=passed][data-case='{case_id}']")).to_have_count(0)  # not passed to me
    row = panel.locator(f"tr[data-approval=passed-others][data-case='{case_id}']")
    expect(row).to_contain_text(f"地库渗水{tag}", timeout=15000)
    expect(row.get_by_test_id("approval-passed-to")).to_have_text("转交钱经理 · 尚未答复")
    expect(row).to_contain_text(f"外包未定{tag}")
    expect(row.get_by_test_id("approval-waited")).to_contain_text("已等待")
    expect(panel.locator("tbody[data-group=passed_others] .desk-approvals-head")).to_contain_text("周一回顾转交其他经理 · 尚未答复")
    row.locator("input[name=approach]").fill("联系防水公司报价")
    row.get_by_test_id("approval-approach").click()
    expect(panel.locator(f"tr[data-case='{case_id}']")).to_have_count(0, timeout=15000)

    # Recorded as this manager's answer, for 钱经理: the Monday review says both.
    page.goto(server.url + "/#/review")
    answer = page.locator(f"tr[data-case='{case_id}']").get_by_test_id("review-answer")
    expect(answer).to_have_text(re.compile(rf"^经理答复：联系防水公司报价（孙经理{tag}代钱经理 · "), timeout=15000)
    ctx.close()
    reviewed = next(c for c in desk.call("GET", "/api/review/monday") if c["id"] == case_id)["reviewed"]
    assert reviewed["reported_to_manager_id"] == "usr_manager" and reviewed["answer"]["by"] != "usr_manager"
    # The first manager, back, finds nothing left waiting for them.
    assert case_id not in [c["id"] for c in Api(server.url, "manager").call("GET", "/api/cases?review_to_me=true")]


def test_a_received_case_passed_up_offers_both_answers_and_goes_to_the_quarterly_close_when_it_cannot_be_handled(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-3 R-CL-4
    # The manager's row had one input, "New approach", and one button, though the group asks to
    # "confirm or set a new approach"; a case still 已受理 had no way to cannot-handle at all (D116).
    from e2e.test_desk_monday_review import _backdate

    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    case_id = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "杨租户", "phone": "13800000006",
        "unit_id": "unit_2_301", "content": f"楼上夜间装修噪音{tag}", "complaint_category": "decoration"})["case"]["id"]
    _backdate(server, case_id, 8)
    desk.call("POST", f"/api/cases/{case_id}/follow-up", {
        "kind": "weekly_review", "note": f"业主不配合{tag}", "reported_to_manager_id": "usr_manager"})

    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    panel = page.get_by_test_id("approvals")
    row = panel.locator(f"tr[data-approval=passed][data-case='{case_id}']")
    expect(row).to_contain_text("已受理", timeout=15000)
    expect(row.get_by_test_id("approval-approach")).to_have_text("设定新的处理方式")
    expect(row.get_by_test_id("approval-cannot-handle")).to_have_text("确认无法处理")
    expect(row.locator("input[name=approach]")).to_have_attribute("placeholder", "新的处理方式")
    expect(row.locator("input[name=cannot_reason]")).to_have_attribute("placeholder", "无法处理的原因")
    # Each answer asks for its own text.
    row.get_by_test_id("approval-cannot-handle").click()
    expect(row.locator(".desk-error")).to_have_text("请填写无法处理的原因")
    row.locator("input[name=cannot_reason]").fill(f"业主拒绝整改{tag}")
    row.get_by_test_id("approval-cannot-handle").click()
    # It now waits for the quarterly close, with its reason.
    quarterly = panel.locator(f"tr[data-approval=quarterly][data-case='{case_id}']")
    expect(quarterly).to_contain_text(f"业主拒绝整改{tag}", timeout=15000)
    expect(panel.locator(f"tr[data-approval=passed][data-case='{case_id}']")).to_have_count(0)

    # The case's history says the confirmation answered the Monday review.
    page.goto(server.url + f"/#/case/{case_id}")
    expect(page.locator("[data-view=desk]")).to_contain_text(f"原因：业主拒绝整改{tag}，答复周一回顾", timeout=15000)
    ctx.close()
    assert desk.call("GET", f"/api/cases/{case_id}")["case"]["state"] == "cannot_handle"
    reviewed = next(c for c in desk.call("GET", "/api/review/monday") if c["id"] == case_id)["reviewed"]
    assert reviewed["answer"]["cannot_handle_reason"] == f"业主拒绝整改{tag}"


def test_manager_approves_an_emergency_close_after_one_confirmation_naming_the_case(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-2 R-EM-4
    # It was one tap with no dialog, while the GM's fee approval asks (D126).
    tag = uuid.uuid4().hex[:6]
    desk, manager = Api(server.url, "dispatcher"), Api(server.url, "manager")
    cid = emergency_awaiting_approval(desk, manager, f"楼道冒烟{tag}")
    view = manager.call("GET", f"/api/cases/{cid}")
    assert view["missing_to_close"] == ["manager_approval"]

    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=close][data-case='{cid}']")
    expect(row).to_be_visible(timeout=15000)
    row.get_by_test_id("approve-close").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(view["case"]["no"])
    expect(dialog).to_contain_text(f"楼道冒烟{tag}")
    dialog.get_by_role("button", name="取消").click()
    approved = lambda: any(e["action"] == "case.close_approved"  # noqa: E731
                           for e in manager.call("GET", f"/api/cases/{cid}")["timeline"])
    assert not approved()
    row.get_by_test_id("approve-close").click()
    page.locator("dialog[open]").get_by_role("button", name="批准销项").click()
    expect(row.locator(".badge-completed")).to_be_visible(timeout=15000)
    assert approved()
    ctx.close()


def emergency_awaiting_approval(desk: Api, manager: Api, content: str) -> str:
    """A smoke emergency handled to its end through the API, waiting only for the manager's close
    approval (R-EM-2..4): registered, opened, escalated and acknowledged, summoned, settled, verified."""
    cid = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]["id"]
    for path, body in (("decide", {"open": True, "reason": "D"}),
                       ("report-up", {"to_role": "manager", "to_id": "usr_manager"}),
                       ("emergency/attempt", {"target_role": "manager", "target_id": "usr_manager", "reached": True}),
                       ("emergency/summon", {"role": "security_manager"}),
                       ("emergency/arrival", {"role": "security_manager", "report": "现场已封锁"}),
                       ("emergency/settle", None),
                       ("verify", {"text": "消防确认为误报烟雾"})):
        desk.call("POST", f"/api/cases/{cid}/{path}", body)
    manager.call("POST", f"/api/cases/{cid}/emergency/ack", None)
    return cid
