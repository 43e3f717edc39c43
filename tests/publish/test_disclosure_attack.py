"""The attack harness of issue #19: a determined cabinet user against the published figures.

First the harness itself, on cases small enough to work by hand (and against a
brute-force count of every solution: of the solver, and of the piece model the
release is attacked through), so that "nothing pinned" on the demo means the
release protects, not that the harness is blind. Then the demo town: the old
method (each view rounded from exact counts) gives small counts away, as the
issue found; the release (perturbed pieces, every area a sum of them) does not,
even to an attacker who holds every released area value and knows which pieces
make up which area.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from geo.publish._cells import base_cells
from geo.publish._ptable import perturb, sources
from geo.publish.privacy import suppress_labels
from geo.publish.release import protect
from geo.store import Store
from tests.publish import attack_solver
from tests.publish.attack_solver import Problem, feasible_values
from tests.publish.disclosure_attack import (
    LEAKING_SECRET,
    VIEW_LAYERS,
    Cube,
    FixedSecret,
    Structure,
    attack_exact,
    attack_pieces,
    case_measures,
    category_sets,
    describe,
    grid,
    guess_likely,
    guess_midpoint,
    intervals,
    label_to_interval,
    likely_total,
    month_runs,
    pinned,
    released_pieces,
    run_attack,
    secret,
    structure,
    table_sources,
)

# ---------------------------------------------------------------- labels and views


@pytest.mark.parametrize(
    ("label", "below", "interval"),
    [
        ("0", 5, (0, 0)),
        ("fewer than 5", 5, (1, 4)),
        ("5", 5, (5, 7)),  # 3 and 4 read "fewer than 5"; 7/5 + 0.5 = 1.9 -> 5, 8/5 + 0.5 = 2.1 -> 10
        ("10", 5, (8, 12)),  # 7.5 <= x < 12.5
        ("1,235", 5, (1233, 1237)),
        ("10", 10, (10, 14)),  # 5..9 read "fewer than 10"; 14/10 + 0.5 = 1.9 -> 10
        ("20", 10, (15, 24)),
    ],
)
def test_a_label_bounds_its_count_to_an_interval(label, below, interval):
    assert label_to_interval(label, below=below) == interval


@pytest.mark.parametrize("below", [2, 5, 10])
def test_every_label_is_read_back_as_exactly_the_counts_that_show_it(below):
    # independent reference: label every count 0..300 and group the counts by label
    counts = np.arange(301)
    labels = suppress_labels(counts, below=below)
    for text in set(labels):
        shown_as = counts[[t == text for t in labels]]
        lo, hi = label_to_interval(text, below=below)
        if hi < 300:  # the last label's interval runs past the counts tried
            assert (lo, hi) == (shown_as.min(), shown_as.max()), text
        assert lo == shown_as.min()


def test_the_views_a_user_can_make():
    # 3 months: [0], [1], [2], [0-1], [1-2], [0-2]
    assert month_runs(3).shape == (6, 3) and month_runs(3).sum() == 1 + 1 + 1 + 2 + 2 + 3
    # 4 categories: 4 single, 6 pairs, 4 all-but-one, 1 all
    assert category_sets(4).shape == (15, 4)
    # 3 categories: a pair is all-but-one, so 3 single + 3 pairs + all
    assert category_sets(3).shape == (7, 3)


def test_what_a_released_value_can_have_been_is_read_from_the_table():
    # rows of the table: 0 -> 0; 1 -> 0 or 3; 2 -> 0, 3 or 4; 3 -> 0, 4 or 5; 4 -> 3, 5 or 6; 5 up -> -2..+2
    assert table_sources(0) == (0, 1, 2, 3)
    assert table_sources(1) == table_sources(2) == ()
    assert table_sources(3) == (1, 2, 4, 5)
    assert table_sources(4) == (2, 3, 5, 6)
    assert table_sources(6) == (4, 5, 6, 7, 8)
    assert all(len(table_sources(r)) >= 2 for r in [0, *range(3, 40)])  # the table's promise


def test_the_tables_own_sources_agree_with_its_rows():
    assert all(sources(r) == list(table_sources(r)) for r in range(12))


# ---------------------------------------------------------------- the solver, by hand


def _old_method(exact):
    """Attacker A on a month series: the feasible true values of every small month."""
    return attack_exact(np.asarray(exact), month_runs(len(exact))).values


def test_four_months_of_one_behind_fewer_than_5_are_recovered():
    # each month shows "fewer than 5": each is at least 1; the whole period shows "fewer than 5": at most 4 in
    # all. 1 + 1 + 1 + 1 = 4 is the only way: the estate, "exactly 4, one a month in four named months"
    assert _old_method([1, 1, 1, 1]) == {i: {1} for i in range(4)}


def test_two_months_shown_as_10_together_are_both_4():
    # months 0 and 1 each "fewer than 5" (1..4) but "10" together (8..12): both must be 4;
    # month 2 is 1..4 alone, months 1-2 show "5" (5..7): 4 + x in 5..7 leaves x in 1..3
    assert _old_method([4, 4, 1]) == {0: {4}, 1: {4}, 2: {1, 2, 3}}


def test_months_1_0_3_are_not_recovered():
    # month 0 and month 2 are 1..4 each, month 1 is "0"; together 4 is "fewer than 5", so x0 + x2 <= 4:
    # x0 can be 1, 2 or 3 (with x2 = 3, 2, 1)
    assert _old_method([1, 0, 3]) == {0: {1, 2, 3}, 2: {1, 2, 3}}


def _brute_force(exact, views):
    """Every integer vector (each cell 0..12) whose view labels match the exact vector's: the reference."""
    exact = np.asarray(exact)
    lo, hi = intervals(views @ exact)
    dense = views.toarray()
    found = [set() for _ in exact]
    for x in itertools.product(range(13), repeat=len(exact)):
        sums = dense @ np.array(x)
        if np.all((sums >= lo) & (sums <= hi)):
            for i, v in enumerate(x):
                found[i].add(v)
    return found


