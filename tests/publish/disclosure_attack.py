"""A determined cabinet user against the published figures (issue #19): an integer-programming attack harness.

A cabinet or presentation user sees labels, never counts: "0", "fewer than 5", or
a multiple of 5. Each label bounds the count behind it to an interval
(:func:`label_to_interval`), and the Trends and Outcomes sliders, the area box
and the category filter give thousands of views of overlapping sums. The
harness enumerates those views (:func:`month_runs`, :func:`category_sets`) and
solves for what is behind them with integer programs
(:mod:`tests.publish.attack_solver`, ``scipy.optimize.milp``).

The release (:mod:`geo.publish.release`) perturbs non-overlapping *pieces* (a
ward or none, an estate or none, inside the town or not; per month and
category) and publishes every area as the sum of its released pieces: a ward
is the pieces with its code, an estate likewise, the town the pieces inside it.
The boundaries are public, so which pieces make up which area is too
(:func:`structure`). The attackers:

* **A, the old method** (before the release): every view labelled from the
  *exact* area sum. The unknowns are the true area cells, one series at a time.
* **B, views of the release**: the attacker knows the public table, the pieces
  and every view (the label of a sum of released area values). Unknowns per
  measure, month and category: each piece's released value ``r`` (a whole
  number the table can publish: 0, or 3 and up) and its true value ``t``, as a
  pair the table allows; a released area value is the sum of its pieces' ``r``,
  a true area count the sum of their ``t``. The links between layers (the
  wards and estates add up to the town) are part of the model: published and
  true areas are sums of the same pieces.
* **B2, the whole release**: every released area value exactly (a release may
  be cached, logged or handed to any role), so released pieces follow by
  differences where the boundaries allow (an estate inside one ward is a piece
  of its own; the rest of the ward is the ward minus it). ``time_links`` adds
  what anyone who knows the measures can assume about true counts (an order
  active at a month's end was active the month before or granted in it, was
  granted at most 7 months back; an address is resolved only after it was
  flagged), piece by piece. B2 holds everything B's views tell, so "B2 pins
  nothing" covers B too.

A true count (of an area, or of a piece) is *pinned* when the attacker's
feasible set for it is one value. Feasible sets are exact: the solver starts
from the truth and asks for any solution reaching values not yet reached until
it proves none is left (a total over pieces nothing else ties is added up,
and a small component enumerated, instead).

Why B and B2 should pin nothing, and what the harness checks: every value the
table publishes has two true sources or more, and given the released pieces
their true values are independent, so each true piece keeps two values or
more and so does every sum of them. That argument holds only for the model; the
harness computes the feasible sets on the real release instead of trusting it
(and checks that the model's sums are the release's figures). Links on true
counts between months (``time_links``) are what could break it: an address
flagged in a month released as 0 (0..3) and resolved in the same month
released as 5 (3..7) is exactly 3.

Run ``scripts/disclosure_attack.py`` for the figures on the demo town (``--secrets N``:
over N more releases).
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from scipy import sparse

from geo.publish._ptable import LARGE_FROM, LARGE_ROW, SMALL_ROWS, perturb
from geo.publish.privacy import suppress, suppress_labels
from tests.publish.attack_solver import Problem, RowSet, Solved, feasible_values

#: Counts from 1 to SMALL_MAX are the ones a label "fewer than 5" hides.
SMALL_MAX = 4
#: Measures read at one month (a period's end): their views are single months.
STOCKS = frozenset({"orders_active", "quiet_addresses"})
#: Layers a cabinet user can pick (``all`` holds the same records as the town here; it is no view of its own).
VIEW_LAYERS = ("ward", "estate", "town")
#: The presentation threshold the harness attacks (privacy's default).
BELOW = 5


def label_to_interval(text: str, *, below: int = BELOW) -> tuple[int, int]:
    """The whole counts a published label can stand for, as ``(low, high)``.

    ``"fewer than 5"`` is 1..4; ``"0"`` is exactly 0; any other label ``v`` is
    a count ``x`` that :func:`geo.publish.privacy.suppress` rounds half up to
    ``v``: ``v - below/2 <= x < v + below/2`` ("10" is 8..12), and never below
    ``below`` ("5" is 5..7, since 3 and 4 read "fewer than 5").
    """
    t = text.strip()
    if t == f"fewer than {below}":
        return 1, below - 1
    v = int(t.removeprefix("≈").strip().replace(",", ""))  # a rounded label is marked "≈ 10"
    if v == 0:
        return 0, 0
    # 2x >= 2v - below and 2x < 2v + below, in whole numbers
    return max((2 * v - below + 1) // 2, below), (2 * v + below - 1) // 2


def intervals(sums: np.ndarray, *, below: int = BELOW) -> tuple[np.ndarray, np.ndarray]:
    """Label every sum as the dashboard does (suppress_labels) and read each label back as an interval."""
    labels = suppress_labels(np.asarray(sums, dtype=float), below=below)
    lo_hi = np.array([_interval(t, below) for t in labels], dtype=np.int64).reshape(-1, 2)
    return lo_hi[:, 0], lo_hi[:, 1]


@cache
def _interval(text: str, below: int) -> tuple[int, int]:
    return label_to_interval(text, below=below)


# ---------------------------------------------------------------- views


@cache
def month_runs(n: int) -> sparse.csr_matrix:
    """Every contiguous run of ``n`` months (a slider's start and end), as rows of a 0/1 matrix over months."""
    rows = [(a, b) for a in range(n) for b in range(a, n)]
    data = [(r, m) for r, (a, b) in enumerate(rows) for m in range(a, b + 1)]
    r, c = np.array(data, dtype=np.int64).T
    return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), n))


