"""A deterministic synthetic demo town, "Nestwick", for first runs, tests and demos.

Nothing here is real. The town sits in the North Sea, about 55 km off the
Holderness coast, so no real street, home or person can ever be read into it,
and every name carries "(synthetic)". It is still shaped like the real thing so
the dashboard has something true to show:

* 8 wards (Voronoi cells clipped to the town outline) and 5 housing estates;
* three years of monthly incidents: background noise everywhere, four
  persistent hotspots, one hotspot emerging in the last year, a summer peak,
  and police.uk-style snap points (so identical rows occur, as in real data);
* 41 flagged addresses near hotspots (one raised in the town's last week),
  15 closure orders after which ASB near the closed address falls, and 50
  safeguarded people;
* a population per ward for mid-2023, mid-2024 and mid-2025, laid out as ONS
  publishes its ward estimates, so that the dashboard can show rates;
* a housing provider's stock around the case addresses, and one week of
  patrol (:mod:`geo.demo._patrols`): a plan saved for the week of 19 October
  2026 and GPS tracks that deliver about two thirds of it, one unit as CSV
  pings and one as a GPX track.

The town's "today" is its last day, :data:`DEMO_END`: screens that look back
from today (the new-address alert) look back from it in the demo.

Generation goes through CSV/GeoJSON files and the normal import path, so the
demo also exercises ingest and validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon, mapping

from geo.core.schema import ASB, INDICATORS, POLICE_UK_HEADER
from geo.demo._lines import make_lines
from geo.demo._patrols import demo_plan_slots, make_properties, write_patrol_files
from geo.demo._signals import make_signals
from geo.store import PROJECT_ROOT, Store

#: Where the demo's files are written. Only a place on disk: which imports are the demo is
#: the import log's ``synthetic`` flag (set by :func:`load_demo`), never a file's name or folder.
DEMO_DIR = PROJECT_ROOT / "data" / "demo-synthetic"
DEMO_WARDS_FILE = "demo_wards.geojson"
BOUNDARY_DIR = PROJECT_ROOT / "data" / "boundaries"
CENTRE = (53.95, 0.95)  # lat, lng: open sea east of Holderness
FIRST_MONTH = "2023-11"
N_MONTHS = 36
DEMO_END = pd.Timestamp("2026-10-31")

WARD_NAMES = (
    "Harbour",
    "Northgate",
    "Millbrook",
    "St Anne's",
    "Cliffside",
    "Eastfield",
    "Riverside",
    "Old Town",
)
ESTATE_NAMES = (
    "Larchwood Estate",
    "Gorse Hill",
    "Marlowe Court",
    "Kestrel Park",
    "Foundry Lane Estate",
)
STREET_STEMS = (
    "Larch",
    "Gorse",
    "Marlowe",
    "Kestrel",
    "Foundry",
    "Beacon",
    "Tide",
    "Anchor",
    "Heron",
    "Saltings",
    "Chapel",
    "Market",
    "Ropewalk",
    "Mill",
    "Orchard",
    "Quarry",
    "Lantern",
    "Willow",
    "Causeway",
    "Dune",
)
STREET_KINDS = ("Road", "Street", "Walk", "Close", "Lane", "Court", "Way", "Terrace")
OTHER_CATEGORIES = {
    "Violence and sexual offences": 0.30,
    "Criminal damage and arson": 0.14,
    "Public order": 0.12,
    "Shoplifting": 0.10,
    "Other theft": 0.09,
    "Vehicle crime": 0.07,
    "Burglary": 0.06,
    "Drugs": 0.06,
    "Other crime": 0.03,
    "Bicycle theft": 0.03,
}


@dataclass(frozen=True)
class Hotspot:
    """A cluster of incidents: centre (km east, km north of CENTRE), spread, rate per month."""

    x: float
    y: float
    sd_km: float
    rate: float
    start: int = 0  # first month index with incidents
    ramp: bool = False  # grows linearly from start to the last month


HOTSPOTS = (
    Hotspot(-1.2, 0.9, 0.15, 22.0),
    Hotspot(1.1, -0.6, 0.18, 18.0),
    Hotspot(-0.3, -1.3, 0.12, 14.0),
    Hotspot(1.6, 1.2, 0.10, 30.0),  # no closure orders here: stays persistent
    Hotspot(-1.9, -0.5, 0.14, 26.0, start=24, ramp=True),  # emerging
)


def km_to_lnglat(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local kilometres around CENTRE to WGS84 (equirectangular is exact enough at 5 km)."""
    lat0, lng0 = CENTRE
    lat = lat0 + np.asarray(y_km) / 110.574
    lng = lng0 + np.asarray(x_km) / (111.320 * np.cos(np.radians(lat0)))
    return lng, lat


