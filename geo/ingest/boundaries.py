"""Reading ward and estate boundaries: GeoJSON, GeoPackage or a zipped Shapefile, in any CRS.

Why a module of its own: boundary files share nothing with the CSV readers but
the error type. Reading them is GDAL's work (through pyogrio) plus the traps of
real files: a legacy GeoJSON ``crs`` member, a Shapefile without ``.prj``,
metres labelled as degrees, and ONS attribute names whose year prefix and case
vary (``WD23CD``, ``wd16nm``). A zipped Shapefile is judged by the archive
limits of :mod:`geo.ingest._limits` before GDAL opens it, as CSV archives are.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.core.errors import InputError, OptionError, printable
from geo.core.schema import BNG, KINDS, WGS84, Kind, normalise_label
from geo.ingest._csv_sources import check_archive


@dataclass
class RawBoundaries:
    """Boundary features reprojected to WGS84, not yet validated."""

    file: str
    sha256: str
    frame: gpd.GeoDataFrame
    original: pd.DataFrame
    n_rows: int
    notes: list[str] = field(default_factory=list)


def read_boundaries(
    path: str | Path,
    kind: Kind | str,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    label: str | None = None,
) -> RawBoundaries:
    """Read ward or estate polygons from GeoJSON, GeoPackage or a zipped Shapefile.

    The file's declared CRS is honoured (GDAL reads the legacy GeoJSON ``crs``
    member, so ONS files in EPSG:27700 come out right) and everything is
    reprojected to WGS84. A file with no CRS, or whose coordinates contradict
    the CRS it declares (metres labelled as degrees), is refused unless ``crs``
    overrides the declaration: guessing would put a ward in the sea.

    Parameters
    ----------
    code_column, name_column
        Attribute columns with the boundary code and name. By default ONS-style
        ``WDnnCD``/``WDnnNM`` (any year, any case) or ``code``/``name``.
    crs
        Override for files with a missing or wrong CRS, e.g. ``"EPSG:27700"``.
    layer
        GeoPackage layer, when the file has more than one.

    Raises
    ------
    InputError
        The file is missing, empty, unreadable, has no (or a contradicted) CRS, or has no
        recognisable code or name column.
    OptionError
        ``code_column`` or ``name_column`` names a column the file does not have, or ``crs``
        is not a coordinate reference system pyproj knows.
    """
    kind = KINDS[kind] if isinstance(kind, str) else kind
    label = printable(label or str(path))
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=label)
    data = p.read_bytes()
    if not data.strip():
        raise InputError("file is empty", file=label)
    import pyogrio

    if p.suffix.lower() == ".zip":
        check_archive(p, label=label)  # sizes, ratio, entries, nested archives: before GDAL unpacks anything
    source = f"/vsizip/{p}" if p.suffix.lower() == ".zip" else str(p)
    try:
        with warnings.catch_warnings():  # GDAL's warnings on a broken file would reach stderr beside our message
            warnings.simplefilter("ignore")
            layers = pyogrio.list_layers(source)
            if layer is None and len(layers) > 1:
                polygon_layers = [str(n) for n, g in layers if g and "Polygon" in str(g)]
                if len(polygon_layers) != 1:
                    raise InputError(
                        f"file has several layers {[str(n) for n, _ in layers]}: choose one with --layer",
                        file=label,
                    )
                layer = polygon_layers[0]
            gdf = gpd.read_file(source, layer=layer, engine="pyogrio")
    except InputError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError..., shapely GEOSException
        why = gdal_reason(exc)
        raise InputError(f"cannot read as GeoJSON, GeoPackage or zipped Shapefile: {why}", file=label) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        # GDAL reads a CSV or a table without geometry as a plain table: not a boundary file
        raise InputError("has no geometry: a boundary file is GeoJSON, GeoPackage or a zipped Shapefile", file=label)
    notes: list[str] = []
    if crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(crs)
        except CRSError:
            raise OptionError(
                f"--crs {crs!r} is not a coordinate reference system; e.g. {BNG} (British National Grid) "
                f"or {WGS84} (lat/lng)",
                option="crs",
            ) from None
        gdf = gdf.set_crs(crs, allow_override=True)
        notes.append(f"CRS set to {crs} by override")
    elif gdf.crs is None:
        raise InputError(
            "the file declares no coordinate reference system (a Shapefile without .prj?): "
            f"pass --crs {BNG} for British National Grid or --crs {WGS84} for lat/lng",
            file=label,
        )
    _check_declared_crs(gdf, file=label)
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        notes.append(f"reprojected from {gdf.crs.to_string()} to {WGS84}")
        try:
            gdf = gdf.to_crs(WGS84)
        except Exception as exc:  # pyproj's CRSError/ProjError, shapely's GEOSException on a broken shape
            why = printable(str(exc))[:300]
            raise InputError(f"cannot reproject from {gdf.crs.to_string()} to {WGS84}: {why}", file=label) from None
    code_col = code_column or find_attr(gdf.columns, ("cd", "code"))
    name_col = name_column or find_attr(gdf.columns, ("nm", "name"))
    for what, col, asked in (("code", code_col, code_column), ("name", name_col, name_column)):
        if col is None or col not in gdf.columns:
            attrs = [c for c in gdf.columns if c != "geometry"]
            message = f"cannot find the {what} column (have {attrs}): pass --{what}-column"
            if asked:  # the column named by the caller is not there: the option is wrong, not the file
                raise OptionError(f"{label}: {message}", option=f"{what}_column")
            raise InputError(message, file=label)
    original = pd.DataFrame(gdf.drop(columns="geometry"))
    frame = gpd.GeoDataFrame(
        {
            "code": _attr_text(gdf[code_col]),
            "name": _attr_text(gdf[name_col]),
            "_row": np.arange(1, len(gdf) + 1),
        },
        geometry=gdf.geometry.values,
        crs=WGS84,
    )
    original["_row"] = frame["_row"].to_numpy()
    return RawBoundaries(
        file=label,
        sha256=hashlib.sha256(data).hexdigest(),
        frame=frame,
        original=original,
        n_rows=len(frame),
        notes=notes,
    )


_GDAL_SQL = re.compile(r"sqlite3_\w+\(.*\) failed: ", re.DOTALL)


def gdal_reason(exc: BaseException) -> str:
    """What GDAL said about a file, without the SQL it ran on a GeoPackage, each clause once, one short line."""
    parts = [p.strip() for p in _GDAL_SQL.sub("", printable(str(exc))).split(";")]
    return "; ".join(dict.fromkeys(p for p in parts if p))[:300]


def _check_declared_crs(gdf: gpd.GeoDataFrame, *, file: str) -> None:
    """Refuse degrees-labelled files whose numbers are metres (and the reverse)."""
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if geoms.empty or gdf.crs is None:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    if gdf.crs.is_geographic and (max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90):
        raise InputError(
            f"coordinates ({_metres(minx)}..{_metres(maxx)}, {_metres(miny)}..{_metres(maxy)}) are metres but the file "
            f"declares degrees ({gdf.crs.to_string()}): if this is British National Grid pass --crs {BNG}",
            file=file,
        )
    if gdf.crs.is_projected and max(abs(minx), abs(maxx), abs(miny), abs(maxy)) <= 180:
        raise InputError(
            f"coordinates look like degrees but the file declares {gdf.crs.to_string()} (metres): pass --crs {WGS84}",
            file=file,
        )


def _metres(v: float) -> str:
    """A coordinate for a message: whole metres, or short however large (1e308 from a hostile file)."""
    return f"{v:.0f}" if abs(v) < 1e9 else f"{v:.3g}"


def find_attr(columns: pd.Index, suffixes: tuple[str, ...]) -> str | None:
    """Find ONS-style ``WD23CD``/``wd16nm`` or plain ``code``/``name`` columns."""
    cols = [c for c in columns if c != "geometry"]
    for c in cols:
        if normalise_label(c) in suffixes[1:]:
            return c
    pattern = re.compile(rf"^(wd|ward|est|estate)?\d*{suffixes[0]}$", re.IGNORECASE)
    for c in cols:
        if pattern.match(c) and not c.lower().endswith(("cdo", "nmw")):
            return c
    return None


def _attr_text(series: pd.Series) -> pd.Series:
    """Attribute values as text ('' for missing) without turning 7 into '7.0'."""
    out = series.astype(object).where(series.notna(), "")
    return out.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).astype(object)
