"""The manager's weekly quality check and the CAPA report a poor week calls for (R-RV-4)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK
from e2e.test_desk import open_desk
from e2e.test_shell import login


def _poor_week(manager: Api) -> dict:
    # One check per week and compound: a random past Monday keeps tests on a shared server apart.
    week = date(2001, 1, 1) + timedelta(weeks=random.randrange(1200))  # noqa: S311
    return manager.call("POST", "/api/quality/weekly-checks", {
        "week_start": week.isoformat(), "cases_checked": 6, "poor_quality": True, "findings": f"回访超时{week}"})


def test_a_poor_week_waits_on_the_approvals_page_and_its_capa_number_is_filed_there(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # The week waiting for its corrective-action report was not on the approvals page; an empty number
    # said "须填写…编号 — 缺少：…编号", at the top of the section rather than beside the week.
    manager = Api(server.url, "manager")
    check = _poor_week(manager)
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa][data-check={check['id']}]")
    expect(row).to_contain_text(check["findings"], timeout=15000)
    row.get_by_test_id("capa-file").click()
    error = row.locator(".desk-error")
    expect(error).to_have_text("请填写纠正预防措施报告编号")
    row.locator("input[name=capa_report_no]").fill("CAPA-2026-07")
    _fill_capa(row)
    row.get_by_test_id("capa-file").click()
    expect(page.locator(f"tr[data-check={check['id']}]")).to_have_count(0, timeout=15000)
    filed = next(c for c in manager.call("GET", "/api/quality/weekly-checks") if c["id"] == check["id"])
    assert filed["capa_report_no"] == "CAPA-2026-07"
    ctx.close()


def _fill_capa(row, cause: str = "回访无人跟进") -> None:  # noqa: ANN001
    row.locator("textarea[name=capa_cause]").fill(cause)
    row.locator("textarea[name=capa_corrective]").fill("补做两单回访")
    row.locator("textarea[name=capa_preventive]").fill("回访列入交接班检查")
    row.locator("select[name=capa_owner]").select_option(label="王调度")
    row.locator("input[name=capa_due_on]").fill((date.today() + timedelta(days=7)).isoformat())


def test_the_capa_report_says_what_was_found_and_done_and_the_general_manager_signs_it_off(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # The report was a number in a box, and nothing reached the general manager's approvals page (D117).
    manager = Api(server.url, "manager")
    check = _poor_week(manager)
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa][data-check={check['id']}]")
    expect(row.locator("textarea[name=capa_problem]")).to_have_value(check["findings"], timeout=15000)
    row.locator("input[name=capa_report_no]").fill("CAPA-X1")
    row.get_by_test_id("capa-file").click()
    expect(row.locator(".desk-error")).to_contain_text("原因分析")  # each part is asked for
    _fill_capa(row)
    row.get_by_test_id("capa-file").click()
    expect(page.locator(f"tr[data-approval=capa][data-check={check['id']}]")).to_have_count(0, timeout=15000)
    ctx.close()

    ctx, page = open_desk(browser, server, "gm")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa-signoff][data-check={check['id']}]")
    expect(row).to_contain_text("原因分析：回访无人跟进", timeout=15000)
    expect(row).to_contain_text("责任人：王调度")
    row.get_by_test_id("capa-return").click()
    expect(row.locator(".desk-error")).to_have_text("请填写退回原因")
    row.locator("input[name=capa_return_reason]").fill("原因不够具体")
    row.get_by_test_id("capa-return").click()
    expect(page.locator(f"tr[data-approval=capa-signoff][data-check={check['id']}]")).to_have_count(0, timeout=15000)
    ctx.close()

    # Sent back, it is the manager's again, with the reason; filed again, the GM accepts it.
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa][data-check={check['id']}]")
    expect(row.get_by_test_id("capa-returned")).to_contain_text("原因不够具体", timeout=15000)
    row.locator("textarea[name=capa_cause]").fill("回访任务未分派到人")
    row.get_by_test_id("capa-file").click()
    expect(page.locator(f"tr[data-approval=capa][data-check={check['id']}]")).to_have_count(0, timeout=15000)
    ctx.close()
    ctx, page = open_desk(browser, server, "gm")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa-signoff][data-check={check['id']}]")
    expect(row).to_contain_text("回访任务未分派到人", timeout=15000)
    row.get_by_test_id("capa-accept").click()
    expect(page.locator(f"tr[data-approval=capa-signoff][data-check={check['id']}]")).to_have_count(0, timeout=15000)
    ctx.close()
    done = next(c for c in manager.call("GET", "/api/quality/weekly-checks") if c["id"] == check["id"])
    assert (done["capa_status"], done["capa_decided_by"]) == ("accepted", "usr_gm")


def test_a_check_of_no_cases_is_refused_on_the_page(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    week = date(2001, 1, 1) + timedelta(weeks=random.randrange(1200))  # noqa: S311
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/review")
    section = page.get_by_test_id("weekly-quality")
    expect(section.locator("input[name=cases_checked]")).to_have_value("", timeout=15000)
    section.locator("input[name=week_start]").fill(week.isoformat())
    section.locator("input[name=cases_checked]").fill("0")
    section.get_by_test_id("quality-verdict").get_by_label("合格", exact=True).check()
    section.get_by_role("button", name="记录本周检查").click()
    expect(section.locator("form .desk-error")).to_have_text("抽查单数至少为 1")
    ctx.close()


def test_on_the_review_page_a_capa_refusal_shows_beside_its_week_once(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    check = _poor_week(Api(server.url, "manager"))
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/review")
    section = page.get_by_test_id("weekly-quality")
    row = section.locator("tr", has_text=check["findings"])
    expect(row).to_be_visible(timeout=15000)
    row.get_by_test_id("capa-file").click()
    expect(row.locator(".desk-error")).to_have_text("请填写纠正预防措施报告编号")
    expect(section.locator(".desk-error:visible")).to_have_count(1)  # only the row's, none at the top
    ctx.close()


def test_the_weekly_check_asks_for_an_explicit_good_or_poor_verdict(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # "质量不合格" was a lone checkbox at the foot of an empty column, the only way to mark a poor week:
    # easy to miss, and a week left unticked was recorded as good. Now neither is chosen until the
    # manager picks one, and the form is refused until then.
    week = date(2001, 1, 1) + timedelta(weeks=random.randrange(1200))  # noqa: S311
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/review")
    section = page.get_by_test_id("weekly-quality")
    verdict = section.get_by_test_id("quality-verdict")
    expect(verdict).to_contain_text("本周处理质量", timeout=15000)
    expect(verdict.get_by_label("合格", exact=True)).not_to_be_checked()
    expect(verdict.get_by_label("不合格")).not_to_be_checked()
    section.locator("input[name=week_start]").fill(week.isoformat())
    section.locator("input[name=cases_checked]").fill("5")
    section.get_by_role("button", name="记录本周检查").click()
    error = section.locator("form .desk-error")
    expect(error).to_have_text("请选择本周处理质量：合格或不合格")
    # A poor week needs its findings, said before the server is asked.
    verdict.get_by_label("不合格").check()
    section.get_by_role("button", name="记录本周检查").click()
    expect(error).to_have_text("缺少：发现的问题")
    section.locator("textarea[name=findings]").fill(f"派工超时{week}")
    section.get_by_role("button", name="记录本周检查").click()
    row = section.locator("tr", has_text=f"派工超时{week}")
    expect(row).to_contain_text("不合格", timeout=15000)
    expect(verdict.locator("input:checked")).to_have_count(0)  # the next week is decided afresh
    ctx.close()


def test_a_week_list_that_fails_to_load_says_so_above_the_list(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # The service worker would fetch past page.route: block it, as the test only needs the page.
    ctx = browser.new_context(viewport=DESK, locale="zh-CN", service_workers="block")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.route("**/api/quality/weekly-checks", lambda route: route.fulfill(
        status=500, content_type="application/json",
        body='{"code": "internal", "message": "服务器内部错误", "message_en": "Internal error", "details": {}}'))
    page.goto(server.url + "/#/review")
    section = page.get_by_test_id("weekly-quality")
    expect(section.locator(":scope > .desk-error")).to_have_text("服务器内部错误", timeout=15000)
    expect(section.locator("form .desk-error:visible")).to_have_count(0)  # not beside the submit button
    ctx.close()


def test_the_manager_records_the_capa_actions_done_and_the_general_manager_sees_it(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # D140: the owner and the managers are reminded until the actions are recorded as done.
    manager = Api(server.url, "manager")
    check = _poor_week(manager)
    due = date.today() + timedelta(days=7)
    manager.call("POST", f"/api/quality/weekly-checks/{check['id']}/capa", {
        "report_no": "CAPA-D1", "problem": "回访超时", "cause": "无人跟进", "corrective_action": "补做两单回访",
        "preventive_action": "回访列入交接班检查", "owner_id": "usr_dispatcher", "due_on": due.isoformat()})
    ctx, page = open_desk(browser, server, "manager")
    page.goto(server.url + "/#/review")
    row = page.get_by_test_id("weekly-quality").locator("tr", has_text=check["findings"])
    actions = row.get_by_test_id("capa-actions")
    expect(actions).to_have_text(f"措施待落实，完成期限 {due:%m/%d}" if due.year == date.today().year
                                 else f"措施待落实，完成期限 {due:%Y/%m/%d}", timeout=15000)
    row.get_by_test_id("capa-done").click()
    expect(row.locator(".desk-error")).to_have_text("请写明措施的落实情况")
    row.locator("textarea[name=capa_done_note]").fill("两单已回访，交接班检查表已加回访一栏")
    row.get_by_test_id("capa-done").click()
    expect(actions).to_have_attribute("data-state", "done", timeout=15000)
    expect(actions).to_contain_text("措施已落实：两单已回访，交接班检查表已加回访一栏（钱经理")
    expect(row.get_by_test_id("capa-done")).to_have_count(0)
    ctx.close()

    # The general manager signs the report off knowing its actions are done; the step is the manager's.
    ctx, page = open_desk(browser, server, "gm")
    page.goto(server.url + "/#/approvals")
    row = page.locator(f"tr[data-approval=capa-signoff][data-check={check['id']}]")
    expect(row.get_by_test_id("capa-actions")).to_contain_text("措施已落实", timeout=15000)
    expect(row.get_by_test_id("capa-done")).to_have_count(0)
    ctx.close()
