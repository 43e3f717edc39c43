"""End to end in Debian's Chromium, offline: every page loads, the map draws hexagons, exports download.

Serves the demo store plus hostile payload rows with :mod:`tests.pages.browser_harness`
(tiles off, every request that leaves 127.0.0.1 refused and failing the test).
Screenshots go to the folder ``NESTWATCH_SHOTS`` names (none when unset).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Dialog, expect

from geo.demo import load_demo
from geo.store import Store
from tests.conftest import store_url
from tests.pages.browser_harness import (
    MAP_FRAMES,
    ROOT,
    Tab,
    _all_html,
    _ms,
    keep_shot,
    launch,
    require_chromium,
    serve,
)

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "back`tick",
    "back\\slash </script><script>alert(2)</script>",
]
# placed on an open flagged address of the demo town, so they sit in a hot spot on the patrol map
PAYLOAD_CSV = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status,Agency\n" + "".join(
    f'9900{i},"{p.replace(chr(34), chr(34) * 2)}",53.955905,0.924157,2025-12-01,noise,open,Housing\n'
    for i, p in enumerate(PAYLOADS)
)

# police.uk rows at the same point: the payloads as location text (stored), and as a category (rejected,
# so they reach the rejects table through the reason)
POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context\n"
)


def _incident_payload_csv(month: str) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    rows = [
        f",{month},Force,Force,0.924157,53.955905,{quoted(p)},E0,Nestwick 001A,{quoted(c)},,\n"
        for p in PAYLOADS
        for c in ("Anti-social behaviour", p)
    ]
    return POLICE_HEADER + "".join(rows)


# where the flagged point carrying the payloads is, in the map container's pixels
PAYLOAD_POINT = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let at = null;
  map.eachLayer(l => {
    if (!at && l instanceof L.CircleMarker && Math.abs(l.getLatLng().lat - 53.955905) < 1e-4) at = l.getLatLng();
  });
  if (!at) return null;
  const p = map.latLngToContainerPoint(at);
  return {x: p.x, y: p.y};
}"""

# hexagons are drawn on a canvas, so count Leaflet's polygon layers rather than SVG paths
COUNT_POLYGONS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let n = 0;
  map.eachLayer(l => { if (l instanceof L.Polygon && !(l instanceof L.Rectangle)) n += 1; });
  return n;
}"""


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo town plus the payload rows; the server below serves it."""
    require_chromium()
    db = store_url(tmp_path_factory.mktemp("browser") / "demo.sqlite")
    store = Store(db)
    load_demo(store)
    payloads = tmp_path_factory.mktemp("payloads") / "flagged-payloads.csv"
    payloads.write_text(PAYLOAD_CSV, encoding="utf-8")
    from geo.store.importer import import_path

    # the payloads join the demo town as more of it: real rows cannot share a store with the demo
    assert import_path(store, "flagged", payloads, synthetic=True).stored == len(PAYLOADS)
    incidents = payloads.with_name("incident-payloads.csv")
    months = store.months()
    assert months is not None, "the demo town has no incidents"
    incidents.write_text(_incident_payload_csv(months[1]), encoding="utf-8")
    result = import_path(store, "incidents", incidents, synthetic=True)
    assert (result.stored, result.rejected) == (len(PAYLOADS), len(PAYLOADS))
    store.dispose()
    return db


