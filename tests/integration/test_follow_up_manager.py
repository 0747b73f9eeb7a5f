"""R-FU-2 / R-FU-3 through the API: a follow-up "reported to the manager" names a real manager."""

from __future__ import annotations

from sqlalchemy import update

from server.storage.schema import users
from tests.conftest import login
from tests.integration.scenarios import new_repair


async def test_follow_up_is_reported_only_to_an_active_manager_of_the_compound(client, demo_db):  # noqa: ANN001  # R-FU-2 R-FU-3
    desk = await login(client, "dispatcher")
    cid = (await new_repair(client, desk, content="楼道灯不亮"))["case"]["id"]
    async with demo_db.transaction() as uow:  # a manager who has left: the account is kept, inactive
        await uow.conn.execute(update(users).where(users.c.id == "usr_manager").values(active=False))
    # Nobody, a technician, the deputy GM (not 管理处负责人), a manager who has left, an id too long
    # for a user id: each refused with the same code, and nothing recorded.
    for manager_id in ("usr_nobody", "usr_tech", "usr_deputy", "usr_manager", "x" * 200):
        r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={
            "kind": "second", "note": "配件未到", "reported_to_manager_id": manager_id})
        assert (r.status_code, r.json()["code"]) == (400, "case.reported_to_not_manager"), (manager_id, r.text)
    assert (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["follow_ups"] == []
    async with demo_db.transaction() as uow:
        await uow.conn.execute(update(users).where(users.c.id == "usr_manager").values(active=True))
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={
        "kind": "weekly_review", "note": "配件未到，请经理定方案", "reported_to_manager_id": "usr_manager"})
    assert r.status_code == 200, r.text
    [fu] = (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["follow_ups"]
    assert (fu["kind"], fu["reported_to_manager_id"]) == ("weekly_review", "usr_manager")
    # A follow-up that reports to nobody is unaffected.
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk, json={"kind": "first", "note": "已催"})
    assert r.status_code == 200, r.text
