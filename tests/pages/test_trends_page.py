"""The Trends page: one count per ward (as ``python -m geo areas`` and Outcomes give it); the emerging rule named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"


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


def test_the_page_counts_are_the_one_rule_not_hexagons_given_to_wards(app, demo_town):
    # exact counts from the points themselves (geo.plan.areas), published, are what the page prints
    from geo.plan.areas import area_table
    from geo.publish.areas import publish_area_table
    from geo.store import Store

    app = _as(app, "cabinet")
    store = Store(demo_town)
    try:
        exact = area_table(store, layer="wards", start="2025-11", end="2026-10", categories=("Anti-social behaviour",))
    finally:
        store.dispose()
    shown = publish_area_table(exact.table, compared=exact.compared).set_index("name")
    page = app.dataframe[0].value.set_index("ward")
    assert page["incidents"].to_dict() == shown["count_text"].to_dict()
    assert page["change"].to_dict() == shown["change_text"].to_dict()  # the one wording of a change


def test_outcomes_and_trends_agree_for_every_ward(demo_town, monkeypatch):
    from dashboard.trends import area_table
    from dashboard.view import View
    from geo.plan.outcomes import outcomes_for
    from geo.publish.published import publish
    from geo.store import Store

    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    store = Store(demo_town)
    try:
        pack = publish(outcomes_for(store, start="2025-05", end="2026-04", area=None))
    finally:
        store.dispose()
    wards = pack.areas[pack.areas["layer"] == "ward"].set_index("code")
    trends = area_table(
        View(month_from="2025-05", month_to="2026-04", categories=("Anti-social behaviour",), layer="wards")
    ).set_index("code")
    assert sorted(wards.index) == sorted(trends.index)
    assert wards["asb_text"].to_dict() == trends["shown_now"].to_dict()


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
