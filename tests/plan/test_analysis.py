"""The analysis path end to end: the demo town's planted patterns, real Bristol data, and the CLI."""

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.plan import analysis
from geo.stats.aggregate import Filters
from geo.store.importer import import_path
from tests.conftest import count_calls, real_file


@pytest.fixture(scope="module")
def demo(demo_town):
    from geo.store import Store

    store = Store(demo_town)
    area = analysis.load_area(store, res=9)
    cube = analysis.load_cube(store, area, filters=Filters(categories=(analysis.ASB,)))
    yield store, cube
    store.dispose()


def test_demo_hotspots_are_found_where_they_were_planted(demo):
    _store, cube = demo
    table = analysis.hotspot_table(cube)
    assert len(table) == len(cube.area) and table["count"].sum() == cube.counts.sum()
    hot = table[table["gi_bin"] == 3]
    assert len(hot) >= 5
    # the hottest cells hold far more ASB than a typical cell
    assert hot["count"].median() > 4 * table["count"].median()


def test_demo_emerging_hotspot_is_new_or_intensifying_and_the_old_ones_persist(demo):
    _store, cube = demo
    table = analysis.emerging_table(cube)
    cats = set(table["category"])
    assert {"persistent hot spot"} & cats or {"intensifying hot spot"} & cats
    growing = table[table["category"].isin(["new hot spot", "consecutive hot spot", "intensifying hot spot"])]
    assert len(growing) >= 1
    # the planted emerging hotspot ramps up from month 24: its cells gain most between the two years
    by_month = cube.by_cell_month()
    idx = growing.index.to_numpy()
    late, early = by_month[idx, -12:].sum(), by_month[idx, :12].sum()
    assert late > 1.5 * early


def test_trend_months_and_their_words():
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    assert analysis.trend_months(months, trend="esri") == months
    assert analysis.trend_months(months, trend="complete") == months[1:]
    assert analysis.trend_months(months, trend="complete", time_steps=3) == months[3:]
    assert analysis.describe_trend(months, trend="complete") == (
        "trend over 2025-02..2025-12, 11 months with a complete neighbourhood (2025-01 left out)"
    )
    assert analysis.describe_trend(months, trend="complete", time_steps=0) == (
        "trend over 2025-01..2025-12, 12 months with a complete neighbourhood"
    )
    assert analysis.describe_trend(months, trend="esri") == (
        "trend over 2025-01..2025-12, every month (12) as Esri's Emerging Hot Spot Analysis"
    )


@pytest.mark.parametrize(
    ("n", "trend", "time_steps", "refused"),
    [
        (10, "esri", 1, False),
        (9, "esri", 1, True),
        (11, "complete", 1, False),
        (10, "complete", 1, True),
        (12, "complete", 2, False),
        (11, "complete", 2, True),
        (10, "complete", 0, False),
    ],
)
def test_fewer_than_ten_trend_months_are_refused(n, trend, time_steps, refused):
    from geo.core.errors import OptionError

    months = [str(p) for p in pd.period_range("2025-01", periods=n, freq="M")]
    if not refused:
        analysis.check_trend_months(months, trend=trend, time_steps=time_steps)
        return
    with pytest.raises(OptionError, match=r"not classified: Esri's method needs at least 10 months") as caught:
        analysis.check_trend_months(months, trend=trend, time_steps=time_steps)
    assert f"this range gives {n - (time_steps if trend == 'complete' else 0)}," in str(caught.value)
    assert ("or the Esri rule" in str(caught.value)) == (trend == "complete")


def test_demo_emerging_rules_differ_only_in_the_trend(demo):
    _store, cube = demo
    complete = analysis.emerging_table(cube)
    esri = analysis.emerging_table(cube, trend="esri")
    assert set(complete["trend_rule"]) == {"complete"} and set(complete["trend_from"]) == {cube.months[1]}
    assert set(esri["trend_rule"]) == {"esri"} and set(esri["trend_from"]) == {cube.months[0]}
    same = ["cell", "count", "ward", "n_hot", "n_cold", "final_bin"]
    assert complete[same].equals(esri[same])  # the rule changes the trend series only, never which months are hot


def test_demo_priority_without_ten_trend_months_ranks_without_patterns(demo):
    store, _ = demo
    area = analysis.load_area(store, res=9)
    short = analysis.load_cube(store, area, filters=Filters(month_from="2026-02", categories=(analysis.ASB,)))
    assert len(short.months) == 9
    _ranked, scored, _length = analysis.priority_table(short, analysis.load_cases(store), top=5)
    assert (scored["emerging"] == "").all()  # nothing classified: no pattern may enter the ranking


