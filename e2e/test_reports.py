"""The manager's monthly report page: charts, the rate definitions on screen, the XLSX download."""

from __future__ import annotations

import io
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import approved_item
from e2e.conftest import DESK, PHONE, RunningServer, serving
from e2e.repairs import completed_repair
from e2e.test_cashier import _inside_viewport, _no_sideways_scroll
from e2e.test_desk_slips import sign_open_dialog
from e2e.test_shell import login, open_desk


def test_manager_sees_charts_and_definitions_and_downloads_the_xlsx(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4 R-RV-5
    ctx = browser.new_context(viewport=DESK, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "manager")
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(server.url + "/#/reports")
    view = page.locator("[data-view=reports]")
    expect(view).to_be_visible(timeout=15000)
    expect(view.locator("canvas[data-testid=chart-kind]")).to_be_visible()
    # The satisfaction chart, or, in a month with no ballot returned, the sentence saying why there is none.
    expect(view.locator("canvas[data-testid=chart-satisfaction], [data-testid=no-survey]").first).to_be_visible()
    # Each rate shows its definition text beside the figure.
    expect(view.locator("[data-rate=timely_repair] [data-testid=rate-definition]")).to_contain_text("维修及时率 =")
    expect(view.locator("[data-rate=rework] [data-testid=rate-definition]")).to_contain_text("目标 ≤ 1%")
    expect(view.get_by_text("单项满意率 =")).to_be_visible()
    # A percentage, or "—" when nothing was measured (never a made-up 0 % or 100 %).
    expect(view.locator("[data-rate=timely_repair] [data-testid=rate-value]")).to_have_text(re.compile(r"^(—|\d+\.\d\d%)$"))
    # Parts that do not apply leave nothing behind (the DOM's own replaceChildren once printed them as "null").
    assert "null" not in view.inner_text()
    with page.expect_download() as info:
        view.locator("[data-testid=download-xlsx]").click()
    download = info.value
    assert download.suggested_filename.startswith("monthly-report-") and download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert book.sheetnames[0] == "概要"
    # The overdue list says what it is read against, on the page and in the workbook: the written
    # reply to a written inquiry (R-IN-5) besides the repair and complaint limits.
    expect(view.get_by_role("heading", name="超时清单（维修、投诉时限及书面咨询两日内书面答复）")).to_be_visible()
    assert book["超时清单"]["A1"].value == "超时清单（维修、投诉时限及书面咨询两日内书面答复）"
    # Switched to English, the report's own labels follow (rate names, definitions, categories).
    page.locator(".btn-lang").click()
    expect(view.locator("[data-rate=timely_repair] [data-testid=rate-definition]")).to_contain_text("Timely-repair rate =")
    expect(view.get_by_role("cell", name="Decoration management").first).to_be_visible()
    expect(view.get_by_role("heading", name="Late against the repair and complaint limits and the 2-day written reply to a written inquiry")).to_be_visible()
    # …and so does the workbook the page downloads (D71): it follows the desk's language.
    with page.expect_download() as info:
        view.locator("[data-testid=download-xlsx]").click()
    book = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))  # noqa: SIM115
    assert book.sheetnames == ["Summary", "Counts", "Late cases", "Help replies", "Satisfaction", "Complaints",
                               "Quality checks"]
    assert book["Late cases"]["A1"].value == "Late against the repair and complaint limits and the 2-day written reply to a written inquiry"
    assert book["Summary"]["A1"].value.startswith("Monthly complaint and dispatch summary, ")
    ctx.close()


