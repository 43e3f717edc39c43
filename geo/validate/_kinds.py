"""The entry points: :func:`validate_table` for tables of any kind, :func:`validate_boundaries` for shapes.

Every row of a raw table ends in exactly one of two frames: ``accepted`` (typed,
canonical) or ``rejects``. Checks run vectorised over whole columns because a
force-year of police.uk data is a million rows; the first failing check of a row
gives its reason. Nothing here reads or writes files.

No check here asks which kind it is looking at: what differs between kinds is
data on the :class:`~geo.core.schema.Kind` (which columns are text and required,
whether coordinates may be blank, whether the kind is bulk) and the kind's own
field check, looked up in :data:`geo.validate._checks.FIELD_CHECKS`. Bulk kinds
(incidents) take the column-wise path of :mod:`geo.validate._incidents`, the
others the row path below; what every kind shares lives in
:mod:`geo.validate._fields` (coordinates, dates), :mod:`geo.validate._identity`
(content keys, repeated refs) and :mod:`geo.validate._verdict` (one reason per
row, the :class:`~geo.validate._verdict.Validated` result).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors

from geo.core.errors import OptionError
from geo.core.keys import hash_rows
from geo.core.parallel import thread_map
from geo.core.rejects import concat_rejects, empty_rejects, rows_to_json
from geo.core.schema import KINDS, UK_BOUNDS, WGS84, Kind
from geo.ingest.boundaries import RawBoundaries
from geo.ingest.readers import RawTable
from geo.validate._checks import FIELD_CHECKS
from geo.validate._fields import CoordMode, FieldCheck, check_coordinates, check_key_lengths
from geo.validate._identity import content_keys, reject_repeated_refs
from geo.validate._incidents import validate_columnwise
from geo.validate._verdict import Rejector, Validated, rejects_frame

# CoordMode and Validated are part of this module's interface: the options and result of validate_table
__all__ = ["CoordMode", "Validated", "validate_boundaries", "validate_table"]


def validate_table(raw: RawTable, *, coords: CoordMode = "auto") -> Validated:
    """Validate a raw CSV table of any point or count kind.

    Parameters
    ----------
    raw
        From :func:`geo.ingest.readers.read_csv_kind`.
    coords
        ``"auto"`` decides between lat/lng and British National Grid from the
        values; ``"wgs84"`` or ``"bng"`` force it (rows that do not fit are
        rejected rather than silently converted).

    Raises
    ------
    OptionError
        When ``raw`` is of a kind that is not a table (boundaries are validated
        by :func:`validate_boundaries`).
    """
    kind = KINDS.get(raw.kind)
    if kind is None or kind.name not in FIELD_CHECKS:
        tables = ", ".join(FIELD_CHECKS)
        raise OptionError(f"{raw.kind!r} is not a kind of table (one of {tables}); boundaries: validate_boundaries")
    path = validate_columnwise if kind.bulk else _validate_rows
    return path(raw, kind, FIELD_CHECKS[kind.name], coords=coords)


def _validate_rows(raw: RawTable, kind: Kind, fields: FieldCheck, *, coords: CoordMode) -> Validated:
    """The row path, in pandas: text, required text, coordinates, the kind's ``fields``, keys, repeated refs."""
    f = raw.frame
    n = len(f)
    rej = Rejector(n, raw.columns)
    out = pd.DataFrame(index=f.index)
    notes = list(raw.notes)
    names = [c for c in f.columns if c != "_row"]
    text = dict(zip(names, thread_map(lambda c: _clean_text(f[c]), names), strict=True))

    for col in kind.columns:
        if col.dtype == "str":
            out[col.name] = text[col.name]
            if col.required:
                rej.reject(text[col.name] == "", col.name, f"{col.name} is blank")
    check_key_lengths(text, kind, rej)

    if "lat" in kind.column_names:
        lat, lng, note = check_coordinates(text, rej, coords=coords, optional=kind.coordinates_optional)
        out["lat"], out["lng"] = lat, lng
        if note:
            notes.append(note)

    fields(text, out, rej)

    out = out[list(kind.column_names)]
    out["_row"] = f["_row"].to_numpy()
    k1, k2 = content_keys(out, kind)
    out["_k1"], out["_k2"] = k1, k2
    reject_repeated_refs(out, kind, rej)

    ok = rej.ok
    rejects = rejects_frame(raw, ~ok, rej)
    return Validated(
        kind.name,
        raw.file,
        out,
        concat_rejects([raw.rejects, rejects]),
        notes,
        raw=raw,
        headings=raw.columns,
        ok=ok,
    )


def _clean_text(values: pd.Series) -> pd.Series:
    """Missing as blank, surrounding blanks stripped (pyarrow-backed, so vectorised)."""
    return values.fillna("").str.strip()


