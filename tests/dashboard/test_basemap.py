"""The offline basemap: which files are accepted, how they are served, what the page is told.

Fixtures are made by :mod:`scripts.basemap_fixture` (solid-colour PNG tiles, a kilobyte or two); the
broken files are those bytes cut or changed by hand. Expected values are worked out in the comments.
"""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
import re
import socket
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest

pytest.importorskip("pmtiles")

from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from pmtiles.writer import write

from dashboard import _basemap_files, basemap
from dashboard.basemap import Basemap, plain_attribution, prepare, read_pmtiles
from dashboard.maps import base_map
from geo.core.errors import InputError, StoreError
from scripts.basemap_fixture import COLOURS, solid_png, tiles, write_mbtiles, write_pmtiles
from tests.conftest import patience, wait_until

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
    # zoom 40 has 2^40 tiles a side: no tile id of 64 bits holds it (PMTiles stops at 31; the maps at 30)
    "zoom 40": (
        lambda r, t: _sqlite(
            t,
            "CREATE TABLE metadata (name, value); INSERT INTO metadata VALUES ('format', 'png');"
            "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);"
            "INSERT INTO tiles VALUES (40, 0, 0, x'00');",
        ),
        "zoom levels 40 to 40",
    ),
    "zoom as text": (
        lambda r, t: _sqlite(
            t,
            "CREATE TABLE metadata (name, value); INSERT INTO metadata VALUES ('format', 'png');"
            "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);"
            "INSERT INTO tiles VALUES ('ten', 0, 0, x'00');",
        ),
        "zoom levels ten to ten",
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


def _refuse_to_open(monkeypatch, path: Path) -> None:
    """Opening ``path`` fails as for a file without read permission (chmod means nothing to root, who runs CI)."""
    real_open = os.open

    def refuse(name, *a, **k):
        if Path(name) == path:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(name, *a, **k)

    monkeypatch.setattr(_basemap_files.os, "open", refuse)


def test_an_unreadable_file_says_so(raster, monkeypatch):
    _refuse_to_open(monkeypatch, raster)
    with pytest.raises(InputError, match=r"cannot be read \(Permission denied\)"):
        prepare(str(raster))


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo.pmtiles"
    os.mkfifo(path)
    return str(path)


def _socket(tmp_path: Path) -> str:
    path = tmp_path / "s.pmtiles"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))  # the file stays after the socket is closed
    sock.close()
    return str(path)


