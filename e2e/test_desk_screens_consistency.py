"""The second pass over every screen (D76 was the first): one way to write a time, a floor that says
it is a floor, the case page's work orders and reports up under their own titles, the emergency
numbers beside the nav at 1280 px, English status words in sentence case, named inputs on the
emergency panel, an empty outbox that says everything was sent, the English case list at 1024 px."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import approved_item
from e2e.conftest import PHONE, RunningServer, serving
from e2e.test_shell import desk_in, login


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A server of this module's own: its tests leave open emergencies behind, which would fill the
    desk home's emergency banner for the tests that share the session's server."""
    with serving() as srv:
        yield srv


SMALL_DESK = {"width": 1024, "height": 768}
# A time this year, as every screen writes it (D81): month/day, 24-hour, no seconds, no comma.
TIME = r"\d\d/\d\d \d\d:\d\d"



def _emergency(server, content: str, *, opened: bool = True) -> dict:  # noqa: ANN001
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000019",
        "unit_id": "unit_3_104", "content": content, "help_kind": "disaster"})["case"]
    if opened:
        desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "D"})
    return case


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_services_page_writes_announcement_and_price_times_like_every_other_screen(  # R-SS-1
        browser: Browser, server, lang: str) -> None:  # noqa: ANN001
    # It showed "12/07/2026, 16:50:24" (year, seconds, a comma) beside "12/07, 16:50" elsewhere.
    tag = uuid.uuid4().hex[:6]
    code, fee = f"fmt_{tag}", 100000 + int(tag, 16) % 90000  # a fee no other row has
    approved_item(server.url, code, fee)
    Api(server.url, "manager").call("POST", f"/api/services/items/{code}/announce", {})
    page = desk_in(browser, server, lang, "manager", route="services")
    yuan = f"¥{fee // 100}.{fee % 100:02d}"
    row = page.locator("[data-view=services] tr", has_text=f"{yuan}/")
    expect(row.get_by_test_id("svc-announced")).to_have_text(
        re.compile(rf"^{'Announced' if lang == 'en' else '已公告'} {TIME}$"), timeout=15000)
    history = row.get_by_test_id("svc-price-history").locator("div")
    expect(history.first).to_have_text(re.compile(rf"^{re.escape(yuan)} · {TIME}$"))
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_case_page_and_its_history_write_times_without_seconds(browser: Browser, server, lang: str) -> None:  # noqa: ANN001
    case = _emergency(server, f"时间格式 {uuid.uuid4().hex[:6]}")
    page = desk_in(browser, server, lang, route=f"case/{case['id']}")
    times = page.locator(".desk-timeline time.desk-tl-time")
    expect(times.first).to_be_visible(timeout=15000)
    for t in times.all():
        assert re.fullmatch(TIME, t.inner_text()), t.inner_text()
        # The exact instant, to the second, is there for whoever examines the record.
        assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", t.get_attribute("title")), t.get_attribute("title")
    received = page.locator(".kv-row", has=page.locator(".kv-label", has_text=re.compile("^(受理时间|Received)$"))).first.locator(".kv-value")
    expect(received).to_have_text(re.compile(rf"^{TIME}$"))
    assert not re.search(r"\d\d:\d\d:\d\d|, \d\d:", received.inner_text()), received.inner_text()
    page.context.close()


@pytest.mark.parametrize(("lang", "sep"), [("en", " – "), ("zh", " 至 ")])
def test_the_hand_in_periods_are_written_as_days_like_the_rest(browser: Browser, server, lang: str, sep: str) -> None:  # noqa: ANN001  # R-RS-4
    # "2026-11-21 至 2026-11-30" beside times written "11/21 09:00".
    page = desk_in(browser, server, lang, route="slips")
    heads = page.get_by_test_id("slip-handins").locator(".rs-period-head .muted")
    expect(heads.first).to_be_visible(timeout=15000)
    for head in heads.all():
        assert re.fullmatch(rf"\d\d/\d\d{sep}\d\d/\d\d", head.inner_text()), head.inner_text()
    page.context.close()