@cache
def category_sets(k: int) -> sparse.csr_matrix:
    """The category filter's views of ``k`` categories: each one, every pair, all but one, and all (no repeats)."""
    sets = {frozenset([i]) for i in range(k)}
    sets |= {frozenset(p) for p in itertools.combinations(range(k), 2)}
    sets |= {frozenset(range(k)) - {i} for i in range(k)} | {frozenset(range(k))}
    ordered = sorted((s for s in sets if s), key=lambda s: (len(s), sorted(s)))
    data = [(r, i) for r, s in enumerate(ordered) for i in s]
    r, c = np.array(data, dtype=np.int64).T
    return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(ordered), k))


def singles(n: int) -> sparse.csr_matrix:
    """One view per cell (a stock read at one month's end)."""
    return sparse.identity(n, format="csr")


# ---------------------------------------------------------------- the demo's cells


def grid(
    base_cells: pd.DataFrame,
    released_cells: pd.DataFrame,
    measure: str,
    *,
    months: Sequence[str],
    areas: pd.DataFrame,
    categories: Sequence[str] = ("",),
) -> pd.DataFrame:
    """Exact and released values of one measure on the full grid (layer, area, month, category); absent is 0.

    The grid is every area of every layer (``all`` too) by ``months`` by ``categories``:
    a cell missing from the release is one published as zero, and the attacker knows it.
    """
    keys = ["layer", "area", "month", "category"]
    places = [("ward", c) for c in areas.loc[areas["layer"] == "ward", "code"]]
    places += [("estate", c) for c in areas.loc[areas["layer"] == "estate", "code"]]
    places += [("town", ""), ("all", "")]
    full = pd.DataFrame(
        [(lay, code, m, cat) for lay, code in places for m in months for cat in categories], columns=keys
    )
    exact = base_cells.loc[base_cells["measure"] == measure, [*keys, "value"]].rename(columns={"value": "exact"})
    rel = released_cells.loc[released_cells["measure"] == measure, [*keys, "value"]].rename(
        columns={"value": "released"}
    )
    out = full.merge(exact, on=keys, how="left").merge(rel, on=keys, how="left")
    out[["exact", "released"]] = out[["exact", "released"]].fillna(0).astype(np.int64)
    return out


def share(count: int, published: int) -> int:
    """How many of the 256 cell keys publish ``count`` as ``published`` (the public table)."""
    if count < LARGE_FROM:
        return SMALL_ROWS[count].get(published, 0)
    return LARGE_ROW.get(published - count, 0)


@cache
def table_sources(published: int) -> tuple[int, ...]:
    """The true counts the public table can publish as ``published``, read from its rows.

    Worked from :data:`SMALL_ROWS` and :data:`LARGE_ROW` themselves: a count from
    5 up moves by -2..+2, a small one goes where its row sends it (3 can be
    published as 0, a move of -3).
    """
    small = [c for c in range(LARGE_FROM) if SMALL_ROWS[c].get(published, 0) > 0]
    large = [c for c in range(LARGE_FROM, published + 3) if LARGE_ROW.get(published - c, 0) > 0]
    return tuple(small + large)


def true_from_released(released: Iterable[int]) -> frozenset[int]:
    """Every true count the public table can publish as any of ``released``."""
    return frozenset(c for r in released for c in table_sources(int(r)))


def guess_midpoint(values: Iterable[int]) -> int:
    """The attacker's single guess: the middle of the feasible true values, rounded half up."""
    v = sorted(values)
    return int(np.floor((v[0] + v[-1]) / 2 + 0.5))


def guess_likely(true_values: Iterable[int], released: Iterable[int]) -> int:
    """The most likely true count under the table, with every feasible count equally likely beforehand."""
    rel = list(released)
    weight = {c: sum(share(c, r) for r in rel) for c in sorted(true_values)}
    return max(weight, key=lambda c: (weight[c], -c))


# ---------------------------------------------------------------- attacker A: the old method, one series at a time


_SERIES_CACHE: dict[tuple, Solved] = {}


def attack_exact(exact: np.ndarray, views: sparse.csr_matrix, *, below: int = BELOW) -> Solved:
    """Attacker A on one series: every view labelled from the exact sum; feasible true values of its small cells.

    ``views`` must hold a single-cell view of every cell: its interval gives the cell's candidates.
    Cached per (views, exact): the same series seen twice (an estate equal to its ward) is solved once.
    """
    exact = np.asarray(exact, dtype=np.int64)
    key = (views.shape, views.nnz, hash(views.indices.tobytes()), exact.tobytes(), below)
    if key in _SERIES_CACHE:
        return _SERIES_CACHE[key]
    targets = np.flatnonzero((exact >= 1) & (exact <= below - 1)).tolist()
    lo, hi = intervals(views @ exact, below=below)
    c_lo, c_hi = intervals(exact, below=below)
    cands = [range(a, b + 1) for a, b in zip(c_lo, c_hi, strict=True)]
    out = feasible_values(Problem(cands, views, lo, hi, exact), targets) if targets else Solved({})
    _SERIES_CACHE[key] = out
    return out


# ---------------------------------------------------------------- the release's structure: pieces and areas

#: A piece: (ward code or "", estate code or "", inside the town).
Piece = tuple[str, str, bool]


@dataclass(frozen=True)
class Structure:
    """What the map tells anyone: the pieces the release perturbs and the pieces each area is the sum of.

    ``areas`` maps ``(layer, code)`` to positions in ``pieces``, by the release's rule: a
    ward is the pieces with its code (inside an estate or not), an estate likewise (in
    whichever wards), the town the pieces inside it, *all* every piece.
    """

    pieces: tuple[Piece, ...]
    areas: dict[tuple[str, str], tuple[int, ...]]

    def members(self, layer: str, code: str) -> tuple[int, ...]:
        return self.areas[(layer, code)]


