"""The service slip's rating rows (D145): a resident who wrote words but gave no grade.

The phone's slip showed the words alone under 住户评价 / "Resident's rating", as if they were the grade. The
grade row says 未评价 / Not rated and the words have their own row, on the phone's slip (screen and print) and on
the desk's slip card and printed slip.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK, PHONE
from e2e.repairs import completed_repair
from e2e.test_print_paper import _signed_in

WORDS = "师傅很耐心，讲解清楚"


def _cell(table, label: str):  # noqa: ANN001, ANN202
    return table.locator("tr", has=table.page.locator("th", has_text=label)).locator("td")


def test_words_without_a_grade_read_not_rated_with_the_words_on_their_own_row(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-3
    case_id = completed_repair(server.url, f"楼梯扶手松动 {uuid.uuid4().hex[:6]}",
                               rating={"resident_grade": None, "resident_opinion": WORDS})
    job_id = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]

    for lang, rating, not_rated, comments in (("zh", "住户评价", "未评价", "住户意见"),
                                              ("en", "Resident's rating", "Not rated", "Resident's comments")):
        ctx, page = _signed_in(browser, server, "tech", lang, PHONE)
        expect(page.locator(".job-card").first).to_be_visible(timeout=20000)
        page.goto(f"{server.url}/#/job/{job_id}/slip")
        table = page.locator("article.slip .slip-table")
        expect(_cell(table, rating)).to_have_text(not_rated, timeout=15000)
        expect(_cell(table, comments)).to_have_text(WORDS)
        page.emulate_media(media="print")
        expect(_cell(table, rating)).to_be_visible()
        expect(_cell(table, comments)).to_be_visible()
        ctx.close()

        ctx, desk = _signed_in(browser, server, "dispatcher", lang, DESK)
        expect(desk.locator("[data-view=desk]")).to_be_visible(timeout=15000)
        desk.goto(f"{server.url}/#/case/{case_id}")
        card = desk.locator("[data-testid=slip]")
        expect(card.locator(".kv-row", has=desk.locator(".kv-label", has_text=rating)).locator(".kv-value")).to_have_text(
            not_rated, timeout=15000)
        expect(card.locator(".kv-row", has=desk.locator(".kv-label", has_text=comments)).locator(".kv-value")).to_have_text(WORDS)
        desk.goto(f"{server.url}/#/case/{case_id}/slip")
        sheet = desk.locator("[data-testid=slip-print] .slip-table")
        expect(_cell(sheet, rating)).to_have_text(not_rated, timeout=15000)
        expect(_cell(sheet, comments)).to_have_text(WORDS)
        ctx.close()