def test_demo_priority_puts_flagged_hotspots_first_with_reasons(demo):
    store, cube = demo
    ranked, _scored, length = analysis.priority_table(cube, analysis.load_cases(store), top=10)
    assert len(ranked) == 10 and ranked["score"].is_monotonic_decreasing
    assert (ranked["flagged_open"] > 0).sum() >= 3  # flagged addresses sit near hotspots in the demo
    assert ranked["reasons"].str.contains("99 %").any()  # the reasons' wording belongs to geo.plan.priority
    assert sorted(ranked["visit_order"]) == list(range(1, 11)) and length > 0


def test_every_planned_place_has_a_name_right_after_its_cell(demo):
    store, cube = demo
    names = analysis.load_places(store, cube.area, filters=Filters(categories=(analysis.ASB,))).names
    for given in (names, None):  # None: named from the case addresses and the areas alone
        ranked, scored, _ = analysis.priority_table(cube, analysis.load_cases(store), top=10, places=given)
        for table in (ranked, scored):
            columns = list(table.columns)
            assert columns[columns.index("cell") + 1] == "place"
            assert (table["place"].str.strip() != "").all()
            assert not table["place"].str.fullmatch(r"[0-9a-f]{15}").any()  # never only an H3 id
            assert not table["place"].str.contains(r"[0-9]", regex=True).any() or given is None
    ranked, scored, _ = analysis.priority_table(cube, analysis.load_cases(store), top=10, places=names)
    assert scored["place"].tolist() == list(names)
    # the demo's most planned place: the busiest cell's most frequent location text, as the store holds it
    top = ranked.iloc[0]
    incidents = store.read("incidents", columns=["lat", "lng", "month", "category", "location"])
    from geo.space.hexes import points_to_cells, strings_to_cells

    cells = points_to_cells(incidents["lat"].to_numpy(float), incidents["lng"].to_numpy(float), res=9)
    here = incidents[(cells == strings_to_cells([top["cell"]])[0]) & (incidents["category"] == analysis.ASB)]
    counts = here["location"].value_counts()
    best = sorted(counts[counts == counts.max()].index)[0]  # most incidents, then alphabetical
    assert top["place"] == best


def test_demo_closures_reduce_asb_more_than_elsewhere(demo):
    from geo.plan.evaluation import evaluate_store

    store, _cube = demo
    e = evaluate_store(store, interventions="closures").effect
    # the demo's orders cut ASB near them by design while the rest of the town stays level
    assert e.used >= 10 and e.estimate.high < -0.2 and abs(e.control_after / e.control_before - 1) < 0.2


def test_demo_concentration(demo):
    _store, cube = demo
    summary = analysis.concentration_summary(cube)
    shares = summary["share_in_top"]
    assert 0 < shares[0.01] < shares[0.05] < shares[0.10] <= 1
    assert 0 < summary["gini"] < 1 and len(summary["backtest"]) == len(cube.months) - 3


