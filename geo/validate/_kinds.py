"""Checks that accept or reject each row, with a reason naming file, row and column.

Every row of a raw table ends in exactly one of two frames: ``accepted`` (typed,
canonical) or ``rejects``. Checks run vectorised over whole columns because a
force-year of police.uk data is a million rows; the first failing check of a row
gives its reason. Nothing here reads or writes files.

This module is the entry point (:func:`validate_table`, :func:`validate_boundaries`)
and holds the checks of closures, victims, flagged addresses and area counts.
Incidents take the column-wise path of :mod:`geo.validate._incidents`; what every
kind shares lives in :mod:`geo.validate._fields` (coordinates, dates),
:mod:`geo.validate._identity` (content keys, repeated refs) and :mod:`geo.validate._verdict` (one
reason per row, the :class:`~geo.validate._verdict.Validated` result).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.core.keys import as_string_array, hash_rows
from geo.core.parallel import thread_map
from geo.core.rejects import concat_rejects, empty_rejects, rows_to_json
from geo.core.schema import (
    CLOSURE_ORDER_TYPES,
    CLOSURE_STATUSES,
    FLAGGED_STATUSES,
    INDICATORS,
    KINDS,
    UK_BOUNDS,
    WGS84,
    indicator_lookup,
    normalise_label,
)
from geo.ingest.boundaries import RawBoundaries
from geo.ingest.readers import RawTable
from geo.validate._fields import CoordMode, check_coordinates, check_dates, check_months, says
from geo.validate._identity import content_keys, reject_repeated_refs
from geo.validate._incidents import validate_incidents
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
    """
    if raw.kind == "incidents":
        return validate_incidents(raw, coords=coords)
    kind = KINDS[raw.kind]
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

    if "lat" in kind.column_names:
        lat, lng, note = check_coordinates(text, rej, coords=coords, optional=kind.name == "victims")
        out["lat"], out["lng"] = lat, lng
        if note:
            notes.append(note)

    if kind.name == "closures":
        _closure_fields(text, out, rej)
    elif kind.name == "victims":
        out["date_safeguarded"] = check_dates(text["date_safeguarded"], "date_safeguarded", rej, required=True)
    elif kind.name == "flagged":
        _flagged_fields(text, out, rej)
    elif kind.name == "victim_counts":
        out["month"] = check_months(text["month"], "month", rej, required=True)
        count = pd.to_numeric(text["count"], errors="coerce")
        bad = count.isna() | (count < 0) | (count != np.floor(count))
        rej.reject(bad.to_numpy(), "count", "count is not a whole number >= 0")
        out["count"] = count.fillna(0).astype("int64")

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


# --------------------------------------------------------------------------- kinds


def _closure_fields(text: dict[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    granted = check_dates(text["granted"], "granted", rej, required=True)
    expiry = check_dates(text["expiry"], "expiry", rej, required=True)
    before = ((expiry != "") & (granted != "") & (expiry < granted)).to_numpy()
    rej.reject(before, "expiry", "expiry date is before the grant date")
    out["granted"], out["expiry"] = granted, expiry
    out["order_type"] = _vocabulary(text["order_type"], "order_type", CLOSURE_ORDER_TYPES, rej)
    out["status"] = _vocabulary(text["status"], "status", CLOSURE_STATUSES, rej)


def _flagged_fields(text: dict[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    first = check_dates(text["first_flagged"], "first_flagged", rej, required=True)
    closed = check_dates(text["closed"], "closed", rej, required=False)
    rej.reject(
        ((closed != "") & (closed < first)).to_numpy(),
        "closed",
        "closed before it was first flagged",
    )
    out["first_flagged"], out["closed"] = first, closed
    status = _vocabulary(text["status"], "status", FLAGGED_STATUSES, rej)
    out["status"] = status.where(status != "", np.where(closed != "", "closed", "open"))
    lookup = indicator_lookup()
    order = list(INDICATORS)

    def parse(cell: str) -> str:
        parts = [p.strip() for p in re.split(r"[;|,\n]", cell) if p.strip()]
        keys = [lookup.get(normalise_label(p)) for p in parts]
        if any(k is None for k in keys):
            bad = [p for p, k in zip(parts, keys, strict=True) if k is None]
            return "!" + ", ".join(bad)
        return ";".join(sorted(set(keys), key=order.index))  # type: ignore[arg-type]

    parsed = _map_unique(text["indicators"], parse).astype(object)
    bad = parsed.str.startswith("!").to_numpy(dtype=bool)
    allowed = "; ".join(label for label, _ in INDICATORS.values())
    rej.reject(bad, "indicators", says("unknown indicator: ", parsed.str.slice(1), f" (allowed: {allowed})"))
    out["indicators"] = parsed.where(~bad, "")


def _vocabulary(text: pd.Series, col: str, allowed: tuple[str, ...], rej: Rejector) -> pd.Series:
    lowered = text.str.lower()
    bad = ((lowered != "") & ~lowered.isin(allowed)).to_numpy()
    rej.reject(bad, col, says(f"unknown {col} (allowed: {', '.join(allowed)}): ", text))
    return lowered.where(~bad, "").astype("str")


def _map_unique(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply ``fn`` once per distinct value: columns repeat a handful of values a million times."""
    return _by_distinct(values, lambda u: u.map(fn).astype("str"))


def _by_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Run a column-wise ``fn`` on the distinct values only and spread its result to every row.

    Months, categories, dates and statuses repeat a few values across a
    million rows, so parsing each once is what keeps validation fast.
    """
    enc = pc.dictionary_encode(as_string_array(values))
    distinct = pd.Series(enc.dictionary, dtype="str")
    result = fn(distinct)
    if isinstance(result.dtype, pd.StringDtype):
        taken = pa.array(result, type=pa.string()).take(enc.indices)  # missing stays missing
        return pd.Series(taken, index=values.index, dtype="str")
    return pd.Series(result.to_numpy()[enc.indices.to_numpy(zero_copy_only=False)], index=values.index)


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
    invalid = rej.ok & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        why = shapely.is_valid_reason(geoms[i])
        repaired = _polygonal(shapely.make_valid(geoms[i]))
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