@pytest.mark.parametrize("seed", range(6))
def test_the_solver_finds_every_solution_and_no_other(seed):
    rng = np.random.default_rng(seed)
    exact = rng.choice([0, 1, 1, 2, 3, 4, 6], size=3)
    views = month_runs(3) if seed % 2 else category_sets(3)
    reference = _brute_force(exact, views)
    got = attack_exact(exact, views).values
    for i in np.flatnonzero((exact >= 1) & (exact <= 4)):
        assert got[i] == reference[i], (exact.tolist(), i)


def test_links_between_layers_can_pin_a_count():
    # a town of two wards, each area with noise of its own (the release before pieces): the town released as 0
    # (true 0..3), ward A as 4 (2, 3, 5 or 6), ward B as 3 (1, 2, 4 or 5). town = A + B <= 3 leaves only A = 2,
    # B = 1: the solver sees such a leak. (With pieces the town's released value is A's plus B's: 7, not 0.)
    cells = [table_sources(0), table_sources(4), table_sources(3)]
    town_is_sum = sparse.csr_matrix(np.array([[1.0, -1.0, -1.0]]))
    solved = feasible_values(
        Problem(cells, town_is_sum, np.array([0.0]), np.array([0.0]), np.array([3, 2, 1])), [0, 1, 2]
    )
    assert solved.values == {0: {3}, 1: {2}, 2: {1}}


