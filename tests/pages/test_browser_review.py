"""The review queue end to end in Debian's Chromium, offline: read the demo town's queue, flag one address.

One server over a copy of the demo town (:mod:`tests.pages.browser_harness`: tiles off, every request that
leaves 127.0.0.1 refused and failing the test). The queue's table is a canvas grid, so the checks read the
page's own words (the headline, the picker, the confirmation) and the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from geo.store import Store
from geo.store.review import read_decisions
from tests.conftest import store_url
from tests.pages.browser_harness import Tab, keep_shot, launch, require_chromium, serve, shots_wanted

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (768, 1024), (1920, 1080))
SETTLED = "() => !document.getAnimations().some(a => a.playState === 'running')"


@pytest.fixture(scope="module")
def db(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo town: the flag is stored."""
    require_chromium()
    return store_url(tmp_path_factory.mktemp("review") / "demo.sqlite", template=demo_town)


@pytest.fixture(scope="module")
def server(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def _queue_length(db: str) -> tuple[int, int]:
    store = Store(db)
    try:
        return len(store.read("flagged")), len(read_decisions(store))
    finally:
        store.dispose()


def test_the_inspector_reads_the_queue_and_flags_the_heaviest_address(server: str, browser: Browser, db: str) -> None:
    flagged_before, decisions_before = _queue_length(db)
    tab = Tab(browser, server, "review")
    page = tab.page
    headline = page.get_by_role("heading", name=re.compile(r"^\d+ addresses to review$"))
    expect(headline).to_be_visible()
    before = int(headline.inner_text().split()[0])
    assert before >= 5  # the demo plants every rule
    expect(page.get_by_text(re.compile("signals up to 31 Oct 2026"))).to_be_visible()
    picker = page.get_by_role("combobox", name="Address")
    chosen = picker.input_value()
    picked = re.fullmatch(r"1\. (.+) \(weight (\d+)\)", chosen)
    assert picked and int(picked.group(2)) >= 6, chosen  # the heaviest: it meets all three rules
    why = re.compile(r"^Why it is here: 2 or more lock changes in 90 days; 3 or more")
    expect(page.get_by_text(why)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Signals: "))).to_be_visible()
    flag = page.get_by_role("button", name="Flag as an address of concern")
    expect(flag).to_be_disabled()  # no reason yet
    if shots_wanted():
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            tab.idle()
            page.wait_for_function(SETTLED)  # the sidebar folds away with a transition below 1000 px
            keep_shot(page, f"review-{width}x{height}.png", full_page=True)
        page.set_viewport_size({"width": 1400, "height": 1000})
    box = page.get_by_role("textbox", name="Reason")
    box.fill("agreed at the partnership meeting (browser test)")
    tab.rerun(lambda: box.press("Enter"))
    expect(flag).to_be_enabled()
    tab.rerun(flag.click)
    name = picked.group(1)
    expect(page.get_by_text(f"{name} is flagged as an address of concern")).to_be_visible()
    expect(page.get_by_role("heading", name=f"{before - 1} addresses to review")).to_be_visible()
    expect(page.get_by_role("combobox", name="Address")).not_to_have_value(chosen)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert _queue_length(db) == (flagged_before + 1, decisions_before + 1)
    store = Store(db)
    try:
        newest = store.read("flagged").iloc[-1]
        assert newest["address"] == name and newest["status"] == "open" and "lock_changes" in newest["indicators"]
    finally:
        store.dispose()
    tab.close()  # fails on any request the tab refused