# --------------------------------------------------------------------------- boundaries


def validate_boundaries(raw: RawBoundaries, *, kind: str) -> Validated:
    """Accept or reject each boundary feature; repair invalid polygons and say so.

    ``make_valid`` turns a bow-tie into two triangles; lines or points it may
    produce are dropped because a boundary is an area. Repairs are reported in
    ``notes`` (with row and code) rather than rejected, since the shape is kept.
    """
    g = raw.frame
    n = len(g)
    rej = Rejector(n, {})
    code = g["code"].astype(object).fillna("").str.strip()
    name = g["name"].astype(object).fillna("").str.strip()
    rej.reject((code == "").to_numpy(), "code", "code is blank")
    rej.reject((name == "").to_numpy(), "name", "name is blank")
    check_key_lengths({"code": code.astype("str")}, KINDS[kind], rej)
    geoms = g.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rej.reject(missing, "geometry", "empty or null geometry")
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, (3, 6))  # Polygon, MultiPolygon
    rej.reject(
        ~missing & ~polygonal,
        "geometry",
        "not a polygon: " + g.geom_type.fillna("").to_numpy(dtype=object),
    )
    notes = list(raw.notes)
    fixed = geoms.copy()
    invalid = rej.ok & ~_valid(geoms)
    for i in np.flatnonzero(invalid).tolist():
        try:
            why = shapely.is_valid_reason(geoms[i])
            repaired = _polygonal(shapely.make_valid(geoms[i]))
        except shapely.errors.GEOSException as exc:  # a shape GEOS cannot even work on: that feature goes
            why, repaired = f"GEOS: {str(exc)[:200]}", None
        if repaired is None:
            rej.reject(_one(n, i), "geometry", f"invalid polygon ({why}) cannot be repaired")
            continue
        fixed[i] = repaired
        notes.append(f"row {g['_row'].iloc[i]} (code {code.iloc[i]}): invalid polygon ({why}) repaired with make_valid")
    ub = UK_BOUNDS
    ok_idx = np.flatnonzero(rej.ok)
    if len(ok_idx):
        bounds = shapely.bounds(fixed[ok_idx])
        outside = (
            (bounds[:, 0] < ub["lng_min"])
            | (bounds[:, 2] > ub["lng_max"])
            | (bounds[:, 1] < ub["lat_min"])
            | (bounds[:, 3] > ub["lat_max"])
        )
        mask = np.zeros(n, dtype=bool)
        mask[ok_idx[outside]] = True
        rej.reject(mask, "geometry", "outside Great Britain")
    dup = code.duplicated(keep="first").to_numpy() & (code != "").to_numpy()
    first_row = dict(
        zip(
            code[~code.duplicated()].to_numpy(),
            g["_row"][~code.duplicated()].to_numpy(),
            strict=True,
        )
    )
    reason = np.array(
        [f"code {c!r} repeats row {first_row.get(c)}" for c in code.to_numpy()],
        dtype=object,
    )
    rej.reject(dup, "code", reason)
    accepted = gpd.GeoDataFrame({"code": code, "name": name, "_row": g["_row"]}, geometry=fixed, crs=WGS84)
    accepted = accepted[rej.ok].reset_index(drop=True)
    wkb = shapely.to_wkb(accepted.geometry.to_numpy(), hex=True) if len(accepted) else np.array([], dtype=object)
    keyframe = pd.DataFrame({"code": accepted["code"], "name": accepted["name"], "wkb": wkb})
    accepted["_k1"], accepted["_k2"] = hash_rows(keyframe, repeats_distinct=False)
    mask = ~rej.ok
    orig = raw.original[mask]
    heads = [c for c in orig.columns if c != "_row"]
    rejects = pd.DataFrame(
        {
            "file": raw.file,
            "row": g["_row"].to_numpy()[mask],
            "column": rej.column[mask],
            "reason": rej.reason[mask],
            "raw": rows_to_json(orig, columns=heads),
        }
    )
    if rejects.empty:
        rejects = empty_rejects()
    if not len(accepted) and n:
        notes.append("no feature was accepted")
    return Validated(kind, raw.file, accepted, rejects, notes, raw=raw)


def _valid(geoms: np.ndarray) -> np.ndarray:
    """``shapely.is_valid`` per feature; a feature GEOS fails on counts as invalid (and is judged alone)."""
    try:
        return np.asarray(shapely.is_valid(geoms), dtype=bool)
    except shapely.errors.GEOSException:
        out = np.zeros(len(geoms), dtype=bool)
        for i, g in enumerate(geoms):
            try:
                out[i] = bool(shapely.is_valid(g))
            except shapely.errors.GEOSException:
                out[i] = False
        return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None


def _one(n: int, i: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[i] = True
    return m
