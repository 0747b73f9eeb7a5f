"""A long release slip on its 105 × 148 mm paper (R-RS-4, D136): the longest slip a desk really writes —
a dozen items with 40-character English names, every one flagged, six gates with long names, issued to a
nanny on the owner's written letter with both signatures, or to a contractor during hand-over with
engineering's confirmation and the longest note the form takes (R-RS-5) — prints each copy whole on one page
in Chinese and in English; the longest the server accepts (50 items of 50 characters, eight gates of 50) runs on,
each page of a copy headed with its copy label and the slip's code, nothing cut off at the paper's edge.

The compound's gates are renamed for these slips, so the tests run on a server of their own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.conftest import DESK, RunningServer, serving
from e2e.test_print_a4_sheets import _pdf_pages
from e2e.test_print_paper import A6, RELEASE_WORDS, _all, _drawn, _signed_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Names as a desk types them: a make, a model and what comes with it; each one its own so a page can be
# checked for every item.
NAMES = ["Samsung 65-inch QLED television and stand", "Dell XPS 15 laptop with charger and dock",
         "Five-shelf oak bookcase, flat-packed, 3 bx", "Electric bicycle with spare battery pack",
         "Haier side-by-side fridge, original box", "Yamaha upright piano with bench and cover",
         "Lenovo desktop tower, monitor and keyboard", "Dyson cordless vacuum with wall charger",
         "Bosch dishwasher, 60 cm, with inlet hoses", "Six dining chairs in walnut, wrapped pairs",
         "Canon DSLR camera kit with two zoom lenses", "Philips air purifier and spare HEPA filter"]
GATES = [("N", "North Gate, Huangshan Road main entrance"), ("S", "South Gate by the kindergarten"),
         ("E", "East Gate, Riverside Avenue side door"), ("W", "West Gate beside the clubhouse"),
         ("B1", "Basement 1 vehicle exit ramp (Block 3)"), ("B2", "Basement 2 loading bay behind Block 7")]
# The longest gate names the server takes (50 characters), for the longest slip.
LONGEST_GATES = [(f"G{k}", f"Gate {k}, service road entrance by the sports ground"[:50]) for k in range(1, 9)]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serving("estatedesk-e2e-slip-") as srv:
        # A gate named on a live slip cannot be removed (D46): the compound names all of them at once.
        Api(srv.url, "manager").call("PUT", "/api/gates", {"gates": [{"code": c, "name": n} for c, n in GATES + LONGEST_GATES]})
        yield srv


def _slip(base: str, items: list[dict], gates: list[str], requester: str) -> dict:
    """Issued to a nanny on the owner's written letter naming exactly these items, both signatures
    drawn on the desk's pad, the letter and the owner's ID copy attached (R-RS-3)."""
    desk = Api(base, "frontdesk")
    salt = uuid.uuid4().int % 40
    return desk.call("POST", "/api/slips", {
        "unit_id": "unit_1_101", "requester_name": requester, "relation": "nanny", "items": items, "gates": gates,
        "valid_until": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "id_check": {"id_type": "passport", "last4": "5678"},
        "requester_signature_sha256": _upload(base, desk, _drawn(salt)),
        "authorisation": {"kind": "written", "delegate_name": requester, "visit_date": datetime.now(SHANGHAI).date().isoformat(),
                          "items": [i["name"] for i in items],
                          "owner_signature_sha256": _upload(base, desk, _drawn(salt + 41)), "owner_signature_source": "device",
                          "owner_id_copy_sha256": _upload(base, desk, _drawn(salt + 83)),
                          "letter_sha256": _upload(base, desk, _drawn(salt + 125))},
    }, expect=201)


def _printed(browser: Browser, server, slip: dict, lang: str, tmp_path,  # noqa: ANN001
             signatures: int = 4) -> tuple[Page, list[tuple[float, float]], list[str]]:
    """The slip's print page as the desk's 打印 opens it, laid out on its paper."""
    ctx, page = _signed_in(browser, server, "frontdesk", lang, DESK)
    expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
    page.goto(f"{server.url}/#/slips/{slip['id']}")
    expect(page.get_by_test_id("slip-code")).to_have_text(slip["short_code"], timeout=15000)
    with ctx.expect_page() as popup_info:
        page.locator("[data-action=print]").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator(".copy .sig-img")).to_have_count(signatures, timeout=10000)
    popup.emulate_media(media="print")
    boxes, texts = _pdf_pages(popup, tmp_path)
    return popup, boxes, [re.sub(r"\s+", " ", t) for t in texts]


def _nothing_past_the_edge(popup: Page) -> None:
    # Nothing is cut off: every box of a copy stays inside the copy's width (the paper's printable width).
    over = popup.evaluate("""() => [...document.querySelectorAll('.copy')].flatMap((copy) => {
        const edge = copy.getBoundingClientRect().right + 0.5;
        return [...copy.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > edge)
          .map((e) => e.tagName + ' ' + (e.textContent || '').slice(0, 40));
      })""")
    assert not over, over


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_dozen_long_items_print_each_copy_whole_on_one_a6_page(browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-RS-4, R-RS-3
    # In English this slip took 4 pages for its 2 copies, the signatures, the guard's line and the
    # footer alone on the second page of each, and the Notes column cut off at the paper's right edge.
    items = [{"name": n, "quantity": 1001 + i, "valuable": True, "large": True, "tool": i % 3 == 0} for i, n in enumerate(NAMES)]
    slip = _slip(server.url, items, [c for c, _ in GATES], "Maria Fernanda Dela Cruz-Santos Villanueva")
    popup, boxes, texts = _printed(browser, server, slip, lang, tmp_path)
    assert _all(boxes, A6), boxes
    assert len(texts) == 2, texts
    words = RELEASE_WORDS[lang]
    for text, copy in zip(texts, words["copies"], strict=True):
        assert copy in text and slip["short_code"] in text, text
        for i, name in enumerate(NAMES):
            assert str(1001 + i) in text and name.split()[0] in text, (name, text)
        for label in (*words["signs"], words["guard"], words["foot"]):
            assert label in text, (label, text)
        assert "Huangshan Road" in text and "Block 7" in text, text
    _nothing_past_the_edge(popup)
    popup.context.close()


def _squeezed(text: str) -> str:
    """Without its spaces: pdftotext breaks the note's lines wherever the copy wrapped them."""
    return re.sub(r"\s+", "", text)


