"""The weekly quality check carries the manager's explicit verdict, at the API too (R-RV-4, D59).

D59 made the page refuse a check with neither 合格 nor 不合格 chosen, but the API took whatever
boolean a client sent; a check with no verdict was refused only as a malformed body, in words no
manager could act on. Now the server names what is missing. The clock starts Monday 2026-11-23.
"""

from __future__ import annotations

import pytest

from tests.conftest import login

CHECK = {"week_start": "2026-11-25", "cases_checked": 12, "findings": ""}


@pytest.mark.parametrize("verdict", [{}, {"poor_quality": None}], ids=["omitted", "null"])
async def test_a_weekly_check_without_a_verdict_is_refused_and_says_so(client, verdict) -> None:  # noqa: ANN001  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, **verdict})
    body = r.json()
    assert (r.status_code, body["code"]) == (400, "monthly_report.verdict_required"), r.text
    assert "合格" in body["message"] and "good or poor" in body["message_en"]
    assert body["details"]["missing"] == ["verdict"]
    assert (await client.get("/api/quality/weekly-checks", headers=mgr)).json() == []


async def test_either_explicit_verdict_is_recorded(client) -> None:  # noqa: ANN001  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**CHECK, "poor_quality": False})
    assert r.status_code == 201 and r.json()["poor_quality"] is False, r.text
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={
        **CHECK, "week_start": "2026-11-16", "poor_quality": True, "findings": "两单未按时回访"})
    assert r.status_code == 201 and r.json()["capa_required"] is True, r.text
    # Not a boolean is not a verdict either: malformed, as before.
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={
        **CHECK, "week_start": "2026-11-09", "poor_quality": "ok"})
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid")
