"""End to end in Debian's Chromium, offline: every page loads, the map draws hexagons, exports download.

Starts the app on a free loopback port with the demo store and tiles off
(``NESTWATCH_TILES=none``), so nothing is fetched from the internet. The
browser is told to refuse any request that leaves 127.0.0.1, so a CDN
script would show up as a blank map. Screenshots go to ``tests/screenshots/``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geo.demo import load_demo
from geo.store import Store
from tests.conftest import store_url

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory) -> Path:
    """The demo town plus the payload rows; the server below serves it."""
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    db = store_url(tmp_path_factory.mktemp("browser") / "demo.sqlite")
    store = Store(db)
    load_demo(store)
    payloads = tmp_path_factory.mktemp("payloads") / "flagged-payloads.csv"
    payloads.write_text(PAYLOAD_CSV, encoding="utf-8")
    from geo.store.importer import import_path

    assert import_path(store, "flagged", payloads).stored == len(PAYLOADS)
    incidents = payloads.with_name("incident-payloads.csv")
    incidents.write_text(_incident_payload_csv(store.months()[1]), encoding="utf-8")
    result = import_path(store, "incidents", incidents)
    assert (result.stored, result.rejected) == (len(PAYLOADS), len(PAYLOADS))
    store.dispose()
    return db


@pytest.fixture(scope="module")
def server(browser_db):
    db = browser_db
    port = _free_port()
    env = {**os.environ, "NESTWATCH_DB": str(db), "NESTWATCH_TILES": "none"}
    env.pop("NESTWATCH_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, url: str, path: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(url) else route.abort(),
    )
    page = context.new_page()
    page.goto(f"{url}/{path}")
    try:
        page.wait_for_selector("[data-testid='stSidebar']", timeout=30_000)
    except Exception:
        page.reload()
        page.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
    return context, page


def _wait_idle(page) -> None:
    """Until Streamlit has finished running the script and no element is a loading skeleton."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
              && !document.querySelector('[data-testid="stSkeleton"], .stSkeleton')""",
        timeout=90_000,
    )
    time.sleep(1.5)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
              && !document.querySelector('[data-testid="stSkeleton"], .stSkeleton')""",
        timeout=90_000,
    )


def _map_paths(page, *, minimum: int) -> int:
    frame = None
    deadline = time.time() + 60
    while time.time() < deadline and frame is None:
        for f in page.frames:
            try:
                if f.locator(".leaflet-container").count():
                    frame = f
                    break
            except Exception:
                continue
        time.sleep(0.5)
    assert frame is not None, "no Leaflet map found in any frame"
    frame.wait_for_function(
        "() => document.querySelectorAll('.leaflet-container path, .leaflet-container canvas').length >= 1",
        timeout=30_000,
    )
    return frame


def test_every_page_loads_offline_and_gets_a_screenshot(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
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
        context, page = _page(browser, server, path)
        page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)
        _wait_idle(page)
        assert not page.locator("[data-testid='stException']").count(), f"exception on {path or 'overview'}"
        assert page.get_by_text("Synthetic demo data.").count(), f"{path or 'overview'} ran without app.py"
        assert page.get_by_text("Loaded", exact=True).count()
        if path in ("patrol", "trends", "outcomes"):
            _map_paths(page, minimum=1)
            time.sleep(2)  # let every map iframe draw before the picture
        page.screenshot(path=str(SHOTS / f"{path or 'overview'}.png"), full_page=True)
        if path == "outcomes":  # below the fold: the map and the chart
            frame = page.locator("iframe").first
            frame.scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=str(SHOTS / "outcomes-map.png"))
        context.close()


