"""The technician's phone keeps its promises about syncing: refusals are shown with the server's reason,
the outbox is sent on every trigger (start, back in view, the minute timer, Background Sync), storage is
made persistent, and countdowns run on the server's clock even when the phone's clock is wrong."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_offline import _dispatched_repair, _phone_showing
from e2e.test_shell import login, wait_until_controlled

PUSH = "**/api/sync/push"
# The reasons the server gives (server/domain/cases.py _wo_state_refusal) for an action on a work order
# that is no longer in a state that allows it, and on one the desk has given to someone else.
WRONG_STATE_ZH = "派工单当前为「已报无法完成」，不能执行此操作"
WITHDRAWN_ZH = "该派工单已被调度改派或取消，本条记录未记入该工单"


def _pending(page: Page):  # noqa: ANN202
    return page.locator("[data-testid=pending-count]")


def _work_order(server, case_id: str, assignee: str = "usr_tech") -> dict:  # noqa: ANN001
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    return [wo for wo in view["case"]["work_orders"] if wo["assignee_id"] == assignee][-1]


def _eventually(page: Page, condition, message, timeout_s: float = 30) -> None:  # noqa: ANN001
    """Until `condition()` holds, for state no locator can see (the server's, or a CDP session's).

    Polls through page.wait_for_timeout so that Playwright keeps delivering events between checks.
    `message` may be a function, to describe the state at the time of failure.
    """
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, message() if callable(message) else message
        page.wait_for_timeout(200)


def _accept_while_pushes_fail(page: Page, content: str) -> None:
    """Accept the job while every push from the page is refused at the network: the intent waits."""
    page.route(PUSH, lambda route: route.abort())
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)
    # The page tried and failed (a network failure reads as offline); nothing is in flight any more.
    expect(page.locator(".syncbar")).to_have_class(re.compile(r"\bsyncbar-offline\b"), timeout=15000)


def _without_background_sync(ctx: BrowserContext, page: Page, origin: str) -> CDPSession:
    """Background Sync denied, as on Safari and Firefox: only the page's own triggers can send the outbox.

    Otherwise Chromium fires the service worker's sync as soon as the page registers it, and a test of a
    page trigger could pass on the service worker's work. The override lasts as long as the returned
    CDP session: keep it until the end of the test.
    """
    cdp = ctx.new_cdp_session(page)
    context_id = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    cdp.send(
        "Browser.setPermission",
        {
            "permission": {"name": "background-sync"},
            "setting": "denied",
            "origin": origin,
            "browserContextId": context_id,
        },
    )
    return cdp


def _sent_and_accepted(page: Page, server, case_id: str) -> None:  # noqa: ANN001
    """The outbox has emptied by itself and the server has the acceptance."""
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=15000)
    assert _work_order(server, case_id)["state"] == "accepted"


def _accepted_offline_with_a_movable_clock(browser: Browser, server, content: str):  # noqa: ANN001, ANN202
    """The technician's phone with the page clock under the test's control (installed before the app
    loads, so its minute timer is one the test can move; time otherwise runs normally), Background
    Sync denied, and the job accepted while pushes fail. Keep the returned CDP session to the end."""
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    no_background_sync = _without_background_sync(ctx, page, server.url)
    _accept_while_pushes_fail(page, content)
    return ctx, page, no_background_sync


# A headless page is always visible (minimising the window or opening another tab does not hide it), so
# the test sets document.visibilityState itself and fires the event the browser would fire.
_SET_VISIBILITY = """(state) => {
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => state !== 'visible'});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_a_refused_action_shows_the_servers_reason_and_does_not_block_the_queue(
    browser: Browser, server
) -> None:  # noqa: ANN001  # design guarantee 1
    reassigned = f"楼道感应灯不亮 {uuid.uuid4().hex[:6]}"
    kept = f"消防栓门锁损坏 {uuid.uuid4().hex[:6]}"
    reassigned_id = _dispatched_repair(server, reassigned)
    kept_id = _dispatched_repair(server, kept)
    ctx, page = _phone_showing(browser, server, reassigned)
    expect(page.locator(".job-card", has_text=kept)).to_be_visible(timeout=15000)

    # In the basement the technician accepts both jobs; the first is queued before the second.
    ctx.set_offline(True)
    for content in (reassigned, kept):
        page.goto(server.url + "/#/jobs")
        page.locator(".job-card", has_text=content).click()
        page.locator("[data-action=accept]").click()
        expect(page.locator("[data-testid=job-state]")).to_have_text("已接单")
    expect(_pending(page)).to_have_attribute("data-count", "2", timeout=15000)

    # Meanwhile the desk gives the first job to another technician: that acceptance can no longer apply.
    Api(server.url, "dispatcher").call(
        "POST",
        f"/api/cases/{reassigned_id}/dispatch",
        {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]},
    )

    ctx.set_offline(False)
    # The refusal does not hold the queue: nothing is left waiting, and the later acceptance applied.
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)
    expect(page.locator(".syncbar-refused")).to_have_text("被拒 1 条")
    assert _work_order(server, kept_id)["state"] == "accepted"
    assert _work_order(server, reassigned_id)["state"] == "cancelled"
    assert _work_order(server, reassigned_id, "usr_tech2")["state"] == "dispatched"

    # The outbox tells the technician which action was refused and the server's reason, in Chinese.
    page.goto(server.url + "/#/outbox")
    refused = page.locator(".outbox-item[data-state=refused]")
    expect(refused).to_have_count(1)
    expect(refused.locator(".outbox-top")).to_contain_text("接单")
    # The job has left this phone: the entry still names its case, and does not link to a missing page.
    case_no = Api(server.url, "dispatcher").call("GET", f"/api/cases/{reassigned_id}")["case"]["no"]
    expect(refused.locator(".outbox-top")).to_contain_text(f"{case_no}（已不在本机）")
    expect(refused.locator(".outbox-top a")).to_have_count(0)
    expect(refused.locator(".badge")).to_have_text("被拒绝")
    expect(refused.locator(".refusal-reason")).to_have_text(WITHDRAWN_ZH)
    expect(page.locator(".outbox-item[data-state=sent]")).to_have_count(1)
    # It stays until the technician acknowledges it.
    refused.get_by_role("button", name="知道了").click()
    expect(refused).to_have_count(0)
    expect(page.locator(".syncbar-refused")).to_have_count(0)
    ctx.close()


