"""Defects a newcomer's pass over the desk screens found: text cut off or broken at 1280 px, a phone
card whose second lines fell under the label, an English screen that showed Chinese, unnamed inputs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_shell import desk_in

# A common office screen, narrower than conftest's DESK (1366 px).
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")

_LINES = """(el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size;
}"""




def test_a_unit_label_stays_on_one_line_in_the_chinese_case_list_at_1280(browser: Browser, server) -> None:  # noqa: ANN001  # D76
    # "3栋-104" broke after the 3 (4.5em was narrower than the label) on the desk's main list.
    page = desk_in(browser, server, "zh")
    cells = page.locator("[data-testid=case-list] td.desk-cell-address")
    expect(cells.first).to_be_visible(timeout=15000)
    units = [c for c in cells.all() if re.fullmatch(r"\d+栋-\d+", c.inner_text().strip())]
    assert units, "the demo cases have unit addresses"
    broken = [c.inner_text() for c in units if c.evaluate(_LINES) > 1]
    assert not broken, broken
    wrap = page.get_by_test_id("case-list").evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert wrap[0] <= wrap[1], wrap
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_slip_list_fits_its_card_at_1280_and_a_slip_is_titled_in_the_singular(browser: Browser, server, lang: str) -> None:  # noqa: ANN001  # R-RS-1
    # In English the validity range ("12/07, 16:50 – 12/10, 16:50") did not wrap and pushed the
    # Issued column past the card: "12/07, 16:5".
    page = desk_in(browser, server, lang)
    page.goto(f"{server.url}/#/slips")
    table = page.get_by_test_id("slip-list")
    expect(table.locator("tbody tr").first).to_be_visible(timeout=15000)
    scroll, client = table.evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert scroll <= client, (scroll, client)
    last = table.locator("thead th").last.bounding_box()
    wrap = table.locator("xpath=..").bounding_box()
    assert last["x"] + last["width"] <= wrap["x"] + wrap["width"] + 0.5, (last, wrap)
    # Each end of the validity keeps its own line.
    for end in table.locator("tbody tr").first.locator("td").nth(4).locator(".nowrap").all():
        assert end.evaluate(_LINES) == 1, end.inner_text()
    table.locator("tbody tr a.rs-code").first.click()
    heading = page.locator(".desk-body h1").first
    expect(heading).to_contain_text("Release slip " if lang == "en" else "放行通知单", timeout=10000)
    if lang == "en":
        assert "Release slips" not in heading.inner_text()
    page.context.close()


def test_a_stacked_desk_card_puts_a_second_line_under_the_value_not_under_the_label(browser: Browser, server) -> None:  # noqa: ANN001  # D76
    # A manager on a phone: the case list stacks into cards. "Repair" and its category "Small"
    # under it were split: the category sat at the card's left edge, under the label "Kind".
    page = desk_in(browser, server, "en", "manager", PHONE)
    # A row with a category: the newest case need not have one (a contact slip's repair has no class yet).
    cell = page.locator("[data-testid=case-list] td.desk-cell-kind").filter(has=page.locator("div")).first
    expect(cell).to_be_visible(timeout=15000)
    category = cell.locator("div").first
    first_line = cell.evaluate("""td => {
        const r = document.createRange();
        r.setStart(td.firstChild, 0); r.setEnd(td.firstChild, td.firstChild.length);
        return r.getClientRects()[0].left;
    }""")
    assert abs(category.bounding_box()["x"] - first_line) <= 1, (category.bounding_box(), first_line)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_a_desk_page_that_cannot_load_says_why_in_english(browser: Browser, server) -> None:  # noqa: ANN001  # D76
    # The page-level error and the case page's toasts read the Chinese message first, whatever the
    # language: "出错：未找到该案件" on an English screen.
    page = desk_in(browser, server, "en")
    page.goto(f"{server.url}/#/case/case_does_not_exist")
    error = page.locator(".desk-body .notice-error")
    expect(error).to_be_visible(timeout=15000)
    assert not CJK.search(error.inner_text()), error.inner_text()
    page.context.close()


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", ["上班时间", "下班时间", "午休开始", "午休结束"]),
    ("en", ["Work starts", "Work ends", "Lunch starts", "Lunch ends"]),
])
def test_each_time_on_the_calendar_is_named(browser: Browser, server, lang: str, names: list[str]) -> None:  # noqa: ANN001  # R-FU-2
    # Two times share one field label ("Working hours 08:30 – 17:30"): neither input had a name of its own.
    page = desk_in(browser, server, lang, "manager")
    page.goto(f"{server.url}/#/calendar")
    expect(page.get_by_test_id("calendar-form")).to_be_visible(timeout=15000)
    for name in names:
        expect(page.get_by_label(name, exact=True)).to_have_attribute("type", "time")
    page.context.close()