def structure(boundaries, *, seen: Iterable[Piece] = (), tolerance: float = 1e-9) -> Structure:
    """The pieces the boundaries allow (areas of overlap, not record counts) and each area as a sum of them.

    A ward-and-estate piece exists where the two overlap; a ward's own piece where the
    ward is not all estates; an estate's own where it leaves every ward; and one piece
    outside the town (records off the map count in *all*). ``seen``: pieces the data
    holds; one the geometry does not allow (a point on an edge) is added, so the truth
    is always a solution.
    """
    import shapely

    w = boundaries[boundaries["layer"] == "ward"]
    e = boundaries[boundaries["layer"] == "estate"]
    pieces: list[Piece] = []
    if len(boundaries):
        w_union = shapely.union_all(list(w.geometry)) if len(w) else None
        e_union = shapely.union_all(list(e.geometry)) if len(e) else None
        for wc, wg in zip(w["code"], w.geometry, strict=True):
            for ec, eg in zip(e["code"], e.geometry, strict=True):
                if wg.intersection(eg).area > tolerance * min(wg.area, eg.area):
                    pieces.append((str(wc), str(ec), True))
            rest = wg.difference(e_union).area if e_union is not None else wg.area
            if rest > tolerance * wg.area:
                pieces.append((str(wc), "", True))
        for ec, eg in zip(e["code"], e.geometry, strict=True):
            out = eg.difference(w_union).area if w_union is not None else eg.area
            if out > tolerance * eg.area:
                pieces.append(("", str(ec), True))
        pieces.append(("", "", False))
    else:
        pieces.append(("", "", True))
    for p in seen:
        q = (str(p[0]), str(p[1]), bool(p[2]))
        if q not in pieces:
            pieces.append(q)
    areas: dict[tuple[str, str], tuple[int, ...]] = {}
    for code in map(str, w["code"]):
        areas[("ward", code)] = tuple(i for i, p in enumerate(pieces) if p[0] == code)
    for code in map(str, e["code"]):
        areas[("estate", code)] = tuple(i for i, p in enumerate(pieces) if p[1] == code)
    areas[("town", "")] = tuple(i for i, p in enumerate(pieces) if p[2])
    areas[("all", "")] = tuple(range(len(pieces)))
    return Structure(tuple(pieces), areas)


def released_pieces(base) -> pd.DataFrame:
    """The base pieces with their released values: each perturbed once by the public table with its cell key.

    Columns ``measure, ward, estate, town, month, category, exact, released``. This is
    what :func:`geo.publish.release.protect` does; the harness needs the released pieces
    as the known solution of the attack (a test checks that their sums are the release).
    """
    p = base.pieces.rename(columns={"value": "exact"}).copy()
    p["released"] = perturb(p["exact"].to_numpy(), p["key"].to_numpy())
    p["town"] = p["town"].astype(bool)
    return p.drop(columns="key")


@dataclass(frozen=True)
class Cube:
    """One measure's pieces as arrays (piece × category × month): exact and released values, 0 where none."""

    measure: str
    categories: tuple[str, ...]
    months: tuple[str, ...]
    exact: np.ndarray
    released: np.ndarray

    def area(self, st: Structure, layer: str, code: str, *, released: bool) -> np.ndarray:
        """An area's values (category × month): the sum of its pieces'."""
        values = self.released if released else self.exact
        return values[list(st.members(layer, code))].sum(axis=0)


def cube(pieces: pd.DataFrame, st: Structure, measure: str, *, months: Sequence[str], categories: Sequence[str]):
    """The :class:`Cube` of one measure from :func:`released_pieces`."""
    at = {p: i for i, p in enumerate(st.pieces)}
    cat = {c: i for i, c in enumerate(categories)}
    mon = {m: i for i, m in enumerate(months)}
    shape = (len(st.pieces), len(categories), len(months))
    exact, released = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    part = pieces[(pieces["measure"] == measure) & pieces["month"].isin(list(months))]
    for r in part.itertuples(index=False):
        ix = (at[(r.ward, r.estate, bool(r.town))], cat[r.category], mon[r.month])
        exact[ix] += r.exact
        released[ix] += r.released
    return Cube(measure, tuple(categories), tuple(months), exact, released)


# ---------------------------------------------------------------- attackers B and B2 on the pieces


#: The values the table can publish, up to a bound (1 and 2 never are).
def _outputs(high: int) -> list[int]:
    return [v for v in range(0, int(high) + 1) if table_sources(v)]


@dataclass
class PieceAttack:
    """What attacker B or B2 leaves of each small count: true areas, true pieces, released pieces.

    ``areas``: (measure, layer, code, category, month) -> feasible true totals.
    ``pieces``: (measure, piece, category, month) -> feasible true values (small pieces);
    ``released``: the same key -> feasible released values (every piece of a small area or small piece).
    """

    areas: dict[tuple, frozenset[int]] = field(default_factory=dict)
    pieces: dict[tuple, frozenset[int]] = field(default_factory=dict)
    released: dict[tuple, frozenset[int]] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    programs: int = 0
    undecided: int = 0