def test_the_guesses():
    assert guess_midpoint({1, 2, 3}) == 2
    assert guess_midpoint({1, 2, 3, 4, 5, 6}) == 4  # 3.5 rounds up
    # behind released 3 or 4: count 2 has 103 + 51 keys, count 4 has 154 + 0: a tie, the smaller wins
    assert guess_likely({1, 2, 3, 4, 5, 6}, {3, 4}) == 2
    # two pieces released 0: keys per true count 0: 256, 1: 171, 2: 102, 3: 77. A total of 1: 2 * 256 * 171 =
    # 87,552; of 2: 2 * 256 * 102 + 171 ** 2 = 81,465; of 3: 2 * 256 * 77 + 2 * 171 * 102 = 74,308
    assert likely_total(range(7), [{0}, {0}]) == 1
    assert likely_total({2, 3, 4}, [{0}, {0}]) == 2


def _random_problem(rng, *, units=4, channels=2):
    """A small random problem with a known solution: each unit a few tuples, rows of -1/0/1 around the truth."""
    options = [sorted({tuple(int(v) for v in rng.integers(0, 4, channels)) for _ in range(3)}) for _ in range(units)]
    truth = [o[int(rng.integers(len(o)))] for o in options]
    dense = rng.choice([-1.0, 0.0, 1.0], size=(3, units * channels), p=[0.2, 0.5, 0.3])
    at = dense @ np.array([v for t in truth for v in t], dtype=float)
    lo, hi = at - rng.integers(0, 2, 3), at + rng.integers(0, 2, 3)
    lo[0] = hi[0] = at[0]  # one equality
    # and a total: a unit whose value is the sum of channel 1 of the first two units
    options.append([(v, 0) for v in range(0, 7)])
    truth.append((truth[0][1] + truth[1][1], 0))
    total = np.zeros((1, (units + 1) * channels))
    total[0, units * channels] = 1.0
    total[0, [1, channels + 1]] = -1.0
    dense = np.vstack([np.hstack([dense, np.zeros((3, channels))]), total])
    lo, hi = np.append(lo, 0.0), np.append(hi, 0.0)
    return Problem(options, sparse.csr_matrix(dense), lo, hi, truth, channels=channels)


def _brute_force_options(problem):
    """Every combination of options that satisfies the rows: the feasible values of every (unit, channel)."""
    dense = problem.matrix.toarray()
    found: dict = {}
    for combo in itertools.product(*problem.options):
        x = np.array([v for t in combo for v in t], dtype=float)
        sums = dense @ x
        if np.all((sums >= problem.lo - 1e-9) & (sums <= problem.hi + 1e-9)):
            for u, t in enumerate(combo):
                for c, v in enumerate(t):
                    found.setdefault((u, c), set()).add(v)
    return found


#: How the solver may settle a component: enumerate it when small (the default), or integer programs only:
#: rounds over the whole component, or (``whole`` = 1: every component is "large") the neighbourhood search.
PATHS = {"enumerate": (attack_solver.ENUMERATE, 200), "rounds": (0, 200), "neighbourhoods": (0, 1)}


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("path", list(PATHS))
def test_the_solver_on_pairs_finds_every_solution_and_no_other(seed, path, monkeypatch):
    enumerate_up_to, whole = PATHS[path]
    monkeypatch.setattr(attack_solver, "ENUMERATE", enumerate_up_to)
    problem = _random_problem(np.random.default_rng(seed))
    reference = _brute_force_options(problem)
    targets = sorted(reference)
    got = feasible_values(problem, targets, whole=whole).values
    assert {t: set(v) for t, v in got.items()} == {t: reference[t] for t in targets}


# ---------------------------------------------------------------- the piece model, by hand and by brute force

#: A town of two wards; ward W1 holds estate E1 and a part outside it: three pieces inside the town.
PIECES = (("W1", "E1", True), ("W1", "", True), ("W2", "", True))
TOWN = Structure(
    PIECES,
    {
        ("ward", "W1"): (0, 1),
        ("ward", "W2"): (2,),
        ("estate", "E1"): (0,),
        ("town", ""): (0, 1, 2),
        ("all", ""): (0, 1, 2),
    },
)


