"""Every page runs in Streamlit's AppTest without an exception."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.demo import load_demo
from geo.store import Store

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("app") / "demo.sqlite"
    store = Store(path)
    load_demo(store)
    store.dispose()
    return path


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_db))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return AppTest.from_file(str(APP), default_timeout=30)


def test_overview_shows_the_demo_banner_and_counts(app):
    app.run()
    assert not app.exception
    assert "Synthetic demo data" in app.warning[0].value
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Flagged addresses"] == "40"
    assert metrics["Wards / estates"] == "8 / 5"


def test_rejects_page_lists_the_quarantine(app):
    app.run()
    app.switch_page("pages/data_quality.py").run()
    assert not app.exception
    assert any("Rejected rows (40)" in s.value for s in app.subheader)


def test_empty_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(tmp_path / "empty.sqlite"))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert "No incidents loaded yet" in at.info[0].value


def _ward_incidents(at) -> int:
    table = at.dataframe[0].value
    return int(pd.to_numeric(table["incidents"].str.replace(",", ""), errors="coerce").fillna(0).sum())


def test_patrol_and_trends_run_and_filters_change_what_is_computed(app):
    app.run()
    app.switch_page("pages/patrol.py").run()
    assert not app.exception
    assert any("Where to go" in s.value for s in app.subheader)
    ranked = app.dataframe[0].value
    assert len(ranked) == 10 and ranked["why"].str.contains("hot 99 %").any()
    app.switch_page("pages/trends.py").run()
    assert not app.exception
    year = _ward_incidents(app)
    app.select_slider(key="f_months").set_value(("2026-08", "2026-10")).run()
    assert not app.exception
    quarter = _ward_incidents(app)
    assert 0 < quarter < year  # a narrower month range counts fewer incidents


def test_cabinet_view_shows_no_addresses(app):
    app.run()
    app.switch_page("pages/trends.py").run()
    shown = " ".join(str(df.value.to_dict()) for df in app.dataframe)
    assert "Nestwick (synthetic)," not in shown  # demo addresses end with the town name