def attack_pieces(
    cubes: Sequence[Cube],
    st: Structure,
    *,
    model: str,
    unknown: Sequence[np.ndarray] | None = None,
    time_links: bool = False,
    area_totals: bool = True,
) -> PieceAttack:
    """Attacker ``"B"`` (views of the release) or ``"B2"`` (every released area value) on the pieces of ``cubes``.

    ``unknown[i]``: a category × month mask of what is attacked in ``cubes[i]`` (None:
    everything). The pieces outside it are *given* to the attacker at their released
    values, so an attack on a sample is at least as strong as on everything (it may pin
    more, never less). Unknowns: one unit per piece, category and month, whose options
    are the (released, true) pairs the table allows; one unit per small true area total,
    tied to its pieces' true values. Views bound sums of released values (B); B2 fixes
    every area's released value. ``time_links`` (B2, the case measures): the links
    between months and measures on each piece's true values (:func:`_time_links`);
    a family the truth breaks is dropped (and named), so the truth is never ruled out.
    ``area_totals``: False attacks the pieces only (no unit per area total).
    """
    if model not in ("B", "B2"):
        raise ValueError(f"model must be B or B2, not {model!r}")
    options: list[list[tuple[int, int]]] = []
    truth: list[tuple[int, int]] = []
    rows = RowSet()
    uid: list[np.ndarray] = []
    areas = list(st.areas) if model == "B2" else [a for a in st.areas if a[0] in VIEW_LAYERS]
    in_area = np.zeros(len(st.pieces), dtype=bool)
    for a in areas:
        in_area[list(st.areas[a])] = True
    for i, cb in enumerate(cubes):
        given = None if unknown is None else unknown[i]
        mask = np.ones(cb.exact.shape[1:], dtype=bool) if given is None else np.asarray(given, dtype=bool)
        cap = np.full(cb.exact.shape, np.iinfo(np.int64).max)
        for a in areas:
            total = cb.area(st, *a, released=True)
            high = total if model == "B2" else intervals(total.ravel())[1].reshape(total.shape)
            ix = list(st.areas[a])
            cap[ix] = np.minimum(cap[ix], high[None])
        ids = np.full(cb.exact.shape, -1, dtype=np.int64)
        for p, c, m in zip(*np.nonzero(mask[None] & in_area[:, None, None]), strict=True):
            r_true, t_true = int(cb.released[p, c, m]), int(cb.exact[p, c, m])
            ids[p, c, m] = len(options)
            options.append([(r, t) for r in _outputs(cap[p, c, m]) for t in table_sources(r)])
            truth.append((r_true, t_true))
        uid.append(ids)
    totals: list[tuple[tuple, int]] = []  # (area key, unit)
    t_rows: list[tuple[int, np.ndarray]] = []
    for i, cb in enumerate(cubes):
        ids = uid[i]
        for layer, code in areas if area_totals else []:
            if layer not in VIEW_LAYERS:
                continue
            ix = list(st.members(layer, code))
            exact = cb.area(st, layer, code, released=False)
            for c, m in zip(*np.nonzero((exact >= 1) & (exact <= SMALL_MAX)), strict=True):
                units = ids[ix, c, m]
                if (units < 0).any():
                    continue
                lo_t = sum(min(t for _, t in options[u]) for u in units)
                hi_t = sum(max(t for _, t in options[u]) for u in units)
                totals.append(((cb.measure, layer, code, cb.categories[c], cb.months[m]), len(options)))
                t_rows.append((len(options), units))
                options.append([(v, 0) for v in range(lo_t, hi_t + 1)])
                truth.append((int(exact[c, m]), 0))
    ncols = 2 * len(options)
    for unit, units in t_rows:  # a true area total is the sum of its pieces' true values
        block = sparse.csr_matrix(
            ([1.0, *[-1.0] * len(units)], ([0] * (len(units) + 1), [2 * unit, *(2 * units + 1)])), shape=(1, ncols)
        )
        rows.add(block, 0, 0, "true total")
    for i, cb in enumerate(cubes):
        if model == "B":
            _view_rows(rows, cb, st, uid[i], ncols)
        else:
            _release_rows(rows, cb, st, uid[i], ncols)
    if time_links:
        _time_links(rows, cubes, uid, ncols)
    mat, lo, hi, fam = rows.stack(ncols)
    got = mat @ np.array([v for t in truth for v in t], dtype=float)
    broken = sorted(set(fam[(got < lo - 1e-9) | (got > hi + 1e-9)]))
    keep = ~np.isin(fam, broken)
    targets: list[tuple[int, int]] = [(u, 0) for _, u in totals]
    small_pieces, wanted_r = [], set()
    for i, cb in enumerate(cubes):
        ids = uid[i]
        small = (cb.exact >= 1) & (cb.exact <= SMALL_MAX) & (ids >= 0)
        for p, c, m in zip(*np.nonzero(small), strict=True):
            small_pieces.append((i, p, c, m))
            targets.append((int(ids[p, c, m]), 1))
            wanted_r.add((i, p, c, m))
    for (measure, layer, code, c_name, m_name), _ in totals:
        i = next(k for k, cb in enumerate(cubes) if cb.measure == measure)
        cb = cubes[i]
        c, m = cb.categories.index(c_name), cb.months.index(m_name)
        wanted_r |= {(i, p, c, m) for p in st.members(layer, code)}
    targets += [(int(uid[i][p, c, m]), 0) for i, p, c, m in sorted(wanted_r)]
    problem = Problem(options, mat[keep], lo[keep], hi[keep], truth, channels=2)
    solved = feasible_values(problem, targets)
    out = PieceAttack(broken=broken, programs=solved.programs, undecided=solved.undecided)
    for key, u in totals:
        out.areas[key] = solved.values[(u, 0)]
    for i, p, c, m in small_pieces:
        cb = cubes[i]
        out.pieces[(cb.measure, st.pieces[p], cb.categories[c], cb.months[m])] = solved.values[
            (int(uid[i][p, c, m]), 1)
        ]
    for i, p, c, m in wanted_r:
        cb = cubes[i]
        out.released[(cb.measure, st.pieces[p], cb.categories[c], cb.months[m])] = solved.values[
            (int(uid[i][p, c, m]), 0)
        ]
    return out


