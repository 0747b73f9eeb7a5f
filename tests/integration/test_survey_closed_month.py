"""A survey for a month whose report is frozen is refused, and allowed again once the report is live
(R-RV-3, R-RV-4, D103, D140). Before this a survey could be opened and its ballots entered for
a signed month: they showed on the survey page and never in that month's report.

Runs on SQLite and PostgreSQL (ESTATEDESK_TEST_DB). Shanghai is UTC+8.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import login

NOV = "/api/reports/monthly/2026/11"


def sh(m: int, d: int, h: int, y: int = 2026) -> datetime:
    return datetime(y, m, d, h - 8, tzinfo=UTC)


async def _ballot(client, desk, sid: str, bid: str, grade: str = "A"):  # noqa: ANN001, ANN202
    return await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": bid, "grades": {"overall": grade}})


async def test_a_signed_month_takes_no_survey_until_its_report_is_live_again(client, clock):  # noqa: ANN001  # R-RV-3 R-RV-4
    desk, mgr, gm = await login(client, "dispatcher"), await login(client, "manager"), await login(client, "gm")
    clock.set(sh(12, 2, 10))
    r = await client.post("/api/surveys", headers=mgr, json={"title": "11月综合回访", "issued": 5, "period": "2026-11"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["month_closed"] is None
    assert (await _ballot(client, desk, sid, "b-1")).status_code == 200

    # Handed in after the month: the figures are frozen, ballots would no longer count.
    assert (await client.post(f"{NOV}/submit", headers=desk)).status_code == 200
    r = await _ballot(client, desk, sid, "b-2")
    assert r.status_code == 409 and r.json()["code"] == "survey.period_handed_in", r.text
    assert r.json()["details"] == {"period": "2026-11", "status": "handed_in"}

    clock.set(sh(12, 3, 10))
    assert (await client.post(f"{NOV}/sign", headers=mgr, json={"comment": "本月及时"})).status_code == 200
    r = await client.post("/api/surveys", headers=mgr, json={"title": "补充调查", "issued": 3, "period": "2026-11"})
    assert r.status_code == 409 and r.json()["code"] == "survey.period_signed", r.text
    body = r.json()
    assert "2026年11月" in body["message"] and "已签批" in body["message"] and "总经理" in body["message"]
    assert "general manager" in body["message_en"] and "reopen" in body["message_en"]
    r = await _ballot(client, desk, sid, "b-2")
    assert r.status_code == 409 and r.json()["code"] == "survey.period_signed"
    r = await client.post(f"/api/surveys/{sid}/ballots/b-1/withdraw", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "survey.period_signed"
    # A retried post of the ballot recorded before the signature still answers with the survey.
    r = await _ballot(client, desk, sid, "b-1")
    assert r.status_code == 200 and r.json()["returned"] == 1
    # The page is told, for the survey, its list row and the month picker of the open form.
    view = (await client.get(f"/api/surveys/{sid}", headers=desk)).json()
    assert view["month_closed"] == {"period": "2026-11", "state": "signed"}
    assert (await client.get("/api/surveys", headers=desk)).json()[0]["month_closed"]["state"] == "signed"
    r = await client.get("/api/surveys/closed-months", headers=mgr)
    assert r.status_code == 200 and r.json() == [{"period": "2026-11", "state": "signed"}], r.text
    # Another month is untouched: December's report is a draft.
    r = await client.post("/api/surveys", headers=mgr, json={"title": "12月综合回访", "issued": 3, "period": "2026-12"})
    assert r.status_code == 201 and r.json()["month_closed"] is None

    # The GM reopens: the report is handed in again with its signed figures (D103), still frozen.
    assert (await client.post(f"{NOV}/reopen", headers=gm, json={"reason": "补录满意度调查"})).status_code == 200
    r = await _ballot(client, desk, sid, "b-2")
    assert r.status_code == 409 and r.json()["code"] == "survey.period_handed_in"
    assert (await client.get("/api/surveys/closed-months", headers=mgr)).json() == [
        {"period": "2026-11", "state": "handed_in"}]
    # The manager returns it to the dispatcher: a live draft, and the survey takes ballots again.
    assert (await client.post(f"{NOV}/return", headers=mgr, json={"reason": "补录满意度调查"})).status_code == 200
    r = await _ballot(client, desk, sid, "b-2", "C")
    assert r.status_code == 200 and r.json()["returned"] == 2 and r.json()["month_closed"] is None
    assert (await client.get("/api/surveys/closed-months", headers=mgr)).json() == []
    # Handed in and signed again, the report counts both ballots, as the survey page does.
    assert (await client.post(f"{NOV}/submit", headers=desk)).status_code == 200
    r = await client.post(f"{NOV}/sign", headers=mgr, json={"comment": "已补录调查"})
    assert r.status_code == 200, r.text
    assert (r.json()["ballots_issued"], r.json()["ballots_returned"]) == (5, 2)
    overall = next(x for x in r.json()["satisfaction"] if x["key"] == "satisfaction.overall")
    assert (overall["numerator"], overall["denominator"]) == (1, 2)


async def test_a_month_handed_in_before_its_end_still_takes_ballots(client, clock):  # noqa: ANN001  # R-RV-3 D103
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(11, 30, 9))
    sid = (await client.post("/api/surveys", headers=mgr, json={"title": "11月", "issued": 5})).json()["id"]
    assert (await client.post(f"{NOV}/submit", headers=desk)).status_code == 200
    # Handed in on the 30th, its figures grow until the month is over: the ballot is in the report.
    assert (await _ballot(client, desk, sid, "b-1")).status_code == 200
    clock.advance(minutes=5)
    assert (await client.get(NOV, headers=mgr)).json()["ballots_returned"] == 1
