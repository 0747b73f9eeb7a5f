"""The printed release slip (GET /api/slips/{id}/print): in the desk's language, and a released slip's
copies say who released it, at which gate and when (R-RS-1, R-RS-4). Its fit on A6 paper is in
e2e/test_print_paper.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import T0, login
from tests.integration.test_gate_slips import (  # noqa: F401
    authorisation,
    desk,
    iso,
    issue,
    owner_request,
    push_release,
    sig,
    tenant_request,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u3400-\u9fff]")


def _copies(page: str) -> list[str]:
    copies = page.split('<section class="copy ')[1:]
    assert len(copies) == 2, page
    return copies


def _labels(page: str) -> list[str]:
    """The words the slip itself prints: headings, the code's label, row and column names, copy labels, the
    footer, the signature labels and the stamp. Names, units and items are the record's own text, in any language."""
    found = re.findall(r"<(?:h1|th|p class=\"(?:copy-label|code|stamp|sig-label|guard)\"|footer)[^>]*>([^<]*)", page)
    return [f.strip() for f in found if f.strip()]


async def test_a_released_slip_prints_the_guard_the_gate_and_the_release_time_on_both_copies(client, desk, sig):  # noqa: ANN001, F811  # R-RS-1, R-RS-4
    # A reprint of a released slip showed the 已放行 stamp above a blank "护卫员：___ 放行时间：___"
    # although the server knew who released it, where and when.
    slip = await issue(client, desk, owner_request(sig))
    guard = await login(client, "guard")
    assert (await push_release(client, guard, "gate-phone", 1, slip["id"], "N"))["status"] == "applied"
    released = (await client.get(f"/api/slips/{slip['id']}", headers=desk)).json()["slip"]
    guard_name = (await client.get("/api/me", headers=guard)).json()["display_name"]
    at = datetime.fromisoformat(released["released_at"]).astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M")
    for lang, gate, stamp in (("zh", "北门（N）", "已放行"), ("en", "北门 (N)", "Released")):
        page = (await client.get(f"/api/slips/{slip['id']}/print", params={"lang": lang}, headers=desk)).text
        for copy in _copies(page):
            line = re.search(r'<p class="guard">(.*?)</p>', copy, re.S)
            assert line, copy
            text = re.sub(r"<[^>]+>", "", line[1])
            assert guard_name in text and gate in text and at in text, text  # the year too (D81)
            assert 'class="line"' not in line[1], line[1]  # nothing left blank
            assert f'<p class="stamp">{stamp}</p>' in copy


async def test_an_unreleased_slip_leaves_the_guards_line_blank_to_fill_at_the_gate(client, desk, sig):  # noqa: ANN001, F811  # R-RS-4
    slip = await issue(client, desk, owner_request(sig))
    page = (await client.get(f"/api/slips/{slip['id']}/print", headers=desk)).text
    for copy in _copies(page):
        line = re.search(r'<p class="guard">(.*?)</p>', copy, re.S)
        assert line and line[1].count('class="line"') == 3, copy  # guard, gate, time: written by hand


async def test_the_printed_slip_is_in_the_language_the_desk_asks_for(client, desk, sig):  # noqa: ANN001, F811  # R-RS-4
    # The service slip follows the desk's language; the release slip printed Chinese to an English desk.
    auth = await authorisation(client, desk)
    slip = await issue(client, desk, tenant_request(sig, auth))
    r = await client.post(f"/api/slips/{slip['id']}/revoke", json={"reason": "业主取消"}, headers=desk)
    assert r.status_code == 200, r.text
    en = (await client.get(f"/api/slips/{slip['id']}/print", params={"lang": "en"}, headers=desk)).text
    assert '<html lang="en">' in en
    labels = _labels(en)
    assert "Release slip" in labels and "Copy 1 · Service centre" in labels and "Copy 2 · Security" in labels, labels
    assert {"Code", "Unit", "Requester", "Gates", "Valid", "Issued", "ID checked", "Written authorisation"} <= set(labels), labels
    assert "Revoked" in labels
    assert not [w for w in labels if CJK.search(w)], labels  # no Chinese word of the slip's own
    assert "杨租户 (Tenant)" in en and "Resident ID card ****123X" in en
    assert " to " in re.search(r"<th>Valid</th><td>(.*?)</td>", en)[1]
    zh = (await client.get(f"/api/slips/{slip['id']}/print", headers=desk)).text  # Chinese unless asked
    assert '<html lang="zh-CN">' in zh and "放行通知单" in _labels(zh) and "已作废" in _labels(zh)
    assert (await client.get(f"/api/slips/{slip['id']}/print", params={"lang": "fr"}, headers=desk)).status_code == 400


