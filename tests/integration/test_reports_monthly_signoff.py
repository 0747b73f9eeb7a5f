"""The monthly report is handed in from the 30th, signed after its month, returned or reopened with a
reason (R-RV-4, R-RV-5, D103). The server clock is fixed; Shanghai is UTC+8."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
from sqlalchemy import insert, select

from server.storage.schema import audit
from tests.conftest import login

DEC = "/api/reports/monthly/2026/12"


def sh(m: int, d: int, h: int, y: int = 2026) -> datetime:
    """Shanghai wall time as the UTC instant the fixed clock takes."""
    return datetime(y, m, d, h - 8, tzinfo=UTC)  # the tests use hours from 08:00 on


async def _complaint(client, desk, name: str) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": name, "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "楼道未清扫", "complaint_category": "cleaning"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["no"]


async def test_the_month_is_handed_in_from_its_30th_and_signed_over_the_whole_month(client, clock):  # R-RV-4 R-RV-5
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(12, 7, 20))
    await _complaint(client, desk, "周业主")
    r = await client.post(f"{DEC}/submit", headers=desk)
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.too_early", r.text
    draft = (await client.get(DEC, headers=mgr)).json()
    assert (draft["status"], draft["submission_open"], draft["submission_opens_on"]) == ("draft", False, "2026-12-30")
    clock.set(sh(12, 30, 9))
    assert (await client.get(DEC, headers=mgr)).json()["submission_open"] is True
    r = await client.post(f"{DEC}/submit", headers=desk)
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    assert r.json()["covers_whole_month"] is False
    # A complaint on the 31st, after the hand-in, is in the report all the same.
    clock.set(sh(12, 31, 10))
    late_no = await _complaint(client, desk, "晚业主")
    clock.advance(minutes=5)  # the report runs to "now": a case received this instant is not in it yet
    rep = (await client.get(DEC, headers=mgr)).json()
    assert rep["status"] == "submitted" and rep["submitted_by_name"] == "王调度"
    assert late_no in {c["case_no"] for c in rep["complaints"]} and rep["counts_by_category"]["cleaning"] == 2
    r = await client.post(f"{DEC}/sign", headers=mgr, json={"comment": "好"})
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.month_not_over", r.text
    assert rep["signing_open"] is False
    clock.set(sh(1, 2, 9, y=2027))
    r = await client.post(f"{DEC}/sign", headers=mgr, json={"comment": "本月及时"})
    assert r.status_code == 200, r.text
    signed = r.json()
    assert signed["covers_whole_month"] is True and signed["counts_by_category"]["cleaning"] == 2
    assert [e["action"] for e in signed["history"]] == ["submitted", "signed"]


async def test_the_manager_returns_a_submitted_report_with_a_reason(client, clock):  # R-RV-4
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(12, 30, 9))
    assert (await client.post(f"{DEC}/submit", headers=desk)).status_code == 200
    r = await client.post(f"{DEC}/return", headers=desk, json={"reason": "x"})
    assert r.status_code == 403 and r.json()["code"] == "monthly_report.not_manager"
    r = await client.post(f"{DEC}/return", headers=mgr, json={"reason": "  "})
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.reason_required"
    r = await client.post(f"{DEC}/return", headers=mgr, json={"reason": "投诉明细缺处理结果"})
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["status"] == "draft" and back["submitted_by"] is None
    assert back["history"][-1]["action"] == "returned" and back["history"][-1]["reason"] == "投诉明细缺处理结果"
    assert back["people"][back["history"][-1]["by"]] == "钱经理"
    # The dispatcher hands it in again; the history keeps both hand-ins and the return.
    r = await client.post(f"{DEC}/submit", headers=desk)
    assert r.status_code == 200 and [e["action"] for e in r.json()["history"]] == ["submitted", "returned", "submitted"]


async def test_only_the_gm_reopens_a_signed_report_and_the_old_signature_is_kept(client, clock, demo_db):  # noqa: ANN001  # R-RV-4
    desk, mgr, gm = await login(client, "dispatcher"), await login(client, "manager"), await login(client, "gm")
    clock.set(sh(1, 2, 9, y=2027))
    assert (await client.post(f"{DEC}/submit", headers=desk)).status_code == 200
    assert (await client.post(f"{DEC}/sign", headers=mgr, json={"comment": "签错月份"})).status_code == 200
    r = await client.post(f"{DEC}/return", headers=mgr, json={"reason": "签错了"})
    assert r.status_code == 409 and r.json()["code"] == "monthly_report.wrong_status"
    r = await client.post(f"{DEC}/reopen", headers=mgr, json={"reason": "签错了"})
    assert r.status_code == 403 and r.json()["code"] == "monthly_report.not_general_manager"
    r = await client.post(f"{DEC}/reopen", headers=gm, json={"reason": ""})
    assert r.status_code == 400 and r.json()["code"] == "monthly_report.reason_required"
    r = await client.post(f"{DEC}/reopen", headers=gm, json={"reason": "经理误签，重新审阅"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["status"], rep["signed_by"], rep["manager_comment"]) == ("submitted", None, "")
    old = next(e for e in rep["history"] if e["action"] == "signed")
    assert old["comment"] == "签错月份" and rep["people"][old["by"]] == "钱经理"
    assert rep["history"][-1]["reason"] == "经理误签，重新审阅" and rep["people"][rep["history"][-1]["by"]] == "郑总经理"
    async with demo_db.read() as conn:
        row = (await conn.execute(select(audit.c.actor_id, audit.c.data).where(
            audit.c.action == "monthly_report.reopened"))).one()
    data = json.loads(row.data)
    assert row.actor_id == "usr_gm" and data["reason"] == "经理误签，重新审阅"
    assert data["previous_signed_by"] == "usr_manager"
    # The manager signs again.
    r = await client.post(f"{DEC}/sign", headers=mgr, json={"comment": "复核无误"})
    assert r.status_code == 200 and r.json()["status"] == "signed"


async def test_a_report_signed_mid_month_before_d103_keeps_the_figures_it_was_signed_with(client, clock, demo_db):  # noqa: ANN001  # R-RV-4
    # Before D103 nothing stopped a signature on the 20th: the row holds figures to the 20th, SIGNED.
    from server.domain import monthly_report as mr
    from server.services import reports
    from server.storage.tables_services import monthly_reports

    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(12, 20, 9))
    first_no = await _complaint(client, desk, "周业主")
    clock.advance(minutes=5)
    async with demo_db.transaction() as uow:
        live = await reports._compute(uow, "cmp_demo", 2026, 12)
        history = (mr.ReportEvent(action=mr.ReportAction.SUBMITTED, by="usr_dispatcher", at=uow.now),
                   mr.ReportEvent(action=mr.ReportAction.SIGNED, by="usr_manager", at=uow.now, comment="本月及时"))
        old = msgspec.structs.replace(
            live, status=mr.ReportStatus.SIGNED, submitted_by="usr_dispatcher", submitted_at=uow.now,
            signed_by="usr_manager", signed_at=uow.now, manager_comment="本月及时", history=history)
        await uow.conn.execute(insert(monthly_reports).values(
            compound_id="cmp_demo", year=2026, month=12, status="signed", updated_at=uow.now,
            doc=msgspec.json.encode(old).decode()))
    assert not mr.covers_whole_month(old)
    # A complaint after the signature, read after the month: the signed figures stand as signed.
    clock.set(sh(12, 28, 10))
    await _complaint(client, desk, "晚业主")
    clock.set(sh(1, 5, 9, y=2027))
    rep = (await client.get(DEC, headers=mgr)).json()
    assert (rep["status"], rep["manager_comment"]) == ("signed", "本月及时")
    assert [c["case_no"] for c in rep["complaints"]] == [first_no] and rep["counts_by_category"]["cleaning"] == 1
    assert rep["covers_whole_month"] is False


async def test_reading_the_report_waits_for_no_sign_off_in_progress(client, clock, demo_db):  # noqa: ANN001  # R-RV-4
    # A sign-off step locks the stored row while it works; a read (the page, the print) takes no lock,
    # so it neither waits for one nor holds a submit back while it computes the month (D103).
    import asyncio

    from server.services import reports

    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(12, 30, 9))
    assert (await client.post(f"{DEC}/submit", headers=desk)).status_code == 200
    assert (await client.get(DEC, headers=mgr)).status_code == 200  # the manager's device seen: no touch to write
    async with demo_db.transaction() as uow:
        assert (await reports._stored(uow, "cmp_demo", 2026, 12)) is not None  # locked until commit
        r = await asyncio.wait_for(client.get(DEC, headers=mgr), timeout=5)
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
