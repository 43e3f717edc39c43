"""Browser benchmark: from opening the patrol planner to its hexagons drawn, in Debian's Chromium, offline.

Serves the app over a store with :mod:`tests.pages.browser_harness` (tiles off; every request that
leaves 127.0.0.1 is refused and fails the run), signs in as a local inspector (a throw-away users
file), then clicks *Patrol planner* in the menu and times, with the page's own clock
(``performance.now()``, read on every animation frame, no sleeps):

* **title** (the named baseline): the click to the page's heading, the first text the page draws;
* **hexagons drawn**: the click to the map frame holding a Leaflet map with every hexagon of the
  payload added (the count in the page's own script), no canvas redraw pending and no zoom animating.

Both are timed twice: the first visit after the server starts (caches empty: the page computes the
plan) and a second visit after going back to the overview (the plan cached; the browser still builds
the map afresh). Target (issue #15, ~20k cells): hexagons drawn < 3 s on the first visit.

Stores: the demo town (built here) unless ``--db`` is given; ``--db PATH`` (repeatable) for any store.
A SQLite file is copied first (signing in and looking at layers write audit rows). ``--screenshot DIR``
saves the patrol page of each store at 1366x768 (default ``benchmarks/out``).

    .venv/bin/python benchmarks/bench_browser.py [--db PATH]... [--screenshot DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from benchmarks.bench_pages import _copy_store  # noqa: E402
from tests.pages.browser_harness import CHROMIUM, MAP_FRAMES, Tab, _ms, launch, serve  # noqa: E402

#: The local inspector the benchmark signs in as (a users file made for the run).
INSPECTOR = ("bench-inspector", "bench-inspector-passphrase")
TARGET_S = 3.0
VIEWPORT = {"width": 1366, "height": 768}

# Installed in the page just before the click: the click's own time stamp is the start; then, on every
# animation frame, note when the patrol page's heading first shows and when the map frame first holds
# every hexagon of its payload, drawn (the same clock: performance.now()).
MEASURE = (
    """() => {
  const marks = window.__nwMarks = {t0: null, title: null, drawn: null, hexes: 0, expected: -1};
  const start = e => { if (marks.t0 === null) marks.t0 = e.timeStamp; };
  document.addEventListener('click', start, {capture: true, once: true});
  function drawn() {
    const f = document.querySelector('"""
    + MAP_FRAMES
    + """');
    const w = f && f.contentWindow;
    if (!w || !w.L || !w.map || f.getBoundingClientRect().height < 100) return false;
    if (marks.expected < 0) {  // the payload's own count of hexagons, read once the map script has run
      const text = [...w.document.scripts].map(s => s.text).find(t => t.includes('"cells":"')) || '';
      const ids = (text.match(/"cells":"([^"]*)"/) || [null, ''])[1];
      marks.expected = ids ? ids.split(' ').length : 0;
    }
    let hexes = 0, pending = false;
    w.map.eachLayer(l => {
      if (l.feature && l.feature.properties && l.feature.properties.cell) hexes += 1;
      if (l instanceof w.L.Renderer && l._redrawRequest) pending = true;
    });
    marks.hexes = hexes;
    return hexes > 0 && hexes === marks.expected && !pending && !w.map._animatingZoom && w.map.getSize().x > 0;
  }
  function tick() {
    const now = performance.now();
    if (marks.t0 !== null && marks.title === null) {
      const h = document.querySelector('[data-testid="stMain"] h1');
      if (h && h.textContent.includes('Patrol planner')) marks.title = now;
    }
    if (marks.t0 !== null && marks.drawn === null && drawn()) marks.drawn = now;
    if (marks.drawn === null || marks.title === null) requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
}"""
)

# what the page and its map frame hold, for the message when the wait above runs out
STATE = (
    """() => {
  const f = document.querySelector('"""
    + MAP_FRAMES
    + """'), w = f && f.contentWindow, m = w && w.map;
  return {marks: window.__nwMarks, frames: document.querySelectorAll('"""
    + MAP_FRAMES
    + """').length,
    frameHeight: f ? f.getBoundingClientRect().height : null, map: !!m,
    animating: m ? !!m._animatingZoom : null, zoom: m ? m.getZoom() : null};
}"""
)


class SignedInTab(Tab):
    """A :class:`Tab` at 1366x768 that signs in through the form first (a users file: no open mode)."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.finished = 0
        expect.set_options(timeout=_ms(60))
        self.context: BrowserContext = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(_ms(60))
        self.blocked: list[str] = []
        self.context.route("**/*", self._only_loopback)
        self.page: Page = self.context.new_page()
        self.page.on("websocket", self._watch)
        self.page.goto(url)
        self.page.wait_for_selector("[data-testid='stApp']")
        self.idle(after=0)
        self.page.get_by_role("textbox", name="User name").fill(INSPECTOR[0])
        self.page.get_by_role("textbox", name="Password").fill(INSPECTOR[1])
        self.rerun(self.page.get_by_role("button", name="Sign in").click)
        expect(self.page.get_by_text("Patrol planner").first).to_be_visible()

    def visit(self, link: str) -> None:
        """Click a menu link and wait for its run to finish (no timing)."""
        link_el = self.page.locator("[data-testid='stSidebar'] a").filter(has_text=link).first
        self.rerun(link_el.click)

    def time_patrol(self) -> dict[str, float]:
        """Seconds from the click on *Patrol planner* to its heading and to its hexagons drawn."""
        self.page.evaluate(MEASURE)
        link = self.page.locator("[data-testid='stSidebar'] a").filter(has_text="Patrol planner").first
        before = self.finished
        link.click()
        try:
            self.page.wait_for_function(
                "() => window.__nwMarks && window.__nwMarks.drawn !== null && window.__nwMarks.title !== null",
                timeout=_ms(120),
            )
        except PlaywrightTimeout:
            state = self.page.evaluate(STATE)
            raise SystemExit(f"the patrol page was not drawn: {state}") from None
        self.idle(after=before)
        marks = self.page.evaluate("() => window.__nwMarks")
        expect(self.page.locator("[data-testid='stException']")).to_have_count(0)
        return {
            "title": (marks["title"] - marks["t0"]) / 1000,
            "drawn": (marks["drawn"] - marks["t0"]) / 1000,
            "hexes": marks["hexes"],
        }


def _store(label: str, given: str | None, tmp: Path) -> str:
    if given is None:
        from geo.demo import load_demo
        from geo.store import Store

        db = str(tmp / "demo.sqlite")
        store = Store(db)
        load_demo(store)
        store.dispose()
        return db
    return _copy_store(given, tmp)  # the page writes audit rows: never into the given store


def run(browser: Browser, label: str, db: str, tmp: Path, shots: Path) -> dict[str, dict[str, float]]:
    from geo.access.users import add_user

    users = tmp / "users.toml"
    add_user(users, INSPECTOR[0], INSPECTOR[1], role="inspector")
    # no file watcher: a source file saved during the run (other work in the tree) would otherwise reload
    # modules under the running sessions, as it never happens in service
    env = {"NESTWATCH_USERS": str(users), "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    with serve(db, tmp, env=env) as url:
        tab = SignedInTab(browser, url)
        first = tab.time_patrol()
        shots.mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(shots / f"patrol-{label}-1366x768.png"))
        tab.page.screenshot(path=str(shots / f"patrol-{label}-1366x768-full.png"), full_page=True)
        tab.visit("Overview")
        expect(tab.page.locator(MAP_FRAMES)).to_have_count(0)  # the next timing starts from a page without a map
        second = tab.time_patrol()
        tab.close()
    return {"first": first, "second": second}


def main(argv: list[str]) -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    given = [argv[i + 1] for i, a in enumerate(argv) if a == "--db"]
    stores: list[tuple[str, str | None]] = [(Path(g).stem, g) for g in given] or [("demo", None)]
    shots = Path(argv[argv.index("--screenshot") + 1]) if "--screenshot" in argv else OUT
    rows = []
    with launch() as browser:
        for label, source in stores:
            with tempfile.TemporaryDirectory() as tmp:
                db = _store(label, source, Path(tmp))
                rows.append((label, run(browser, label, db, Path(tmp), shots)))
    print(f"{'store':<10}{'visit':<8}{'hexagons':>9}{'title (baseline)':>18}{'hexagons drawn':>16}{'/title':>8}")
    for label, result in rows:
        for visit, r in result.items():
            mark = "ok" if r["drawn"] < TARGET_S else "SLOW"
            print(
                f"{label:<10}{visit:<8}{r['hexes']:>9,}{r['title']:>16.2f} s{r['drawn']:>12.2f} s {mark:<4}"
                f"{r['drawn'] / r['title']:>6.1f}"
            )
    print(
        "click on Patrol planner -> its heading (baseline) and -> every hexagon drawn; first: caches empty, "
        f"second: after the overview; target: hexagons drawn < {TARGET_S:g} s on the first visit. "
        f"Screenshots (1366x768): {shots}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