SPECIAL = {
    "a FIFO (open would wait for a writer)": _fifo,
    "a socket": _socket,
    "/dev/zero (reads never end)": lambda t: "/dev/zero",
    "/dev/null (a device)": lambda t: "/dev/null",
    "a symlink to a FIFO": lambda t: (os.symlink(_fifo(t), t / "link.pmtiles"), str(t / "link.pmtiles"))[1],
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
@pytest.mark.parametrize("case", list(SPECIAL))
def test_a_special_file_is_refused_without_opening_it(case, tmp_path, monkeypatch):
    path = SPECIAL[case](tmp_path)
    monkeypatch.setenv(basemap.ENV, path)
    # run in a thread: a hang (the reviewer's FIFO held the page lock for ever) becomes a failure here
    found: list[BaseException] = []
    worker = threading.Thread(target=lambda: found.extend(_raised(basemap.configured)), daemon=True)
    worker.start()
    worker.join(patience(10))
    assert not worker.is_alive(), f"{case}: configured() is still waiting"
    [error] = found
    assert isinstance(error, InputError) and str(error).startswith(f"{path}: is not a regular file")
    assert "NESTWATCH_BASEMAP" in str(error) and basemap._LOCK.acquire(blocking=False)  # the lock was let go
    basemap._LOCK.release()


def _raised(call) -> list[BaseException]:
    try:
        call()
    except BaseException as e:  # handed to the test thread to judge
        return [e]
    return []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
def test_a_path_swapped_for_a_fifo_after_its_stat_is_caught_at_open(tmp_path, monkeypatch):
    path = _fifo(tmp_path)
    # the stat check passes (as if the path were a regular file when stat-ed): O_NONBLOCK makes the open of
    # the FIFO return at once, and the descriptor's own fstat says what it is
    monkeypatch.setattr(_basemap_files, "check_regular", lambda p: None)
    with pytest.raises(InputError, match="is not a regular file"):
        _basemap_files.Source(path)


class _FailingFile:
    """An open file whose every read fails, as on a failing disk or a network share gone away."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def read(self, n: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    def seek(self, offset: int) -> int:
        return offset

    def close(self) -> None:
        os.close(self.fd)


def test_a_read_that_fails_is_a_plain_error_remembered_and_logged_once(raster, monkeypatch, caplog):
    opened = []

    def failing(fd, mode):
        opened.append(fd)
        return _FailingFile(fd)

    monkeypatch.setattr(_basemap_files.os, "fdopen", failing)
    monkeypatch.setenv(basemap.ENV, str(raster))
    with caplog.at_level(logging.WARNING, logger="nestwatch.basemap"):
        for _ in range(3):
            with pytest.raises(InputError) as info:
                basemap.configured()
            assert str(info.value).startswith(f"{raster}: cannot be read (Input/output error).")
        html = _html(base_map())  # the page: the plain background, no traceback
    assert len(opened) == 1  # remembered: the file is not read again on every page run
    assert len([r for r in caplog.records if r.name == "nestwatch.basemap"]) == 1
    assert "#f3f2ee" in html and "pmtiles.js" not in html


def test_an_oserror_from_anywhere_in_preparing_is_remembered_as_cannot_be_read(raster, monkeypatch):
    calls = []

    def boom(path, **k):
        calls.append(path)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(basemap, "prepare", boom)
    monkeypatch.setenv(basemap.ENV, str(raster))
    for _ in range(2):
        with pytest.raises(InputError, match=r"cannot be read \(Input/output error\)"):
            basemap.configured()
    assert calls == [str(raster)]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="Linux /proc")
def test_proc_self_mem_a_regular_file_whose_reads_fail_is_refused_plainly(tmp_path):
    with pytest.raises(InputError, match=r"cannot be read \("):
        prepare("/proc/self/mem", into=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _changing_copy(monkeypatch, raster: Path, edits: list[str], *, keep_times: bool = False) -> None:
    """Each copy is followed by the force's next edition of the file (one per entry of ``edits``)."""
    real = basemap._copy

    def copy_then_change(src, out):
        real(src, out)
        if edits:
            st = raster.stat()
            with raster.open("r+b") as f:  # written in place, as an unpacking tool does
                f.write(_edition(edits.pop(0)))
                f.truncate()
            if keep_times:
                os.utime(raster, ns=(st.st_atime_ns, st.st_mtime_ns))

    monkeypatch.setattr(basemap, "_copy", copy_then_change)


def _edition(attribution: str) -> bytes:
    p = Path(tempfile.mkdtemp()) / "e.pmtiles"
    write_pmtiles(p, attribution=attribution)
    return p.read_bytes()


def test_a_file_changed_during_the_copy_is_copied_again(raster, tmp_path, monkeypatch):
    _changing_copy(monkeypatch, raster, ["Second edition"])
    made = prepare(str(raster), into=tmp_path / "out")
    # the first copy (first edition) was thrown away; the second is the file as it is now
    assert made.attribution == "Second edition"
    assert b"".join(p.read_bytes() for p in prepared_files(made, into=tmp_path / "out")) == raster.read_bytes()
    assert [p.name for p in (tmp_path / "out").iterdir()] == [made.version]  # nothing half-made left


def test_a_file_that_keeps_changing_is_refused_plainly(raster, tmp_path, monkeypatch):
    _changing_copy(monkeypatch, raster, ["Second edition", "Third edition", "Fourth edition"])
    with pytest.raises(InputError, match="changed while it was being copied"):
        prepare(str(raster), into=tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())


def test_a_change_that_keeps_size_and_times_is_caught_by_the_header_of_the_copy(raster, tmp_path, monkeypatch):
    # blind the identity check (a clock set back, a filesystem without inode numbers): the header read back
    # from the copy still differs from the header that was checked, since the edition differs in its metadata
    # length (a longer attribution: byte 24-31 of the header hold metadata_length)
    monkeypatch.setattr(basemap, "identity", lambda st: (0,))
    monkeypatch.setattr(basemap, "stat_key", lambda p: (p, p, 0))
    real = basemap._copy
    copies = []

    def change_then_copy(src, out):
        if not copies:
            raster.write_bytes(_edition("A much longer second edition of the attribution"))
        copies.append(1)
        real(src, out)

    monkeypatch.setattr(basemap, "_copy", change_then_copy)
    made = prepare(str(raster), into=tmp_path / "out")
    assert len(copies) == 2 and made.attribution == "A much longer second edition of the attribution"


def test_a_permission_put_right_is_seen_without_a_restart(monkeypatch, raster):
    monkeypatch.setenv(basemap.ENV, str(raster))
    _refuse_to_open(monkeypatch, raster)
    with pytest.raises(InputError, match="cannot be read"):
        basemap.configured()
    monkeypatch.undo()
    monkeypatch.setenv(basemap.ENV, str(raster))
    monkeypatch.setattr(basemap, "_CHECKED", basemap._CHECKED)  # the remembered failure stays remembered
    before = raster.stat().st_ctime_ns
    # chmod o+r changes only the change time (ctime); its clock ticks coarsely, so chmod until it moves
    wait_until(lambda: (raster.chmod(0o644), raster.stat().st_ctime_ns != before)[1], seconds=5, what="ctime")
    assert basemap.configured().kind == "raster"


def test_a_replacement_with_the_same_size_and_times_is_copied_again(monkeypatch, raster, tmp_path):
    monkeypatch.setenv(basemap.ENV, str(raster))
    first = basemap.configured()
    # rsync -t / cp -p: a new file (a new inode) of the same length, given the old file's times, renamed over
    new = tmp_path / "new.pmtiles"
    new.write_bytes(_edition("Test tiles © Nestwatch fixturf"))  # same length: one letter differs
    st = raster.stat()
    assert new.stat().st_size == st.st_size
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, raster)
    second = basemap.configured()
    assert second.attribution == "Test tiles © Nestwatch fixturf" and second.version != first.version


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


