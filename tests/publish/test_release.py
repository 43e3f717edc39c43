"""The published release: hand-made pieces perturbed by hand, the sums views make, and one noise per piece.

The perturbed values are read off SECURITY.md's table by hand, with the cell keys
chosen so that each lands on a known share (keys run through a row's values in
the order the table lists them; see tests/publish/test_ptable.py):

* 1: keys 0..170 -> 0, 171..255 -> 3
* 2: keys 0..101 -> 0, 102..204 -> 3, 205..255 -> 4
* 3: keys 0..76 -> 0, 77..204 -> 4, 205..255 -> 5
* 4: keys 0..153 -> 3, 154..204 -> 5, 205..255 -> 6
* 5 and up: keys 0..25 -> -2, 26..89 -> -1, 90..165 -> +0, 166..229 -> +1, 230..255 -> +2

Pieces are perturbed, and every area is a sum of published pieces: a ward its
pieces in and out of estates, an estate its pieces in any ward, the town the
pieces inside it, *all* every piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError, StoreError
from geo.core.schema import ASB
from geo.publish._cells import PIECE_COLUMNS, BaseCells, YearEffect, base_cells, pieces_to_layers
from geo.publish.areas import released_areas
from geo.publish.release import (
    MIN_ORDERS,
    Release,
    _protect_effect,
    loaded_monthly,
    loaded_totals,
    min_orders,
    protect,
    release_for,
)
from geo.stats.evaluate import Effect
from geo.store import Store
from geo.store.backup import export_all, import_all
from geo.store.importer import import_path
from tests.conftest import drop_store, police_csv, store_url
from tests.publish.test_cells import B, build_town, incident_rows
from tests.publish.test_ptable import by_hand

DRUGS, ROBBERY = "Drugs", "Robbery"
M1, M2, M3 = "2024-01", "2024-02", "2024-03"

#: measure, ward, estate, in town, month, category, true value, cell key, and the published value by hand
HAND = [
    ("incidents", "W1", "", True, M1, ASB, 1, 200, 3),  # row 1, key 200 >= 171
    ("incidents", "W1", "", True, M1, DRUGS, 7, 0, 5),  # 7 - 2
    ("incidents", "W1", "", True, M2, ASB, 12, 255, 14),  # 12 + 2
    ("incidents", "W2", "", True, M1, ASB, 2, 50, 0),  # row 2, key 50 < 102: dropped
    ("incidents", "W2", "X1", True, M1, ASB, 4, 160, 5),  # row 4, 154 <= 160 < 205
    ("incidents", "W2", "X1", True, M2, DRUGS, 3, 100, 4),  # row 3, 77 <= 100 < 205
    ("incidents", "", "X1", True, M1, ASB, 3, 210, 5),  # the estate outside every ward; row 3, 210 >= 205
    ("incidents", "", "", False, M1, ASB, 5, 166, 6),  # outside the town; 5 + 1
    ("incidents", "", "", False, M2, ROBBERY, 3, 205, 5),  # row 3, 205
    ("incidents", "", "", False, M3, DRUGS, 6, 230, 8),  # 6 + 2
    ("incidents", "W3", "", True, M2, DRUGS, 3, 76, 0),  # row 3, key 76 < 77: dropped
    ("incidents", "W1", "", True, M3, DRUGS, 20, 89, 19),  # 20 - 1
    ("people_safeguarded", "W1", "", True, M1, "", 4, 153, 3),  # row 4, 153 < 154
    ("people_safeguarded", "", "", True, M1, "", 4, 154, 5),  # a shared count for no known area; row 4, 154
    ("orders_secured", "W2", "X1", True, M1, "", 2, 204, 3),  # row 2, 102 <= 204 < 205
    ("orders_secured", "", "", False, M1, "", 2, 205, 4),  # row 2, 205
    ("flagged_opened", "W1", "", True, M2, "", 1, 170, 0),  # row 1, 170 < 171: dropped
    ("flagged_opened", "W2", "", True, M1, "", 1, 171, 3),  # row 1, 171
    ("flagged_resolved", "W1", "", True, M1, "", 5, 255, 7),  # 5 + 2
]
#: The release those pieces make, area by area, added up by hand from the published pieces above.
RELEASED = {
    # incidents: W1 3, 5, 14, 19 (Drugs, March); W2 5 (its plain piece was dropped), 4; W3's one piece dropped
    ("incidents", "ward", "W1", M1, ASB): 3,
    ("incidents", "ward", "W1", M1, DRUGS): 5,
    ("incidents", "ward", "W1", M2, ASB): 14,
    ("incidents", "ward", "W1", M3, DRUGS): 19,
    ("incidents", "ward", "W2", M1, ASB): 5,
    ("incidents", "ward", "W2", M2, DRUGS): 4,
    # X1: its piece in W2 and its piece outside every ward: 5 + 5
    ("incidents", "estate", "X1", M1, ASB): 10,
    ("incidents", "estate", "X1", M2, DRUGS): 4,
    # the town: January ASB 3 + 5 + 5 = 13 (W1, W2-and-X1, X1 alone)
    ("incidents", "town", "", M1, ASB): 13,
    ("incidents", "town", "", M1, DRUGS): 5,
    ("incidents", "town", "", M2, ASB): 14,
    ("incidents", "town", "", M2, DRUGS): 4,
    ("incidents", "town", "", M3, DRUGS): 19,
    # all: the town and the pieces outside it: January ASB 13 + 6; Robbery 5; March Drugs 19 + 8
    ("incidents", "all", "", M1, ASB): 19,
    ("incidents", "all", "", M1, DRUGS): 5,
    ("incidents", "all", "", M2, ASB): 14,
    ("incidents", "all", "", M2, DRUGS): 4,
    ("incidents", "all", "", M2, ROBBERY): 5,
    ("incidents", "all", "", M3, DRUGS): 27,
    ("people_safeguarded", "ward", "W1", M1, ""): 3,
    ("people_safeguarded", "town", "", M1, ""): 8,  # 3 + 5
    ("people_safeguarded", "all", "", M1, ""): 8,
    ("orders_secured", "ward", "W2", M1, ""): 3,
    ("orders_secured", "estate", "X1", M1, ""): 3,
    ("orders_secured", "town", "", M1, ""): 3,
    ("orders_secured", "all", "", M1, ""): 7,  # 3 + 4 outside the town
    ("flagged_opened", "ward", "W2", M1, ""): 3,
    ("flagged_opened", "town", "", M1, ""): 3,
    ("flagged_opened", "all", "", M1, ""): 3,
    ("flagged_resolved", "ward", "W1", M1, ""): 7,
    ("flagged_resolved", "town", "", M1, ""): 7,
    ("flagged_resolved", "all", "", M1, ""): 7,
}
AREAS = pd.DataFrame(
    {
        "layer": ["ward", "ward", "ward", "estate"],
        "code": ["W1", "W2", "W3", "X1"],
        "name": ["One", "Two", "Three", "Ex"],
    }
)
NO_OUTLINES = gpd.GeoDataFrame({"layer": [], "code": [], "name": []}, geometry=[], crs="EPSG:4326")

# the closure comparison per year: 2023 over 4 orders (too few), 2024 over 5 (just enough), 2025 over 9
EFFECT_2023 = Effect(4, 0, 10, 10, 1, 1, 50, 50)
EFFECT_2024 = Effect(5, 2, 10, 6, 3, 4, 40, 30, earlier=1, earlier_before=None)
EFFECT_2025 = Effect(9, 0, 2, 0, 5, 1, 12, 3, earlier=4, earlier_before=2)


def hand_base(*, areas: pd.DataFrame = AREAS, months: tuple[str, str] | None = (M1, M3)) -> BaseCells:
    pieces = pd.DataFrame([row[:8] for row in HAND], columns=PIECE_COLUMNS)
    effects = {
        2023: YearEffect(2023, EFFECT_2023, 99, ("note 2023",)),
        2024: YearEffect(2024, EFFECT_2024, 7, ("note 2024",)),
        2025: YearEffect(2025, EFFECT_2025, 250, ()),
    }
    return BaseCells(
        pieces=pieces,
        cells=pieces_to_layers(pieces),
        areas=areas,
        months=months,
        quiet_from=M3,
        victims_from="counts",
        boundaries=NO_OUTLINES,
        effects=effects,
    )


@pytest.fixture
def release() -> Release:
    return protect(hand_base(), version="7.0")


# --------------------------------------------------------------------------- protect, by hand


def released(release: Release) -> dict[tuple[str, str, str, str, str], int]:
    c = release.cells
    keys = zip(c["measure"], c["layer"], c["area"], c["month"], c["category"], strict=True)
    return dict(zip(keys, c["value"].astype(int), strict=True))


def test_every_piece_is_perturbed_by_its_key_and_areas_are_sums_of_pieces(release):
    for row in HAND:  # the table as written in the module docstring, key by key
        assert by_hand(row[6], row[7]) == row[8], row
    assert released(release) == RELEASED
    assert list(release.cells.columns) == ["measure", "layer", "area", "month", "category", "value"]  # no key
    assert (release.cells["value"] > 0).all()
    assert release.cells.index.tolist() == list(range(len(release.cells)))


def test_the_published_town_is_the_sum_of_its_published_parts(release):
    """What a reader knows of the true counts (wards and estates outside them add up to the town) holds here too."""
    for month in (M1, M2, M3):
        for category in (ASB, DRUGS, ROBBERY):
            wards = release.totals("incidents", layer="ward", months=[month], categories=[category]).sum()
            town = release.value("incidents", area=None, months=[month], categories=[category])
            alone = 5 if (month, category) == (M1, ASB) else 0  # X1's published piece outside every ward
            assert town == wards + alone, (month, category)


def test_the_release_carries_what_the_data_covers(release):
    assert release.version == "7.0"
    assert release.months == (M1, M3) and release.quiet_from == M3 and release.victims_from == "counts"
    assert release.areas is AREAS and release.boundaries is NO_OUTLINES
    assert release.min_orders == MIN_ORDERS == 5


def test_the_base_cells_are_left_as_they_were():
    base = hand_base()
    protect(base, version="1")
    assert base.pieces["value"].tolist() == [row[6] for row in HAND]
    assert base.pieces["key"].tolist() == [row[7] for row in HAND]


# --------------------------------------------------------------------------- sums of released cells


def test_totals_sum_the_cells_of_a_layer_months_and_categories(release):
    wards = ["W1", "W2", "W3"]
    t = release.totals("incidents", layer="ward", months=[M1])
    assert t.index.tolist() == wards and t.tolist() == [8, 5, 0]  # W1: 3 + 5; W2 5; W3's piece was published as 0
    assert t.dtype == np.int64
    assert release.totals("incidents", layer="ward", months=[M1, M2], categories=[ASB]).tolist() == [17, 5, 0]
    assert release.totals("incidents", layer="ward", months=[M1, M2], categories=[DRUGS]).tolist() == [5, 4, 0]
    both = release.totals("incidents", layer="ward", months=[M1, M2], categories=[ASB, DRUGS])
    assert both.tolist() == [22, 9, 0]  # 3 + 5 + 14; 5 + 4
    assert release.totals("incidents", layer="ward", months=[M2, M1]).tolist() == [22, 9, 0]  # any order of months
    assert release.totals("incidents", layer="ward", months=[]).tolist() == [0, 0, 0]
    assert release.totals("incidents", layer="estate", months=[M1, M2]).to_dict() == {"X1": 14}  # 10 + 4
    assert release.totals("incidents", layer="town", months=[M1, M2]).to_dict() == {"": 36}  # 13 + 5 + 14 + 4
    assert release.totals("incidents", layer="all", months=[M1, M2, M3]).to_dict() == {"": 74}  # 19+5+14+4+5+27
    assert release.totals("incidents", layer="all", months=[M3]).to_dict() == {"": 27}
    assert release.totals("people_safeguarded", layer="ward", months=[M1]).tolist() == [3, 0, 0]
    assert release.totals("people_safeguarded", layer="town", months=[M1]).to_dict() == {"": 8}
    assert release.totals("flagged_opened", layer="all", months=[M1, M2]).to_dict() == {"": 3}
    assert release.totals("quiet_addresses", layer="town", months=[M1]).to_dict() == {"": 0}  # no cells at all


def test_monthly_gives_each_area_by_month(release):
    table = release.monthly("incidents", layer="ward", months=[M1, M2, M3])
    assert table.index.tolist() == ["W1", "W2", "W3"] and table.columns.tolist() == [M1, M2, M3]
    assert table.to_numpy().tolist() == [[8, 14, 19], [5, 4, 0], [0, 0, 0]]
    assert table.dtypes.eq(np.int64).all()
    asb = release.monthly("incidents", layer="ward", months=[M1, M2], categories=[ASB])
    assert asb.to_numpy().tolist() == [[3, 14], [5, 0], [0, 0]]
    town = release.monthly("incidents", layer="town", months=[M2, M1], categories=[ASB])
    assert town.index.tolist() == [""] and town.columns.tolist() == [M2, M1] and town.to_numpy().tolist() == [[14, 13]]
    nothing = release.monthly("orders_active", layer="ward", months=[M1])
    assert nothing.to_numpy().tolist() == [[0], [0], [0]]


def test_value_is_one_area_or_the_town(release):
    assert release.value("incidents", area=None, months=[M1]) == 18  # the town: 13 + 5
    assert release.value("incidents", area="W1", months=[M1]) == 8
    assert release.value("incidents", area="X1", months=[M1, M2]) == 14
    assert release.value("incidents", area="W3", months=[M1, M2]) == 0
    assert release.value("incidents", area=None, months=[M1, M2], categories=[DRUGS]) == 9  # 5 + 4
    assert release.value("orders_secured", area=None, months=[M1]) == 3  # the town's, not all's 7


def test_codes_and_layers(release):
    assert release.codes("ward") == ["W1", "W2", "W3"]
    assert release.codes("estate") == ["X1"]
    assert release.codes("town") == [""] and release.codes("all") == [""]
    assert release.layer_of("X1") == "estate" and release.layer_of("W2") == "ward"


def test_unknown_measures_and_areas_are_option_errors(release):
    words = (
        "unknown measure 'asb': expected one of incidents, people_safeguarded, orders_secured, orders_active, "
        "flagged_opened, flagged_resolved, quiet_addresses"
    )
    with pytest.raises(OptionError, match=f"^{words}$") as caught:
        release.totals("asb", layer="ward", months=[M1])
    assert caught.value.option == "measure"
    with pytest.raises(OptionError, match="unknown measure"):
        release.monthly("victims", layer="ward", months=[M1])
    with pytest.raises(OptionError, match="unknown area code 'E05999999'") as caught:
        release.value("incidents", area="E05999999", months=[M1])
    assert caught.value.option == "area"


def test_loaded_totals_and_monthly_use_every_record_only(release):
    # "all" cells only: incidents 19 + 5 + 14 + 4 + 5 + 27 = 74; flagged opened 3 (its other piece was published
    # as 0; resolved addresses are not "loaded"); closure orders 7 (all's, not the town's 3)
    assert loaded_totals(release) == {"incidents": 74, "flagged": 3, "closures": 7}
    monthly = loaded_monthly(release)
    assert monthly.index.tolist() == [M1, M2, M3]
    assert monthly.columns.tolist() == [ASB, "Other crime"]
    # January ASB 19, Drugs 5; February ASB 14, Drugs 4 + Robbery 5; March no ASB, Drugs 27
    assert monthly.to_numpy().tolist() == [[19, 5], [14, 9], [0, 27]]
    assert monthly.dtypes.eq(np.int64).all()


# --------------------------------------------------------------------------- the closure comparison


def test_effects_need_enough_orders_and_each_count_has_its_own_key(release):
    e = release.effects
    assert sorted(e) == [2023, 2024, 2025]
    # 2023: 4 orders, fewer than 5: no figures, only how many were measured
    assert (e[2023].year, e[2023].measured, e[2023].effect, e[2023].notes) == (2023, 4, None, ("note 2023",))
    # 2024 (key 7): field i uses key (7 + 101 (i + 1)) mod 256:
    #   treatment_before 10 at 108 -> +0 = 10;  treatment_after 6 at 209 -> +1 = 7;  ring_before 3 at 310-256 = 54 -> 0
    #   ring_after 4 at 411-256 = 155 -> 5;     control_before 40 at 512-512 = 0 -> -2 = 38
    #   control_after 30 at 613-512 = 101 -> 30; earlier 1 at 714-512 = 202 -> 3; earlier_before: None stays None
    assert (e[2024].year, e[2024].measured, e[2024].notes) == (2024, 5, ("note 2024",))
    assert e[2024].effect == Effect(5, 2, 10, 7, 0, 5, 38, 30, earlier=3, earlier_before=None)
    # 2025 (key 250): 2 at 351-256 = 95 -> 0; 0 at 452-256 = 196 -> 0; 5 at 553-512 = 41 -> 4; 1 at 654-512 = 142 -> 0;
    #   12 at 755-512 = 243 -> 14; 3 at 856-768 = 88 -> 4; earlier 4 at 957-768 = 189 -> 5; 2 at 1058-1024 = 34 -> 0
    assert e[2025].effect == Effect(9, 0, 0, 0, 4, 0, 14, 4, earlier=5, earlier_before=0)
    assert all(isinstance(getattr(e[2025].effect, f), float) for f in ("treatment_before", "earlier", "earlier_before"))
    assert e[2025].year == 2025 and e[2025].notes == ()


def test_each_count_of_an_effect_is_protected_on_its_own():
    # a missing count leaves the ones after it: earlier_before (field 8) at key 0 + 808 - 768 = 40 -> row 3 -> 0;
    # treatment_before 10 at key 101 -> +0
    got = _protect_effect(Effect(5, 1, 10, 10, 10, 10, 10, 10, earlier=None, earlier_before=3), 0)
    assert (got.used, got.skipped, got.treatment_before, got.earlier, got.earlier_before) == (5, 1, 10, None, 0)


def test_the_fewest_orders_come_from_the_setting(monkeypatch):
    monkeypatch.setenv("NESTWATCH_MIN_ORDERS", "9")
    r = protect(hand_base(), version="1")
    assert r.min_orders == 9 and min_orders() == 9
    assert r.effects[2024].effect is None and r.effects[2024].measured == 5
    assert r.effects[2025].effect is not None  # 9 orders: enough
    monkeypatch.setenv("NESTWATCH_MIN_ORDERS", "10")
    assert protect(hand_base(), version="1").effects[2025].effect is None
    monkeypatch.setenv("NESTWATCH_MIN_ORDERS", "2")
    assert protect(hand_base(), version="1").effects[2023].effect is not None


@pytest.mark.parametrize(("raw", "words"), [("five", "a whole number"), ("1", "2 or more"), ("-3", "2 or more")])
def test_a_bad_setting_of_the_fewest_orders_is_an_option_error(monkeypatch, raw, words):
    monkeypatch.setenv("NESTWATCH_MIN_ORDERS", raw)
    with pytest.raises(OptionError, match=f"NESTWATCH_MIN_ORDERS must be {words}") as caught:
        min_orders()
    assert caught.value.option == "NESTWATCH_MIN_ORDERS"
    with pytest.raises(OptionError):
        protect(hand_base(), version="1")


def test_the_default_fewest_orders_is_five(monkeypatch):
    monkeypatch.delenv("NESTWATCH_MIN_ORDERS", raising=False)
    assert min_orders() == 5


# --------------------------------------------------------------------------- released_areas


def test_released_areas_now_and_the_months_before(release):
    got = released_areas(release, layer="wards", start=M2, end=M2)
    # February against January (the data starts in January, so it reaches back): W1 14 vs 3 + 5 = 8; W2 4 vs 5
    assert (got.layer, got.months, got.previous_months, got.compared) == ("ward", (M2,), (M1,), True)
    assert got.table.to_dict("list") == {
        "code": ["W1", "W2", "W3"],
        "name": ["One", "Two", "Three"],
        "count": [14, 4, 0],
        "previous": [8, 5, 0],
    }
    assert got.monthly.to_numpy().tolist() == [[14], [4], [0]] and got.monthly.columns.tolist() == [M2]
    drugs = released_areas(release, layer="wards", start=M2, end=M2, categories=[DRUGS])
    assert drugs.table["count"].tolist() == [0, 4, 0] and drugs.table["previous"].tolist() == [5, 0, 0]
    estates = released_areas(release, layer="estates", start=M2, end=M2)
    assert estates.table.to_dict("list") == {"code": ["X1"], "name": ["Ex"], "count": [4], "previous": [10]}


def test_released_areas_without_earlier_data_compares_nothing(release):
    got = released_areas(release, layer="wards", start=M1, end=M2)  # before: 2023-11 .. 2023-12, not in the data
    assert not got.compared and got.previous_months == ("2023-11", "2023-12")
    assert got.table["count"].tolist() == [22, 9, 0] and got.table["previous"].isna().all()
    assert got.monthly.to_numpy().tolist() == [[8, 14], [5, 4], [0, 0]]
    empty = protect(hand_base(months=None), version="0")
    assert not released_areas(empty, layer="wards", start=M2, end=M2).compared


def test_released_areas_needs_that_layer_loaded_and_a_known_layer(release):
    wards_only = protect(hand_base(areas=AREAS[AREAS["layer"] == "ward"].reset_index(drop=True)), version="1")
    with pytest.raises(StoreError, match="no estates are loaded"):
        released_areas(wards_only, layer="estates", start=M1, end=M1)
    assert released_areas(wards_only, layer="wards", start=M1, end=M1).table["count"].tolist() == [8, 5, 0]
    with pytest.raises(OptionError, match="layer must be one of") as caught:
        released_areas(release, layer="ward", start=M1, end=M1)
    assert caught.value.option == "layer"


# --------------------------------------------------------------------------- the release of a store


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The town of tests/publish/test_cells.py, built once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("release_town")

    def write(name: str, content: str) -> Path:
        (folder / name).write_text(content, encoding="utf-8")
        return folder / name

    url = store_url(folder / "town.sqlite")
    store = build_town(Store(url), write)
    yield store
    store.dispose()
    drop_store(url)


def _frames_equal(a: Release, b: Release) -> None:
    pd.testing.assert_frame_equal(a.cells, b.cells)
    assert a.effects == b.effects and a.months == b.months and a.quiet_from == b.quiet_from


def test_the_release_of_a_store_is_its_pieces_perturbed_by_their_keys(town):
    base, release = base_cells(town), release_for(town)
    assert release.version == town.data_version()
    published = base.pieces.assign(
        value=[by_hand(int(v), int(k)) for v, k in zip(base.pieces["value"], base.pieces["key"], strict=True)]
    )
    shown = published[published["value"] > 0]
    # each area added up here from the published pieces: a ward its own, the estate its own, the town the
    # pieces inside it, all of them
    expected: dict[tuple[str, str, str, str, str], int] = {}
    for p in shown.itertuples(index=False):
        areas = [("all", "")]
        areas += [("town", "")] if p.town else []
        areas += [("ward", p.ward)] if p.ward else []
        areas += [("estate", p.estate)] if p.estate else []
        for layer, area in areas:
            cell = (p.measure, layer, area, p.month, p.category)
            expected[cell] = expected.get(cell, 0) + int(p.value)
    assert released(release) == expected
    # most pieces hold 1 record, published as 0 for 171 keys in 256: some show, some are dropped
    assert 0 < len(shown) < len(base.pieces)


def test_a_stores_published_wards_add_up_to_its_town(town):
    """The town's estate lies inside a ward, so every published town figure is the sum of its wards'."""
    release = release_for(town)
    c = release.cells
    for (measure, month, category), group in c[c["layer"].isin(["ward", "town"])].groupby(
        ["measure", "month", "category"]
    ):
        wards = int(group.loc[group["layer"] == "ward", "value"].sum())
        town_value = int(group.loc[group["layer"] == "town", "value"].sum())
        assert town_value == wards, (measure, month, category)
        estate = c[
            (c["layer"] == "estate") & (c["measure"] == measure) & (c["month"] == month) & (c["category"] == category)
        ]
        w2 = group.loc[(group["layer"] == "ward") & (group["area"] == "W2"), "value"].sum()
        assert estate["value"].sum() <= w2  # X1 lies inside W2: never more than W2 in what is shown either


def test_the_same_store_gives_the_same_release_every_time(town):
    first = release_for(town)
    _frames_equal(first, release_for(town))
    again = Store(town.url)  # another process, as the report or the CLI would be
    _frames_equal(first, release_for(again))
    again.dispose()


def test_a_restored_backup_gives_the_same_release(town, tmp_path):
    first = release_for(town)
    export_all(town, tmp_path / "backup")
    url = store_url(tmp_path / "restored.sqlite")
    restored = Store(url)
    try:
        import_all(restored, tmp_path / "backup")
        assert restored.release_secret() == town.release_secret()
        _frames_equal(first, release_for(restored))
    finally:
        restored.dispose()
        drop_store(url)


def test_the_same_files_in_another_store_get_other_noise(town, tmp_path, write):
    """Another store has another secret: its record keys, and so its noise, are its own.

    Each cell has the same published value in both with probability at most (171^2 + 85^2)/256^2 = 0.56
    (a count of 1); over 50-odd cells all agreeing by chance is under 1e-12.
    """
    url = store_url(tmp_path / "other.sqlite")
    other = build_town(Store(url), write)
    try:
        a, b = release_for(town), release_for(other)
        assert other.release_secret() != town.release_secret()
        assert not a.cells.equals(b.cells)
        truth = base_cells(town).pieces.drop(columns="key")
        pd.testing.assert_frame_equal(truth, base_cells(other).pieces.drop(columns="key"))  # the same true counts
    finally:
        other.dispose()
        drop_store(url)


def test_a_later_import_leaves_the_cells_it_does_not_touch_as_they_were(store, write):
    town = build_town(store, write)
    before = release_for(town)
    # incidents of a new month, 2025-02, at B: new incident cells, and stock cells for the new month end
    assert import_path(town, "incidents", write("more.csv", police_csv(*incident_rows(B, "2025-02", 2)))).stored == 2
    flagged = "ref,address,lat,lng,first_flagged,status,closed\nF9,6 B St,51.45,-2.585,2024-05-03,open,\n"
    assert import_path(town, "flagged", write("more_flagged.csv", flagged)).stored == 1
    after = release_for(town)
    assert after.version != before.version
    keys = ["measure", "layer", "area", "month", "category"]
    joined = before.cells.merge(after.cells, on=keys, how="outer", suffixes=("_before", "_after"), indicator=True)
    kept = joined[joined["_merge"] == "both"]
    assert len(kept) == len(before.cells)  # every cell of the first release is still there ...
    assert (kept["value_before"] == kept["value_after"]).all()  # ... with the same noise
    new = joined[joined["_merge"] == "right_only"]
    # new cells only for what the imports touched (how many: two incidents and one flag can be released as 0,
    # which is not stored, so that depends on the store's random release secret)
    assert set(new["month"]) <= {"2025-02", "2024-05"}
    assert set(new.loc[new["month"] == "2024-05", "measure"]) <= {"flagged_opened"}
