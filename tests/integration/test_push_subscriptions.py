"""Push subscriptions and the shared VAPID key (issue "Push reminders")."""

from __future__ import annotations

import asyncio

import httpx
import msgspec
import pytest
from sqlalchemy import func, select

from server.app import create_app
from server.notify.tables import push_subscriptions, vapid_keys
from server.notify.vapid_store import shared_vapid_keys
from server.storage.db import Database
from tests.conftest import login
from tests.pushservice_double import PushServiceDouble


@pytest.fixture(name="api")
async def api_fixture(settings, demo_db):  # noqa: ANN001, ANN201
    """The app served on the test's own event loop (httpx ASGITransport).

    The shared `client` fixture (Litestar's AsyncTestClient) runs the lifespan in a portal task, and
    on PostgreSQL every `client` test currently errors at teardown ("Attempted to exit cancel scope
    in a different task"). Until that is fixed, push tests use this one. The lifespan only puts
    the database and settings on app.state (run_scheduler is off in tests), so it is done here.
    """
    # The push service double listens on plain http on this machine.
    settings = msgspec.structs.replace(settings, push_allow_http_loopback=True)
    app = create_app(settings, db=demo_db, migrate=False)
    app.state.db = demo_db
    app.state.settings = settings
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.localhost") as c:
        yield c


def _sub(phone) -> dict:  # noqa: ANN001
    return phone.to_json()


async def _rows(db: Database) -> list:
    async with db.read() as conn:
        return (await conn.execute(select(push_subscriptions).order_by(push_subscriptions.c.id))).all()


async def test_every_staff_role_gets_the_vapid_application_server_key(api, demo_db):  # noqa: ANN001
    for user in ("tech", "dispatcher", "guard", "manager"):
        r = await api.get("/api/push/vapid-key", headers=await login(api, user))
        assert r.status_code == 200, r.text
        key = r.json()["public_key"]
        assert key == (await shared_vapid_keys(demo_db)).application_server_key
        assert len(key) == 87 and "=" not in key  # base64url of a 65-byte uncompressed point


async def test_vapid_key_needs_a_login(api):  # noqa: ANN001
    r = await api.get("/api/push/vapid-key")
    assert r.status_code == 401


async def test_servers_starting_together_agree_on_one_vapid_key(db: Database):
    # Several processes behind a load balancer: each has its own Database; the first insert wins.
    others = [Database(db.url, clock=db.clock) for _ in range(4)]
    try:
        keys = await asyncio.gather(*(shared_vapid_keys(d) for d in [db, *others]))
    finally:
        for d in others:
            await d.dispose()
    assert len({k.application_server_key for k in keys}) == 1
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(vapid_keys))).scalar_one() == 1


async def test_a_device_subscribes_once_and_a_new_subscription_replaces_it(api, demo_db):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        first, second = push_service.subscribe(), push_service.subscribe()
        tech = await login(api, "tech", device="phone-1")
        r = await api.post("/api/push/subscriptions", json=_sub(first), headers=tech)
        assert r.status_code == 201, r.text
        assert r.json()["endpoint"] == first.endpoint
        r = await api.post("/api/push/subscriptions", json=_sub(second), headers=tech)
        assert r.status_code == 201, r.text
        rows = await _rows(demo_db)
        assert [(row.user_id, row.endpoint) for row in rows] == [("usr_tech", second.endpoint)]

        # Another device of the same person has its own subscription.
        other = push_service.subscribe()
        tech_tablet = await login(api, "tech", device="tablet")
        assert (await api.post("/api/push/subscriptions", json=_sub(other), headers=tech_tablet)).status_code == 201
        assert len(await _rows(demo_db)) == 2


