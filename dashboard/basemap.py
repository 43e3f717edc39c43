"""A basemap file the force already holds, served by the app itself (``NESTWATCH_BASEMAP=path``).

Police networks rarely reach public tile servers: a PMTiles archive (raster or vector) or an MBTiles
file on the machine is drawn under the maps instead, with nothing fetched from outside the app.

How the browser gets the tiles, and why this way (Streamlit 1.67, Starlette 1.10, checked):

* **Served by Streamlit's static route.** ``server.enableStaticServing`` serves ``static/`` at
  ``/app/static/`` with Starlette's ``FileResponse``, which answers HTTP ``Range`` requests (``206``;
  compression skips partial responses). PMTiles needs nothing else: the browser reads the header, the
  directories and each tile as byte ranges of one archive. No extra server, port or route.
* **In parts of 64 MiB, copied once.** That route refuses files over 200 MB ("File is too large",
  ``MAX_APP_STATIC_FILE_SIZE``) and any path whose real location is outside ``static/`` (a symlink to the
  force's file is a 400), while a force's basemap is often several hundred MB. So the archive is copied
  into ``static/basemap/<version>/`` as numbered parts (``0.bin``, ``1.bin``…), and the page reads it
  through a small PMTiles ``Source`` mapping each byte range onto the parts. The copy is made on the first
  map after the file changes (its path, inode, size and times name the version; 400 MB took 0.2 s from
  the page cache) and old versions of the file are removed; ``scripts/run.sh`` makes it before the start.
* **MBTiles becomes PMTiles** in the same step (the ``pmtiles`` package's writer), since a browser cannot
  read SQLite by ranges. Tiles are written in tile-id order, so the archive is clustered.

Weighed and left: an ``st.App`` route serving the file in place (no copy, no size limit, but a second
entry point for the app); ``z/x/y`` files (millions for a county); a tile server (one more service).

What is drawn: vector tiles (MVT) with protomaps-leaflet's ``light`` theme (the Protomaps basemap schema;
an archive with other layer names shows only the background), raster tiles (PNG, JPEG, WebP, AVIF) with
pmtiles' Leaflet raster layer, overzoomed past the archive's deepest level. The attribution is the
archive's own (``attribution`` in its metadata), as plain text.

A file that is missing, unreadable, not a regular file (a pipe would hang the page) or of the wrong kind
(:mod:`dashboard._basemap_files`) is an :class:`~geo.core.errors.InputError`: the
map shows the plain background (never public tiles, which the force's network may not reach and should
not be told about), the page shows the message once per session, the server log once.
"""

from __future__ import annotations

import gzip
import hashlib
import html.parser
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import zlib
from array import array
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard._basemap_files import ENV, Parts, Source, cannot_read, identity, stat_key
from dashboard._basemap_files import copy as _copy
from dashboard._basemap_files import fail as _fail
from dashboard.map_assets import STATIC_DIR, _static_url, _vendor
from dashboard.map_layers import _html_text, _PlainBackground, _VerbatimMacros, js_literal
from geo.core.errors import NestwatchError, StoreError, one_line, printable

#: Where the served copies go (Streamlit serves ``static/`` only, and only real files inside it).
PREPARED_DIR = STATIC_DIR / "basemap"

#: Bytes per served part: well under Streamlit's 200 MB cap on one static file.
PART_BYTES = 64 * 1024 * 1024

#: Bumped when the layout of a prepared copy changes, so that old copies are made again.
_LAYOUT = "1"

_PMTILES_MAGIC = b"PMTiles"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 127

#: PMTiles tile types the page can draw: (kind, name).
_TILE_TYPES = {1: ("vector", "MVT"), **{i: ("raster", n) for i, n in enumerate(("PNG", "JPEG", "WebP", "AVIF"), 2)}}
#: PMTiles compressions a browser can undo (1 none, 2 gzip); 3 brotli and 4 zstd it cannot.
_READABLE_COMPRESSION = {1: "none", 2: "gzip"}
_COMPRESSION_NAMES = {0: "an unknown compression", 3: "brotli", 4: "zstd"}
#: MBTiles ``format`` values and the PMTiles tile type each becomes.
_MBTILES_FORMATS = {"pbf": 1, "mvt": 1, "png": 2, "jpg": 3, "jpeg": 3, "webp": 4, "avif": 5}