def _incidence(ids: np.ndarray, released: np.ndarray, ncols: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Per slice (a month, or a category) of an area: the released channels of its unknown pieces, and the rest's sum.

    ``ids`` and ``released`` are (pieces of the area × slices).
    """
    p, s = np.nonzero(ids >= 0)
    x = sparse.csr_matrix((np.ones(len(p)), (s, 2 * ids[p, s])), shape=(ids.shape[1], ncols))
    known = np.where(ids >= 0, 0, released).sum(axis=0)
    return x, known


def _view_rows(rows: RowSet, cb: Cube, st: Structure, ids: np.ndarray, ncols: int) -> None:
    """B's views: every month run (single months for a stock) per area and category, and the category
    filter (single categories, pairs, all but one, all) per area and month; each bounds a released sum."""
    n_m, n_c = len(cb.months), len(cb.categories)
    views = singles(n_m) if cb.measure in STOCKS else month_runs(n_m)
    for layer, code in st.areas:
        if layer not in VIEW_LAYERS:
            continue
        ix = list(st.members(layer, code))
        total = cb.area(st, layer, code, released=True)
        for c in range(n_c):
            if (ids[ix, c, :] < 0).all():
                continue
            x, known = _incidence(ids[ix, c, :], cb.released[ix, c, :], ncols)
            lo, hi = intervals(views @ total[c])
            const = views @ known
            rows.add(views @ x, lo - const, hi - const, "views")
        if n_c > 1:
            sets = category_sets(n_c)
            for m in range(n_m):
                if (ids[ix, :, m] < 0).all():
                    continue
                x, known = _incidence(ids[ix, :, m], cb.released[ix, :, m], ncols)
                lo, hi = intervals(sets @ total[:, m])
                const = sets @ known
                rows.add(sets @ x, lo - const, hi - const, "views")


def _release_rows(rows: RowSet, cb: Cube, st: Structure, ids: np.ndarray, ncols: int) -> None:
    """B2: every area's released value per category and month, exactly (a sum of its pieces' released values)."""
    for a, ix in st.areas.items():
        total = cb.area(st, *a, released=True)
        sub = ids[list(ix)].reshape(len(ix), -1)
        x, known = _incidence(sub, cb.released[list(ix)].reshape(len(ix), -1), ncols)
        rhs = total.ravel() - known
        rows.add(x, rhs, rhs, "released areas")


def _time_links(rows: RowSet, cubes: Sequence[Cube], uid: Sequence[np.ndarray], ncols: int, order_months: int = 7):
    """Links on true values between months and measures, piece by piece (a piece is a fixed place).

    ``orders stock-flow``: active at a month's end <= active the month before + granted in it;
    ``orders window``: active <= granted in the last ``order_months`` months; ``orders outlive their
    month``: granted in a month <= active at its end; ``resolved after flagged``: resolved so far <=
    flagged so far. A link needs both measures and every month unknown.
    """
    by = {cb.measure: (cb, uid[i]) for i, cb in enumerate(cubes)}

    def add(terms: dict[tuple[str, int, int], float], family: str) -> None:
        cols, vals = [], []
        for (measure, p, m), coef in terms.items():
            u = by[measure][1][p, 0, m]
            if u < 0:
                return
            cols.append(2 * int(u) + 1)
            vals.append(coef)
        rows.add(sparse.csr_matrix((vals, ([0] * len(cols), cols)), shape=(1, ncols)), -np.inf, 0, family)

    for flow, stock in (("orders_secured", "orders_active"),):
        if flow in by and stock in by:
            cb = by[stock][0]
            for p in range(cb.exact.shape[0]):
                for t in range(len(cb.months)):
                    if t:
                        add({(stock, p, t): 1.0, (stock, p, t - 1): -1.0, (flow, p, t): -1.0}, "orders stock-flow")
                    window = {(flow, p, s): -1.0 for s in range(max(0, t - order_months + 1), t + 1)}
                    add({(stock, p, t): 1.0, **window}, "orders window")
                    add({(flow, p, t): 1.0, (stock, p, t): -1.0}, "orders outlive their month")
    if "flagged_opened" in by and "flagged_resolved" in by:
        cb = by["flagged_opened"][0]
        for p in range(cb.exact.shape[0]):
            for t in range(len(cb.months)):
                cum = {("flagged_resolved", p, s): 1.0 for s in range(t + 1)}
                cum |= {("flagged_opened", p, s): -1.0 for s in range(t + 1)}
                add(cum, "resolved after flagged")


def likely_total(feasible: Iterable[int], released_sets: Iterable[Iterable[int]]) -> int:
    """The most likely true total under the table: each piece's true value weighted by the keys that publish it
    as any of its feasible released values (every count equally likely beforehand), the pieces added up."""
    dist = {0: 1.0}
    for given in released_sets:
        rel = list(given)
        w = {c: float(sum(share(c, r) for r in rel)) for c in true_from_released(rel)}
        out: dict[int, float] = {}
        for a, pa in dist.items():
            for b, pb in w.items():
                out[a + b] = out.get(a + b, 0.0) + pa * pb
        dist = out
    return max(sorted(feasible), key=lambda v: (dist.get(v, 0.0), -v))


# ---------------------------------------------------------------- the whole attack


@dataclass
class Report:
    """The attack's findings per small true count, the error of published figures, and what the run did."""

    cells: pd.DataFrame  # one row per true count 1..4 (an area's or a piece's): where, exact, released, each set
    errors: pd.DataFrame
    seconds: float
    notes: list[str] = field(default_factory=list)
    undecided: int = 0  # (target, value) pairs the solver could not settle in time (counted as reachable)
    programs: int = 0  # integer programs solved

    def summary(self) -> pd.DataFrame:
        """Per measure and kind (area, piece): small counts attacked and pinned by A, B, B2; the ±1 guess rates.

        ``*_within1``: the share of the small counts an attacker attacked whose guess
        (the middle of its feasible values; ``*_likely``: the most likely under the
        table) is within 1 of the truth. ``baseline_within1``: the same for the
        know-nothing guess 2 (the middle of "fewer than 5"). ``b2_released_pinned``:
        small pieces whose *released* value B2 recovers exactly (by differences).
        """
        out = []
        for (measure, kind), g in self.cells.groupby(["measure", "kind"], sort=False):
            row: dict[str, object] = {"measure": measure, "kind": kind, "small": len(g)}
            for who in ("a", "b", "b2"):
                hit = g[g[who].notna()]
                row[f"{who}_attacked"] = len(hit)
                row[f"{who}_pinned"] = int(sum(len(v) == 1 for v in hit[who]))
                for guess in (f"{who}_guess", f"{who}_likely"):
                    if guess in g:
                        row[f"{guess.replace('_guess', '')}_within1"] = (
                            float((abs(hit[guess].astype(float) - hit["exact"]) <= 1).mean()) if len(hit) else np.nan
                        )
            hit = g[g["b2t"].notna()]
            row["b2t_attacked"], row["b2t_pinned"] = len(hit), int(sum(len(v) == 1 for v in hit["b2t"]))
            hit = g[g["b2_r"].notna()]
            row["b2_released_pinned"] = int(sum(len(v) == 1 for v in hit["b2_r"]))
            row["baseline_within1"] = float((abs(g["exact"] - 2) <= 1).mean())
            out.append(row)
        return pd.DataFrame(out)


