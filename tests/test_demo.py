"""The synthetic demo town: deterministic, shaped as promised, loadable twice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo import demo
from geo.core.schema import ASB
from geo.store import Store
from geo.store.importer import import_path
from geo.store.provenance import REMOVE_DEMO_REASON, MixedDataError, store_has_held_real, store_is_synthetic
from tests.conftest import police_csv, police_row, store_url


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    return demo.write_demo_files(folder=tmp / "csv", boundaries=tmp / "b")


def test_generation_is_deterministic(files, tmp_path):
    again = demo.write_demo_files(folder=tmp_path / "csv", boundaries=tmp_path / "b")
    for kind, path in files.items():
        assert path.read_bytes() == again[kind].read_bytes(), kind


def test_committed_boundaries_match_the_generator(files):
    for kind in ("wards", "estates"):
        committed = demo.BOUNDARY_DIR / f"demo_{kind}.geojson"
        assert committed.read_text() == files[kind].read_text(), f"regenerate {committed}"


def test_shape_of_the_town(files):
    wards = json.loads(files["wards"].read_text())["features"]
    estates = json.loads(files["estates"].read_text())["features"]
    assert 6 <= len(wards) <= 10 and 4 <= len(estates) <= 6
    assert all("(synthetic)" in f["properties"]["name"] for f in wards + estates)
    inc = pd.read_csv(files["incidents"], dtype=str, keep_default_na=False)
    assert inc["Month"].nunique() == 36
    closures = pd.read_csv(files["closures"], dtype=str)
    flagged = pd.read_csv(files["flagged"], dtype=str)
    victims = pd.read_csv(files["victims"], dtype=str)
    assert (len(closures), len(flagged), len(victims)) == (15, 41, 50)
    assert flagged["UPRN"].str.startswith("0000").all()


def test_asb_near_closed_addresses_falls_after_the_order(files):
    inc = pd.read_csv(files["incidents"], dtype=str, keep_default_na=False)
    inc = inc[(inc["Crime type"] == ASB) & (inc["Latitude"] != "")]
    lat, lng = inc["Latitude"].astype(float).to_numpy(), inc["Longitude"].astype(float).to_numpy()
    month = pd.PeriodIndex(inc["Month"], freq="M")
    closures = pd.read_csv(files["closures"], dtype=str)
    falls = 0
    for _, c in closures.iterrows():
        granted = pd.Timestamp(pd.to_datetime(c["Granted"], dayfirst=True)).to_period("M")
        near = (np.abs(lat - float(c["Latitude"])) < 0.002) & (np.abs(lng - float(c["Longitude"])) < 0.003)
        before = ((month >= granted - 6) & (month < granted) & near).sum()
        after = ((month > granted) & (month <= granted + 6) & near).sum()
        falls += after < before
    assert falls >= 12


def test_emerging_hotspot_grows_in_the_last_year(files):
    inc = pd.read_csv(files["incidents"], dtype=str, keep_default_na=False)
    inc = inc[inc["Latitude"] != ""]
    h = demo.HOTSPOTS[-1]
    lng0, lat0 = demo.km_to_lnglat(np.array([h.x]), np.array([h.y]))
    near = (np.abs(inc["Latitude"].astype(float) - lat0[0]) < 0.003) & (
        np.abs(inc["Longitude"].astype(float) - lng0[0]) < 0.005
    )
    by_year = inc[near].groupby(inc["Month"].str.slice(0, 4)).size()
    months = sorted(inc["Month"].unique())
    first_year = inc[near & inc["Month"].isin(months[:12])].shape[0]
    last_year = inc[near & inc["Month"].isin(months[-12:])].shape[0]
    assert last_year > 3 * first_year, by_year


def test_load_demo_is_idempotent(store):
    first = demo.load_demo(store)
    assert all(r.rows == r.stored + r.rejected + r.already_present for r in first)
    assert store.count("wards") == 8 and store.count("flagged") == 41
    assert store_is_synthetic(store)
    second = demo.load_demo(store)
    assert sum(r.stored for r in second) == 0


def test_every_demo_import_is_marked_synthetic_in_the_log(demo_town):
    store = Store(demo_town)
    log = store.imports()
    assert sorted(log["kind"]) == sorted(
        [
            *("wards", "estates", "incidents", "closures", "flagged", "victims", "population", "properties"),
            *("patrols", "patrols"),  # the week's tracks: one unit's CSV pings, the other's GPX track
            *("signals", "signals"),  # the repairs export and the complaints log
            "lines",  # the intelligence links of two synthetic county lines
        ]
    )
    assert log["synthetic"].all() and log["deleted_at"].isna().all()
    store.dispose()


def test_every_demo_ward_has_a_plausible_population_for_each_mid_year(files):
    wards = {f["properties"]["code"] for f in json.loads(files["wards"].read_text())["features"]}
    people = pd.read_csv(files["population"], dtype=str)
    assert list(people.columns) == ["Ward Code", "Ward Name", "Mid-year", "All Ages"]  # ONS-style headings
    assert set(people["Ward Code"]) == wards and len(people) == len(wards) * 3  # one row per ward and mid-year
    assert sorted(set(people["Mid-year"])) == ["2023", "2024", "2025"]
    n = people["All Ages"].astype(int)
    assert n.between(5_000, 15_000).all()  # the size of English wards
    by_ward = people.assign(n=n).pivot(index="Ward Code", columns="Mid-year", values="n")
    assert ((by_ward["2025"] / by_ward["2023"] - 1).abs() < 0.03).all()  # under ~1 % a year, as small areas move


def test_the_demo_store_holds_every_ward_s_population_and_gives_the_latest_year_for_its_last_months(demo_town):
    from geo.store import read_population

    store = Store(demo_town)
    [line] = store.imports().query("kind == 'population'").to_dict("records")
    assert (line["rows"], line["stored"], line["rejected"]) == (24, 24, 0)
    assert "match no stored ward" not in line["notes"]  # every code is a demo ward's
    wards = store.read_boundaries("wards")
    # the demo's last twelve months, 2025-11 to 2026-10: June 2026 would be nearest, but there is no mid-2026
    # estimate, so every ward gets mid-2025 (16 months from October 2026; mid-2024 is 28)
    pop = read_population(store, months=("2025-11", "2026-10"))
    assert sorted(pop.index) == sorted(wards["code"]) and set(pop["year"]) == {2025}
    store.dispose()


@pytest.fixture
def demo_copy(demo_town, tmp_path):
    store = Store(store_url(tmp_path / "copy.sqlite", template=demo_town))
    yield store
    store.dispose()


def test_remove_demo_deletes_every_demo_import_with_an_audited_reason(demo_copy, write):
    from geo.demo._patrols import DEMO_WEEK
    from geo.store.patrols import read_plan

    assert read_plan(demo_copy, week=DEMO_WEEK) is not None
    removed = demo.remove_demo(demo_copy, user="ana", role="cli")
    assert [r.import_id for r in removed] == list(range(1, 14))  # oldest first
    assert removed[0].file.endswith("demo_wards.geojson") and removed[0].removed["wards"] == 8
    assert removed[5].removed["victims"] == 50
    assert removed[6].removed["population"] == 24  # 8 wards x 3 mid-years
    counts = demo_copy.counts()
    assert all(n == 0 for n in counts.values()), counts
    deletions = demo_copy.audit(action="delete")
    assert len(deletions) == 14 and set(deletions["reason"]) == {REMOVE_DEMO_REASON}
    assert set(deletions["user"]) == {"ana"} and sorted(deletions["target"]) == sorted(
        [*(f"import:{i}" for i in range(1, 14)), "plans:all"]
    )
    # the demo's saved week plan went too: plans are not imports
    assert read_plan(demo_copy, week=DEMO_WEEK) is None
    assert not store_is_synthetic(demo_copy) and not store_has_held_real(demo_copy)
    assert demo.remove_demo(demo_copy, user="ana", role="cli") == []  # nothing left to remove
    assert import_path(demo_copy, "incidents", write("real.csv", police_csv(police_row()))).stored == 1


def test_remove_demo_never_touches_a_real_import(store, write):
    """Even in a store mixed by hand: which imports go is the flag alone, not the file's name."""
    import_path(store, "incidents", write("demo-synthetic/incidents.csv", police_csv(police_row())))  # real
    import_path(store, "incidents", write("b.csv", police_csv(police_row(month="2024-02"))))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE imports SET synthetic = :t WHERE id = 2"), {"t": True})
    removed = demo.remove_demo(store, user="ana", role="cli")
    assert [(r.import_id, r.removed) for r in removed] == [(2, {"incidents": 1, "rejects": 0})]
    log = store.imports().set_index("id")
    assert pd.isna(log.loc[1, "deleted_at"]) and store.count("incidents") == 1


def test_the_demo_is_refused_beside_real_data(store, write):
    import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    with pytest.raises(MixedDataError, match="fresh store"):
        demo.load_demo(store)
    assert len(store.imports()) == 1