def _poly_km(points: list[tuple[float, float]]) -> Polygon:
    xs, ys = zip(*points, strict=True)
    lng, lat = km_to_lnglat(np.array(xs), np.array(ys))
    return Polygon(zip(np.round(lng, 6), np.round(lat, 6), strict=True))


def town_outline(rng: np.random.Generator) -> Polygon:
    """An irregular blob about 7 km by 5.5 km."""
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    r = 1 + 0.08 * np.sin(3 * angles + 0.5) + 0.04 * rng.standard_normal(len(angles))
    return _poly_km(list(zip(3.5 * r * np.cos(angles), 2.8 * r * np.sin(angles), strict=True)))


def make_boundaries(*, seed: int = 7) -> tuple[dict, dict]:
    """Ward and estate GeoJSON FeatureCollections (WGS84)."""
    rng = np.random.default_rng(seed)
    outline = town_outline(rng)
    seeds_km = [(-2.2, 1.2), (0.0, 1.6), (2.1, 1.3), (-2.4, -0.8), (-0.6, -0.1), (1.0, -0.2), (2.6, -1.0), (-0.4, -1.8)]
    sx, sy = km_to_lnglat(np.array([s[0] for s in seeds_km]), np.array([s[1] for s in seeds_km]))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(zip(sx, sy, strict=True))), extend_to=outline)
    wards = []
    for geom in shapely.get_parts(cells):
        clipped = shapely.set_precision(geom.intersection(outline), 1e-6)
        # which seed is inside this cell decides its name
        i = next(j for j in range(len(sx)) if clipped.contains(Point(sx[j], sy[j])))
        wards.append((i, clipped))
    wards.sort()
    ward_features = [_feature(f"X0500000{i + 1}", f"{WARD_NAMES[i]} (synthetic)", g) for i, g in wards]
    estate_centres = [(-1.2, 0.9), (1.1, -0.6), (-0.3, -1.3), (1.6, 1.2), (-1.9, -0.5)]
    estate_features = []
    for i, (cx, cy) in enumerate(estate_centres):
        angles = np.linspace(0, 2 * np.pi, 9, endpoint=False) + rng.uniform(0, 0.5)
        radius = rng.uniform(0.32, 0.45) * (1 + 0.15 * rng.standard_normal(len(angles)))
        pts = list(zip(cx + radius * np.cos(angles), cy + 0.8 * radius * np.sin(angles), strict=True))
        poly = shapely.set_precision(_poly_km(pts).intersection(outline), 1e-6)
        estate_features.append(_feature(f"XEST{i + 1:03d}", f"{ESTATE_NAMES[i]} (synthetic)", poly))
    return _collection(ward_features), _collection(estate_features)


def _feature(code: str, name: str, geom: shapely.Geometry) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": mapping(geom)}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "name": "synthetic demo boundaries", "features": features}


def _periods() -> pd.PeriodIndex:
    return pd.period_range(FIRST_MONTH, periods=N_MONTHS, freq="M")


