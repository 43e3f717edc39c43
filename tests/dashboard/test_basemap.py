"""The offline basemap: which files are accepted, how they are served, what the page is told.

Fixtures are made by :mod:`scripts.basemap_fixture` (solid-colour PNG tiles, a kilobyte or two); the
broken files are those bytes cut or changed by hand. Expected values are worked out in the comments.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("pmtiles")

from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from pmtiles.writer import write

from dashboard import basemap
from dashboard.basemap import Basemap, plain_attribution, prepare, read_pmtiles
from dashboard.maps import base_map
from geo.core.errors import InputError, StoreError
from scripts.basemap_fixture import COLOURS, solid_png, tiles, write_mbtiles, write_pmtiles

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "back`tick",
    "</script><script>alert(2)</script>",
    "{{ 7*7 }}",
]


@pytest.fixture(autouse=True)
def _fresh(monkeypatch, tmp_path):
    """No basemap unless a test sets one; every check made again; served copies under tmp_path."""
    monkeypatch.delenv(basemap.ENV, raising=False)
    monkeypatch.setattr(basemap, "_CHECKED", {})
    monkeypatch.setattr(basemap, "PREPARED_DIR", tmp_path / "served")


@pytest.fixture
def raster(tmp_path) -> Path:
    path = tmp_path / "town.pmtiles"
    write_pmtiles(path)
    return path


def _vector(path: Path, *, attribution: str = "© OpenStreetMap") -> Path:
    with write(str(path)) as w:
        w.write_tile(0, gzip.compress(b"", mtime=0))  # z0 only: the page needs the header, not the tile
        w.finalize({"tile_type": TileType.MVT, "tile_compression": Compression.GZIP}, {"attribution": attribution})
    return path


def prepared_files(made: Basemap, *, into: Path) -> list[Path]:
    """The parts of a served copy, in order."""
    return [into / made.version / f"{i}.bin" for i in range(made.parts)]


def _html(m) -> str:
    return m.get_root().render()


# --------------------------------------------------------------------------- configuration


def test_without_the_setting_the_maps_are_as_before(monkeypatch):
    assert basemap.configured() is None
    monkeypatch.setenv(basemap.ENV, "   ")  # blank counts as not set
    assert basemap.configured() is None
    html = _html(base_map())
    assert "pmtiles" not in html and "tile.openstreetmap.org" in html


def test_a_raster_archive_is_read_for_what_the_page_needs(raster):
    info = read_pmtiles(str(raster))
    # the fixture: PNG tiles at zoom 0 to 14 (range(0, 15)), its metadata's attribution
    assert info == {
        "kind": "raster",
        "tile_type": "PNG",
        "min_zoom": 0,
        "max_zoom": 14,
        "attribution": "Test tiles © Nestwatch fixture",
    }


def test_the_served_copy_is_the_file_in_parts_each_under_streamlits_limit(raster, tmp_path):
    from streamlit.web.server.starlette.starlette_server_config import MAX_APP_STATIC_FILE_SIZE

    assert basemap.PART_BYTES < MAX_APP_STATIC_FILE_SIZE  # Streamlit refuses larger static files (404)
    data = raster.read_bytes()
    made = prepare(str(raster), into=tmp_path / "out", part_bytes=500)
    # ceil(size / 500) parts: all of 500 bytes but the last, which holds the rest
    n = -(-len(data) // 500)
    parts = list(prepared_files(made, into=tmp_path / "out"))
    assert made.parts == n == len(parts) and made.size == len(data)
    assert [p.stat().st_size for p in parts] == [500] * (n - 1) + [len(data) - 500 * (n - 1)]
    assert b"".join(p.read_bytes() for p in parts) == data
    assert re.fullmatch(r"/app/static/basemap/[0-9a-f]{12}-[0-9a-f]{12}/", made.url())


def test_a_copy_is_made_once_per_version_of_the_file(raster, tmp_path, monkeypatch):
    into = tmp_path / "out"
    first = prepare(str(raster), into=into)
    copies = []
    monkeypatch.setattr(basemap, "_copy", lambda *a: copies.append(a))
    assert prepare(str(raster), into=into) == first and copies == []  # found whole: nothing copied
    monkeypatch.undo()
    write_pmtiles(raster, attribution="Second edition")  # the force updates its file
    second = prepare(str(raster), into=into)
    assert second.version != first.version and second.attribution == "Second edition"
    assert [p.name for p in into.iterdir()] == [second.version]  # the old copy is gone


def test_a_half_made_copy_is_made_again(raster, tmp_path):
    into = tmp_path / "out"
    made = prepare(str(raster), into=into)
    part = prepared_files(made, into=into)[0]
    part.write_bytes(part.read_bytes()[:10])  # cut short (a full disk, a crash)
    again = prepare(str(raster), into=into)
    assert prepared_files(again, into=into)[0].read_bytes() == raster.read_bytes()


def test_an_mbtiles_file_becomes_the_same_tiles_as_pmtiles(tmp_path):
    src = tmp_path / "town.mbtiles"
    n = write_mbtiles(src, zooms=range(0, 6), metadata={"attribution": '<a href="https://x.example">© Survey</a>'})
    made = prepare(str(src), into=tmp_path / "out")
    data = b"".join(p.read_bytes() for p in prepared_files(made, into=tmp_path / "out"))
    got = {zxy: bytes(t) for zxy, t in all_tiles(MemorySource(data))}
    # the reference: the MBTiles rows themselves, TMS rows flipped to XYZ (y = 2^z - 1 - row)
    con = sqlite3.connect(src)
    want = {(z, x, (1 << z) - 1 - r): bytes(d) for z, x, r, d in con.execute("SELECT * FROM tiles")}
    con.close()
    assert len(want) == n and got == want
    assert (made.kind, made.tile_type, made.min_zoom, made.max_zoom) == ("raster", "PNG", 0, 5)
    assert made.attribution == "© Survey"
    assert Reader(MemorySource(data)).header()["clustered"]


def test_the_demo_fixture_is_a_checkerboard_of_two_colours():
    # at zoom 1 the demo town (0.8-1.1 E, 53.9-54.0 N) is in tile x = floor((0.8 + 180) / 360 * 2) = 1,
    # y = 0 (north of the equator)
    assert list(tiles((0.8, 53.88, 1.1, 54.02), range(1, 2))) == [(1, 1, 0)]
    assert solid_png(COLOURS[0]) != solid_png(COLOURS[1])


# --------------------------------------------------------------------------- files that cannot be used


def _cut(raster: Path, tmp_path: Path) -> Path:
    p = tmp_path / "cut.pmtiles"
    p.write_bytes(raster.read_bytes()[:300])
    return p


def _byte(raster: Path, tmp_path: Path, at: int, value: int) -> Path:
    data = bytearray(raster.read_bytes())
    data[at] = value
    p = tmp_path / f"byte{at}.pmtiles"
    p.write_bytes(bytes(data))
    return p


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sqlite(tmp_path: Path, sql: str, name: str = "x.mbtiles") -> Path:
    p = tmp_path / name
    con = sqlite3.connect(p)
    con.executescript(sql)
    con.close()
    return p


BROKEN = {
    "missing": (lambda r, t: t / "nowhere.pmtiles", "no such file"),
    "a folder": (lambda r, t: t, "is a folder"),
    "empty": (lambda r, t: _file(t / "e.pmtiles", b""), "is empty"),
    "text": (lambda r, t: _file(t / "t.pmtiles", b"hello"), "neither a PMTiles archive"),
    # version 2's header: "PM", then the version as a 16-bit number
    "PMTiles v2": (lambda r, t: _file(t / "v2.pmtiles", b"PM\x02\x00" + bytes(200)), "version 2"),
    "cut short": (_cut, "cut short"),
    # header byte 99 is the tile type: 6 is MLT, which no page here draws
    "MLT tiles": (lambda r, t: _byte(r, t, 99, 6), "cannot draw"),
    # byte 98 is the tiles' compression: 3 is brotli
    "brotli": (lambda r, t: _byte(r, t, 98, 3), "brotli"),
    "SQLite, not MBTiles": (lambda r, t: _sqlite(t, "CREATE TABLE other (a);"), "not MBTiles"),
    "no format": (
        lambda r, t: _sqlite(t, "CREATE TABLE metadata (name, value); CREATE TABLE tiles (zoom_level);"),
        "no format",
    ),
    "tiff": (
        lambda r, t: _sqlite(
            t,
            "CREATE TABLE metadata (name, value); INSERT INTO metadata VALUES ('format', 'tiff');"
            "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);",
        ),
        "'tiff'",
    ),
    "no tiles": (
        lambda r, t: _sqlite(
            t,
            "CREATE TABLE metadata (name, value); INSERT INTO metadata VALUES ('format', 'png');"
            "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);",
        ),
        "holds no tiles",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_file_that_cannot_be_used_is_one_plain_input_error_naming_it(case, raster, tmp_path):
    make, words = BROKEN[case]
    path = make(raster, tmp_path)
    with pytest.raises(InputError) as info:
        prepare(str(path), into=tmp_path / "out")
    message = str(info.value)
    assert words in message and message.startswith(str(path))
    assert "\n" not in message and "Traceback" not in message and "Error" not in message
    assert "NESTWATCH_BASEMAP" in message  # what to change
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-made is served


def test_an_unreadable_file_says_so(raster, monkeypatch):
    real_open = Path.open

    def refuse(self, *a, **k):
        if self == raster:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", refuse)  # chmod means nothing to root, who runs CI
    with pytest.raises(InputError, match=r"cannot be read \(Permission denied\)"):
        prepare(str(raster))


def test_a_folder_the_copy_cannot_go_to_is_a_store_error(raster, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot be written"):
        prepare(str(raster), into=blocker / "served")


def test_a_broken_setting_gives_the_plain_background_never_public_tiles_and_is_logged_once(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setenv(basemap.ENV, str(tmp_path / "gone.pmtiles"))
    with caplog.at_level(logging.WARNING, logger="nestwatch.basemap"):
        first, second = _html(base_map()), _html(base_map())
    for html in (first, second):
        assert "#f3f2ee" in html  # the plain background
        assert "openstreetmap" not in html.lower() and "L.tileLayer" not in html and "pmtiles.js" not in html
    assert [r.getMessage() for r in caplog.records if r.name == "nestwatch.basemap"] == [
        f"basemap not shown: {tmp_path / 'gone.pmtiles'}: no such file. Set NESTWATCH_BASEMAP to a PMTiles "
        "(.pmtiles) or MBTiles (.mbtiles) file."
    ]


def test_a_served_copy_removed_meanwhile_is_made_again(monkeypatch, raster):
    import shutil

    monkeypatch.setenv(basemap.ENV, str(raster))
    made = basemap.configured()
    shutil.rmtree(basemap.PREPARED_DIR / made.version)
    assert basemap.configured() == made
    assert (basemap.PREPARED_DIR / made.version / "0.bin").read_bytes() == raster.read_bytes()


def test_a_file_put_right_is_used_without_a_restart(monkeypatch, tmp_path):
    path = tmp_path / "later.pmtiles"
    monkeypatch.setenv(basemap.ENV, str(path))
    with pytest.raises(InputError):
        basemap.configured()
    write_pmtiles(path)
    assert basemap.configured().kind == "raster"


# --------------------------------------------------------------------------- the page


def test_a_raster_basemap_is_drawn_from_the_served_parts_with_local_scripts_only(monkeypatch, raster):
    monkeypatch.setenv(basemap.ENV, str(raster))
    html = _html(base_map())
    made = basemap.configured()
    assert '<script src="/app/static/vendor/pmtiles/pmtiles.js"></script>' in html
    assert "protomaps-leaflet.js" not in html  # raster needs only pmtiles
    assert "pmtiles.leafletRasterLayer(archive" in html
    [payload] = [json.loads(p) for p in re.findall(r"^\s*var d = (\{\"url\".*);$", html, re.MULTILINE)]
    assert payload == {
        "url": made.url(),
        "size": raster.stat().st_size,
        "partBytes": basemap.PART_BYTES,
        "kind": "raster",
        "minZoom": 0,
        "maxZoom": 14,
        "mapMaxZoom": 19,
        "attribution": "Test tiles © Nestwatch fixture",
    }
    assert "L.tileLayer" not in html and "openstreetmap" not in html.lower()
    assert not re.search(r"""(?:src|href)=["']https?://""", html)  # nothing from outside the app


