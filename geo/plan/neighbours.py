"""The homes to write to and knock on after a warrant, a closure order or a newly flagged address.

After a warrant, a closure order or a new address of concern, the partnership
writes to the neighbours and knocks on their doors, to explain what happened
and to find hidden victims of cuckooing (GUIDE section 7). This module says
which homes those are, from the stored property list (kind ``properties``: a
housing provider's stock or an address gazetteer).

**Targets** (:func:`targets_from`, columns :data:`TARGET_COLUMNS`): open
flagged addresses (status not ``closed`` and no ``closed`` date: a resolved
concern has nobody left to reassure about it), closure orders, and the rows of
an interventions CSV (``ref,date,lat,lng``, read by
:func:`geo.plan.evaluation.read_interventions`: warrants and the like).

**Neighbours** of a target (:func:`neighbours_of`, columns :data:`NEIGHBOUR_COLUMNS`):

* every home whose distance to the target is at most ``radius_m`` (inclusive:
  a home exactly on the radius is in), in British National Grid metres
  (:func:`geo.stats.evaluate.to_metres`, the evaluation engine's own distances);
* and every home in the same block as the target, however far: when the target
  *is* a listed property (matched as below) that has a ``block``, the other
  homes with that block (compared ignoring case, spacing and punctuation);
* never the target itself, and when in doubt, leave a home out: a letter about
  a cuckooing sent to the address itself warns the people it is about. A
  property *matches* the target when it has the target's ``ref``; or the same
  UPRN (digits compared without their leading zeros, so ``000010000037`` and
  ``10000037`` are one UPRN: spreadsheets drop the zeros); or the same address
  once case, spacing and punctuation are ignored. A flagged address keyed by
  UPRN (the schema lets ``uprn`` be its ref) is compared by that UPRN. Every
  match is left out, wherever it is. A match within :data:`CONFIRM_M` of the
  target *identifies* it (and gives it its block); one further away may be a
  collision of two systems' refs and identifies nothing. When nothing
  identifies the target, the properties at its point (within
  :data:`SAME_POINT_M`) are taken to be it, or, when none is there, its
  nearest property within :data:`CONFIRM_M` is (an address spelt and placed a
  little differently in two systems). When the target *was* identified, other
  homes at the same point are kept: gazetteers often give every flat of a
  building the building's point, and those flats are the neighbours who most
  need the knock.

Each target's list runs nearest first (ties by address, then ref, so the same
data always gives the same list); a home near two targets is listed once under
each. ``order`` numbers the homes of one target from 1.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.core.errors import OptionError
from geo.plan._text import normal_text as _normal
from geo.plan._text import text_of as _text
from geo.plan._text import uprn_key as _uprn_key
from geo.stats.evaluate import to_metres

if TYPE_CHECKING:
    from geo.store import Store

#: One row per target: what happened, where and when (``date`` ``YYYY-MM-DD``; ``what`` in words).
TARGET_COLUMNS = ["kind", "ref", "address", "uprn", "block", "lat", "lng", "date", "what"]
#: One row per (target, neighbour), nearest first within each target.
NEIGHBOUR_COLUMNS = [
    *("target_kind", "target_ref", "target", "target_address", "target_date", "order"),
    *("ref", "address", "uprn", "landlord", "block", "lat", "lng", "distance_m", "within_radius", "same_block"),
]
#: The kinds of target :func:`targets_from` reads from the store, and the word each is shown with.
TARGET_KINDS = {"flagged": "flagged address", "closures": "closure order"}
#: An interventions file's rows (warrants and the like) are targets of this kind.
INTERVENTION_KIND = "warrant"
#: The default radius (the issue's 100 m) and the largest allowed: past it a list is a leaflet drop, not a door-knock.
DEFAULT_RADIUS_M = 100.0
MAX_RADIUS_M = 1000.0
#: Two points this close (metres) are one point: coordinates typed in two systems differ in the last decimal.
SAME_POINT_M = 1.0
#: A property matched by key is the target only this near it (metres); a target nothing identifies loses its nearest
#: home this near too (two systems can place one address a few metres apart).
CONFIRM_M = 25.0

_PROPERTY_TEXT = ("ref", "address", "uprn", "landlord", "block")


def day_words(day: str) -> str:
    """``2026-11-03`` as "3 Nov 2026" (the way a briefing says a date); anything else as it is."""
    try:
        d = dt.date.fromisoformat(str(day)[:10])
    except ValueError:
        return str(day)
    return f"{d.day} {d:%b %Y}"


def _what(kind: str, day: str) -> str:
    words = {
        "flagged": "address of concern flagged",
        "closures": "closure order granted",
        INTERVENTION_KIND: "warrant or other intervention on",
    }
    return f"{words.get(kind, kind)} {day_words(day)}".strip()


def check_radius(radius_m: float) -> float:
    """``radius_m`` as a float, or :class:`OptionError` when it is not a distance of 0 < r <= MAX_RADIUS_M."""
    try:
        r = float(radius_m)
    except (TypeError, ValueError):
        raise OptionError(f"the radius must be a number of metres, not {radius_m!r}", option="radius") from None
    if not math.isfinite(r) or r <= 0 or r > MAX_RADIUS_M:
        raise OptionError(
            f"the radius must be more than 0 and at most {MAX_RADIUS_M:.0f} m, not {radius_m!r}", option="radius"
        )
    return r


def _key_pairs(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j) with ``left[i] == right[j]``, blanks never matching."""
    a = pd.DataFrame({"k": left.to_numpy(), "i": np.arange(len(left))})
    b = pd.DataFrame({"k": right.to_numpy(), "j": np.arange(len(right))})
    a = a[a["k"] != ""]
    m = a.merge(b[b["k"].isin(a["k"]).to_numpy(bool)], on="k")  # the few targets' keys first: a small merge
    return m["i"].to_numpy(np.int64), m["j"].to_numpy(np.int64)


