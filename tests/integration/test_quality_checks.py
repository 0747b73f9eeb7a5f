"""The manager's weekly quality check and its CAPA report, through the API (R-RV-4).

The clock starts Monday 2026-11-23, so that week is named 2026-11-23 whichever day of it is sent.
"""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import select

from server.services import quality
from server.storage.schema import weekly_checks
from tests.conftest import T0, login

GOOD = {"week_start": "2026-11-25", "cases_checked": 12, "poor_quality": False, "findings": ""}
POOR = {"week_start": "2026-11-16", "cases_checked": 9, "poor_quality": True, "findings": "两单未按时回访"}
# What a CAPA report says besides its number (D117).
CONTENT = {"problem": "两单未按时回访", "cause": "回访无人跟进", "corrective_action": "补做回访",
           "preventive_action": "列入交接班检查", "owner_id": "usr_dispatcher", "due_on": "2026-12-04"}


async def _rows(db) -> list:  # noqa: ANN001
    async with db.read() as conn:
        return (await conn.execute(select(weekly_checks.c.id, weekly_checks.c.week_start,
                                          weekly_checks.c.doc))).all()


async def test_the_manager_records_the_weeks_check_and_it_is_stored(client, demo_db):  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json=GOOD)
    assert r.status_code == 201, r.text
    check = r.json()
    assert check["week_start"] == "2026-11-23"  # a Wednesday names its week's Monday
    assert (check["checked_by"], check["cases_checked"], check["poor_quality"], check["capa_required"]) == (
        "usr_manager", 12, False, False)
    assert msgspec.convert(check["checked_at"], type=type(T0)) == T0
    rows = await _rows(demo_db)
    assert [(r_.id, r_.week_start) for r_ in rows] == [(check["id"], date(2026, 11, 23))]
    assert msgspec.json.decode(rows[0].doc)["checked_by"] == "usr_manager"
    # The desk and leadership read the checks.
    for who in ("dispatcher", "gm"):
        listed = (await client.get("/api/quality/weekly-checks", headers=await login(client, who))).json()
        assert [c["id"] for c in listed] == [check["id"]]


async def test_only_the_manager_records_a_check(client, demo_db):  # R-RV-4
    for who, status, code in (("dispatcher", 403, "monthly_report.not_manager"),
                              ("gm", 403, "monthly_report.not_manager"),
                              ("tech", 403, "auth.forbidden"), ("lead", 403, "auth.forbidden")):
        r = await client.post("/api/quality/weekly-checks", headers=await login(client, who), json=GOOD)
        assert (r.status_code, r.json()["code"]) == (status, code), who
    assert await _rows(demo_db) == []
    r = await client.get("/api/quality/weekly-checks", headers=await login(client, "tech"))
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")


async def test_poor_quality_needs_findings_then_a_capa_report_filed_once(client, clock):  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**POOR, "findings": "  "})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.findings_required")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json=POOR)
    assert r.status_code == 201, r.text
    check = r.json()
    assert check["capa_required"] is True and check["capa_report_no"] is None
    url = f"/api/quality/weekly-checks/{check['id']}/capa"
    r = await client.post(url, headers=await login(client, "dispatcher"), json={"report_no": "CAPA-1"})
    assert (r.status_code, r.json()["code"]) == (403, "monthly_report.not_manager")
    r = await client.post(url, headers=mgr, json={"report_no": "  "})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.capa_report_no_required")
    clock.advance(hours=3)
    r = await client.post(url, headers=mgr, json={"report_no": "CAPA-2026-47", **CONTENT})
    assert r.status_code == 200, r.text
    filed = r.json()
    assert (filed["capa_report_no"], filed["capa_filed_by"]) == ("CAPA-2026-47", "usr_manager")
    assert msgspec.convert(filed["capa_filed_at"], type=type(T0)) == clock.now()
    r = await client.post(url, headers=mgr, json={"report_no": "CAPA-2026-48", **CONTENT})
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.capa_already_filed")
    listed = (await client.get("/api/quality/weekly-checks", headers=mgr)).json()
    assert [c["capa_report_no"] for c in listed] == ["CAPA-2026-47"]


async def test_a_good_week_needs_no_capa_report(client):  # R-RV-4
    mgr = await login(client, "manager")
    check = (await client.post("/api/quality/weekly-checks", headers=mgr, json=GOOD)).json()
    r = await client.post(f"/api/quality/weekly-checks/{check['id']}/capa", headers=mgr, json={"report_no": "C-1"})
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.no_capa_needed")


async def test_a_week_is_checked_once(client, demo_db):  # R-RV-4
    mgr = await login(client, "manager")
    assert (await client.post("/api/quality/weekly-checks", headers=mgr, json=GOOD)).status_code == 201
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**POOR, "week_start": "2026-11-29"})
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.week_already_checked")
    assert r.json()["details"]["week_start"] == "2026-11-23"
    assert len(await _rows(demo_db)) == 1
    # Newest week first.
    assert (await client.post("/api/quality/weekly-checks", headers=mgr, json=POOR)).status_code == 201
    listed = (await client.get("/api/quality/weekly-checks", headers=mgr)).json()
    assert [c["week_start"] for c in listed] == ["2026-11-23", "2026-11-16"]


async def test_the_unique_week_key_refuses_a_check_the_rule_did_not_see(client, demo_db, monkeypatch):  # R-RV-4
    # Two managers' checks of one week at once: the second passes the rule before the first commits.
    mgr = await login(client, "manager")
    assert (await client.post("/api/quality/weekly-checks", headers=mgr, json=GOOD)).status_code == 201

    async def nothing_on_record(uow, compound_id):  # noqa: ANN001, ANN202
        return set()

    monkeypatch.setattr(quality, "_checked_weeks", nothing_on_record)
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json=GOOD)
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.week_already_checked")
    assert len(await _rows(demo_db)) == 1


async def test_a_malformed_check_or_unknown_id_is_refused(client):  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**GOOD, "cases_checked": -1})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid")
    r = await client.post("/api/quality/weekly-checks/wck_nope/capa", headers=mgr, json={"report_no": "C-1"})
    assert (r.status_code, r.json()["code"]) == (404, "monthly_report.weekly_check_not_found")
