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
        "Route (visits)",
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
    # new hexagons and a new route (layers 0 and 1); the outlines, points and key as they were
    assert new_key != key and new_layers[0] != layers[0] and new_layers[1] != layers[1]
    assert new_layers[2:] == layers[2:]


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
    [heading] = [c.value for c in patrol.caption if re.fullmatch(r"Hexagon [0-9a-f]{15}", c.value)]
    cell = heading.split()[-1]
    assert any(f"score {table['score'].iloc[2]:.0f}" in m.value for m in patrol.markdown)
    assert table["visit"].iloc[2] == 3  # the list runs in the visiting order
    # the details are headed by the place's name, the one the list gives it (before its ward)
    assert table["place"].iloc[2].startswith(_subheaders(patrol)[1] + " — ")
    (south, west), (north, east) = _fit(patrol)
    lat, lng = h3.cell_to_latlng(cell)
    # the hexagon (~0.004° across at res 9) with 0.004° around it, not the whole town
    assert south < lat < north and west < lng < east and north - south < 0.02 < whole[1][0] - whole[0][0]
    # a row the plan no longer has (3 places, row 6 picked before) is let go, not an error
    patrol.slider(key="p_top").set_value(3)
    patrol.session_state["p_table"] = {"selection": {"rows": [5], "columns": []}}
    patrol.run()
    assert not patrol.exception and len(_plan(patrol)) == 3
    assert not [c for c in patrol.caption if c.value.startswith("Hexagon ")] and _fit(patrol) == whole


def _subheaders(app) -> list[str]:
    return [s.value for s in app.subheader]


# --------------------------------------------------------------------------- the inspector's new controls


def _fitted_box(app) -> tuple[float, float, float, float]:
    """The map's fitted bounds as (min lng, min lat, max lng, max lat)."""
    (south, west), (north, east) = _fit(app)
    return west, south, east, north


def test_the_list_runs_in_visiting_order_with_rank_beside_it_and_names_its_places(patrol):
    table = _plan(patrol)
    assert table["visit"].tolist() == list(range(1, len(table) + 1))
    assert sorted(table["rank"]) == list(range(1, len(table) + 1))  # every rank once, beside its visit
    assert list(table.columns[:5]) == ["visit", "rank", "score", "place", "why"]
    # a name, then its ward: never a bare H3 id
    assert not table["place"].str.fullmatch(r"[0-9a-f]{15}").any() and table["place"].str.contains(" — ").all()
    # the route on the map: a stop per place, numbered in the same order, its tooltip naming the place
    _, layers = _map(patrol)
    [route] = [p for p in layers if p.get("name") == "Route (visits)"]
    assert route["numbers"] == list(range(1, len(table) + 1)) and route["labels"][:2] == ["visit", "place"]
    assert [p + " — " for p in route["values"][1]] == [
        t[: len(p) + 3] for p, t in zip(route["values"][1], table["place"], strict=True)
    ]


def test_a_ward_typed_in_the_search_box_takes_the_map_there(patrol, demo_town):
    from geo.store import Store

    store = Store(demo_town)
    wards = store.read_boundaries("wards")
    store.dispose()
    millbrook = wards[wards["name"].str.startswith("Millbrook")].total_bounds
    whole = _fitted_box(patrol)
    search = patrol.selectbox(key="p_search")
    assert "Millbrook (synthetic) (ward)" in search.options
    search.set_value("Millbrook (synthetic) (ward)").run()
    assert not patrol.exception
    west, south, east, north = _fitted_box(patrol)
    # the map fits the ward's own box (a tiny margin for rounding), a smaller one than the whole town's
    assert west <= millbrook[0] + 1e-6 and south <= millbrook[1] + 1e-6
    assert east >= millbrook[2] - 1e-6 and north >= millbrook[3] - 1e-6
    assert (east - west) * (north - south) < (whole[2] - whole[0]) * (whole[3] - whole[1])
    assert not any(c.value.startswith("Hexagon ") for c in patrol.caption)  # a ward: no one hexagon to detail


def test_hexagon_details_are_in_plain_words(patrol):
    patrol.session_state["p_table"] = {"selection": {"rows": [0], "columns": []}}  # visit 1: flagged addresses
    patrol.run()
    assert not patrol.exception
    frames = [df.value for df in patrol.dataframe]
    [flagged] = [f for f in frames if "Concerns" in f.columns]
    assert list(flagged.columns) == ["Address", "Concerns", "First flagged", "Status", "Agency"]
    shown = " ".join(flagged.astype(str).to_numpy().ravel())
    for raw in ("_odd_", "_needles", "tenant_not_seen", ";"):
        assert raw not in shown
    assert flagged["First flagged"].str.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}").all()  # "5 Dec 2025"
    words = " ".join(m.value for m in patrol.markdown)
    assert "Over the months:" in words and "persistent hot spot" not in words  # the pattern in words
    for frame in frames:
        assert not {"first_flagged", "granted", "expiry", "indicators", "location", "ref"} & set(frame.columns)


def test_how_to_read_this_gives_the_policys_own_points(patrol):
    from geo.plan.priority import RULES

    [guide] = [e for e in patrol.expander if e.label == "How to read this map and list"]
    text = " ".join(m.value for m in guide.markdown)
    for heading in ("Hot spots and the percentages", "Patterns over the months", "What the score adds up"):
        assert heading in text
    for pattern in ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating"):
        assert f"{pattern}: " in text
    assert "historical: " in text and "FDR" in text and "99 %" in text
    hot = next(r for r in RULES if r.name == "hot_3")  # the default balance's points, as the policy has them
    assert f"+{hot.points:g}: hot spot (99 %)" in text
    assert "Gi\\*" in text  # escaped, so two asterisks never turn the text between them into italics
    patrol.select_slider(key="p_balance").set_value("emerging").run()
    [guide] = [e for e in patrol.expander if e.label == "How to read this map and list"]
    # emerging hot spots first: a 99 % hot spot is worth half as much (15), an intensifying one 30
    text = " ".join(m.value for m in guide.markdown)
    assert "+15: hot spot (99 %)" in text and "getting hotter (+30 points)" in text