_CONVERT = "convert it with `pmtiles convert`"
_MAX_ATTRIBUTION = 300
#: The most metadata read (the attribution is all that is used; Protomaps' own is a few kB).
_MAX_METADATA = 16 * 1024 * 1024

_LOG = logging.getLogger("nestwatch.basemap")
_LOCK = threading.Lock()
_CHECKED: dict[tuple[Any, ...], Basemap | NestwatchError] = {}


@dataclass(frozen=True)
class Basemap:
    """A prepared basemap: where its parts are served and what the page needs to draw it.

    ``version`` is its folder under ``static/basemap/`` (named by the file's path, inode, size and times);
    ``size`` the bytes of the served PMTiles archive, in parts of ``part_bytes`` (the last holds the rest);
    ``kind`` ``"vector"`` or ``"raster"``; ``tile_type`` ``"MVT"``, ``"PNG"``, ``"JPEG"``, ``"WebP"`` or ``"AVIF"``;
    the map overzooms past ``max_zoom``; ``attribution`` is plain text, "" when there is none.
    """

    version: str
    size: int
    part_bytes: int
    kind: str
    tile_type: str
    min_zoom: int
    max_zoom: int
    attribution: str

    @property
    def parts(self) -> int:
        return max(1, -(-self.size // self.part_bytes))

    def url(self) -> str:
        """URL of the folder holding the parts, as the browser sees it."""
        return f"{_static_url()}/basemap/{self.version}/"


# --------------------------------------------------------------------------- reading the file


def read_pmtiles(path: str) -> dict[str, Any]:
    """Check a PMTiles archive as the page will read it; its header fields and attribution.

    Raises
    ------
    InputError
        Not PMTiles version 3, cut short, tiles or directories the browser cannot decode, unreadable metadata,
        not a regular file, or a read that fails.
    """
    with Source(path) as f:
        return _read_pmtiles(f)[0]


def _read_pmtiles(f: Source) -> tuple[dict[str, Any], bytes]:
    """:func:`read_pmtiles` of an open file, and the header bytes it read (to check the copy against)."""
    path = f.path
    f.seek(0)
    size = f.stat().st_size
    head = f.read(_HEADER_BYTES)
    if not head.startswith(_PMTILES_MAGIC):
        raise _fail(path, "is not a PMTiles archive.")
    if len(head) < _HEADER_BYTES:
        raise _fail(path, "is cut short: it ends inside the PMTiles header.")
    if head[7] != 3:
        raise _fail(path, f"is PMTiles version {head[7]}; the maps read version 3 ({_CONVERT}).")
    from pmtiles.tile import deserialize_header

    try:
        header = deserialize_header(head)
    except ValueError:  # an enum value no version of the format has
        raise _fail(path, "has a PMTiles header that makes no sense (a damaged file?).") from None
    ends = {
        "directory": header["root_offset"] + header["root_length"],
        "metadata": header["metadata_offset"] + header["metadata_length"],
        "leaf directories": header["leaf_directory_offset"] + header["leaf_directory_length"],
        "tiles": header["tile_data_offset"] + header["tile_data_length"],
    }
    for what, end in ends.items():
        if end > size:
            raise _fail(path, f"is cut short: its {what} should end at byte {end:,}, the file has {size:,}.")
    tile_type = header["tile_type"].value
    if tile_type not in _TILE_TYPES:
        raise _fail(path, "holds tiles of a type the maps cannot draw (only vector MVT, PNG, JPEG, WebP or AVIF).")
    for part in ("internal_compression", "tile_compression"):
        code = header[part].value
        if code not in _READABLE_COMPRESSION:
            raise _fail(
                path,
                f"is compressed with {_COMPRESSION_NAMES.get(code, 'an unknown compression')}, which a browser "
                "cannot undo (re-make it with gzip or no compression).",
            )
    if header["min_zoom"] > header["max_zoom"] or header["max_zoom"] > 30:
        raise _fail(path, f"says it has zoom levels {header['min_zoom']} to {header['max_zoom']}.")
    f.seek(header["metadata_offset"])
    raw = f.read(min(header["metadata_length"], _MAX_METADATA))
    try:
        text = _inflate(raw) if header["internal_compression"].value == 2 else raw[:_MAX_METADATA]
        metadata = json.loads(text) if text.strip() else {}
    except (OSError, EOFError, ValueError, zlib.error):
        raise _fail(path, "has metadata that cannot be read (a damaged file?).") from None
    kind, name = _TILE_TYPES[tile_type]
    return {
        "kind": kind,
        "tile_type": name,
        "min_zoom": int(header["min_zoom"]),
        "max_zoom": int(header["max_zoom"]),
        "attribution": plain_attribution(metadata.get("attribution") if isinstance(metadata, dict) else None),
    }, head


def _inflate(raw: bytes) -> bytes:
    """gzip-compressed metadata, at most :data:`_MAX_METADATA` of it (a small file can claim gigabytes)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    text = inflater.decompress(raw, _MAX_METADATA)
    if inflater.unconsumed_tail:
        raise ValueError("metadata too large")
    return text


def _mbtiles(path: str) -> sqlite3.Connection:
    """The MBTiles file opened read-only (never changed, no journal written next to it)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    except sqlite3.Error:
        raise _fail(path, "is an SQLite file that cannot be read (a damaged file?).") from None
    missing = [t for t in ("metadata", "tiles") if t not in names]
    if missing:
        con.close()
        raise _fail(path, f"is an SQLite file but not MBTiles: it has no {' or '.join(missing)} table.")
    return con


def read_mbtiles(path: str) -> dict[str, Any]:
    """Check an MBTiles file; the same fields as :func:`read_pmtiles`, plus its ``metadata`` table."""
    Source(path).close()  # a regular file that can be opened: SQLite would block on a pipe, too
    con = _mbtiles(path)
    try:
        metadata = {str(k): str(v) for k, v in con.execute("SELECT name, value FROM metadata")}
        zooms = con.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    except sqlite3.Error:
        raise _fail(path, "is an MBTiles file whose tables cannot be read (a damaged file?).") from None
    finally:
        con.close()
    fmt = metadata.get("format", "").strip().lower()
    if fmt not in _MBTILES_FORMATS:
        shown = f"says its tiles are {fmt!r}" if fmt else "does not say what its tiles are (no format in its metadata)"
        raise _fail(path, f"{shown}; the maps draw pbf (vector), png, jpg, webp or avif tiles.")
    if zooms[0] is None:
        raise _fail(path, "holds no tiles.")
    if not all(isinstance(z, int) and 0 <= z <= 30 for z in zooms):
        raise _fail(path, f"says it has zoom levels {printable(str(zooms[0]))} to {printable(str(zooms[1]))}.")
    kind, name = _TILE_TYPES[_MBTILES_FORMATS[fmt]]
    return {
        "kind": kind,
        "tile_type": name,
        "min_zoom": int(zooms[0]),
        "max_zoom": int(zooms[1]),
        "attribution": plain_attribution(metadata.get("attribution")),
        "metadata": metadata,
    }


def sniff(path: str) -> str:
    """``"pmtiles"`` or ``"mbtiles"``, by the file's first bytes (a renamed file is still read for what it is)."""
    with Source(path) as f:
        return _sniff(f)


def _sniff(f: Source) -> str:
    path = f.path
    f.seek(0)
    start = f.read(len(_SQLITE_MAGIC))
    if start.startswith(_PMTILES_MAGIC):
        return "pmtiles"
    if start == _SQLITE_MAGIC:
        return "mbtiles"
    if start[:4] == b"PM\x02\x00":
        raise _fail(path, f"is PMTiles version 2; the maps read version 3 ({_CONVERT}).")
    if not start:
        raise _fail(path, "is empty.")
    raise _fail(path, "is neither a PMTiles archive nor an MBTiles file.")


class _Text(html.parser.HTMLParser):
    """The text of an HTML snippet (``parts``), its tags and attributes dropped, entities decoded."""

    parts: list[str]

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_attribution(value: object) -> str:
    """An archive's attribution as one line of plain text (its links and markup dropped: the page shows text)."""
    if not isinstance(value, str):
        return ""
    parser = _Text(convert_charrefs=True)
    parser.parts = []
    parser.feed(value)
    parser.close()
    text = " ".join(printable("".join(parser.parts)).split())
    return text if len(text) <= _MAX_ATTRIBUTION else text[: _MAX_ATTRIBUTION - 1] + "…"


# --------------------------------------------------------------------------- the served copy


def _convert(path: str, out: Parts, info: dict[str, Any]) -> None:
    """Write the MBTiles file at ``path`` as a clustered PMTiles archive into ``out``.

    Tile ids are read in one pass (a cursor, into arrays of 8 bytes a value, not Python tuples), sorted,
    and each tile is fetched by its ``rowid``: a lookup, where a query by ``zoom_level``/``tile_column``/
    ``tile_row`` scans the whole table when the file has no index on them (1M tiles: 10^12 row reads).
    ``tiles`` as a view (mbutil's ``map`` + ``images``) has no rowid: fetched by position then.
    """
    from pmtiles.convert import mbtiles_to_header_json
    from pmtiles.tile import zxy_to_tileid
    from pmtiles.writer import Writer

    metadata = dict(info["metadata"])
    metadata.setdefault("minzoom", str(info["min_zoom"]))
    metadata.setdefault("maxzoom", str(info["max_zoom"]))
    fmt = metadata["format"].strip().lower()
    metadata["format"] = {"jpg": "jpeg", "mvt": "pbf"}.get(fmt, fmt)
    vector = info["kind"] == "vector"
    con = _mbtiles(path)
    try:
        try:
            by_rowid = con.execute("SELECT rowid FROM tiles LIMIT 1").fetchone() not in (None, (None,))
        except sqlite3.Error:
            by_rowid = False
        ids, keys = array("q"), [array("q") for _ in range(1 if by_rowid else 3)]
        rows = con.execute(f"SELECT zoom_level, tile_column, tile_row{', rowid' if by_rowid else ''} FROM tiles")
        while batch := rows.fetchmany(10_000):
            for row in batch:
                z, x, y = row[:3]
                ids.append(zxy_to_tileid(z, x, (1 << z) - 1 - y))  # TMS rows count up from the south
                for column, value in zip(keys, row[3:] if by_rowid else row, strict=True):
                    column.append(value)
        order = sorted(range(len(ids)), key=ids.__getitem__)
        writer = Writer(out)
        at = "rowid = ?" if by_rowid else "zoom_level = ? AND tile_column = ? AND tile_row = ?"
        query = f"SELECT tile_data FROM tiles WHERE {at}"
        for i in order:
            args = [column[i] for column in keys]
            tile_id, data = ids[i], bytes(con.execute(query, args).fetchone()[0])
            if vector and data[:2] != b"\x1f\x8b":
                data = gzip.compress(data, mtime=0)  # PMTiles vector archives are gzipped throughout
            writer.write_tile(tile_id, data)
        header, _ = mbtiles_to_header_json(metadata)
        writer.finalize(header, metadata)
    except (sqlite3.Error, KeyError, ValueError, TypeError, OverflowError):  # Overflow: zoom 32 and beyond
        raise _fail(path, "is an MBTiles file whose tiles cannot be read (a damaged file?).") from None
    finally:
        con.close()


def _source_id(path: str) -> str:
    return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:12]


class _Changed(Exception):
    """The file changed while it was copied: the copy is discarded."""


def prepare(path: str, *, into: Path = PREPARED_DIR, part_bytes: int = PART_BYTES) -> Basemap:
    """Check the basemap file at ``path`` and make (or find) its served copy under ``into``.

    Raises
    ------
    InputError
        The file is missing, unreadable, empty, cut short or not a PMTiles/MBTiles file the maps can draw.
    StoreError
        The served copy cannot be written under ``into``.

    A file that changes while it is copied (its identity before and after, the header read back from the
    copy) is copied once more, then refused: a copy of half of each version would be served as one.
    """
    for _ in range(2):
        try:
            with Source(path) as src:
                return _prepare(src, into=into, part_bytes=part_bytes)
        except _Changed:
            continue
    raise _fail(path, "changed while it was being copied, twice: it was not used. Try again once it is written.")


def _prepare(src: Source, *, into: Path, part_bytes: int) -> Basemap:
    path = src.path
    st = src.stat()
    before = identity(st)
    fmt = _sniff(src)
    info, head = _read_pmtiles(src) if fmt == "pmtiles" else (read_mbtiles(path), b"")
    source = _source_id(path)
    stamp = hashlib.sha256(repr((os.path.realpath(path), before, part_bytes, _LAYOUT)).encode()).hexdigest()[:12]
    version = f"{source}-{stamp}"
    folder = into / version
    found = _existing(folder)
    if found is not None:
        return found
    try:
        into.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=into))
        tmp.chmod(0o755)  # mkdtemp makes it private; the server may run as another account than this step
    except OSError as e:
        raise StoreError(
            f"The basemap cannot be prepared: {printable(str(into))} cannot be written ({e.strerror}). The app "
            "copies the basemap there for the browser to read; let the account that runs it write there."
        ) from None
    try:
        out = Parts(tmp, part_bytes)
        try:
            _copy(src, out) if fmt == "pmtiles" else _convert(path, out, info)
        finally:
            out.close()
        if identity(src.stat()) != before or stat_key(path)[2:] != before:
            raise _Changed  # written to, or replaced at its path, meanwhile
        if fmt == "pmtiles" and (out.size != st.st_size or out.head(_HEADER_BYTES) != head):
            raise _Changed  # a change that kept the size and times (a clock set back, a touch -r)
        made = Basemap(
            version=version,
            size=out.size,
            part_bytes=part_bytes,
            **{k: info[k] for k in ("kind", "tile_type", "min_zoom", "max_zoom", "attribution")},
        )
        (tmp / "basemap.json").write_text(json.dumps(asdict(made)))
        if folder.exists() and _existing(folder) is None:  # a damaged copy (a part cut short, removed)
            shutil.rmtree(folder, ignore_errors=True)
        try:
            tmp.rename(folder)
        except OSError:  # another process made the same copy meanwhile: use theirs
            if _existing(folder) is None:
                raise
    except OSError as e:
        raise StoreError(
            f"The basemap cannot be prepared under {printable(str(into))} ({e.strerror or e}): is the disk full?"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in into.glob(f"{source}-*"):  # earlier versions of the same file
        if old.name != version:
            shutil.rmtree(old, ignore_errors=True)
    return made


def _existing(folder: Path) -> Basemap | None:
    """The copy in ``folder`` if it is whole (its manifest and every part of the right size)."""
    try:
        made = Basemap(**json.loads((folder / "basemap.json").read_text()))
        sizes = [(folder / f"{i}.bin").stat().st_size for i in range(made.parts)]
    except (OSError, ValueError, TypeError):
        return None
    whole = [made.part_bytes] * (made.parts - 1) + [made.size - made.part_bytes * (made.parts - 1)]
    return made if sizes == whole else None


def configured() -> Basemap | None:
    """The basemap ``NESTWATCH_BASEMAP`` names, prepared; None when the variable is not set.

    Checked once per version of the file (its path and :func:`~dashboard._basemap_files.identity`): a page
    run costs one ``stat``. A failure (what :func:`prepare` raises, or any ``OSError`` as "cannot be read")
    is remembered too, logged once and raised again.
    """
    path = os.environ.get(ENV, "").strip()
    if not path:
        return None
    key = stat_key(path)
    with _LOCK:  # one preparation at a time, however many sessions open a map at once
        copy = _CHECKED.get(key)
        if isinstance(copy, Basemap) and not (PREPARED_DIR / copy.version / "basemap.json").exists():
            del _CHECKED[key]  # its served copy was removed meanwhile (by hand, or by a newer version's)
        if key not in _CHECKED:
            try:
                _CHECKED[key] = prepare(path, into=PREPARED_DIR)
            except (NestwatchError, OSError) as e:
                _CHECKED[key] = e if isinstance(e, NestwatchError) else cannot_read(path, e)
                _LOG.warning("basemap not shown: %s", one_line(_CHECKED[key]))
        found = _CHECKED[key]
    if isinstance(found, NestwatchError):
        raise found
    return found


# --------------------------------------------------------------------------- the page


#: A PMTiles ``Source`` over the parts: one byte range of the archive becomes a range request on each part it
#: touches (at most two for the ranges PMTiles reads). ``d``: {url, size, partBytes}.
_PARTS_JS = r"""
  function NwParts(d) { this.d = d; }
  NwParts.prototype.getKey = function () { return this.d.url; };
  NwParts.prototype.getBytes = function (offset, length, signal) {
    var d = this.d, end = Math.min(offset + length, d.size), reads = [];
    for (var pos = offset; pos < end;) {
      var i = Math.floor(pos / d.partBytes), from = pos - i * d.partBytes;
      var to = Math.min(end, (i + 1) * d.partBytes) - i * d.partBytes;
      reads.push(fetch(d.url + i + ".bin", {signal: signal, headers: {Range: "bytes=" + from + "-" + (to - 1)}})
        .then(function (from, to) { return function (r) {
          if (r.status !== 206 && r.status !== 200) { throw new Error("basemap part: HTTP " + r.status); }
          return r.arrayBuffer().then(function (b) { return r.status === 200 ? b.slice(from, to) : b; });
        }; }(from, to)));
      pos = i * d.partBytes + to;
    }
    return Promise.all(reads).then(function (bufs) {
      var n = 0, k = 0;
      bufs.forEach(function (b) { n += b.byteLength; });
      var out = new Uint8Array(n);
      bufs.forEach(function (b) { out.set(new Uint8Array(b), k); k += b.byteLength; });
      return {data: out.buffer};
    });
  };
"""


class _BasemapLayer(JSCSSMixin, _VerbatimMacros):
    """Draws the prepared archive under everything else (Leaflet's tile pane), offline.

    Everything that comes from the file (the attribution) is HTML-escaped text inside an escaped literal:
    Leaflet's attribution control inserts it with ``innerHTML``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
;(function (run) {
  try { run(); } catch (err) { console.error("Nestwatch: the basemap failed", err); }
})(function () {
  var d = {{ this.payload }};
  var map = {{ this._parent.get_name() }};
  if (typeof pmtiles === "undefined") { console.error("Nestwatch: pmtiles did not load; no basemap"); return; }
  """
        + _PARTS_JS
        + """
  window.NestwatchBasemapParts = NwParts;  // for the browser tests, which read a copy in small parts with it
  var archive = new pmtiles.PMTiles(new NwParts(d));
  var layer;
  if (d.kind === "vector") {
    if (typeof protomapsL === "undefined") { console.error("Nestwatch: protomaps-leaflet did not load"); return; }
    layer = protomapsL.leafletLayer({url: archive, flavor: "light", lang: "en", attribution: d.attribution,
                                     maxDataZoom: d.maxZoom, maxZoom: d.mapMaxZoom});
  } else {
    layer = pmtiles.leafletRasterLayer(archive, {attribution: d.attribution, maxNativeZoom: d.maxZoom,
                                                 minNativeZoom: d.minZoom, maxZoom: d.mapMaxZoom});
  }
  layer.addTo(map);
  map.nwBasemap = layer;
});
        {% endmacro %}
        """
    )

    def __init__(self, basemap: Basemap, *, max_zoom: int) -> None:
        super().__init__()
        self._name = "NestwatchBasemap"
        self.payload = js_literal(
            {
                "url": basemap.url(),
                "size": basemap.size,
                "partBytes": basemap.part_bytes,
                "kind": basemap.kind,
                "minZoom": basemap.min_zoom,
                "maxZoom": basemap.max_zoom,
                "mapMaxZoom": max_zoom,
                "attribution": _html_text(basemap.attribution),
            }
        )
        self.default_js = [("pmtiles_js", _vendor("pmtiles/pmtiles.js"))]
        if basemap.kind == "vector":
            self.default_js.append(("protomaps_leaflet_js", _vendor("protomaps-leaflet/protomaps-leaflet.js")))
        self.default_css = []