def _span(months: tuple[str, str] | None) -> list[str]:
    if not months:
        return []
    return [str(p) for p in pd.period_range(months[0], months[1], freq="M")]


def _label(piece: Piece) -> str:
    ward, estate, town = piece
    return f"{ward or '-'}/{estate or '-'}/{'in' if town else 'out'}"


#: Measures B2 attacks together when it uses the time links.
PAIRS = (("orders_secured", "orders_active"), ("flagged_opened", "flagged_resolved"))


def _attack_a(g: pd.DataFrame, measure: str, *, sample: int | None, rng) -> dict[int, frozenset[int]]:
    """Attacker A on one measure's grid: each series of area cells (months; categories per month) on its own."""
    viewable = g[g["layer"].isin(VIEW_LAYERS)]
    groups = [ix.to_numpy() for _, ix in viewable.groupby(["layer", "area", "category"], sort=True).groups.items()]
    plans = []
    if measure == "incidents":
        by_month = [ix.to_numpy() for _, ix in viewable.groupby(["layer", "area", "month"], sort=True).groups.items()]
        if sample is not None:
            groups = [groups[i] for i in sorted(rng.choice(len(groups), min(sample, len(groups)), replace=False))]
            by_month = [
                by_month[i] for i in sorted(rng.choice(len(by_month), min(sample, len(by_month)), replace=False))
            ]
        plans = [(ix, month_runs(len(ix))) for ix in groups] + [(ix, category_sets(len(ix))) for ix in by_month]
    else:
        plans = [(ix, singles(len(ix)) if measure in STOCKS else month_runs(len(ix))) for ix in groups]
    sets: dict[int, frozenset[int]] = {}
    for ix, views in plans:
        for pos, vals in attack_exact(g.loc[ix, "exact"].to_numpy(), views).values.items():
            cell = int(ix[pos])
            sets[cell] = sets.get(cell, vals) & vals
    return sets


def _sample_mask(cb: Cube, st: Structure, size: int, rng) -> np.ndarray:
    """A seeded sample of ``size`` category-months among those holding a small count (an area's or a piece's)."""
    small = ((cb.exact >= 1) & (cb.exact <= SMALL_MAX)).any(axis=0)
    for layer, code in st.areas:
        if layer in VIEW_LAYERS:
            e = cb.area(st, layer, code, released=False)
            small |= (e >= 1) & (e <= SMALL_MAX)
    where = np.argwhere(small)
    mask = np.zeros_like(small)
    pick = rng.choice(len(where), min(size, len(where)), replace=False) if len(where) else []
    for c, m in where[np.sort(pick)]:
        mask[c, m] = True
    return mask


