"""A placeholder is read whole: the English desk cut "Search number, content, re…" on the home's search
box (330 px of text in 234 px) and "New fee (yuan)" to "New fee" on the services page's price box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, expect

from e2e.conftest import DESK
from e2e.test_shell import LAPTOP, desk_in

# The placeholder's width in the input's own font against the room inside its padding (and, for a
# number box, beside Chromium's spin buttons, shown on hover and focus).
_ROOM = """(el) => {
  const cs = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  const spin = el.type === 'number' ? 16 : 0;
  return { text: ctx.measureText(el.placeholder).width, placeholder: el.placeholder,
           room: el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - spin };
}"""


def _fits(box: Locator) -> None:
    expect(box).to_be_visible(timeout=15000)
    m = box.evaluate(_ROOM)
    assert m["placeholder"] and m["text"] <= m["room"], m


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("viewport", [LAPTOP, DESK], ids=["1280", "1366"])
def test_the_home_search_box_shows_its_whole_placeholder(browser: Browser, server, lang: str, viewport: dict) -> None:  # noqa: ANN001
    page = desk_in(browser, server, lang, "dispatcher", viewport=viewport)
    _fits(page.locator("form.desk-filters input[name=q]"))
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_services_price_box_shows_its_whole_placeholder(browser: Browser, server, lang: str) -> None:  # noqa: ANN001  # R-SS-1
    page = desk_in(browser, server, lang, "manager", route="services")
    _fits(page.locator("[data-view=services] input[name=new_fee]").first)
    page.context.close()