def _pairs_within(
    t_xy: np.ndarray, p_xy: np.ndarray, r: float, *, tree: cKDTree | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (target, property) at most ``r`` metres apart, by KD-tree and then exactly (``tree``: ``p_xy``'s)."""
    if not len(t_xy) or not len(p_xy):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # the trees find candidates a hair beyond r; the exact distance below decides, so 100.0 m is in, 100.01 out
    homes = tree if tree is not None else cKDTree(p_xy)
    found = cKDTree(t_xy).sparse_distance_matrix(homes, r + 1e-6, output_type="ndarray")
    i, j = found["i"].astype(np.int64), found["j"].astype(np.int64)
    keep = np.hypot(*(t_xy[i] - p_xy[j]).T) <= r
    return i[keep], j[keep]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float if c in ("lat", "lng", "distance_m") else object) for c in NEIGHBOUR_COLUMNS}
    )


def neighbours_of(
    properties: pd.DataFrame, targets: pd.DataFrame, *, radius_m: float = DEFAULT_RADIUS_M
) -> pd.DataFrame:
    """The homes around each target within ``radius_m`` or in its block, nearest first, never the target itself.

    Parameters
    ----------
    properties
        ``ref, address, uprn, lat, lng`` and optionally ``landlord, block``
        (:func:`geo.store.patrols.read_properties`); ``x, y`` (BNG metres)
        are used instead of ``lat, lng`` when present. Rows without a finite point are skipped.
    targets
        :data:`TARGET_COLUMNS` (:func:`targets_from`); only ``ref`` and a point are required.
    radius_m
        Metres, inclusive.

    Returns
    -------
    pandas.DataFrame
        :data:`NEIGHBOUR_COLUMNS`, targets in their given order, each one's homes nearest first.

    Raises
    ------
    OptionError
        A radius that is not more than 0 and at most :data:`MAX_RADIUS_M`.
    """
    r = check_radius(radius_m)
    props = properties.reset_index(drop=True)
    tg = targets.reset_index(drop=True)
    if not len(props) or not len(tg):
        return _empty()
    p_xy, t_xy = to_metres(props), to_metres(tg)
    p_ok, t_ok = np.isfinite(p_xy).all(axis=1), np.isfinite(t_xy).all(axis=1)
    p_xy[~p_ok], t_xy[~t_ok] = 1e12, -1e12  # far from everything and from each other: never within a radius
    ptext = {c: _text(props, c) for c in _PROPERTY_TEXT}
    t_ref, t_addr = _text(tg, "ref"), _text(tg, "address")
    t_uprn = _text(tg, "uprn")
    t_uprn = t_uprn.where(t_uprn != "", t_ref)  # a flagged address keyed by its UPRN

    # which property each target is: ref, UPRN, address; and, for a target none of those finds, its point
    found = [
        _key_pairs(t_ref, ptext["ref"]),
        _key_pairs(_uprn_key(t_uprn), _uprn_key(ptext["uprn"])),
        _key_pairs(_normal(t_addr), _normal(ptext["address"])),
    ]
    ki = np.concatenate([f[0] for f in found])
    kj = np.concatenate([f[1] for f in found])
    n_p = len(props)
    # a match by key is always left out (writing to a wrong home is the safe mistake); it identifies the
    # target, and so gives its block, only near the target's point: refs of two systems can collide
    confirmed = np.hypot(*(t_xy[ki] - p_xy[kj]).T) <= CONFIRM_M
    si, sj = ki[confirmed], kj[confirmed]
    identified = np.zeros(len(tg), bool)
    identified[si] = True
    tree = cKDTree(p_xy)  # built once: the same-point, the nearest-home and the radius searches share it
    ci, cj = _pairs_within(t_xy, p_xy, CONFIRM_M, tree=tree)
    cd = np.hypot(*(t_xy[ci] - p_xy[cj]).T)
    guess = ~identified[ci]
    ci, cj, cd = ci[guess], cj[guess], cd[guess]
    point = cd <= SAME_POINT_M
    si, sj = np.concatenate([si, ci[point]]), np.concatenate([sj, cj[point]])
    # a target not identified and with no home at its point: its nearest home within CONFIRM_M may be it, spelt
    # or placed differently, so it is left out too
    alone = np.setdiff1d(np.unique(ci), ci[point])
    by = np.lexsort((cd, ci))
    nearest = by[np.r_[True, ci[by][1:] != ci[by][:-1]]] if len(by) else by
    nearest = nearest[np.isin(ci[nearest], alone)]
    itself = np.unique(np.concatenate([ki * n_p + kj, si * n_p + sj, ci[nearest] * n_p + cj[nearest]]))

    # the target's block: that of the property it is (a target given with its own block keeps that too)
    pblock = _normal(ptext["block"])
    blocks = pd.DataFrame({"i": si, "block": pblock.to_numpy()[sj]})
    own = _normal(_text(tg, "block"))
    blocks = pd.concat([blocks, pd.DataFrame({"i": np.arange(len(tg)), "block": own.to_numpy()})])
    blocks = blocks[blocks["block"] != ""].drop_duplicates()
    in_block = blocks.merge(pd.DataFrame({"j": np.arange(n_p), "block": pblock.to_numpy()})[p_ok], on="block")
    bi, bj = in_block["i"].to_numpy(np.int64), in_block["j"].to_numpy(np.int64)

    ri, rj = _pairs_within(t_xy, p_xy, r, tree=tree)
    codes = np.concatenate([ri * n_p + rj, bi * n_p + bj])
    codes = np.setdiff1d(np.unique(codes), itself, assume_unique=True)
    ti, tj = codes // n_p, codes % n_p
    near = np.isin(codes, ri * n_p + rj)
    block = np.isin(codes, bi * n_p + bj)
    dist = np.hypot(*(t_xy[ti] - p_xy[tj]).T)
    what = _text(tg, "what")
    kind = _text(tg, "kind")
    out = pd.DataFrame(
        {
            "target_kind": kind.to_numpy()[ti],
            "target_ref": t_ref.to_numpy()[ti],
            "target": what.to_numpy()[ti],
            "target_address": t_addr.to_numpy()[ti],
            "target_date": _text(tg, "date").to_numpy()[ti],
            "order": 0,
            **{c: ptext[c].to_numpy()[tj] for c in ("ref", "address", "uprn", "landlord", "block")},
            "lat": pd.to_numeric(props["lat"], errors="coerce").to_numpy(float)[tj] if "lat" in props else np.nan,
            "lng": pd.to_numeric(props["lng"], errors="coerce").to_numpy(float)[tj] if "lng" in props else np.nan,
            "distance_m": dist,
            "within_radius": near,
            "same_block": block,
            "_t": ti,
        }
    )
    out = out.sort_values(["_t", "distance_m", "address", "ref"], kind="stable").reset_index(drop=True)
    out["order"] = out.groupby("_t").cumcount().to_numpy(np.int64) + 1
    return out[NEIGHBOUR_COLUMNS]


