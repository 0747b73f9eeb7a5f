"""Not opening a case (R-OP-2): with the F reason left empty, 确认不立项 is stopped in the browser and the
error names the F reason, under that field, not the optional 备注 (D120)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk import open_desk


def test_not_opening_without_the_f_reason_names_that_field(browser: Browser, server) -> None:  # noqa: ANN001  # R-OP-2
    desk = Api(server.url, "dispatcher")
    content = f"咨询停车收费标准 {uuid.uuid4().hex[:6]}"
    case = desk.call("POST", "/api/cases", {"kind": "inquiry", "channel": "phone", "contact_name": "不立项测试",
                                             "phone": "13800000021", "address": "3栋", "content": content})["case"]
    ctx, page = open_desk(browser, server, "dispatcher")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/decide") else None)
    page.goto(f"{server.url}/#/case/{case['id']}")
    page.locator("[data-action=decide]").click()
    dialog = page.locator("dialog[open] .desk-decide")
    dialog.get_by_role("radio", name="不立项").check()
    dialog.locator("input[name=decide_note]").fill("住户电话里已确认")  # the optional note does not stand in for F
    dialog.get_by_test_id("decide-submit").click()
    f_error = dialog.get_by_test_id("f-reason-error")
    expect(f_error).to_have_text("请填写不立项原因（F）")
    # Attached to the F field: inside its box, which is marked, and the focus is there.
    f_field = dialog.locator("textarea[name=not_open_note]").locator("xpath=ancestor::*[contains(@class,'field')][1]")
    expect(f_field.get_by_test_id("f-reason-error")).to_be_visible()
    expect(f_field).to_have_class(re.compile(r"\bis-missing\b"))
    expect(dialog.locator("textarea[name=not_open_note]")).to_be_focused()
    expect(dialog).not_to_contain_text("请填写备注")
    assert posted == []  # checked in the browser, nothing sent

    dialog.locator("textarea[name=not_open_note]").fill("已解释收费标准，住户接受")
    expect(f_error).to_be_hidden()
    dialog.get_by_test_id("decide-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_text("不立项", timeout=10000)
    assert desk.call("GET", f"/api/cases/{case['id']}")["case"]["opening"]["note"].startswith("已解释收费标准，住户接受")
    ctx.close()