def _tell_once(error: NestwatchError) -> None:
    """Show ``error`` on the page once per session (the map itself just shows the plain background)."""
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    if get_script_run_ctx(suppress_warning=True) is None:  # built outside a page (a test, a notebook): the log has it
        return
    from dashboard.messages import markdown_literal

    text = one_line(f"The basemap is not shown, the maps have a plain background. {error}")
    told = st.session_state.setdefault("_nw_basemap_told", [])
    if text not in told:
        told.append(text)
        st.warning(markdown_literal(text), icon=":material/map:")


def add_basemap(m: folium.Map) -> bool:
    """Put the configured basemap file under ``m``; False when none is configured (tiles decide then).

    True whenever ``NESTWATCH_BASEMAP`` is set: a file that cannot be shown gives the plain background
    (and a message), never public tiles, since a force that names its own file does not want the map to
    reach outside.
    """
    try:
        basemap = configured()
    except NestwatchError as e:
        _tell_once(e)
        _PlainBackground().add_to(m)
        return True
    if basemap is None:
        return False
    _PlainBackground().add_to(m)  # beyond the archive's edge, instead of Leaflet's grey
    max_zoom = m.options.get("max_zoom")
    max_zoom = max_zoom if isinstance(max_zoom, int) and not isinstance(max_zoom, bool) else 19
    _BasemapLayer(basemap, max_zoom=max_zoom).add_to(m)
    return True
