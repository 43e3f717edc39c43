"""Glue for the Load data page: uploaded bytes -> a temporary file -> geo's importer.

An upload is written to a private temporary folder under its own name, read or
imported from there, and the folder is removed at once. Messages, notes and the
rejected rows name the file as the user knows it (``asb.csv``, ``police.zip:2024-01-street.csv``),
never the temporary folder. Reading and importing are geo's (:mod:`geo.ingest.readers`,
:func:`geo.store.importer.import_path`); this module only prepares their arguments
(the page's choices arrive as one :class:`~geo.store.importer.ImportOptions`) and
turns their answers into tables for the page.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geo.core.errors import InputError, NestwatchError, one_line
from geo.core.schema import BOUNDARY_KINDS, EASTING, KINDS, NORTHING, Column, Kind
from geo.ingest import check_archive, decode_bytes, iter_csv_sources, read_csv_text
from geo.ingest.boundaries import find_attr, gdal_reason  # the same defaults and words read_boundaries uses
from geo.ingest.gpx import is_gpx, read_gpx
from geo.ingest.readers import is_police_header, is_victim_counts, map_columns  # the same tests read_csv_bytes uses
from geo.store import Store
from geo.store.importer import ImportOptions, ImportResult, Progress, import_path

PREVIEW_ROWS = 20
NOT_IN_FILE = "(not in file)"
_PREFIX = "nestwatch-upload-"
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"[\\/]" + re.escape(_PREFIX) + r"[^\\/]+[\\/]")

#: What the uploader accepts. Excel and bare .shp files are let through so that
#: the user is told what to do with them rather than refused by the browser.
FILE_TYPES = ["csv", "txt", "zip", "geojson", "json", "gpkg", "xlsx", "xls", "shp", "gpx"]
BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")
POINT_SUFFIXES = (".csv", ".txt", ".zip", ".xlsx", ".xls")
#: GPS tracks: only patrols are read from them (one unit's track points, the unit asked on the page).
TRACK_SUFFIXES = (".gpx",)
#: What the page says about a patrol's unit wherever it asks for one or shows the columns.
UNIT_WORDS = "a call sign or team (e.g. B21), never an officer's name"

KIND_LABELS = {
    "incidents": "Incidents (police.uk or partner CSV)",
    "closures": "Closure orders",
    "victims": "Safeguarded victims",
    "flagged": "Flagged addresses",
    "wards": "Ward boundaries",
    "estates": "Estate boundaries",
    "population": "Ward populations (ONS mid-year estimates)",
    "patrols": "Patrol pings (GPS CSV or a GPX track)",
    "properties": "Properties (housing stock or an address gazetteer)",
    "signals": "Early-warning signals (repairs, complaints, visits)",
    "lines": "Groups and county lines (police intelligence)",
}
#: Kinds only a user with the intel permission may load (:data:`geo.access.roles.INTEL_PAGES` reads them).
INTEL_KINDS = ("lines",)


def kinds_for(*, intel: bool) -> list[str]:
    """The kinds the Load data page offers: every import kind, the intelligence ones only with ``intel``."""
    from geo.core.schema import IMPORT_KINDS

    return [k for k in IMPORT_KINDS if intel or k not in INTEL_KINDS]


COORD_LABELS: dict[str, str] = {
    "auto": "Detect from the values",
    "wgs84": "Latitude / longitude (WGS84)",
    "bng": "Easting / northing (British National Grid)",
}
VICTIM_SHAPES = {"victims": "One row per person", "victim_counts": "Counts per area and month"}


# --------------------------------------------------------------------------- names


def safe_name(name: str) -> str:
    """The file's own name without any folder part (browsers may send ``C:\\...``)."""
    base = Path(str(name).replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "upload"


def relabel(text: str) -> str:
    """``text`` with temporary upload folders removed, so it names files as uploaded."""
    return _TEMP.sub("", text)


@contextmanager
def saved_upload(name: str, data: bytes) -> Iterator[Path]:
    """Write ``data`` to a private temporary folder as ``name``; remove it afterwards."""
    with tempfile.TemporaryDirectory(prefix=_PREFIX, dir=tempfile.gettempdir()) as folder:
        path = Path(folder) / safe_name(name)
        path.write_bytes(data)
        yield path


def check_file_type(kind: str, name: str) -> None:
    """Refuse a file whose type cannot hold ``kind``, saying what to upload instead."""
    suffix = Path(safe_name(name)).suffix.lower()
    if suffix == ".shp":
        raise InputError(
            "a Shapefile is several files: zip the .shp together with its .shx, .dbf and .prj and upload the .zip",
            file=safe_name(name),
        )
    if kind in BOUNDARY_KINDS and suffix not in BOUNDARY_SUFFIXES:
        raise InputError(
            f"{kind} are boundaries: upload a GeoJSON, a GeoPackage or a zipped Shapefile, "
            f"not a {suffix or 'bare'} file",
            file=safe_name(name),
        )
    if suffix in TRACK_SUFFIXES and kind != "patrols":
        raise InputError(
            f"a GPX file is a GPS track: load it as patrol pings; {kind} are read from CSV files",
            file=safe_name(name),
        )
    if kind not in BOUNDARY_KINDS and suffix not in (*POINT_SUFFIXES, *TRACK_SUFFIXES):
        raise InputError(
            f"{kind} are read from CSV files (or a .zip of them), not a {suffix or 'bare'} file",
            file=safe_name(name),
        )


_CLI_HINTS = (
    (re.compile(r"\s*\(e\.g\. --map [^)]*\)"), " under Column mapping"),
    (re.compile(r"(?:pass )?--crs (\S+)"), r'enter \1 under "CRS override"'),
    (re.compile(r"choose one with --layer"), "choose one under Layer"),
    (re.compile(r"pass --(code|name)-column"), r"choose it under \1 column"),
    (re.compile(r"\.?; It might help to specify the correct driver.*$", re.DOTALL), ""),
)


def for_page(message: str) -> str:
    """A geo message with temporary folders removed and command-line flags put as page fields.

    One printable line of bounded length, as the command line prints it
    (:func:`geo.core.errors.one_line`): a hostile file's "heading" never fills the page.
    """
    message = relabel(message)
    for pattern, repl in _CLI_HINTS:
        message = pattern.sub(repl, message)
    return one_line(message)


#: What the page says when reading or importing a file needs more memory than the machine has.
OUT_OF_MEMORY = "the machine ran out of memory reading this file: nothing was stored; upload it in smaller parts"


# --------------------------------------------------------------------------- what each kind expects


def mapping_targets(kind: str) -> tuple[Column, ...]:
    """Canonical columns a user may map for ``kind`` (coordinates in either system)."""
    k = KINDS[kind]
    cols = tuple(c for c in k.columns if not (kind == "incidents" and c.name == "source"))
    if {"lat", "lng"} <= set(k.column_names):
        cols += (EASTING, NORTHING)
    return cols


def expected_columns(kind: str) -> pd.DataFrame:
    """Canonical columns of ``kind``: name, required or not, headings recognised without a mapping."""
    if kind in BOUNDARY_KINDS:
        return pd.DataFrame(
            {
                "column": ["code", "name", "geometry"],
                "required": ["yes", "yes", "yes"],
                "accepted headings": [
                    "code, or ONS-style WDyyCD (any year); or choose the attribute",
                    "name, or ONS-style WDyyNM (any year); or choose the attribute",
                    "polygons, in any coordinate reference system the file declares",
                ],
            }
        )
    if kind == "incidents":
        rows = [("source", "", "set on this page (police.uk files: police.uk)")]
        cols = mapping_targets(kind)
    else:
        rows = []
        cols = mapping_targets(kind)
    for c in cols:
        spellings = ", ".join(dict.fromkeys((c.name.replace("_", ""), *c.synonyms)))
        if c.help:
            spellings += f" ({c.help})"
        rows.append((c.name, "yes" if c.required else "", spellings))
    return pd.DataFrame(rows, columns=["column", "required", "accepted headings"])


def column_rules(kind: str) -> str:
    """The requirements the column table cannot show, in one line."""
    if kind in BOUNDARY_KINDS:
        return (
            "GeoJSON, GeoPackage or a zipped Shapefile. Any CRS is reprojected to WGS84; "
            "a file without one needs a CRS override (EPSG:27700 for British National Grid)."
        )
    rules = "Headings match whatever their case, spaces and punctuation."
    if "lat" in KINDS[kind].column_names:
        rules += " Coordinates: lat/lng (WGS84) or easting/northing (British National Grid)."
    if KINDS[kind].area_column:
        rules += (
            f" Each {KINDS[kind].area_column} should be a loaded ward or estate code: rows with other codes are"
            " stored, and the import says which codes matched nothing."
        )
    if kind == "incidents":
        rules = "police.uk street-level CSVs (or a zip of monthly files) load as published. " + rules
        rules += " Partner exports also need month or date."
    if kind == "victims":
        rules += " Partners sharing only numbers may send area_code, month and count instead."
    if kind == "patrols":
        rules += (
            f" The unit is {UNIT_WORDS}. Times are ISO 8601 with their offset or Z (no offset is read as UTC)."
            " A GPX 1.1 track (.gpx) is one unit's: the page asks which; its track points are the rows."
        )
    if kind == "properties":
        rules += " UPRNs are kept as text, leading zeros and all: export them from a spreadsheet as text."
    return rules


# --------------------------------------------------------------------------- preview


@dataclass
class Preview:
    """The first rows of an upload, as text, and what the page needs to ask about it."""

    name: str
    label: str
    frame: pd.DataFrame
    header: list[str]
    police_uk: bool = False
    encoding: str = ""
    counts_like: bool = False
    layers: list[str] = field(default_factory=list)
    layer: str | None = None
    crs: str | None = None
    features: int | None = None
    geometry_type: str | None = None
    code_column: str | None = None
    name_column: str | None = None
    track: bool = False  # a GPX track: no column mapping, the unit asked instead


def preview_path(path: Path, kind: str, *, layer: str | None = None) -> Preview:
    """Read the first rows of a CSV (first of a zip) or the attributes of a boundary file.

    Through the same readers, limits and refusals as the import: an archive
    past its limits, a binary file or broken UTF-16 is refused here with the
    words the import would use, before the page offers to import it.
    """
    if kind in BOUNDARY_KINDS:
        return _preview_boundaries(path, layer=layer)
    if kind == "patrols" and is_gpx(path):
        points = read_gpx(path, unit="?", label=path.name).original  # the unit is asked once the points are seen
        frame = points[["time", "lat", "lon"]].head(PREVIEW_ROWS).reset_index(drop=True)
        return Preview(name=path.name, label=path.name, frame=frame, header=list(frame.columns), track=True)
    label, data = next(iter(iter_csv_sources(path)))
    text, encoding = decode_bytes(data if isinstance(data, bytes) else bytes(data), file=label)
    header, frame, _rejects = read_csv_text(_head(text), file=label)
    frame = frame.drop(columns="_row").head(PREVIEW_ROWS)
    return Preview(
        name=path.name,
        label=relabel(label),
        frame=frame,
        header=header,
        police_uk=is_police_header(header),
        encoding=encoding,
        counts_like=is_victim_counts(header, None),
    )


def _head(text: str, rows: int = PREVIEW_ROWS) -> str:
    """The header and first ``rows`` records of CSV text (records may span lines)."""
    consumed = 0

    def lines() -> Iterator[str]:  # no copy of the whole text: uploads may be hundreds of megabytes
        nonlocal consumed
        while consumed < len(text):
            found = _LINE_END.search(text, consumed)  # CR alone ends a line too, as the readers read it
            end = len(text) if found is None else found.end()
            line, consumed = text[consumed:end], end
            yield line.replace("\x00", " ")

    try:
        for _ in islice(csv.reader(lines()), rows + 1):
            pass
    except csv.Error:  # let read_csv_text say what is wrong with the whole text
        return text
    return text[:consumed]


_LINE_END = re.compile(r"\r\n|\r|\n")


def _preview_boundaries(path: Path, *, layer: str | None) -> Preview:
    import pyogrio

    if path.suffix.lower() == ".zip":
        check_archive(path, label=path.name)  # as read_boundaries does: before GDAL unpacks anything
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        layers = [(str(n), str(g)) for n, g in pyogrio.list_layers(source)]
        if layer is None:
            polygons = [n for n, g in layers if "Polygon" in g]
            layer = polygons[0] if len(polygons) == 1 else layers[0][0]
        info = pyogrio.read_info(source, layer=layer)
        attrs = pyogrio.read_dataframe(source, layer=layer, read_geometry=False, max_features=PREVIEW_ROWS)
    except NestwatchError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError...
        raise InputError(
            f"cannot read as GeoJSON, GeoPackage or zipped Shapefile: {relabel(gdal_reason(exc))}", file=path.name
        ) from None
    attrs = pd.DataFrame(attrs).drop(columns="geometry", errors="ignore")
    header = [str(c) for c in attrs.columns]
    frame = attrs.astype(object).where(attrs.notna(), "").astype(str)
    return Preview(
        name=path.name,
        label=path.name if len(layers) == 1 else f"{path.name}, layer {layer}",
        frame=frame,
        header=header,
        layers=[n for n, _ in layers],
        layer=layer,
        crs=info.get("crs"),
        features=int(info["features"]) if info.get("features") is not None else None,
        geometry_type=info.get("geometry_type"),
        code_column=find_attr(pd.Index(header), ("cd", "code")),
        name_column=find_attr(pd.Index(header), ("nm", "name")),
    )


def preview_upload(upload_id: str, name: str, data: bytes, kind: str, *, layer: str | None = None) -> Preview:
    """:func:`preview_path` of an upload, kept in the session until another file arrives.

    A new upload also forgets the choices made for the previous one (widgets
    keyed ``data_opt_...``), so the mapping is pre-filled afresh.
    """
    check_file_type(kind, name)
    cached = st.session_state.get("data_preview")
    if cached is None or cached[0][0] != upload_id:
        for k in [k for k in st.session_state if str(k).startswith("data_opt_")]:
            del st.session_state[k]
        st.session_state.pop("data_report", None)
        layer = None  # a layer chosen for the previous file means nothing here
    key = (upload_id, kind in BOUNDARY_KINDS, layer)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        with saved_upload(name, data) as path:
            preview = preview_path(path, kind, layer=layer)
    except NestwatchError as exc:
        raise type(exc)(for_page(str(exc))) from None
    except OSError as exc:
        raise InputError(f"cannot read the upload: {exc.strerror or exc}", file=safe_name(name)) from None
    except MemoryError:
        raise InputError(OUT_OF_MEMORY, file=safe_name(name)) from None
    st.session_state["data_preview"] = (key, preview)
    return preview


# --------------------------------------------------------------------------- column mapping


def suggest_mapping(header: list[str], kind: str, *, file: str = "") -> tuple[dict[str, str], str | None]:
    """The automatic mapping (canonical column -> heading) and, when it is incomplete, why.

    :func:`geo.ingest.readers.map_columns` decides; when it refuses (a required column
    is missing) the columns it could find are still suggested, each found by
    map_columns itself, and its message is returned for the page to show.
    """
    k = KINDS[kind]
    targets = mapping_targets(kind)
    try:
        found = map_columns(header, k, mapping=None, file=file)
        return {c.name: found[c.name] for c in targets if c.name in found}, None
    except InputError as exc:
        message = for_page(str(exc))
    suggested: dict[str, str] = {}
    remaining = list(header)
    for col in targets:
        probe = Kind(name="probe", table="", columns=(replace(col, required=False),), ref_column=None)
        head = map_columns(remaining, probe, mapping=None, file=file).get(col.name)
        if head is not None:
            suggested[col.name] = head
            remaining.remove(head)
    return suggested, message


def check_mapping(header: list[str], kind: str, mapping: Mapping[str, str], *, file: str = "") -> str | None:
    """None when ``mapping`` gives ``kind`` everything it needs, else the reason (as the import would say)."""
    try:
        map_columns(header, KINDS[kind], mapping=mapping, file=file)
    except NestwatchError as exc:  # a file without the columns, or a mapping that names a wrong one
        return for_page(str(exc))
    taken = list(mapping.values())
    twice = sorted({h for h in taken if taken.count(h) > 1})
    if twice:
        return f"{file}: heading(s) {twice} chosen for more than one column" if file else f"{twice} chosen twice"
    return None


# --------------------------------------------------------------------------- import


def import_upload(
    store: Store,
    kind: str,
    name: str,
    data: bytes,
    options: ImportOptions | None = None,
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import uploaded bytes with :func:`geo.store.importer.import_path`, naming files as uploaded.

    ``options`` are the page's choices as the widgets give them: a blank source
    or CRS override means none (a text box cannot say ``None``).

    Raises
    ------
    NestwatchError
        (``InputError`` mostly) when the file cannot be read at all, or an
        ``OSError`` turned into one; nothing is stored then.
    """
    check_file_type(kind, name)
    opts = options or ImportOptions()
    opts = replace(
        opts,
        mapping=opts.mapping or None,
        source=(opts.source or "").strip() or None,
        crs=(opts.crs or "").strip() or None,
        unit=((opts.unit or "").strip() or None) if kind == "patrols" and is_gpx(safe_name(name)) else None,
    )
    report = progress or (lambda _f, _m: None)
    try:
        with saved_upload(name, data) as path:
            result = import_path(
                store,
                kind,
                path,
                opts,
                label=path.name,  # the import log and the quarantine name the file as uploaded
                progress=lambda f, m: report(min(max(f, 0.0), 1.0), relabel(m)),
            )
    except NestwatchError as exc:
        raise type(exc)(for_page(str(exc))) from None
    except OSError as exc:
        raise InputError(f"cannot read or store the upload: {exc.strerror or exc}", file=safe_name(name)) from None
    except MemoryError:
        raise InputError(OUT_OF_MEMORY, file=safe_name(name)) from None
    result.path = relabel(result.path)
    for f in result.files:
        f["file"] = relabel(str(f["file"]))
    result.notes = [relabel(n) for n in result.notes]
    result.reasons = {relabel(r): n for r, n in result.reasons.items()}
    return result


def import_rejects(store: Store, result: ImportResult) -> pd.DataFrame:
    """The rows this import quarantined (every file of it): file, row, column, reason, raw."""
    frames = [store.rejects(import_id=int(f["import_id"])) for f in result.files]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ("file", "row", "column", "reason", "raw")})
    out = pd.concat(frames, ignore_index=True)[["file", "row", "column", "reason", "raw"]]
    out["file"] = out["file"].astype(str).map(relabel)
    out["reason"] = out["reason"].astype(str).map(relabel)
    return out


def reasons_frame(result: ImportResult) -> pd.DataFrame:
    """Rejection reasons, alike ones counted together, most common first."""
    return pd.DataFrame({"reason": list(result.reasons), "rows": list(result.reasons.values())})


def files_frame(result: ImportResult) -> pd.DataFrame:
    """Per-file counts (a zip of monthly files gives one row each)."""
    cols = ["file", "rows", "stored", "rejected", "already_present"]
    return pd.DataFrame([{c: f[c] for c in cols} for f in result.files], columns=cols)


def rejects_file_name(name: str) -> str:
    return f"{Path(safe_name(name)).stem}-rejects.csv"


@dataclass
class Report:
    """The last import of this session, kept so that reruns (downloads) still show it."""

    upload_id: str
    kind: str
    result: ImportResult
    rejects: pd.DataFrame


# --------------------------------------------------------------------------- drawing an estate


def draw_map(store: Store) -> Any:
    """A map over the loaded wards with the polygon Draw tool, for outlining an estate."""
    from dashboard import maps

    wards = store.read_boundaries("wards")
    estates = store.read_boundaries("estates")
    bounds = tuple(wards.total_bounds) if not wards.empty else None
    m = maps.base_map(bounds=bounds)
    if not wards.empty:
        maps.add_boundaries(m, wards, name="Wards")
    if not estates.empty:
        maps.add_boundaries(m, estates, name="Estates", colour="#6a1b9a")
    maps.add_draw(m)
    maps.add_layer_control(m)
    return m


def drawn_polygon(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The polygon just drawn, from st_folium's state (clicks on other layers carry properties; drawings don't)."""
    feature = (state or {}).get("last_active_drawing")
    if not feature or feature.get("properties"):
        return None
    geometry = feature.get("geometry") or {}
    return geometry if geometry.get("type") == "Polygon" else None


def save_drawn_estate(store: Store, geometry: Mapping[str, Any], *, code: str, name: str) -> ImportResult:
    """Store a drawn outline as an estate, through the same import (and validation) as a file."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InputError("give the estate a code and a name")
    feature = {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": dict(geometry)}
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode("utf-8")
    return import_upload(store, "estates", f"drawn-estate-{safe_name(code)}.geojson", data)
