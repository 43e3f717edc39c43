"""The inspector's flow in Debian's Chromium, offline: open the planner, find a place, read the route, print the plan.

One server over a copy of the demo town for the module (:mod:`tests.pages.browser_harness`: tiles off,
every request that leaves 127.0.0.1 refused and failing the test). The map lives in streamlit-folium's
frame; the checks read Leaflet's own state there (markers, labels, tooltips) rather than pixels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from geo.store import Store
from tests.conftest import store_url
from tests.pages.browser_harness import MAP_FRAMES, Tab, keep_shot, launch, require_chromium, serve

pytestmark = pytest.mark.browser

# the route's numbered stops as Leaflet holds them: number, and the stop's place from its tooltip row
STOPS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const out = [];
  map.eachLayer(l => {
    if (l instanceof L.Marker && l.feature && l.feature.properties.stop !== undefined) {
      const p = map.latLngToContainerPoint(l.getLatLng());
      out.push({stop: l.feature.properties.stop, x: p.x, y: p.y, text: l.getElement().textContent});
    }
  });
  return out.sort((a, b) => a.stop - b.stop);
}"""

# the boundary labels written on the map, and which are showing (not hidden to avoid an overlap)
LABELS = """() => [...document.querySelectorAll('.nestwatch-label')].map(
  el => ({text: el.textContent, shown: el.style.visibility !== 'hidden'}))"""

# the open tooltip's box against the map's box (both in the frame's pixels)
TOOLTIP_BOX = """() => {
  const tip = document.querySelector('.leaflet-tooltip:not(.nestwatch-label)');
  if (!tip) return null;
  const t = tip.getBoundingClientRect(), m = document.querySelector('.leaflet-container').getBoundingClientRect();
  return {text: tip.innerText, inside: t.left >= m.left - 1 && t.right <= m.right + 1 && t.top >= m.top - 1
    && t.bottom <= m.bottom + 1};
}"""


