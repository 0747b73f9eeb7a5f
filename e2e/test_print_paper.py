"""Printed slips fit the paper they are printed on, in Chinese and in English (D136): the release slip
one 105 × 148 mm (A6) page per copy (R-RS-4), the service slip one A5 page from the desk and from the
technician's phone (R-CL-6), and the work order 派工单 one A5 sheet from the case page (R-DI-3).

Each PDF is made as Chromium prints: with the page size the stylesheet asks for (Chromium ignores the
keyword A6 and printed the release slip on Letter), and pages are counted and read with pdftotext
(scripts/bootstrap.sh ensure_pdf_tools)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.conftest import DESK, PHONE
from e2e.repairs import completed_repair
from e2e.test_print_a4_sheets import _pdf_pages
from e2e.test_shell import login

A5 = (420.0, 595.0)  # points
A6 = (297.6, 419.5)  # 105 × 148 mm in points
A4 = (595.0, 842.0)
SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR_TIME = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}")
# The print dialog is the browser's own: a stub, so page.pdf() can lay the page out instead.
NO_DIALOG = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"


def _all(boxes: list[tuple[float, float]], size: tuple[float, float]) -> bool:
    return bool(boxes) and all(abs(w - size[0]) < 2 and abs(h - size[1]) < 2 for w, h in boxes)


def _signed_in(browser: Browser, server, username: str, lang: str, viewport: dict):  # noqa: ANN001, ANN202
    """A browser in `lang` (the header's 中/EN switch, kept in localStorage), signed in."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    ctx.add_init_script(NO_DIALOG)
    page = ctx.new_page()
    page.goto(server.url + "/")
    page.evaluate("(l) => localStorage.setItem('estatedesk.lang', l)", lang)
    page.reload()
    login(page, username)
    return ctx, page


def _drawn(seed: int) -> bytes:
    """A signature as the desk's pad uploads it: ink on a wide transparent canvas at 2x."""
    img = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(60, 200), (150, 60 + seed), (220, 230), (300, 90), (380, 210 - seed), (560, 120), (820, 180)],
                             fill=(20, 20, 60, 255), width=8)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _nannys_slip(base: str) -> dict:
    """The reviewer's slip: six items, one with a long name, four gates, issued to a nanny on the
    owner's written letter, which the owner signed on the desk's pad beside the nanny (two images)."""
    desk = Api(base, "frontdesk")
    items = [{"name": "海尔BCD-470WDPG 十字对开门冰箱（含原装包装箱及配件）", "large": True, "valuable": True},
             {"name": "笔记本电脑", "quantity": 2, "valuable": True}, {"name": "纸箱", "quantity": 12},
             {"name": "电动自行车", "large": True}, {"name": "台式电脑主机", "valuable": True}, {"name": "书架", "quantity": 2, "large": True}]
    salt = uuid.uuid4().int % 40
    today = datetime.now(SHANGHAI).date().isoformat()
    return desk.call("POST", "/api/slips", {
        "unit_id": "unit_1_101", "requester_name": "王保姆", "relation": "nanny", "items": items, "gates": ["N", "S", "E", "B1"],
        "valid_until": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "id_check": {"id_type": "resident_id_card", "last4": "5678"},
        "requester_signature_sha256": _upload(base, desk, _drawn(salt)),
        "authorisation": {"kind": "written", "delegate_name": "王保姆", "visit_date": today, "items": [i["name"] for i in items],
                          "owner_signature_sha256": _upload(base, desk, _drawn(salt + 41)), "owner_signature_source": "device",
                          "owner_id_copy_sha256": _upload(base, desk, _drawn(salt + 83)),
                          "letter_sha256": _upload(base, desk, _drawn(salt + 125))},
    }, expect=201)


