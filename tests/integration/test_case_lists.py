"""The desk's case list at a year's scale: filters apply before the page limit, and pages go back.

bench/desk_scale.py found the overdue filter applied after the newest `limit` cases were taken, and
the home's emergency banner built from the newest 500 cases: an overdue or emergency case older
than one page was missing from both (D31).
"""

from __future__ import annotations

from tests.conftest import login
from tests.integration.scenarios import new_repair, open_and_dispatch


async def _not_opened(client, desk, content: str) -> str:  # noqa: ANN001
    cid = (await new_repair(client, desk, content=content))["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk,
                          json={"open": False, "reason": "F", "note": "已当场解释，住户接受"})
    assert r.status_code == 200, r.text
    return cid


async def test_case_list_pages_back_newest_first_without_skipping_or_repeating(client, clock):  # D31
    desk = await login(client, "dispatcher")
    made = []
    for i in range(7):
        # Two cases share each received time: the page key must still order them totally.
        if i % 2 == 0:
            clock.advance(minutes=5)
        made.append((await new_repair(client, desk, content=f"第{i}号报修"))["case"]["id"])
    seen: list[str] = []
    before = None
    while True:
        params = {"limit": 3, **({"before": before} if before else {})}
        page = (await client.get("/api/cases", headers=desk, params=params)).json()
        seen += [c["id"] for c in page]
        if len(page) < 3:
            break
        before = page[-1]["id"]
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == set(made)
    first = (await client.get("/api/cases", headers=desk, params={"limit": 7})).json()
    assert [c["id"] for c in first] == seen  # the pages joined are the one long list


async def _emergency(client, desk) -> str:  # noqa: ANN001
    """Smoke in the basement garage: a help request that is an emergency (R-IN-4, R-EM-1)."""
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "罗业主", "phone": "13800000009",
        "unit_id": "unit_3_104", "content": "地下车库有烟雾", "help_kind": "disaster"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _opened(client, desk, content: str) -> str:  # noqa: ANN001
    cid = (await new_repair(client, desk, content=content))["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    return cid


async def test_overdue_filter_finds_an_overdue_case_older_than_one_page(client, clock, monkeypatch):  # R-FU-1 D31
    from server.services import desk as desk_service

    # Two cases per query, so the filter has to read past several chunks of newer open cases.
    monkeypatch.setattr(desk_service, "FILTER_CHUNK", 2)
    desk = await login(client, "dispatcher")
    old = (await new_repair(client, desk, content="旧的报修，已超时"))["case"]["id"]
    await open_and_dispatch(client, desk, old)
    clock.advance(days=2)
    newer = [await _opened(client, desk, f"新报修{i}") for i in range(5)]  # open, clocks running, not overdue
    closed_off = [await _not_opened(client, desk, f"咨询{i}") for i in range(2)]  # newest, never overdue
    got = (await client.get("/api/cases", headers=desk, params={"overdue": "true", "limit": 1})).json()
    assert [c["id"] for c in got] == [old] and got[0]["overdue"] is True
    not_overdue = (await client.get("/api/cases", headers=desk, params={"overdue": "false", "limit": 4})).json()
    assert [c["id"] for c in not_overdue] == [*closed_off[::-1], *newer[::-1][:2]]


async def test_attention_filter_finds_an_old_emergency_behind_many_newer_open_cases(client, clock, monkeypatch):  # R-EM-1 D31
    from server.services import desk as desk_service

    monkeypatch.setattr(desk_service, "FILTER_CHUNK", 2)
    desk = await login(client, "dispatcher")
    emergency = await _emergency(client, desk)
    clock.advance(hours=1)
    newer = [await _opened(client, desk, f"新报修{i}") for i in range(5)]
    plain = (await client.get("/api/cases", headers=desk, params={"open": "true", "limit": 5})).json()
    assert emergency not in {c["id"] for c in plain}  # more open cases than one page
    got = (await client.get("/api/cases", headers=desk,
                            params={"open": "true", "attention": "true", "limit": 5})).json()
    assert [c["id"] for c in got] == [emergency] and not set(newer) & {c["id"] for c in got}


async def test_open_filter_keeps_an_old_emergency_behind_newer_finished_cases(client, clock):  # R-EM-1 D31
    desk = await login(client, "dispatcher")
    emergency = await _emergency(client, desk)
    clock.advance(hours=1)
    done = [await _not_opened(client, desk, f"咨询{i}") for i in range(3)]
    newest = (await client.get("/api/cases", headers=desk, params={"limit": 3})).json()
    assert emergency not in {c["id"] for c in newest}  # what the banner used to read
    got = (await client.get("/api/cases", headers=desk, params={"open": "true", "limit": 3})).json()
    ids = [c["id"] for c in got]
    assert emergency in ids and not set(done) & set(ids)
    assert next(c for c in got if c["id"] == emergency)["is_emergency"] is True


async def test_paging_after_an_unknown_case_is_not_found(client):  # D31
    desk = await login(client, "dispatcher")
    r = await client.get("/api/cases", headers=desk, params={"before": "case_nosuch"})
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "case.not_found"


async def test_case_list_says_why_a_case_could_not_be_handled(client):  # R-CL-4
    # The quarterly review judges the reason; the approvals page lists these cases from the case
    # list, which did not carry it, so the manager saw only the complaint.
    desk, manager = await login(client, "dispatcher"), await login(client, "manager")
    cid = (await new_repair(client, desk, content="外墙渗水"))["case"]["id"]
    r = await client.post(f"/api/cases/{cid}/decide", headers=desk, json={"open": True, "reason": "A"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/cases/{cid}/cannot-handle", headers=manager, json={"reason": "属开发商保修范围"})
    assert r.status_code == 200, r.text
    listed = (await client.get("/api/cases", headers=manager, params={"state": "cannot_handle"})).json()
    assert [c["cannot_handle_reason"] for c in listed if c["id"] == cid] == ["属开发商保修范围"]
    other = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    assert next(c for c in (await client.get("/api/cases", headers=desk)).json()
                if c["id"] == other)["cannot_handle_reason"] is None