def _street_points(rng: np.random.Generator, outline: Polygon, n: int = 450) -> pd.DataFrame:
    """Anonymised snap points, as police.uk uses: many incidents share one."""
    minx, miny, maxx, maxy = outline.bounds
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if outline.contains(Point(x, y)):
            pts.append((x, y))
    names = [
        f"On or near {STREET_STEMS[rng.integers(len(STREET_STEMS))]} {STREET_KINDS[rng.integers(len(STREET_KINDS))]}"
        for _ in range(n)
    ]
    return pd.DataFrame({"lng": [p[0] for p in pts], "lat": [p[1] for p in pts], "location": names})


def _snap(lng: np.ndarray, lat: np.ndarray, streets: pd.DataFrame) -> np.ndarray:
    """Index of the nearest snap point for each incident."""
    tree = shapely.STRtree(shapely.points(streets["lng"], streets["lat"]))
    return tree.nearest(shapely.points(lng, lat))


def make_cases(*, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Closure orders, flagged addresses and safeguarded people, as partner CSV frames."""
    rng = np.random.default_rng(seed + 1)
    months = _periods()
    # orders go to all but the last persistent hotspot, which stays untouched so
    # that a truly persistent pattern is planted beside the diminishing ones
    persistent = [h for h in HOTSPOTS if not h.ramp][:-1]

    def near(h: Hotspot, k: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
        return km_to_lnglat(h.x + rng.normal(0, spread, k), h.y + rng.normal(0, spread, k))

    def address(i: int) -> str:
        street = f"{STREET_STEMS[i % len(STREET_STEMS)]} {STREET_KINDS[i % len(STREET_KINDS)]}"
        return f"{(i * 7) % 90 + 2} {street}, Nestwick (synthetic)"

    closures = []
    for i in range(15):
        h = persistent[i % len(persistent)]
        lng, lat = near(h, 1, 0.12)
        granted = months[6 + (i * 13) % 22].to_timestamp() + pd.Timedelta(days=int(rng.integers(0, 27)))
        extended = i % 4 == 0
        expiry = granted + pd.DateOffset(months=6 if extended else 3)
        status = ("extended" if extended else "active") if expiry >= DEMO_END else "expired"
        closures.append(
            {
                "Order Ref": f"CO-{granted.year}-{i + 1:03d}",
                "Address": address(100 + i),
                "Latitude": f"{lat[0]:.6f}",
                "Longitude": f"{lng[0]:.6f}",
                "Granted": granted.strftime("%d/%m/%Y"),
                "Expiry": expiry.strftime("%d/%m/%Y"),
                "Type": "partial" if i % 5 == 2 else "full",
                "Status": status,
                "Agency": "Police" if i % 3 else "Council",
            }
        )
    keys = list(INDICATORS)
    flagged = []
    for i in range(40):
        h = HOTSPOTS[i % len(HOTSPOTS)]
        lng, lat = near(h, 1, 0.2)
        first = months[int(rng.integers(0, N_MONTHS))].to_timestamp() + pd.Timedelta(days=int(rng.integers(0, 27)))
        if h.ramp:  # flags around the emerging hotspot are recent
            first = months[int(rng.integers(24, N_MONTHS))].to_timestamp()
        chosen = rng.choice(keys[:-1], size=int(rng.integers(1, 5)), replace=False)
        closed = i % 10 in (3, 7) or (i % 10 == 5 and not h.ramp)
        closed_on = min(first + pd.Timedelta(days=int(rng.integers(30, 200))), DEMO_END) if closed else None
        flagged.append(
            {
                "UPRN": f"{10_000_000 + i * 37:012d}",  # leading zeros, as real UPRNs in exports
                "Address": address(i),
                "Lat": f"{lat[0]:.6f}",
                "Lng": f"{lng[0]:.6f}",
                "First Flagged": first.strftime("%Y-%m-%d"),
                "Indicators": "; ".join(INDICATORS[k][0] for k in chosen),
                "Status": "closed" if closed else "open",
                "Closed": closed_on.strftime("%Y-%m-%d") if closed_on is not None else "",
                "Agency": ("Housing", "Police", "Council")[i % 3],
            }
        )
    # one more, raised in the town's last week: the Overview's "new address of concern" alert has something to show
    lng, lat = km_to_lnglat(np.array([HOTSPOTS[4].x + 0.15]), np.array([HOTSPOTS[4].y - 0.1]))
    flagged.append(
        {
            "UPRN": f"{10_000_000 + 40 * 37:012d}",
            "Address": address(40),
            "Lat": f"{lat[0]:.6f}",
            "Lng": f"{lng[0]:.6f}",
            "First Flagged": (DEMO_END - pd.Timedelta(days=2)).strftime("%Y-%m-%d"),
            "Indicators": "; ".join(INDICATORS[k][0] for k in ("visitors_odd_hours", "lock_changes")),
            "Status": "open",
            "Closed": "",
            "Agency": "Housing",
        }
    )
    victims = []
    agencies = ("Police", "Housing", "Adult Social Care", "Children's Services")
    outcomes = ("support plan in place", "moved to safety", "declined support", "referred to partner")
    for i in range(50):
        h = HOTSPOTS[i % len(HOTSPOTS)]
        lng, lat = near(h, 1, 0.25)
        when = months[int(rng.integers(3, N_MONTHS))].to_timestamp() + pd.Timedelta(days=int(rng.integers(0, 27)))
        victims.append(
            {
                "Person Ref": f"V-{i + 1:04d}",
                "Date Safeguarded": when.strftime("%Y-%m-%d"),
                "Latitude": f"{lat[0]:.6f}",
                "Longitude": f"{lng[0]:.6f}",
                "Agency": agencies[i % len(agencies)],
                "Outcome": outcomes[(i * 3) % len(outcomes)],
            }
        )
    return {
        "closures": pd.DataFrame(closures),
        "flagged": pd.DataFrame(flagged),
        "victims": pd.DataFrame(victims),
    }


def make_incidents(closures: pd.DataFrame, *, seed: int = 7) -> pd.DataFrame:
    """Monthly incidents in police.uk street-level CSV layout."""
    rng = np.random.default_rng(seed + 2)
    outline = town_outline(np.random.default_rng(seed))
    streets = _street_points(rng, outline)
    minx, miny, maxx, maxy = outline.bounds
    frames = []
    c_lat = closures["Latitude"].astype(float).to_numpy()
    c_lng = closures["Longitude"].astype(float).to_numpy()
    c_granted = pd.to_datetime(closures["Granted"], format="%d/%m/%Y").dt.to_period("M")
    lat0 = CENTRE[0]
    kx, ky = 111.320 * np.cos(np.radians(lat0)), 110.574
    for m, period in enumerate(_periods()):
        season = 1 + 0.3 * np.sin(2 * np.pi * (m + 10 - 4) / 12)  # peak around July
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        is_hot: list[np.ndarray] = []
        n_bg = rng.poisson(160 * season)
        bx = rng.uniform(minx, maxx, n_bg * 2)
        by = rng.uniform(miny, maxy, n_bg * 2)
        inside = shapely.contains_xy(outline, bx, by)
        xs.append(bx[inside][:n_bg])
        ys.append(by[inside][:n_bg])
        is_hot.append(np.zeros(len(xs[-1]), dtype=bool))
        for h in HOTSPOTS:
            if m < h.start:
                continue
            rate = h.rate * season * ((m - h.start + 1) / (N_MONTHS - h.start) if h.ramp else 1)
            k = rng.poisson(rate)
            lng, lat = km_to_lnglat(h.x + rng.normal(0, h.sd_km, k), h.y + rng.normal(0, h.sd_km, k))
            xs.append(lng)
            ys.append(lat)
            is_hot.append(np.ones(k, dtype=bool))
        for j in range(len(closures)):  # the problem address: ASB falls after the order
            before = period < c_granted.iloc[j]
            k = rng.poisson(7 * season if before else 0.8 * season)
            dx, dy = rng.normal(0, 0.06, k), rng.normal(0, 0.06, k)
            xs.append(c_lng[j] + dx / kx)
            ys.append(c_lat[j] + dy / ky)
            is_hot.append(np.ones(k, dtype=bool))
        lng = np.concatenate(xs)
        lat = np.concatenate(ys)
        hot = np.concatenate(is_hot)
        inside = shapely.contains_xy(outline, lng, lat)
        lng, lat, hot = lng[inside], lat[inside], hot[inside]
        snap = _snap(lng, lat, streets)
        n = len(lng)
        p_asb = np.where(hot, 0.75, 0.45)
        asb = rng.random(n) < p_asb
        other = rng.choice(list(OTHER_CATEGORIES), size=n, p=list(OTHER_CATEGORIES.values()))
        drugs_near_hot = hot & ~asb & (rng.random(n) < 0.25)
        category = np.where(asb, ASB, np.where(drugs_near_hot, "Drugs", other))
        ref = np.array([f"{int(v):016x}{m:04d}{i:06d}" for i, v in enumerate(rng.integers(0, 2**62, n))])
        frames.append(
            pd.DataFrame(
                {
                    "Crime ID": np.where(asb, "", ref),
                    "Month": period.strftime("%Y-%m"),
                    "Reported by": "Nestwick Constabulary (synthetic)",
                    "Falls within": "Nestwick Constabulary (synthetic)",
                    "Longitude": [f"{v:.6f}" for v in streets["lng"].to_numpy()[snap]],
                    "Latitude": [f"{v:.6f}" for v in streets["lat"].to_numpy()[snap]],
                    "Location": streets["location"].to_numpy()[snap],
                    "LSOA code": [f"X0100{int(s) % 40:04d}" for s in snap],
                    "LSOA name": [f"Nestwick {int(s) % 40:03d}X (synthetic)" for s in snap],
                    "Crime type": category,
                    "Last outcome category": np.where(asb, "", "Investigation complete; no suspect identified"),
                    "Context": "",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    # a few rows as police.uk publishes them without a location, to show the quarantine
    no_loc = rng.choice(len(out), size=40, replace=False)
    out.loc[no_loc, ["Longitude", "Latitude", "LSOA code", "LSOA name"]] = ""
    out.loc[no_loc, "Location"] = "No Location"
    return out[list(POLICE_UK_HEADER)]


#: The mid-years of the demo's ward populations: the estimates out by the demo's last month (ONS publishes a
#: mid-year estimate about a year after its 30 June, so none for mid-2026 yet).
POPULATION_YEARS = (2023, 2024, 2025)


def make_population(*, seed: int = 7) -> pd.DataFrame:
    """Residents per demo ward and mid-year, with ONS-style headings (``Ward Code``, ``Mid-year``, ``All Ages``).

    Plausible for an English town of about 80,000: wards of 6,000 to 12,500
    residents (ONS wards are mostly 5,000 to 15,000), each growing or
    shrinking by under 1 % a year with a little noise, as small areas do
    between estimates.
    """
    rng = np.random.default_rng(seed + 3)
    wards, _ = make_boundaries(seed=seed)
    rows = []
    for feature in wards["features"]:
        props = feature["properties"]
        base = int(rng.integers(6_000, 12_500))
        growth = rng.uniform(-0.006, 0.009)
        for i, year in enumerate(POPULATION_YEARS):
            people = round(base * (1 + growth) ** i + rng.normal(0, 25))
            rows.append({"Ward Code": props["code"], "Ward Name": props["name"], "Mid-year": year, "All Ages": people})
    return pd.DataFrame(rows)


def write_demo_files(*, seed: int = 7, folder: Path = DEMO_DIR, boundaries: Path = BOUNDARY_DIR) -> dict[str, Path]:
    """Write the demo's CSV and GeoJSON files and return their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    boundaries.mkdir(parents=True, exist_ok=True)
    wards, estates = make_boundaries(seed=seed)
    paths = {"wards": boundaries / DEMO_WARDS_FILE, "estates": boundaries / "demo_estates.geojson"}
    for kind, fc in (("wards", wards), ("estates", estates)):
        text = json.dumps(fc, indent=1) + "\n"
        if not paths[kind].exists() or paths[kind].read_text() != text:
            paths[kind].write_text(text)
    cases = make_cases(seed=seed)
    incidents = make_incidents(cases["closures"], seed=seed)
    homes = make_properties(cases, seed=seed)
    repairs, complaints = make_signals(homes, cases, end=DEMO_END, seed=seed)
    more = (
        ("population", make_population(seed=seed)),
        ("properties", homes),
        ("repairs", repairs),
        ("complaints", complaints),
        ("lines", make_lines(cases, seed=seed)),
    )
    for kind, frame in (("incidents", incidents), *cases.items(), *more):
        paths[kind] = folder / f"{kind}.csv"
        frame.to_csv(paths[kind], index=False, lineterminator="\r\n")
    return paths


def load_demo(store: Store, *, seed: int = 7) -> list:
    """Generate and import the whole demo town into ``store`` (idempotent).

    Each import is marked ``synthetic`` in the import log, the one mark the
    dashboard trusts for its banner and its open mode; this is the only caller
    that sets it. The store refuses the demo beside real data (and real data
    beside the demo): :class:`geo.store.provenance.MixedDataError`.
    """
    from geo.store.importer import import_path
    from geo.store.provenance import provenance, refuse_mixing

    refuse_mixing(provenance(store), synthetic=True)  # before a town is generated for nothing
    paths = write_demo_files(seed=seed)
    from geo.store.importer import ImportOptions

    order = ("wards", "estates", "incidents", "closures", "flagged", "victims", "population", "properties")
    files = [(kind, kind) for kind in order] + [("signals", "repairs"), ("signals", "complaints"), ("lines", "lines")]
    root = PROJECT_ROOT
    # logged relative to the project (an absolute path says nothing to a user and names the machine)
    results = [
        import_path(store, kind, paths[name], label=_relative(paths[name], root), synthetic=True)
        for kind, name in files
    ]
    # the patrol week follows the plan made from what was just loaded, so it comes last
    tracks = write_patrol_files(demo_plan_slots(store, seed=seed), folder=DEMO_DIR, seed=seed)
    for path, unit in tracks.values():
        options = ImportOptions(unit=unit) if unit else None
        results.append(import_path(store, "patrols", path, options, label=_relative(path, root), synthetic=True))
    return results


@dataclass(frozen=True)
class Removed:
    """One demo import taken out by :func:`remove_demo`: its id, file and rows removed per kind."""

    import_id: int
    file: str
    removed: dict[str, int]


def remove_demo(store: Store, *, user: str, role: str) -> list[Removed]:
    """Delete every live synthetic import, each through the audited deletion; real imports are never touched.

    ``python -m geo demo --remove`` runs it before real data is loaded into a
    store that held the demo (the store refuses to mix them). Each import is
    its own audited transaction (:func:`geo.store.importer.delete_import`, reason
    :data:`geo.store.provenance.REMOVE_DEMO_REASON`), so an interrupted removal
    leaves whole imports behind, never half of one, and running it again
    finishes the job. Which imports go is read from the import log's
    ``synthetic`` flag alone: a real file named like a demo file stays. The
    saved week plans go too (:func:`geo.store.patrols.delete_plans`): they
    were all made on the demo's places.
    """
    from geo.store.importer import delete_import
    from geo.store.provenance import REMOVE_DEMO_REASON

    log = store.imports().sort_values("id")
    live = log[log["deleted_at"].isna() & log["synthetic"].astype(bool)]
    out = []
    if not live.empty:  # first the week plans made on the demo's places (saved plans are not imports)
        from geo.store.patrols import delete_plans

        delete_plans(store, user=user, role=role, reason=REMOVE_DEMO_REASON)
    for import_id, file in zip(live["id"].tolist(), live["file"].tolist(), strict=True):
        removed = delete_import(store, int(import_id), user=user, role=role, reason=REMOVE_DEMO_REASON)
        out.append(Removed(import_id=int(import_id), file=str(file), removed=removed))
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
