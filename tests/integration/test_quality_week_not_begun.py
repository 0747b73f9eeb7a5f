"""A weekly quality check is of a week that has begun (R-RV-4).

Found walking the manager's month: a check could be recorded for March next year, and that week's
real check would later be refused as already done. The clock starts Monday 2026-11-23 (Shanghai).
"""

from __future__ import annotations

from tests.conftest import login

CHECK = {"cases_checked": 5, "poor_quality": False, "findings": ""}


async def test_a_week_that_has_not_begun_cannot_be_checked(client, clock):  # noqa: ANN001  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, "week_start": "2026-11-30"})
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.week_not_begun", r.text
    assert r.json()["message"] and (await client.get("/api/quality/weekly-checks", headers=mgr)).json() == []
    # This week (any day of it, even one still ahead) and past weeks are checked as before.
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, "week_start": "2026-11-29"})
    assert r.status_code == 201 and r.json()["week_start"] == "2026-11-23", r.text
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, "week_start": "2026-11-16"})
    assert r.status_code == 201, r.text
    # Once next week has begun, it can be checked.
    clock.advance(days=7)
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, "week_start": "2026-11-30"})
    assert r.status_code == 201, r.text