@pytest.fixture(scope="module")
def server(browser_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(browser_db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def _ward_counts(html: str) -> list[str]:
    """The counts the ward map's tooltips carry (``now``: this period, ``asb``: the outcomes map)."""
    return re.findall(r'"(?:now|asb)":\s*"([^"]*)"', html)


def test_every_page_loads_offline_and_gets_a_screenshot(server: str, browser: Browser) -> None:
    # "data" first: the very first request of a fresh server, straight to a page's URL,
    # must still go through app.py (menu, banner, and later the role checks)
    for path, text in (
        ("data", "Load data"),
        ("", "Nestwatch"),
        ("patrol", "Patrol planner"),
        ("trends", "Trends"),
        ("data_quality", "Imports and rejects"),
        ("outcomes", "What the partnership achieved"),
    ):
        name = path or "overview"
        tab = Tab(browser, server, path)
        page = tab.page
        page.get_by_text(text, exact=False).first.wait_for()
        tab.idle()
        expect(page.locator("[data-testid='stException']"), f"exception on {name}").to_have_count(0)
        expect(page.get_by_text("Synthetic demo data."), f"{name} ran without app.py").not_to_have_count(0)
        expect(page.get_by_text("Loaded", exact=True)).not_to_have_count(0)
        # wide on every page, the first request too: Streamlit's centred layout is 736 px at most
        box = page.locator("[data-testid='stMainBlockContainer']").bounding_box()
        assert box is not None and box["width"] > 800, (name, box)
        if path in ("patrol", "trends", "outcomes"):
            tab.maps()  # every map drawn before the picture
        keep_shot(page, f"{name}.png", full_page=True)
        if path == "outcomes":  # below the fold: the map and the chart
            frame = page.locator("iframe").first
            frame.scroll_into_view_if_needed()
            expect(frame).to_be_in_viewport()
            keep_shot(page, "outcomes-map.png")
        tab.close()


def test_patrol_map_draws_hexagons_and_exports_parse(server: str, browser: Browser) -> None:
    tab = Tab(browser, server, "patrol")
    page = tab.page
    page.get_by_text("Where to go").wait_for()
    tab.idle()
    drawn = tab.maps(minimum=20).evaluate(COUNT_POLYGONS)
    assert drawn >= 20, f"only {drawn} hexagons drawn"
    geojson = page.get_by_role("button", name="Patrol plan (GeoJSON)")
    expect(geojson).to_be_disabled()  # no reason, no export
    reason = page.get_by_role("textbox", name="Why are you taking the plan away?")
    reason.fill("Monday briefing")
    tab.rerun(lambda: reason.press("Enter"))
    expect(geojson).to_be_enabled()
    # deferred downloads: each file is built on its click, after its audit entry (tests/pages/test_browser_downloads.py)
    with page.expect_download() as info:
        geojson.click()  # no script run: the file is all there is to wait for
    assert info.value.suggested_filename == "patrol-plan.geojson"
    data = json.loads(Path(info.value.path()).read_text())
    assert len(data["features"]) == 10 and data["features"][0]["geometry"]["type"] == "Polygon"
    with page.expect_download() as info:
        page.get_by_role("button", name="Patrol plan (CSV)").click()
    assert Path(info.value.path()).read_text(encoding="utf-8-sig").startswith("visit_order,rank,cell")
    with page.expect_download() as info:
        page.get_by_role("button", name="Printable plan (HTML)").click()
    printable = Path(info.value.path()).read_text()
    assert printable.startswith("<!doctype html>") and "<svg" in printable and printable.count("<tr>") == 11
    keep_shot(page, "patrol-map.png", full_page=True)
    tab.close()


# the first hot-spot hexagon (99 %) in the map container's pixels: its centre, and a second point of the
# same hexagon (40 % of the way from the centre to a corner), for a second click on it elsewhere
HOT_CELL_POINTS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let target = null;
  map.eachLayer(l => {
    if (!target && l instanceof L.Polygon && (l.options.fillColor || '').toLowerCase() === '#b2182b') target = l;
  });
  if (!target) return null;
  const c = map.latLngToContainerPoint(target.getBounds().getCenter());
  const corner = map.latLngToContainerPoint(target.getLatLngs().flat(2)[0]);
  return [{x: c.x, y: c.y}, {x: c.x + 0.4 * (corner.x - c.x), y: c.y + 0.4 * (corner.y - c.y)}];
}"""


def test_clicking_a_hexagon_opens_its_details_and_is_audited_once(
    server: str, browser: Browser, browser_db: str
) -> None:
    tab = Tab(browser, server, "patrol")
    page = tab.page
    page.get_by_text("Where to go").wait_for()
    tab.idle()
    container = tab.maps()
    points = container.evaluate(HOT_CELL_POINTS)
    assert points is not None, "no 99 % hot spot drawn"
    tab.rerun(lambda: container.click(position=points[0]))
    heading = page.get_by_text("Hexagon 8", exact=False).first
    heading.wait_for()
    expect(page.get_by_text("Incidents per month")).not_to_have_count(0)
    expect(page.get_by_text("Why:", exact=False)).not_to_have_count(0)
    keep_shot(page, "patrol-details.png", full_page=True)
    cell = heading.inner_text().split()[-1]
    # the same hexagon again, at another point of it (a click on the very same pixel reports nothing new,
    # so no run): the app runs again for the new click, and this second look must not be a new entry
    tab.rerun(lambda: container.click(position=points[1]))
    expect(page.get_by_text(f"Hexagon {cell}")).not_to_have_count(0)
    tab.close()
    store = Store(browser_db)
    views = store.audit(action="view_cell")
    views = views[views["target"] == f"cell:{cell}"]
    assert len(views) == 1, views  # one entry for the look, with who and as what
    assert (views["user"].iloc[0], views["role"].iloc[0]) == ("demo", "analyst")
    store.dispose()


def test_uploading_the_real_avon_file_reports_its_rejected_rows(browser: Browser, tmp_path: Path) -> None:
    """On a store of its own: real data is never loaded beside the demo town (the page refuses it there)."""
    from tests.conftest import real_file

    path = real_file("2023-01-avon-and-somerset-street.csv")
    with serve(store_url(tmp_path / "avon.sqlite"), tmp_path) as url:
        tab = Tab(browser, url, "data")
        page = tab.page
        page.get_by_text("Load data").first.wait_for()
        tab.idle()
        tab.rerun(lambda: page.locator("input[type='file']").set_input_files(str(path)))
        page.get_by_text("Preview").first.wait_for()
        tab.rerun(page.get_by_role("button", name="Import").click)
        page.get_by_text("Why rows were rejected").wait_for(timeout=_ms(120))
        main = page.locator("[data-testid='stMain']")
        expect(main).to_contain_text(re.compile(r"12,?566"))
        expect(main).to_contain_text("778")  # 758 without coordinates + 20 repeated Crime IDs
        expect(main).to_contain_text("758")  # the "no coordinates" reason, counted
        expect(page.get_by_text("Rejected rows (778)")).not_to_have_count(0)
        keep_shot(page, "data-avon-report.png", full_page=True)
        tab.close()


def test_cabinet_and_presentation_never_receive_an_address_or_a_flagged_point(server: str, browser: Browser) -> None:
    import pandas as pd

    flagged = pd.read_csv(ROOT / "data" / "demo-synthetic" / "flagged.csv", dtype=str)
    closures = pd.read_csv(ROOT / "data" / "demo-synthetic" / "closures.csv", dtype=str)
    secrets = [*flagged["Address"], *flagged["UPRN"], *flagged["Lat"], *closures["Address"], *closures["Order Ref"]]
    # the check can fail: an inspector's patrol map does carry flagged addresses
    tab = Tab(browser, server, "patrol")
    tab.page.get_by_text("Where to go").wait_for()
    tab.idle()
    tab.maps()
    html = tab.html(until=lambda h: any(s in h for s in flagged["Address"]), what="a flagged address on the map")
    assert any(s in html for s in flagged["Address"]), "the leak detector sees nothing even here"
    tab.close()

    for label, links in (("Cabinet member", ("Overview", "Trends", "Outcomes")), ("Presentation screen", ("",))):
        tab = Tab(browser, server, "")
        page = tab.page
        page.get_by_text("Nestwatch").first.wait_for()
        tab.idle()
        page.get_by_role("combobox", name="View as").click()  # the demo's role switcher
        tab.rerun(page.get_by_role("option", name=label).click)
        expect(page.get_by_role("link", name="Patrol planner")).to_have_count(0)
        for target in links:
            link = target or "Outcomes"  # the presentation screen has one page and lands on it
            if target:
                tab.rerun(page.get_by_role("link", name=link).click)
            else:
                page.get_by_text("What the partnership achieved").first.wait_for()
                tab.idle()
            if link in ("Trends", "Outcomes"):  # the ward map's tooltips: every count is suppressed or rounded
                tab.maps()
                html = tab.html(until=lambda h: len(_ward_counts(h)) >= 8, what="the ward counts in the map frame")
            else:
                html = _all_html(page)
            leaked = [s for s in secrets if s and s in html]
            assert not leaked, f"{link} sent {leaked[:3]} to the {label}'s browser"
            if link in ("Trends", "Outcomes"):
                counts = _ward_counts(html)
                assert len(counts) >= 8, "no ward counts found in the map frame"
                # a rounded count is marked "≈ " (written \u2248 in the map's JSON)
                numbers = [c.replace("\\u2248 ", "").removeprefix("≈ ").replace(",", "") for c in counts]
                small = [c for c in numbers if c != "fewer than 5" and int(c) % 5]
                assert not small, f"unrounded counts {small} in the {label}'s map"
            keep_shot(page, f"{label.split()[0].lower()}-{link.lower()}.png", full_page=True)
        tab.close()


def test_injected_text_never_runs_and_never_appears_unescaped(server: str, browser: Browser) -> None:
    tab = Tab(browser, server, "patrol")
    page = tab.page
    dialogs: list[str] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
    page.get_by_text("Where to go").wait_for()
    tab.idle()
    container = tab.maps()
    # hover the flagged point that carries the payloads, so its tooltip is built from them
    point = container.evaluate(PAYLOAD_POINT)
    assert point is not None
    container.hover(position=point)
    tooltip = page.frame_locator(MAP_FRAMES).first.locator(".leaflet-tooltip")
    tooltip.filter(has_text=re.compile("|".join(re.escape(p) for p in PAYLOADS))).first.wait_for()
    html = _all_html(page)
    for payload in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert payload not in html, f"unescaped {payload!r} in the page"
    assert not dialogs, f"script ran: {dialogs}"
    assert "onerror=alert(1)" in html  # the text did reach the browser, escaped
    tooltips = " ".join(tooltip.all_inner_texts())
    assert any(p in tooltips for p in PAYLOADS), tooltips  # the payload is shown as text, exactly as typed
    # the hexagon's details: flagged addresses and incident locations holding the payloads, in tables
    tab.rerun(lambda: container.click(position=point))
    page.get_by_text("Where in this hexagon", exact=False).first.wait_for()
    page.get_by_text("Flagged addresses in this hexagon").first.wait_for()
    keep_shot(page, "payload-details.png", full_page=True)
    # the rejects table: the payload categories are quoted in the reasons
    tab.rerun(page.get_by_role("link", name="Imports and rejects").click)
    page.get_by_text("Rejected rows", exact=False).first.wait_for()
    keep_shot(page, "payload-rejects.png", full_page=True)
    # the rejects export: the payloads leave as plain CSV text, exactly as typed
    reason = page.get_by_role("textbox", name="Why are you downloading the rejected rows?")
    reason.fill("checking the feed")
    tab.rerun(lambda: reason.press("Enter"))
    download = page.get_by_role("button", name="Download rejected rows (CSV)")
    expect(download).to_be_enabled()
    with page.expect_download() as info:
        download.click()  # no script run: the file is all there is to wait for
    exported = Path(info.value.path()).read_text(encoding="utf-8-sig")
    reasons = " ".join(row["reason"] for row in csv.DictReader(io.StringIO(exported)))
    assert all(p in reasons for p in PAYLOADS[:3]), reasons[:300]
    html = _all_html(page)
    for payload in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert payload not in html, f"unescaped {payload!r} in the page"
    assert not dialogs, f"script ran: {dialogs}"
    tab.close()
