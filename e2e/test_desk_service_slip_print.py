"""The desk's printed service slip 服务单 (R-CL-1 A, R-CL-6): the number once, the dispatcher's
countersign line, and the signer's relation as the resident gave it (D43)."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.repairs import completed_repair
from e2e.test_desk import open_desk

# The PDFs and pictures are kept for a person to look at; ESTATEDESK_SHOTS names where.
SHOTS = Path(os.environ.get("ESTATEDESK_SHOTS") or tempfile.mkdtemp(prefix="estatedesk-slip-print-"))


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


def _signed_by_household(base: str, content: str) -> str:
    """A repair completed on the technician's phone, signed by a household member."""
    return completed_repair(base, content, work_done="更换门锁锁芯", signer="路人甲", relation="household")


def test_printed_slip_shows_its_number_once_and_a_blank_countersign_line_until_countersigned(
        browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-6 R-CL-1
    case_id = _signed_by_household(server.url, f"卧室门锁松动 {uuid.uuid4().hex[:6]}")
    desk = Api(server.url, "dispatcher")
    no = desk.call("GET", f"/api/cases/{case_id}")["case"]["no"]
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case_id}/slip")
    printed = page.get_by_test_id("slip-print")
    expect(printed).to_contain_text("路人甲", timeout=10000)
    # The number once, in the heading.
    assert printed.inner_text().count(no) == 1
    assert printed.inner_text().count("单号") == 1
    # The relation as the resident gave it on the phone: nothing checked the unit's register (D43).
    expect(printed).to_contain_text("路人甲（家庭成员）")
    expect(printed).not_to_contain_text("登记")
    line = page.get_by_test_id("slip-countersign")
    expect(line).to_have_text("调度员复核签字 日期")  # two blank lines to sign on paper
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(SHOTS / "slip-blank-a4.pdf"), format="A4")
    assert _pages(SHOTS / "slip-blank-a4.pdf") == 1  # the countersign line stays on the sheet
    page.screenshot(path=str(SHOTS / "slip-blank-print.png"), full_page=True)
    page.emulate_media(media="screen")

    desk.call("POST", f"/api/cases/{case_id}/return-slip", {})
    slip = desk.call("POST", f"/api/cases/{case_id}/countersign", {})["case"]["slip"]
    me = desk.call("GET", "/api/me")
    page.reload()
    line = page.get_by_test_id("slip-countersign")
    expect(line).to_contain_text(me["display_name"], timeout=10000)
    signed = datetime.fromisoformat(slip["countersigned_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    expect(line).to_contain_text(signed.strftime("%H:%M"))
    assert page.get_by_test_id("slip-print").inner_text().count("单号") == 1
    page.emulate_media(media="print")
    page.pdf(path=str(SHOTS / "slip-countersigned-a4.pdf"), format="A4")
    assert _pages(SHOTS / "slip-countersigned-a4.pdf") == 1
    page.screenshot(path=str(SHOTS / "slip-countersigned-print.png"), full_page=True)
    ctx.close()


# The text a closed <select> shows: its chosen option's.
_SHOWN = "(s) => s.options[s.selectedIndex].textContent"


def test_case_list_category_filter_is_grouped_per_kind_and_follows_the_kind(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-2 R-IN-4
    desk = Api(server.url, "dispatcher")
    marker = uuid.uuid4().hex[:6]
    about = desk.call("POST", "/api/cases", {
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": f"想投诉噪音 {marker}", "help_kind": "complaint"})["case"]
    ctx, page = open_desk(browser, server)
    category = page.get_by_test_id("filter-category")
    expect(category).to_be_visible(timeout=10000)
    groups = category.locator("optgroup")
    expect(groups).to_have_count(4, timeout=10000)
    assert [groups.nth(i).get_attribute("label") for i in range(4)] == ["投诉类别", "求助类型", "维修分类", "特约项目"]
    # 投诉 under 求助类型 is a help request about a complaint, and it finds one.
    category.select_option("help:complaint")
    page.locator("input[name=q]").fill(marker)
    rows = page.locator("[data-testid=case-list] tbody tr")
    expect(rows).to_have_count(1, timeout=10000)
    expect(rows.first).to_have_attribute("data-case", about["id"], timeout=10000)
    # A chosen filter says which filter it is: "分类：投诉" is not the kind 投诉; the open list keeps
    # the bare values.
    assert category.evaluate(_SHOWN) == "分类：投诉"
    assert category.locator("option[value='complaint:security']").text_content() == "安保"
    state = page.locator("select[name=state]")
    state.select_option("received")
    expect(rows).to_have_count(1, timeout=10000)
    assert state.evaluate(_SHOWN) == "状态：已受理"
    # A chosen kind offers only its own categories; a category of another kind is dropped.
    kind = page.locator("select[name=kind]")
    kind.select_option("complaint")
    assert kind.evaluate(_SHOWN) == "类别：投诉"
    expect(category.locator("optgroup")).to_have_count(1, timeout=10000)
    expect(category.locator("optgroup")).to_have_attribute("label", "投诉类别")
    expect(category).to_have_value("", timeout=10000)
    assert category.evaluate(_SHOWN) == "分类：全部"
    state.select_option("")
    assert state.evaluate(_SHOWN) == "状态：全部"
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SHOTS / "home-filter.png"))
    ctx.close()


def test_printed_slip_shows_why_the_fee_is_above_the_one_told(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-6 R-CL-6
    # The archived copy is the basis for billing (R-CL-6): a fee above the one told at intake was
    # signed under its reason on the phone, so the desk's print must show that reason too.
    content = f"阳台地漏堵塞 {uuid.uuid4().hex[:6]}"
    case_id = completed_repair(server.url, content, work_done="疏通并更换地漏芯", responsibility="owner_private",
                               fee_quote_cents=3000, fee_cents=5000, fee_over_reason="地漏芯老化开裂，需更换配件")
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case_id}/slip")
    printed = page.get_by_test_id("slip-print")
    expect(printed).to_contain_text("¥50.00", timeout=10000)
    expect(printed.locator("tr", has_text="超出告知收费原因")).to_contain_text("地漏芯老化开裂，需更换配件")
    ctx.close()


def test_printed_slip_carries_the_check_code_the_desk_dialog_shows(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-6 R-CL-1
    # The desk compares the paper with its dialog by a short code both show, not by 64 hex digits (D96).
    case_id = completed_repair(server.url, f"卫生间漏水 {uuid.uuid4().hex[:6]}")
    slip = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["slip"]
    code = slip["content_hash"][:12].upper()
    code = f"{code[:4]} {code[4:8]} {code[8:]}"
    ctx, page = open_desk(browser, server)
    page.goto(server.url + f"/#/case/{case_id}/slip")
    sheet = page.get_by_test_id("slip-print")
    expect(sheet.get_by_test_id("slip-check-code")).to_have_text(f"核对码 {code}", timeout=10000)
    page.goto(server.url + f"/#/case/{case_id}")
    page.locator("[data-action=return_slip]").click()
    expect(page.get_by_test_id("slip-check-code")).to_have_text(code)
    ctx.close()
