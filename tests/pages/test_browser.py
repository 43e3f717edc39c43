"""End to end in Debian's Chromium, offline: every page loads, the map draws hexagons, exports download.

Starts the app on a free loopback port with the demo store and tiles off
(``NESTWATCH_TILES=none``), so nothing is fetched from the internet. The
browser is told to refuse any request that leaves 127.0.0.1, so a CDN
script would show up as a blank map. Screenshots go to ``tests/screenshots/``.

Nothing here reads the page at a moment chosen by the clock: on a busy
machine the map may draw seconds after the text beside it. Every read waits
for a condition first (Playwright's ``expect`` and locator waits, or
:class:`Tab`'s waits below), each bounded by :func:`tests.conftest.patience`:

* a script run has finished: the tab counts the ``script_finished`` messages
  its own websocket receives, so after an action it waits for a run that
  started after the action (the page's "not running" state alone is also
  true in the moment before that run starts);
* every map is drawn: each streamlit-folium frame holds a Leaflet map with
  its polygons added and no canvas redraw pending.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, WebSocket, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geo.demo import load_demo
from geo.store import Store
from tests.conftest import patience, store_url, wait_until

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


#: The streamlit-folium component's frames (one per map on the page).
MAP_FRAMES = 'iframe[title="streamlit_folium.st_folium"]'

# The page has finished what it is doing: connected, no script running, no element still a loading skeleton.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testConnectionState === 'CONNECTED' && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stSkeleton"], .stSkeleton');
}"""

# Per map frame: its Leaflet polygons once the map is drawn, or -1 while it is not (no map yet, or a canvas
# redraw still pending). The frames are same-origin, so the page can look into each.
MAP_POLYGONS = (
    f"() => [...document.querySelectorAll('{MAP_FRAMES}')]"
    + """.map(f => {
  const w = f.contentWindow;
  const map = w && w.L ? Object.values(w).find(v => v instanceof w.L.Map) : null;
  if (!map) return -1;
  let polygons = 0, pending = false;
  map.eachLayer(l => {
    if (l instanceof w.L.Polygon && !(l instanceof w.L.Rectangle)) polygons += 1;
    if (l instanceof w.L.Renderer && l._redrawRequest) pending = true;
  });
  return pending ? -1 : polygons;
})"""
)

#: Script runs that count as finished (a run stopped early for a rerun is followed by the one that matters).
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


def _ms(seconds: float) -> float:
    """A Playwright timeout (ms) for a step that takes well under ``seconds`` on an idle machine."""
    return patience(seconds) * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo town plus the payload rows; the server below serves it."""
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
    months = store.months()
    assert months is not None, "the demo town has no incidents"
    incidents.write_text(_incident_payload_csv(months[1]), encoding="utf-8")
    result = import_path(store, "incidents", incidents)
    assert (result.stored, result.rejected) == (len(PAYLOADS), len(PAYLOADS))
    store.dispose()
    return db


def _healthy(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def server(browser_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "NESTWATCH_DB": str(browser_db), "NESTWATCH_TILES": "none"}
    env.pop("NESTWATCH_DATABASE_URL", None)
    # the server's output goes to a file: a pipe nobody reads fills up and stops the server mid-test
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with log.open("wb") as out:
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
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is not None or _healthy(url), seconds=60, what=f"{url}/_stcore/health")
        assert proc.poll() is None, f"the app exited with {proc.returncode}: {log.read_text()[-2000:]}"
    except BaseException:
        proc.kill()
        raise
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=patience(30))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Tab:
    """A browser tab on the app, offline, that knows when the app has finished what an action started.

    It counts the script runs its websocket reports finished; :meth:`idle`
    and :meth:`rerun` wait on that count and on the page's own state, and
    :meth:`maps` on every map being drawn. ``context`` and ``page`` are
    Playwright's.
    """

    def __init__(self, browser: Browser, url: str, path: str) -> None:
        self.finished = 0
        expect.set_options(timeout=_ms(60))
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        self.context.set_default_timeout(_ms(60))
        self.context.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(url) else route.abort(),
        )
        self.page: Page = self.context.new_page()
        self.page.on("websocket", self._watch)
        self.page.goto(f"{url}/{path}")
        try:
            self.page.wait_for_selector("[data-testid='stSidebar']", timeout=_ms(30))
        except PlaywrightTimeout:
            self.page.reload()
            self.page.wait_for_selector("[data-testid='stSidebar']", timeout=_ms(60))
        self.idle()

    def _watch(self, ws: WebSocket) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in FINISHED:
                self.finished += 1

    def idle(self, *, after: int | None = None) -> None:
        """Until no script runs and nothing is loading; with ``after``, only once more runs than that have finished.

        Waiting in Playwright (not ``time.sleep``) is what lets the sync API
        deliver the websocket frames that move the count on.
        """
        if after is not None:
            limit = patience(120)
            deadline = time.monotonic() + limit
            while self.finished <= after:
                if time.monotonic() > deadline:
                    pytest.fail(f"waited {limit:.0f} s for the script run started by the last action to finish")
                self.page.wait_for_timeout(50)
        self.page.wait_for_function(IDLE, timeout=_ms(120))

    def rerun(self, action: Callable[[], object]) -> None:
        """Do ``action`` (something that makes the app run its script) and wait until that run has finished."""
        before = self.finished
        action()
        self.idle(after=before)

    def maps(self, *, minimum: int = 1) -> Locator:
        """Until every map on the page is drawn with at least ``minimum`` polygons; the first map's container."""
        try:
            self.page.wait_for_function(
                f"(minimum) => {{ const n = ({MAP_POLYGONS})(); return n.length > 0 && n.every(c => c >= minimum); }}",
                arg=minimum,
                timeout=_ms(90),
            )
        except PlaywrightTimeout:
            state = self.page.evaluate(MAP_POLYGONS)
            pytest.fail(f"maps not drawn with {minimum}+ polygons each (per map, -1 = not drawn yet): {state}")
        return self.page.frame_locator(MAP_FRAMES).first.locator(".leaflet-container")

    def html(self, *, until: Callable[[str], bool], what: str) -> str:
        """The page and every frame as the browser holds them, once ``until`` holds of that text.

        A frame that is replaced while it is read is read again on the next try.
        """
        html = ""

        def ready() -> bool:
            nonlocal html
            try:
                html = _all_html(self.page)
            except PlaywrightError:  # the page itself was between two documents: read it again
                return False
            return until(html)

        wait_until(ready, seconds=60, what=what, every=0.25)
        return html

    def close(self) -> None:
        self.context.close()


