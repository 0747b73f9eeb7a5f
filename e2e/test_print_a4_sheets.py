"""The printed handover sheet (R-SH-1) and the key count sheet (R-KY-1) on A4 (D110): on the shell's A5
page the handover's status printed one character per line, case numbers broke (GD20261207-/0005) and
8 items took 3 pages; the key sheet broke dates (2026/1 2/07) and printed 李前台 down a column."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.conftest import RunningServer, serving
from e2e.keys import lend_outsider, new_key
from e2e.test_desk import open_desk
from e2e.test_desk_handover import _sheet

A4 = (595, 842)  # points



@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # A fresh demo compound: the handover sheet lists every open case, and on the shared server
    # earlier tests leave hundreds open (322 in one CI run), which no one-page check can hold.
    with serving("estatedesk-e2e-a4-") as srv:
        yield srv

def _pdf_pages(page: Page, tmp_path) -> tuple[list[tuple[float, float]], list[str]]:  # noqa: ANN001
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]
    path = tmp_path / f"sheet-{uuid.uuid4().hex[:6]}.pdf"
    path.write_bytes(pdf)
    texts = []
    for n in range(1, len(boxes) + 1):
        out = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                             capture_output=True, text=True, check=True)
        texts.append(out.stdout)
    return boxes, texts


def _all_a4(boxes: list[tuple[float, float]]) -> bool:
    return bool(boxes) and all(abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2 for w, h in boxes)


def test_the_printed_handover_sheet_is_one_a4_page_with_whole_case_numbers_and_states(browser: Browser, server, tmp_path) -> None:  # noqa: ANN001  # R-SH-1
    sheet = _sheet(server, sign_in=True)
    assert 3 <= len(sheet["items"]) <= 12, len(sheet["items"])
    ctx, page = open_desk(browser, server, "dispatcher")
    page.goto(f"{server.url}/#/handover/{sheet['id']}")
    rows = page.get_by_test_id("ho-print-sheet").locator("tbody tr")
    expect(rows).to_have_count(len(sheet["items"]), timeout=15000)
    # Each item whose deadline had passed when the sheet was built says 已超时 beside it (D121).
    built = datetime.fromisoformat(sheet["built_at"])
    late = {i["case_no"] for i in sheet["items"] if i["next_due_at"] and datetime.fromisoformat(i["next_due_at"]) < built}
    assert late, "the demo compound has open work past its deadline"  # else this proves nothing
    for item in sheet["items"]:
        due = rows.filter(has_text=item["case_no"]).get_by_test_id("ho-print-due")
        if item["case_no"] in late:
            expect(due).to_contain_text("已超时")
        else:
            expect(due).not_to_contain_text("已超时")
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all_a4(boxes), boxes
    assert len(texts) == 1, [t[:200] for t in texts]  # a dozen items and both signatures fit one page
    for item in sheet["items"]:
        assert item["case_no"] in texts[0], (item["case_no"], texts[0])  # never GD20261207-/0005
    assert texts[0].count("已超时") == len(late), texts[0]
    # Every time on the sheet carries its year, the due times too: never "12/07 17:30" (README, D81).
    assert not re.search(r"(?<![\d/])\d{2}/\d{2}(?![\d/])", texts[0]), texts[0]
    # Each row on one line: the state word is whole, not one character per line.
    for row in page.get_by_test_id("ho-print-sheet").locator("tbody tr").all():
        for cell in row.locator("td").all()[:2]:
            assert cell.evaluate("(e) => e.getClientRects().length && e.scrollHeight < 2.2 * parseFloat(getComputedStyle(e).lineHeight || 16)"), cell.inner_text()
    ctx.close()


def test_the_printed_key_count_sheet_is_a4_and_keeps_dates_and_names_whole(browser: Browser, server, tmp_path) -> None:  # noqa: ANN001  # R-KY-1
    frontdesk = Api(server.url, "frontdesk")
    label = f"e2e-{uuid.uuid4().hex[:6]} 入户门"
    key = new_key(frontdesk, label, building="9栋", floor="4")
    lend_outsider(server, frontdesk, key["id"], name="周师傅（空调安装公司）", deposit_cents=10000, receipt="YJ-0001")
    frontdesk.call("POST", f"/api/keys/{key['id']}/return", {"refund_cents": 6000, "kept_reason": "钥匙环损坏，扣赔偿费40元",
                                                             "refund_receipt_no": "TK-0001"})
    ctx, page = open_desk(browser, server, "frontdesk")
    page.goto(f"{server.url}/#/keys")
    row = page.get_by_test_id("key-settlements").locator("tr", has_text=label)
    expect(row).to_be_visible(timeout=15000)
    page.emulate_media(media="print")
    boxes, texts = _pdf_pages(page, tmp_path)
    assert _all_a4(boxes), boxes
    text = "\n".join(texts)
    # The settled row's first line holds its whole time, both receipt numbers and who settled it:
    # never 2026/1 2/07, TK-/0001, or 李前台 down a column.
    line = next((ln for ln in text.splitlines() if "TK-0001" in ln), "")
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}", line), text
    assert "YJ-0001" in line and "李前台" in line, text
    ctx.close()