@pytest.fixture(scope="module")
def db(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo town: the exports write audit entries."""
    require_chromium()
    return store_url(tmp_path_factory.mktemp("patrol") / "demo.sqlite", template=demo_town)


@pytest.fixture(scope="module")
def server(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def test_the_inspector_finds_a_place_follows_the_route_and_prints_the_plan(
    server: str, browser: Browser, db: str
) -> None:
    tab = Tab(browser, server, "patrol")
    page = tab.page
    page.get_by_text("Where to go").wait_for()
    tab.idle()
    container = tab.maps(minimum=20)
    frame = page.frame_locator(MAP_FRAMES).first

    # the route: one numbered marker per place, 1..10, each naming its place on hover
    stops = container.evaluate(STOPS)
    assert [s["stop"] for s in stops] == list(range(1, 11)) and [s["text"] for s in stops] == [
        str(n) for n in range(1, 11)
    ]
    # the map starts compact: the layer switcher folded to its button; the key folded on a map narrower than
    # 760 px or lower than 420 px, open on a bigger one; a click on its title turns it over either way
    expect(frame.locator(".leaflet-control-layers-expanded")).to_have_count(0)
    size = frame.locator(".leaflet-container").first.bounding_box()
    assert size is not None
    legend = frame.locator("details.nestwatch-legend")
    big = size["width"] >= 760 and size["height"] >= 420
    (expect(legend).to_have_attribute if big else expect(legend).not_to_have_attribute)("open", "")
    frame.locator("summary.nestwatch-legend-title").click()
    (expect(legend).not_to_have_attribute if big else expect(legend).to_have_attribute)("open", "")
    if big:  # open it again for the pictures below
        frame.locator("summary.nestwatch-legend-title").click()
    # ward names are written on the map, none printed over another
    labels = container.evaluate(LABELS)
    assert {"Millbrook (synthetic)", "Eastfield (synthetic)"} <= {lb["text"] for lb in labels if lb["shown"]}

    # a stop's tooltip names the place, and stays inside the map even for the stop nearest an edge
    edge = min(stops, key=lambda s: min(s["x"], s["y"]))
    container.hover(position={"x": edge["x"], "y": edge["y"]})
    frame.locator(".leaflet-tooltip", has_text="place:").first.wait_for()
    tip = container.evaluate(TOOLTIP_BOX)
    assert tip is not None and tip["inside"], tip
    assert re.search(r"visit: \d+", tip["text"]) and "place:" in tip["text"]

    # the search box: a name that matches nothing says so; a ward takes the map there
    search = page.get_by_role("combobox", name="Find a place")
    search.click()
    search.fill("Nowhere in particular")
    tab.rerun(lambda: search.press("Enter"))
    expect(page.get_by_text("No ward, estate or street matches", exact=False)).to_have_count(1)
    before = container.evaluate("() => Object.values(window).find(v => v instanceof L.Map).getZoom()")
    search.click()
    search.fill("Millbrook")
    tab.rerun(page.get_by_role("option", name=re.compile("Millbrook")).first.click)
    container = tab.maps(minimum=20)
    zoom = container.evaluate("() => Object.values(window).find(v => v instanceof L.Map).getZoom()")
    assert zoom > before, (before, zoom)  # one ward fills the map: closer than the whole town
    keep_shot(page, "patrol-search.png")

    # a click on a numbered stop details that place, named as people name it
    stops = container.evaluate(STOPS)
    box = container.bounding_box()
    assert box is not None
    # a stop inside Millbrook's view, away from the edges (the controls sit there)
    first = next(s for s in stops if 60 < s["x"] < box["width"] - 60 and 60 < s["y"] < box["height"] - 60)
    tab.rerun(lambda: container.click(position={"x": first["x"], "y": first["y"]}))
    heading = page.get_by_text(re.compile(r"^Hexagon [0-9a-f]{15}$")).first
    heading.wait_for()
    expect(page.get_by_text("Over the months:", exact=False)).not_to_have_count(0)
    details = page.locator("[data-testid='stMain']").inner_text()
    assert "visitors_odd_hours" not in details and "first_flagged" not in details

    # an H3 id typed in: the map goes to that hexagon and details it
    cell = container.evaluate(
        "() => { const map = Object.values(window).find(v => v instanceof L.Map); let c = null;"
        " map.eachLayer(l => { if (!c && l.feature && l.feature.properties.cell) c = l.feature.properties.cell; });"
        " return c; }"
    )
    search.click()
    search.fill(cell)
    tab.rerun(lambda: search.press("Enter"))
    expect(page.get_by_text(f"Hexagon {cell}", exact=True)).to_have_count(1)

    # the printable plan, after its reason: the place names and the route, and one audit entry
    reason = page.get_by_role("textbox", name="Why are you taking the plan away?")
    reason.fill("Tuesday patrol, Millbrook team")
    tab.rerun(lambda: reason.press("Enter"))
    printable = page.get_by_role("button", name="Printable plan (HTML)")
    expect(printable).to_be_enabled()
    with page.expect_download() as info:
        printable.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    route = re.search(r'<p class="route"><b>Route:</b> (.*?) → back to 1\.</p>', text)
    assert route is not None, text[:2000]
    visits = re.findall(r"(\d+) (.+?)(?: → |$)", route.group(1))
    assert [int(v) for v, _ in visits] == list(range(1, 11))
    places = [p for _, p in visits]
    assert all(p and not re.fullmatch(r"[0-9a-f]{15}", p) for p in places), places  # names, not H3 ids
    assert all(f"<td>{p}</td>" in text for p in places)  # each place in the table too (demo names need no escaping)
    assert "How to read this" in text and "What the score adds up" in text
    tab.close()

    store = Store(db)
    entries = store.audit(action="export")
    entries = entries[entries["reason"] == "Tuesday patrol, Millbrook team"]
    store.dispose()
    assert entries["target"].tolist() == ["export:patrol-plan.html"] and entries["rows"].tolist() == [10]
