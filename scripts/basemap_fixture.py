"""Tiny basemap files for the tests: raster tiles of solid colours, as PMTiles or MBTiles.

Each tile is one colour, chosen by its position (``(x + y) % 2``: a checkerboard of two colours), so a
screenshot shows whether tiles were drawn, and where. The PNGs are written here (zlib, no imaging library)
and the archive with the ``pmtiles`` package's writer; identical tiles are stored once, so a few zoom
levels over a town are about a kilobyte.

    .venv/bin/python -m scripts.basemap_fixture out.pmtiles      # the demo town, zoom 0-14
    .venv/bin/python -m scripts.basemap_fixture --kind mbtiles --max-zoom 8 out.mbtiles
"""

from __future__ import annotations

import math
import sqlite3
import struct
import sys
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

#: Around the demo town (geo.demo.CENTRE, 53.95 N 0.95 E): (min lng, min lat, max lng, max lat).
DEMO_BOUNDS = (0.80, 53.88, 1.10, 54.02)
#: Magenta and teal: colours no map layer of the app uses, so a pixel of either is the basemap's.
COLOURS = ((230, 0, 230), (0, 170, 170))


def solid_png(rgb: Sequence[int], *, size: int = 256) -> bytes:
    """A ``size`` x ``size`` PNG of one colour (8-bit RGB)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size  # filter byte 0, then the pixels
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * size, 9)) + chunk(b"IEND", b"")
    )


def tile_xy(lng: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile (x, y; y down from the north) holding a point at zoom ``z``."""
    n = 1 << z
    x = int((lng + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles(bounds: Sequence[float], zooms: range) -> Iterator[tuple[int, int, int]]:
    """Every (z, x, y) covering ``bounds`` at each zoom of ``zooms``."""
    min_lng, min_lat, max_lng, max_lat = bounds
    for z in zooms:
        x0, y0 = tile_xy(min_lng, max_lat, z)
        x1, y1 = tile_xy(max_lng, min_lat, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def write_pmtiles(
    path: Path,
    *,
    bounds: Sequence[float] = DEMO_BOUNDS,
    zooms: range = range(0, 15),
    colours: Sequence[Sequence[int]] = COLOURS,
    attribution: str | None = "Test tiles © Nestwatch fixture",
) -> int:
    """Write a raster PMTiles archive of solid tiles; the number of tiles addressed."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    pngs = [solid_png(c) for c in colours]
    found = sorted((zxy_to_tileid(z, x, y), (x + y) % len(pngs)) for z, x, y in tiles(bounds, zooms))
    with write(str(path)) as w:
        for tile_id, colour in found:
            w.write_tile(tile_id, pngs[colour])
        e7 = [int(v * 1e7) for v in bounds]
        header = {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_lon_e7": e7[0],
            "min_lat_e7": e7[1],
            "max_lon_e7": e7[2],
            "max_lat_e7": e7[3],
            "center_zoom": zooms.start,
            "center_lon_e7": (e7[0] + e7[2]) // 2,
            "center_lat_e7": (e7[1] + e7[3]) // 2,
        }
        w.finalize(header, {} if attribution is None else {"attribution": attribution})
    return len(found)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    """One protobuf field: a varint (int) or length-delimited bytes."""
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def square_mvt(layer: str, *, extent: int = 4096, buffer: int = 64) -> bytes:
    """A Mapbox Vector Tile (spec 2.1) whose one layer ``layer`` holds one polygon: the whole tile.

    The ring runs (lo, lo) -> (hi, lo) -> (hi, hi) -> (lo, hi), y down: positive area, so an exterior ring.
    """

    def zigzag(n: int) -> int:
        return (n << 1) ^ (n >> 31)

    lo, hi = -buffer, extent + buffer
    side = hi - lo
    commands = [1 | 1 << 3, zigzag(lo), zigzag(lo)]  # MoveTo, once
    commands += [2 | 3 << 3, zigzag(side), 0, 0, zigzag(side), zigzag(-side), 0]  # LineTo, three times
    commands += [7 | 1 << 3]  # ClosePath
    geometry = b"".join(_varint(c) for c in commands)
    feature = _field(1, 1) + _field(3, 3) + _field(4, geometry)  # id 1, type POLYGON, geometry (packed)
    body = _field(15, 2) + _field(1, layer.encode()) + _field(2, feature) + _field(5, extent)
    return _field(3, body)


#: The Protomaps layers the vector fixture alternates (protomaps-leaflet's light theme: earth #e2dfda,
#: water #80deea).
VECTOR_LAYERS = ("earth", "water")


def write_vector_pmtiles(
    path: Path,
    *,
    bounds: Sequence[float] = DEMO_BOUNDS,
    zooms: range = range(0, 15),
    attribution: str | None = "Test vector tiles",
) -> int:
    """Write a vector PMTiles archive: each tile all earth or all water, in a checkerboard; tiles addressed."""
    import gzip

    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    mvts = [gzip.compress(square_mvt(name), mtime=0) for name in VECTOR_LAYERS]
    found = sorted((zxy_to_tileid(z, x, y), (x + y) % 2) for z, x, y in tiles(bounds, zooms))
    with write(str(path)) as w:
        for tile_id, which in found:
            w.write_tile(tile_id, mvts[which])
        w.finalize(
            {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP},
            {"attribution": attribution} if attribution is not None else {},
        )
    return len(found)


def write_mbtiles(
    path: Path,
    *,
    bounds: Sequence[float] = DEMO_BOUNDS,
    zooms: range = range(0, 6),
    colours: Sequence[Sequence[int]] = COLOURS,
    metadata: dict[str, str] | None = None,
) -> int:
    """Write the same solid tiles as an MBTiles file (TMS rows: y counted up from the south)."""
    pngs = [solid_png(c) for c in colours]
    meta = {"name": "fixture", "format": "png", **(metadata or {})}
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        rows = [(z, x, (1 << z) - 1 - y, pngs[(x + y) % len(pngs)]) for z, x, y in tiles(bounds, zooms)]
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    con.close()
    return len(rows)


#: What ``--kind`` writes: each kind's writer.
KINDS = {"raster": write_pmtiles, "vector": write_vector_pmtiles, "mbtiles": write_mbtiles}


def main(argv: Sequence[str] | None = None) -> int:
    """Write one fixture file; ``--help`` says how (an option is never taken for the file's name)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m scripts.basemap_fixture",
        description="Write a tiny basemap file of solid-colour tiles around the demo town, for tests and trials.",
    )
    parser.add_argument("out", nargs="?", default="fixture.pmtiles", help="file to write (default: %(default)s)")
    parser.add_argument("--kind", choices=list(KINDS), default="raster", help="what to write (default: %(default)s)")
    parser.add_argument("--max-zoom", type=int, default=None, help="deepest zoom level (default: 14; MBTiles 5)")
    args = parser.parse_args(argv)
    if args.max_zoom is not None and not 0 <= args.max_zoom <= 20:
        parser.error("--max-zoom must be between 0 and 20")
    out = Path(args.out)
    if out.is_dir():
        parser.error(f"{out} is a folder: name the file to write")
    write = KINDS[args.kind]
    n = write(out) if args.max_zoom is None else write(out, zooms=range(0, args.max_zoom + 1))
    print(f"{out}: {n} tiles, {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