async def test_a_letter_naming_just_the_slips_items_points_to_the_item_table(client, desk, sig):  # noqa: ANN001, F811  # R-RS-3, R-RS-4
    # The A6 copy printed the letter's six item names again above the table listing the same six, which
    # pushed the signatures onto a second page. The letter's list is printed only where it says more.
    items = [{"name": "电视机", "valuable": True}, {"name": "纸箱", "quantity": 4}]
    same = await authorisation(client, desk, items=["电视机", "纸箱"])
    slip = await issue(client, desk, {**tenant_request(sig, same), "items": items})
    page = (await client.get(f"/api/slips/{slip['id']}/print", headers=desk)).text
    row = re.search(r"<th>书面授权</th><td>(.*?)</td>", page)[1]
    assert "物品 同下表" in row and "电视机" not in row, row
    more = await authorisation(client, desk, items=["电视机", "纸箱", "音箱"])
    slip = await issue(client, desk, {**tenant_request(sig, more), "items": items})
    page = (await client.get(f"/api/slips/{slip['id']}/print", headers=desk)).text
    row = re.search(r"<th>书面授权</th><td>(.*?)</td>", page)[1]
    assert "物品 电视机、纸箱、音箱" in row, row


async def test_engineerings_confirmation_and_its_note_print_on_both_copies(client, desk, sig):  # noqa: ANN001, F811  # R-RS-5, R-RS-4
    # A contractor's slip during hand-over printed only "交接验收期·工程部确认": not who of engineering confirmed,
    # when, nor the note they gave, though the archived copy is the record of it (D142 left it).
    note = "已核对：切割机为施工方自有设备，非业主或开发商财产"
    at = T0 - timedelta(minutes=5)
    body = owner_request(sig, requester_name="王师傅", relation="contractor", handover_period=True,
                         items=[{"name": "切割机"}], id_check=None, requester_signature_sha256=None,
                         engineering_confirmation={"confirmed_by_id": "usr_engineering", "confirmed_at": iso(at),
                                                   "note": note})
    slip = await issue(client, desk, body)
    who = slip["slip"]["engineering_confirmation"]["confirmed_by"]["name"]
    when = at.astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M")
    for lang, label, note_label in (("zh", "确认人", "确认备注"), ("en", "Confirmed by", "Note")):
        page = (await client.get(f"/api/slips/{slip['id']}/print", params={"lang": lang}, headers=desk)).text
        for copy in _copies(page):
            row = re.search(rf"<th>{label}</th><td>(.*?)</td>", copy)
            assert row, copy
            assert who in row[1] and when in re.sub(r"<[^>]+>", "", row[1]), row[1]
            assert re.search(rf"<th>{note_label}</th><td>{note}</td>", copy), copy
        assert {label, note_label} <= set(_labels(page))
    # Without a note, no empty row.
    plain = {**body, "engineering_confirmation": {**body["engineering_confirmation"], "note": ""}}
    page = (await client.get(f"/api/slips/{(await issue(client, desk, plain))['id']}/print", headers=desk)).text
    assert "确认人" in _labels(page) and "确认备注" not in page
