"""The County lines page in Debian's Chromium, offline: the demo's two lines listed, one line's records on the map.

One server over a copy of the demo town (:mod:`tests.pages.browser_harness`: tiles off, every request that
leaves 127.0.0.1 refused and failing the test). Open mode's inspector view holds the intel permission.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from tests.conftest import store_url
from tests.pages.browser_harness import MAP_FRAMES, Tab, keep_shot, launch, require_chromium, serve, shots_wanted

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (768, 1024), (1920, 1080))
SETTLED = "() => !document.getAnimations().some(a => a.playState === 'running')"
# the line's records as Leaflet holds them: circle markers with their tooltips, and the numbered centres
RECORDS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let circles = 0, stops = 0;
  map.eachLayer(l => {
    if (l instanceof L.CircleMarker) circles += 1;
    if (l instanceof L.Marker && l.feature && l.feature.properties.stop !== undefined) stops += 1;
  });
  return {circles, stops};
}"""


@pytest.fixture(scope="module")
def server(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    db = store_url(tmp_path_factory.mktemp("lines") / "demo.sqlite", template=demo_town)  # views are audited
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def test_the_lines_are_listed_and_one_lines_records_are_drawn(server: str, browser: Browser) -> None:
    tab = Tab(browser, server, "lines")
    page = tab.page
    expect(page.get_by_role("heading", name="County lines")).to_be_visible()
    table = page.locator("[data-testid='stTable']").first
    expect(table).to_contain_text("Dee Line")
    expect(table).to_contain_text("moving: its centre has moved")
    tab.maps(minimum=0)
    frame = page.frame_locator(MAP_FRAMES).first
    frame.locator(".leaflet-container").wait_for()
    drawn = frame.locator("body").evaluate(RECORDS)
    assert drawn["circles"] == 11 and drawn["stops"] >= 2, drawn  # the Dee line: 11 records, its centre moving
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    if shots_wanted():
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            tab.idle()
            page.wait_for_function(SETTLED)  # the sidebar folds away with a transition below 1000 px
            keep_shot(page, f"lines-{width}x{height}.png", full_page=True)
    tab.close()  # fails on any request the tab refused
