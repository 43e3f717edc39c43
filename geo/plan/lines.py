"""County lines: which group, where. Each line's addresses over time, the areas it touches, and whether it moves.

Police intelligence links a flagged address, a closure order or a warrant to a
group or county line (the ``lines`` kind; names normalised on import). This
module turns those links into what an inspector with the intel permission
reads, and the one count cabinet may see. Nothing here reads the store or
knows who is asking: the page and the CLI check the permission and audit the
view (:mod:`geo.store.audit`, ``view_intel``).

One link, one place and time (:func:`line_links`)
-------------------------------------------------
A link's point and *first seen* day are its row's own when given; else its
record's: a flagged address's point and ``first_flagged``, a closure order's
point and ``granted`` (matched by ref). Its *last seen* day is when the record
stopped being live: a flagged address's ``closed`` day, a closure order's
``expiry``, a warrant's own day; an open flag or an order not yet expired is
still live, and its last seen is the summary's day. A link whose record is not
stored and that has no point of its own cannot be placed: it is counted in
``unplaced``, never dropped silently.

Per line (:func:`line_summary`)
-------------------------------
* ``addresses``: distinct records (flagged refs, closure refs, warrants) linked;
* ``first_seen`` / ``last_seen``: the earliest first seen, the latest last seen;
* ``new_30d``: records first seen in the 30 days up to and including the day;
* ``live``: records live on the day;
* ``wards`` / ``estates``: the names of the areas holding its records' points
  (:func:`geo.stats.areas.points_to_areas`, the rule every area count uses);
* ``moving``: see below.

Footprint by quarter (:func:`line_quarters`)
--------------------------------------------
For each calendar quarter, the records live at some point in it (first seen on
or before its last day, last seen on or after its first): their count, their
centre (the mean of British National Grid x and y, as lat/lng) and their spread
(the *standard distance*: the root mean square distance from the centre, in
metres). A line is **moving** when the centre of its latest quarter is further
from the centre of its first quarter than the first quarter's spread, or, for a
first quarter of one record (no spread), further than :data:`MOVE_M`. The
words say how far and in which direction.

For cabinet (:func:`lines_per_area`)
------------------------------------
Per ward (or estate), the number of lines with a record in it live at some point
in the 12 months up to the day: a count only, suppressed by the caller as every
published count is.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.plan._text import text_of as _text
from geo.stats.areas import points_to_areas
from geo.stats.evaluate import to_metres

__all__ = ["LINK_COLUMNS", "MOVE_M", "SUMMARY_COLUMNS", "line_links", "line_quarters", "line_summary"]
__all__ += ["lines_per_area"]

#: :func:`line_links`' columns.
LINK_COLUMNS = ["line", "record", "ref", "address", "lat", "lng", "first_seen", "last_seen", "live"]
#: :func:`line_summary`' columns.
SUMMARY_COLUMNS = ["line", "addresses", "first_seen", "last_seen", "new_30d", "live", "wards", "estates", "moving"]
#: How far (metres) the centre of a line whose first quarter had one record must move to count as moving.
MOVE_M = 250.0
#: How many days, the summary's day included, a record stays "new".
NEW_DAYS = 30
_COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


def _by_ref(frame: pd.DataFrame, day: str, end: str) -> pd.DataFrame:
    """``ref -> lat, lng, first, last, address, status`` of a case kind (the first row of a ref)."""
    out = pd.DataFrame(
        {
            "ref": _text(frame, "ref").to_numpy(),
            "lat": pd.to_numeric(frame.get("lat"), errors="coerce") if len(frame) else [],
            "lng": pd.to_numeric(frame.get("lng"), errors="coerce") if len(frame) else [],
            "first": _text(frame, day).str[:10].to_numpy(),
            "last": _text(frame, end).str[:10].to_numpy(),
            "address": _text(frame, "address").to_numpy(),
            "status": _text(frame, "status").str.casefold().to_numpy(),
        }
    )
    return out[out["ref"] != ""].drop_duplicates("ref").set_index("ref")


def line_links(
    lines: pd.DataFrame, *, flagged: pd.DataFrame, closures: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, int]:
    """Every placed link (:data:`LINK_COLUMNS`) and how many could not be placed (see the module docstring).

    ``live`` is whether the record is live on ``as_of``; ``last_seen`` of a live record is ``as_of``.
    Links dated after ``as_of`` are left out (not yet known on that day).
    """
    day = as_of.isoformat()
    out = pd.DataFrame(
        {
            "line": _text(lines, "line").to_numpy(),
            "record": _text(lines, "record").to_numpy(),
            "ref": _text(lines, "ref").to_numpy(),
            "address": _text(lines, "address").to_numpy(),
            "lat": pd.to_numeric(lines.get("lat"), errors="coerce").to_numpy(float) if len(lines) else [],
            "lng": pd.to_numeric(lines.get("lng"), errors="coerce").to_numpy(float) if len(lines) else [],
            "first_seen": _text(lines, "date").str[:10].to_numpy(),
            "last_seen": "",
        }
    )
    out["last_seen"] = np.where(out["record"] == "warrant", out["first_seen"], "")
    sources = (
        ("flagged", _by_ref(flagged, "first_flagged", "closed")),
        ("closure", _by_ref(closures, "granted", "expiry")),
    )
    for record, table in sources:
        mine = (out["record"] == record).to_numpy() & out["ref"].isin(table.index).to_numpy()
        if not mine.any():
            continue
        found = table.loc[out.loc[mine, "ref"]]
        for column, source in (("lat", "lat"), ("lng", "lng")):
            own = out.loc[mine, column].to_numpy(float)
            out.loc[mine, column] = np.where(np.isfinite(own), own, found[source].to_numpy(float))
        for column, source in (("first_seen", "first"), ("address", "address")):
            own = out.loc[mine, column].to_numpy(object)
            out.loc[mine, column] = np.where(own != "", own, found[source].to_numpy(object))
        last = found["last"].to_numpy(object)
        if record == "flagged":  # status "closed" without a closed day: last seen when flagged, as known
            shut = (found["status"].to_numpy(object) == "closed") & (last == "")
            last = np.where(shut, out.loc[mine, "first_seen"].to_numpy(object), last)
        out.loc[mine, "last_seen"] = last
    placed = np.isfinite(out["lat"].to_numpy(float)) & np.isfinite(out["lng"].to_numpy(float))
    placed &= (out["first_seen"] != "").to_numpy()
    unplaced = int((~placed).sum())
    out = out[placed & (out["first_seen"] <= day).to_numpy()].copy()
    ended = (out["last_seen"] != "") & (out["last_seen"] < day)
    out["live"] = ~ended.to_numpy()
    out.loc[out["live"].to_numpy(), "last_seen"] = day
    out = out.sort_values(["line", "first_seen", "record", "ref"], kind="stable").reset_index(drop=True)
    return out[LINK_COLUMNS], unplaced


def _quarter_number(day: pd.Series) -> np.ndarray:
    """Each ``YYYY-MM-DD`` day's calendar quarter as one number (year * 4 + quarter - 1), vectorised."""
    stamp = pd.to_datetime(day, format="%Y-%m-%d")
    return (stamp.dt.year * 4 + stamp.dt.quarter - 1).to_numpy(np.int64)


