"""What the evaluation engine needs from the store: interventions, incidents, the study area and the data's span.

:func:`geo.stats.evaluate.evaluate` is pure; this module is where its inputs
come from, so that ``python -m geo evaluate`` and anything else evaluating
the store read them the same way:

* interventions: the stored closure orders (``ref``, ``granted`` as the date,
  the premises' point), or a CSV file ``ref,date,lat,lng`` (warrants, patrol
  areas, anything with a place and a date), checked row by row here;
* incidents: the categories asked for (ASB by default), every stored month;
* the study area: the union of the loaded wards and estates (None when none
  are loaded: the engine then notes that the control is every incident);
* the span: the first and last stored month (:meth:`geo.store.Store.months`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.core.errors import InputError, StoreError
from geo.core.schema import ASB, UK_BOUNDS
from geo.ingest import decode_bytes, read_csv_text
from geo.stats.evaluate import Evaluation, check_options, evaluate
from geo.store import Store

#: The columns an interventions file must have (any order; more are ignored).
INTERVENTION_COLUMNS = ("ref", "date", "lat", "lng")
#: The stored interventions ``--interventions`` can name instead of a file.
STORED = {"closures": "granted"}
#: An interventions file is a short list typed by an analyst; anything bigger is not one.
MAX_FILE_BYTES = 20 * 1024 * 1024
_DAY = r"^\d{4}-\d{2}-\d{2}$"


def read_interventions(path: str | Path) -> pd.DataFrame:
    """An interventions CSV (``ref,date,lat,lng``) as ``ref, date (YYYY-MM-DD), lat, lng``.

    Refuses the whole file at its first bad row: an evaluation that silently
    dropped a warrant would count its street as control.

    Raises
    ------
    InputError
        Naming the file, row (the header is row 1) and column: a missing
        column, a blank ref, a date that is not a real ``YYYY-MM-DD`` day, a
        coordinate that is not a number or lies outside Great Britain (or looks
        swapped), a row with the wrong number of fields, or no rows.
    """
    p = Path(path)
    name = p.name
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InputError(
            f"an interventions file is a short list; this one is over {MAX_FILE_BYTES >> 20} MB", file=name
        )
    text, _encoding = decode_bytes(p.read_bytes(), file=name)
    header, frame, rejects = read_csv_text(text, file=name)
    if len(rejects):
        bad = rejects.iloc[0]
        raise InputError(str(bad["reason"]), file=name, row=int(bad["row"]))
    names = {h.strip().lower(): h for h in header}
    for col in INTERVENTION_COLUMNS:
        if col not in names:
            raise InputError(
                f"no {col!r} column: an interventions file has the columns {','.join(INTERVENTION_COLUMNS)}",
                file=name,
                column=col,
            )
    cells = {c: frame[names[c]].fillna("").astype(str).str.strip() for c in INTERVENTION_COLUMNS}
    rows = frame["_row"].to_numpy()

    def refuse(mask: np.ndarray, column: str, why: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise InputError(f"{why}: {cells[column].iloc[i]!r}", file=name, row=int(rows[i]), column=column)

    refuse((cells["ref"] == "").to_numpy(), "ref", "the ref is blank")
    shaped = cells["date"].str.match(_DAY).to_numpy(bool)
    day = pd.to_datetime(cells["date"].where(shaped, ""), format="%Y-%m-%d", errors="coerce")
    refuse(~shaped | day.isna().to_numpy(), "date", "not a day YYYY-MM-DD")
    lat = pd.to_numeric(cells["lat"], errors="coerce").to_numpy(float)
    lng = pd.to_numeric(cells["lng"], errors="coerce").to_numpy(float)
    refuse(~np.isfinite(lat), "lat", "latitude is not a number")
    refuse(~np.isfinite(lng), "lng", "longitude is not a number")
    b = UK_BOUNDS
    lat_ok = (lat >= b["lat_min"]) & (lat <= b["lat_max"])
    lng_ok = (lng >= b["lng_min"]) & (lng <= b["lng_max"])
    swapped = (lng >= b["lat_min"]) & (lng <= b["lat_max"]) & (lat >= b["lng_min"]) & (lat <= b["lng_max"])
    refuse(swapped, "lat", "latitude and longitude appear swapped")
    refuse(~lat_ok, "lat", "latitude outside Great Britain (WGS84 degrees expected)")
    refuse(~lng_ok, "lng", "longitude outside Great Britain (WGS84 degrees expected)")
    return pd.DataFrame({"ref": cells["ref"].to_numpy(), "date": cells["date"].to_numpy(), "lat": lat, "lng": lng})


def load_interventions(store: Store, source: str) -> pd.DataFrame:
    """``ref, date, lat, lng`` from a stored kind (``closures``) or an interventions CSV file."""
    if source in STORED:
        stored = store.read(source)
        return pd.DataFrame(
            {
                "ref": stored["ref"].astype(str),
                "date": stored[STORED[source]].astype(str),
                "lat": pd.to_numeric(stored["lat"], errors="coerce"),
                "lng": pd.to_numeric(stored["lng"], errors="coerce"),
            }
        )
    return read_interventions(source)


def load_study_area(store: Store) -> shapely.Geometry | None:
    """The union of the loaded wards and estates (WGS84), or None when none are loaded."""
    shapes = [g for kind in ("wards", "estates") for g in store.read_boundaries(kind).geometry.to_numpy()]
    return shapely.union_all(shapes) if shapes else None


def load_incidents(store: Store, *, categories: Sequence[str] | None = (ASB,)) -> pd.DataFrame:
    """``lat, lng, month`` of the stored incidents in ``categories`` (None: every category)."""
    inc = store.read("incidents", columns=["lat", "lng", "month", "category"])
    if categories is not None:
        inc = inc[inc["category"].isin(list(categories))]
    return inc[["lat", "lng", "month"]].reset_index(drop=True)


def evaluate_store(
    store: Store,
    *,
    interventions: str | pd.DataFrame = "closures",
    categories: Sequence[str] | None = (ASB,),
    radius_m: float = 200.0,
    ring_m: float = 400.0,
    months: int = 6,
) -> Evaluation:
    """Evaluate interventions (``"closures"``, a CSV path, or a ``ref, date, lat, lng`` frame) over the store.

    Raises
    ------
    StoreError
        No incidents are stored: nothing can be compared.
    InputError
        From :func:`read_interventions`.
    OptionError
        From :func:`geo.stats.evaluate.check_options`.
    """
    check_options(radius_m=radius_m, ring_m=ring_m, months=months)  # before reading anything big
    span = store.months()
    if span is None:
        raise StoreError("no incidents are stored: import police.uk files first (python -m geo import incidents …)")
    frame = interventions if isinstance(interventions, pd.DataFrame) else load_interventions(store, interventions)
    return evaluate(
        load_incidents(store, categories=categories),
        frame,
        span=span,
        study_area=load_study_area(store),
        radius_m=radius_m,
        ring_m=ring_m,
        months=months,
    )