def test_an_mbtiles_file_whose_tiles_are_a_view_is_converted_too(tmp_path):
    # mbutil's layout: tiles is a view over map (position -> tile id) and images (id -> data), no rowid to
    # fetch by; the two checkerboard colours are stored once each
    src = _sqlite(
        tmp_path,
        "CREATE TABLE metadata (name, value); INSERT INTO metadata VALUES ('format', 'png');"
        "CREATE TABLE map (zoom_level, tile_column, tile_row, tile_id); CREATE TABLE images (tile_id, tile_data);"
        "CREATE VIEW tiles AS SELECT zoom_level, tile_column, tile_row, tile_data FROM map JOIN images USING (tile_id)",
    )
    con = sqlite3.connect(src)
    with con:
        con.executemany("INSERT INTO images VALUES (?, ?)", [(i, solid_png(c)) for i, c in enumerate(COLOURS)])
        # zoom 0-1 of the whole world: 1 + 4 tiles, colour (x + y) % 2 with y = 2^z - 1 - row
        rows = [(z, x, r, (x + (1 << z) - 1 - r) % 2) for z in (0, 1) for x in range(1 << z) for r in range(1 << z)]
        con.executemany("INSERT INTO map VALUES (?, ?, ?, ?)", rows)
    con.close()
    made = prepare(str(src), into=tmp_path / "out")
    data = b"".join(p.read_bytes() for p in prepared_files(made, into=tmp_path / "out"))
    got = {zxy: bytes(t) for zxy, t in all_tiles(MemorySource(data))}
    assert got == {(z, x, (1 << z) - 1 - r): solid_png(COLOURS[c]) for z, x, r, c in rows}
    assert len(got) == 5 and Reader(MemorySource(data)).header()["clustered"]


# --------------------------------------------------------------------------- the scripts


def test_the_fixture_script_answers_help_and_writes_no_file_named_after_an_option(tmp_path, monkeypatch, capsys):
    from scripts import basemap_fixture

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        basemap_fixture.main(["--help"])
    assert done.value.code == 0 and "usage:" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    assert basemap_fixture.main(["--kind", "mbtiles", "--max-zoom", "1", "m.mbtiles"]) == 0
    # zoom 0-1 over the demo town: one tile at each zoom (worked in the checkerboard test above)
    assert basemap.read_mbtiles(str(tmp_path / "m.mbtiles"))["max_zoom"] == 1
    with pytest.raises(SystemExit) as done:
        basemap_fixture.main(["--kind", "tiff"])
    assert done.value.code == 2


def test_the_prepare_script_answers_help_before_reading_the_file(tmp_path, monkeypatch, capsys):
    from scripts import prepare_basemap

    monkeypatch.setenv(basemap.ENV, _fifo(tmp_path))  # were it read, the old script would hang here
    with pytest.raises(SystemExit) as done:
        prepare_basemap.main(["--help"])
    assert done.value.code == 0 and "usage:" in capsys.readouterr().out
    assert prepare_basemap.main([]) == 2  # and without --help: one plain line, exit 2
    assert "is not a regular file" in capsys.readouterr().err