async def test_the_same_browser_endpoint_follows_the_latest_login(api, demo_db):  # noqa: ANN001
    # One shared phone: tech logs in and subscribes, then the cleaner logs in on the same browser.
    with PushServiceDouble() as push_service:
        phone = push_service.subscribe()
        await api.post("/api/push/subscriptions", json=_sub(phone), headers=await login(api, "tech"))
        await api.post("/api/push/subscriptions", json=_sub(phone), headers=await login(api, "cleaner"))
        assert [row.user_id for row in await _rows(demo_db)] == ["usr_cleaner"]


async def test_unsubscribe_removes_only_this_devices_subscription(api, demo_db):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        tech, dispatcher = await login(api, "tech"), await login(api, "dispatcher")
        await api.post("/api/push/subscriptions", json=_sub(push_service.subscribe()), headers=tech)
        await api.post("/api/push/subscriptions", json=_sub(push_service.subscribe()), headers=dispatcher)
        r = await api.delete("/api/push/subscriptions", headers=tech)
        assert r.status_code == 200 and r.json() == {"deleted": 1}
        assert [row.user_id for row in await _rows(demo_db)] == ["usr_dispatcher"]
        r = await api.delete("/api/push/subscriptions", headers=tech)
        assert r.json() == {"deleted": 0}


async def test_plain_http_endpoints_are_refused_unless_the_test_push_service_setting_allows_them(
        settings, demo_db):  # noqa: ANN001
    # By default a staff login cannot point the server's pushes at a port on the server's machine.
    app = create_app(settings, db=demo_db, migrate=False)
    app.state.db, app.state.settings = demo_db, settings
    assert settings.push_allow_http_loopback is False
    with PushServiceDouble() as push_service:
        keys = _sub(push_service.subscribe())["keys"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        tech = await login(c, "tech")
        for endpoint in ("http://127.0.0.1:9/push/x", "http://localhost:9/p", "http://[::1]:9/p"):
            r = await c.post("/api/push/subscriptions", json={"endpoint": endpoint, "keys": keys}, headers=tech)
            assert r.status_code == 400, (endpoint, r.text)
            assert r.json()["code"] == "push.invalid_subscription"
        r = await c.post("/api/push/subscriptions", headers=tech,
                         json={"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys})
        assert r.status_code == 201, r.text


async def test_endpoints_must_be_https_except_on_this_machine(api, demo_db):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        keys = _sub(push_service.subscribe())["keys"]
    tech = await login(api, "tech")
    ok = ["https://fcm.googleapis.com/fcm/send/abc", "http://127.0.0.1:9/push/x", "http://localhost:9/p"]
    for endpoint in ok:
        r = await api.post("/api/push/subscriptions", json={"endpoint": endpoint, "keys": keys}, headers=tech)
        assert r.status_code == 201, (endpoint, r.text)
    bad = ["http://push.example.com/x", "ftp://127.0.0.1/x", "javascript:alert(1)", "https://", "x" * 10,
           "https://push.example.com/" + "a" * 1000, "http://127.0.0.2.example.com/x"]
    for endpoint in bad:
        r = await api.post("/api/push/subscriptions", json={"endpoint": endpoint, "keys": keys}, headers=tech)
        assert r.status_code == 400, (endpoint, r.text)
        assert r.json()["code"] == "push.invalid_subscription"


async def test_subscription_keys_are_checked(api):  # noqa: ANN001
    with PushServiceDouble() as push_service:
        good = _sub(push_service.subscribe())
    tech = await login(api, "tech")
    for keys, field in (
        ({"p256dh": "AAAA", "auth": good["keys"]["auth"]}, "keys.p256dh"),
        ({"p256dh": good["keys"]["p256dh"], "auth": "c2hvcnQ"}, "keys.auth"),
    ):
        r = await api.post("/api/push/subscriptions", json={"endpoint": good["endpoint"], "keys": keys},
                              headers=tech)
        assert r.status_code == 400, r.text
        assert r.json()["details"]["field"] == field
    r = await api.post("/api/push/subscriptions", json={"endpoint": good["endpoint"]}, headers=tech)
    assert r.status_code == 400
