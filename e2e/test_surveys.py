"""The manager's satisfaction survey on the desk (R-RV-1..3, D139): opened on the page, three
ballots entered one by one, the running tally, closed; the month's report then shows the rates, an
area nobody graded as 未评. Printed: a blank A4 ballot on one page. On a phone nothing runs sideways."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.conftest import serving
from e2e.test_desk_manager_phone import _manager_phone, _no_sideways_scroll, _thumb_sized
from e2e.test_shell import open_desk


def _ballot(page: Page, grades: dict[str, str], unit: str = "", comment: str = "") -> None:
    form = page.get_by_test_id("ballot-form")
    for area, grade in grades.items():
        form.get_by_test_id(f"grade-{area}-{grade}").check()
    form.locator("input[name=unit]").fill(unit)
    form.locator("textarea[name=comment]").fill(comment)
    form.get_by_test_id("ballot-save").click()


def _rate(view, area: str):  # noqa: ANN001, ANN202
    return view.locator(f"[data-testid=survey-rate][data-area={area}], [data-testid=sat-rate][data-area={area}]")


def test_the_manager_enters_three_ballots_and_the_monthly_report_shows_the_rates(browser: Browser) -> None:  # R-RV-1 R-RV-2 R-RV-3
    # A month's report reads the whole compound's month: a server of its own, with no other survey in it.
    with serving("estatedesk-e2e-survey-") as srv:
        ctx, page = open_desk(browser, srv, "manager", "surveys")
        view = page.locator("[data-view=surveys]")
        form = view.get_by_test_id("survey-open-form")
        expect(form).to_be_visible(timeout=15000)
        expect(page.locator(".desk-nav-link.active")).to_have_text("满意度")
        form.locator("input[name=title]").fill("本月综合回访")
        form.locator("input[name=issued]").fill("5")
        form.get_by_role("button", name="发起调查").click()  # the month: this one, as the box starts

        survey = page.locator("[data-view=survey]")
        expect(survey.get_by_test_id("survey-title")).to_have_text("本月综合回访", timeout=15000)
        expect(survey.get_by_test_id("survey-summary")).to_have_text("发出票数 5，回收票数 0")
        _ballot(page, {"overall": "A", "cleaning": "C"}, unit="1栋-101", comment="楼道清洁不及时")
        expect(survey.get_by_test_id("survey-entered")).to_have_text("第 1 张选票已录入")
        # Ready for the next ballot: every area back to 未评.
        expect(survey.get_by_test_id("grade-overall-blank")).to_be_checked()
        _ballot(page, {"overall": "B", "cleaning": "C"})
        expect(survey.get_by_test_id("survey-entered")).to_have_text("第 2 张选票已录入")
        _ballot(page, {"overall": "C"})
        expect(survey.get_by_test_id("survey-entered")).to_have_text("第 3 张选票已录入")

        # The running tally: R-RV-3 over the 3 returned — overall (A + B) 2 / 3; cleaning graded C twice is
        # a real 0 %; parking, on no ballot, is not graded.
        expect(survey.get_by_test_id("survey-summary")).to_have_text("发出票数 5，回收票数 3")
        expect(survey.get_by_test_id("survey-overall-rate")).to_have_text("66.67%")
        expect(_rate(survey, "overall")).to_have_text("66.67%")
        expect(_rate(survey, "cleaning")).to_have_text("0.00%")
        expect(_rate(survey, "parking")).to_have_text("未评")
        expect(survey.get_by_test_id("survey-ballots")).to_contain_text("1栋-101")

        survey.get_by_test_id("survey-close").click()
        dialog = page.locator("dialog")
        expect(dialog).to_contain_text("发出 5 张，回收 3 张")
        dialog.get_by_role("button", name="结束调查").click()
        expect(survey.get_by_test_id("survey-state")).to_have_text("已结束")
        expect(survey.get_by_test_id("survey-closed-note")).to_be_visible()
        expect(survey.get_by_test_id("ballot-withdraw")).to_have_count(0)

        # The month's report now has its satisfaction half.
        page.goto(f"{srv.url}/#/reports")
        report = page.locator("[data-view=reports]")
        expect(report.locator("canvas[data-testid=chart-satisfaction]")).to_be_visible(timeout=15000)
        expect(report.get_by_test_id("no-survey")).to_have_count(0)
        expect(report).to_contain_text("发出票数 5，回收票数 3")
        expect(_rate(report, "overall")).to_have_text("66.67%")
        expect(_rate(report, "cleaning")).to_have_text("0.00%")
        expect(_rate(report, "parking")).to_have_text("未评")
        expect(report.get_by_test_id("rate-definition").last).to_contain_text("显示“未评”")
        # In English too.
        page.locator(".btn-lang").click()
        expect(_rate(report, "parking")).to_have_text("not graded")
        expect(_rate(report, "overall")).to_have_text("66.67%")
        ctx.close()


def test_a_ballot_typed_by_mistake_is_withdrawn_and_the_desk_enters_but_does_not_open(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-1 R-RV-3
    sid = Api(server.url, "manager").call("POST", "/api/surveys", {"title": "撤回测试", "issued": 3})["id"]
    ctx, page = open_desk(browser, server, "dispatcher", "surveys")
    # The dispatcher is told who opens a survey, and can still reach this one to enter its ballots.
    expect(page.get_by_test_id("survey-open-manager-only")).to_be_visible(timeout=15000)
    expect(page.get_by_test_id("survey-open-form")).to_have_count(0)
    page.goto(f"{server.url}/#/surveys/{sid}")
    survey = page.locator("[data-view=survey]")
    expect(survey.get_by_test_id("ballot-form")).to_be_visible(timeout=15000)
    expect(survey.get_by_test_id("survey-close")).to_have_count(0)  # the manager closes it
    _ballot(page, {"overall": "C"})
    expect(survey.get_by_test_id("survey-overall-rate")).to_have_text("0.00%")
    survey.get_by_test_id("ballot-withdraw").click()
    page.locator("dialog").get_by_role("button", name="撤回").click()
    expect(survey.get_by_test_id("survey-summary")).to_have_text("发出票数 3，回收票数 0")
    expect(survey.get_by_test_id("survey-overall-rate")).to_have_text("—")
    ctx.close()


def test_the_blank_ballot_prints_on_one_a4_page_with_every_area(browser: Browser, server, tmp_path) -> None:  # noqa: ANN001  # R-RV-2
    sid = Api(server.url, "manager").call("POST", "/api/surveys", {"title": "纸质调查", "issued": 50})["id"]
    ctx, page = open_desk(browser, server, "manager", f"surveys/{sid}/ballot")
    sheet = page.get_by_test_id("blank-ballot")
    expect(sheet.locator("tbody tr")).to_have_count(14, timeout=15000)
    page.emulate_media(media="print")
    path = tmp_path / "ballot.pdf"
    path.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", info), info
    assert re.search(r"Page size:.*\(A4\)", info), info
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    for words in ("住户满意度调查表", "纸质调查", "服务与投诉处理", "管理人员文明程度与应变能力", "综合评议", "A满意",
                  "B一般满意", "C不满意", "意见和建议", "房号"):
        assert words in text, (words, text)
    assert "打印" not in text and "返回调查" not in text  # the page's buttons stay off the paper
    ctx.close()


def test_the_survey_pages_fit_a_phone_and_take_a_thumb(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-3
    mgr = Api(server.url, "manager")
    sid = mgr.call("POST", "/api/surveys", {"title": "手机查看", "issued": 4})["id"]
    Api(server.url, "dispatcher").call("POST", f"/api/surveys/{sid}/ballots", {"grades": {"overall": "A"}})
    for route, ready in ((f"surveys/{sid}", "ballot-form"), ("surveys", "survey-list"), (f"surveys/{sid}/ballot", "blank-ballot")):
        # The manager's phone as D131 walks it: 360 px, a touch screen, every control 40 px or more.
        page = _manager_phone(browser, server)
        page.goto(f"{server.url}/#/{route}")
        expect(page.get_by_test_id(ready)).to_be_visible(timeout=15000)
        if route == f"surveys/{sid}":
            # The tally stays a table of six short columns, each area's figure on its row.
            expect(page.locator("[data-testid=survey-rate][data-area=overall]")).to_have_text("100.00%")
            expect(page.locator("[data-testid=survey-rate][data-area=parking]")).to_have_text("未评")
        _no_sideways_scroll(page, route)
        _thumb_sized(page, route)  # closes the page's context


def test_a_signed_month_offers_no_survey_and_its_survey_no_ballot_form(browser: Browser) -> None:  # R-RV-3 R-RV-4
    # D140: a ballot entered for a signed month showed on the survey page and never in the report.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from e2e.test_reports import _store_as_signed_after_the_month

    with serving("estatedesk-e2e-survey-signed-") as srv:
        mgr = Api(srv.url, "manager")
        sid = mgr.call("POST", "/api/surveys", {"title": "本月综合回访", "issued": 5})["id"]
        Api(srv.url, "dispatcher").call("POST", f"/api/surveys/{sid}/ballots", {"id": "b-1", "grades": {"overall": "A"}})
        month = datetime.now(ZoneInfo("Asia/Shanghai"))
        _store_as_signed_after_the_month(srv, mgr, month.year, month.month, "本月及时")
        ctx, page = open_desk(browser, srv, "manager", "surveys")
        form = page.get_by_test_id("survey-open-form")
        expect(form).to_be_visible(timeout=15000)
        # The box starts on this month, which is signed: the form says why and offers no button.
        note = form.get_by_test_id("survey-period-closed")
        expect(note).to_be_visible()
        expect(note).to_contain_text(f"{month.year}年{month.month}月的月报已签批")
        expect(note).to_contain_text("总经理撤回签批")
        expect(form.get_by_role("button", name="发起调查")).to_be_disabled()
        expect(page.get_by_test_id("survey-month-closed-aside")).to_have_text("该月月报已签批，不再录入")
        # Another month is offered again.
        nxt = f"{month.year + (month.month == 12)}-{month.month % 12 + 1:02d}"
        form.locator("input[name=period]").fill(nxt)
        expect(note).to_be_hidden()
        expect(form.get_by_role("button", name="发起调查")).to_be_enabled()

        # The survey itself: no ballot form and no withdrawal, the reason in their place.
        page.goto(f"{srv.url}/#/surveys/{sid}")
        survey = page.locator("[data-view=survey]")
        expect(survey.get_by_test_id("survey-month-closed")).to_contain_text("月报已签批", timeout=15000)
        expect(survey.get_by_test_id("ballot-form")).to_have_count(0)
        expect(survey.get_by_test_id("ballot-withdraw")).to_have_count(0)
        expect(survey.get_by_test_id("survey-summary")).to_have_text("发出票数 5，回收票数 1")
        page.locator(".btn-lang").click()
        expect(survey.get_by_test_id("survey-month-closed")).to_contain_text("general manager can reopen")
        ctx.close()
