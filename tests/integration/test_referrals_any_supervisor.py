"""R-FU-3, R-OP-3 through the API: a referral waits for whoever may answer it, not only for the one named.

Any manager may answer a case the Monday review passed up (D58) and any supervisor may decide an
opening passed up (D50); when the one named is on leave or off shift, the others find them with
`review_to_any` / `awaiting_any`, filtered before the limit like `review_to_me` / `awaiting_me`.
"""

from __future__ import annotations

from server.domain.roles import Role
from server.services.accounts import create_user
from tests.conftest import login
from tests.integration.scenarios import new_repair, open_and_dispatch


async def _second_manager(db, client) -> dict[str, str]:  # noqa: ANN001
    await create_user(db, username="manager2", password="demo-pass-2", display_name="孙经理", roles=[Role.MANAGER],
                      compound_id="cmp_demo", user_id="usr_manager2")
    return await login(client, "manager2", "demo-pass-2")


async def _pass_up(client, desk, case_id: str, to: str, note: str = "防水需外包，请经理定方案") -> None:  # noqa: ANN001
    r = await client.post(f"/api/cases/{case_id}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": note, "reported_to_manager_id": to})
    assert r.status_code == 200, r.text


async def test_a_second_manager_finds_and_answers_a_review_passed_to_the_first(client, clock, demo_db):  # noqa: ANN001  # R-FU-3
    desk = await login(client, "dispatcher")
    manager = await login(client, "manager")
    other = await _second_manager(demo_db, client)
    to_first = (await new_repair(client, desk, content="地下车库渗水"))["case"]["id"]
    to_second = (await new_repair(client, desk, content="外墙空鼓"))["case"]["id"]
    told = (await new_repair(client, desk, content="电梯异响"))["case"]["id"]
    for case_id in (to_first, to_second, told):
        await open_and_dispatch(client, desk, case_id)
    clock.advance(days=7)  # the next Monday: last week's cases
    await _pass_up(client, desk, to_first, "usr_manager")
    await _pass_up(client, desk, to_second, "usr_manager2")
    # R-FU-2's "told the manager" names a manager too, but is no Monday review waiting for an answer.
    r = await client.post(f"/api/cases/{told}/follow-up", headers=desk, json={
        "kind": "second", "note": "未安排", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    (await new_repair(client, desk, content="不相关"))  # newer than all, never passed up

    # Passed to the first manager: the second does not see it as theirs, but sees it waiting.
    mine = [c["id"] for c in (await client.get("/api/cases?review_to_me=true", headers=other)).json()]
    assert mine == [to_second]
    rows = (await client.get("/api/cases?review_to_any=true", headers=other)).json()
    assert [c["id"] for c in rows] == [to_second, to_first]  # newest first
    waiting = {c["id"]: c["review_referral"] for c in rows}
    assert waiting[to_first]["to_id"] == "usr_manager" and waiting[to_first]["by"] == "usr_dispatcher"
    assert waiting[to_first]["at"]
    # Filtered before the limit: the newer unrelated cases do not take the one place.
    assert [c["id"] for c in (await client.get("/api/cases?review_to_any=true&limit=1", headers=other)).json()] == [to_second]
    nxt = (await client.get(f"/api/cases?review_to_any=true&limit=1&before={to_second}", headers=other)).json()
    assert [c["id"] for c in nxt] == [to_first]
    # The desk may read it too (it is the same list), and the old filter still answers as before.
    assert [c["id"] for c in (await client.get("/api/cases?review_to_me=true", headers=manager)).json()] == [to_first]

    # The second manager answers for the first: recorded as theirs, the review still names the first.
    r = await client.post(f"/api/cases/{to_first}/review-answer", headers=other, json={"approach": "联系防水公司报价"})
    assert r.status_code == 200, r.text
    [event] = [e for e in r.json()["timeline"] if e["action"] == "case.review_answered"]
    assert (event["actor_id"], event["data"]["referred_to_id"]) == ("usr_manager2", "usr_manager")
    reviewed = {c["id"]: c["reviewed"] for c in (await client.get("/api/review/monday", headers=desk)).json()}
    assert reviewed[to_first]["reported_to_manager_id"] == "usr_manager"
    assert reviewed[to_first]["answer"]["by"] == "usr_manager2"
    assert reviewed[to_first]["answer"]["approach"] == "联系防水公司报价"
    assert [c["id"] for c in (await client.get("/api/cases?review_to_any=true", headers=manager)).json()] == [to_second]

    # Confirming that the case cannot be handled answers too, and the Monday review says who confirmed.
    r = await client.post(f"/api/cases/{to_second}/cannot-handle", headers=manager, json={"reason": "产权方不同意施工"})
    assert r.status_code == 200, r.text
    reviewed = {c["id"]: c["reviewed"] for c in (await client.get("/api/review/monday", headers=desk)).json()}
    answer = reviewed[to_second]["answer"]
    assert (answer["by"], answer["approach"], answer["cannot_handle_reason"]) == ("usr_manager", None, "产权方不同意施工")
    assert reviewed[told] is None  # R-FU-2 is not this week's review
    assert (await client.get("/api/cases?review_to_any=true", headers=other)).json() == []


async def test_any_supervisor_finds_an_opening_passed_to_another_and_the_decision_records_both(client, demo_db):  # noqa: ANN001  # R-OP-3
    desk = await login(client, "dispatcher")
    lead = await login(client, "lead")
    manager = await login(client, "manager")
    to_lead = (await new_repair(client, desk, content="门铃不响"))["case"]["id"]
    r = await client.post(f"/api/cases/{to_lead}/refer-opening", headers=desk, json={"to_id": "usr_lead", "note": "请定"})
    assert r.status_code == 200, r.text
    to_manager = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    r = await client.post(f"/api/cases/{to_manager}/refer-opening", headers=desk, json={"to_id": "usr_manager"})
    assert r.status_code == 200, r.text
    (await new_repair(client, desk, content="不相关"))  # newer, never passed up

    # The manager's own list names only theirs; the new filter shows what waits for anyone.
    assert [c["id"] for c in (await client.get("/api/cases?awaiting_me=true", headers=manager)).json()] == [to_manager]
    rows = (await client.get("/api/cases?awaiting_any=true&limit=1", headers=manager)).json()
    assert [c["id"] for c in rows] == [to_manager]  # filtered before the limit
    rows = (await client.get("/api/cases?awaiting_any=true", headers=manager)).json()
    assert [c["id"] for c in rows] == [to_manager, to_lead]
    waiting = {c["id"]: c["awaiting_decision"] for c in rows}
    assert waiting[to_lead]["to_id"] == "usr_lead" and waiting[to_lead]["by"] == "usr_dispatcher"
    assert waiting[to_lead]["at"]

    # The lead is off shift: the manager decides it in their place; the decision records both.
    r = await client.post(f"/api/cases/{to_lead}/decide", headers=manager, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    opening = r.json()["case"]["opening"]
    assert (opening["decided_by"], opening["referred_to_id"]) == ("usr_manager", "usr_lead")
    assert [c["id"] for c in (await client.get("/api/cases?awaiting_any=true", headers=lead)).json()] == [to_manager]
