"""The manager's periodic satisfaction survey from the desk (R-RV-1..3, D139): opened for the
month whose report counts it, ballots entered one by one with blank areas and the resident's unit,
tallied per area, withdrawn when typed by mistake, closed; the monthly report reads the survey of its
month and shows an area nobody graded as not graded.

The clock stands at Monday 23 November 2026, 10:00 Shanghai (tests/conftest.py T0).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from server.storage.schema import audit
from tests.conftest import login


def rate(rates: list[dict], area: str) -> dict:
    return next(r for r in rates if r["key"] == f"satisfaction.{area}")


async def _open(client, mgr, **body) -> dict:  # noqa: ANN001
    r = await client.post("/api/surveys", headers=mgr, json={"title": "11月综合回访", "issued": 10, **body})
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_manager_opens_a_survey_for_a_month_and_the_list_says_which_one_the_report_counts(client, clock):  # noqa: ANN001  # R-RV-1 R-RV-3
    mgr, desk = await login(client, "manager"), await login(client, "dispatcher")
    first = await _open(client, mgr, period="2026-11")
    assert (first["period"], first["issued"], first["returned"], first["closed_at"]) == ("2026-11", 10, 0, None)
    clock.advance(minutes=5)
    # No month given: the current month in the compound's zone.
    second = await _open(client, mgr, title="补充调查", issued=4)
    assert second["period"] == "2026-11"
    clock.advance(minutes=5)
    october = await _open(client, mgr, title="10月综合回访", issued=6, period="2026-10")
    for bad in ("2026-13", "202611", ""):
        r = await client.post("/api/surveys", headers=mgr, json={"title": "x", "issued": 5, "period": bad})
        assert r.status_code == 400 and r.json()["code"] == "survey.invalid_period", (bad, r.text)
    r = await client.post("/api/surveys", headers=desk, json={"title": "x", "issued": 5, "period": "2026-11"})
    assert r.status_code == 403 and r.json()["code"] == "survey.not_allowed_to_survey"

    r = await client.get("/api/surveys", headers=desk)
    assert r.status_code == 200, r.text
    listed = {s["id"]: s for s in r.json()}
    assert list(listed) == [october["id"], second["id"], first["id"]]  # newest opened first
    # One survey per month reaches the report: the last one opened for it.
    assert [listed[s["id"]]["in_report"] for s in (first, second, october)] == [False, True, True]
    row = listed[first["id"]]
    assert (row["title"], row["period"], row["issued"], row["returned"]) == ("11月综合回访", "2026-11", 10, 0)
    assert row["overall"]["value"] is None and row["opened_by_name"] == "钱经理"
    assert "ballots" not in row  # the list stays small; the survey itself carries its ballots


async def test_ballots_with_blank_areas_and_a_unit_are_tallied_per_area(client):  # noqa: ANN001  # R-RV-2 R-RV-3
    mgr, desk = await login(client, "manager"), await login(client, "dispatcher")
    sid = (await _open(client, mgr, period="2026-11"))["id"]
    for body in ({"id": "b-1", "grades": {"overall": "A", "cleaning": "C"}, "unit": "1栋-101", "comment": "楼道不够干净"},
                 {"id": "b-2", "grades": {"overall": "B", "cleaning": "C"}},
                 {"id": "b-3", "grades": {"overall": "A"}}):
        r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json=body)
        assert r.status_code == 200, r.text
    # The desk lost the answer and posted b-3 again: still three ballots.
    r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": "b-3", "grades": {"overall": "A"}})
    assert r.status_code == 200 and r.json()["returned"] == 3
    r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": {}})
    assert r.status_code == 400 and r.json()["code"] == "survey.empty_ballot"

    s = (await client.get(f"/api/surveys/{sid}", headers=mgr)).json()
    assert (s["issued"], s["returned"]) == (10, 3)
    tally = {t["area"]: t for t in s["tally"]}
    assert [t["area"] for t in s["tally"]][:3] == ["complaint_handling", "equipment", "building_repair"]
    assert {k: tally["overall"][k] for k in "abc"} | {"graded": tally["overall"]["graded"]} == \
        {"a": 2, "b": 1, "c": 0, "graded": 3}
    assert (tally["cleaning"]["c"], tally["cleaning"]["graded"]) == (2, 2)
    assert tally["parking"]["graded"] == 0
    # R-RV-3 over ballots returned: overall (2 + 1) / 3; cleaning graded C twice: 0 %; parking graded by none.
    assert rate(s["rates"], "overall")["value"] == 100.0
    assert (rate(s["rates"], "cleaning")["value"], rate(s["rates"], "cleaning")["graded"]) == (0.0, 2)
    assert (rate(s["rates"], "parking")["value"], rate(s["rates"], "parking")["graded"]) == (None, 0)
    first = s["ballots"][0]
    assert (first["id"], first["unit"], first["comment"], first["grades"]) == (
        "b-1", "1栋-101", "楼道不够干净", {"overall": "A", "cleaning": "C"})
    assert s["people"][first["entered_by"]] == "王调度"


async def test_a_ballot_typed_by_mistake_is_withdrawn_and_the_withdrawal_is_kept(client, db):  # noqa: ANN001  # R-RV-3
    mgr, desk = await login(client, "manager"), await login(client, "dispatcher")
    sid = (await _open(client, mgr, period="2026-11", issued=2))["id"]
    await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": "b-1", "grades": {"overall": "A"}})
    await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": "b-2", "grades": {"overall": "C"}})
    # Two ballots issued, two back: a third is a miscount.
    r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": {"overall": "A"}})
    assert r.status_code == 409 and r.json()["code"] == "survey.ballots_exceed_issued"
    r = await client.post(f"/api/surveys/{sid}/ballots/b-2/withdraw", headers=desk)
    assert r.status_code == 200, r.text
    assert r.json()["returned"] == 1 and rate(r.json()["rates"], "overall")["value"] == 100.0
    r = await client.post(f"/api/surveys/{sid}/ballots/b-2/withdraw", headers=desk)
    assert r.status_code == 404 and r.json()["code"] == "survey.ballot_not_found"
    r = await client.post(f"/api/surveys/{sid}/ballots/b-1/withdraw", headers=await login(client, "gm"))
    assert r.status_code == 403  # leadership reads the survey; the desk enters and withdraws ballots
    async with db.read() as conn:
        rows = (await conn.execute(select(audit.c.action, audit.c.entity_id).where(audit.c.entity == "survey")
                                   .order_by(audit.c.id))).all()
    assert [tuple(r) for r in rows] == [("survey.opened", sid), ("survey.ballot_entered", sid),
                                        ("survey.ballot_entered", sid), ("survey.ballot_withdrawn", sid)]


async def test_the_manager_closes_the_survey_and_its_figures_then_stand(client):  # noqa: ANN001  # R-RV-1 R-RV-3
    mgr, desk = await login(client, "manager"), await login(client, "dispatcher")
    sid = (await _open(client, mgr, period="2026-11"))["id"]
    await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"id": "b-1", "grades": {"overall": "A"}})
    r = await client.post(f"/api/surveys/{sid}/close", headers=desk)
    assert r.status_code == 403 and r.json()["code"] == "survey.not_allowed_to_survey"
    r = await client.post(f"/api/surveys/{sid}/close", headers=mgr)
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["closed_at"] is not None and closed["people"][closed["closed_by"]] == "钱经理"
    r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": {"overall": "B"}})
    assert r.status_code == 409 and r.json()["code"] == "survey.closed"
    r = await client.post(f"/api/surveys/{sid}/ballots/b-1/withdraw", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "survey.closed"
    r = await client.post(f"/api/surveys/{sid}/close", headers=mgr)
    assert r.status_code == 409 and r.json()["code"] == "survey.already_closed"
    r = await client.post("/api/surveys/srv_nope/close", headers=mgr)
    assert r.status_code == 404 and r.json()["code"] == "survey.not_found"
    listed = (await client.get("/api/surveys", headers=mgr)).json()
    assert listed[0]["closed_at"] == closed["closed_at"] and listed[0]["returned"] == 1


async def test_the_monthly_report_reads_the_survey_opened_for_its_month(client, clock):  # noqa: ANN001  # R-RV-3
    mgr, desk = await login(client, "manager"), await login(client, "dispatcher")
    # Opened on 3 December for November's report: the ballots came back after the month ended.
    clock.set(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # 10:00 Shanghai
    sid = (await _open(client, mgr, title="11月综合回访", issued=8, period="2026-11"))["id"]
    for grades in ({"overall": "A", "parking": "C"}, {"overall": "C", "parking": "C"}, {"overall": "B"}):
        r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": grades})
        assert r.status_code == 200, r.text
    november = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    december = (await client.get("/api/reports/monthly/2026/12", headers=mgr)).json()
    assert (november["ballots_issued"], november["ballots_returned"]) == (8, 3)
    assert (december["ballots_issued"], december["ballots_returned"]) == (0, 0)
    sat = november["satisfaction"]
    assert (rate(sat, "overall")["numerator"], rate(sat, "overall")["denominator"], rate(sat, "overall")["value"]) \
        == (2, 3, 66.67)
    # Parking graded C on two ballots is a measured 0 %; the clubhouse, on none, is not graded.
    assert (rate(sat, "parking")["value"], rate(sat, "parking")["graded"]) == (0.0, 2)
    assert (rate(sat, "clubhouse")["denominator"], rate(sat, "clubhouse")["value"],
            rate(sat, "clubhouse")["graded"]) == (3, None, 0)
    assert "未评" in rate(sat, "clubhouse")["definition_zh"]