def why_words(frame: pd.DataFrame, *, radius_m: float) -> pd.Series:
    """Why each home is on the list: "within 100 m", "same block (Beacon Court)" or both."""
    near = np.where(frame["within_radius"].to_numpy(bool), f"within {radius_m:g} m", "")
    blk = np.where(frame["same_block"].to_numpy(bool), "same block (" + frame["block"].astype(str) + ")", "")
    both = frame["within_radius"].to_numpy(bool) & frame["same_block"].to_numpy(bool)
    return pd.Series(np.where(both, pd.Series(near) + ", " + blk, pd.Series(near) + blk), index=frame.index)


def _open_flagged(flagged: pd.DataFrame) -> pd.DataFrame:
    closed = (_text(flagged, "status").str.casefold() == "closed") | (_text(flagged, "closed") != "")
    return flagged[~closed.to_numpy(bool)]


def _target_rows(kind: str, rows: pd.DataFrame, *, date: str) -> pd.DataFrame:
    """One kind's targets as :data:`TARGET_COLUMNS` (before ``what``): case records and interventions alike."""
    return pd.DataFrame(
        {
            "kind": kind,
            "ref": _text(rows, "ref").to_numpy(),
            "address": _text(rows, "address").to_numpy(),
            "uprn": "",
            "block": "",
            "lat": pd.to_numeric(rows["lat"], errors="coerce").to_numpy(float),
            "lng": pd.to_numeric(rows["lng"], errors="coerce").to_numpy(float),
            "date": _text(rows, date).str[:10].to_numpy(),
        }
    )


