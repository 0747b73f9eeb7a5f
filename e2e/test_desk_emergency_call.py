"""R-EM-5 at the desk: the intake prompts the public number an emergency calls for, and the call is
recorded on the case (which number, who, when) and shown in its history."""

from __future__ import annotations

import uuid
from datetime import datetime

from playwright.sync_api import Browser, Page, expect

from e2e.api import Api
from e2e.test_shell import open_desk


def _register(page: Page, *, address: str, contact: str, phone: str, content: str) -> None:
    """Fill the rest of the intake form and register it (the kind and its choices are already set)."""
    form = page.locator(".desk-intake-form")
    form.locator("input[name=address]").fill(address)
    form.locator("input[name=contact_name]").fill(contact)
    form.locator("input[name=phone]").fill(phone)
    form.locator("textarea[name=content]").fill(content)
    page.get_by_test_id("intake-submit").click()


def _numbers(page: Page) -> list[str]:
    prompt = page.get_by_test_id("intake-call-prompt")
    return prompt.locator("a[href^='tel:']").evaluate_all("els => els.map((a) => a.getAttribute('href').slice(4))")


def test_the_intake_prompts_the_number_to_call_and_the_call_is_recorded_on_the_case(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-5 R-IN-4
    ctx, page = open_desk(browser, server, "dispatcher", "intake")
    form = page.locator(".desk-intake-form")
    prompt = page.get_by_test_id("intake-call-prompt")
    expect(form).to_be_visible(timeout=10000)
    expect(prompt).to_be_hidden()  # a repair calls for no public service

    form.get_by_role("radio", name="求助", exact=True).check()
    help_kind = form.locator("select[name=help_kind]")
    help_kind.select_option("medical_emergency")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("请立即拨打")
    assert _numbers(page) == ["120"]
    help_kind.select_option("disaster")  # flood, fire, disaster
    assert _numbers(page) == ["119"]
    help_kind.select_option("crime")  # theft, fight, robbery, homicide, poisoning
    assert _numbers(page) == ["110"]
    help_kind.select_option("inquiry")
    expect(prompt).to_be_hidden()
    # An emergency type chosen on any request prompts too: a fire alarm reported as a repair.
    form.get_by_role("radio", name="报修", exact=True).check()
    form.locator("select[name=emergency_trigger]").select_option("fire")
    expect(prompt).to_be_visible()
    assert _numbers(page) == ["119"]
    form.locator("select[name=emergency_trigger]").select_option("")
    expect(prompt).to_be_hidden()

    # A traffic accident: the traffic police first, then the police.
    form.get_by_role("radio", name="求助", exact=True).check()
    help_kind.select_option("traffic_accident")
    expect(prompt).to_contain_text("交通 122")
    assert _numbers(page) == ["122", "110"]
    content = f"小区北门两车相撞，一人受伤 {uuid.uuid4().hex[:6]}"
    _register(page, address="北门车道", contact="保安张队长", phone="13800000055", content=content)

    # Once registered, the desk records the call it made on the case just created.
    done = page.locator(".desk-intake-done")
    calls = done.get_by_test_id("em-public-calls")
    expect(calls).to_contain_text("尚未记录", timeout=10000)
    expect(calls.locator("button[data-record]")).to_have_count(4)
    assert calls.locator("button[data-record]").evaluate_all("els => els.map((b) => b.dataset.record)")[:2] == ["122", "110"]
    calls.locator("button[data-record='122']").click()
    expect(calls.get_by_test_id("em-calls")).to_contain_text("交通 122", timeout=10000)
    expect(calls.get_by_test_id("em-calls")).to_contain_text("王调度拨打")

    # The case page shows the call in its emergency panel and in its history.
    done.get_by_role("link", name="稍后决定").click()
    panel = page.get_by_test_id("emergency-panel")
    expect(panel.get_by_test_id("em-calls")).to_contain_text("交通 122", timeout=10000)
    entry = page.locator(".desk-timeline-list li", has_text="拨打公共救援电话")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("拨打交通 122")
    expect(entry).to_contain_text("王调度")
    ctx.close()


def test_a_call_marked_while_filling_the_intake_is_recorded_with_it_at_the_time_pressed(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    ctx, page = open_desk(browser, server, "dispatcher", "intake")
    form = page.locator(".desk-intake-form")
    expect(form).to_be_visible(timeout=10000)
    form.get_by_role("radio", name="求助", exact=True).check()
    form.locator("select[name=help_kind]").select_option("disaster")
    prompt = page.get_by_test_id("intake-call-prompt")
    expect(prompt.locator("button[data-mark]")).to_have_count(1)  # only the number a fire calls for
    # The dispatcher dials 119 first and marks it, then types the rest.
    prompt.locator("button[data-mark='119']").click()
    marked = page.get_by_test_id("intake-marked-calls")
    expect(marked).to_contain_text("已拨打火警 119")
    pressed = page.evaluate("Date.now()")
    # A mark made by mistake is taken back before registering.
    prompt.locator("button[data-mark='119']").click()
    expect(marked.locator("li")).to_have_count(2)
    marked.locator("li").nth(1).get_by_role("button").click()
    expect(marked.locator("li")).to_have_count(1)
    page.wait_for_timeout(2500)  # the form takes a while to fill in
    content = f"3栋地下室冒烟 {uuid.uuid4().hex[:6]}"
    _register(page, address="3栋地下室", contact="罗业主", phone="13800000009", content=content)

    calls = page.locator(".desk-intake-done").get_by_test_id("em-calls")
    expect(calls).to_contain_text("火警 119", timeout=10000)
    expect(calls.locator("li")).to_have_count(1)
    case_id = page.locator(".desk-intake-done a", has_text="稍后决定").get_attribute("href").split("/")[-1]
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    [call] = view["case"]["emergency"]["public_calls"]
    called = datetime.fromisoformat(call["at"]).timestamp() * 1000
    received = datetime.fromisoformat(view["case"]["received_at"]).timestamp() * 1000
    assert received - called >= 2000, (call, view["case"]["received_at"])  # when pressed, not when registered
    assert abs(called - pressed) < 1500
    page.locator(".desk-intake-done").get_by_role("link", name="稍后决定").click()
    entry = page.locator(".desk-timeline-list li", has_text="拨打公共救援电话")
    expect(entry).to_contain_text("拨打火警 119（受理登记前）", timeout=10000)
    ctx.close()


def test_a_call_marked_for_a_number_the_changed_request_no_longer_calls_for_is_shown_and_not_sent(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-5 D73
    ctx, page = open_desk(browser, server, "dispatcher", "intake")
    form = page.locator(".desk-intake-form")
    expect(form).to_be_visible(timeout=10000)
    form.get_by_role("radio", name="求助", exact=True).check()
    help_kind = form.locator("select[name=help_kind]")
    help_kind.select_option("disaster")
    prompt = page.get_by_test_id("intake-call-prompt")
    prompt.locator("button[data-mark='119']").click()
    marked = page.get_by_test_id("intake-marked-calls")
    mark = marked.locator("li[data-number='119']")
    expect(mark).to_have_attribute("data-applies", "yes")
    # The desk then learns it is a medical emergency: 119 is no longer called for, 120 is.
    help_kind.select_option("medical_emergency")
    expect(mark).to_have_attribute("data-applies", "no")
    expect(mark.get_by_test_id("intake-mark-not-applicable")).to_have_text(
        "该事项无需拨打火警 119，登记时不提交；如确已拨打，请登记后在案件页记录")
    # Changed back, the mark applies again, with the time it was pressed; changed again, it does not.
    help_kind.select_option("disaster")
    expect(mark).to_have_attribute("data-applies", "yes")
    expect(mark.get_by_test_id("intake-mark-not-applicable")).to_have_count(0)
    # A repair with no emergency type: nothing to record the call on later, so the note says where.
    form.get_by_role("radio", name="报修", exact=True).check()
    expect(mark.get_by_test_id("intake-mark-not-applicable")).to_contain_text("请在事项内容中写明")
    form.get_by_role("radio", name="求助", exact=True).check()
    help_kind.select_option("medical_emergency")
    expect(mark).to_have_attribute("data-applies", "no")
    prompt.locator("button[data-mark='120']").click()
    expect(marked.locator("li[data-number='120']")).to_have_attribute("data-applies", "yes")
    content = f"2栋电梯厅老人晕倒 {uuid.uuid4().hex[:6]}"
    _register(page, address="2栋电梯厅", contact="保安李师傅", phone="13800000066", content=content)

    # Registered (not refused with emergency.call_not_called_for), with only the call still called for.
    done = page.locator(".desk-intake-done")
    calls = done.get_by_test_id("em-calls")
    expect(calls).to_contain_text("急救 120", timeout=10000)
    expect(calls.locator("li")).to_have_count(1)
    expect(calls).not_to_contain_text("119")
    case_id = done.get_by_role("link", name="稍后决定").get_attribute("href").split("/")[-1]
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert [c["number"] for c in view["case"]["emergency"]["public_calls"]] == ["120"]
    ctx.close()


def test_a_call_marked_long_before_the_form_is_sent_is_confirmed_by_the_desk_or_set_aside(browser: Browser, server) -> None:  # noqa: ANN001  # R-EM-5 R-IN-1
    # D85: the dispatcher marks 119 and the form stays open (a long call, lunch): the desk's clock is
    # the page's, moved on by the test.
    ctx, page = open_desk(browser, server, "dispatcher", "intake")
    page.clock.install()
    page.reload()
    form = page.locator(".desk-intake-form")
    expect(form).to_be_visible(timeout=10000)
    form.get_by_role("radio", name="求助", exact=True).check()
    form.locator("select[name=help_kind]").select_option("disaster")
    prompt = page.get_by_test_id("intake-call-prompt")
    prompt.locator("button[data-mark='119']").click()
    pressed = page.evaluate("Date.now()")
    mark = page.get_by_test_id("intake-marked-calls").locator("li[data-number='119']")
    expect(mark).to_have_attribute("data-state", "sent")
    page.clock.fast_forward("31:00")
    content = f"5栋配电房冒烟 {uuid.uuid4().hex[:6]}"
    _register(page, address="5栋配电房", contact="值班电工", phone="13800000077", content=content)

    # Not sent: the desk is asked whether the mark is this request's call, and nothing is lost.
    expect(form.locator(".desk-error")).to_have_text(
        "有拨打标记已超过 30 分钟：请逐条确认是为本次事项拨打的，或点 × 撤销，再登记")
    expect(mark).to_have_attribute("data-state", "needs_confirm")
    expect(mark.get_by_test_id("intake-mark-stale")).to_contain_text("火警 119标记于 31 分钟前，是为本次事项拨打的吗？")
    expect(page.locator(".desk-intake-done")).to_have_count(0)
    mark.get_by_test_id("intake-mark-confirm").click()
    expect(mark).to_have_attribute("data-state", "sent")
    expect(mark.get_by_test_id("intake-mark-confirmed")).to_be_visible()
    page.get_by_test_id("intake-submit").click()

    done = page.locator(".desk-intake-done")
    expect(done.get_by_test_id("em-calls")).to_contain_text("火警 119", timeout=10000)
    case_id = done.get_by_role("link", name="稍后决定").get_attribute("href").split("/")[-1]
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    [call] = view["case"]["emergency"]["public_calls"]
    assert call["confirmed"] is True
    received = datetime.fromisoformat(view["case"]["received_at"]).timestamp() * 1000
    called = datetime.fromisoformat(call["at"]).timestamp() * 1000
    sent_after = page.evaluate("Date.now()") - pressed  # the desk clock's span, mark to sending
    assert abs((received - called) - sent_after) < 3000, (call, view["case"]["received_at"], sent_after)

    # The next request: a mark left more than 12 hours cannot be recorded as this request's call. It
    # stops the sending and stays on the form (sending would replace the form, mark and all); the desk
    # removes it and writes the time into the details.
    page.get_by_test_id("intake-next").click()
    form = page.locator(".desk-intake-form")
    form.get_by_role("radio", name="求助", exact=True).check()
    form.locator("select[name=help_kind]").select_option("disaster")
    page.get_by_test_id("intake-call-prompt").locator("button[data-mark='119']").click()
    page.clock.fast_forward("12:01:00")
    content = f"5栋配电房又冒烟 {uuid.uuid4().hex[:6]}"
    _register(page, address="5栋配电房", contact="值班电工", phone="13800000077", content=content)
    expect(form.locator(".desk-error")).to_have_text(
        "有拨打标记已超过 12 小时，不能按本次拨打登记：请点 × 撤销，并在事项内容中写明拨打时间，再登记")
    expect(page.locator(".desk-intake-done")).to_have_count(0)
    mark = page.get_by_test_id("intake-marked-calls").locator("li[data-number='119']")
    expect(mark).to_have_attribute("data-state", "too_old")
    expect(mark.get_by_test_id("intake-mark-too-old")).to_have_text(
        "火警 119标记已超过 12 小时，不能按本次拨打登记：请点 × 撤销；如确已拨打，请在事项内容中写明拨打时间")
    mark.get_by_role("button", name="撤销").click()
    expect(mark).to_have_count(0)
    form.locator("textarea[name=content]").fill(f"{content}，昨晚 23:10 已拨打火警 119")
    page.get_by_test_id("intake-submit").click()
    done = page.locator(".desk-intake-done")
    expect(done).to_be_visible(timeout=10000)
    case_id = done.get_by_role("link", name="稍后决定").get_attribute("href").split("/")[-1]
    view = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")
    assert view["case"]["emergency"]["public_calls"] == []
    ctx.close()