def test_the_pieces_come_from_the_boundaries():
    # two unit squares side by side (wards W1, W2) and an estate across their border (E): four pieces inside the
    # town, one outside it; W1 is its two pieces, E its two, the town all four inside, all five for "all"
    import geopandas as gpd
    from shapely.geometry import box

    bounds = gpd.GeoDataFrame(
        {"layer": ["ward", "ward", "estate"], "code": ["W1", "W2", "E"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.5, 0.2, 1.5, 0.8)],
    )
    st = structure(bounds)
    assert st.pieces == (("W1", "E", True), ("W1", "", True), ("W2", "E", True), ("W2", "", True), ("", "", False))
    assert st.members("ward", "W1") == (0, 1) and st.members("estate", "E") == (0, 2)
    assert st.members("town", "") == (0, 1, 2, 3) and st.members("all", "") == (0, 1, 2, 3, 4)
    # an estate wholly inside W1 leaves W2 one piece; a piece the data holds and the shapes do not is added
    inside = bounds.set_geometry([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.2, 0.2, 0.8, 0.8)])
    st = structure(inside, seen=[("W2", "E", True)])
    assert st.pieces == (("W1", "E", True), ("W1", "", True), ("W2", "", True), ("", "", False), ("W2", "E", True))


def _cube(exact, released, measure="people_safeguarded"):
    """A cube of the three pieces over len(exact[0]) months, one category."""
    e, r = np.asarray(exact)[:, None, :], np.asarray(released)[:, None, :]
    months = tuple(f"2024-{i + 1:02d}" for i in range(e.shape[2]))
    return Cube(measure, ("",), months, e, r)


def test_a_town_released_beside_its_wards_adds_up_and_pins_nothing():
    # One month. Each ward one piece (W1's estate piece empty): true 1, 1; released 3 and 0 (a 1 goes to 0 or 3).
    # Released W1 = 3, W2 = 0, E1 = 0, town = 3: the town is the sum of what is released for its wards.
    # Views: W1 "fewer than 5" (3 or 4), W2 "0", E1 "0", town "fewer than 5". So E1's piece and W2's piece are
    # released 0 (true 0..3), W1's other piece 3 or 4 (true 1, 2, 4, 5 or 2, 3, 5, 6: 1..6).
    # W1 true = 0..3 + 1..6 = 1..9; W2 = 0..3; the town = 1..12. Nothing is one number.
    cb = _cube([[0], [1], [1]], [[0], [3], [0]])
    b = attack_pieces([cb], TOWN, model="B")
    m = "2024-01"
    assert b.areas[("people_safeguarded", "ward", "W1", "", m)] == set(range(1, 10))
    assert b.areas[("people_safeguarded", "ward", "W2", "", m)] == {0, 1, 2, 3}
    assert b.areas[("people_safeguarded", "town", "", "", m)] == set(range(1, 13))
    assert b.pieces[("people_safeguarded", PIECES[1], "", m)] == set(range(1, 7))
    # B2 holds W1 = 3 exactly: its other piece is 3 (W1 - E1 = 3 - 0), true 1, 2, 4 or 5; W1 = 1..8
    b2 = attack_pieces([cb], TOWN, model="B2")
    assert b2.released[("people_safeguarded", PIECES[1], "", m)] == {3}
    assert b2.pieces[("people_safeguarded", PIECES[1], "", m)] == {1, 2, 4, 5}
    assert b2.areas[("people_safeguarded", "ward", "W1", "", m)] == set(range(1, 9))