def test_a_refusal_on_a_job_still_on_the_phone_is_shown_on_that_job(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 1
    content = f"水箱浮球阀失灵 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)
    job_id = _work_order(server, case_id)["id"]

    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)

    # The same technician, signed in on another phone, has meanwhile reported the job cannot be done.
    other_phone = Api(server.url, "tech")
    answer = other_phone.call(
        "POST",
        "/api/sync/push",
        {
            "client_id": f"e2e-{uuid.uuid4().hex}",
            "mutations": [
                {"mutation_id": 1, "type": "job.unable", "args": {"job_id": job_id, "reason": "缺少配件"}}
            ],
        },
    )
    assert answer["results"][0]["status"] == "applied", answer

    ctx.set_offline(False)
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=30000)
    # The job stays on the phone (as unable), and its page says which action the server refused and why.
    expect(page.locator("[data-testid=job-state]")).to_have_text("无法完成", timeout=15000)
    card = page.locator(".refused-card")
    expect(card).to_be_visible()
    expect(card.locator("h2")).to_have_text("服务器拒绝了以下操作")
    expect(card.locator(".refused-item")).to_have_count(1)
    expect(card.locator(".refused-item")).to_contain_text(f"接单 — {WRONG_STATE_ZH}")
    assert _work_order(server, case_id)["state"] == "unable"
    ctx.close()


