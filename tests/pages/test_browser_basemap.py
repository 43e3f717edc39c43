"""The offline basemap in Chromium: tiles of the force's own file, read from the app, drawn under the map.

The app is served with ``NESTWATCH_BASEMAP`` naming a tiny raster PMTiles archive made by
:mod:`scripts.basemap_fixture`: tiles of solid magenta and teal in a checkerboard, over the demo town. Every
request that leaves 127.0.0.1 is refused and fails the test (:class:`~tests.pages.browser_harness.Tab`);
so the tiles on the screen can only have come from the app's copy of the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
pytest.importorskip("pmtiles")
pytest.importorskip("PIL")

from PIL import Image
from playwright.sync_api import Browser, Request, Response

from dashboard.basemap import PREPARED_DIR, _source_id, prepare
from scripts.basemap_fixture import COLOURS, write_pmtiles, write_vector_pmtiles
from tests.conftest import store_url
from tests.pages.browser_harness import MAP_FRAMES, Tab, _ms, keep_shot, launch, require_chromium, serve, shots_wanted

pytestmark = pytest.mark.browser


# The first map's basemap layer has finished loading and shows at least two decoded tiles from blob: URLs
# (pmtiles' raster layer turns each tile's bytes into an object URL for an <img>).
TILES_DRAWN = (
    f"() => {{ const f = document.querySelector('{MAP_FRAMES}'); const w = f && f.contentWindow;"
    + """
  const map = w && w.L ? Object.values(w).find(v => v instanceof w.L.Map) : null;
  const layer = map && map.nwBasemap;
  if (!layer || layer._loading) return 0;
  return [...layer.getContainer().querySelectorAll('img')]
    .filter(i => i.src.startsWith('blob:') && i.complete && i.naturalWidth === 256).length;
}"""
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("basemap")
    made = {"raster": folder / "town.pmtiles", "vector": folder / "town-vector.pmtiles"}
    write_pmtiles(made["raster"])
    write_vector_pmtiles(made["vector"])
    yield made
    # the served copies (static/basemap/<file>-<version>/): not left in the work tree
    for path in made.values():
        for copy in PREPARED_DIR.glob(f"{_source_id(str(path))}-*"):
            for part in copy.iterdir():
                part.unlink()
            copy.rmdir()
    if PREPARED_DIR.exists() and not any(PREPARED_DIR.iterdir()):
        PREPARED_DIR.rmdir()


@pytest.fixture(scope="module")
def server(demo_town: str, files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    db = store_url(tmp_path_factory.mktemp("basemap_db") / "demo.sqlite", template=demo_town)
    with serve(db, tmp_path_factory.mktemp("server"), env={"NESTWATCH_BASEMAP": str(files["raster"])}) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def _pixels(png: bytes) -> list[tuple[int, ...]]:
    raw = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]


def _share(pixels: list[tuple[int, ...]], rgb: tuple[int, int, int]) -> float:
    """The share of ``pixels`` within 3 of ``rgb`` in every channel (the tile's own colour, nothing over it)."""
    close = sum(1 for p in pixels if all(abs(p[i] - rgb[i]) <= 3 for i in range(3)))
    return close / len(pixels)


def test_the_patrol_map_draws_the_files_tiles_read_from_the_app_by_range(server: str, browser: Browser) -> None:
    tab = Tab(browser, server, "patrol")
    page = tab.page
    page.set_viewport_size({"width": 1366, "height": 768})
    reads: list[tuple[str, str | None]] = []
    answers: list[tuple[str, int]] = []

    def request(r: Request) -> None:
        if "/app/static/basemap/" in r.url:
            reads.append((r.url, r.headers.get("range")))

    def response(r: Response) -> None:
        if "/app/static/basemap/" in r.url:
            answers.append((r.url, r.status))

    page.on("request", request)
    page.on("response", response)
    page.reload()  # from the start, so that every read of the archive is seen
    page.wait_for_selector("[data-testid='stSidebar']")
    tab.idle()
    container = tab.maps(minimum=20)
    page.wait_for_function(f"() => ({TILES_DRAWN})() >= 2", timeout=_ms(60))

    # read from the app's copy of the file, by byte ranges, and nothing else
    assert reads, "no part of the basemap was requested"
    assert all(u.startswith(f"{server}/app/static/basemap/") and u.endswith(".bin") for u, _ in reads), reads
    assert all(rng is not None and rng.startswith("bytes=") for _, rng in reads), reads
    assert answers and {s for _, s in answers} == {206}, answers

    # drawn: both colours of the checkerboard are on the map (two tiles at least, side by side), where no
    # hexagon covers them; without the basemap neither colour is anywhere in the app
    keep_shot(page, "patrol-basemap-1366x768.png")
    pixels = _pixels(container.screenshot())
    shares = [_share(pixels, c) for c in COLOURS]
    assert all(s > 0.01 for s in shares), f"share of the map in each tile colour: {shares}"

    # the attribution is the archive's own, as text
    attribution = page.frame_locator(MAP_FRAMES).first.locator(".leaflet-control-attribution")
    assert "Test tiles © Nestwatch fixture" in attribution.inner_text()
    for width, height in ((768, 1024), (1920, 1080)) if shots_wanted() else ():  # the other screens, for the eye
        page.set_viewport_size({"width": width, "height": height})
        tab.idle()
        tab.maps(minimum=20)
        page.wait_for_function(f"() => ({TILES_DRAWN})() >= 2", timeout=_ms(60))
        keep_shot(page, f"patrol-basemap-{width}x{height}.png")
    tab.close()  # fails on any request that left the machine


# In the map's frame: the vendored protomaps-leaflet, over a vector archive read in small parts through the
# page's own parts source, in place of the raster basemap; resolves once every visible tile is drawn.
VECTOR_LAYER = """async (d) => {
  await new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = '/app/static/vendor/protomaps-leaflet/protomaps-leaflet.js';
    s.onload = ok; s.onerror = fail; document.head.appendChild(s);
  });
  const map = Object.values(window).find(v => v instanceof L.Map);
  map.removeLayer(map.nwBasemap);
  const archive = new pmtiles.PMTiles(new NestwatchBasemapParts(d));
  const layer = protomapsL.leafletLayer({url: archive, flavor: 'light', lang: 'en', attribution: '', maxDataZoom: 14});
  await new Promise(ok => { layer.on('load', ok); layer.addTo(map); });
  map.nwBasemap = layer;
}"""

#: protomaps-leaflet's light theme (@protomaps/basemaps 5): earth and water fills.
EARTH, WATER = (0xE2, 0xDF, 0xDA), (0x80, 0xDE, 0xEA)


def test_a_vector_archive_in_several_parts_is_drawn_with_the_light_theme(
    server: str, browser: Browser, files: dict[str, Path]
) -> None:
    # served by the running app as any prepared copy is; 128-byte parts, so every read of the header and
    # directories spans several parts
    made = prepare(str(files["vector"]), into=PREPARED_DIR, part_bytes=128)
    size = files["vector"].stat().st_size
    assert made.kind == "vector" and made.parts == -(-size // 128) >= 3
    tab = Tab(browser, server, "patrol")
    page = tab.page
    page.set_viewport_size({"width": 1366, "height": 768})
    parts: set[str] = set()
    page.on("request", lambda r: parts.add(r.url) if made.url() in r.url else None)
    container = tab.maps(minimum=20)
    frame = page.locator(MAP_FRAMES).first.element_handle().content_frame()
    assert frame is not None
    frame.evaluate(VECTOR_LAYER, {"url": made.url(), "size": made.size, "partBytes": made.part_bytes})
    assert len(parts) >= 2, f"the archive was read from {sorted(parts)}"
    keep_shot(page, "patrol-vector-basemap-1366x768.png")
    pixels = _pixels(container.screenshot())
    shares = [_share(pixels, c) for c in (EARTH, WATER)]
    assert all(s > 0.01 for s in shares), f"share of the map in earth and water colours: {shares}"
    tab.close()