def test_the_report_page_shows_help_requests_replied_to_within_five_minutes(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "求助业主", "phone": "13800000041",
        "unit_id": "unit_1_101", "content": f"求助 {uuid.uuid4().hex[:4]}", "help_kind": "inquiry"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/follow-up", {"kind": "reply", "note": "已答复", "medium": "phone"})
    month = datetime.now(ZoneInfo("Asia/Shanghai"))
    fig = Api(server.url, "manager").call("GET", f"/api/reports/monthly/{month.year}/{month.month}")["help_replies"]
    assert fig["in_time"] >= 1
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.get_by_role("heading", name="求助 5 分钟内答复")).to_be_visible(timeout=15000)
    card = view.locator("[data-rate=help_reply_5m]")
    expect(card.get_by_test_id("rate-value")).to_have_text(f"{fig['rate']['value']:.2f}%")
    expect(card).to_contain_text(f"{fig['in_time']} / {fig['in_time'] + fig['late']}")
    expect(card.get_by_test_id("rate-definition")).to_contain_text("求助 5 分钟内答复率 =")
    expect(view.get_by_test_id("help-counts")).to_contain_text(f"本月受理求助 {fig['received']} 件")
    expect(view.get_by_role("heading", name="求助超时答复清单")).to_be_visible()
    page.locator(".btn-lang").click()
    expect(view.get_by_role("heading", name="Help requests: reply within 5 minutes")).to_be_visible()
    expect(card.get_by_test_id("rate-definition")).to_contain_text("Help-reply rate =")
    expect(view.get_by_test_id("help-counts")).to_contain_text(f"Help requests received this month: {fig['received']}")
    page.emulate_media(media="print")
    expect(view.get_by_role("heading", name="Help requests replied to late")).to_be_visible()
    ctx.close()


