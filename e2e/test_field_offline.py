"""A technician in a basement: arrival and signed completion recorded offline, sent later, closed at the desk."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.conftest import DESK, PHONE
from e2e.test_shell import login, open_desk, wait_until_controlled


def _dispatched_repair(server, content: str) -> str:  # noqa: ANN001
    desk = Api(server.url, "dispatcher")
    case = desk.call("POST", "/api/cases", {
        "kind": "repair", "channel": "phone", "contact_name": "黄业主", "phone": "13800000001",
        "unit_id": "unit_1_101", "content": content, "repair_responsibility": "common", "repair_class": "small",
    })["case"]
    desk.call("POST", f"/api/cases/{case['id']}/decide", {"open": True, "reason": "A"})
    desk.call("POST", f"/api/cases/{case['id']}/dispatch",
              {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    return case["id"]


def _phone_showing(browser: Browser, server, content: str, viewport: dict = PHONE):  # noqa: ANN001, ANN201
    """The technician's phone, signed in, its job list showing `content`, ready to work offline."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    return ctx, page


def _draw_signature(page) -> None:  # noqa: ANN001
    canvas = page.locator("canvas.signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "signature canvas not visible"
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + 20 + i * (box["width"] - 40) / 11, y + box["height"] * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()


def _accept_arrive_and_complete(page, content: str, work_done: str) -> None:  # noqa: ANN001
    """On the phone: open the job, accept, record arrival, and complete with a drawn signature."""
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    page.locator("textarea[name=work_done]").fill(work_done)
    _draw_signature(page)
    page.locator("button[type=submit]").click()


def test_offline_arrival_and_signed_completion_reach_the_desk(browser: Browser, server) -> None:  # noqa: ANN001
    content = f"地下室水泵异响 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)

    ctx, page = _phone_showing(browser, server, content)

    # Into the basement: no network from here on.
    ctx.set_offline(True)
    page.reload()
    _accept_arrive_and_complete(page, content, "更换水泵轴承")
    pending = page.locator("[data-testid=pending-count]")
    expect(pending).to_have_attribute("data-count", "3", timeout=15000)
    signed_by = datetime.now(UTC)  # the resident has signed by now

    # The phone is restarted while still offline: the outbox survives in IndexedDB.
    page.reload()
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "3", timeout=15000)
    time.sleep(4)  # still in the basement: the sync comes well after the signature

    # Back upstairs: the outbox drains by itself.
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()

    desk = Api(server.url, "dispatcher")
    view = desk.call("GET", f"/api/cases/{case_id}")
    assert view["case"]["state"] == "completed"
    assert view["slip_valid"] is True
    slip = view["case"]["slip"]
    assert slip["signer_name"] == "黄业主" and slip["signature_sha256"]
    # Arrival counts at server receive time; the phone's own clock is kept beside it.
    wo = view["case"]["work_orders"][-1]
    assert wo["arrived_at"] and wo["arrived_device_at"]
    # The job and the slip count when the resident signed, not when the phone synced (D97): the slip the
    # phone showed offline and the stored one say the same time.
    done = datetime.fromisoformat(wo["completed_at"].replace("Z", "+00:00"))
    assert done <= signed_by, (done, signed_by)
    assert datetime.fromisoformat(slip["signed_at"].replace("Z", "+00:00")) == done
    desk.call("POST", f"/api/cases/{case_id}/return-slip")
    desk.call("POST", f"/api/cases/{case_id}/countersign")
    closed = desk.call("POST", f"/api/cases/{case_id}/close", {"result": "已修复"})
    assert closed["case"]["state"] == "closed"


def test_an_arrival_recorded_offline_stops_the_on_site_countdown_at_once(browser: Browser, server) -> None:  # noqa: ANN001
    content = f"消防泵房漏水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    clocks = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["clocks"]
    on_site = datetime.fromisoformat(next(c["due_at"] for c in clocks if c["code"] == "FU4_ON_SITE_15M").replace("Z", "+00:00"))
    ctx, page = _phone_showing(browser, server, content, PHONE)

    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    big = page.locator(".countdown-big")
    due = lambda: datetime.fromisoformat(big.get_attribute("data-due").replace("Z", "+00:00"))  # noqa: E731
    assert due() == on_site, "before arriving, the job counts down to being on site"
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    expect(page.locator("[data-testid=job-state]")).to_have_text("已到场", timeout=15000)
    # On site, in a basement: the 15-minute clock is met on the phone, not left to run red until a sync.
    assert due() > on_site
    on_site_row = page.locator("[data-clock=FU4_ON_SITE_15M]")
    expect(on_site_row).to_contain_text("按时达成")
    # Back in signal: the server's job says the same, the met clock stays listed (it vanished, D106).
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    expect(page.locator("[data-testid=job-state]")).to_have_text("已到场", timeout=15000)
    expect(on_site_row).to_have_attribute("data-clock-state", "met", timeout=15000)
    expect(on_site_row).to_contain_text("按时达成")
    ctx.close()


