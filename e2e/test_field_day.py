"""A technician's day on a 360 px phone, offline: what the sync buttons and the outbox promise (#4 point 7)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import PHONE
from e2e.test_field_offline import _dispatched_repair, _phone_showing
from e2e.test_field_sync_triggers import _work_order

# Puts an old refusal under client id `cid` for the technician and makes `cid` this phone's client id,
# as if an earlier sync had been answered under it (IndexedDB written directly: the app has no way to
# be told its client id belongs to someone else on purpose).
_ADOPT_CLIENT = """async (cid) => {
    const db = await new Promise((ok, no) => { const r = indexedDB.open('estatedesk'); r.onsuccess = () => ok(r.result); r.onerror = no; });
    const tx = db.transaction(['kv', 'outbox'], 'readwrite');
    const kv = tx.objectStore('kv');
    const get = (k) => new Promise((ok) => { const r = kv.get(k); r.onsuccess = () => ok(r.result); });
    const map = (await get('clientId')) || {};
    map.usr_tech = cid;
    kv.put(map, 'clientId');
    const next = (await get('nextMutationId')) || {};
    next[cid] = 2;
    kv.put(next, 'nextMutationId');
    const at = new Date(Date.now() - 3600e3).toISOString();
    tx.objectStore('outbox').put({
        client_id: cid, user_id: 'usr_tech', mutation_id: 1, type: 'job.arrive', args: {job_id: 'wo_gone'},
        device_time: at, state: 'refused', code: 'job.reassigned', message: '旧的拒绝：此工单已转派',
        message_en: 'old refusal', attempts: 1, created_at: at, sent_at: at, dismissed_at: null, blobs: [],
        case_no: 'GD20261101-0001'});
    await new Promise((ok) => { tx.oncomplete = ok; });
    db.close();
    return true;
}"""


def test_an_outbox_the_server_ties_to_another_user_moves_to_a_new_client_and_keeps_its_refusals(
    browser: Browser, server,  # noqa: ANN001
) -> None:  # design guarantees 1 and 6
    content = f"水表井盖松动 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    # The server already knows this client id as the second technician's (e.g. restored data).
    taken = "c" + uuid.uuid4().hex
    Api(server.url, "tech2").call("POST", "/api/sync/push", {"client_id": taken, "mutations": []})

    ctx, page = _phone_showing(browser, server, content, PHONE)
    ctx.set_offline(True)
    assert page.evaluate(_ADOPT_CLIENT, taken) is True
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(page.locator("[data-testid=job-state]")).to_have_text("已接单", timeout=15000)

    # Back online (the service worker may get there first): the server refuses the client id; the
    # waiting acceptance moves to a fresh one and is sent.
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    assert _work_order(server, case_id)["accepted_at"]

    # The refusal recorded under the old client id is still shown until dismissed.
    page.goto(server.url + "/#/outbox")
    expect(page.locator(".outbox-refused")).to_contain_text("旧的拒绝：此工单已转派")
    expect(page.locator(".syncbar-refused")).to_have_text("被拒 1 条")
    expect(page.locator(".outbox-sent", has_text="接单")).to_be_visible()
    ctx.close()


def test_the_sync_buttons_say_the_phone_is_offline_instead_of_doing_nothing(browser: Browser, server) -> None:  # noqa: ANN001  # design guarantee 6
    content = f"单元门禁失灵 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, PHONE)
    ctx.set_offline(True)
    toast = page.locator("#toast")
    page.locator(".view-head [data-action=sync-now]").click()  # 刷新 on the job list
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("当前离线")
    page.goto(server.url + "/#/outbox")
    page.evaluate("document.getElementById('toast')?.classList.remove('show')")
    page.locator(".view-head [data-action=sync-now]").click()  # 立即同步
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("联网后会自动发送")

    # Online, the same button reports that the sync went through.
    ctx.set_offline(False)
    page.locator(".view-head [data-action=sync-now]").click()
    expect(toast).to_contain_text("已同步", timeout=15000)
    ctx.close()
