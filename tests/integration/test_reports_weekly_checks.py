"""The monthly report carries the month's weekly quality checks, flags the weeks never checked and the
targets missed, and the manager signs knowing what is outstanding (R-RV-4, R-FU-10).

Found in review: December missed both R-FU-10 targets and the manager signed it; the report showed no
weekly check and no CAPA status, a week never checked was flagged nowhere, and `quality_poor` was sent
but never read.

The clock starts Monday 23 November 2026, the compound's first day: November's weeks are those of
Monday 23 and Monday 30 (a week is the month's its Monday falls in).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.conftest import login
from tests.integration.scenarios import complete_on_phone, new_repair, open_and_dispatch

POOR = {"week_start": "2026-11-23", "cases_checked": 4, "poor_quality": True, "findings": "维修超时未跟进"}
CAPA = {"report_no": "CAPA-2026-48", "problem": "维修超时", "cause": "派工后无人跟进",
        "corrective_action": "逐单回访", "preventive_action": "超时前提醒组长",
        "owner_id": "usr_dispatcher", "due_on": "2026-12-15"}


async def _late_repair(client, clock) -> None:  # noqa: ANN001
    """A small repair done 25 h after intake: timely repair 0 / 1, target 98 % missed (R-FU-10)."""
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    clock.advance(hours=25)
    await complete_on_phone(client, cid)


async def _november_handed_in(client, clock) -> dict:  # noqa: ANN001
    await _late_repair(client, clock)
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json=POOR)
    assert r.status_code == 201, r.text
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 1 December, 10:00: November is over
    r = await client.post("/api/reports/monthly/2026/11/submit", headers=await login(client, "dispatcher"))
    assert r.status_code == 200, r.text
    return mgr


async def _check_id(client, mgr) -> str:  # noqa: ANN001
    return (await client.get("/api/quality/weekly-checks", headers=mgr)).json()[0]["id"]


async def test_the_report_lists_the_months_checks_flags_unchecked_weeks_and_missed_targets(client, clock):  # noqa: ANN001  # R-RV-4 R-FU-10
    mgr = await _november_handed_in(client, clock)
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    q = rep["quality"]
    assert [(w["week_start"], w["checked"]) for w in q["weeks"]] == [("2026-11-23", True), ("2026-11-30", False)]
    checked = q["weeks"][0]
    assert (checked["checked_by"], checked["cases_checked"], checked["poor_quality"], checked["capa_state"]) == (
        "钱经理", 4, True, "owed")
    assert q["unchecked_weeks"] == ["2026-11-30"]
    assert q["targets_missed"] == ["timely_repair"]
    assert q["capa_owed"] == ["2026-11-23"] and q["capa_needed"] is True
    assert q["sign_warnings"] == ["weeks_unchecked", "capa_missing"]


async def test_the_manager_signs_a_month_with_warnings_and_the_signature_records_them(client, clock):  # noqa: ANN001  # R-RV-4
    mgr = await _november_handed_in(client, clock)
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=mgr, json={"comment": "已知悉，限期整改"})
    assert r.status_code == 200, r.text  # a warning, not a refusal
    signed = r.json()
    assert signed["status"] == "signed"
    assert signed["history"][-1]["warnings"] == ["weeks_unchecked", "capa_missing"]
    # The checks are read live beside the frozen figures: the CAPA report filed after the signature shows.
    check_id = await _check_id(client, mgr)
    r = await client.post(f"/api/quality/weekly-checks/{check_id}/capa", headers=mgr, json=CAPA)
    assert r.status_code == 200, r.text
    q = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()["quality"]
    assert (q["weeks"][0]["capa_state"], q["weeks"][0]["capa_report_no"]) == ("submitted", "CAPA-2026-48")
    assert q["capa_owed"] == [] and q["capa_needed"] is False
    assert q["sign_warnings"] == ["weeks_unchecked"]


async def test_the_workbook_lists_the_weekly_checks_and_the_weeks_never_checked(client, clock):  # noqa: ANN001  # R-RV-4
    mgr = await _november_handed_in(client, clock)
    for lang, sheet_name, unchecked, owed in (("zh", "质量检查", "未检查", "待提交"),
                                              ("en", "Quality checks", "Not checked", "Owed")):
        r = await client.get("/api/reports/monthly/2026/11/xlsx", headers=mgr, params={"lang": lang})
        assert r.status_code == 200, r.text
        sheet = load_workbook(io.BytesIO(r.content))[sheet_name]
        rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
        texts = [" ".join(str(c) for c in row) for row in rows]
        week23 = next(t for t in texts if t.startswith("2026-11-23"))
        week30 = next(t for t in texts if t.startswith("2026-11-30"))
        assert "钱经理" in week23 and owed in week23, week23
        assert unchecked in week30, week30
        assert any("timely" in t.lower() or "维修及时率" in t for t in texts), texts
