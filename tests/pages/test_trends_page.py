"""The Trends page: one count per ward (as ``python -m geo areas`` and Outcomes give it); the emerging rule named.

Every count is the label of a sum of the protected release's cells: checked against sums of
:attr:`Release.cells` rows made here (pandas on the cells frame), for every role that opens the page.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.publish.privacy import suppress_labels
from geo.publish.release import Release
from geo.stats.aggregate import month_range
from geo.store import Store
from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"
ASB = "Anti-social behaviour"


def release_labels(release: Release, layer: str, months: list[str], *, by: str = "name") -> dict[str, str]:
    """ASB per area of ``layer`` over ``months``: the cells added up here, shown by the presentation rule."""
    c, areas = release.cells, release.areas[release.areas["layer"] == layer]
    rows = c[(c["measure"] == "incidents") & (c["layer"] == layer) & c["month"].isin(months) & (c["category"] == ASB)]
    sums = rows.groupby("area")["value"].sum().reindex(areas["code"], fill_value=0)
    return dict(zip(areas[by], suppress_labels(sums.to_numpy()), strict=True))


@pytest.fixture
def app(demo_town, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return AppTest.from_file(str(APP), default_timeout=patience(60))


def _as(app: AppTest, role: str) -> AppTest:
    app.run()
    app.selectbox(key="auth_view_as").set_value(role).run()
    app.switch_page("pages/trends.py").run()
    assert not app.exception, app.exception
    return app


def _cli_areas(db: str, *argv: str, capsys) -> pd.DataFrame:
    from geo.cli import main

    assert main(["areas", "--db", db, *argv, "--out", "-"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("months", [("2025-11", "2026-10"), ("2026-08", "2026-10")])
def test_every_ward_on_the_page_has_the_count_geo_areas_publishes(app, demo_town, capsys, months):
    app = _as(app, "cabinet")
    app.select_slider(key="f_months").set_value(months).run()
    assert not app.exception
    page = app.dataframe[0].value.set_index("ward")
    cli = _cli_areas(demo_town, "--from", months[0], "--to", months[1], "--published", capsys=capsys)
    cli = cli.set_index("name")
    assert sorted(page.index) == sorted(cli.index)  # every ward, none twice
    assert page["incidents"].to_dict() == cli["count"].to_dict()
    assert page["previous period"].to_dict() == cli["previous"].to_dict()


def _shown_value(text: str) -> float:
    """A label back to the value it shows (NaN for "fewer than N"); a rounded total's "≈ " mark aside."""
    text = text.removeprefix("≈").strip()
    return float(text.replace(",", "")) if text[0].isdigit() else float("nan")


@pytest.mark.parametrize("role", ["cabinet", "inspector", "analyst"])
def test_the_page_prints_the_release_s_sums_for_every_role(app, demo_town, release, role):
    """Each ward's incidents and previous period are labels of release sums (the default view:
    2025-11..2026-10 against 2024-11..2025-10, ASB), the change is worded from those labels alone, and
    the screen says its figures are published ones: inspectors and analysts get the cabinet's figures."""
    from geo.plan.areas import area_table
    from geo.publish.areas import change_to_text

    app = _as(app, role)
    page = app.dataframe[0].value.set_index("ward")
    now = release_labels(release, "ward", month_range("2025-11", "2026-10"))
    before = release_labels(release, "ward", month_range("2024-11", "2025-10"))
    assert page["incidents"].to_dict() == now and page["previous period"].to_dict() == before
    for name, row in page.iterrows():
        a, b = _shown_value(now[name]), _shown_value(before[name])
        change = a / b - 1 if b > 0 else float("nan")  # NaN stays NaN: a hidden side gives no change
        assert row["change"] == change_to_text(change, a, b, compared=True), name
    caption = " ".join(c.value for c in app.caption)
    assert "Published figures, the same for every role" in caption and "noise" in caption
    # the comparison above can fail: some ward's release sum is not its exact count
    store = Store(demo_town)
    try:
        exact = area_table(store, layer="wards", start="2025-11", end="2026-10", categories=(ASB,))
    finally:
        store.dispose()
    c = release.cells
    picked = c[
        (c["measure"] == "incidents") & (c["layer"] == "ward") & c["month"].isin(month_range("2025-11", "2026-10"))
    ]
    sums = picked[picked["category"] == ASB].groupby("area")["value"].sum()
    assert (exact.table.set_index("code")["count"] != sums.reindex(exact.table["code"], fill_value=0)).any()


