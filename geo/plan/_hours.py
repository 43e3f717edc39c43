"""Hot hours: when in the day each place's incidents happen, as weights for the visit draw.

Only partner records carry a time of day (housing and council exports often
do, as ``HH:MM`` or ``HH:MM:SS``); police.uk publishes the month alone, so its
rows say nothing about hours and are left out, and a plan made from them alone
says so in words (:data:`NO_TIMES`).

A place's weight for hour ``h`` is ``24 (n_h + 1) / (N + 24)``: its ``N``
timed incidents, ``n_h`` of them in hour ``h``, with one more spread evenly
over the day. The weights average 1 over the day, so:

* a place with no timed incidents weighs every hour 1 (no lean), and is not listed;
* a few incidents lean the draw gently, many lean it hard (four incidents all at
  20:xx give 20:00 a weight of 24 x 5 / 28 = 4.3 and every other hour 0.86);
* no hour weighs nothing: visits stay random and intermittent (the Koper curve's
  point), and an hour without incidents so far may still get a visit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from geo.space.hexes import points_to_cells

#: What a plan says when none of its places' incidents has a time of day.
NO_TIMES = (
    "No hot hours: none of these places' incidents has a time of day (police.uk gives no time of day, only the "
    "month), so visit times are spread evenly over the shifts. Partner records with a time (HH:MM) would lean "
    "them towards the hours when incidents happen."
)
HOT_HOUR_COLUMNS = ["cell", "hour", "weight", "incidents"]


def incident_hours(times: pd.Series | pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """The hour 0-23 of each ``HH:MM`` / ``HH:MM:SS`` time (24-hour clock), -1 where there is none or it is not one."""
    if isinstance(times, pa.ChunkedArray | pa.Array):
        times = times.to_pandas()
    text = pd.Series(np.asarray(times, dtype=object), dtype=object).fillna("").astype(str).str.strip()
    parts = text.str.extract(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")
    hour = pd.to_numeric(parts[0], errors="coerce")
    ok = hour.notna() & (hour <= 23)
    return np.where(ok, hour.fillna(-1), -1).astype(np.int64)


def hot_hours(incidents: pd.DataFrame | pa.Table, *, cells: np.ndarray, res: int) -> pd.DataFrame:
    """Each of ``cells``' weight per hour from its timed incidents (the rule: module docstring).

    Parameters
    ----------
    incidents
        Rows with ``lat``, ``lng`` and ``time`` (others ignored); rows without a
        readable time (every police.uk row) do not count.
    cells, res
        The places (H3 cells, int) and their resolution.

    Returns
    -------
    pd.DataFrame
        :data:`HOT_HOUR_COLUMNS`: 24 rows (hours 0-23) for each cell with at least one
        timed incident, ``incidents`` its count in that hour; none for other cells.
    """
    cells = np.asarray(cells, dtype=np.int64)
    columns = incidents.column_names if isinstance(incidents, pa.Table) else list(incidents.columns)
    if not len(cells) or "time" not in columns or not len(incidents):
        return _empty()
    hour = incident_hours(incidents["time"])
    lat = np.asarray(incidents["lat"], dtype=float)
    lng = np.asarray(incidents["lng"], dtype=float)
    timed = hour >= 0
    if not timed.any():
        return _empty()
    where = points_to_cells(lat[timed], lng[timed], res=res).astype(np.int64)
    wanted = np.unique(cells)
    pos = np.searchsorted(wanted, where)
    pos = np.minimum(pos, len(wanted) - 1)
    inside = wanted[pos] == where
    if not inside.any():
        return _empty()
    counts = np.zeros((len(wanted), 24), dtype=np.int64)
    np.add.at(counts, (pos[inside], hour[timed][inside]), 1)
    keep = counts.sum(axis=1) > 0
    counts = counts[keep]
    total = counts.sum(axis=1, keepdims=True)
    weight = 24 * (counts + 1) / (total + 24)
    return pd.DataFrame(
        {
            "cell": np.repeat(wanted[keep], 24),
            "hour": np.tile(np.arange(24, dtype=np.int64), int(keep.sum())),
            "weight": weight.ravel(),
            "incidents": counts.ravel(),
        }
    )


def weight_matrix(hot: pd.DataFrame | None, cells: np.ndarray) -> np.ndarray:
    """``(len(cells), 24)`` weights from a hot-hours table (1 for a cell or hour it does not list).

    Raises
    ------
    geo.core.errors.OptionError
        For a table without ``cell, hour, weight``, an hour outside 0-23 or a weight that is
        negative or not a number.
    """
    from geo.core.errors import OptionError

    out = np.ones((len(cells), 24))
    if hot is None or not len(hot):
        return out
    missing = [c for c in ("cell", "hour", "weight") if c not in hot.columns]
    if missing:
        raise OptionError(f"hot_hours needs columns cell, hour, weight; it lacks {missing}", option="hot_hours")
    hour = hot["hour"].to_numpy(dtype=np.int64)
    weight = hot["weight"].to_numpy(dtype=float)
    if ((hour < 0) | (hour > 23)).any():
        raise OptionError("hot_hours: hours must be 0-23", option="hot_hours")
    if not (np.isfinite(weight) & (weight >= 0)).all():
        raise OptionError("hot_hours: weights must be numbers of 0 or more", option="hot_hours")
    index = pd.Index(np.asarray(cells, dtype=np.int64))
    pos = index.get_indexer(hot["cell"].to_numpy(dtype=np.int64))
    ok = pos >= 0
    out[pos[ok], hour[ok]] = weight[ok]
    return out


def hot_words(hot: pd.DataFrame, cell: int) -> str:
    """When a place's timed incidents happen, in words: the fewest hours holding half of them.

    e.g. "9 of its 12 timed incidents were between 20:00 and 22:00: more visits fall then".
    ``""`` for a cell with no timed incidents.
    """
    rows = hot[hot["cell"] == cell] if len(hot) else hot
    if not len(rows) or "incidents" not in rows:
        return ""
    counts = np.zeros(24, dtype=np.int64)
    counts[rows["hour"].to_numpy(dtype=np.int64)] = rows["incidents"].to_numpy(dtype=np.int64)
    total = int(counts.sum())
    if not total:
        return ""
    order = np.argsort(-counts, kind="stable")  # busiest first, ties to the earlier hour
    take = int(np.searchsorted(np.cumsum(counts[order]), total / 2)) + 1
    chosen = np.sort(order[:take])
    held = int(counts[chosen].sum())
    spans = _spans(chosen)
    noun = "incident" if total == 1 else "incidents"
    return f"{held} of its {total} timed {noun} were {spans}: more visits fall then"


def _spans(hours: np.ndarray) -> str:
    """Hours as runs in words: [20, 21, 3] -> "between 03:00 and 04:00 and between 20:00 and 22:00"."""
    runs: list[tuple[int, int]] = []
    for h in hours.tolist():
        if runs and h == runs[-1][1]:
            runs[-1] = (runs[-1][0], h + 1)
        else:
            runs.append((h, h + 1))
    return " and ".join(f"between {a:02d}:00 and {b % 24:02d}:00" for a, b in runs)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell": pd.Series(dtype=np.int64),
            "hour": pd.Series(dtype=np.int64),
            "weight": pd.Series(dtype=float),
            "incidents": pd.Series(dtype=np.int64),
        }
    )
