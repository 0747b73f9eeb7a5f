"""R-EM-5 at the desk: the intake prompts the public number an emergency calls for, and the call is
recorded on the case (which number, who, when) and shown in its history."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.test_shell import open_desk


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
    form.locator("input[name=address]").fill("北门车道")
    form.locator("input[name=contact_name]").fill("保安张队长")
    form.locator("input[name=phone]").fill("13800000055")
    form.locator("textarea[name=content]").fill(content)
    page.get_by_test_id("intake-submit").click()

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