def line_quarters(links: pd.DataFrame) -> pd.DataFrame:
    """``line, quarter, records, lat, lng, spread_m`` (and BNG ``x, y``) per line and quarter with a live record."""
    if links.empty:
        return pd.DataFrame(columns=["line", "quarter", "records", "lat", "lng", "spread_m", "x", "y"])
    first, last = _quarter_number(links["first_seen"]), _quarter_number(links["last_seen"])
    span = np.maximum(last - first, 0) + 1  # quarters live, per record
    rows = np.repeat(np.arange(len(links)), span)
    number = first[rows] + np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span)
    quarters = pd.Series(number // 4).astype(str) + "Q" + pd.Series(number % 4 + 1).astype(str)
    xy = to_metres(links[["lat", "lng"]])
    frame = pd.DataFrame({"line": links["line"].to_numpy()[rows], "quarter": quarters.to_numpy()})
    frame["x"], frame["y"] = xy[rows, 0], xy[rows, 1]
    g = frame.groupby(["line", "quarter"], sort=True)
    out = g.agg(records=("x", "size"), x=("x", "mean"), y=("y", "mean")).reset_index()
    centre = out.set_index(["line", "quarter"])[["x", "y"]].loc[list(zip(frame["line"], frame["quarter"], strict=True))]
    d2 = (frame["x"].to_numpy() - centre["x"].to_numpy()) ** 2 + (frame["y"].to_numpy() - centre["y"].to_numpy()) ** 2
    out["spread_m"] = np.sqrt(pd.Series(d2).groupby([frame["line"], frame["quarter"]], sort=True).mean().to_numpy())
    lat, lng = _to_latlng(out["x"].to_numpy(float), out["y"].to_numpy(float))
    out["lat"], out["lng"] = lat, lng
    return out[["line", "quarter", "records", "lat", "lng", "spread_m", "x", "y"]]


def _to_latlng(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    back = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lng, lat = back.transform(x, y)
    return np.asarray(lat, float), np.asarray(lng, float)


def _moving_words(quarters: pd.DataFrame) -> pd.Series:
    """Per line: whether and how far its footprint moved between its first and latest quarter."""
    first = quarters.groupby("line").head(1).set_index("line")
    latest = quarters.groupby("line").tail(1).set_index("line")
    dx, dy = latest["x"] - first["x"], latest["y"] - first["y"]
    moved = np.hypot(dx, dy)
    limit = np.where(first["records"] > 1, first["spread_m"], MOVE_M)
    heading = (np.degrees(np.arctan2(dx, dy)) + 360 + 22.5) % 360 // 45
    compass = pd.Series(np.asarray(_COMPASS, dtype=object)[heading.astype(int).to_numpy()], index=first.index)
    since = first["quarter"].str.replace("Q", " Q")
    same = latest["quarter"] == first["quarter"]
    words = pd.Series("stable: its centre has stayed within its first quarter's spread", index=first.index)
    words[same] = "one quarter so far"
    go = (moved > limit) & ~same
    km = (moved / 1000).round(1).astype(str)
    words[go] = "moving: its centre has moved " + km[go] + " km " + compass[go] + " since " + since[go]
    return words


def line_summary(
    links: pd.DataFrame, *, wards: gpd.GeoDataFrame, estates: gpd.GeoDataFrame, as_of: dt.date
) -> pd.DataFrame:
    """One row per line (:data:`SUMMARY_COLUMNS`), the lines with most live records first."""
    if links.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    day = as_of.isoformat()
    new_from = (as_of - dt.timedelta(days=NEW_DAYS - 1)).isoformat()
    frame = links.assign(new=(links["first_seen"] >= new_from) & (links["first_seen"] <= day))
    frame["record_key"] = frame["record"] + ":" + frame["ref"]
    lng, lat = frame["lng"].to_numpy(float), frame["lat"].to_numpy(float)
    for layer, boundaries in (("ward", wards), ("estate", estates)):
        at = points_to_areas(boundaries, lng, lat)
        names = boundaries["name"].astype(str).to_numpy(object) if len(boundaries) else np.zeros(0, object)
        frame[layer] = np.where(at >= 0, names[np.maximum(at, 0)] if len(names) else "", "")
    g = frame.groupby("line", sort=True)

    def areas(column: str) -> pd.Series:
        named = frame[frame[column] != ""]
        return named.groupby("line")[column].agg(lambda s: "; ".join(sorted(set(s)))).reindex(g.size().index)

    out = pd.DataFrame(
        {
            "addresses": g["record_key"].nunique(),
            "first_seen": g["first_seen"].min(),
            "last_seen": g["last_seen"].max(),
            "new_30d": frame[frame["new"]].groupby("line")["record_key"].nunique().reindex(g.size().index),
            "live": frame[frame["live"]].groupby("line")["record_key"].nunique().reindex(g.size().index),
            "wards": areas("ward"),
            "estates": areas("estate"),
            "moving": _moving_words(line_quarters(links)),
        }
    )
    out = out.fillna({"new_30d": 0, "live": 0, "wards": "", "estates": ""})
    out = out.astype({"new_30d": np.int64, "live": np.int64, "addresses": np.int64}).reset_index()
    out = out.sort_values(["live", "addresses", "line"], ascending=[False, False, True], kind="stable")
    return out[SUMMARY_COLUMNS].reset_index(drop=True)


def lines_per_area(links: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """``code, name, lines``: per area, the lines with a record in it live in the 12 months up to ``as_of``."""
    start = (pd.Timestamp(as_of) - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date().isoformat()
    recent = links[(links["last_seen"] >= start) & (links["first_seen"] <= as_of.isoformat())]
    at = points_to_areas(boundaries, recent["lng"].to_numpy(float), recent["lat"].to_numpy(float))
    counts = pd.Series(recent["line"].to_numpy()[at >= 0]).groupby(at[at >= 0]).nunique()
    out = pd.DataFrame(
        {
            "code": boundaries["code"].astype(str).to_numpy(),
            "name": boundaries["name"].astype(str).to_numpy(),
            "lines": counts.reindex(np.arange(len(boundaries))).fillna(0).astype(np.int64).to_numpy(),
        }
    )
    return out.sort_values("code", kind="stable").reset_index(drop=True)
