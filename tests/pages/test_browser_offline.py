"""Nothing leaves the machine: every page, as every role, asks for nothing beyond the app itself.

Police networks block font and CDN hosts, and a request to one tells a third
party that the app is in use. Every :class:`~tests.pages.browser_harness.Tab`
refuses requests that are not for 127.0.0.1 and fails its test on them; here
each role opens each of its pages, and the page's own record of what it
loaded (resource timing, icon and stylesheet links) is checked as well, since
a browser may fetch a favicon outside the routes a test can intercept.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from geo.access.roles import ROLES
from tests.conftest import store_url
from tests.pages.browser_harness import LOOPBACK, MAP_FRAMES, Tab, launch, require_chromium, serve

pytestmark = pytest.mark.browser

#: Every URL the document itself names or has loaded: resources, icon and stylesheet links, scripts, images.
LOADED = """() => [
  ...performance.getEntriesByType('resource').map(e => e.name),
  ...[...document.querySelectorAll('link[href]')].map(l => l.href),
  ...[...document.querySelectorAll('script[src], img[src], iframe[src]')].map(e => e.src),
]"""


def _outside(urls: list[str]) -> list[str]:
    """The URLs among ``urls`` that would leave the machine (``data:`` and ``blob:`` stay in the page)."""
    return sorted({u for u in urls if urlsplit(u).scheme in ("http", "https") and urlsplit(u).hostname not in LOOPBACK})


@pytest.fixture(scope="module")
def server(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the session's demo town (nothing here reads the audit log it writes to)."""
    require_chromium()
    db = store_url(tmp_path_factory.mktemp("offline") / "demo.sqlite", template=demo_town)
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def test_a_request_off_the_machine_fails_the_tab(server: str, browser: Browser) -> None:
    """The detector itself: a page that asks a font host for something is caught, twice over."""
    tab = Tab(browser, server, "")
    tab.page.evaluate(
        """() => { const l = document.createElement('link'); l.rel = 'icon';
                   l.href = 'https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/shield/default/24px.svg';
                   document.head.appendChild(l); fetch('https://cdn.example.org/x.js').catch(() => {}); }"""
    )
    assert _outside(tab.page.evaluate(LOADED)), "an icon link to a font host went unnoticed"
    tab.page.wait_for_function("() => performance.getEntriesByName('https://cdn.example.org/x.js').length > 0")
    with pytest.raises(AssertionError, match=r"cdn\.example\.org"):
        tab.close()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_every_role_stays_on_the_machine(server: str, browser: Browser, role: str) -> None:
    tab = Tab(browser, server, "")
    page = tab.page
    switcher = page.get_by_role("combobox", name="View as")  # the demo's role switcher
    if switcher.input_value() != ROLES[role].label:  # choosing the role already shown runs nothing
        switcher.click()
        tab.rerun(page.get_by_role("option", name=ROLES[role].label, exact=True).click)
    if role != "presentation":  # the projector's menu (and the switcher in it) is folded away
        expect(switcher).to_have_value(ROLES[role].label)
    from dashboard.context import PAGE_SPECS

    titles = [PAGE_SPECS[p][1] for p in ROLES[role].pages if p in PAGE_SPECS]
    for title in titles:
        if len(titles) > 1:  # a role with one page (the presentation screen) lands on it, its menu folded away
            tab.rerun(page.get_by_role("link", name=title, exact=True).first.click)
        tab.idle()
        expect(page.locator("[data-testid='stException']"), f"exception on {title} as {role}").to_have_count(0)
        if page.locator(MAP_FRAMES).count():
            tab.maps(minimum=0)
        outside = _outside(page.evaluate(LOADED))
        assert not outside, f"{title} as {role} names or loaded {outside}"
        # the favicon is served by the app, not fetched from a font host
        icons = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert icons and not _outside(icons), icons
    tab.close()  # fails on any request the tab refused
