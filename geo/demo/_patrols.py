"""The demo town's patrol week and housing stock: GPS tracks that follow a saved plan, and the homes around cases.

Nothing here is real (see :mod:`geo.demo`). Two things the patrol loop needs
and the rest of the demo does not have:

* **tracks**: one synthetic week of patrol, made from the week's saved plan so
  that planned and delivered can be set side by side. As the GPS-tracked trials
  found (about half the planned minutes delivered), a unit here misses some
  visits, cuts others short and drives past a few; between places it drives in
  a straight line with a ping a minute, so the track also passes through other
  hexagons (passes, not visits). One team's unit reports by CSV pings with a
  UTC offset, the other's by a GPX 1.1 track, so both readers are exercised.
* **properties**: a housing provider's stock around every flagged address and
  closure order (the case addresses themselves included, as a real stock list
  would have them), some homes in named blocks, UPRNs with leading zeros.

Randomness comes from a ``numpy`` Generator seeded by the caller, never the
global one, so the demo is the same on every run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from geo.space.hexes import cells_to_latlng

if TYPE_CHECKING:
    from geo.store import Store

#: A ping every this many seconds while a unit stands at a place (phones and vehicle trackers send every 15-60 s).
STAY_PING_S = 30
#: A ping every this many seconds while driving between places.
DRIVE_PING_S = 60
#: How far (metres) a standing unit's pings wander around the place's centre: well inside a resolution-9 hexagon.
JITTER_M = 25.0
_M_PER_DEG_LAT = 110_574.0


def _metres_to_degrees(lat: float, east_m: np.ndarray, north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return north_m / _M_PER_DEG_LAT, east_m / (111_320.0 * np.cos(np.radians(lat)))


def make_tracks(slots: pd.DataFrame, *, units: dict[str, str], seed: int = 7) -> pd.DataFrame:
    """The pings of a week that followed ``slots`` (a saved plan) about half-way.

    Parameters
    ----------
    slots
        The plan's slots (:data:`geo.plan.schedule.SLOT_COLUMNS`): ``team``,
        ``cell``, ``start`` (tz-aware) and ``minutes`` are used.
    units
        The call sign reporting for each team (a unit, never an officer).
    seed
        For the week's luck: which visits are missed, cut short or driven past.

    Returns
    -------
    pandas.DataFrame
        ``unit, time`` (tz-aware UTC), ``lat, lng``, sorted by unit and time.
        Each visit's pings start at its slot's start; a unit drives to it from
        its previous place in the ten minutes before.
    """
    rng = np.random.default_rng(seed + 11)
    frames = []
    for team, group in slots.sort_values("start", kind="stable").groupby("team", sort=True):
        unit = units[str(team)]
        lat_c, lng_c = cells_to_latlng(group["cell"].to_numpy(dtype=np.uint64))
        previous: tuple[float, float] | None = None
        for (_, slot), lat, lng in zip(group.iterrows(), lat_c, lng_c, strict=True):
            start = pd.Timestamp(slot["start"]).tz_convert("UTC")
            luck = rng.random()
            if luck < 0.2:  # missed: the unit was called elsewhere
                continue
            # driven past (a minute in the place), or a visit, often cut short
            minutes = 1.0 if luck < 0.3 else float(slot["minutes"]) * rng.uniform(0.35, 1.0)
            if previous is not None:  # the drive there: a ping a minute for ten minutes, in a straight line
                steps = np.arange(1, 11) / 10.0
                times = start - pd.to_timedelta((10 - np.arange(1, 11)) * DRIVE_PING_S + DRIVE_PING_S, unit="s")
                frames.append(
                    pd.DataFrame(
                        {
                            "unit": unit,
                            "time": times,
                            "lat": previous[0] + (lat - previous[0]) * steps,
                            "lng": previous[1] + (lng - previous[1]) * steps,
                        }
                    ).iloc[:-1]  # the last step is the place itself, reached at the slot's start
                )
            n = int(minutes * 60 // STAY_PING_S) + 1
            wander = np.clip(rng.normal(0, JITTER_M / 2, (2, n)), -JITTER_M, JITTER_M)
            d_lat, d_lng = _metres_to_degrees(lat, wander[0], wander[1])
            frames.append(
                pd.DataFrame(
                    {
                        "unit": unit,
                        "time": start + pd.to_timedelta(np.arange(n) * STAY_PING_S, unit="s"),
                        "lat": lat + d_lat,
                        "lng": lng + d_lng,
                    }
                )
            )
            previous = (float(lat), float(lng))
    if not frames:
        return pd.DataFrame({"unit": [], "time": pd.to_datetime([], utc=True), "lat": [], "lng": []})
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates(["unit", "time"], keep="last")  # a drive ping can meet the previous stay's last one
    return out.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)


def tracks_to_csv_frame(pings: pd.DataFrame) -> pd.DataFrame:
    """Pings as a tracker's CSV export: ``unit,time,lat,lng``, times in UK wall-clock time with their offset."""
    local = pings["time"].dt.tz_convert("Europe/London")
    text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d{2})(\d{2})$", r"\1:\2", regex=True)
    return pd.DataFrame(
        {
            "unit": pings["unit"],
            "time": text,
            "lat": pings["lat"].map("{:.6f}".format),
            "lng": pings["lng"].map("{:.6f}".format),
        }
    )