def test_signing_out_with_unsent_work_warns_and_keeps_it_until_the_next_sign_in(browser: Browser, server) -> None:  # noqa: ANN001
    content = f"配电房灯管闪烁 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    # The narrowest phone the app supports.
    ctx, page = _phone_showing(browser, server, content, PHONE)

    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "1", timeout=15000)

    page.goto(server.url + "/#/settings")
    page.locator("[data-action=logout]").click()
    dialog = page.locator(".dialog-body")
    expect(dialog).to_contain_text("1 条记录没有发送")
    page.get_by_role("button", name="仍然退出").click()
    expect(page.locator("input[name=username]")).to_be_visible(timeout=15000)
    # The sign-in page says whose record waits, in words that agree with its count (D113).
    notice = page.locator(".login-form .notice-warn")
    expect(notice).to_have_text("本机还有 1 条未发送的记录，将在张师傅（tech）重新登录后发送。")
    page.locator(".btn-lang").click()
    expect(notice).to_have_text("1 unsent record is on this phone; it is sent when 张师傅 (tech) signs in again.")
    page.locator(".btn-lang").click()
    expect(page.locator(".btn-lang")).to_have_text("EN")

    # Back in signal, the same technician signs in again: the acceptance recorded before is sent.
    ctx.set_offline(False)
    login(page, "tech")
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert view["case"]["work_orders"][-1]["state"] == "accepted"


def test_a_signed_completion_refused_after_a_reassignment_reaches_the_desk_with_the_signature(
    browser: Browser, server
) -> None:  # noqa: ANN001  # design guarantee 1
    content = f"车库排水沟堵塞 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content)

    # The technician does the job offline and the resident signs on the phone ...
    ctx.set_offline(True)
    # The work done is this test's own: another test on the shared server completes "疏通排水沟" too.
    work_done = f"疏通排水沟 {content[-6:]}"
    _accept_arrive_and_complete(page, content, work_done)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "3", timeout=15000)
    # ... while the desk, not reaching them, gives the job to another technician.
    Api(server.url, "dispatcher").call("POST", f"/api/cases/{case_id}/dispatch",
                                       {"assignee_id": "usr_tech2", "unreached_lead_ids": ["usr_lead"]})
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    page.goto(server.url + "/#/outbox")
    refused = page.locator(".outbox-item[data-state=refused]")
    expect(refused).to_have_count(3)
    expect(refused.first).to_contain_text("服务中心也收到了这条记录的内容")
    ctx.close()

    # The desk sees the three refused records on its home page, the completion with the signature.
    desk_ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    desk = desk_ctx.new_page()
    desk.goto(server.url + "/")
    login(desk, "dispatcher")
    panel = desk.locator("[data-testid=field-refusals]")
    expect(panel).to_be_visible(timeout=20000)
    completion = panel.locator(".rf-item", has_text="完工签字").filter(has_text=work_done)
    expect(completion).to_have_count(1)
    expect(completion).to_contain_text("黄业主")
    signature = completion.locator("img.rf-img")
    expect(signature).to_have_count(1)
    expect(signature).to_have_attribute("src", re.compile(r"^blob:"), timeout=15000)
    assert signature.evaluate("(img) => img.decode().then(() => img.naturalWidth)") > 0

    # Marking it handled needs a note, and takes it off the open list; the case keeps the history.
    completion.get_by_role("button", name="标记已处理").click()
    dialog = desk.locator("dialog[open]")
    dialog.locator("[data-testid=dialog-submit]").click()
    expect(dialog.locator(".desk-error")).to_have_text("请写明如何处理了这条记录")
    dialog.locator("textarea[name=note]").fill("已请二号维修工上门复核并由业主重新签字")
    dialog.locator("[data-testid=dialog-submit]").click()
    expect(panel.locator(".rf-item", has_text=work_done)).to_have_count(0, timeout=15000)
    desk.goto(server.url + f"/#/case/{case_id}")
    in_case = desk.locator("[data-testid=field-refusals]")
    expect(in_case.locator(".rf-item")).to_have_count(3, timeout=15000)
    expect(in_case.locator(".rf-item.is-handled")).to_contain_text("已请二号维修工上门复核")
    desk_ctx.close()



