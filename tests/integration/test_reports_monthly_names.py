"""The monthly report names who handed it in and who signed it, on screen and in the spreadsheet;
only a month that has begun can be handed in.

Found walking the manager's month: the XLSX summary said 填报人 usr_dispatcher and 签名 usr_manager,
account ids that mean nothing to the leadership the sheet is sent to (R-RV-4: the manager signs).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.conftest import login


async def _display_name(client, headers) -> str:  # noqa: ANN001
    me = (await client.get("/api/me", headers=headers)).json()
    return me["display_name"]


async def test_signed_report_names_the_filler_and_the_signer(client, clock):  # R-RV-4
    desk = await login(client, "dispatcher")
    mgr = await login(client, "manager")
    filler, signer = await _display_name(client, desk), await _display_name(client, mgr)
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # handed in and signed after the month (D103)
    assert (await client.post("/api/reports/monthly/2026/11/submit", headers=desk)).status_code == 200
    r = await client.post("/api/reports/monthly/2026/11/sign", headers=mgr, json={"comment": "调度及时"})
    assert r.status_code == 200, r.text
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert (rep["submitted_by_name"], rep["signed_by_name"]) == (filler, signer)

    r = await client.get("/api/reports/monthly/2026/11/xlsx", headers=mgr)
    summary = load_workbook(io.BytesIO(r.content))["概要"]
    rows = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert (rows["填报人"], rows["签名"]) == (filler, signer)
    assert rows["负责人评语"] == "调度及时"


async def test_draft_report_has_no_names_yet(client):  # R-RV-4
    mgr = await login(client, "manager")
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rep["status"] == "draft" and rep["submitted_by_name"] is None and rep["signed_by_name"] is None


async def test_a_month_that_has_not_begun_cannot_be_submitted(client, clock):  # noqa: ANN001  # R-RV-4 R-RV-5
    # Found in the demo: December's report could be submitted in November, freezing empty figures
    # the manager could then sign. The clock starts 2026-11-23.
    desk = await login(client, "dispatcher")
    # A month not begun has no report at all, not even a draft (test_reports_impossible_months.py).
    r = await client.post("/api/reports/monthly/2026/12/submit", headers=desk)
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.month_not_begun", r.text
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/12", headers=mgr)
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.month_not_begun", r.text
    clock.advance(days=8)  # 1 December, Shanghai: begun, but not yet the 30th (D103)
    r = await client.post("/api/reports/monthly/2026/12/submit", headers=desk)
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.too_early", r.text
    clock.advance(days=29)  # 30 December
    r = await client.post("/api/reports/monthly/2026/12/submit", headers=desk)
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
