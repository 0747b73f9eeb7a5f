"""The desk's 分类 filter names a category within its kind.

The same code means different things in different kinds: `complaint` is a help kind ("a help request
about a complaint", R-IN-4), `other` is a complaint category (R-IN-3), a help kind and a service code.
The desk's filter sends `kind:code`, and the list answers exactly the cases of that kind with that
category; a plain code keeps matching it in any kind, for callers that send one.
"""

from __future__ import annotations

import uuid

from tests.conftest import login


async def _case(client, desk, marker: str, kind: str, **classification: str) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": kind, "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": f"{marker} {kind}", **classification})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _ids(client, desk, **params: str) -> list[dict]:  # noqa: ANN001
    r = await client.get("/api/cases", headers=desk, params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_kind_qualified_category_returns_exactly_that_kinds_cases(client):  # R-IN-2 R-IN-3 R-IN-4
    desk = await login(client, "dispatcher")
    marker = uuid.uuid4().hex[:8]
    help_about_complaint = await _case(client, desk, marker, "help", help_kind="complaint")
    complaint_other = await _case(client, desk, marker, "complaint", complaint_category="other")
    help_other = await _case(client, desk, marker, "help", help_kind="other")
    special_other = await _case(client, desk, marker, "special_service", service_code="other")
    complaint_cleaning = await _case(client, desk, marker, "complaint", complaint_category="cleaning")

    got = await _ids(client, desk, category="help:complaint")
    assert {c["id"] for c in got} >= {help_about_complaint}
    assert all((c["kind"], c["category"]) == ("help", "complaint") for c in got)

    got = await _ids(client, desk, category="complaint:other")
    assert complaint_other in {c["id"] for c in got}
    assert all((c["kind"], c["category"]) == ("complaint", "other") for c in got)
    assert not {help_other, special_other} & {c["id"] for c in got}

    mine = {c["id"] for c in await _ids(client, desk, category="help:other", q=marker)}
    assert mine == {help_other}
    mine = {c["id"] for c in await _ids(client, desk, category="special_service:other", q=marker)}
    assert mine == {special_other}
    mine = {c["id"] for c in await _ids(client, desk, category="complaint:cleaning", q=marker)}
    assert mine == {complaint_cleaning}


async def test_plain_category_still_matches_the_code_in_any_kind(client):  # R-IN-2
    desk = await login(client, "dispatcher")
    marker = uuid.uuid4().hex[:8]
    complaint_other = await _case(client, desk, marker, "complaint", complaint_category="other")
    help_other = await _case(client, desk, marker, "help", help_kind="other")
    mine = {c["id"] for c in await _ids(client, desk, category="other", q=marker)}
    assert mine == {complaint_other, help_other}


async def test_kind_filter_and_a_category_of_another_kind_match_nothing(client):  # R-IN-2
    desk = await login(client, "dispatcher")
    marker = uuid.uuid4().hex[:8]
    await _case(client, desk, marker, "help", help_kind="complaint")
    assert await _ids(client, desk, kind="complaint", category="help:complaint", q=marker) == []
    assert await _ids(client, desk, category="nosuchkind:complaint", q=marker) == []