# Fills the phone's storage with a scratch IndexedDB database of random (incompressible: Chromium
# compresses IndexedDB values) bytes until the browser's own quota check refuses even one byte.
_FILL_STORAGE = """async () => {
    const d = await new Promise((r) => { const o = indexedDB.open('e2e-filler', 1);
        o.onupgradeneeded = () => o.result.createObjectStore('s'); o.onsuccess = () => r(o.result); });
    const put = (k, n) => new Promise((res) => {
        const v = new Uint8Array(n); for (let i = 0; i < n; i += 65536) crypto.getRandomValues(v.subarray(i, i + 65536));
        const tx = d.transaction('s', 'readwrite'); tx.objectStore('s').put(v, k);
        tx.oncomplete = () => res(true); tx.onabort = () => res(false); });
    let k = 0;
    // Down to single bytes: any headroom left would let the app's own small writes through.
    for (const size of [1 << 20, 1 << 16, 1 << 12, 256, 16, 1]) while (await put('f' + (k++), size));
    d.close();
    return k;
}"""
_FREE_STORAGE = """() => new Promise((r) => { const q = indexedDB.deleteDatabase('e2e-filler');
    q.onsuccess = () => r(true); q.onerror = () => r(false); q.onblocked = () => r(false); })"""


def test_a_completion_on_a_full_phone_says_so_keeps_the_form_and_saves_once_space_is_freed(
        browser: Browser, server) -> None:  # noqa: ANN001  (design.md, sync guarantee 6)
    content = f"电梯厅照明 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    # A small phone: Chromium reads an origin's quota when its storage is first opened, so the
    # override comes before the app's first visit. 24 MB is ample for the app itself.
    ctx.new_cdp_session(page).send("Storage.overrideQuotaForOrigin",
                                   {"origin": server.url.rstrip("/"), "quotaSize": 24 * 1024 * 1024})
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=content)).to_be_visible(timeout=20000)
    wait_until_controlled(page)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    page.locator("textarea[name=work_done]").fill("更换灯管两支")
    _draw_signature(page)

    # The phone is full: the browser's real quota check aborts the write of the signature.
    assert page.evaluate(_FILL_STORAGE) > 4
    page.locator("button[type=submit]").click()
    expect(page.get_by_text("手机存储空间已满")).to_be_visible(timeout=10000)
    # Nothing half-stored, and what the technician entered (and the resident drew) is still there.
    expect(page.locator("textarea[name=work_done]")).to_have_value("更换灯管两支")
    assert page.locator("canvas.signature-canvas").is_visible()
    assert Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["state"] != "completed"
    # (What the sync bar says on a full phone is a unit test, pwa/test/sync-failure.test.mjs. A sync
    # needs room only for what it pulls, and Chromium did not hold the origin at its quota reliably
    # enough to watch the bar here: under load, a retry a moment later sometimes found room again.)

    # Space freed: the same form, pressed again, saves; the signed completion reaches the desk.
    assert page.evaluate(_FREE_STORAGE) is True
    page.locator("button[type=submit]").click()
    expect(page.get_by_text("已完工，待同步")).to_be_visible(timeout=10000)
    desk = Api(server.url, "dispatcher")
    deadline = time.monotonic() + 30
    while (view := desk.call("GET", f"/api/cases/{case_id}"))["case"]["state"] != "completed":
        assert time.monotonic() < deadline, "the completion never reached the server"
        page.wait_for_timeout(250)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()
    assert view["case"]["slip"]["signature_sha256"]


