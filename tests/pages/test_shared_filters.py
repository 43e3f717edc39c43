"""The sidebar's shared filters follow the user from page to page (dashboard.context.sidebar_view)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.context import default_months
from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def app(demo_town, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return AppTest.from_file(str(APP), default_timeout=patience(30))


def test_every_shared_filter_follows_the_user_to_the_next_page(app):
    app.run()
    app.switch_page("pages/patrol.py").run()
    app.select_slider(key="f_months").set_value(("2026-02", "2026-09")).run()
    app.multiselect(key="f_categories").set_value(["Anti-social behaviour", "Drugs"]).run()
    app.select_slider(key="f_res").set_value(8).run()
    app.radio(key="f_layer").set_value("estates").run()
    assert not app.exception
    for page in ("pages/trends.py", "pages/patrol.py", "pages/trends.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert app.select_slider(key="f_months").value == ("2026-02", "2026-09"), page
        assert app.multiselect(key="f_categories").value == ["Anti-social behaviour", "Drugs"], page
        assert app.select_slider(key="f_res").value == 8, page
        assert app.radio(key="f_layer").value == "estates", page


def test_a_page_opens_on_the_latest_twelve_months(app):
    app.run()
    app.switch_page("pages/trends.py").run()
    # the demo town runs 36 months from 2023-11 (geo.demo), so to 2026-10: its last twelve start at 2025-11
    assert app.select_slider(key="f_months").value == ("2025-11", "2026-10")


def test_default_months_hand_worked():
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    assert default_months(months) == ("2025-03", "2026-02")  # the last 12 of 14
    assert default_months(["2023-01"]) == ("2023-01", "2023-01")  # fewer than 12: all of them
