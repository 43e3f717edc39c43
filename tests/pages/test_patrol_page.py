"""The patrol page: every place says why, the count names its months, and the balance control moves the list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"
EMERGING = re.compile(r"\b(?:new|consecutive|intensifying): ")
PERSISTENT = re.compile(r"\bpersistent: ")


@pytest.fixture
def patrol(demo_town, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    app = AppTest.from_file(str(APP), default_timeout=patience(30))
    app.run()
    app.selectbox(key="auth_view_as").set_value("inspector").run()
    app.switch_page("pages/patrol.py").run()
    assert not app.exception
    return app


def _plan(app):
    [table] = [df.value for df in app.dataframe if "why" in df.value.columns]
    return table


def test_every_place_says_why_and_the_count_names_its_months(patrol):
    patrol.select_slider(key="f_months").set_value(("2026-08", "2026-10")).run()
    assert not patrol.exception
    table = _plan(patrol)
    label = "ASB incidents, Aug–Oct 2026"
    assert label in table.columns and "count" not in table.columns
    assert (table["why"].str.len() > 0).all()
    for n, why in zip(table[label], table["why"], strict=True):
        if n > 0:
            assert f"{n} ASB incident{'' if n == 1 else 's'} here in Aug–Oct 2026" in why
        else:
            assert why.startswith("0 ASB incidents here in Aug–Oct 2026; next to a hot spot") or "hot spot (" not in why
    assert any(label in c.value for c in patrol.caption)


def test_the_balance_moves_emerging_and_established_hot_spots(patrol):
    control = patrol.select_slider(key="p_balance")
    assert control.value == "both" and control.options == [
        "Established hot spots first",
        "Both together",
        "Emerging hot spots first",
    ]
    assert "default is **Both together**" in control.help
    patrol.slider(key="p_top").set_value(30).run()

    def best(pattern: re.Pattern) -> int:
        table = _plan(patrol)
        ranks = table.loc[table["why"].str.contains(pattern), "rank"]
        return int(ranks.min()) if len(ranks) else 99

    patrol.select_slider(key="p_balance").set_value("established").run()
    established = best(EMERGING), best(PERSISTENT)
    patrol.select_slider(key="p_balance").set_value("emerging").run()
    assert not patrol.exception
    emerging = best(EMERGING), best(PERSISTENT)
    assert any("emerging hot spots first" in c.value for c in patrol.caption)
    assert emerging[0] < established[0] and emerging[1] > established[1]
    assert max(emerging[0], established[1]) <= 30  # both kinds are in the list