def _all_html(page: Page) -> str:
    """The page and every frame (maps live in iframes), as the browser holds them."""
    parts = [page.content()]
    for f in page.frames:
        try:
            parts.append(f.content())
        except PlaywrightError:  # detached while being read
            continue
    return "\n".join(parts)


def _ward_counts(html: str) -> list[str]:
    """The counts the ward map's tooltips carry (``now``: this period, ``asb``: the outcomes map)."""
    return re.findall(r'"(?:now|asb)":\s*"([^"]*)"', html)


def test_every_page_loads_offline_and_gets_a_screenshot(server: str, browser: Browser) -> None:
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
        name = path or "overview"
        tab = Tab(browser, server, path)
        page = tab.page
        page.get_by_text(text, exact=False).first.wait_for()
        tab.idle()
        expect(page.locator("[data-testid='stException']"), f"exception on {name}").to_have_count(0)
        expect(page.get_by_text("Synthetic demo data."), f"{name} ran without app.py").not_to_have_count(0)
        expect(page.get_by_text("Loaded", exact=True)).not_to_have_count(0)
        if path in ("patrol", "trends", "outcomes"):
            tab.maps()  # every map drawn before the picture
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        if path == "outcomes":  # below the fold: the map and the chart
            frame = page.locator("iframe").first
            frame.scroll_into_view_if_needed()
            expect(frame).to_be_in_viewport()
            page.screenshot(path=str(SHOTS / "outcomes-map.png"))
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
    with page.expect_download() as info:
        tab.rerun(geojson.click)
    data = json.loads(Path(info.value.path()).read_text())
    assert len(data["features"]) == 10 and data["features"][0]["geometry"]["type"] == "Polygon"
    with page.expect_download() as info:
        tab.rerun(page.get_by_role("button", name="Patrol plan (CSV)").click)
    assert Path(info.value.path()).read_text(encoding="utf-8-sig").startswith("visit_order,rank,cell")
    with page.expect_download() as info:
        tab.rerun(page.get_by_role("button", name="Printable plan (HTML)").click)
    printable = Path(info.value.path()).read_text()
    assert printable.startswith("<!doctype html>") and "<svg" in printable and printable.count("<tr>") == 11
    page.screenshot(path=str(SHOTS / "patrol-map.png"), full_page=True)
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
    page.screenshot(path=str(SHOTS / "patrol-details.png"), full_page=True)
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


def test_uploading_the_real_avon_file_reports_its_rejected_rows(server: str, browser: Browser) -> None:
    from tests.conftest import real_file

    path = real_file("2023-01-avon-and-somerset-street.csv")
    tab = Tab(browser, server, "data")
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
    page.screenshot(path=str(SHOTS / "data-avon-report.png"), full_page=True)
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
                small = [c for c in counts if c != "fewer than 5" and int(c.replace(",", "")) % 5]
                assert not small, f"unrounded counts {small} in the {label}'s map"
            page.screenshot(path=str(SHOTS / f"{label.split()[0].lower()}-{link.lower()}.png"), full_page=True)
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
    page.screenshot(path=str(SHOTS / "payload-details.png"), full_page=True)
    # the rejects table: the payload categories are quoted in the reasons
    tab.rerun(page.get_by_role("link", name="Imports and rejects").click)
    page.get_by_text("Rejected rows", exact=False).first.wait_for()
    page.screenshot(path=str(SHOTS / "payload-rejects.png"), full_page=True)
    # the rejects export: the payloads leave as plain CSV text, exactly as typed
    reason = page.get_by_role("textbox", name="Why are you downloading the rejected rows?")
    reason.fill("checking the feed")
    tab.rerun(lambda: reason.press("Enter"))
    download = page.get_by_role("button", name="Download rejected rows (CSV)")
    expect(download).to_be_enabled()
    with page.expect_download() as info:
        tab.rerun(download.click)
    exported = Path(info.value.path()).read_text(encoding="utf-8-sig")
    reasons = " ".join(row["reason"] for row in csv.DictReader(io.StringIO(exported)))
    assert all(p in reasons for p in PAYLOADS[:3]), reasons[:300]
    html = _all_html(page)
    for payload in ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"):
        assert payload not in html, f"unescaped {payload!r} in the page"
    assert not dialogs, f"script ran: {dialogs}"
    tab.close()
