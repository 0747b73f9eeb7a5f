"""The desk sees what the executor wrote and photographed on site (R-CL-1: the work is checked before the case
closes): each work order's notes with their photos on the case page, a photo-only note labelled in the desk's
language (D145)."""

from __future__ import annotations

import uuid
from datetime import datetime

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.bookings import _upload
from e2e.test_shell import open_desk
from tests.images import signature_png


def test_the_case_page_shows_the_technicians_site_notes_and_photos(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1, D145
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"厨房水管渗水 {uuid.uuid4().hex[:4]}", "repair_responsibility": "common",
        "repair_class": "small"})["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_lead"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch", {"assignee_id": "usr_tech"})
    job_id = desk.call("GET", f"/api/cases/{case['id']}")["case"]["work_orders"][-1]["id"]
    tech, client = Api(server.url, "tech"), "tech-" + uuid.uuid4().hex[:8]
    photo = _upload(server.url, tech, signature_png(f"leak {case['id']}"))
    now = datetime.now().astimezone().isoformat()
    res = tech.call("POST", "/api/sync/push", {"client_id": client, "mutations": [
        {"mutation_id": 1, "type": "job.accept", "args": {"job_id": job_id}, "device_time": now},
        {"mutation_id": 2, "type": "job.arrive", "args": {"job_id": job_id}, "device_time": now},
        {"mutation_id": 3, "type": "job.note", "args": {"job_id": job_id, "text": "阀门老化，已关总闸"}, "device_time": now},
        {"mutation_id": 4, "type": "job.note", "args": {"job_id": job_id, "text": "", "photo_sha256": photo}, "device_time": now}]})
    assert [r["status"] for r in res["results"]] == ["applied"] * 4, res

    ctx, page = open_desk(browser, server, "dispatcher", f"case/{case['id']}")
    notes = page.get_by_test_id("site-notes").locator("li")
    expect(notes).to_have_count(2, timeout=20000)
    expect(notes.nth(0)).to_contain_text("张师傅")
    expect(notes.nth(0)).to_contain_text("阀门老化，已关总闸")
    expect(notes.nth(1)).to_contain_text("（照片）")
    img = notes.nth(1).locator("img.site-photo")
    expect(img).to_have_count(1)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=10000)
    ctx.close()