def test_a_vector_basemap_uses_protomaps_light_theme(monkeypatch, tmp_path):
    monkeypatch.setenv(basemap.ENV, str(_vector(tmp_path / "v.pmtiles")))
    html = _html(base_map())
    assert '<script src="/app/static/vendor/protomaps-leaflet/protomaps-leaflet.js"></script>' in html
    assert 'flavor: "light"' in html and "protomapsL.leafletLayer" in html
    assert basemap.configured().kind == "vector"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_archives_attribution_reaches_the_page_as_inert_text(monkeypatch, tmp_path, payload):
    monkeypatch.setenv(basemap.ENV, str(_vector(tmp_path / "v.pmtiles", attribution=f"Map {payload} data")))
    html = _html(base_map())
    script = html[html.index('var d = {"url"') :]
    script = script[: script.index("\n")]
    for raw in ("<", ">", "`", "${", "{{", "'"):
        assert raw not in script, raw
    # what the browser will insert with innerHTML: the text, HTML-escaped (tags of the payload dropped)
    inserted = json.loads(script.strip()[len("var d = ") : -1])["attribution"]
    assert inserted.startswith("Map ") and inserted.endswith(" data")
    if "7*7" in payload:
        assert "7*7" in inserted  # never rendered as a template (that would leave 49)
    assert "<" not in inserted and "`" not in inserted and "$" not in inserted and "{" not in inserted


