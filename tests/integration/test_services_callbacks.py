"""Return visits through the API: the call-back is due 72 h after the slip returned; grades; reviews."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import T0, login
from tests.integration.scenarios import complete_on_phone, new_repair, open_and_dispatch


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


async def _task(client, headers, case_id: str) -> dict:  # noqa: ANN001
    tasks = [t for t in (await client.get("/api/callbacks", headers=headers)).json() if t["case_id"] == case_id]
    assert len(tasks) == 1, tasks  # one call-back per case, however often the case is saved
    return tasks[0]


async def test_completion_creates_one_call_back_due_72h_after_the_slip_returns(client, clock):  # R-FU-6
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    assert [t for t in (await client.get("/api/callbacks", headers=desk)).json() if t["case_id"] == cid] == []
    await complete_on_phone(client, cid)
    task = await _task(client, desk, cid)
    # Until the slip is back, the latest allowed date stands: 24 h for the slip + 72 h.
    assert _at(task["due_at"]) == T0 + timedelta(hours=96)
    clock.advance(hours=2)
    assert (await client.post(f"/api/cases/{cid}/return-slip", headers=desk)).status_code == 200
    task = await _task(client, desk, cid)
    assert _at(task["slip_returned_at"]) == T0 + timedelta(hours=2)
    assert _at(task["due_at"]) == T0 + timedelta(hours=74)
    assert (await client.post(f"/api/cases/{cid}/countersign", headers=desk)).status_code == 200
    await _task(client, desk, cid)  # still exactly one
    clock.advance(hours=73)
    task = await _task(client, desk, cid)
    assert task["overdue"] is True


async def test_call_back_grades_areas_and_a_c_reopens_the_case_counted_as_rework(client):  # R-RV-2 R-FU-10
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    task = await _task(client, desk, cid)
    tech = await login(client, "tech")
    r = await client.post(f"/api/callbacks/{task['id']}", headers=tech, json={"grades": {"overall": "A"}})
    assert r.status_code == 403  # executors never grade their own work (R-RV-1)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {}})
    assert r.status_code == 400 and r.json()["code"] == "survey.no_grades"
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={
        "grades": {"building_repair": "C", "staff_attitude": "A"}, "comment": "仍有滴水"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reopen_for_review"] is True and body["counts_as_rework"] is True and body["review"] == "open"
    assert body["grades"] == {"building_repair": "C", "staff_attitude": "A"}
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "A"}})
    assert r.status_code == 409 and r.json()["code"] == "survey.already_called_back"
    # The C sends the finished work back to the desk: the case is open again, for rework.
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["case"]["state"] == "opened"
    assert "仍有滴水" in view["case"]["reopenings"][-1]["reason"]
    assert view["case"]["reopenings"][-1]["from_state"] == "completed"
    reviews = (await client.get("/api/callbacks", headers=desk, params={"status": "review"})).json()
    assert [t["case_id"] for t in reviews] == [cid]
    mgr = await login(client, "manager")
    r = await client.post(f"/api/callbacks/{task['id']}/review", headers=mgr, json={"note": "已返修,住户确认"})
    assert r.status_code == 200 and r.json()["review"] == "done"
    assert r.json()["counts_as_rework"] is True  # closing the review does not undo the rework count
    assert (await client.get("/api/callbacks", headers=desk, params={"status": "review"})).json() == []


async def test_the_case_history_records_the_review_conclusion_and_who_reached_it(client):  # R-FU-6 R-RV-2
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    task = await _task(client, desk, cid)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk,
                          json={"grades": {"building_repair": "C"}, "comment": "仍有滴水"})
    assert r.status_code == 200, r.text
    mgr = await login(client, "manager")
    r = await client.post(f"/api/callbacks/{task['id']}/review", headers=mgr, json={"note": " 已返修，住户确认不再滴水 "})
    assert r.status_code == 200, r.text
    timeline = (await client.get(f"/api/cases/{cid}", headers=desk)).json()["timeline"]
    closed = [e for e in timeline if e["action"] == "call_back.review_closed"]
    assert [e["data"] for e in closed] == [{"conclusion": "已返修，住户确认不再滴水", "reviewed_by": "usr_manager"}]


async def test_a_complaint_gets_its_call_back_when_it_is_closed(client):  # R-RV-1
    desk = await login(client, "dispatcher")
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "complaint", "channel": "phone", "contact_name": "林业主", "phone": "13800000004",
        "unit_id": "unit_1_202", "content": "垃圾未清", "complaint_category": "cleaning"})
    cid = r.json()["case"]["id"]
    await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    await client.post(f"/api/cases/{cid}/judge", headers=desk, json={"fault": "company", "explanation": "属实"})
    await client.post(f"/api/cases/{cid}/verify", headers=desk, json={"text": "已清理"})
    r = await client.post(f"/api/cases/{cid}/close", headers=desk, json={"result": "已清理"})
    assert r.status_code == 200, r.text
    task = await _task(client, desk, cid)
    assert task["subject"] == "complaint" and _at(task["due_at"]) == T0 + timedelta(hours=72)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"complaint_handling": "A"}})
    assert r.status_code == 200, r.text
    notes = (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["notes"]
    assert any("回访结果" in n["text"] for n in notes)  # a closed case keeps the result as a note


async def test_call_back_row_names_resident_and_content(client):  # R-FU-6 R-RV-1
    # The caller must know whom to ring, where, about what, who did the work and what the resident
    # already said on the slip: the list carries it, not just the case number and the due time.
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk, content="卫生间天花板渗水"))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid, resident_grade="C", resident_opinion="师傅来晚了")
    task = await _task(client, desk, cid)
    assert (task["resident_name"], task["unit"], task["phone"]) == ("黄业主", "1栋-101", "13800000001")
    assert task["content"] == "卫生间天花板渗水" and task["work_done"] == "更换阀芯"
    assert task["executors"] == [{"id": "usr_tech", "name": "张师傅"}]
    assert _at(task["completed_at"]) == T0
    # The resident's own grade on the signed slip, as the case view shows it (C = 住户不满意, D33).
    view = (await client.get(f"/api/cases/{cid}", headers=desk)).json()
    assert view["summary"]["resident_grade"] == task["resident_grade"] == "C"
    assert task["resident_opinion"] == "师傅来晚了"
    # The answer to recording the call-back carries the same, for the row it replaces.
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "B"}})
    assert r.status_code == 200, r.text
    assert (r.json()["resident_name"], r.json()["phone"]) == ("黄业主", "13800000001")


async def test_a_call_back_without_a_grade_is_refused_with_its_code(client):  # R-FU-6 R-RV-3
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    task = await _task(client, desk, cid)
    # The desk's select left on "choose a grade" sends a blank grade: refused by name, nothing recorded.
    for grades in ({"overall": ""}, {"overall": None}, {"overall": "A", "cleaning": ""}):
        r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": grades})
        assert r.status_code == 400 and r.json()["code"] == "survey.grade_missing", (grades, r.text)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": ""}})
    assert r.json()["details"]["missing"] == ["overall"]
    # No grade at all, or no grades field: its own code, never the generic request.invalid.
    for body in ({"grades": {}}, {"comment": "没接电话"}):
        r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json=body)
        assert r.status_code == 400 and r.json()["code"] == "survey.no_grades", (body, r.text)
    assert (await _task(client, desk, cid))["called_back_at"] is None


async def test_an_unsatisfied_call_back_without_the_residents_comment_is_refused(client):  # R-RV-3 R-FU-6
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk))["case"]["id"]
    await open_and_dispatch(client, desk, cid)
    await complete_on_phone(client, cid)
    task = await _task(client, desk, cid)
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "C"}, "comment": "  "})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "survey.unsatisfied_needs_comment" and r.json()["details"]["missing"] == ["comment"]
    assert (await _task(client, desk, cid))["called_back_at"] is None  # nothing recorded
    r = await client.post(f"/api/callbacks/{task['id']}", headers=desk, json={"grades": {"overall": "C"}, "comment": "门还是卡"})
    assert r.status_code == 200, r.text
    assert r.json()["comment"] == "门还是卡"
