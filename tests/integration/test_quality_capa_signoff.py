"""The weekly check looks at cases, and its CAPA report says what it must and is signed off (R-RV-4, D117).

The clock starts Monday 2026-11-23; the poor week checked is the one before.
"""

from __future__ import annotations

from sqlalchemy import select

from server.storage.schema import audit
from tests.conftest import login

POOR = {"week_start": "2026-11-16", "cases_checked": 9, "poor_quality": True, "findings": "两单未按时回访"}
CAPA = {"report_no": "CAPA-2026-47", "problem": "两单派工后未按时回访", "cause": "回访任务无人跟进",
        "corrective_action": "本周补做两单回访", "preventive_action": "回访列入每日交接班检查",
        "owner_id": "usr_dispatcher", "due_on": "2026-11-30"}


async def _poor_check(client) -> tuple[dict, str]:  # noqa: ANN001
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json=POOR)
    assert r.status_code == 201, r.text
    return mgr, f"/api/quality/weekly-checks/{r.json()['id']}/capa"


async def test_a_check_of_no_cases_is_refused(client):  # noqa: ANN001  # R-RV-4
    mgr = await login(client, "manager")
    r = await client.post("/api/quality/weekly-checks", headers=mgr, json={**POOR, "cases_checked": 0})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.no_cases_checked")
    assert r.json()["details"]["missing"] == ["cases_checked"]
    assert (await client.get("/api/quality/weekly-checks", headers=mgr)).json() == []


async def test_the_capa_report_must_say_problem_cause_actions_owner_and_due_date(client):  # noqa: ANN001  # R-RV-4
    mgr, url = await _poor_check(client)
    r = await client.post(url, headers=mgr, json={"report_no": "CAPA-1"})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.capa_incomplete")
    assert r.json()["details"]["missing"] == ["problem", "cause", "corrective_action", "preventive_action",
                                              "owner_id", "due_on"]
    r = await client.post(url, headers=mgr, json={**CAPA, "cause": "  "})
    assert r.json()["details"]["missing"] == ["cause"]
    r = await client.post(url, headers=mgr, json={**CAPA, "due_on": "2026-11-22"})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.capa_due_passed")
    # The owner is a staff account of this compound, not a typed name.
    for owner in ("王调度", "usr_nobody"):
        r = await client.post(url, headers=mgr, json={**CAPA, "owner_id": owner})
        assert (r.status_code, r.json()["code"]) == (400, "monthly_report.capa_owner_unknown"), owner
    r = await client.post(url, headers=mgr, json=CAPA)
    assert r.status_code == 200, r.text
    filed = r.json()
    assert filed["capa_status"] == "submitted" and filed["capa_report_no"] == "CAPA-2026-47"
    assert filed["capa"] == {k: v for k, v in CAPA.items() if k != "report_no"}


async def test_the_general_manager_signs_off_the_capa_or_sends_it_back_with_a_reason(client, demo_db):  # noqa: ANN001  # R-RV-4
    mgr, url = await _poor_check(client)
    gm = await login(client, "gm")
    r = await client.post(url + "/decision", headers=gm, json={"accept": True})
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.capa_not_submitted")  # nothing filed yet
    assert (await client.post(url, headers=mgr, json=CAPA)).status_code == 200
    # Only the general manager decides; the manager who filed it does not sign it off.
    for who in ("manager", "deputy", "dispatcher"):
        r = await client.post(url + "/decision", headers=await login(client, who), json={"accept": True})
        assert (r.status_code, r.json()["code"]) == (403, "monthly_report.not_general_manager"), who
    r = await client.post(url + "/decision", headers=gm, json={"accept": False, "reason": " "})
    assert (r.status_code, r.json()["code"]) == (400, "monthly_report.reason_required")
    r = await client.post(url + "/decision", headers=gm, json={"accept": False, "reason": "原因分析不够具体"})
    assert r.status_code == 200, r.text
    assert (r.json()["capa_status"], r.json()["capa_return_reason"]) == ("returned", "原因分析不够具体")

    # Sent back, it is the manager's again: filed once more (a filed one is not), then accepted.
    r = await client.post(url, headers=mgr, json={**CAPA, "cause": "回访任务未分派到人，交接班未检查"})
    assert r.status_code == 200, r.text
    assert (await client.post(url, headers=mgr, json=CAPA)).json()["code"] == "monthly_report.capa_already_filed"
    r = await client.post(url + "/decision", headers=gm, json={"accept": True})
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["capa_status"], done["capa_decided_by"], done["capa_return_reason"]) == ("accepted", "usr_gm", None)
    assert [(e["action"], e["by"], e["reason"]) for e in done["capa_history"]] == [
        ("submitted", "usr_manager", ""), ("returned", "usr_gm", "原因分析不够具体"),
        ("submitted", "usr_manager", ""), ("accepted", "usr_gm", "")]
    r = await client.post(url + "/decision", headers=gm, json={"accept": False, "reason": "再看"})
    assert (r.status_code, r.json()["code"]) == (409, "monthly_report.capa_not_submitted")
    async with demo_db.read() as conn:
        actions = [a for (a,) in await conn.execute(
            select(audit.c.action).where(audit.c.entity == "weekly_check").order_by(audit.c.id))]
    assert actions == ["weekly_check.recorded", "weekly_check.capa_filed", "weekly_check.capa_returned",
                       "weekly_check.capa_filed", "weekly_check.capa_accepted"]
