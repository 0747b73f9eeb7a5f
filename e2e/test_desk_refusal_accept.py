"""Accepting a refused signed completion from the case page (D141).

张师傅 accepted a repair, the desk gave it to 刘师傅 while his phone was offline, and his arrival, note and signed
completion were refused (case.work_order_withdrawn). The dispatcher accepts the completion: the case is completed
by 张师傅 at the time his phone recorded it, 刘师傅's order is withdrawn, the arrival goes with it and the note
stays for a note of its own. Where the case has moved on (刘师傅 completed it first), the page says why instead
of offering the button.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.conftest import PHONE
from e2e.test_desk_refusals_home import refused_job
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _accept_arrive_and_complete, _dispatched_repair, _phone_showing
from e2e.test_field_sync_triggers import _pending, _work_order
from e2e.test_shell import open_desk
from tests.images import signature_png

SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-refusal-accept-"))


def test_the_dispatcher_accepts_a_refused_completion_on_the_case_page(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1, D28
    case_id, job_id, client = refused_job(server.url, f"楼道灯不亮 {uuid.uuid4().hex[:6]}")
    desk = Api(server.url, "dispatcher")
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case_id}")
    panel = page.get_by_test_id("field-refusals")
    item = lambda m: panel.locator(f".rf-item[data-key='{client}/{m}']")  # noqa: E731
    expect(panel.locator(".rf-item")).to_have_count(3, timeout=20000)
    # Only the signed completion is offered; the arrival goes with it, the note is handled with a note.
    expect(item(4).get_by_test_id("rf-accept")).to_have_text("接受完工")
    expect(item(2).get_by_test_id("rf-accept")).to_have_count(0)
    expect(item(3).get_by_test_id("rf-accept")).to_have_count(0)

    item(4).get_by_test_id("rf-accept").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".dialog-title")).to_have_text("接受张师傅的完工？")
    expect(dialog).to_contain_text("按手机记录的时间")
    expect(dialog.get_by_test_id("rf-accept-withdraws")).to_have_text("刘师傅现在负责的工单将撤回，其手机会收到撤回原因。")
    page.screenshot(path=str(SHOTS / "desk-refusal-accept-dialog.png"))
    # Cancel changes nothing.
    dialog.get_by_role("button", name="取消").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert desk.call("GET", f"/api/cases/{case_id}")["case"]["state"] == "dispatched"

    item(4).get_by_test_id("rf-accept").click()
    page.locator("dialog[open]").get_by_test_id("rf-accept-confirm").click()
    expect(page.locator("dialog[open]")).to_have_count(0, timeout=15000)
    for m in (2, 4):
        expect(item(m)).to_have_class(re.compile(r"\bis-handled\b"), timeout=15000)
    expect(item(4).get_by_test_id("rf-outcome")).to_contain_text("已接受")
    expect(item(4).get_by_test_id("rf-outcome")).to_contain_text("完工已记入本案")
    expect(item(2).get_by_test_id("rf-outcome")).to_contain_text("已随完工一并接受")
    expect(item(3)).not_to_have_class(re.compile(r"\bis-handled\b"))
    # The history: 刘师傅's order withdrawn, 张师傅's completion accepted.
    timeline = page.locator(".desk-timeline")
    expect(timeline).to_contain_text("撤回刘师傅的工单：工作已由张师傅完成")
    expect(timeline).to_contain_text("同步时因工单已改派被拒")
    page.screenshot(path=str(SHOTS / "desk-refusal-accepted.png"), full_page=True)
    case = desk.call("GET", f"/api/cases/{case_id}")["case"]
    assert case["state"] == "completed"
    done = next(w for w in case["work_orders"] if w["id"] == job_id)
    assert (done["state"], done["assignee_id"]) == ("completed", "usr_tech")

    _switch_language(page, "en")
    expect(item(4).get_by_test_id("rf-outcome")).to_contain_text("Accepted")
    expect(page.locator(".desk-timeline")).to_contain_text("the work was done by")
    ctx.close()


def test_a_completion_the_new_holder_made_first_is_not_offered(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1
    case_id, _, client = refused_job(server.url, f"车库灯不亮 {uuid.uuid4().hex[:6]}")
    desk = Api(server.url, "dispatcher")
    job2 = desk.call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]
    tech2 = Api(server.url, "tech2")
    sig = _upload(server.url, tech2, signature_png(f"tech2-{case_id}"))
    res = tech2.call("POST", "/api/sync/push", {"client_id": "tech2-" + uuid.uuid4().hex[:8], "mutations": [
        {"mutation_id": 1, "type": "job.arrive", "args": {"job_id": job2}},
        {"mutation_id": 2, "type": "job.complete", "args": {
            "job_id": job2, "work_done": "更换灯管", "fee_cents": 0, "signature_sha256": sig,
            "signer_name": "黄业主", "signer_relation": "owner"}}]})
    assert [r["status"] for r in res["results"]] == ["applied", "applied"], res
    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case_id}")
    item = page.get_by_test_id("field-refusals").locator(f".rf-item[data-key='{client}/4']")
    expect(item.get_by_test_id("rf-cannot-accept")).to_contain_text("不能接受完工：此案件的工作在此之后已由接手的人完工",
                                                                     timeout=20000)
    expect(item.get_by_test_id("rf-accept")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "desk-refusal-not-acceptable.png"))
    _switch_language(page, "en")
    expect(item.get_by_test_id("rf-cannot-accept")).to_contain_text("Cannot accept the completion: The work on this case")
    ctx.close()


def test_the_phone_says_its_refused_completion_was_accepted_once_the_desk_did(browser: Browser, server) -> None:  # noqa: ANN001  # D141, design guarantee 1
    # After the desk accepted it, the phone kept the completion as 被拒 (and counted it so in the sync bar) until
    # dismissed, though the job had come back completed.
    content = f"楼道窗户关不上 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    job_id = _work_order(server, case_id)["id"]
    ctx, page = _phone_showing(browser, server, content, PHONE)
    ctx.set_offline(True)
    _accept_arrive_and_complete(page, content, "调整窗户合页")
    expect(_pending(page)).to_have_attribute("data-count", "3", timeout=15000)
    desk = Api(server.url, "dispatcher")
    desk.call("POST", f"/api/cases/{case_id}/dispatch", {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)
    refused = page.locator(".syncbar-refused")
    expect(refused).to_have_text("被拒 3 条", timeout=15000)

    [completion] = [r for r in desk.call("GET", "/api/field-refusals")
                    if r["case_id"] == case_id and r["type"] == "job.complete"]
    desk.call("POST", f"/api/field-refusals/{completion['client_id']}/{completion['mutation_id']}/accept")

    page.goto(server.url + "/#/outbox")
    page.locator("[data-action=sync-now]").click()
    entry = page.locator(f".outbox-item[data-mutation-id='{completion['mutation_id']}']")
    expect(entry).to_have_attribute("data-state", "accepted", timeout=20000)
    expect(entry.locator(".badge")).to_have_text("已由服务台接受")
    expect(entry.get_by_test_id("outbox-accepted-note")).to_contain_text("服务台随后接受为已完成的工作")
    # The acceptance and arrival went with it: nothing is counted as refused any more, nothing was dropped.
    expect(refused).to_have_count(0)
    expect(page.locator(".outbox-item[data-state=accepted]")).to_have_count(3)
    expect(page.locator(".outbox-item[data-state=refused]")).to_have_count(0)
    # The job is back, completed, with no refusal card.
    page.goto(server.url + f"/#/job/{job_id}")
    expect(page.locator(".refused-card")).to_have_count(0, timeout=15000)
    page.goto(server.url + "/#/outbox")
    _switch_language(page, "en")
    expect(entry.locator(".badge")).to_have_text("Accepted by the desk", timeout=15000)
    ctx.close()