def test_links_in_time_can_pin_a_piece_so_the_harness_is_not_blind():
    # One month, W1's outer piece: 3 addresses flagged (released 0: true 0..3) and the same 3 resolved (released 5:
    # true 3..7). An address is resolved only after it was flagged: resolved <= flagged, so both are exactly 3.
    # The table alone never pins (every released value has two sources or more); links on true counts can.
    opened = _cube([[0], [3], [0]], [[0], [0], [0]], "flagged_opened")
    resolved = _cube([[0], [3], [0]], [[0], [5], [0]], "flagged_resolved")
    b2 = attack_pieces([opened, resolved], TOWN, model="B2", time_links=True)
    assert b2.pieces[("flagged_opened", PIECES[1], "", "2024-01")] == {3}
    assert b2.pieces[("flagged_resolved", PIECES[1], "", "2024-01")] == {3}
    without = attack_pieces([opened, resolved], TOWN, model="B2")
    assert without.pieces[("flagged_opened", PIECES[1], "", "2024-01")] == {0, 1, 2, 3}


def _brute_force_pieces(cb, st, model, given=None):
    """Every released vector the views (B) or the released areas (B2) allow, each piece at most what its areas
    show; then every true vector the table allows behind it: feasible true totals, true and released pieces."""
    n_p, _, n_m = cb.exact.shape
    views = month_runs(n_m).toarray()
    cap = np.full((n_p, n_m), 10**6)
    checks = []
    for (layer, _), ix in st.areas.items():
        rel = cb.released[list(ix), 0, :].sum(axis=0)
        if model == "B2":
            checks.append((list(ix), np.eye(n_m), rel, rel))
            cap[list(ix)] = np.minimum(cap[list(ix)], rel)
        elif layer in VIEW_LAYERS:
            lo, hi = intervals(views @ rel)
            checks.append((list(ix), views, lo, hi))
            cap[list(ix)] = np.minimum(cap[list(ix)], intervals(rel)[1])
    ranges = [[v for v in range(cap[p, m] + 1) if table_sources(v)] for p in range(n_p) for m in range(n_m)]
    if given is not None:  # months given: their released pieces are known
        ranges = [
            [int(cb.released[p, 0, m])] if given[m] else ranges[p * n_m + m] for p in range(n_p) for m in range(n_m)
        ]
    r = np.array(list(itertools.product(*ranges)), dtype=np.int64).reshape(-1, n_p, n_m)
    ok = np.ones(len(r), dtype=bool)
    for ix, v, lo, hi in checks:
        sums = r[:, ix, :].sum(axis=1) @ v.T
        ok &= ((sums >= lo) & (sums <= hi)).all(axis=1)
    r = r[ok]
    areas, pieces, released = {}, {}, {}
    for (layer, code), ix in st.areas.items():
        exact = cb.exact[list(ix), 0, :].sum(axis=0)
        for m in range(n_m):
            if layer in VIEW_LAYERS and 1 <= exact[m] <= 4:
                totals = set()
                for combo in {tuple(x) for x in r[:, list(ix), m]}:
                    sums = {0}
                    for v in combo:
                        sums = {a + b for a in sums for b in table_sources(int(v))}
                    totals |= sums
                areas[(cb.measure, layer, code, "", cb.months[m])] = totals
    for p in range(n_p):
        for m in range(n_m):
            key = (cb.measure, st.pieces[p], "", cb.months[m])
            released[key] = {int(v) for v in r[:, p, m]}
            if 1 <= cb.exact[p, 0, m] <= 4:
                pieces[key] = {t for v in released[key] for t in table_sources(v)}
    return areas, pieces, released


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("model", ["B", "B2"])
@pytest.mark.parametrize("enumerate_up_to", [attack_solver.ENUMERATE, 0])  # 0: integer programs only
def test_the_piece_attack_finds_every_solution_and_no_other(seed, model, enumerate_up_to, monkeypatch):
    monkeypatch.setattr(attack_solver, "ENUMERATE", enumerate_up_to)
    rng = np.random.default_rng(seed)
    exact = rng.choice([0, 0, 1, 2, 3, 4, 6], size=(3, 2))
    cb = _cube(exact, perturb(exact, rng.integers(0, 256, size=exact.shape)))
    got = attack_pieces([cb], TOWN, model=model)
    areas, pieces, released = _brute_force_pieces(cb, TOWN, model)
    assert got.areas == areas
    assert got.pieces == pieces
    assert all(got.released[k] == released[k] for k in got.released)  # the pieces of small areas and small pieces
    # a month given at its released values: the same attack on the other month alone
    given = np.array([True, False])
    got = attack_pieces([cb], TOWN, model=model, unknown=[~given[None, :]])
    areas, pieces, _ = _brute_force_pieces(cb, TOWN, model, given=given)
    assert got.areas == {k: v for k, v in areas.items() if k[-1] == cb.months[1]}
    assert got.pieces == {k: v for k, v in pieces.items() if k[-1] == cb.months[1]}


