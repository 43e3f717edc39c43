"""The browser harness the Chromium tests share: a served app, an offline tab that knows when a run is done.

:func:`serve` starts the app on a free loopback port over a given store, tiles
off (``NESTWATCH_TILES=none``). :class:`Tab` opens a page in its own browser
context that refuses every request not addressed to the loopback interface
and remembers it, so :meth:`Tab.close` fails the test on any request that
would have left the machine (a font host, a CDN script, a favicon).

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

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, WebSocket, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.conftest import patience, wait_until

#: Hosts a page may reach: the app itself.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

ROOT = Path(__file__).resolve().parents[2]
#: Where the screenshots people look at go: the folder in ``NESTWATCH_SHOTS`` (``tests/screenshots`` is ignored
#: by git). Unset, as in CI, none is taken: a picture no one looks at costs the run a second or two each.
SHOTS = Path(os.environ.get("NESTWATCH_SHOTS") or ROOT / "tests" / "screenshots")
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


def shots_wanted() -> bool:
    """True when ``NESTWATCH_SHOTS`` names a folder for screenshots (a test may skip work done only for them)."""
    return bool(os.environ.get("NESTWATCH_SHOTS"))


def keep_shot(target: Page | Locator, name: str, **options: object) -> None:
    """A screenshot of ``target`` as ``name`` in :data:`SHOTS`, when :func:`shots_wanted`; else nothing."""
    if not shots_wanted():
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / name), **options)  # type: ignore[arg-type]


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


def _healthy(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
    except OSError:
        return False
    return True


@contextmanager
def serve(db: str, log_dir: Path, *, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run the app on a free loopback port over the store ``db``, tiles off; yield its URL.

    ``env`` adds or overrides environment variables (``NESTWATCH_USERS``…).
    The server's output goes to a file in ``log_dir``: a pipe nobody reads
    fills up and stops the server mid-test.
    """
    port = _free_port()
    environ = {**os.environ, "NESTWATCH_DB": str(db), "NESTWATCH_TILES": "none", **(env or {})}
    environ.pop("NESTWATCH_DATABASE_URL", None)
    log = log_dir / "streamlit.log"
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
            env=environ,
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
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=patience(30))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def require_chromium() -> None:
    """Skip the calling test or fixture when Debian's Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")


@contextmanager
def launch() -> Iterator[Browser]:
    """Debian's Chromium, headless (a module-scoped fixture in each browser test file yields this)."""
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
        self.blocked: list[str] = []
        self.context.route("**/*", self._only_loopback)
        self.page: Page = self.context.new_page()
        self.page.on("websocket", self._watch)
        self.page.goto(f"{url}/{path}")
        try:
            self.page.wait_for_selector("[data-testid='stSidebar']", timeout=_ms(30))
        except PlaywrightTimeout:
            self.page.reload()
            self.page.wait_for_selector("[data-testid='stSidebar']", timeout=_ms(60))
        self.idle()

    def _only_loopback(self, route: Route) -> None:
        # anything that leaves 127.0.0.1 is refused, and remembered: close() fails the test on it
        host = urlsplit(route.request.url).hostname
        if host in LOOPBACK or route.request.url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

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
        """Close the tab; fail if the page asked for anything beyond the loopback interface."""
        self.context.close()
        assert not self.blocked, f"requests that would have left the machine: {sorted(set(self.blocked))}"


def _all_html(page: Page) -> str:
    """The page and every frame (maps live in iframes), as the browser holds them."""
    parts = [page.content()]
    for f in page.frames:
        try:
            parts.append(f.content())
        except PlaywrightError:  # detached while being read
            continue
    return "\n".join(parts)