def test_front_desk_opens_the_services_and_keys_pages(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1 R-KY-1
    ctx, page = open_desk(browser, server, "frontdesk", "services")
    view = page.locator("[data-view=services]")
    expect(view).to_be_visible(timeout=15000)
    # The price list is the page's first table; bookings made by other tests on the shared server
    # name the same service in rows further down.
    laundry = view.get_by_role("row", name=re.compile("洗衣取送")).first  # the approved demo price list
    expect(laundry).to_contain_text("¥15.00/件")
    page.locator(".btn-lang").click()
    expect(view.get_by_role("row", name=re.compile("Laundry pick-up and delivery")).first).to_contain_text("¥15.00/piece")
    page.locator(".btn-lang").click()
    page.goto(server.url + "/#/keys")
    view = page.locator("[data-view=keys]")
    expect(view).to_be_visible(timeout=15000)
    expect(view.locator("[data-testid=key-count]")).to_contain_text("本月盘点")
    ctx.close()


def test_front_desk_lends_a_key_to_a_staff_member_picked_from_the_list(browser: Browser, server) -> None:  # noqa: ANN001  # R-KY-1
    ctx, page = open_desk(browser, server, "frontdesk", "keys")
    view = page.locator("[data-view=keys]")
    row = view.locator("tr", has_text="设备用房备用钥匙").first
    expect(row).to_be_visible(timeout=15000)
    # Staff borrow as their account: no name box, no ID or deposit until "outsider" is ticked.
    expect(row.locator("input[name=last4]")).to_be_hidden()
    row.locator("input[data-outsider]").check()
    expect(row.locator("input[name=last4]")).to_be_visible()
    expect(row.locator("select[name=borrower_user]")).to_be_hidden()
    row.locator("input[data-outsider]").uncheck()
    row.locator("select[name=borrower_user]").select_option("usr_tech2")
    row.get_by_role("button", name="签名借出").click()
    sign_open_dialog(page)
    staff = {u["id"]: u["display_name"] for u in Api(server.url, "frontdesk").call("GET", "/api/staff")}
    expect(view.locator("tr", has_text="设备用房备用钥匙").first).to_contain_text(staff["usr_tech2"], timeout=10000)
    loan = next(k["loan"] for k in Api(server.url, "frontdesk").call("GET", "/api/keys")
                if k["key"]["key_type"] == "plant_room_spare")
    assert (loan["borrower_user_id"], loan["borrower_kind"]) == ("usr_tech2", "staff")
    ctx.close()



def test_a_cashier_lands_on_the_services_page_and_is_offered_only_pages_they_may_open(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-3
    ctx, page = open_desk(browser, server, "cashier")
    # The desk home lists cases, which a cashier may not read: they start where they settle bookings.
    expect(page.locator("[data-view=services]")).to_be_visible(timeout=15000)
    assert page.url.endswith("#/services")
    nav = [a.get_attribute("href") for a in page.locator(".desk-nav a").all()]
    assert nav == ["#/services"]
    ctx.close()


def test_call_back_row_names_resident_and_content(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-6 R-RV-3
    tag = uuid.uuid4().hex[:4]
    resident, phone, content = f"回访业主{tag}", f"1390000{int(tag, 16) % 10000:04d}", f"阳台地漏反水 {tag}"
    case_id = completed_repair(server.url, content, resident=resident, phone=phone, work_done="更换止水阀",
                               rating={"resident_grade": "C", "resident_opinion": "师傅来晚了"})
    ctx, page = open_desk(browser, server, "dispatcher", "services")
    row = page.get_by_test_id("callbacks").locator("tr", has_text=content)
    # Whom to call, where, about what, who did the work, and what the resident said on the slip.
    expect(row.get_by_test_id("cb-resident")).to_have_text(f"{resident}1栋-101{phone}", timeout=15000)
    expect(row.locator(f"a[href='tel:{phone}']")).to_have_text(phone)
    expect(row.get_by_test_id("cb-content")).to_have_text(content)
    expect(row).to_contain_text("处理情况：更换止水阀")
    expect(row.get_by_test_id("cb-done-by")).to_contain_text("张师傅")
    expect(row.get_by_test_id("cb-slip-grade")).to_have_text("住户签单评价：C 不满意 — 师傅来晚了")
    # No grade is chosen for the caller: a careless click records nothing and says why, beside the row.
    grade = row.locator("select[name=grade]")
    expect(grade).to_have_value("")
    expect(row.locator("select[name=area]")).to_have_value("building_repair")  # the repair's area (D100)
    expect(grade.locator("option").first).to_have_text("请选择评价")
    row.get_by_test_id("cb-record").click()
    expect(row.locator(".desk-error")).to_have_text("请先选择评价（A/B/C）再记录回访")
    expect(row.locator(".desk-error")).to_be_in_viewport()
    task = next(c for c in Api(server.url, "dispatcher").call("GET", "/api/callbacks") if c["case_id"] == case_id)
    assert task["called_back_at"] is None

    # On a 360 px phone the row is a card: nothing past the right edge, the phone and the button in reach.
    page.set_viewport_size(PHONE)
    expect(row.locator("td[data-label=住户]")).to_be_visible()
    _no_sideways_scroll(page)
    _inside_viewport(page, row.locator(f"a[href='tel:{phone}']"))
    _inside_viewport(page, row.get_by_test_id("cb-record"))
    grade.select_option("B")
    expect(row.locator(".desk-error")).to_be_hidden()
    row.get_by_test_id("cb-record").click()
    expect(page.get_by_test_id("callbacks").locator("tr", has_text=content)).to_have_count(0, timeout=10000)
    task = next(c for c in Api(server.url, "dispatcher").call("GET", "/api/callbacks") if c["case_id"] == case_id)
    assert task["grades"] == {"building_repair": "B"} and task["called_back_at"]
    ctx.close()


def test_the_manager_proposes_a_new_fee_and_it_applies_once_the_gm_approves(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    code = f"move_{uuid.uuid4().hex[:6]}"
    approved_item(server.url, code, 6123)
    ctx, page = open_desk(browser, server, "manager", "services")
    row = page.locator("[data-view=services] tr", has_text="¥61.23/小时")
    expect(row).to_be_visible(timeout=15000)
    # No fee typed: told beside the button, nothing proposed.
    row.get_by_test_id("svc-propose-price").click()
    expect(row.locator(".rpt-row-error")).to_contain_text("请填写新收费")
    row.get_by_role("spinbutton", name="新收费（元）").fill("74.56")
    row.get_by_test_id("svc-propose-price").click()
    expect(page.get_by_test_id("svc-pending-fee").filter(has_text="¥74.56")).to_be_visible(timeout=10000)
    # Until the GM approves, the fee quoted is still the approved one.
    assert next(i for i in Api(server.url, "frontdesk").call("GET", "/api/services/items") if i["code"] == code)["fee_cents"] == 6123
    ctx.close()
    ctx, page = open_desk(browser, server, "gm", "services")
    row = page.locator("[data-view=services] tr", has_text="¥61.23/小时 → ¥74.56?").last
    row.get_by_test_id("svc-approve").click()
    page.locator("dialog[open]").get_by_role("button", name="批准").click()
    # Approved, not yet announced: bookings quote the announced ¥61.23 until then (D112).
    expect(page.locator("[data-view=services] tr", has_text="¥74.56/小时（现按 ¥61.23 预约）").last).to_be_visible(timeout=10000)
    assert next(i for i in Api(server.url, "frontdesk").call("GET", "/api/services/items") if i["code"] == code)["fee_cents"] == 7456
    ctx.close()


def test_the_manager_announces_an_approved_item_and_the_catalogue_says_it_was(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-1
    code = f"ann_{uuid.uuid4().hex[:6]}"
    approved_item(server.url, code, 4321, announced=False)
    ctx, page = open_desk(browser, server, "manager", "services")
    row = page.locator("[data-view=services] tr", has_text="¥43.21/小时")
    expect(row.get_by_test_id("svc-announced")).to_have_text("未向住户公告", timeout=15000)
    # Announcing changes what the desk books at once (D112): it asks first, naming the item and the fee (D123).
    row.get_by_test_id("svc-announce").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("搬家协助")
    expect(dialog).to_contain_text("¥43.21/小时")
    dialog.get_by_role("button", name="取消").click()
    expect(row.get_by_test_id("svc-announced")).to_have_text("未向住户公告")
    assert not next(i for i in Api(server.url, "manager").call("GET", "/api/services/items") if i["code"] == code)["announced_at"]
    row.get_by_test_id("svc-announce").click()
    page.locator("dialog[open]").get_by_role("button", name="向住户公告").click()
    expect(row.get_by_test_id("svc-announced")).to_contain_text("已公告", timeout=10000)
    expect(row.get_by_test_id("svc-announce")).to_have_count(0)
    assert next(i for i in Api(server.url, "manager").call("GET", "/api/services/items") if i["code"] == code)["announced_at"]
    ctx.close()


def test_the_monthly_report_prints_on_a4_with_lines_for_the_managers_comment_and_signature(browser: Browser, server) -> None:  # noqa: ANN001  # R-RV-4
    # The shell's @page is A5 (the service slip): the monthly summary printed as a scaled-down A5
    # booklet, its channel chart cut off, and ended with no place for the manager to comment and sign.
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-channel]")).to_be_visible(timeout=15000)
    page.emulate_media(media="print")
    signs = view.get_by_test_id("report-print-signs")
    expect(signs).to_be_visible()
    expect(signs).to_contain_text("管理处负责人签名")
    # Every chart fits its card on paper (what prints is the chart's paper drawing).
    for testid in ("chart-kind", "chart-channel"):
        canvas = view.locator(f"canvas[data-testid={testid}-print]").bounding_box()
        card = view.locator(f".card:has(canvas[data-testid={testid}])").bounding_box()
        assert canvas["x"] + canvas["width"] <= card["x"] + card["width"] + 1, (testid, canvas, card)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert boxes and all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes), boxes  # A4 in points
    ctx.close()


def _pdf_pages_text(pdf: bytes, tmp_path) -> list[str]:  # noqa: ANN001
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    pages = []
    n = 1
    while True:
        out = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                             capture_output=True, text=True)
        if out.returncode != 0 or n > 20:
            return pages
        pages.append(out.stdout)
        n += 1


@pytest.fixture(scope="module")
def demo_month_server() -> Iterator[RunningServer]:
    """A server holding only the demo compound: how much page 1 holds depends on the month's figures,
    and the shared server's month carries every other test's cases, bookings and income."""
    with serving("estatedesk-e2e-report-print-") as srv:
        yield srv


def test_the_printed_report_keeps_names_and_case_numbers_whole_and_the_charts_on_page_one(
        browser: Browser, demo_month_server, tmp_path) -> None:  # noqa: ANN001  # R-RV-4 R-RV-5
    # The complaint list's narrow columns split a complainant's name (周业/主) and the case number
    # over lines, and the two charts, too tall for what page 1 had left, moved to page 2 leaving a gap.
    server = demo_month_server
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "complaint", "channel": "phone", "contact_name": "欧阳明月", "phone": "13800000002",
        "unit_id": "unit_1_101", "content": "保洁不及时", "complaint_category": "decoration"})["case"]
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-channel]")).to_be_visible(timeout=15000)
    expect(view.locator("td", has_text=case["no"])).to_be_visible()
    page.emulate_media(media="print")
    pages = _pdf_pages_text(page.pdf(prefer_css_page_size=True, print_background=True), tmp_path)
    text = "\n".join(pages)
    for whole in ("欧阳明月", case["no"], "装修管理"):
        assert whole in text, (whole, text[-3000:])
    assert "按类型统计" in pages[0] and "按受理渠道统计" in pages[0], pages[0]
    # The printed overdue list is titled with every limit it is read against (R-IN-5 too).
    assert "超时清单（维修、投诉时限及书面咨询两日内书面答复）" in re.sub(r"\s+", "", text), text[-3000:]
    ctx.close()