# ---------------------------------------------------------------- the demo town


@pytest.fixture(scope="module")
def attacked(demo_town):
    # a fixed release secret (the store's own is random), so every run attacks the same release
    store = Store(demo_town)
    try:
        base = base_cells(FixedSecret(store, secret(0)))
        release = protect(base, version=store.data_version())  # what release_for(store) returns
        report = run_attack(base, release, incident_sample=40)
    finally:
        store.dispose()
    print("\n" + describe(report))
    return base, release, report


def test_the_harness_attacks_what_is_published(attacked):
    # The model: every released area value is the sum of its released pieces, pieces placed by the boundaries
    # alone (structure). Checked on every measure, layer, area, month and category of the release, against the
    # release's own cells (absent: 0), and the exact cells against the exact pieces the same way.
    base, release, _ = attacked
    pieces = released_pieces(base)
    st = structure(base.boundaries)
    assert set(map(tuple, pieces[["ward", "estate", "town"]].to_numpy().tolist())) <= set(st.pieces)
    keys = ["measure", "month", "category"]
    for (layer, code), ix in st.areas.items():
        held = pieces[
            [(w, e, t) in {st.pieces[i] for i in ix} for w, e, t in pieces[["ward", "estate", "town"]].to_numpy()]
        ]
        mine = held.groupby(keys)[["exact", "released"]].sum()
        for column, cells in (("released", release.cells), ("exact", base.cells)):
            theirs = cells[(cells["layer"] == layer) & (cells["area"] == code)].groupby(keys)["value"].sum()
            both = pd.concat([mine[column], theirs], axis=1).fillna(0)
            assert (both.iloc[:, 0] == both.iloc[:, 1]).all(), (layer, code, column)


def test_the_harness_sees_what_the_dashboard_shows(attacked):
    # a view's label from the harness's grid equals the label of the release's own sum
    base, release, _ = attacked
    months = [str(p) for p in pd.period_range(*base.months, freq="M")]
    g = grid(base.cells, release.cells, "people_safeguarded", months=months, areas=base.areas)
    for code in release.codes("ward")[:3]:
        for a, b in [(0, 35), (5, 17), (20, 20)]:
            span = months[a : b + 1]
            mine = g[(g["area"] == code) & g["month"].isin(span)]["released"].sum()
            assert mine == release.value("people_safeguarded", area=code, months=span)


def test_the_old_method_gives_small_counts_away(attacked):
    # measured on the demo: 79 of 93 people safeguarded, 83 of 92 flagged, 42 of 43 orders (the numbers);
    # the bound is half of that, so the test fails if the harness goes blind
    summary = attacked[2].summary().set_index(["measure", "kind"])
    assert summary.loc[("people_safeguarded", "area"), "a_pinned"] >= 40
    assert summary.loc[("flagged_opened", "area"), "a_pinned"] >= 40
    assert summary.loc[("orders_secured", "area"), "a_pinned"] >= 20
    incidents = summary.loc[("incidents", "area")]
    assert incidents["a_pinned"] >= incidents["a_attacked"] / 2


CASES = ["people_safeguarded", "flagged_opened", "flagged_resolved", "orders_secured", "orders_active"]


