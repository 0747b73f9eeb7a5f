"""The case page: the manager answers a case the Monday review passed up, and the answer shows (R-FU-3)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_approvals import _opened_repair
from e2e.test_desk import open_desk


def test_the_manager_sets_a_new_approach_on_the_case_page_and_the_follow_ups_show_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-3
    # The case page had no answer action, and the answer was only in the history.
    tag = uuid.uuid4().hex[:6]
    desk = Api(server.url, "dispatcher")
    case_id = _opened_repair(desk, f"地库积水{tag}")
    desk.call("POST", f"/api/cases/{case_id}/follow-up", {
        "kind": "weekly_review", "note": f"需外包{tag}", "reported_to_manager_id": "usr_manager"})

    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/case/{case_id}")
    expect(page.get_by_test_id("follow-up-pending")).to_have_text("待经理确认或定新的处理方式", timeout=15000)
    expect(page.locator("[data-action=review_answer]")).to_have_count(0)  # the desk does not answer
    ctx.close()

    ctx, page = open_desk(browser, server, "manager")
    page.goto(f"{server.url}/#/case/{case_id}")
    page.locator("[data-action=review_answer]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name=approach]").fill("联系防水公司报价，周三前定")
    dialog.get_by_test_id("dialog-submit").click()
    answer = page.get_by_test_id("follow-up-answer")
    expect(answer).to_contain_text("经理答复：钱经理", timeout=15000)
    expect(answer).to_contain_text("新的处理方式：联系防水公司报价，周三前定")
    expect(page.get_by_test_id("follow-up-pending")).to_have_count(0)
    expect(page.locator("[data-action=review_answer]")).to_have_count(0)  # answered once
    ctx.close()
