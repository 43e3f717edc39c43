"""The patrol page: every place says why, the count names its months, and the balance control moves the list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h3
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import count_calls, patience

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


def _map(app) -> tuple[str, list]:
    """The map component's key (the browser redraws the map only when it changes) and our layers' payloads."""
    [component] = app.get("component_instance")
    args = json.loads(component.proto.json_args)
    return args["key"], [json.loads(p) for p in re.findall(r"^\s*var d = (.*);$", args["script"], re.MULTILINE)]


def test_a_rerun_builds_nothing_again_and_the_browser_keeps_its_map(patrol, monkeypatch):
    import dashboard.maps
    import geo.plan.analysis

    calls = count_calls(
        monkeypatch, geo.plan.analysis, "priority_table", "hotspot_table", "emerging_table", "load_cube", "load_area"
    )
    count_calls(monkeypatch, dashboard.maps, "hex_layer", "boundary_layer", into=calls)
    key, layers = _map(patrol)
    assert [p["name"] for p in layers if "name" in p] == [
        "Hot spots (Gi*)",
        "Wards",
        "Estates",
        "Flagged addresses (open)",
        "Closure orders",
    ]
    patrol.run()  # nothing changed: every result and every map layer comes from the caches
    assert not patrol.exception
    assert calls == dict.fromkeys(calls, 0)
    assert _map(patrol) == (key, layers)
    # more places to visit (the default 12 months, 2025-11..2026-10, have emerging patterns): the same hot
    # spots and patterns ranked again, nothing counted, tested or classified again; new ranks on the map
    patrol.slider(key="p_top").set_value(12).run()
    assert not patrol.exception and len(_plan(patrol)) == 12
    assert calls == {**dict.fromkeys(calls, 0), "priority_table": 1, "hex_layer": 1}
    # a new month range: a new plan and new hexagons; the outlines are those already built
    patrol.select_slider(key="f_months").set_value(("2025-12", "2026-09")).run()
    assert not patrol.exception
    assert (calls["priority_table"], calls["load_cube"], calls["hex_layer"], calls["boundary_layer"]) == (2, 1, 2, 0)
    # Dec 2025-Sep 2026 is 10 months; the trend leaves out the first (no month before it in the range): 9 < 10,
    # so the plan ranks without emerging patterns and none are computed
    assert (calls["hotspot_table"], calls["emerging_table"], calls["load_area"]) == (1, 0, 0)
    new_key, new_layers = _map(patrol)
    assert new_key != key and new_layers[0] != layers[0] and new_layers[1:] == layers[1:]


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


def _fit(app) -> list[list[float]]:
    """The map's fitted bounds, [[south, west], [north, east]]."""
    [component] = app.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    return json.loads(re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", script, re.DOTALL).group(1))


def test_a_row_picked_in_the_table_zooms_the_map_to_it(patrol):
    whole = _fit(patrol)
    table = _plan(patrol)
    patrol.session_state["p_table"] = {"selection": {"rows": [2], "columns": []}}  # as a click on the third row
    patrol.run()
    assert not patrol.exception
    [heading] = [s.value for s in patrol.subheader if s.value.startswith("Hexagon ")]
    cell = heading.split()[-1]
    assert any(f"score {table['score'].iloc[2]:.0f}" in m.value for m in patrol.markdown)
    (south, west), (north, east) = _fit(patrol)
    lat, lng = h3.cell_to_latlng(cell)
    # the hexagon (~0.004° across at res 9) with 0.004° around it, not the whole town
    assert south < lat < north and west < lng < east and north - south < 0.02 < whole[1][0] - whole[0][0]
    # a row the plan no longer has (3 places, row 6 picked before) is let go, not an error
    patrol.slider(key="p_top").set_value(3)
    patrol.session_state["p_table"] = {"selection": {"rows": [5], "columns": []}}
    patrol.run()
    assert not patrol.exception and len(_plan(patrol)) == 3
    assert not [s for s in patrol.subheader if s.value.startswith("Hexagon ")] and _fit(patrol) == whole
