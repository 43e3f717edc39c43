"""The demo town's police intelligence: two synthetic county lines linked to its flagged addresses, orders and warrants.

Nothing here is real (see :mod:`geo.demo`); the names are invented. The "Dee" line starts in the west of the
town in 2025 and moves east through 2026 (its footprint moves); the "Kay" line stays in the middle. Names are
spelt as intelligence exports spell them ("the 'DEE' line", "Dee line"), so the import's normalisation shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HEADINGS = ["Line Name", "Record Type", "Ref", "Latitude", "Longitude", "Date Seen"]


def make_lines(cases: dict[str, pd.DataFrame], *, seed: int = 7) -> pd.DataFrame:
    """The intelligence links (partner frame, every cell text)."""
    rng = np.random.default_rng(seed + 31)
    flagged = cases["flagged"].copy()
    flagged["lng"] = flagged["Lng"].astype(float)
    flagged = flagged[flagged["Status"].astype(str) == "open"].sort_values("lng", kind="stable")
    west, east = flagged.head(4), flagged.tail(4)
    middle = flagged.iloc[len(flagged) // 2 - 2 : len(flagged) // 2 + 1]
    rows: list[dict[str, str]] = []

    def link(name: str, record: str, ref: str, day: pd.Timestamp | None, *, lat: str = "", lng: str = "") -> None:
        when = "" if day is None else day.strftime("%d/%m/%Y")
        rows.append(
            {"Line Name": name, "Record Type": record, "Ref": ref, "Latitude": lat, "Longitude": lng, "Date Seen": when}
        )

    for i, (_, f) in enumerate(west.iterrows()):  # the Dee line's first addresses: the west, in 2025
        link(
            "the 'DEE' line" if i % 2 else "Dee line",
            "Flagged address",
            str(f["UPRN"]),
            pd.Timestamp("2025-03-01") + pd.Timedelta(days=40 * i),
        )
    days = ("2026-04-01", "2026-05-20", "2026-07-10", "2026-10-15")  # the last one new in the demo's last 30 days
    for day, (_, f) in zip(days, east.iterrows(), strict=True):  # then the east, in 2026
        link("Dee Line", "flagged", str(f["UPRN"]), pd.Timestamp(day))
    for i, (_, f) in enumerate(east.head(2).iterrows()):  # warrants executed next to two of them
        north, east_m = rng.normal(0, 40, 2)
        lat = float(f["Lat"]) + north / 111_200
        lng = float(f["Lng"]) + east_m / (111_200 * np.cos(np.radians(lat)))
        link(
            "Dee Line",
            "warrant",
            f"WAR-26-{i + 1:03d}",
            pd.Timestamp("2026-09-10") + pd.Timedelta(days=12 * i),
            lat=f"{lat:.6f}",
            lng=f"{lng:.6f}",
        )
    granted = pd.to_datetime(cases["closures"]["Granted"], format="%d/%m/%Y")
    order = cases["closures"].iloc[int(granted.to_numpy().argmax())]  # the newest order, in the east
    link("Dee Line", "closure order", str(order["Order Ref"]), None)  # dated by the order itself
    for i, (_, f) in enumerate(middle.iterrows()):  # the Kay line: the middle of town, throughout
        link("Kay", "flagged", str(f["UPRN"]), pd.Timestamp("2025-06-01") + pd.Timedelta(days=10 * i))
    return pd.DataFrame(rows, columns=HEADINGS)