CHANNELS = ("phone", "walk_in", "written", "staff_found", "leadership_found", "app", "control_room")
COMMENT = "本月报修、投诉处理基本及时；停车场管理满意率偏低，请秩序维护部下周提交整改措施并跟踪落实。"
CATEGORIES = ("security", "cleaning", "greening", "engineering_repair", "mail_newspapers", "decoration",
              "staff_attitude", "other")


def _busy_month(srv: RunningServer, comment: str) -> None:
    """A month with everything the printed page 1 can hold: cases of every kind through every channel,
    complaints in every category, a survey with ballots back (the third, tall chart) and the report
    handed in and signed with the manager's comment."""
    desk, mgr = Api(srv.url, "dispatcher"), Api(srv.url, "manager")
    for i in range(28):
        kind = ("complaint", "repair", "help", "inquiry")[i % 4]
        body = {"kind": kind, "channel": CHANNELS[i % len(CHANNELS)], "contact_name": f"业主{i}",
                "phone": f"1380000{i:04d}", "unit_id": "unit_1_101", "content": f"本月事项 {i}"}
        if kind == "complaint":
            body["complaint_category"] = CATEGORIES[(i // 4) % len(CATEGORIES)]
        elif kind == "repair":
            body |= {"repair_responsibility": "common", "repair_class": "small"}
        elif kind == "help":
            body["help_kind"] = "inquiry"
        desk.call("POST", "/api/cases", body)
    sid = mgr.call("POST", "/api/surveys", {"title": "本月综合回访", "issued": 40})["id"]
    for i in range(12):
        desk.call("POST", f"/api/surveys/{sid}/ballots", {"grades": {
            "overall": "AB"[i % 2], "cleaning": "ABC"[i % 3], "security": "A", "parking": "C"}})
    month = datetime.now(ZoneInfo("Asia/Shanghai"))  # the demo compound's month, as the page opens it
    _store_as_signed_after_the_month(srv, mgr, month.year, month.month, comment)


def _store_as_signed_after_the_month(srv: RunningServer, mgr: Api, year: int, month: int, comment: str) -> None:
    """The month the page opens on, stored as it will be once handed in and signed after it ends.

    A month is signed only once it is over (D103) and the e2e server runs on the real clock, so the API
    cannot sign the current month; these print tests need its figures signed with a comment, so the
    fixture writes the report the manager would sign, whole-month and frozen, into the server's database."""
    import msgspec
    from sqlalchemy import create_engine

    from server.demo import DEMO_COMPOUND
    from server.domain import monthly_report as mr
    from server.storage.tables_services import monthly_reports

    live = msgspec.json.decode(msgspec.json.encode(mgr.call("GET", f"/api/reports/monthly/{year}/{month}")),
                               type=mr.MonthlyReport)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    signed = msgspec.structs.replace(
        live, period_end=mr.month_end(live), status=mr.ReportStatus.SIGNED, submitted_by="usr_dispatcher",
        submitted_at=now, manager_comment=comment, signed_by="usr_manager", signed_at=now)
    engine = create_engine(f"sqlite:///{srv.data_dir / 'estatedesk.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(monthly_reports.insert().values(
            compound_id=DEMO_COMPOUND, year=year, month=month, status="signed", updated_at=now,
            doc=msgspec.json.encode(signed).decode()))
    engine.dispose()


@pytest.fixture(scope="module")
def busy_month_server() -> Iterator[RunningServer]:
    """A busy month (`_busy_month`) signed with a short comment. Its own server: a signed month is frozen."""
    with serving("estatedesk-e2e-report-busy-") as srv:
        _busy_month(srv, COMMENT)
        yield srv


# A manager's comment far longer than what page 1 has room for (about 40 printed lines), each sentence
# numbered so the printout can be checked for every one of them.
LONG_COMMENT = "\n".join(
    f"第{i}项意见：本月报修与投诉均已跟进，秩序维护部、工程部与清洁班须在下月例会前提交整改措施，并由调度员跟踪落实。"
    for i in range(1, 41))


@pytest.fixture(scope="module")
def long_comment_server() -> Iterator[RunningServer]:
    """The same busy month, signed with a very long comment."""
    with serving("estatedesk-e2e-report-long-comment-") as srv:
        _busy_month(srv, LONG_COMMENT)
        yield srv


def _printed_images(pdf_path) -> list[tuple[int, int, int]]:  # noqa: ANN001
    """(page, width, height) of every raster image in the PDF: a chart prints as its canvas's bitmap."""
    out = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:]]
    return [(int(r[0]), int(r[3]), int(r[4])) for r in rows if r[2] == "image"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_busy_month_prints_each_chart_whole_on_page_one_with_the_summary(
        browser: Browser, busy_month_server, tmp_path, lang) -> None:  # noqa: ANN001  # R-RV-4 R-RV-5 R-RV-3
    # In a busy month (a survey back, so three charts) page 1 held the rates and two charts shrunk to
    # the top of their boxes, and the satisfaction chart went to page 2 leaving page 1's foot blank.
    # A chart's drawing is a bitmap in the PDF (pdfimages lists it with its page); Chromium moves a
    # canvas whole, so a chart is cut when its heading and its drawing land on different pages.
    pages = _print_busy_month(browser, busy_month_server, tmp_path, lang)
    # A short comment still fits on page 1, printed after the charts.
    assert re.sub(r"\s+", "", COMMENT) in re.sub(r"\s+", "", pages[0]), pages[0][-2000:]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_very_long_managers_comment_prints_whole_after_the_charts_which_stay_on_page_one(
        browser: Browser, long_comment_server, tmp_path, lang) -> None:  # noqa: ANN001  # R-RV-4 R-RV-5
    # The comment printed in the summary card at the top of page 1: a long one left no room under it,
    # and the whole chart block (never cut, D65) moved to page 2. It now prints after the charts, in a
    # section of its own that runs on to page 2, every line of it.
    pages = _print_busy_month(browser, long_comment_server, tmp_path, lang)
    assert len(pages) >= 2
    printed = re.sub(r"\s+", "", "".join(pages))
    for sentence in LONG_COMMENT.split("\n"):
        assert printed.count(sentence) == 1, sentence  # every sentence, once (not also in the card above)
    # The comment's heading follows the charts, and the comment runs over the page break.
    heading = "负责人评语" if lang == "zh" else "Manager's comment"
    first, last = LONG_COMMENT.split("\n")[0], LONG_COMMENT.split("\n")[-1]
    assert first in re.sub(r"\s+", "", pages[0]) and last not in re.sub(r"\s+", "", pages[0])
    assert re.sub(r"\s+", "", heading) in re.sub(r"\s+", "", pages[0])


def _print_busy_month(browser: Browser, server: RunningServer, tmp_path, lang: str) -> list[str]:  # noqa: ANN001
    """Prints the busy month's report; asserts each chart whole on page 1 after the summary and the rates."""
    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    expect(view.locator("canvas[data-testid=chart-satisfaction]")).to_be_visible(timeout=15000)
    if lang == "en":
        page.locator(".btn-lang").click()
        expect(view.get_by_text("Satisfaction by area (%)")).to_be_visible()
    titles = {"chart-kind": "按类型统计", "chart-channel": "按受理渠道统计", "chart-satisfaction": "各项满意率（%）"}
    if lang == "en":
        titles = {"chart-kind": "By kind", "chart-channel": "By channel", "chart-satisfaction": "Satisfaction by area (%)"}
    page.emulate_media(media="print")
    # Whichever canvas of a chart's card shows on paper, its bitmap's size is what the PDF lists.
    bitmaps = {}
    for testid in titles:
        card = view.locator(f".card:has(canvas[data-testid={testid}])")
        printed = card.locator("canvas:visible")
        expect(printed).to_have_count(1)
        bitmaps[testid] = tuple(printed.evaluate("(c) => [c.width, c.height]"))
    path = tmp_path / "busy.pdf"
    path.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    pages = _pdf_pages_text(path.read_bytes(), tmp_path)
    images = _printed_images(path)
    assert len(images) == len(titles), (images, bitmaps)  # one drawing per chart, printed once
    for testid, title in titles.items():
        on = [n for n, text in enumerate(pages, 1) if title in text]
        drawn = sorted({n for n, w, hgt in images if (w, hgt) == bitmaps[testid]})
        assert len(on) == 1 and on[0] in drawn, (title, "heading on", on, "drawing on", drawn)  # whole
        assert on == [1], (title, on)  # and on page 1, with the summary
    assert all(n == 1 for n, _, _ in images), images
    # …and page 1 still opens with the summary: the title and every rate.
    summary = ("调度记录月总结", "有效投诉率", "投诉处理及时率", "维修及时率", "返修率") if lang == "zh" else (
        "Monthly dispatch summary", "Complaint validity rate", "Timely-handling rate", "Timely-repair rate", "Rework rate")
    flat = re.sub(r"\s+", "", pages[0])  # pdftotext -layout spreads a wrapped line over columns
    for text in summary:
        assert re.sub(r"\s+", "", text) in flat, (text, pages[0][:3000])
    # The comment prints after the chart block (D71), however long: the charts' headings come first.
    comment_at = flat.find(re.sub(r"\s+", "", "负责人评语" if lang == "zh" else "Manager's comment"))
    charts_at = max(flat.find(re.sub(r"\s+", "", title)) for title in titles.values())
    assert 0 <= charts_at and (comment_at < 0 or comment_at > charts_at), (comment_at, charts_at)
    ctx.close()
    return pages