def run_attack(base, release, *, incident_sample: int | None = 40, seed: int = 19, time_links: bool = False) -> Report:
    """Attack the demo's published figures (attackers A, B and B2) and measure their error against the truth.

    ``base`` is :func:`geo.publish._cells.base_cells` (the truth), ``release`` the
    :class:`geo.publish.release.Release` built from it. ``incident_sample``: attack
    only that many incident series of each kind with A, and that many category-months
    with B and B2 (chosen by a ``seed``-ed generator, among those holding a small count;
    the other category-months' released pieces are given to B and B2, which makes them
    stronger, not weaker); None: all (slow). The case measures always take every cell.
    ``time_links``: also B2 with the links between months and measures (orders
    stock-flow, addresses resolved after flagged) on the true pieces (column ``b2t``).
    """
    start = time.perf_counter()
    months = _span(base.months)
    rp = released_pieces(base)
    seen = rp[["ward", "estate", "town"]].drop_duplicates().itertuples(index=False, name=None)
    st = structure(base.boundaries, seen=list(seen))
    notes: list[str] = []
    records: list[dict] = []
    rng = np.random.default_rng(seed)
    work = [0, 0]  # integer programs solved, pairs left undecided
    present = [m for m in dict.fromkeys(base.pieces["measure"]) if m]
    cats = {m: sorted(base.pieces.loc[base.pieces["measure"] == m, "category"].unique()) for m in present}
    cubes = {m: cube(rp, st, m, months=months, categories=cats[m]) for m in present}
    masks = {m: None for m in present}
    if "incidents" in present and incident_sample is not None:
        masks["incidents"] = _sample_mask(cubes["incidents"], st, incident_sample, rng)
        notes.append(
            f"incidents: a seeded sample (seed {seed}): A took {incident_sample} area-category month series and "
            f"{incident_sample} area-month category series; B and B2 took {int(masks['incidents'].sum())} of "
            f"{masks['incidents'].size} category-months (each with every area and piece; the other "
            "category-months' released pieces given to them)"
        )
    b2: dict[str, PieceAttack] = {}
    for m in present:
        b2[m] = attack_pieces([cubes[m]], st, model="B2", unknown=None if masks[m] is None else [masks[m]])
        work[0] += b2[m].programs
        work[1] += b2[m].undecided
    b2t: dict[str, PieceAttack] = {}  # B2 with the links in time: true pieces only (areas would take hours)
    for group in [list(p) for p in PAIRS if set(p) <= set(present)] if time_links else []:
        res = attack_pieces([cubes[m] for m in group], st, model="B2", time_links=True, area_totals=False)
        work[0] += res.programs
        work[1] += res.undecided
        notes += [
            f"{'+'.join(group)}: link '{b}' does not hold on the truth, so B2 does not use it" for b in res.broken
        ]
        b2t |= dict.fromkeys(group, res)
    for measure in present:
        cb = cubes[measure]
        g = grid(base.cells, release.cells, measure, months=months, areas=base.areas, categories=cats[measure])
        a_sets = _attack_a(g, measure, sample=incident_sample if measure == "incidents" else None, rng=rng)
        mask = masks[measure]
        b = attack_pieces([cb], st, model="B", unknown=None if mask is None else [mask])
        work[0] += b.programs
        work[1] += b.undecided
        small = g[(g["exact"] >= 1) & (g["exact"] <= SMALL_MAX) & g["layer"].isin(VIEW_LAYERS)]
        for cell, row in small.iterrows():
            key = (measure, row["layer"], row["area"], row["category"], row["month"])
            members = [st.pieces[p] for p in st.members(row["layer"], row["area"])]
            a, tb, tb2 = a_sets.get(cell), b.areas.get(key), b2[measure].areas.get(key)
            rel_b = [b.released[(measure, p, row["category"], row["month"])] for p in members] if tb else None
            rel_b2 = (
                [b2[measure].released[(measure, p, row["category"], row["month"])] for p in members] if tb2 else None
            )
            records.append(
                {
                    "measure": measure,
                    "kind": "area",
                    "layer": row["layer"],
                    "area": row["area"],
                    "month": row["month"],
                    "category": row["category"],
                    "exact": int(row["exact"]),
                    "released": int(row["released"]),
                    "a": a,
                    "a_guess": guess_midpoint(a) if a else None,
                    "b": tb,
                    "b_guess": guess_midpoint(tb) if tb else None,
                    "b_likely": likely_total(tb, rel_b) if tb and rel_b else None,
                    "b_r": None,
                    "b2": tb2,
                    "b2_guess": guess_midpoint(tb2) if tb2 else None,
                    "b2_likely": likely_total(tb2, rel_b2) if tb2 and rel_b2 else None,
                    "b2_r": None,
                    "b2t": None,
                }
            )
        small_p = np.argwhere((cb.exact >= 1) & (cb.exact <= SMALL_MAX))
        for p, c, m in small_p:
            key = (measure, st.pieces[p], cb.categories[c], cb.months[m])
            tb, rb, tb2, rb2 = b.pieces.get(key), b.released.get(key), b2[measure].pieces.get(key), None
            rb2 = b2[measure].released.get(key)
            linked = b2t[measure].pieces.get(key) if measure in b2t else None
            records.append(
                {
                    "measure": measure,
                    "kind": "piece",
                    "layer": "piece",
                    "area": _label(st.pieces[p]),
                    "month": cb.months[m],
                    "category": cb.categories[c],
                    "exact": int(cb.exact[p, c, m]),
                    "released": int(cb.released[p, c, m]),
                    "a": None,
                    "a_guess": None,
                    "b": tb,
                    "b_guess": guess_midpoint(tb) if tb else None,
                    "b_likely": guess_likely(tb, rb) if tb and rb else None,
                    "b_r": rb,
                    "b2": tb2,
                    "b2_guess": guess_midpoint(tb2) if tb2 else None,
                    "b2_likely": guess_likely(tb2, rb2) if tb2 and rb2 else None,
                    "b2_r": rb2,
                    "b2t": linked,
                }
            )
    cells = pd.DataFrame(records)
    seconds = time.perf_counter() - start
    return Report(cells, published_error(base, release), seconds, notes, undecided=work[1], programs=work[0])


# ---------------------------------------------------------------- the error of what is published


def published_error(base, release) -> pd.DataFrame:
    """Ward-year and town-year figures, released and shown, against the exact ones, per measure.

    A flow (incidents, people safeguarded, orders secured, addresses flagged or
    resolved) is summed over the stored months of each calendar year; a stock
    (orders active, quiet addresses) is read at the year's last stored month.
    "Shown" is the figure after the presentation rule; a shown "fewer than 5"
    has no number and is counted apart.
    """
    months = _span(base.months)
    out = []
    for measure in dict.fromkeys(base.cells["measure"]):
        cats = sorted(base.cells.loc[base.cells["measure"] == measure, "category"].unique())
        g = grid(base.cells, release.cells, measure, months=months, areas=base.areas, categories=cats)
        g = g[g["layer"].isin(["ward", "town"])].assign(year=lambda f: f["month"].str.slice(0, 4))
        if measure in STOCKS:
            last = g.groupby("year")["month"].transform("max")
            g = g[g["month"] == last]
        per = g.groupby(["layer", "area", "year"])[["exact", "released"]].sum().reset_index()
        for layer, part in per.groupby("layer"):
            err = (part["released"] - part["exact"]).abs()
            shown = suppress(part["released"].to_numpy(), below=BELOW)
            numeric = ~np.isnan(shown)
            shown_err = np.abs(shown[numeric] - part["exact"].to_numpy()[numeric])
            out.append(
                {
                    "measure": measure,
                    "level": f"{layer}-year",
                    "figures": len(part),
                    "median_exact": float(part["exact"].median()),
                    "released_median_abs_error": float(err.median()),
                    "released_max_abs_error": int(err.max()),
                    "shown_median_abs_error": float(np.median(shown_err)) if numeric.any() else np.nan,
                    "shown_max_abs_error": float(shown_err.max()) if numeric.any() else np.nan,
                    "shown_fewer_than": int((~numeric).sum()),
                }
            )
    return pd.DataFrame(out)