def test_the_residents_rating_travels_with_the_signature_to_the_desk(browser: Browser, server) -> None:  # noqa: ANN001  R-RV-3, R-CL-6
    content = f"楼道声控灯不亮 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, viewport=PHONE)
    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=complete]").click()
    page.locator("textarea[name=work_done]").fill("更换声控开关")
    # The resident picks the grade themselves: no grade is preselected for them, and a grade
    # tapped by mistake can be taken back.
    expect(page.locator("input[name=resident_grade]:checked")).to_have_value("")
    page.locator("input[name=resident_grade][value=A]").check()
    page.locator("input[name=resident_grade][value='']").check()
    expect(page.locator("input[name=resident_grade]:checked")).to_have_value("")
    page.locator("input[name=resident_grade][value=C]").check()
    page.locator("textarea[name=resident_opinion]").fill("等了很久")
    _draw_signature(page)
    page.locator("button[type=submit]").click()
    expect(page.get_by_text("已完工，待同步")).to_be_visible(timeout=10000)
    # The phone's own slip shows it before it is sent.
    page.goto(page.url + "/slip")
    expect(page.locator(".slip-table tr", has_text="住户评价").locator("td")).to_have_text("不满意")
    expect(page.locator(".slip-table tr", has_text="住户意见").locator("td")).to_have_text("等了很久")
    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    ctx.close()

    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert (view["case"]["slip"]["resident_grade"], view["slip_valid"]) == ("C", True)
    desk_ctx, desk = open_desk(browser, server, "dispatcher")
    row = desk.locator("tr.desk-row", has_text=content)
    expect(row.locator("[data-testid=badge-unsatisfied]")).to_have_text("住户不满意", timeout=15000)
    row.click()
    expect(desk.locator("[data-testid=resident-unsatisfied]")).to_be_visible(timeout=10000)
    card = desk.locator("[data-testid=slip]")
    expect(card.locator(".kv-row", has_text="住户评价").locator(".kv-value")).to_have_text("不满意")
    expect(card.locator(".kv-row", has_text="住户意见").locator(".kv-value")).to_have_text("等了很久")
    desk.goto(f"{server.url}/#/case/{case_id}/slip")
    sheet = desk.locator("[data-testid=slip-print]")
    expect(sheet.locator("tr", has_text="住户评价").locator("td")).to_have_text("不满意", timeout=10000)
    expect(sheet.locator("tr", has_text="住户意见").locator("td")).to_have_text("等了很久")
    desk_ctx.close()


def test_the_slip_of_a_job_closed_since_shows_what_the_phone_recorded_not_not_completed(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1
    # Closing the case takes the job off the phone; its slip link must not then say "尚未完工".
    content = f"阳台地漏堵塞 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    desk = Api(server.url, "dispatcher")
    job_id = desk.call("GET", f"/api/cases/{case_id}")["case"]["work_orders"][-1]["id"]
    ctx, page = _phone_showing(browser, server, content)
    _accept_arrive_and_complete(page, content, "疏通地漏，清理杂物")
    deadline = time.monotonic() + 30
    while desk.call("GET", f"/api/cases/{case_id}")["case"]["state"] != "completed":
        assert time.monotonic() < deadline, "the completion did not reach the server"
        page.wait_for_timeout(300)
    desk.call("POST", f"/api/cases/{case_id}/return-slip")
    desk.call("POST", f"/api/cases/{case_id}/countersign")
    desk.call("POST", f"/api/cases/{case_id}/close", {"result": "已修复"})
    page.goto(server.url + f"/#/job/{job_id}/slip")
    deadline = time.monotonic() + 30
    while not page.get_by_test_id("slip-closed").is_visible():  # until a pull takes the job off the phone
        assert time.monotonic() < deadline, "the phone never showed the slip of the closed job"
        page.reload()
        page.wait_for_timeout(1000)
    expect(page.get_by_test_id("slip-closed")).to_contain_text("已完工并销项")
    slip = page.locator("article.slip")
    expect(slip).to_contain_text("疏通地漏，清理杂物")
    expect(slip).to_contain_text("黄业主")
    expect(page.get_by_text("尚未完工")).to_have_count(0)
    ctx.close()

    # A phone that never had the job says where the signed slip is, not "not completed".
    other = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = other.new_page()
    page.goto(server.url + "/")
    login(page, "tech2")
    expect(page.locator("[data-testid=pending-count]")).to_be_visible(timeout=20000)
    page.goto(server.url + f"/#/job/{job_id}/slip")
    expect(page.get_by_test_id("slip-gone")).to_contain_text("服务单存于服务中心")
    expect(page.get_by_text("尚未完工")).to_have_count(0)
    other.close()


def test_the_technicians_list_puts_the_job_nearest_its_deadline_on_top(browser: Browser, server) -> None:  # noqa: ANN001  # R-FU-4
    # On site at the first job, whose work order is due first; the second was dispatched later, so
    # its work order is due later, but its 15-minute on-site clock runs out long before that.
    tag = uuid.uuid4().hex[:6]
    first_id = _dispatched_repair(server, f"先派的工单 {tag}")
    desk = Api(server.url, "dispatcher")
    first = desk.call("GET", f"/api/cases/{first_id}")["case"]
    tech = Api(server.url, "tech")
    res = tech.call("POST", "/api/sync/push", {"client_id": "c" + uuid.uuid4().hex, "mutations": [
        {"mutation_id": i + 1, "type": t, "args": {"job_id": first["work_orders"][-1]["id"]},
         "device_time": datetime.now(UTC).isoformat()} for i, t in enumerate(("job.accept", "job.arrive"))]})
    assert [r["status"] for r in res["results"]] == ["applied"] * 2, res
    second = desk.call("GET", f"/api/cases/{_dispatched_repair(server, f'后派的工单 {tag}')}")["case"]
    assert second["work_orders"][-1]["deadline_at"] > first["work_orders"][-1]["deadline_at"]  # the test means something

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server.url + "/")
    login(page, "tech")
    expect(page.locator(".job-card", has_text=f"后派的工单 {tag}")).to_be_visible(timeout=20000)
    expect(page.locator(".job-card", has_text=f"先派的工单 {tag}")).to_be_visible()
    numbers = page.locator(".job-card .job-no").all_inner_texts()
    assert numbers.index(second["no"]) < numbers.index(first["no"]), numbers
    # Finished jobs come after every open one.
    done = page.locator(".job-card").evaluate_all("cards => cards.map((c) => c.classList.contains('is-done'))")
    assert done == sorted(done), done
    ctx.close()