def tracks_to_gpx(pings: pd.DataFrame, *, name: str) -> str:
    """One unit's pings as a GPX 1.1 track (times in UTC, ``Z``), as a handheld or phone app exports it."""
    points = "\n".join(
        f'      <trkpt lat="{lat:.6f}" lon="{lng:.6f}"><time>{t:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
        for lat, lng, t in zip(pings["lat"], pings["lng"], pings["time"].dt.tz_convert("UTC"), strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="1.1" creator={quoteattr("Nestwatch demo (synthetic)")} xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"  <trk>\n    <name>{escape(name)}</name>\n    <trkseg>\n{points}\n    </trkseg>\n  </trk>\n</gpx>\n"
    )


def make_properties(cases: dict[str, pd.DataFrame], *, seed: int = 7) -> pd.DataFrame:
    """A housing provider's stock list around every flagged address and closure order.

    Each case address is in the list itself (with its own UPRN where the case
    has one), with 10 to 16 homes scattered up to 160 m around it; every third
    case sits in a block of flats whose other flats share its point within a
    few metres, so a door-knock list has both "same block" and "within 100 m"
    homes, and some homes lie just beyond the radius.
    """
    rng = np.random.default_rng(seed + 12)
    rows = []
    sources = (
        ("flagged", "Lat", "Lng", "UPRN"),
        ("closures", "Latitude", "Longitude", None),
    )
    n = 0
    for kind, lat_col, lng_col, uprn_col in sources:
        for i, case in cases[kind].reset_index(drop=True).iterrows():
            lat, lng = float(case[lat_col]), float(case[lng_col])
            in_block = int(i) % 3 == 0
            block = f"{case['Address'].split(',')[0].split(' ', 1)[1]} House (synthetic)" if in_block else ""
            uprn = str(case[uprn_col]) if uprn_col else f"{20_000_000 + n:012d}"
            rows.append(_home(n, str(case["Address"]), uprn, lat=lat, lng=lng, block=block))
            n += 1
            k = int(rng.integers(10, 17))
            east = rng.uniform(-160, 160, k)
            north = rng.uniform(-160, 160, k)
            if in_block:  # the block's other flats: the same building, a few metres apart
                east[:4] = rng.normal(0, 3, 4)
                north[:4] = rng.normal(0, 3, 4)
            d_lat, d_lng = _metres_to_degrees(lat, east, north)
            for j in range(k):
                flat = in_block and j < 4
                address = (
                    f"Flat {j + 2}, {block}" if flat else f"{(n * 3) % 120 + 1} {case['Address'].split(' ', 1)[1]}"
                )
                rows.append(
                    _home(
                        n,
                        address,
                        f"{20_000_000 + n:012d}",
                        lat=lat + d_lat[j],
                        lng=lng + d_lng[j],
                        block=block if flat else "",
                    )
                )
                n += 1
    return pd.DataFrame(rows)


def _home(n: int, address: str, uprn: str, *, lat: float, lng: float, block: str) -> dict[str, str]:
    return {
        "Property Ref": f"P-{n + 1:05d}",
        "Address": address,
        "UPRN": uprn,
        "Latitude": f"{lat:.6f}",
        "Longitude": f"{lng:.6f}",
        "Landlord": "Nestwick Homes (synthetic)",
        "Block": block,
    }


#: The demo's patrol week: the last whole week of its data (it crosses the end of British Summer Time on Sunday).
DEMO_WEEK = dt.date(2026, 10, 19)
DEMO_SHIFTS = "Mon-Fri 14:00-22:00; Sat 18:00-02:00"
#: Each team and the call sign its unit reports as.
DEMO_UNITS = {"North team": "NW21", "South team": "NW22"}
DEMO_TOP = 10
DEMO_PLANNER = "demo"


def demo_plan_slots(store: Store, *, seed: int = 7) -> pd.DataFrame:
    """The demo week's saved plan, made and saved on first use (a second load reuses it, so nothing changes)."""
    from geo.plan.schedule import plan_week
    from geo.store.patrols import read_plan, save_plan

    saved = read_plan(store, week=DEMO_WEEK)
    if saved is not None:
        return saved
    plan = plan_week(store, week=DEMO_WEEK, shifts=DEMO_SHIFTS, seed=seed, teams=tuple(DEMO_UNITS), top=DEMO_TOP)
    save_plan(store, plan.slots, week=plan.week, user=DEMO_PLANNER, options=plan.options)
    return plan.slots


def write_patrol_files(slots: pd.DataFrame, *, folder: Path, seed: int = 7) -> dict[str, tuple[Path, str | None]]:
    """The week's track files: the first team's unit as CSV pings, the second's as a GPX track.

    Returns each file's path and the unit a GPX file is of (None for CSV, whose rows name their unit).
    """
    folder.mkdir(parents=True, exist_ok=True)
    pings = make_tracks(slots, units=DEMO_UNITS, seed=seed)
    (csv_unit, gpx_unit) = DEMO_UNITS.values()
    paths: dict[str, tuple[Path, str | None]] = {}
    csv_path = folder / "patrols.csv"
    tracks_to_csv_frame(pings[pings["unit"] == csv_unit]).to_csv(csv_path, index=False, lineterminator="\r\n")
    paths["patrols"] = (csv_path, None)
    gpx_path = folder / "patrols.gpx"
    gpx_path.write_text(
        tracks_to_gpx(pings[pings["unit"] == gpx_unit], name=f"{gpx_unit} (synthetic)"), encoding="utf-8"
    )
    paths["patrols-gpx"] = (gpx_path, gpx_unit)
    return paths
