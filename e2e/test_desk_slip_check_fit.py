"""The desk's closing dialog (核对服务单并销项, D96) fits a laptop screen: the desk reads the slip's
facts, ticks the steps, writes the result and presses 销项 without scrolling inside the dialog."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from e2e.api import Api
from e2e.repairs import completed_repair
from e2e.test_desk import login


def test_the_slip_check_dialog_fits_a_laptop_screen_in_both_languages(browser: Browser, server) -> None:  # noqa: ANN001  # R-CL-1 R-CL-6 R-CL-5
    # The fullest slip the dialog shows: a private repair with a fee above the one told, so the
    # reason above the fee is one more fact to compare with paper, and a work text of two lines.
    case_id = completed_repair(
        server.url, f"卫生间角阀漏水 {uuid.uuid4().hex[:6]}", responsibility="owner_private", fee_quote_cents=5000,
        fee_cents=8000, fee_over_reason="拆开后发现角阀锈死，另换软管一根，住户同意",
        work_done="更换卫生间角阀及进水软管，试水半小时无渗漏，清理现场并向住户说明日常检查方法")
    case = Api(server.url, "dispatcher").call("GET", f"/api/cases/{case_id}")["case"]
    for width, height in ((1366, 768), (1280, 800)):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = ctx.new_page()
        page.goto(server.url + "/")
        login(page, "dispatcher")
        expect(page.locator("[data-view=desk]")).to_be_visible(timeout=15000)
        for lang in ("zh", "en"):
            if lang == "en":
                page.locator(".btn-lang").click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
            page.goto(server.url + f"/#/case/{case_id}")
            page.locator("[data-action=close]").click()  # 销项 waits only for the slip: the slip dialog opens
            confirm = page.get_by_test_id("slip-confirm")
            # Every fact the desk compares with paper is still there (D96).
            for fact in (case["no"], "黄业主", "¥80.00", "拆开后发现角阀锈死", "张师傅", "试水半小时无渗漏"):
                expect(confirm).to_contain_text(fact)
            expect(confirm.get_by_test_id("slip-check-code")).to_be_visible()
            expect(confirm.locator("img.desk-signature-img")).to_be_visible(timeout=10000)  # its height counts
            page.wait_for_timeout(200)  # one layout pass after the image
            submit = page.get_by_test_id("flow-submit")
            result = page.locator("dialog textarea[name=result]")
            fit = page.evaluate("""() => {
                const d = document.querySelector('dialog[open]');
                const b = document.querySelector('[data-testid=flow-submit]').getBoundingClientRect();
                const r = document.querySelector('dialog textarea[name=result]').getBoundingClientRect();
                const dr = d.getBoundingClientRect();
                return { inner: window.innerHeight, bottom: b.bottom, top: b.top, resultBottom: r.bottom,
                         dialogBottom: dr.bottom, scroll: d.scrollHeight - d.clientHeight };
            }""")
            # The button and the result box are on screen, inside the dialog, and the dialog does not scroll.
            assert fit["scroll"] <= 0, (width, height, lang, fit)
            assert 0 <= fit["top"] and fit["bottom"] <= min(fit["inner"], fit["dialogBottom"]), (width, height, lang, fit)
            assert fit["resultBottom"] <= fit["inner"], (width, height, lang, fit)
            expect(submit).to_be_in_viewport(ratio=1)
            expect(result).to_be_in_viewport(ratio=1)
            page.locator("dialog").get_by_role("button", name="取消" if lang == "zh" else "Cancel").click()
            expect(page.locator("dialog")).to_have_count(0)
        ctx.close()