def test_patrol_map_draws_hexagons_and_exports_parse(server, browser):
    context, page = _page(browser, server, "patrol")
    page.get_by_text("Where to go").wait_for(timeout=60_000)
    _wait_idle(page)
    frame = _map_paths(page, minimum=1)
    drawn = frame.evaluate(COUNT_POLYGONS)
    assert drawn >= 20, f"only {drawn} hexagons drawn"
    assert page.get_by_role("button", name="Patrol plan (GeoJSON)").is_disabled()  # no reason, no export
    page.get_by_role("textbox", name="Why are you taking the plan away?").fill("Monday briefing")
    page.get_by_role("textbox", name="Why are you taking the plan away?").press("Enter")
    _wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Patrol plan (GeoJSON)").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert len(data["features"]) == 10 and data["features"][0]["geometry"]["type"] == "Polygon"
    with page.expect_download() as info:
        page.get_by_role("button", name="Patrol plan (CSV)").click()
    assert Path(info.value.path()).read_text(encoding="utf-8-sig").startswith("visit_order,rank,cell")
    with page.expect_download() as info:
        page.get_by_role("button", name="Printable plan (HTML)").click()
    printable = Path(info.value.path()).read_text()
    assert printable.startswith("<!doctype html>") and "<svg" in printable and printable.count("<tr>") == 11
    page.screenshot(path=str(SHOTS / "patrol-map.png"), full_page=True)
    context.close()


