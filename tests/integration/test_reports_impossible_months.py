"""A monthly report exists only for months the compound has lived through (R-RV-4, R-RV-5).

Found in review: `POST /api/reports/monthly/2001/1/submit` and `/sign` succeeded, 25 years before the
compound existed, and a month still to come showed as a draft whose cut-off was before its start. The
compound's first month is that of its creation (or of its first case, should one be older); a month
before it, or one not begun, is refused with its own code, for reading, exporting and every sign-off
step alike.
"""

from __future__ import annotations

import pytest

from tests.conftest import login

# The test compound is created at T0, Monday 23 November 2026, 10:00 in Shanghai.
STEPS = (("post", "submit", None), ("post", "sign", {"comment": "调度及时"}), ("post", "return", {"reason": "x"}),
         ("post", "reopen", {"reason": "x"}), ("get", "xlsx", None), ("get", "", None))


async def _call(client, who: str, method: str, path: str, body: dict | None):  # noqa: ANN001, ANN202
    headers = await login(client, who)
    if method == "get":
        return await client.get(path, headers=headers)
    return await client.post(path, headers=headers, json=body or {})


@pytest.mark.parametrize(("method", "step", "body"), STEPS)
async def test_a_month_before_the_compound_existed_has_no_report(client, method, step, body):  # noqa: ANN001  # R-RV-4 R-RV-5
    who = {"submit": "dispatcher", "reopen": "gm"}.get(step, "manager")
    for year, month in ((2001, 1), (2026, 10)):
        r = await _call(client, who, method, f"/api/reports/monthly/{year}/{month}/{step}".rstrip("/"), body)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "monthly_report.before_compound"
        assert r.json()["details"]["first_month"] == "2026-11"


@pytest.mark.parametrize(("method", "step", "body"), STEPS)
async def test_a_month_not_begun_has_no_report_yet(client, clock, method, step, body):  # noqa: ANN001  # R-RV-4 R-RV-5
    who = {"submit": "dispatcher", "reopen": "gm"}.get(step, "manager")
    r = await _call(client, who, method, f"/api/reports/monthly/2026/12/{step}".rstrip("/"), body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "monthly_report.month_not_begun"
    assert r.json()["details"]["opens_on"] == "2026-12-01"


async def test_the_compounds_first_month_and_the_current_one_are_reported(client, clock):  # R-RV-4 R-RV-5
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11", headers=mgr)
    assert r.status_code == 200, r.text
    assert r.json()["first_month"] == "2026-11"
    clock.advance(days=9)  # Wed 2 Dec: December has begun
    r = await client.get("/api/reports/monthly/2026/12", headers=mgr)
    assert r.status_code == 200, r.text
    assert r.json()["period_end"] > r.json()["period_start"]


async def test_a_case_older_than_the_compound_record_opens_its_month(client, clock, db):  # noqa: ANN001  # R-RV-5
    # Cases brought over keep the time they came in: the first month is the older of the compound's
    # creation and its first case, so a case of November is reported though the record says December.
    from datetime import UTC, datetime

    from sqlalchemy import update

    from server.storage.schema import compounds
    from tests.integration.scenarios import new_repair

    await new_repair(client, await login(client, "dispatcher"))
    async with db.transaction() as uow:
        await uow.conn.execute(update(compounds).where(compounds.c.id == "cmp_demo").values(
            created_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC)))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11", headers=mgr)
    assert r.status_code == 200, r.text
    assert (r.json()["first_month"], r.json()["counts_by_kind"]["repair"]) == ("2026-11", 1)
    r = await client.get("/api/reports/monthly/2026/10", headers=mgr)
    assert r.json()["code"] == "monthly_report.before_compound"