def test_a_linked_problem_reported_offline_shows_its_new_case_number_after_the_sync(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1 C
    content = f"厨房水龙头漏水 {uuid.uuid4().hex[:6]}"
    case_id = _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, PHONE)
    ctx.set_offline(True)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=linked_problem]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea").fill("楼上卫生间渗水")
    dialog.locator("button[type=submit]").click()
    item = page.locator(".note", has_text="楼上卫生间渗水")
    expect(item).to_contain_text("待同步", timeout=10000)
    expect(item).to_contain_text("同步后显示新报修单号")

    ctx.set_offline(False)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    [child_id] = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]["linked_case_ids"]
    child_no = Api(server.url, "dispatcher").call("GET", f"/api/cases/{child_id}")["case"]["no"]
    # Still on the job after the sync, with the number the resident will quote.
    expect(item.locator("[data-testid=linked-case-no]")).to_have_text(f"已另开报修单 {child_no}，请告知住户此单号",
                                                                     timeout=30000)
    expect(item).not_to_contain_text("待同步")
    ctx.close()


def test_an_unable_job_stays_open_says_what_happens_next_and_takes_notes(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-3
    content = f"阳台地漏反水 {uuid.uuid4().hex[:6]}"
    _dispatched_repair(server, content)
    ctx, page = _phone_showing(browser, server, content, PHONE)
    page.locator(".job-card", has_text=content).click()
    page.locator("[data-action=accept]").click()
    page.locator("[data-action=arrive]").click()
    page.locator("[data-action=unable]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea").fill("需更换整段排水管，缺配件")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=unable-next]")).to_contain_text("调度将重新派工或改期", timeout=15000)
    expect(page.locator("[data-testid=pending-count]")).to_have_attribute("data-count", "0", timeout=30000)
    page.reload()
    expect(page.locator("[data-testid=unable-next]")).to_be_visible(timeout=15000)
    page.locator("[data-action=note]").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea").fill("排水管型号 DN50，长约 2 米")
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".note", has_text="排水管型号 DN50")).to_be_visible(timeout=10000)
    expect(page.locator("[data-action=complete]")).to_have_count(0)
    # Still an open job in the list, not among the finished ones.
    page.goto(server.url + "/#/jobs")
    expect(page.locator(".job-list").first.locator(".job-card", has_text=content)).to_be_visible(timeout=15000)
    ctx.close()
