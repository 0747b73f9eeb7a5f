"""The monthly report's overdue list names who signed a late written reply (签发人, R-IN-5, D74), on screen,
in English and on paper."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.test_shell import open_desk


def _received_earlier(server, case_id: str, by: timedelta) -> None:  # noqa: ANN001
    # The server's clock cannot be moved from outside: the inquiry came in earlier by its own record (the
    # document every clock reads) and its list column.
    db = sqlite3.connect(server.data_dir / "estatedesk.sqlite3")
    try:
        (doc,) = db.execute("SELECT doc FROM cases WHERE id = ?", (case_id,)).fetchone()
        case = json.loads(doc)
        received = datetime.fromisoformat(case["received_at"].replace("Z", "+00:00")) - by
        case["received_at"] = received.astimezone(UTC).isoformat().replace("+00:00", "Z")
        minutes = int(by.total_seconds() // 60)
        db.execute("UPDATE cases SET doc = ?, received_at = datetime(received_at, ?) WHERE id = ?",
                   (json.dumps(case, ensure_ascii=False), f"-{minutes} minutes", case_id))
        db.commit()
    finally:
        db.close()


def test_the_overdue_list_names_who_signed_a_late_written_reply(browser: Browser, server) -> None:  # noqa: ANN001  # R-IN-5 R-RV-5
    tag = uuid.uuid4().hex[:4]
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "inquiry", "channel": "written", "contact_name": "来信业主", "phone": "13800000051",
        "unit_id": "unit_1_101", "content": f"来信询问停车费 {tag}"})["case"]
    # Received 2 days and 10 minutes ago: its written reply, given now, is 10 minutes late.
    _received_earlier(server, case["id"], timedelta(days=2, minutes=10))
    signer = f"孙主任{tag}"
    desk.call("POST", f"/api/cases/{case['id']}/follow-up", {
        "kind": "reply", "medium": "written", "signer": signer, "note": "书面答复已送达"})

    ctx, page = open_desk(browser, server, "manager", "reports")
    view = page.locator("[data-view=reports]")
    row = view.locator("tr", has=page.locator("td", has_text=case["no"]))
    expect(row).to_be_visible(timeout=15000)
    expect(row.locator("td[data-label=签发人]")).to_have_text(signer)
    expect(view.get_by_role("columnheader", name="签发人")).to_be_visible()
    page.emulate_media(media="print")
    expect(row.locator("td[data-label=签发人]")).to_have_text(signer)  # on paper too
    page.emulate_media(media="screen")
    page.locator(".btn-lang").click()
    expect(row.locator("td[data-label='Reply signed by']")).to_have_text(signer)
    ctx.close()
