"""The header's menu at 360 px: every entry on screen, none hidden in a sideways scroll, each at
least 44 px tall — for the secretary, the township officer and the county viewer (outside review:
the township's menu showed “逾” after 候选人; 逾期 and 报告 needed a hidden horizontal scroll).
With PARTYFLOW_WRITE_SCREENSHOTS=1 the screenshots go to docs/screenshots/menu-*-phone.png."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

MENU = """() => {
  const nav = document.querySelector('header.top nav');
  return {scroll: nav.scrollWidth - nav.clientWidth, width: innerWidth,
          links: [...nav.querySelectorAll('a')].map(a => {
            const r = a.getBoundingClientRect();
            return {text: a.textContent.trim(), left: r.left, right: r.right, height: r.height,
                    shown: getComputedStyle(a).display !== 'none' && r.width > 0};
          })};
}"""


@pytest.mark.parametrize("username, entries", [
    ("shuji01", ["全部功能", "本周待办", "候选人", "逾期", "报告"]),
    ("zuzhi", ["全部功能", "本周待办", "审批队列", "候选人", "逾期", "报告"]),
    ("xianwei", ["全部功能", "本周待办", "候选人", "逾期", "报告"]),
])
def test_every_menu_entry_is_on_screen_at_360_px(open_as, username, entries, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    page = open_as(username, PHONE)
    page.goto("/")
    no_horizontal_overflow(page)
    menu = page.evaluate(MENU)
    assert menu["scroll"] <= 0, f"{username}: the menu scrolls sideways by {menu['scroll']} px"
    shown = [link["text"] for link in menu["links"] if link["shown"]]
    assert sorted(shown) == sorted(entries), (username, shown)
    for link in menu["links"]:
        assert 0 <= link["left"] and link["right"] <= menu["width"], (username, link)
        assert link["height"] >= 44, (username, link)
    page.screenshot(path=str(out / f"menu-{username}-phone.png"), clip={"x": 0, "y": 0, "width": 360, "height": 200})
