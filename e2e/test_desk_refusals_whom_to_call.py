"""Refused field records on the case page (D28, D68): each says who sent it, who holds the job now and
the case's state, so the desk knows whom to call; several refused for one reason are ticked and
marked handled with one note, all or none."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_desk_refusals_home import refused_job
from e2e.test_field_english import _switch_language
from e2e.test_shell import open_desk

SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-refusals-"))


def reassigned_job_with_refusals(base: str, content: str) -> tuple[str, str, str]:
    """张师傅 accepted the repair; the desk gave it to 刘师傅 while his phone was offline; his arrival,
    note and signed completion are refused (case.work_order_withdrawn). 刘师傅's phone then writes on
    the withdrawn order too, refused for another reason (scope.not_assigned). Returns the case id and
    the two phones' client ids."""
    case_id, job_id, client = refused_job(base, content)
    now = datetime.now().astimezone().isoformat()
    other = "tech2-" + uuid.uuid4().hex[:8]
    res = Api(base, "tech2").call("POST", "/api/sync/push", {"client_id": other, "mutations": [
        {"mutation_id": 1, "type": "job.note", "args": {"job_id": job_id, "text": "我来接手"}, "device_time": now}]})
    assert res["results"][0]["code"] == "scope.not_assigned", res
    return case_id, client, other


def test_the_case_page_says_whom_to_call_and_handles_one_reasons_records_together(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-9, D28
    content = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    case_id, client, other = reassigned_job_with_refusals(server.url, content)
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case_id}")
    panel = page.get_by_test_id("field-refusals")
    item = lambda c, m: panel.locator(f".rf-item[data-key='{c}/{m}']")  # noqa: E731
    expect(panel.locator(".rf-item")).to_have_count(4, timeout=20000)

    # Beside who sent each record: who holds the job now (with the phone to call) and the case's state.
    note = item(client, 3)
    expect(note.get_by_test_id("rf-sender")).to_contain_text("张师傅（维修工）")
    expect(note.get_by_test_id("rf-holder")).to_contain_text("刘师傅（维修工）")
    expect(note.get_by_test_id("rf-holder")).to_contain_text("工单已派工")
    expect(note.get_by_test_id("rf-holder").locator("a[href='tel:13900000006']")).to_have_count(1)  # 刘师傅's own number
    expect(note.get_by_test_id("rf-case-state").locator(".badge")).to_have_text("已派工")
    # 刘师傅's own refused note: he holds the job himself.
    expect(item(other, 1).get_by_test_id("rf-holder")).to_contain_text("上报人本人")

    # Records refused for different reasons are not handled with one note: the button says so first.
    batch = page.get_by_test_id("rf-batch")
    button = batch.get_by_test_id("rf-handle-selected")
    expect(button).to_be_disabled()
    item(other, 1).locator(".rf-select").check()
    item(client, 2).locator(".rf-select").check()
    expect(batch.get_by_test_id("rf-mixed")).to_be_visible()
    expect(button).to_be_disabled()
    item(other, 1).locator(".rf-select").uncheck()
    for m in (3, 4):
        item(client, m).locator(".rf-select").check()
    expect(batch.get_by_test_id("rf-selected-count")).to_have_text("已选 3 条")
    expect(batch.get_by_test_id("rf-mixed")).to_be_hidden()
    expect(button).to_be_enabled()
    page.screenshot(path=str(SHOTS / "desk-refusals-selected.png"), full_page=True)

    # Meanwhile the front desk handles the note on its own: the batch marks nothing and says why.
    Api(server.url, "frontdesk").call("POST", f"/api/field-refusals/{client}/3/handle", {"note": "已电话告知刘师傅"})
    button.click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_test_id("rf-batch-list").locator("li")).to_have_count(3)
    dialog.locator("textarea[name=note]").fill("已改派刘师傅，明早上门请业主补签")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog.locator(".desk-error")).to_contain_text("所选记录中有 1 条已处理，本次未作任何标记")
    page.screenshot(path=str(SHOTS / "desk-refusals-batch-refused.png"))
    dialog.get_by_role("button", name="取消").click()
    expect(item(client, 3)).to_have_class(re.compile(r"\bis-handled\b"), timeout=15000)
    expect(item(client, 2)).not_to_have_class(re.compile(r"\bis-handled\b"))
    # The two still open stay ticked; one note handles both.
    expect(batch.get_by_test_id("rf-selected-count")).to_have_text("已选 2 条")
    button.click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name=note]").fill("已改派刘师傅，明早上门请业主补签")
    dialog.get_by_test_id("dialog-submit").click()
    expect(dialog).to_have_count(0, timeout=15000)
    for m in (2, 4):
        expect(item(client, m)).to_have_class(re.compile(r"\bis-handled\b"), timeout=15000)
        expect(item(client, m)).to_contain_text("已改派刘师傅，明早上门请业主补签")
    expect(item(other, 1)).not_to_have_class(re.compile(r"\bis-handled\b"))
    page.screenshot(path=str(SHOTS / "desk-refusals-handled.png"), full_page=True)

    _switch_language(page, "en")
    expect(item(other, 1).get_by_test_id("rf-holder")).to_contain_text("Holds the job now")
    expect(item(other, 1).get_by_test_id("rf-holder")).to_contain_text("the sender")
    expect(item(client, 2).get_by_test_id("rf-sender")).to_contain_text("Technician")
    ctx.close()


def test_the_desk_home_names_who_holds_the_job_now(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-9, D28
    content = f"车库灯不亮 {uuid.uuid4().hex[:6]}"
    _, client, _ = reassigned_job_with_refusals(server.url, content)
    ctx, page = open_desk(browser, server, "dispatcher")
    row = page.get_by_test_id("field-refusals").locator(f".rf-item[data-key='{client}/4']")
    expect(row.get_by_test_id("rf-holder")).to_contain_text("刘师傅（维修工）", timeout=20000)
    expect(row.get_by_test_id("rf-sender")).to_contain_text("张师傅（维修工）")
    expect(row.get_by_test_id("rf-case-state").locator(".badge")).to_have_text("已派工")
    ctx.close()
