"""R-SS-4 on the desk: the manager works out a service's month, sees it lose money, asks the GM for a
higher fee; the GM approves it on the same page. Before, the loss review existed only in the API."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from e2e.test_shell import open_desk


def test_manager_reviews_a_losing_service_and_the_gm_approves_the_higher_fee(browser: Browser, server) -> None:  # noqa: ANN001  # R-SS-4 R-SS-1
    ctx, page = open_desk(browser, server, "manager", "services")
    loss = page.get_by_test_id("svc-loss")
    expect(loss).to_be_visible(timeout=15000)
    # Nothing entered: the form says what is missing, beside itself.
    loss.get_by_test_id("svc-loss-review").click()
    expect(loss.locator(".desk-error")).to_contain_text("服务项目")
    loss.locator("select[name=loss_item]").select_option("games")
    loss.locator("input[name=loss_cost]").fill("500")
    loss.get_by_test_id("svc-loss-review").click()
    result = loss.get_by_test_id("svc-loss-result")
    expect(result.get_by_test_id("svc-loss-figures")).to_contain_text("成本 ¥500.00")
    expect(result).to_contain_text("该服务本月亏损")
    result.locator("select[name=loss_decision]").select_option("raise_price")
    result.locator("input[name=loss_new_fee]").fill("30")
    result.get_by_test_id("svc-loss-decide").click()
    # A raised fee is a proposal until the GM approves it (R-SS-1).
    row = page.locator("tr", has_text="游戏配送").first
    expect(row).to_contain_text("¥20.00/次 → ¥30.00?")
    ctx.close()

    ctx, page = open_desk(browser, server, "gm", "services")
    row = page.locator("tr", has_text="游戏配送").first
    expect(row).to_contain_text("→ ¥30.00?", timeout=15000)
    row.get_by_role("button", name="总经理批准").click()
    page.locator("dialog[open] .btn-primary").click()  # approving a fee asks once, naming it (D112)
    expect(row).to_contain_text(re.compile(r"¥30\.00/次(?!\s*→)"))
    expect(page.get_by_test_id("svc-loss")).to_have_count(0)  # the GM approves; the manager decides
    ctx.close()
