"""The Trends page's controls for a cabinet member (AppTest): the comparison, the month-by-month map,
"my ward" by URL, the caveats and the rates per 1,000 residents.

Expected counts are the presentation labels of release cells added up here with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.demo import DEMO_DIR as DEMO
from geo.publish.privacy import suppress_labels
from geo.store import Store
from geo.store.importer import delete_import
from tests.conftest import patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
ASB = "Anti-social behaviour"
ST_ANNES, HARBOUR, MILLBROOK = "X05000004", "X05000001", "X05000003"  # demo ward codes (data/demo-synthetic)
GORSE_HILL = "XEST002"  # a demo estate


@pytest.fixture
def app(demo_town, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return AppTest.from_file(str(APP), default_timeout=patience(60))


def trends_as_cabinet(app: AppTest, *, area: str | None = None) -> AppTest:
    app.run()
    app.selectbox(key="auth_view_as").set_value("cabinet").run()
    if area is not None:
        app.query_params["area"] = area
    app.switch_page("pages/trends.py").run()
    assert not app.exception, app.exception
    return app


def captions(app: AppTest) -> str:
    return " ".join(c.value for c in app.caption)


def test_year_on_year_is_a_choice_and_the_table_and_caption_follow_it(app, release):
    app = trends_as_cabinet(app)
    assert app.radio(key="t_compare").value == "previous"
    app.select_slider(key="f_months").set_value(("2026-08", "2026-10")).run()
    assert "Changes compare with the months just before" in captions(app)
    app.radio(key="t_compare").set_value("year").run()
    assert not app.exception
    page = app.dataframe[0].value.set_index("ward")
    assert list(page.columns) == ["incidents", "per 1,000 residents", "a year earlier", "change"]
    c, wards = release.cells, release.areas[release.areas["layer"] == "ward"]
    rows = c[(c["measure"] == "incidents") & (c["layer"] == "ward") & (c["category"] == ASB)]
    rows = rows[rows["month"].isin(["2025-08", "2025-09", "2025-10"])]  # the quarter a year before
    sums = rows.groupby("area")["value"].sum().reindex(wards["code"], fill_value=0)
    assert page["a year earlier"].to_dict() == dict(zip(wards["name"], suppress_labels(sums.to_numpy()), strict=True))
    assert "Changes compare with the same months a year earlier" in captions(app)


def test_the_month_by_month_map_is_a_shading_choice_with_the_caveats_under_it(app):
    app = trends_as_cabinet(app)
    assert "month by month (play)" in app.radio(key="t_measure").options
    app.radio(key="t_measure").set_value("month").run()
    assert not app.exception
    text = captions(app)
    assert "one colour scale for every month" in text and "▶ Play" in text
    for words in ("reported to the police", "never reported", "approximate snap point", "Small counts are hidden"):
        assert words in text, words


def test_rates_per_1000_residents_are_the_published_count_over_the_nearest_ons_estimate(app):
    app = trends_as_cabinet(app)
    page = app.dataframe[0].value.set_index("ward")
    # the demo's own population file (ONS headings), read here on its own: the period ends 2026-10, and the
    # estimate nearest that month's end is mid-2025 (30 June 2025 is 16 months before; mid-2026 is not stored)
    pop = pd.read_csv(DEMO / "population.csv")
    pop = pop[pop["Mid-year"] == 2025].set_index("Ward Name")["All Ages"]
    checked = 0
    for ward, row in page.iterrows():
        shown = row["incidents"]
        if shown.startswith("fewer"):
            assert row["per 1,000 residents"] == "not shown", ward
            continue
        count = int(shown.removeprefix("≈ ").replace(",", ""))
        want = np.floor(count / pop[ward] * 1000 * 10 + 0.5) / 10  # one decimal, half up
        assert row["per 1,000 residents"] == f"{want:,.1f}", ward
        checked += 1
    assert checked >= 6
    assert "mid-2025" in captions(app) and "Counts, not rates" not in captions(app)


def test_without_a_population_table_the_page_says_counts_are_not_rates(demo_town, tmp_path, monkeypatch):
    url = store_url(tmp_path / "no-population.sqlite", template=demo_town)
    store = Store(url)
    imports = store.imports()
    population = int(imports.loc[imports["kind"] == "population", "id"].iloc[0])
    delete_import(store, population, user="t", role="analyst", reason="test: a town without populations")
    store.dispose()
    monkeypatch.setenv("NESTWATCH_DB", url)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    app = trends_as_cabinet(AppTest.from_file(str(APP), default_timeout=patience(60)))
    assert "Counts, not rates: no population table is loaded" in captions(app)
    assert "per 1,000 residents" not in app.dataframe[0].value.columns


def test_a_link_to_my_ward_preselects_it_and_the_url_follows_the_pick(app):
    app = trends_as_cabinet(app, area=ST_ANNES)
    assert app.multiselect(key="t_areas").value == [ST_ANNES]
    assert app.query_params["area"] == ST_ANNES
    app.multiselect(key="t_areas").set_value([HARBOUR, MILLBROOK]).run()
    assert not app.exception
    assert app.query_params["area"] == f"{HARBOUR},{MILLBROOK}"
    app.multiselect(key="t_areas").set_value([]).run()
    assert "area" not in app.query_params


def test_an_unknown_code_in_the_link_is_left_out_with_a_quiet_note(app):
    app = trends_as_cabinet(app, area=f"NOPE,{ST_ANNES}")
    assert app.multiselect(key="t_areas").value == [ST_ANNES]
    assert "The link asked for NOPE: no ward here has that code, so it was left out." in captions(app)
    assert not app.error and not any("link" in w.value for w in app.warning)  # a quiet note, not an alarm
    app.multiselect(key="t_areas").set_value([HARBOUR]).run()  # the note was about the link: it goes
    assert "The link asked for" not in captions(app)


def test_markdown_in_a_link_is_never_echoed_onto_the_page(app):
    # an image would be fetched from another host, a colour directive would restyle the note
    app = trends_as_cabinet(app, area="![x](https://example.com/x.png),:red[boo],<img src=x>")
    text = captions(app)
    assert "The link asked for 3 codes: no ward here has that code, so it was left out." in text
    assert "example.com" not in text and ":red[" not in text and "<img" not in text
    assert len(app.multiselect(key="t_areas").value) == 3  # the default wards


def test_only_unknown_codes_leave_the_default_areas(app):
    app = trends_as_cabinet(app, area="E05999999")
    assert len(app.multiselect(key="t_areas").value) == 3
    assert "The link asked for E05999999" in captions(app)


def test_a_link_to_an_estate_switches_the_boundaries_to_estates(app):
    app = trends_as_cabinet(app, area=GORSE_HILL)
    assert app.radio(key="f_layer").value == "estates"
    assert app.multiselect(key="t_areas").value == [GORSE_HILL]
    assert "estate" in app.dataframe[0].value.columns
    app.radio(key="f_layer").set_value("wards").run()  # the link applies once: the user can go back
    app.radio(key="t_compare").set_value("year").run()
    assert not app.exception
    assert app.radio(key="f_layer").value == "wards" and "ward" in app.dataframe[0].value.columns


def test_the_chart_tooltip_prints_published_words_not_numbers_with_decimals(app):
    app = trends_as_cabinet(app, area=ST_ANNES)
    [chart] = app.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    tooltip = spec["encoding"]["tooltip"]
    assert [t["field"] for t in tooltip] == ["area", "month", "shown"]
    data = pd.concat([pd.DataFrame(d) for d in _datasets(chart)], ignore_index=True)
    town = data[data["area"] == "Town (average per area)"]["shown"]
    assert len(town) == 12 and town.str.fullmatch(r"≈ [\d,]+ \(average of the shown counts\)").all()


def _datasets(chart) -> list[pd.DataFrame]:
    """The chart's data as the page sends it (Arrow tables)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