@pytest.mark.parametrize(("lang", "floor"), [("en", "Floor B1"), ("zh", "B1层")])
def test_a_keys_page_names_its_floor(browser: Browser, server, lang: str, floor: str) -> None:  # noqa: ANN001  # R-KY-1
    # The subtitle read "1栋 · B1 · 设备房备用钥匙": a bare "B1" (or "1") is not read as a floor.
    key = next(r["key"] for r in Api(server.url, "dispatcher").call("GET", "/api/keys") if r["key"]["floor"] == "B1")
    page = desk_in(browser, server, lang, route=f"keys/{key['id']}")
    subtitle = page.locator(".rpt-key-figures .small")
    expect(subtitle).to_contain_text(f"{key['building']} · {floor} · ", timeout=15000)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_emergency_not_yet_dispatched_says_so_and_its_reports_up_have_their_own_card(  # R-DI-1 R-DI-2
        browser: Browser, server, lang: str) -> None:  # noqa: ANN001
    # The card was titled "Work orders" and held only "Reported up".
    case = _emergency(server, f"未派工 {uuid.uuid4().hex[:6]}")
    Api(server.url, "dispatcher").call("POST", f"/api/cases/{case['id']}/report-up", {"to_role": "manager", "to_id": "usr_manager"})
    page = desk_in(browser, server, lang, route=f"case/{case['id']}")
    wos = page.get_by_test_id("work-orders-card")
    expect(wos.get_by_test_id("work-orders-none")).to_have_text("Not dispatched yet" if lang == "en" else "尚未派工", timeout=15000)
    expect(wos.get_by_test_id("work-orders")).to_have_count(0)
    expect(wos).not_to_contain_text("Reported up" if lang == "en" else "上报")
    reports = page.get_by_test_id("reports-up")
    expect(reports.locator("h2")).to_have_text("Reported up" if lang == "en" else "上报记录")
    expect(reports.locator("li")).to_have_count(1)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("username", ["dispatcher", "manager"])
def test_the_emergency_numbers_stay_on_the_headers_first_line_at_1280(browser: Browser, server, lang: str, username: str) -> None:  # noqa: ANN001  # R-EM-5
    # In English the four buttons ("Ambulance 120") went onto a line of their own under the nav.
    page = desk_in(browser, server, lang, username)
    geo = page.evaluate("""() => {
        const top = (e) => Math.round(e.getBoundingClientRect().top);
        const header = document.querySelector('.desk-header').getBoundingClientRect();
        const links = [...document.querySelectorAll('.desk-nav-link')];
        const first = links[0].getBoundingClientRect();
        return {
            tels: [...document.querySelectorAll('.desk-header .desk-tel')].map(top),
            navRows: new Set(links.map(top)).size, firstBottom: first.bottom, header: header.height,
            telsRight: document.querySelector('.desk-header .desk-tels').getBoundingClientRect().right, headerRight: header.right,
        };
    }""")
    assert len(set(geo["tels"])) == 1, geo
    assert geo["tels"][0] < geo["firstBottom"], geo  # beside the nav, not under it
    assert geo["telsRight"] <= geo["headerRight"], geo
    # The whole header is one line, the manager's ten pages in English too (they took two rows).
    assert geo["navRows"] == 1, geo
    # Each button still says what it calls, to a screen reader as on the intake's prompt.
    name = "Fire 119" if lang == "en" else "火警 119"
    expect(page.locator(".desk-header").get_by_role("link", name=name, exact=True)).to_have_attribute("href", "tel:119")
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_1024_the_managers_nav_wraps_inside_itself_and_the_numbers_stay_top_right(browser: Browser, server, lang: str) -> None:  # noqa: ANN001  # R-EM-5
    # The tighter links that fit a manager's English nav on one row at 1280 px must not spill the nav
    # out of the header or under the numbers on a 1024 px desk; Chinese still fits one row there.
    page = desk_in(browser, server, lang, "manager", viewport=SMALL_DESK)
    geo = page.evaluate("""() => {
        const box = (e) => e.getBoundingClientRect();
        const links = [...document.querySelectorAll('.desk-nav-link')].map(box);
        const tels = box(document.querySelector('.desk-header .desk-tels'));
        const header = box(document.querySelector('.desk-header'));
        return {
            rows: new Set(links.map((b) => Math.round(b.top))).size, linksRight: Math.max(...links.map((b) => b.right)),
            firstBottom: links[0].bottom, telsLeft: tels.left, telsRight: tels.right, telsTop: tels.top,
            headerRight: header.right, scroll: document.documentElement.scrollWidth,
        };
    }""")
    assert geo["linksRight"] <= geo["telsLeft"], geo  # no link under or beside-over the numbers
    assert geo["telsTop"] < geo["firstBottom"], geo  # the numbers on the first line
    assert geo["telsRight"] <= geo["headerRight"], geo
    assert geo["scroll"] <= 1024, geo
    # Twelve pages since the survey page (D139): Chinese wraps inside the nav at 1024 px too, as English did.
    assert geo["rows"] == 2, geo
    page.context.close()


