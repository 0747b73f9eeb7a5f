"""R-FU-3 through the API: a case the Monday review passed to the manager gets the manager's answer."""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair, open_and_dispatch


async def _passed_case(client, clock, desk: dict[str, str]) -> str:  # noqa: ANN001
    case_id = (await new_repair(client, desk, content="地下车库渗水"))["case"]["id"]
    await open_and_dispatch(client, desk, case_id)
    clock.advance(days=7)  # the next Monday: last week's case
    r = await client.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "防水需外包，请经理定方案", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    return case_id


async def _reviewed(client, headers: dict[str, str], case_id: str) -> dict:  # noqa: ANN001
    rows = {c["id"]: c for c in (await client.get("/api/review/monday", headers=headers)).json()}
    return rows[case_id]["reviewed"]


async def test_the_manager_sets_a_new_approach_for_a_case_the_monday_review_passed_up(client, clock):  # noqa: ANN001  # R-FU-3
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = await _passed_case(client, clock, desk)
    assert (await _reviewed(client, manager, case_id))["answer"] is None

    # Only the manager answers, and an answer says what the new approach is.
    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=desk, json={"approach": "外包"})
    assert r.status_code == 403, r.text
    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager, json={"approach": "  "})
    assert r.status_code == 400, r.text
    assert r.json()["details"]["field"] == "approach"

    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager,
                          json={"approach": "联系防水公司报价，周三前定"})
    assert r.status_code == 200, r.text
    assert any(e["action"] == "case.review_answered" for e in r.json()["timeline"])
    answer = (await _reviewed(client, desk, case_id))["answer"]
    assert (answer["by"], answer["approach"]) == ("usr_manager", "联系防水公司报价，周三前定")
    assert answer["at"]

    # Answered once: a second answer to the same review is refused.
    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager, json={"approach": "再议"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "case.no_review_referral"


async def test_a_case_kept_at_the_desk_has_nothing_for_the_manager_to_answer(client, clock):  # noqa: ANN001  # R-FU-3
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    clock.advance(days=7)
    r = await client.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={"kind": "weekly_review", "note": "本周可修好"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager, json={"approach": "外包"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "case.no_review_referral"


async def test_confirming_the_case_cannot_be_handled_also_answers_the_review(client, clock):  # noqa: ANN001  # R-FU-3 R-CL-4
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = await _passed_case(client, clock, desk)
    r = await client.post(f"/api/cases/{case_id}/cannot-handle", headers=manager, json={"reason": "产权方不同意施工"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager, json={"approach": "外包"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "case.wrong_state"


async def test_a_referral_unanswered_by_the_next_monday_still_waits_for_the_manager_it_went_to(client, clock):  # noqa: ANN001  # R-FU-3
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = await _passed_case(client, clock, desk)
    (await new_repair(client, desk, content="不相关"))  # never passed up
    waiting = "/api/cases?review_to_me=true&limit=1"
    rows = (await client.get(waiting, headers=manager)).json()
    assert [c["id"] for c in rows] == [case_id]
    assert rows[0]["review_referral"]["to_id"] == "usr_manager"

    # A week on, nobody answered: this week's Monday review no longer carries it, the manager still does.
    clock.advance(days=7)
    assert (await _reviewed(client, manager, case_id)) is None
    rows = (await client.get(waiting, headers=manager)).json()
    assert [c["id"] for c in rows] == [case_id]
    assert rows[0]["review_referral"]["note"] == "防水需外包，请经理定方案"
    assert (await client.get(waiting, headers=desk)).json() == []  # passed to the manager, not to the desk

    r = await client.post(f"/api/cases/{case_id}/review-answer", headers=manager, json={"approach": "外包"})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["review_referral"] is None
    assert (await client.get(waiting, headers=manager)).json() == []


async def test_a_received_case_passed_up_can_be_confirmed_cannot_handle_and_then_waits_for_the_quarterly_close(client, clock):  # noqa: ANN001  # R-FU-3 R-CL-4
    # The case the reviewer passed up was still 已受理 (no opening decision yet): the manager's
    # "it cannot be handled" was refused as the wrong state, so only a new approach could be set (D116).
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = (await new_repair(client, desk, content="楼上夜间装修噪音"))["case"]["id"]
    clock.advance(days=7)
    r = await client.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "业主不配合，需经理出面", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "received"

    r = await client.post(f"/api/cases/{case_id}/cannot-handle", headers=manager, json={"reason": "业主拒绝整改"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case"]["state"] == "cannot_handle"
    event = next(e for e in body["timeline"] if e["action"] == "case.cannot_handle")
    # The history says this confirmation answered the Monday review that passed the case up.
    assert event["data"]["referred_by"] == "usr_dispatcher"
    answer = (await _reviewed(client, desk, case_id))["answer"]
    assert (answer["by"], answer["approach"], answer["cannot_handle_reason"]) == ("usr_manager", None, "业主拒绝整改")
    rows = (await client.get("/api/cases?review_to_me=true", headers=manager)).json()
    assert case_id not in [c["id"] for c in rows]

    # It now closes only at the quarterly review, with the manager's signature (R-CL-4).
    r = await client.post(f"/api/cases/{case_id}/close", headers=desk, json={"result": "结束"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "case.use_quarterly_review"
    clock.advance(days=28)  # 2026-12-28, in the last ten days of the quarter
    r = await client.post(f"/api/cases/{case_id}/quarterly-close", headers=manager,
                          json={"result": "季度评审：业主拒绝整改，存档", "signature_sha256": "a" * 64})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "closed"


async def test_a_received_case_not_passed_up_still_needs_its_opening_before_cannot_handle(client, clock):  # noqa: ANN001  # R-CL-4 R-OP-4
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    case_id = (await new_repair(client, desk, content="门禁卡失灵"))["case"]["id"]
    r = await client.post(f"/api/cases/{case_id}/cannot-handle", headers=manager, json={"reason": "无"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "case.wrong_state"
