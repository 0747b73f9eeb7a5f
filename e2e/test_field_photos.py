"""A photo taken in a weak-signal basement: the link drops mid-upload and the upload resumes, not restarts."""

from __future__ import annotations

import hashlib
import random
import re
import urllib.request
import uuid

from PIL import Image
from playwright.sync_api import Browser, Route, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_offline import _dispatched_repair
from e2e.test_shell import login

PIECE = 256 * 1024  # pwa/src/sync.js PIECE_BYTES


def _noisy_photo(path) -> None:  # noqa: ANN001
    """A camera-like picture: noise does not compress, so the phone's JPEG spans several pieces."""
    rnd = random.Random(3)
    w, h = 1400, 1000
    Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3)).save(path, "PNG")


def test_a_photo_cut_off_mid_upload_resumes_where_it_stopped(browser: Browser, server, tmp_path) -> None:  # noqa: ANN001  # design guarantee 5
    content = f"车库顶板渗水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    photo = tmp_path / "ceiling.png"
    _noisy_photo(photo)

    # No service worker here: the page's own requests are what this test watches and cuts.
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    page = ctx.new_page()
    pieces: list[tuple[int, str]] = []

    def cut_the_second_piece(route: Route) -> None:
        req = route.request
        if req.method != "PATCH":
            route.continue_()
            return
        offset = int(req.headers["upload-offset"])
        if len(pieces) == 1:  # the lift doors close
            pieces.append((offset, "dropped"))
            route.abort("internetdisconnected")
            return
        pieces.append((offset, "sent"))
        route.continue_()

    page.route("**/api/blobs/*", cut_the_second_piece)
    page.goto(server.url + "/")
    login(page, "tech")
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=note]").click()
    dialog = page.locator("dialog.dialog")
    dialog.locator("textarea").fill("顶板裂缝渗水，见照片")
    dialog.locator("input.file-input").set_input_files(str(photo))
    expect(dialog.get_by_text("照片已压缩")).to_be_visible(timeout=20000)
    dialog.locator("button[type=submit]").click()

    # The second piece is lost: the phone shows it is offline and keeps the note waiting.
    expect(page.locator(".syncbar")).to_have_class(re.compile(r"\bsyncbar-offline\b"), timeout=20000)
    expect(page.locator("[data-testid=pending-count]")).not_to_have_attribute("data-count", "0")
    assert pieces[:2] == [(0, "sent"), (PIECE, "dropped")], pieces

    # Signal again: the phone asks where the upload stands and sends only the rest.
    ctx.set_offline(True)
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    resumed = [offset for offset, outcome in pieces[2:] if outcome == "sent"]
    assert resumed and resumed[0] == PIECE, pieces
    assert 0 not in resumed, f"the upload started over: {pieces}"
    ctx.close()

    desk = Api(server.url, "dispatcher")
    view = desk.call("GET", f"/api/cases/{case_id}")
    notes = view["case"]["work_orders"][-1]["notes"]
    sha = next(n["photo_sha256"] for n in notes if n["photo_sha256"])
    req = urllib.request.Request(f"{server.url}/api/blobs/{sha}", headers={"authorization": f"Bearer {desk.token}"})
    with urllib.request.urlopen(req, timeout=20) as r:
        stored = r.read()
    assert hashlib.sha256(stored).hexdigest() == sha
    assert len(stored) > 2 * PIECE  # it really took several pieces