def test_the_emergency_panel_names_its_inputs_and_says_its_states_in_sentence_case(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2 R-EM-4
    # "Result", "Instruction", "Given by" and "Report" were placeholders only; "not tried" stood next
    # to "Not reached".
    case = _emergency(server, f"输入名称 {uuid.uuid4().hex[:6]}")
    desk = Api(server.url, "dispatcher")
    desk.call("POST", f"/api/cases/{case['id']}/emergency/summon", {"role": "security_manager"})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/instructions", {"text": "封锁楼道", "given_by": "钱经理"})
    desk.call("POST", f"/api/cases/{case['id']}/emergency/attempt", {"target_role": "manager", "reached": False})
    page = desk_in(browser, server, "en", route=f"case/{case['id']}")
    panel = page.get_by_test_id("emergency-panel")
    expect(panel).to_be_visible(timeout=15000)
    for name in ["Instruction", "Given by"]:
        expect(panel.get_by_role("textbox", name=name, exact=True)).to_be_visible()
    expect(panel.get_by_role("textbox", name="Result: 封锁楼道", exact=True)).to_be_visible()
    role = panel.locator(".desk-summon.is-summoned .desk-summon-role").inner_text()
    expect(panel.get_by_role("textbox", name=f"Report: {role}", exact=True)).to_be_visible()
    chain = panel.get_by_test_id("em-chain")
    expect(chain.locator(".desk-chain-step[data-role=manager]")).to_contain_text("Not reached")
    expect(chain.locator(".desk-chain-step[data-role=general_manager]")).to_contain_text("Not tried")
    summons = panel.get_by_test_id("em-summons")
    expect(summons).to_contain_text(re.compile(rf"Summoned {TIME}"))
    page.context.close()


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "All your records have been sent; nothing is waiting."),
    ("zh", "你的记录都已发送，没有待发送的。"),
])
def test_an_empty_outbox_says_everything_was_sent(browser: Browser, server, lang: str, text: str) -> None:  # noqa: ANN001
    # It said only "Nothing here." / "没有记录。", which a technician may read as "nothing was recorded".
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.add_init_script(f"localStorage.setItem('estatedesk.lang', '{lang}')")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "cleaner")
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    page.goto(server.url + "/#/outbox")
    expect(page.locator("p.empty")).to_have_text(text, timeout=15000)
    ctx.close()


_FIT = """() => {
    const table = document.querySelector('[data-testid=case-list]');
    const wrap = table.parentElement;
    const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el); return new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size; };
    const rows = [...table.querySelectorAll('tbody tr')];
    return {
        scroll: wrap.scrollWidth, client: wrap.clientWidth,
        brokenNos: rows.map((tr) => tr.querySelector('.desk-case-no')).filter((el) => lines(el) > 1).map((el) => el.textContent),
        receivedLines: rows.map((tr) => lines(tr.children[1])),
    };
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_case_list_fits_its_card_at_1024(browser: Browser, server, lang: str) -> None:  # noqa: ANN001
    # In English the table was 779 px wide in a 693 px card: "Flood/fire/disaster" was one word, and
    # "Dispatched" and "Emergency" are wider than 已派工 and 紧急.
    _emergency(server, f"窄屏宽度 {uuid.uuid4().hex[:6]}")
    page = desk_in(browser, server, lang, viewport=SMALL_DESK)
    table = page.get_by_test_id("case-list")
    expect(table.locator("tbody tr").first).to_be_visible(timeout=15000)
    expect(table).to_contain_text("Flood/fire/disaster" if lang == "en" else "水浸/火灾/灾害")
    fit = page.evaluate(_FIT)
    assert fit["scroll"] <= fit["client"], fit
    assert not fit["brokenNos"], fit
    # Chinese keeps its layout (the receipt time on one line); English puts the time under the date.
    assert set(fit["receivedLines"]) == ({2} if lang == "en" else {1}), fit
    last = table.locator("thead th").last.bounding_box()
    card = page.locator(".desk-cases").bounding_box()
    assert last["x"] + last["width"] <= card["x"] + card["width"], (last, card)
    page.context.close()
