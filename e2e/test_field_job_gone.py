"""A job that left the phone says why, and where the record the phone kept on it is (D105).

A completion refused because the desk had reassigned the job left "This job is not on this phone
(completed and closed, or reassigned)": the technician could not tell which, nor find the signed slip.
An unable job dispatched again to the same technician showed as two jobs.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_english import _switch_language
from e2e.test_field_offline import _accept_arrive_and_complete, _dispatched_repair, _phone_showing
from e2e.test_field_sync_triggers import _pending, _work_order


def test_a_completion_refused_after_a_reassignment_says_so_and_links_to_the_signed_record(
        browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 1
    content = f"楼道排水沟堵塞 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    job_id = _work_order(server, case_id)["id"]
    ctx, page = _phone_showing(browser, server, content, PHONE)

    ctx.set_offline(True)
    _accept_arrive_and_complete(page, content, "疏通排水沟")
    expect(_pending(page)).to_have_attribute("data-count", "3", timeout=15000)
    Api(server.url, "dispatcher").call("POST", f"/api/cases/{case_id}/dispatch",
                                       {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)

    page.goto(server.url + f"/#/job/{job_id}")
    gone = page.get_by_test_id("job-gone")
    expect(gone).to_have_text("调度已将此工单转派给他人，已从本机移除。", timeout=15000)
    link = page.get_by_test_id("job-gone-entry")
    expect(link).to_have_text("查看本机保存的完工签字记录")
    link.click()
    expect(page).to_have_url(re.compile(r"#/outbox/\d+$"))
    target = page.locator(".outbox-item.is-target")
    expect(target).to_have_count(1)
    expect(target).to_have_attribute("data-state", "refused")
    expect(target).to_contain_text("完工签字")
    page.wait_for_function("() => { const b = document.querySelector('.outbox-item.is-target').getBoundingClientRect();"
                           " return b.top >= 0 && b.bottom <= innerHeight; }", timeout=5000)

    page.goto(server.url + f"/#/job/{job_id}")
    _switch_language(page, "en")
    expect(gone).to_have_text("The desk reassigned this job to someone else; it has left this phone.", timeout=15000)
    expect(page.get_by_test_id("job-gone-entry")).to_have_text("See the signed completion kept on this phone")
    ctx.close()


def test_an_unable_job_dispatched_again_to_the_same_technician_is_one_job_on_the_phone(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-3 D99
    content = f"水箱浮球阀失灵 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    first = _work_order(server, case_id)["id"]
    tech = Api(server.url, "tech")
    answer = tech.call("POST", "/api/sync/push", {
        "client_id": f"e2e-{uuid.uuid4().hex}",
        "mutations": [{"mutation_id": 1, "type": "job.arrive", "args": {"job_id": first}},
                      {"mutation_id": 2, "type": "job.unable", "args": {"job_id": first, "reason": "缺浮球阀配件"}},
                      {"mutation_id": 3, "type": "job.note", "args": {"job_id": first, "text": "型号 DN25"}}]})
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3, answer
    Api(server.url, "dispatcher").call("POST", f"/api/cases/{case_id}/dispatch",
                                       {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    second = _work_order(server, case_id)["id"]
    assert second != first

    ctx, page = _phone_showing(browser, server, content, PHONE)
    expect(page.locator(".job-card", has_text=content)).to_have_count(1)
    page.locator(".job-card", has_text=content).click()
    expect(page).to_have_url(re.compile(re.escape(second) + "$"))
    expect(page.get_by_test_id("earlier-unable")).to_have_text("上次派工无法完成：缺浮球阀配件")
    expect(page.locator(".note", has_text="型号 DN25")).to_contain_text("上次派工")

    # The old job's address (a link kept from before) leads to the new one.
    page.goto(server.url + f"/#/job/{first}")
    expect(page.get_by_test_id("job-gone")).to_have_text("调度已重新派工给你，请在新工单上继续处理。", timeout=15000)
    page.get_by_test_id("job-gone-new").click()
    expect(page).to_have_url(re.compile(re.escape(second) + "$"))
    ctx.close()