# the centre of the first hot-spot hexagon (99 %), in the map container's pixels
HOT_CELL_POINT = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let target = null;
  map.eachLayer(l => {
    if (!target && l instanceof L.Polygon && (l.options.fillColor || '').toLowerCase() === '#b2182b') target = l;
  });
  if (!target) return null;
  const p = map.latLngToContainerPoint(target.getBounds().getCenter());
  return {x: p.x, y: p.y};
}"""


def test_clicking_a_hexagon_opens_its_details_and_is_audited_once(server, browser, browser_db):
    context, page = _page(browser, server, "patrol")
    page.get_by_text("Where to go").wait_for(timeout=60_000)
    _wait_idle(page)
    frame = _map_paths(page, minimum=1)
    point = frame.evaluate(HOT_CELL_POINT)
    assert point is not None, "no 99 % hot spot drawn"
    frame.locator(".leaflet-container").click(position=point)
    page.get_by_text("Hexagon 8", exact=False).first.wait_for(timeout=60_000)
    _wait_idle(page)
    assert page.get_by_text("Incidents per month").count()
    assert page.get_by_text("Why:", exact=False).count()
    page.screenshot(path=str(SHOTS / "patrol-details.png"), full_page=True)
    heading = page.get_by_text("Hexagon 8", exact=False).first.inner_text()
    cell = heading.split()[-1]
    frame.locator(".leaflet-container").click(position=point)  # the same hexagon again: not a new look
    _wait_idle(page)
    context.close()
    store = Store(browser_db)
    views = store.audit(action="view_cell")
    views = views[views["target"] == f"cell:{cell}"]
    assert len(views) == 1, views  # one entry for the look, with who and as what
    assert (views["user"].iloc[0], views["role"].iloc[0]) == ("demo", "analyst")
    store.dispose()


def test_uploading_the_real_avon_file_reports_its_rejected_rows(server, browser):
    from tests.conftest import real_file

    path = real_file("2023-01-avon-and-somerset-street.csv")
    context, page = _page(browser, server, "data")
    page.get_by_text("Load data").first.wait_for(timeout=60_000)
    _wait_idle(page)
    page.locator("input[type='file']").set_input_files(str(path))
    page.get_by_text("Preview").first.wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Why rows were rejected").wait_for(timeout=120_000)
    _wait_idle(page)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "12,566" in body or "12566" in body
    assert "778" in body  # 758 without coordinates + 20 repeated Crime IDs
    assert "758" in body  # the "no coordinates" reason, counted
    assert page.get_by_text("Rejected rows (778)").count()
    page.screenshot(path=str(SHOTS / "data-avon-report.png"), full_page=True)
    context.close()


def _all_html(page) -> str:
    """The page and every frame (maps live in iframes), as the browser holds them."""
    parts = [page.content()]
    for f in page.frames:
        try:
            parts.append(f.content())
        except Exception:
            continue
    return "\n".join(parts)


def test_cabinet_and_presentation_never_receive_an_address_or_a_flagged_point(server, browser):
    import pandas as pd

    flagged = pd.read_csv(ROOT / "data" / "demo-synthetic" / "flagged.csv", dtype=str)
    closures = pd.read_csv(ROOT / "data" / "demo-synthetic" / "closures.csv", dtype=str)
    secrets = [*flagged["Address"], *flagged["UPRN"], *flagged["Lat"], *closures["Address"], *closures["Order Ref"]]
    # the check can fail: an inspector's patrol map does carry flagged addresses
    context, page = _page(browser, server, "patrol")
    page.get_by_text("Where to go").wait_for(timeout=60_000)
    _wait_idle(page)
    _map_paths(page, minimum=1)
    assert any(s in _all_html(page) for s in flagged["Address"]), "the leak detector sees nothing even here"
    context.close()

    for label, links in (("Cabinet member", ("Overview", "Trends", "Outcomes")), ("Presentation screen", ("",))):
        context, page = _page(browser, server, "")
        page.get_by_text("Nestwatch").first.wait_for(timeout=60_000)
        _wait_idle(page)
        page.get_by_role("combobox", name="View as").click()  # the demo's role switcher
        page.get_by_role("option", name=label).click()
        _wait_idle(page)
        assert not page.get_by_role("link", name="Patrol planner").count()
        for target in links:
            link = target or "Outcomes"  # the presentation screen has one page and lands on it
            if target:
                page.get_by_role("link", name=link).click()
            else:
                page.get_by_text("What the partnership achieved").first.wait_for(timeout=60_000)
            _wait_idle(page)
            if link in ("Trends", "Outcomes"):
                _map_paths(page, minimum=1)
                time.sleep(2)
            html = _all_html(page)
            leaked = [s for s in secrets if s and s in html]
            assert not leaked, f"{link} sent {leaked[:3]} to the {label}'s browser"
            if link in ("Trends", "Outcomes"):  # the ward map's tooltips: every count is suppressed or rounded
                import re

                counts = re.findall(r'"(?:now|asb)":\s*"([^"]*)"', html)
                assert len(counts) >= 8, "no ward counts found in the map frame"
                small = [c for c in counts if c != "fewer than 5" and int(c.replace(",", "")) % 5]
                assert not small, f"unrounded counts {small} in the {label}'s map"
            page.screenshot(path=str(SHOTS / f"{label.split()[0].lower()}-{link.lower()}.png"), full_page=True)
        context.close()


def test_injected_text_never_runs_and_never_appears_unescaped(server, browser):
    context, page = _page(browser, server, "patrol")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_text("Where to go").wait_for(timeout=60_000)
    _wait_idle(page)
    frame = _map_paths(page, minimum=1)
    # hover the flagged point that carries the payloads, so its tooltip is built from them
    point = frame.evaluate(PAYLOAD_POINT)
    assert point is not None
    frame.locator(".leaflet-container").hover(position=point)
    time.sleep(1)
    html = _all_html(page)
    for payload in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert payload not in html, f"unescaped {payload!r} in the page"
    assert not dialogs, f"script ran: {dialogs}"
    assert "onerror=alert(1)" in html  # the text did reach the browser, escaped
    tooltips = " ".join(frame.locator(".leaflet-tooltip").all_inner_texts())
    assert any(p in tooltips for p in PAYLOADS), tooltips  # the payload is shown as text, exactly as typed
    # the hexagon's details: flagged addresses and incident locations holding the payloads, in tables
    frame.locator(".leaflet-container").click(position=point)
    page.get_by_text("Where in this hexagon", exact=False).first.wait_for(timeout=60_000)
    page.get_by_text("Flagged addresses in this hexagon").first.wait_for(timeout=60_000)
    _wait_idle(page)
    page.screenshot(path=str(SHOTS / "payload-details.png"), full_page=True)
    # the rejects table: the payload categories are quoted in the reasons
    page.get_by_role("link", name="Imports and rejects").click()
    _wait_idle(page)
    page.get_by_text("Rejected rows", exact=False).first.wait_for(timeout=60_000)
    page.screenshot(path=str(SHOTS / "payload-rejects.png"), full_page=True)
    # the rejects export: the payloads leave as plain CSV text, exactly as typed
    page.get_by_role("textbox", name="Why are you downloading the rejected rows?").fill("checking the feed")
    page.get_by_role("textbox", name="Why are you downloading the rejected rows?").press("Enter")
    _wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download rejected rows (CSV)").click()
    import csv
    import io

    exported = Path(info.value.path()).read_text(encoding="utf-8-sig")
    reasons = " ".join(row["reason"] for row in csv.DictReader(io.StringIO(exported)))
    assert all(p in reasons for p in PAYLOADS[:3]), reasons[:300]
    html = _all_html(page)
    for payload in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert payload not in html, f"unescaped {payload!r} in the page"
    assert not dialogs, f"script ran: {dialogs}"
    context.close()
