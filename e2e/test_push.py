"""A push reminder on the technician's phone: the service worker shows it, and opening it opens the job.

Chromium here cannot subscribe at a real push service, so the push is handed to the service worker
through the DevTools protocol (ServiceWorker.deliverPushMessage): from there on it is the real
`push` handler and the real notification. The payload is built by the server's own
`reminder_payload`, for a real job dispatched through the desk API.

Clicking a notification: no DevTools command clicks a persistent notification, so a
NotificationEvent for the shown notification is dispatched inside the service worker and runs its
real `notificationclick` handler. Chromium refuses WindowClient.focus() outside a real click; the
handler navigates the open app first and focuses last, so the navigation is what is checked
(breaking the handler's navigate message makes this test fail).
"""

from __future__ import annotations

import json
import time
import urllib.request

from playwright.sync_api import Browser, expect

from e2e.conftest import PHONE
from e2e.test_shell import login, wait_for_hash, wait_until_controlled
from server.domain.roles import Role
from server.notify.reminders import ESCALATION, ESCALATION_CODE, OVERDUE, Planned, payload_for
from server.notify.webpush import reminder_payload


def _api(server, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:  # noqa: ANN001
    req = urllib.request.Request(
        server.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _dispatch_repair_to_tech(server) -> tuple[str, str]:  # noqa: ANN001
    token = _api(server, "POST", "/api/auth/login",
                 {"username": "dispatcher", "password": "demo", "device_name": "e2e-desk"})["token"]
    view = _api(server, "POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": "卫生间水管漏水", "repair_class": "small",
    }, token)
    case_id = view["case"]["id"]
    _api(server, "POST", f"/api/cases/{case_id}/decide", {"open": True, "reason": "A"}, token)
    view = _api(server, "POST", f"/api/cases/{case_id}/dispatch",
                {"assignee_id": "usr_tech", "job": "推送测试：更换水管", "unreached_lead_ids": ["usr_lead"]}, token)
    return case_id, view["case"]["work_orders"][-1]["id"]


def _notifications(page, ready, timeout_s: float = 10.0) -> list[dict]:  # noqa: ANN001
    """The service worker registration's notifications, polled until `ready(list)` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        ns = page.evaluate(
            """async () => (await (await navigator.serviceWorker.ready).getNotifications())
                .map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}))"""
        )
        if ready(ns):
            return ns
        assert time.monotonic() < deadline, ns
        page.wait_for_timeout(100)


def _push_channel(ctx, page, server):  # noqa: ANN001, ANN202
    """A DevTools session and the app's service worker registration id, to hand pushes to."""
    cdp = ctx.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not any(r["scopeURL"] == server.url + "/" and not r["isDeleted"] for r in registrations):
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(100)
    return cdp, next(r["registrationId"] for r in registrations if r["scopeURL"] == server.url + "/")


def test_a_push_reminder_shows_a_chinese_notification_that_opens_the_job(browser: Browser, server) -> None:  # noqa: ANN001
    case_id, job_id = _dispatch_repair_to_tech(server)
    payload = reminder_payload(case_id=case_id, job_id=job_id, kind="before_due",  # type: ignore[arg-type]
                               title="即将到期：派工后 15 分钟到场", body="GD-推送测试 1栋-101：卫生间水管漏水")

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.grant_permissions(["notifications"], origin=server.url)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    # The dispatched job has reached the phone (it is in the technician's list).
    expect(page.get_by_text("推送测试：更换水管")).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    assert page.evaluate("Notification.permission") == "granted"

    cdp, reg_id = _push_channel(ctx, page, server)
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": server.url, "registrationId": reg_id, "data": json.dumps(payload, ensure_ascii=False)})
    shown = _notifications(page, lambda ns: len(ns) > 0)
    assert [(n["title"], n["tag"]) for n in shown] == [("即将到期：派工后 15 分钟到场", f"case-{case_id}")]
    assert shown[0]["body"] == payload["body"]
    assert shown[0]["data"]["url"] == f"/#/job/{job_id}"

    # A second reminder about the same case replaces the first (one notification per case).
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": server.url, "registrationId": reg_id,
                                                  "data": json.dumps({**payload, "title": "已超时：派工后 15 分钟到场"})})
    replaced = _notifications(page, lambda ns: ns and ns[0]["title"].startswith("已超时"))
    assert [(n["title"], n["tag"]) for n in replaced] == [("已超时：派工后 15 分钟到场", f"case-{case_id}")]

    # The click half: a notificationclick event for the shown notification goes through the service
    # worker's own handler (it navigates the open app before focusing it, so the headless browser's
    # refusal of a synthetic focus() cannot lose the navigation).
    [worker] = [w for w in ctx.service_workers if w.url.endswith("/service-worker.js")]
    worker.evaluate(
        """async () => {
            const [n] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n}));
        }"""
    )
    wait_for_hash(page, f"#/job/{job_id}")
    expect(page.locator("a.back-link")).to_be_visible(timeout=15000)  # the job page, not the list
    expect(page.get_by_text("推送测试：更换水管")).to_be_visible()
    expect(page.get_by_text("本机没有这个工单")).to_have_count(0)
    ctx.close()