def test_plain_attribution_keeps_the_words_and_drops_the_markup():
    assert plain_attribution('<a href="https://openstreetmap.org/copyright">© OpenStreetMap</a> contributors') == (
        "© OpenStreetMap contributors"
    )
    assert (
        plain_attribution("Contains OS data &copy; Crown copyright\n2026") == "Contains OS data © Crown copyright 2026"
    )
    assert plain_attribution(None) == "" and plain_attribution(["not", "text"]) == ""
    assert len(plain_attribution("x" * 1000)) == 300


def test_the_basemap_record_round_trips_through_its_manifest(raster, tmp_path):
    made = prepare(str(raster), into=tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / made.version / "basemap.json").read_text())
    assert Basemap(**manifest) == made
    assert str(raster) not in json.dumps(manifest)  # served to anyone: says nothing of where the file is


def _two_maps() -> None:
    from dashboard.maps import base_map

    base_map()
    base_map()


def test_the_page_is_told_once_per_session(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(basemap.ENV, str(tmp_path / "gone.pmtiles"))
    app = AppTest.from_function(_two_maps)
    app.run()
    assert not app.exception
    [told] = [w.value for w in app.warning]  # one message for the two maps
    assert "gone.pmtiles: no such file" in told and "plain background" in told
    app.run()  # the next run of the same session: not again
    assert not app.exception and not app.warning