def test_the_release_pins_no_small_count(attacked):
    report = attacked[2]
    summary = report.summary().set_index(["measure", "kind"])
    for measure in [*CASES, "incidents"]:
        for kind in ("area", "piece"):
            row = summary.loc[(measure, kind)]
            assert row["b_attacked"] > 0 and row["b2_attacked"] > 0, (measure, kind)
            assert row["b_pinned"] == 0 and row["b2_pinned"] == 0, (measure, kind)
    # B2 is strong: it recovers most small pieces' released values by differences (measured on this release:
    # every case measure's, 265 of 281 small incident pieces in the sample), and still pins no true one
    pieces = summary.xs("piece", level="kind")
    assert (pieces["b2_released_pinned"] >= pieces["b2_attacked"] / 2).all()
    assert not report.undecided


def test_the_attackers_guesses_do_no_better_than_knowing_nothing(attacked):
    cells = attacked[2].cells
    cases = cells[cells["measure"].isin(CASES) & (cells["kind"] == "area")]
    baseline = float((abs(cases["exact"] - 2) <= 1).mean())
    for guess in ("b_guess", "b_likely", "b2_guess", "b2_likely"):
        within = float((abs(cases[guess].astype(float) - cases["exact"]) <= 1).mean())
        print(f"{guess}: {within:.0%} of small area counts within 1 (know-nothing guess 2: {baseline:.0%})")
        # measured over 30 release secrets (scripts/disclosure_attack.py --secrets 30), per release: the middle
        # of the feasible values 0.12..0.18, the most likely 0.36..0.51; know-nothing 0.98
        assert within <= 0.65
        assert within <= baseline


def test_published_figures_stay_near_the_truth(attacked):
    errors = attacked[2].errors.set_index(["measure", "level"])
    for (measure, level), row in errors.iterrows():
        print(
            f"{measure} {level}: median error {row['released_median_abs_error']:g}, "
            f"largest {row['released_max_abs_error']:g} (median figure {row['median_exact']:g})"
        )
    # Measured (median error, over 30 release secrets: scripts/disclosure_attack.py --secrets 30): ward-years at
    # most 1 for the five case measures (most ward-months are zero, published as zero); town-years 0..8.5 (the
    # town is now the sum of its pieces, 14 a month, each moved); incidents 5.5..11 on ward-years of about 250
    # and 4.5..70 on town-years of about 3,100 (some 1,800 pieces a year, each with noise of variance 1.3 or more).
    ward = errors.xs("ward-year", level="level")
    town = errors.xs("town-year", level="level")
    assert (ward.loc[CASES, "released_median_abs_error"] <= 2).all()
    assert (town.loc[CASES, "released_median_abs_error"] <= 12).all()
    assert ward.loc["incidents", "released_median_abs_error"] <= 16
    assert town.loc["incidents", "released_median_abs_error"] <= 100


def test_no_release_lets_a_user_add_up_wards_against_the_town(demo_town):
    # Under this secret the demo's orders active at the end of 2024-08 are: Harbour, Cliffside and Eastfield
    # 1 each, the town 3. When the town had noise of its own it was released as 0 beside wards released as 3
    # (a 3 from 1, 2, 4 or 5; a 0 from 0..3), and "the town is the sum of its wards" left each ward exactly 1.
    # Now the town's released value is the sum of its released pieces, so it always adds up, and that link says
    # nothing the pieces do not: neither the views (B) nor the whole release (B2) pins any count.
    store = Store(demo_town)
    try:
        base = case_measures(base_cells(FixedSecret(store, LEAKING_SECRET)), ["orders_active"])
    finally:
        store.dispose()
    release = protect(base, version="leak")
    town = release.totals("orders_active", layer="town", months=["2024-08"]).iloc[0]
    wards = release.totals("orders_active", layer="ward", months=["2024-08"]).sum()
    assert town == wards
    cells = run_attack(base, release).cells
    hit = pinned(cells)
    print(hit[["kind", "layer", "area", "month", "exact", "released"]].to_string())
    assert hit.empty