def test_an_emergency_notification_stays_when_a_routine_reminder_about_the_same_case_arrives(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-2
    # Both tagged case-<id> with renotify, "紧急事件，请立即处理" was replaced minutes later by the
    # same case's "已超时：求助 5 分钟内答复". The payloads are the server's own (payload_for).
    case_id, _ = _dispatch_repair_to_tech(server)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    common = dict(recipient_id=None, due_at=now, send_at=now)
    escalation = payload_for(case_id, Planned(
        code=ESCALATION_CODE, kind=ESCALATION, recipient_role=Role.MANAGER, title="紧急事件：GD-推送测试 1栋-101",
        body="紧急事件，请立即处理：电梯困人", title_en="Emergency: GD-推送测试 1栋-101", body_en="Emergency: act now: 电梯困人",
        **common))  # type: ignore[arg-type]
    routine = payload_for(case_id, Planned(
        code="IN5_HELP_REPLY_5M", kind=OVERDUE, recipient_role=Role.MANAGER, title="已超时：求助 5 分钟内答复",
        body="GD-推送测试 1栋-101：电梯困人", title_en="Overdue: Help request: reply within 5 min",
        body_en="GD-推送测试 1栋-101: 电梯困人", **common))  # type: ignore[arg-type]
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.grant_permissions(["notifications"], origin=server.url)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.get_by_text("推送测试：更换水管").first).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    cdp, reg_id = _push_channel(ctx, page, server)
    for payload in (escalation, routine):
        cdp.send("ServiceWorker.deliverPushMessage",
                 {"origin": server.url, "registrationId": reg_id, "data": json.dumps(payload, ensure_ascii=False)})
        _notifications(page, lambda ns, p=payload: any(n["title"] == p["title"] for n in ns))
    shown = _notifications(page, lambda ns: len(ns) >= 2)
    assert sorted((n["title"], n["tag"]) for n in shown) == [
        ("已超时：求助 5 分钟内答复", f"case-{case_id}"), ("紧急事件：GD-推送测试 1栋-101", f"emergency-{case_id}")]
    # The emergency opens the inbox, as every desk and leadership reminder does.
    assert next(n for n in shown if n["tag"].startswith("emergency-"))["data"]["url"] == "/#/reminders"
    # One stored before the tags were kept apart (tagged like the case) is kept apart by the worker.
    older = {**escalation, "tag": f"case-{case_id}", "title": "紧急事件：GD-推送测试 1栋-101（转报）"}
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": server.url, "registrationId": reg_id, "data": json.dumps(older, ensure_ascii=False)})
    shown = _notifications(page, lambda ns: any(n["title"] == older["title"] for n in ns))
    assert sorted((n["title"], n["tag"]) for n in shown) == [
        ("已超时：求助 5 分钟内答复", f"case-{case_id}"), (older["title"], f"emergency-{case_id}")]
    ctx.close()


def test_a_phone_switched_to_english_shows_the_reminder_in_english(browser: Browser, server) -> None:  # noqa: ANN001
    case_id, job_id = _dispatch_repair_to_tech(server)
    payload = reminder_payload(case_id=case_id, job_id=job_id, kind="before_due",  # type: ignore[arg-type]
                               title="即将到期：派工后 15 分钟到场", body="GD-推送测试 1栋-101：卫生间水管漏水（截止 11-23 09:15）",
                               title_en="Due soon: On site 15 min after the work order",
                               body_en="GD-推送测试 1栋-101: 卫生间水管漏水 (due 11-23 09:15)")
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.grant_permissions(["notifications"], origin=server.url)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.get_by_text("推送测试：更换水管").first).to_be_visible(timeout=15000)
    wait_until_controlled(page)
    page.locator(".btn-lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    cdp, reg_id = _push_channel(ctx, page, server)
    # The switch is stored for the service worker (IndexedDB) a moment after the click: wait for it.
    deadline = time.monotonic() + 10
    while True:
        cdp.send("ServiceWorker.deliverPushMessage",
                 {"origin": server.url, "registrationId": reg_id, "data": json.dumps(payload, ensure_ascii=False)})
        shown = _notifications(page, lambda ns: len(ns) > 0)
        if shown[0]["title"] == payload["title_en"] or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert (shown[0]["title"], shown[0]["body"]) == (payload["title_en"], payload["body_en"])
    ctx.close()