def test_cli_hotspots_priority_emerging_write_csv(demo, tmp_path, capsys):
    store, cube = demo
    db = store.url
    out = tmp_path / "hot.csv"
    assert main(["hotspots", "--db", db, "--out", str(out)]) == 0
    hot = pd.read_csv(out, dtype={"cell": str})
    assert {"cell", "count", "gi_z", "gi_p", "significant_fdr", "class", "ward"} <= set(hot.columns)
    assert len(hot) == len(cube.area)
    assert main(["priority", "--db", db, "--top", "5", "--out", str(tmp_path / "p.csv")]) == 0
    pri = pd.read_csv(tmp_path / "p.csv")
    assert len(pri) == 5 and {"rank", "score", "reasons", "visit_order"} <= set(pri.columns)
    assert main(["emerging", "--db", db, "--from", "2024-01", "--out", str(tmp_path / "e.csv")]) == 0
    em = pd.read_csv(tmp_path / "e.csv")
    assert {"cell", "trend_tau", "trend_p", "category"} <= set(em.columns)
    assert main(["hotspots", "--db", db, "--from", "2026-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["hotspots", "--db", db, "--res", "4"]) == 2


def test_narrower_month_range_lowers_counts(demo):
    store, _ = demo
    area = analysis.load_area(store, res=9)
    whole = analysis.load_cube(store, area, filters=Filters(categories=(analysis.ASB,)))
    year = analysis.load_cube(store, area, filters=Filters(month_from="2025-11", categories=(analysis.ASB,)))
    assert len(year.months) == 12 and 0 < year.counts.sum() < whole.counts.sum()


@pytest.mark.real
def test_real_bristol_hotspots_lie_in_cabot_and_lawrence_hill(store):
    import_path(store, "wards", real_file("E06000023_bristol_wards_WD13.geojson"))
    import_path(store, "incidents", real_file("2023-01-avon-and-somerset-street.csv"))
    names = store.read_boundaries("wards").set_index("code")["name"]
    area = analysis.load_area(store, res=9)
    cube = analysis.load_cube(store, area, filters=Filters(categories=(analysis.ASB,)))
    table = analysis.hotspot_table(cube)
    by_ward = table.groupby("ward")["count"].sum().sort_values(ascending=False)
    top_wards = {names[c] for c in by_ward.index[:2]}
    assert top_wards == {"Cabot", "Lawrence Hill"}  # the wards with most ASB ...
    hottest = table.sort_values("gi_z", ascending=False).head(5)
    assert set(names[hottest["ward"]]) <= {"Cabot", "Lawrence Hill"}  # ... hold the hottest cells
    assert (hottest["gi_bin"] == 3).all()
    assert np.isfinite(table["gi_z"]).all()
    # every cell named; a fifth of the sample's ASB texts are "On or near " with no street: never a name
    named = analysis.load_places(store, area, filters=Filters(categories=(analysis.ASB,)))
    assert (named.names != "").all() and "On or near" not in set(named.names)
    assert not any(n.endswith("On or near") or n == "No Location" for n in named.names)
    ranked, _, _ = analysis.priority_table(cube, analysis.load_cases(store), top=10, places=named.names)
    # hot spots hold incidents, and a quiet neighbour of one is named after the texts next to it
    assert ranked["place"].str.match(r"(On or near|near) [A-Z]").all()


def test_places_in_a_cell_count_its_location_texts_under_the_filters(store, write):
    from geo.space.hexes import points_to_cells
    from tests.conftest import police_csv, police_row

    rows = [
        police_row(location="On or near Park Street"),
        police_row(location="On or near Park Street", month="2024-02"),
        police_row(location="<img src=x onerror=alert(1)>"),
        police_row(location="On or near Park Street", month="2023-12"),  # before the filter's months
        police_row(location="On or near Park Street", category="Drugs"),  # another category
        police_row(location="Far away", lat="51.500000"),  # another cell
    ]
    import_path(store, "incidents", write("a.csv", police_csv(*rows)))
    cell = int(points_to_cells(np.array([51.45]), np.array([-2.59]), res=9)[0])
    filters = Filters(month_from="2024-01", month_to="2024-12", categories=(analysis.ASB,))
    places = analysis.places_in_cell(store, cell, res=9, filters=filters)
    assert places.to_dict("records") == [
        {"location": "On or near Park Street", "incidents": 2},
        {"location": "<img src=x onerror=alert(1)>", "incidents": 1},  # kept as text, exactly as typed
    ]


def test_a_pass_computes_each_statistic_once_and_ranks_from_the_tables_it_shows(demo, monkeypatch):
    store, cube = demo
    calls = count_calls(monkeypatch, analysis, "hotspot_table", "emerging_table")
    run = analysis.Pass(store, res=9, k=1, filters=Filters(categories=(analysis.ASB,)))
    np.testing.assert_array_equal(run.cube.counts, cube.counts)
    hot, emerging = run.hotspots(), run.emerging()
    ranked, scored, length = run.priority(top=10)
    assert run.hotspots() is hot and run.emerging() is emerging
    assert calls == {"hotspot_table": 1, "emerging_table": 1}  # the ranking read the tables above
    monkeypatch.undo()
    names = analysis.load_places(store, cube.area, filters=Filters(categories=(analysis.ASB,))).names
    fresh_ranked, fresh_scored, fresh_length = analysis.priority_table(
        cube, analysis.load_cases(store), top=10, places=names
    )
    pd.testing.assert_frame_equal(scored, fresh_scored)
    pd.testing.assert_frame_equal(ranked, fresh_ranked)
    assert length == fresh_length
    assert (scored["gi_z"].to_numpy() == hot["gi_z"].to_numpy()).all()
    assert set(run.timings) == {"study area", "cube", "weights", "hotspots", "emerging", "cases", "places", "priority"}
    assert run.places() is run.places()  # read once per pass