def targets_from(
    store: Store,
    *,
    kinds: Sequence[str] = ("flagged", "closures"),
    interventions: str | Path | pd.DataFrame | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Open flagged addresses, closure orders and an interventions file's rows, as :data:`TARGET_COLUMNS`.

    ``since`` keeps the targets dated that day or later (flagged: first
    flagged; closures: granted; interventions: their date). Flagged first, then
    closures, then interventions, each newest first (the latest is the likeliest to be knocked for).

    Raises
    ------
    OptionError
        An unknown kind.
    InputError
        From :func:`geo.plan.evaluation.read_interventions`.
    """
    from geo.plan.evaluation import read_interventions

    bad = [k for k in kinds if k not in TARGET_KINDS]
    if bad:
        raise OptionError(f"unknown target kind {bad[0]!r}; expected {', '.join(TARGET_KINDS)}", option="kinds")
    parts = []
    for kind in dict.fromkeys(kinds):
        rows = store.read(kind)
        if kind == "flagged":
            rows = _open_flagged(rows)
        parts.append(_target_rows(kind, rows, date="first_flagged" if kind == "flagged" else "granted"))
    if interventions is not None:
        file = interventions if isinstance(interventions, pd.DataFrame) else read_interventions(interventions)
        parts.append(_target_rows(INTERVENTION_KIND, file, date="date"))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("lat", "lng") else object) for c in TARGET_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    if since is not None:
        out = out[out["date"] >= since.isoformat()]
    out = out.assign(_k=out["kind"].map({"flagged": 0, "closures": 1}).fillna(2))
    out = out.sort_values(["_k", "date", "ref"], ascending=[True, False, True], kind="stable")
    out["what"] = [_what(k, d) for k, d in zip(out["kind"], out["date"], strict=True)]
    return out[TARGET_COLUMNS].reset_index(drop=True)


def target_label(target: pd.Series) -> str:
    """How a target is offered in a list: "closure order granted 3 Nov 2026 · 4 Elm Road (C-0012)"."""
    where = str(target.get("address") or "").strip()
    return f"{target['what']} · {where + ' ' if where else ''}({target['ref']})"


def doorknock_for(
    store: Store,
    *,
    target: str | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    interventions: str | Path | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The targets (every one, or those whose ref is ``target``) and their neighbours from the stored properties.

    The one call ``python -m geo doorknock`` and the Door-knock page both make.

    Raises
    ------
    StoreError
        No properties are stored (nothing to list).
    OptionError
        No target has the ref ``target``; a bad radius.
    InputError
        From :func:`geo.plan.evaluation.read_interventions`.
    """
    from geo.core.errors import StoreError
    from geo.store.patrols import read_properties

    r = check_radius(radius_m)
    targets = targets_from(store, interventions=interventions)
    if target is not None:
        targets = targets[targets["ref"] == target.strip()].reset_index(drop=True)
        if targets.empty:
            raise OptionError(
                f"no open flagged address, closure order or warrant has the ref {target!r}", option="target"
            )
    properties = read_properties(store)
    if properties.empty:
        raise StoreError(
            "no properties are stored: import the housing stock or an address gazetteer first "
            "(python -m geo import properties FILE.csv)"
        )
    return targets, neighbours_of(properties, targets, radius_m=r)