# ---------------------------------------------------------------- in plain words


def in_words(measure: str) -> str:
    """A measure's name as a sentence says it."""
    return {"incidents": "incidents per category"}.get(measure, measure.replace("_", " "))


def describe(report: Report) -> str:
    """The findings as a cabinet paper would read them: what each attacker recovered, and what the noise costs."""
    s = report.summary()
    area, piece = s[s["kind"] == "area"], s[s["kind"] == "piece"].set_index("measure")
    lines = [
        f"Disclosure attack on the demo town (issue #19): {report.programs} integer programs, {report.seconds:.1f} s.",
        "A small count is a true count from 1 to 4 in one month (and category) of one ward, estate or the town,",
        "or of one piece (the part of a ward inside or outside an estate); 'pinned' means the attacker's",
        "feasible values for it are one number.",
        "",
        "Old method (every view rounded on its own from the exact count), attacker A:",
    ]
    for _, r in area.iterrows():
        lines.append(
            f"  {in_words(r['measure'])}: {r['a_pinned']} of {r['a_attacked']} small area counts pinned exactly"
        )
    lines += ["", "The release (pieces perturbed once; every area and view a sum of released pieces):"]
    for _, r in area.iterrows():
        p = piece.loc[r["measure"]] if r["measure"] in piece.index else None
        pieces = (
            f"; small piece counts: B {p['b_pinned']} of {p['b_attacked']}, B2 {p['b2_pinned']} of {p['b2_attacked']} "
            f"(B2 recovers the released value of {p['b2_released_pinned']} of those pieces)"
            if p is not None
            else ""
        )
        lines.append(
            f"  {in_words(r['measure'])}: small area counts pinned by the views (B) {r['b_pinned']} of "
            f"{r['b_attacked']}, by the whole release (B2) {r['b2_pinned']} of {r['b2_attacked']}{pieces}"
        )
    if piece["b2t_attacked"].sum():
        lines += ["", "The whole release with the links in time (B2 + links: orders, flagged then resolved):"]
        lines += [
            f"  {in_words(m)}: small piece counts pinned {r['b2t_pinned']} of {r['b2t_attacked']}"
            for m, r in piece.iterrows()
            if r["b2t_attacked"]
        ]
    lines += [
        "",
        "Guesses of small area counts within 1 of the truth (middle of the feasible values / most likely",
        "under the table; know-nothing guess: always 2):",
    ]
    for _, r in area.iterrows():
        lines.append(
            f"  {in_words(r['measure'])}: old method {r['a_within1']:.0%}; views of the release "
            f"{r['b_within1']:.0%} / {r['b_likely_within1']:.0%}; whole release {r['b2_within1']:.0%} / "
            f"{r['b2_likely_within1']:.0%}; know-nothing {r['baseline_within1']:.0%}"
        )
    lines += ["", "Error of published figures against the truth (released sum; after rounding to 5 in brackets):"]
    for _, r in report.errors.iterrows():
        lines.append(
            f"  {r['measure'].replace('_', ' ')}, {r['level']} ({r['figures']} figures, median {r['median_exact']:g}): "
            f"median error {r['released_median_abs_error']:g}, largest {r['released_max_abs_error']:g} "
            f"({r['shown_median_abs_error']:g}, {r['shown_max_abs_error']:g}; {r['shown_fewer_than']} shown "
            "as fewer than 5)"
        )
    if report.undecided:
        lines.append(f"\n{report.undecided} (count, value) pairs were not settled in time and count as possible.")
    if report.notes:
        lines += ["", "Notes:", *(f"  {n}" for n in report.notes)]
    return "\n".join(lines)


class FixedSecret:
    """A store seen with a release secret of the caller's choosing (everything else passes through).

    The store makes its secret at random once; the harness needs releases it can
    reproduce (a test that always sees the same noise) and many independent ones (how
    often does a release leak?). :func:`geo.publish._cells.base_cells` reads nothing
    else of the store that depends on the secret.
    """

    def __init__(self, store, secret: bytes) -> None:
        self._store = store
        self._secret = secret

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def release_secret(self) -> bytes:
        return self._secret


def secret(i: int) -> bytes:
    """The ``i``-th reproducible release secret."""
    return hashlib.sha256(b"nestwatch-attack-%d" % i).digest()


#: A release secret under which the demo's release leaks (found by ``--secrets 60``): orders active at the end
#: of 2024-08 are released as 0 for the town and 3 for each of three wards, so each ward is 1 and the town 3.
LEAKING_SECRET = hashlib.sha256(b"mc43").digest()


def pinned(cells: pd.DataFrame) -> pd.DataFrame:
    """The small counts (areas' and pieces') that attacker B or B2 (with the links in time, if run) pins."""
    hit = pd.Series(False, index=cells.index)
    for who in ("b", "b2", "b2t"):
        if who in cells:
            hit |= cells[who].map(lambda v: isinstance(v, frozenset) and len(v) == 1)
    return cells[hit]


def case_measures(base, measures: Iterable[str] | None = None):
    """The base cells with only ``measures`` (default: every measure but incidents), pieces and cells alike."""

    def keep(frame: pd.DataFrame) -> pd.Series:
        return frame["measure"].isin(list(measures)) if measures is not None else frame["measure"] != "incidents"

    return type(base)(
        **{**base.__dict__, "cells": base.cells[keep(base.cells)], "pieces": base.pieces[keep(base.pieces)]}
    )