# The longest note the desk's form takes for engineering's confirmation (200 characters), in each language.
ENG_NOTES = {
    "en": ("Checked with the site manager against the contractor's delivery list: every item below is the "
           "contractor's own equipment or packaging, none belongs to the owner or the developer; hand-over batch No. 7"),
    "zh": "已与施工方现场负责人逐项核对进场清单：以下切割机、电焊机、脚手架及包装材料均为施工方自有设备与材料，不属于业主或开发商财产，已拍照留存；交接验收第七批次，请护卫员按单逐项核对数量及大件贵重标记后放行。",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_contractors_dozen_items_with_engineerings_longest_note_print_each_copy_whole_on_one_a6_page(
        browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-RS-5, R-RS-4
    # Engineering's confirmation of a contractor's items during hand-over (who, when, the note they gave) was on
    # neither copy (D142). Printed now on each, it must still leave the copy whole on its A6 page.
    note = ENG_NOTES[lang]
    assert len(note) == {"en": 200, "zh": 100}[lang]
    desk = Api(server.url, "frontdesk")
    at = datetime.now(UTC) - timedelta(minutes=10)
    items = [{"name": n, "quantity": 1001 + i, "valuable": True, "large": True, "tool": i % 3 == 0} for i, n in enumerate(NAMES)]
    slip = desk.call("POST", "/api/slips", {
        "unit_id": "unit_1_101", "requester_name": "Maria Fernanda Dela Cruz-Santos Villanueva Reyes X"[:50],
        "relation": "contractor", "handover_period": True, "items": items, "gates": [c for c, _ in GATES],
        "valid_until": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "id_check": {"id_type": "passport", "last4": "5678"},
        "requester_signature_sha256": _upload(server.url, desk, _drawn(uuid.uuid4().int % 40)),
        "engineering_confirmation": {"confirmed_by_id": "usr_engineering", "confirmed_at": at.isoformat(), "note": note},
    }, expect=201)
    popup, boxes, texts = _printed(browser, server, slip, lang, tmp_path, signatures=2)
    assert _all(boxes, A6), boxes
    assert len(texts) == 2, texts
    words = RELEASE_WORDS[lang]
    label = {"zh": "确认人", "en": "Confirmed by"}[lang]
    when = at.astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M")
    for text, copy in zip(texts, words["copies"], strict=True):
        assert copy in text and slip["short_code"] in text, text
        assert label in text and when in text, text
        assert _squeezed(note) in _squeezed(text), text
        for i, name in enumerate(NAMES):
            assert str(1001 + i) in text and name.split()[0] in text, (name, text)
        for part in (words["signs"][0], words["guard"], words["foot"]):
            assert part in text, (part, text)
        assert "Huangshan Road" in text and "Block 7" in text, text
    _nothing_past_the_edge(popup)
    popup.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_longest_slip_the_server_takes_runs_on_with_each_page_headed_by_its_copy_and_code(
        browser: Browser, server, tmp_path, lang: str) -> None:  # noqa: ANN001  # R-RS-4
    # 50 items of 50 characters cannot be read on one A6 page: each copy runs on, and a continuation
    # page must still say which copy and which slip it belongs to, or the guard's copy cannot be filed.
    assert all(len(n) == 50 for _, n in LONGEST_GATES)
    items = [{"name": f"#{i + 1:02d} {NAMES[i % len(NAMES)]} / serial A{i:05d}"[:50], "quantity": 1200 + i,
              "valuable": True, "large": True, "tool": True} for i in range(50)]
    assert all(len(i["name"]) == 50 for i in items) and sum(i["quantity"] for i in items) <= 65535  # the QR counts pieces in 16 bits
    slip = _slip(server.url, items, [c for c, _ in LONGEST_GATES], "Maria Fernanda Dela Cruz-Santos Villanueva Reyes X"[:50])
    popup, boxes, texts = _printed(browser, server, slip, lang, tmp_path)
    assert _all(boxes, A6), boxes
    words = RELEASE_WORDS[lang]
    first, second = words["copies"]
    assert len(texts) > 2, texts
    # Every page names its copy and the slip; copy 1's pages all come before copy 2's.
    owners = []
    for text in texts:
        assert slip["short_code"] in text, text
        mine = [c for c in (first, second) if c in text]
        assert len(mine) == 1, text
        owners.append(mine[0])
    assert owners == sorted(owners, key=(first, second).index), owners
    for copy in (first, second):
        pages = [t for t, o in zip(texts, owners, strict=True) if o == copy]
        body = " ".join(pages)
        for i in range(50):
            assert str(1200 + i) in body, (i, copy)
        # The copy ends whole: both signatures with their labels, the guard's line and the footer.
        for label in (*words["signs"], words["guard"], words["foot"]):
            assert label in pages[-1], (label, pages[-1])
    _nothing_past_the_edge(popup)
    popup.context.close()