def test_the_outbox_is_sent_when_the_app_starts(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"车库卷帘门卡住 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)
    no_background_sync = _without_background_sync(ctx, page, server.url)
    _accept_while_pushes_fail(page, content)

    # The server is reachable again, but nothing tells this page so; the next start of the app sends it.
    page.unroute(PUSH)
    page.reload()
    _sent_and_accepted(page, server, case_id)
    no_background_sync.detach()
    ctx.close()


def test_the_outbox_is_sent_when_the_app_comes_back_into_view(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"电梯按钮失灵 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page, no_background_sync = _accepted_offline_with_a_movable_clock(browser, server, content)

    # The technician switches to another app. While hidden, the minute timer does not sync; jumping past
    # it here means its next run is a minute away, so only the return to the app can send the outbox.
    page.evaluate(_SET_VISIBILITY, "hidden")
    page.clock.fast_forward(61_000)
    page.unroute(PUSH)
    page.evaluate(_SET_VISIBILITY, "visible")
    _sent_and_accepted(page, server, case_id)
    no_background_sync.detach()
    ctx.close()


def test_the_outbox_is_retried_every_minute_while_the_app_is_open(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"单元门禁无法刷卡 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page, no_background_sync = _accepted_offline_with_a_movable_clock(browser, server, content)

    page.unroute(PUSH)
    # No event tells the page the server is back; a minute later its timer tries again.
    page.clock.fast_forward(61_000)
    _sent_and_accepted(page, server, case_id)
    no_background_sync.detach()
    ctx.close()


_SYNC_TAGS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    for (let i = 0; i < 100; i++) {
        const tags = await registration.sync.getTags();
        if (tags.length) return tags;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return registration.sync.getTags();
}"""


def test_background_sync_sends_the_outbox_with_the_app_closed_when_the_network_returns(
    browser: Browser, server
) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"地库排风机停转 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)

    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)
    # Offline, the app leaves the job to the service worker: a Background Sync registration.
    assert page.evaluate(_SYNC_TAGS) == ["outbox"]

    # The technician closes the app, then walks back into signal. No page of the app is open.
    page.goto("about:blank")
    ctx.set_offline(False)
    _eventually(
        page,
        lambda: _work_order(server, case_id)["state"] == "accepted",
        "the service worker did not send the acceptance",
    )
    ctx.close()


def test_a_failed_background_sync_is_kept_for_the_browser_to_retry_and_the_retry_sends_it(
    browser: Browser, server
) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"水泵房漏水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)
    # Chromium's own record of Background Sync for this phone (what DevTools shows under Application).
    cdp = ctx.new_cdp_session(page)
    sync_log: list[str] = []
    cdp.on(
        "BackgroundService.backgroundServiceEventReceived",
        lambda e: sync_log.append(e["backgroundServiceEvent"]["eventName"]),
    )
    cdp.send("BackgroundService.startObserving", {"service": "backgroundSync"})
    cdp.send("BackgroundService.setRecording", {"shouldRecord": True, "service": "backgroundSync"})
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")

    # The server cannot be reached from this phone, by the page or by the service worker.
    ctx.route(PUSH, lambda route: route.abort())
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(_pending(page)).to_have_attribute("data-count", "1", timeout=15000)
    # The page hands the job to Background Sync, which Chromium runs at once. The service worker fails
    # too and says so, so the browser keeps the sync for a later attempt instead of forgetting it.
    _eventually(page, lambda: "sync event failed" in sync_log, lambda: f"no failed sync: {sync_log}", 15)
    assert sync_log[:3] == ["Registered sync", "Dispatched sync event", "sync event failed"], sync_log
    assert _work_order(server, case_id)["state"] == "dispatched"

    # The app is closed; later the server is reachable again. Chromium's retry comes minutes later:
    # DevTools fires it now (the service worker's 'sync' event, tag 'outbox').
    page.goto("about:blank")
    ctx.unroute(PUSH)

    def ours() -> list[dict]:
        cdp.send("Runtime.evaluate", {"expression": "0"})  # a round trip delivers the session's events
        return [r for r in registrations if r["scopeURL"] == server.url + "/" and not r["isDeleted"]]

    _eventually(page, ours, lambda: f"no service worker registration: {registrations}", 10)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": server.url,
            "registrationId": ours()[0]["registrationId"],
            "tag": "outbox",
            "lastChance": False,
        },
    )
    _eventually(
        page,
        lambda: _work_order(server, case_id)["state"] == "accepted",
        "the service worker did not send the acceptance",
    )
    ctx.close()


# Chromium answers navigator.storage.persist() from its 'persistent-storage' permission (never granted in a
# headless browser by itself), and persisted() is true as soon as that permission is granted, asked or not. To see that the app itself asks, its
# calls are recorded and held until the test, playing the browser's part, has granted the request.
_RECORD_PERSIST_ASKS = """(() => {
    const storage = navigator.storage;
    const persist = storage.persist.bind(storage);
    let release;
    const granted = new Promise((resolve) => { release = resolve; });
    window.__persistAsks = [];
    window.__answerPersistAsks = () => release();
    storage.persist = () => {
        const answer = granted.then(persist);
        window.__persistAsks.push(answer);
        window.dispatchEvent(new Event('persist-asked'));
        return answer;
    };
})();"""

_ASKED = """() => window.__persistAsks.length || new Promise((resolve) => {
    window.addEventListener('persist-asked', () => resolve(window.__persistAsks.length), {once: true});
    setTimeout(() => resolve(window.__persistAsks.length), 15000);
})"""


def test_the_app_asks_for_persistent_storage_when_someone_signs_in(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.add_init_script(script=_RECORD_PERSIST_ASKS)
    page = ctx.new_page()
    page.goto(server.url + "/")
    expect(page.locator("input[name=username]")).to_be_visible(timeout=15000)
    # Until someone signs in the phone's storage is best effort, and the app has not asked.
    assert page.evaluate("navigator.storage.persisted()") is False
    assert page.evaluate("window.__persistAsks.length") == 0

    login(page, "tech")
    expect(page.locator("[data-view=jobs]")).to_be_visible(timeout=15000)
    assert page.evaluate(_ASKED) >= 1
    assert page.evaluate("navigator.storage.persisted()") is False

    # The browser grants the request (as Chrome does for an installed app): the storage is persistent.
    cdp = ctx.new_cdp_session(page)
    context_id = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    cdp.send(
        "Browser.setPermission",
        {
            "permission": {"name": "persistent-storage"},
            "setting": "granted",
            "origin": server.url,
            "browserContextId": context_id,
        },
    )
    page.evaluate("window.__answerPersistAsks()")
    answers = page.evaluate("Promise.all(window.__persistAsks)")
    assert answers and all(answer is True for answer in answers), answers
    assert page.evaluate("navigator.storage.persisted()") is True
    ctx.close()


def _countdown_texts(minutes_left: float, slack: int = 2) -> re.Pattern:
    """The countdowns clock.js may show for a deadline `minutes_left` away, give or take `slack` minutes."""

    def fmt(m: int) -> str:
        d, rest = divmod(abs(m), 1440)
        h, mins = divmod(rest, 60)
        parts = ([f"{d} 天"] if d else []) + ([f"{h} 小时"] if h or d else []) + ([] if d else [f"{mins} 分钟"])
        return ("剩余 " if m >= 0 else "已超时 ") + " ".join(parts[:2])

    centre = int(minutes_left)
    return re.compile(
        "^(" + "|".join(re.escape(fmt(m)) for m in range(centre - slack, centre + slack + 1)) + ")( ·|$)"
    )


def test_countdowns_on_a_phone_with_a_wrong_clock_follow_the_servers_time(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 4
    content = f"二次供水泵报警 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    # Every deadline the server set for this job: its clocks and the work order's own deadline.
    server_dues = {datetime.fromisoformat(c["due_at"]) for c in view["clocks"] if c["running"]}
    server_dues.add(datetime.fromisoformat(view["case"]["work_orders"][-1]["deadline_at"]))

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    # The phone's clock runs three hours fast: read on it, the arrival deadline would be long past.
    page.clock.install(time=datetime.now(UTC) + timedelta(hours=3))
    page.goto(server.url + "/")
    login(page, "tech")
    card = page.locator(".job-card", has_text=content)
    expect(card).to_be_visible(timeout=20000)
    phone_ahead_s = page.evaluate("Date.now()") / 1000 - time.time()
    assert 3 * 3600 - 120 < phone_ahead_s < 3 * 3600 + 120, phone_ahead_s

    # The card counts down to one of the server's deadlines (the earliest still open), on real time.
    countdown = card.locator(".countdown")
    due = datetime.fromisoformat(countdown.get_attribute("data-due").replace("Z", "+00:00"))
    assert due in server_dues, (due, server_dues)
    minutes_left = (due - datetime.now(UTC)).total_seconds() / 60
    expect(countdown).to_have_text(_countdown_texts(minutes_left), timeout=15000)
    expect(card).not_to_have_class(re.compile(r"\bis-overdue\b"))
    card.click()
    minutes_left = (due - datetime.now(UTC)).total_seconds() / 60
    expect(page.locator(".countdown-big")).to_have_text(_countdown_texts(minutes_left), timeout=15000)
    ctx.close()


# Every state the sync bar shows, in order (its syncbar-<state> class), recorded from the first paint.
_RECORD_BAR_STATES = """(() => {
    window.__barStates = [];
    new MutationObserver(() => {
        const bar = document.querySelector('.syncbar');
        const state = bar && (bar.className.match(/\\bsyncbar-(\\w+)/) || [])[1];
        if (state && window.__barStates[window.__barStates.length - 1] !== state) window.__barStates.push(state);
    }).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
})();"""


def test_the_bar_says_what_background_sync_sent_without_waiting_for_the_pages_next_run(
    browser: Browser, server
) -> None:  # noqa: ANN001  # design guarantee 6 (D145)
    content = f"地库照明不亮 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.add_init_script(script=_RECORD_BAR_STATES)
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)

    # The page's own push fails at the network (it then says 离线 and hands the outbox to Background Sync);
    # the service worker's push gets through (page routes do not reach it).
    page.route(PUSH, lambda route: route.abort())
    page.evaluate("window.__barStates = []")
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    _eventually(page, lambda: _work_order(server, case_id)["state"] == "accepted",
                "the service worker did not send the acceptance")
    expect(_pending(page)).to_have_attribute("data-count", "0", timeout=15000)
    # The bar leaves 离线 as soon as the service worker reports, not at the page's next run a minute on.
    expect(page.locator(".syncbar")).to_have_class(re.compile(r"\bsyncbar-online\b"), timeout=5000)
    expect(page.locator(".syncbar-state")).to_have_text("在线")
    states = page.evaluate("window.__barStates")
    assert "offline" in states and states[-1] == "online", states
    ctx.close()