RELEASE_WORDS = {
    "zh": {"copies": ("第一联 服务中心联", "第二联 安全护卫部联"), "title": "放行通知单", "foot": "本单一式两联",
           "signs": ("申请人签名：", "业主授权签名（书面授权委托书）："), "names": ("王保姆（保姆）", "黄业主（业主本人）"), "guard": "护卫员："},
    "en": {"copies": ("Copy 1 · Service centre", "Copy 2 · Security"), "title": "Release slip", "foot": "Made out in two copies",
           "signs": ("Requester's signature:", "Owner's signature (written authorisation):"), "names": ("王保姆 (Nanny)", "黄业主 (Owner)"),
           "guard": "Guard:"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_copy_of_a_release_slip_prints_whole_on_one_a6_page_in_the_desks_language(
        browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-RS-4, R-RS-3
    # On real A6 this slip took 4 pages for 2 copies, "申请人签名：" at the foot of page 1 and its image on
    # page 2; the page itself came out as Letter, and in Chinese for an English desk.
    slip = _nannys_slip(server.url)
    ctx, page = _signed_in(browser, server, "frontdesk", lang, DESK)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/slips/{slip['id']}")
    expect(page.get_by_test_id("slip-code")).to_have_text(slip["short_code"], timeout=15000)
    with ctx.expect_page() as popup_info:
        page.locator("[data-action=print]").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator(".copy .sig-img")).to_have_count(4, timeout=10000)
    assert popup.evaluate("[...document.querySelectorAll('img.sig-img')].every((i) => i.complete && i.naturalWidth > 0)")
    popup.emulate_media(media="print")
    boxes, texts = _pdf_pages(popup, tmp_path)
    assert _all(boxes, A6), boxes
    words = RELEASE_WORDS[lang]
    assert len(texts) == 2, [t[:300] for t in texts]
    for text, copy in zip(texts, words["copies"], strict=True):
        flat = re.sub(r"\s+", " ", text)
        # The whole copy on its page: its heading, code, each signature's label and who signed, the
        # guard's line and the footer.
        assert words["title"] in flat and copy in flat and slip["short_code"] in flat, flat
        for label in (*words["signs"], *words["names"], words["guard"], words["foot"]):
            assert label in flat, (label, flat)
    # Each signature image prints with its label: the block is never split across a page.
    assert popup.evaluate("[...document.querySelectorAll('.sig')].every((s) => getComputedStyle(s).breakInside === 'avoid')")
    if lang == "en":
        assert "放行通知单" not in "".join(texts) and "申请人" not in "".join(texts)
    ctx.close()


def _full_repair(base: str) -> str:
    """A completed private repair with every row of the slip filled: a fee above the one told with its
    reason, materials, and the resident's rating with their words."""
    return completed_repair(
        base, f"阳台地漏堵塞，积水漫到客厅 {uuid.uuid4().hex[:6]}", work_done="疏通地漏，清理杂物，更换地漏芯并做闭水试验",
        responsibility="owner_private", fee_quote_cents=3000, fee_cents=5000, fee_over_reason="地漏芯老化开裂，需更换配件",
        rating={"resident_grade": "A", "resident_opinion": "师傅很准时，处理干净"})


COUNTERSIGN = {"zh": "调度员复核签字", "en": "Dispatcher's countersignature"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desks_service_slip_prints_on_one_a5_page_with_its_hash(browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-CL-6
    # The English desk's slip printed "Content hash: …" alone on a second page; the signed sheet is
    # the basis for billing and must carry the hash its signature covers.
    case_id = _full_repair(server.url)
    slip = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["slip"]
    ctx, page = _signed_in(browser, server, "dispatcher", lang, DESK)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/case/{case_id}/slip")
    sheet = page.get_by_test_id("slip-print")
    expect(sheet.locator("img.slip-signature")).to_be_visible(timeout=15000)
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all(boxes, A5), boxes
    assert len(texts) == 1, [t[-300:] for t in texts]
    flat = re.sub(r"\s+", "", texts[0])
    assert slip["content_hash"] in flat and COUNTERSIGN[lang].replace(" ", "") in flat, flat
    ctx.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_technicians_service_slip_prints_on_one_a5_page_with_the_signature_and_countersign_line(
        browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-CL-6
    # From the phone the drawn signature and the countersign line went to a second page (English), or
    # the countersign line alone (Chinese).
    case_id = _full_repair(server.url)
    job_id = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]
    ctx, page = _signed_in(browser, server, "tech", lang, PHONE)
    expect(page.locator(".job-card").first).to_be_visible(timeout=20000)
    page.goto(f"{server.url}/#/job/{job_id}/slip")
    slip = page.locator("article.slip")
    expect(slip.locator("img.slip-signature")).to_be_visible(timeout=15000)
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all(boxes, A5), boxes
    assert len(texts) == 1, [t[-300:] for t in texts]
    assert COUNTERSIGN[lang] in texts[0], texts[0]
    assert slip.locator("img.slip-signature").evaluate("(i) => i.complete && i.naturalWidth > 0")
    ctx.close()


def _dispatched_and_accepted(base: str) -> tuple[dict, dict]:
    """A repair dispatched to the technician after the team lead was not reached, accepted on the
    phone (the receiving side's confirmation, R-DI-3), not yet on site."""
    desk = Api(base, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "谢业主", "phone": "13800000008", "unit_id": "unit_1_101",
        "content": f"卫生间天花板渗水，楼上排水管接口疑似松动 {uuid.uuid4().hex[:6]}", "repair_responsibility": "common",
        "repair_class": "general"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    wo = desk.call("GET", f"/api/cases/{case['id']}")["case"]["work_orders"][-1]
    res = Api(base, "tech").call("POST", "/api/sync/push", {"client_id": "wo-" + uuid.uuid4().hex[:8], "mutations": [
        {"mutation_id": 1, "type": "job.accept", "args": {"job_id": wo["id"]}, "device_time": datetime.now().astimezone().isoformat()}]})
    assert [r["status"] for r in res["results"]] == ["applied"], res
    case = desk.call("GET", f"/api/cases/{case['id']}")["case"]
    return case, case["work_orders"][-1]


WO_WORDS = {
    "zh": {"button": "打印派工单", "title": "派工单", "lead": "陈班长", "unreached": "未联系上"},
    "en": {"button": "Print work order", "title": "Work order", "lead": "陈班长", "unreached": "Not reached"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_work_order_prints_on_one_sheet_naming_the_job_unit_executor_deadline_and_receipt(
        browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-DI-3
    # There was no printable 派工单: printing the case page took 5 pages, the Job column one character
    # per line and the acceptance columns cut off, every time without its year.
    case, wo = _dispatched_and_accepted(server.url)
    words = WO_WORDS[lang]
    ctx, page = _signed_in(browser, server, "dispatcher", lang, DESK)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/case/{case['id']}")
    button = page.get_by_test_id("work-orders").locator("tr", has_text=wo["job"]).get_by_test_id("wo-print")
    expect(button).to_have_text(words["button"], timeout=15000)
    button.click()
    sheet = page.get_by_test_id("wo-sheet")
    expect(sheet).to_be_visible(timeout=15000)
    expect(sheet.locator("h1")).to_contain_text(words["title"])

    def full(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M")

    for testid, want in (("wo-case-no", case["no"]), ("wo-unit", "1栋-101"), ("wo-contact", "谢业主"), ("wo-contact", "13800000008"),
                         ("wo-job", wo["job"]), ("wo-executor", "张师傅"), ("wo-lead", words["lead"]), ("wo-lead", words["unreached"]),
                         ("wo-assigned", full(wo["assigned_at"])), ("wo-deadline", full(wo["deadline_at"])),
                         ("wo-accepted", full(wo["accepted_at"]))):
        expect(sheet.get_by_test_id(testid)).to_contain_text(want)
    # Not on site yet: arrival and completion are lines for the executor to write on.
    for testid in ("wo-arrived", "wo-completed"):
        expect(sheet.get_by_test_id(testid).locator(".wo-blank")).to_have_count(1)
        expect(sheet.get_by_test_id(testid)).to_have_text("")
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all(boxes, A5), boxes
    assert len(texts) == 1, [t[-300:] for t in texts]
    assert case["no"] in texts[0] and "张师傅" in texts[0]
    # Every time on the sheet carries its year; none reads "12/07 20:47".
    times = re.findall(r"(?<![\d/])(?:\d{4}/)?\d{2}/\d{2} \d{2}:\d{2}", texts[0])
    assert len(times) >= 3 and all(YEAR_TIME.fullmatch(t) for t in times), times
    ctx.close()


def test_the_printed_case_page_keeps_every_work_order_column_whole(browser: Browser, server, tmp_path) -> None:  # noqa: ANN001  # R-DI-3
    # Printed, the case page's work-order table lost Accepted/On site/Completed past the paper's edge
    # (its scrolling wrapper clipped them) and wrapped the Job column one character per line.
    case, wo = _dispatched_and_accepted(server.url)
    ctx, page = _signed_in(browser, server, "dispatcher", "en", DESK)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/case/{case['id']}")
    expect(page.get_by_test_id("work-orders").locator("tbody tr")).to_have_count(1, timeout=15000)
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all(boxes, A4), boxes  # a record of several cards: A4, like the handover sheet (D110)
    text = "\n".join(texts)
    for head in ("Job", "Assignee", "Assigned", "Deadline", "State", "Accepted", "On site", "Completed"):
        assert re.search(rf"\b{head}\b", text), head
    # The job reads along its line; on paper each time carries its year (the date and the hour may
    # take a line each in the narrow columns).
    assert wo["job"][:8] in text, text
    accepted = datetime.fromisoformat(wo["accepted_at"]).astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M")
    cell = page.get_by_test_id("work-orders").locator("tbody tr td").nth(5).locator("time")
    # The year is written before the time by the print stylesheet (desk.css .desk-when): what prints is
    # that and the cell's text (innerText leaves generated content out).
    printed = cell.evaluate("(e) => getComputedStyle(e, '::before').content.replace(/^\"|\"$/g, '') + e.innerText")
    assert re.sub(r"\s+", " ", printed).strip() == accepted, printed
    assert page.get_by_test_id("wo-print").is_hidden()  # the sheet's link is not part of the record
    ctx.close()