def test_a_narrower_period_estates_and_other_categories_are_release_sums_too(app, release):
    app = _as(app, "cabinet")
    app.select_slider(key="f_months").set_value(("2026-08", "2026-10")).run()
    app.radio(key="f_layer").set_value("estates").run()
    app.multiselect(key="f_categories").set_value(["Anti-social behaviour", "Burglary"]).run()
    assert not app.exception
    page = app.dataframe[0].value.set_index("estate")
    c, estates = release.cells, release.areas[release.areas["layer"] == "estate"]
    rows = c[
        (c["measure"] == "incidents") & (c["layer"] == "estate") & c["month"].isin(["2026-08", "2026-09", "2026-10"])
    ]
    sums = rows[rows["category"].isin([ASB, "Burglary"])].groupby("area")["value"].sum()
    want = dict(
        zip(estates["name"], suppress_labels(sums.reindex(estates["code"], fill_value=0).to_numpy()), strict=True)
    )
    assert page["incidents"].to_dict() == want


def test_outcomes_and_trends_agree_for_every_ward_and_estate(demo_town, monkeypatch, release):
    from dashboard.trends import area_table
    from dashboard.view import View
    from geo.publish.published import published_outcomes

    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    store = Store(demo_town)
    try:
        pack = published_outcomes(store, start="2025-05", end="2026-04", area=None)
    finally:
        store.dispose()
    for layer, word in (("ward", "wards"), ("estate", "estates")):
        outcomes = pack.areas[pack.areas["layer"] == layer].set_index("code")
        trends = area_table(View(month_from="2025-05", month_to="2026-04", categories=(ASB,), layer=word))
        trends = trends.set_index("code")
        assert sorted(outcomes.index) == sorted(trends.index)
        assert outcomes["asb_text"].to_dict() == trends["shown_now"].to_dict()
        assert outcomes["asb_previous_text"].to_dict() == trends["shown_before"].to_dict()
        assert outcomes["change_text"].to_dict() == trends["change_text"].to_dict()
        assert outcomes["asb_text"].to_dict() == release_labels(
            release, layer, month_range("2025-05", "2026-04"), by="code"
        )


# --------------------------------------------------------------------------- emerging hot spots: which rule


def test_the_emerging_rule_is_a_control_and_the_caption_names_it_and_its_first_month(app):
    app = _as(app, "inspector")
    assert app.radio(key="t_trend").value == "complete"  # the documented default
    caption = " ".join(c.value for c in app.caption)
    assert "trend rule is “complete months”" in caption
    assert "trend over 2025-12..2026-10, 11 months with a complete neighbourhood (2025-11 left out)" in caption
    app.radio(key="t_trend").set_value("esri").run()
    assert not app.exception
    caption = " ".join(c.value for c in app.caption)
    assert "trend rule is “every month, as Esri”" in caption
    assert "trend over 2025-11..2026-10, every month (12)" in caption


def test_with_fewer_than_ten_trend_months_the_page_says_so_instead_of_a_map(app):
    app = _as(app, "inspector")
    app.select_slider(key="f_months").set_value(("2026-01", "2026-10")).run()  # 10 months: 9 complete ones
    assert not app.exception
    [note] = [i.value for i in app.info if "not classified" in i.value]
    assert "needs at least 10 months in the trend, and this range gives 9, 2026-02..2026-10" in note
    assert "or the Esri rule that uses every month" in note
    app.radio(key="t_trend").set_value("esri").run()  # every month: 10 are enough
    assert not any("not classified" in i.value for i in app.info)
    assert any("trend over 2026-01..2026-10, every month (10)" in c.value for c in app.caption)


def test_the_map_legend_names_the_rule_and_the_first_month(demo_town, monkeypatch):
    from dashboard.trends import emerging_map
    from dashboard.view import View

    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    view = View(month_from="2025-11", month_to="2026-10", categories=("Anti-social behaviour",))

    def legend(title: str) -> str:  # as the legend's payload carries it (JSON, non-ASCII escaped)
        return json.dumps(title)[1:-1]

    assert legend("Emerging pattern · trend from 2025-12, complete months") in emerging_map(view).get_root().render()
    esri = emerging_map(view, trend="esri").get_root().render()
    assert legend("Emerging pattern · trend from 2025-11, every month (Esri)") in esri
