"""The yearly complaint analysis report (客户投诉报告) built from stored complaints, handed in by the manager
after the year and acknowledged or returned by the deputy general manager (R-RV-5, R-RV-3; seed 001 八).
The server clock is fixed; the compound's zone is Asia/Shanghai (UTC+8)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from server.storage.schema import audit
from tests.conftest import login

SH = ZoneInfo("Asia/Shanghai")
Y2026 = "/api/reports/yearly/2026"
TEXT = {"cause_analysis": "1栋 楼道保洁排班不足，同一住户反复投诉", "corrective_actions": "1栋 每日两次保洁，保洁主管每周抽查"}


def sh(y: int, m: int, d: int, h: int = 9, mi: int = 0, s: int = 0) -> datetime:
    """Shanghai wall time as the UTC instant the fixed clock takes."""
    return datetime(y, m, d, h, mi, s, tzinfo=SH).astimezone(UTC)


async def _complaint(client, desk, *, unit: str = "unit_1_202", category: str = "cleaning",  # noqa: ANN001
                     opened: bool = True) -> tuple[str, str]:
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": "林业主", "phone": "13800000004",
        "unit_id": unit, "content": "楼道未清扫", "complaint_category": category})
    assert r.status_code == 201, r.text
    case = r.json()["case"]
    if opened:
        r = await client.post(f"/api/cases/{case['id']}/decide", headers=desk, json={"open": True, "reason": "A"})
        assert r.status_code == 200, r.text
    return case["id"], case["no"]


async def _judge(client, mgr, cid: str, fault: str) -> None:  # noqa: ANN001
    r = await client.post(f"/api/cases/{cid}/judge", headers=mgr, json={"fault": fault, "explanation": "已核实"})
    assert r.status_code == 200, r.text


async def _close_and_call_back(client, desk, cid: str, grade: str) -> None:  # noqa: ANN001
    assert (await client.post(f"/api/cases/{cid}/verify", headers=desk, json={"text": "已清理"})).status_code == 200
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已整改"})
    assert r.status_code == 200, r.text
    task = next(t for t in (await client.get("/api/callbacks", headers=desk)).json() if t["case_id"] == cid)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk,
                          json={"grades": {"complaint_handling": grade, "overall": grade}, "comment": "住户满意"})
    assert r.status_code == 200, r.text


async def test_the_year_counts_its_complaints_in_shanghai_with_places_repeats_and_open_ones(client, clock):  # R-RV-5 R-RV-3
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(2026, 6, 10))
    first, first_no = await _complaint(client, desk)
    await _judge(client, mgr, first, "company")
    await _close_and_call_back(client, desk, first, "A")
    second, second_no = await _complaint(client, desk)
    await _judge(client, mgr, second, "customer")
    _, third_no = await _complaint(client, desk, category="security")
    # 23:30 on New Year's Eve in Shanghai is 15:30 UTC; 00:10 on New Year's Day is 16:10 UTC on the 31st.
    clock.set(sh(2026, 12, 31, 23, 30))
    _, eve_no = await _complaint(client, desk, unit="unit_3_104", category="decoration")
    clock.set(sh(2027, 1, 1, 0, 10))
    _, new_year_no = await _complaint(client, desk, unit="unit_2_301")
    clock.set(sh(2027, 1, 2))

    r = await client.get(Y2026, headers=desk)  # the dispatcher reads it too
    assert r.status_code == 200, r.text
    rep = r.json()
    assert [c["case_no"] for c in rep["complaints"]] == [first_no, second_no, third_no, eve_no]
    assert [m["received"] for m in rep["months"]] == [0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 1]
    assert rep["complaints"][0]["unit"] == "1栋-202" and rep["complaints"][0]["satisfaction"] == "A"
    assert [(u["unit"], u["building"], u["count"]) for u in rep["repeat_units"]] == [("1栋-202", "1栋", 3)]
    assert [(t["key"], t["count"]) for t in rep["top_buildings"]] == [("1栋", 3), ("3栋", 1)]
    assert (rep["top_categories"][0]["key"], rep["top_categories"][0]["count"]) == ("cleaning", 2)
    # Closed in June: not open. The other two of June and New Year's Eve's are carried into 2027.
    assert [o["case_no"] for o in rep["open_at_year_end"]] == [second_no, third_no, eve_no]
    assert (rep["call_backs"]["a"], rep["call_backs"]["not_graded"], rep["call_backs"]["rate"]["value"]) == (1, 3, 100.0)
    assert (rep["validity"]["numerator"], rep["validity"]["denominator"]) == (1, 2)
    assert rep["year_over"] is True and rep["covers_whole_year"] is True
    assert rep["labels"]["cleaning"] == "清洁" and rep["labels_en"]["cleaning"] == "Cleaning"
    # June's rates are the monthly report's June, to the count.
    june = (await client.get("/api/reports/monthly/2026/6", headers=mgr)).json()
    for key in ("complaint_validity", "timely_handling"):
        monthly = next(x for x in june["rates"] if x["key"] == key)
        yearly = rep["months"][5]["validity" if key == "complaint_validity" else "timely_handling"]
        assert (yearly["numerator"], yearly["denominator"]) == (monthly["numerator"], monthly["denominator"]), key
    nxt = (await client.get("/api/reports/yearly/2027", headers=mgr)).json()
    assert [c["case_no"] for c in nxt["complaints"]] == [new_year_no] and nxt["year_over"] is False


async def test_hand_in_is_refused_before_the_year_ends_and_without_its_analysis(client, clock):  # R-RV-5
    desk, mgr, tech = await login(client, "dispatcher"), await login(client, "manager"), await login(client, "tech")
    clock.set(sh(2026, 12, 31, 23, 59))
    # The analysis may be written during the year; it is kept on the draft.
    r = await client.post(f"{Y2026}/analysis", headers=mgr, json=TEXT)
    assert r.status_code == 200 and r.json()["analysis"] == TEXT and r.json()["status"] == "draft", r.text
    r = await client.post(f"{Y2026}/submit", headers=mgr, json=TEXT)
    assert r.status_code == 400 and r.json()["code"] == "yearly_report.year_not_over", r.text
    assert (await client.get(Y2026, headers=mgr)).json()["year_over"] is False
    clock.set(sh(2027, 1, 1, 0, 0, 30))
    r = await client.post(f"{Y2026}/submit", headers=mgr, json={})
    assert r.status_code == 400 and r.json()["code"] == "yearly_report.analysis_required", r.text
    assert r.json()["details"]["missing"] == ["cause_analysis", "corrective_actions"]
    r = await client.post(f"{Y2026}/submit", headers=mgr, json={"cause_analysis": "原因", "corrective_actions": " "})
    assert r.status_code == 400 and r.json()["details"]["missing"] == ["corrective_actions"]
    rep = (await client.get(Y2026, headers=mgr)).json()
    assert rep["status"] == "draft" and rep["analysis"] == TEXT and rep["analysis_saved_by_name"] == "钱经理"
    # The dispatcher reads the report but neither writes nor hands it in; a technician does not read it.
    for step in ("analysis", "submit"):
        r = await client.post(f"{Y2026}/{step}", headers=desk, json=TEXT)
        assert r.status_code == 403 and r.json()["code"] == "yearly_report.not_author", r.text
    r = await client.get(Y2026, headers=tech)
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    r = await client.post(f"{Y2026}/submit", headers=tech, json=TEXT)
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"


async def test_the_deputy_gm_acknowledges_and_the_acknowledged_report_stays_as_handed_in(client, clock, demo_db):  # noqa: ANN001  # R-RV-5 R-RV-3
    from server.services import complaint_reports

    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    deputy, gm = await login(client, "deputy"), await login(client, "gm")
    clock.set(sh(2026, 12, 20))
    cid, no = await _complaint(client, desk)
    clock.set(sh(2027, 1, 4))
    r = await client.post(f"{Y2026}/acknowledge", headers=deputy, json={})
    assert r.status_code == 409 and r.json()["code"] == "yearly_report.wrong_status", r.text  # nothing handed in
    r = await client.post(f"{Y2026}/submit", headers=mgr, json=TEXT)
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["submitted_by_name"] == "钱经理", r.text
    for who in (mgr, gm, desk):
        r = await client.post(f"{Y2026}/acknowledge", headers=who, json={})
        assert r.status_code == 403 and r.json()["code"] == "yearly_report.not_deputy_gm", r.text
    clock.set(sh(2027, 1, 5, 10))
    r = await client.post(f"{Y2026}/acknowledge", headers=deputy, json={"comment": "阅。按整改措施落实"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["acknowledged_by_name"], done["acknowledgement_comment"]) == (
        "acknowledged", "吴副总", "阅。按整改措施落实")
    assert datetime.fromisoformat(done["acknowledged_at"]) == sh(2027, 1, 5, 10)
    assert [e["action"] for e in done["history"]] == ["submitted", "acknowledged"]
    assert (done["validity"]["denominator"], [o["case_no"] for o in done["open_at_year_end"]]) == (0, [no])
    # Later the complaint is judged, closed and called back: the live figures move, the acknowledged ones not.
    await _judge(client, mgr, cid, "company")
    await _close_and_call_back(client, desk, cid, "B")
    rep = (await client.get(Y2026, headers=deputy)).json()
    assert rep["status"] == "acknowledged" and rep["validity"]["denominator"] == 0
    assert rep["complaints"][0]["valid"] is None and rep["call_backs"]["b"] == 0
    async with demo_db.transaction(write=False) as uow:
        live = await complaint_reports._compute(uow, "cmp_demo", 2026)
    assert live.validity.denominator == 1 and live.call_backs.b == 1
    # Acknowledged is final: no step changes it, in its own words.
    for who, step, body in ((deputy, "acknowledge", {}), (deputy, "return", {"reason": "再改"}),
                            (mgr, "analysis", TEXT), (mgr, "submit", TEXT)):
        r = await client.post(f"{Y2026}/{step}", headers=who, json=body)
        assert r.status_code == 409 and r.json()["code"] == "yearly_report.already_acknowledged", (step, r.text)
    async with demo_db.read() as conn:
        row = (await conn.execute(select(audit.c.actor_id, audit.c.data).where(
            audit.c.action == "yearly_report.acknowledged"))).one()
    assert row.actor_id == "usr_deputy" and json.loads(row.data)["comment"] == "阅。按整改措施落实"


async def test_the_deputy_gm_returns_it_with_a_reason_and_the_manager_hands_it_in_again(client, clock):  # R-RV-5
    mgr, deputy = await login(client, "manager"), await login(client, "deputy")
    clock.set(sh(2027, 1, 4))
    assert (await client.post(f"{Y2026}/submit", headers=mgr, json=TEXT)).status_code == 200
    # Handed in: the text waits for the deputy GM's word, not for more edits.
    r = await client.post(f"{Y2026}/analysis", headers=mgr, json=TEXT)
    assert r.status_code == 409 and r.json()["code"] == "yearly_report.wrong_status"
    r = await client.post(f"{Y2026}/return", headers=deputy, json={"reason": "  "})
    assert r.status_code == 400 and r.json()["code"] == "yearly_report.reason_required"
    r = await client.post(f"{Y2026}/return", headers=deputy, json={"reason": "整改措施须写明责任人和完成时间"})
    assert r.status_code == 200, r.text
    back = r.json()
    assert back["status"] == "draft" and back["analysis"] == TEXT and back["submitted_by"] is None
    assert back["history"][-1]["reason"] == "整改措施须写明责任人和完成时间"
    assert back["people"][back["history"][-1]["by"]] == "吴副总"
    revised = {**TEXT, "corrective_actions": "1栋 每日两次保洁，责任人保洁主管，1月底前完成"}
    r = await client.post(f"{Y2026}/submit", headers=mgr, json=revised)
    assert r.status_code == 200 and r.json()["analysis"] == revised, r.text
    assert [e["action"] for e in r.json()["history"]] == ["submitted", "returned", "submitted"]


async def test_the_workbook_holds_the_years_figures_in_the_desks_language(client, clock):  # R-RV-5
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    clock.set(sh(2026, 3, 2))
    for _ in range(3):
        await _complaint(client, desk)
    clock.set(sh(2027, 1, 4))
    assert (await client.post(f"{Y2026}/analysis", headers=mgr, json=TEXT)).status_code == 200
    r = await client.get(f"{Y2026}/xlsx", headers=desk)
    assert r.status_code == 200, r.text
    assert "complaint-report-2026.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["概要", "按月统计", "类别与部位", "重复投诉", "年末未结投诉", "投诉登记"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True) if row and row[0]}
    assert summary["2026年度客户投诉报告"] is None and summary["全年受理投诉"] == 3
    assert summary["原因分析"] == TEXT["cause_analysis"] and summary["整改措施"] == TEXT["corrective_actions"]
    months = list(book["按月统计"].iter_rows(values_only=True))
    assert months[3][:2] == ("3月", 3) and months[13][:2] == ("全年", 3)
    assert book["按月统计"]._charts, "the months carry their chart"
    assert list(book["重复投诉"].iter_rows(values_only=True))[2][:3] == ("1栋-202", "1栋", 3)
    assert len(list(book["投诉登记"].iter_rows(values_only=True))) == 4  # heading and three complaints
    r = await client.get(f"{Y2026}/xlsx?lang=en", headers=mgr)
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Summary", "By month", "Categories and places", "Repeat complaints",
                               "Open at year end", "Register"]
    assert book["Summary"]["A1"].value == "Yearly complaint report 2026"
    assert list(book["By month"].iter_rows(values_only=True))[3][:2] == ("March", 3)
