"""Patrol plan exports: escaped HTML, formula-safe CSV, allow-listed GeoJSON."""

import io
import json

import h3
import pandas as pd

from dashboard.plan import plan_to_csv, plan_to_geojson, plan_to_html

PAYLOAD = "<img src=x onerror=alert(1)> ${alert(1)} ` \\ </script>"


def ranked() -> pd.DataFrame:
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    lat, lng = h3.cell_to_latlng(cell)
    return pd.DataFrame(
        {
            "rank": [1],
            "visit_order": [1],
            "cell": [cell],
            "ward": ["E05000001"],
            "ward_name": [PAYLOAD],
            "estate": [""],
            "score": [42.0],
            "reasons": ['=HYPERLINK("http://x") ' + PAYLOAD],
            "count": [3],
            "flagged_open": [1],
            "indicators": ["noise"],
            "victims_nearby": [2],  # not a plan column: must not leave
            "lat": [lat],
            "lng": [lng],
        }
    )


def test_printable_plan_escapes_every_value():
    page = plan_to_html(ranked(), title=PAYLOAD, subtitle=PAYLOAD)
    assert "<img" not in page and "</script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<svg" in page


def test_csv_is_formula_safe_and_geojson_allow_listed():
    frame = pd.read_csv(io.BytesIO(plan_to_csv(ranked())), encoding="utf-8-sig", dtype=str)
    assert frame.loc[0, "reasons"].startswith("'=")  # a spreadsheet shows it as text
    assert "victims_nearby" not in frame.columns
    fc = json.loads(plan_to_geojson(ranked()))
    props = fc["features"][0]["properties"]
    assert "victims_nearby" not in props and props["reasons"].endswith(PAYLOAD)


def test_the_count_leaves_under_the_name_of_what_it_counts():
    from geo.plan.priority import Counted

    what = Counted(("Anti-social behaviour",), ("2024-01", "2024-02", "2024-03"))
    frame = pd.read_csv(io.BytesIO(plan_to_csv(ranked(), counted=what)), encoding="utf-8-sig")
    assert "ASB incidents, Jan–Mar 2024" in frame.columns and "count" not in frame.columns
    assert frame.loc[0, "ASB incidents, Jan–Mar 2024"] == 3
    props = json.loads(plan_to_geojson(ranked(), counted=what))["features"][0]["properties"]
    assert props["ASB incidents, Jan–Mar 2024"] == 3 and "count" not in props
    page = plan_to_html(ranked(), title="t", subtitle="s", counted=what)
    assert "<th>ASB incidents, Jan–Mar 2024</th>" in page and "<td>3</td>" in page
    # without a description the heading still says what it counts, never a bare "count"
    assert "incidents, the period" in pd.read_csv(io.BytesIO(plan_to_csv(ranked())), encoding="utf-8-sig").columns


def test_every_export_names_the_place_right_after_the_cell():
    frame = pd.read_csv(
        io.BytesIO(plan_to_csv(ranked().assign(place=["On or near Beacon Court"]))), encoding="utf-8-sig"
    )
    assert list(frame.columns[:4]) == ["visit_order", "rank", "cell", "place"]
    assert frame.loc[0, "place"] == "On or near Beacon Court"
    # no place name yet (or a blank one): the cell's id stands in, so the column is never empty
    for plan in (ranked(), ranked().assign(place=[""])):
        props = json.loads(plan_to_geojson(plan))["features"][0]["properties"]
        assert props["place"] == props["cell"]


def _two_stops() -> pd.DataFrame:
    second = ranked().assign(
        rank=[2], visit_order=[1], place=["Dune <Street>"], cell=[h3.latlng_to_cell(51.46, -2.59, 9)], lat=51.46
    )
    return pd.concat([ranked().assign(visit_order=[2], place=[PAYLOAD]), second], ignore_index=True)


def test_the_printable_plan_gives_the_route_by_place_and_how_to_read_it():
    page = plan_to_html(_two_stops(), title="t", subtitle="s")
    assert '<p class="route"><b>Route:</b> 1 Dune &lt;Street&gt; → 2 &lt;img src=x' in page
    assert page.count("<tr>") == 3  # the heading and the two places, nothing else is a table row
    assert page.index("<td>Dune &lt;Street&gt;</td>") < page.index("<td>&lt;img src=x")  # visit 1 first
    assert "<img" not in page and "</script>" not in page  # the payload place is escaped in the route and table
    for heading in ("How to read this", "Hot spots and the percentages", "What the score adds up", "Visit and rank"):
        assert heading in page


def test_how_to_read_this_is_made_from_the_policy(monkeypatch):
    import dashboard.plan
    from geo.plan.priority import rules_for

    guide = dict(dashboard.plan.reading_guide())
    score = " ".join(guide["What the score adds up"])
    # the default balance's points, from the policy's docstring: hot spot 30, each flagged address 12
    assert "+30: hot spot (99 %)" in score and "+12: Each address of concern" in score
    assert "persistent: hot in 90 % of months or more, with no trend (+15 points)" in guide["Patterns over the months"]
    assert (
        "historical: hot in 90 % of months or more, but not in the latest (no points)"
        in guide["Patterns over the months"]
    )
    hot = " ".join(guide["Hot spots and the percentages"])
    assert "at most about 1 in 100 is expected to be a fluke (95 %: 1 in 20; 90 %: 1 in 10)" in hot  # 1/(1-p)
    # a partnership that doubles the points of a flagged address sees the new figure, with nothing retyped
    from dataclasses import replace

    doubled = lambda balance="both": tuple(  # noqa: E731
        replace(r, points=r.points * 2) if r.name == "flagged_each" else r for r in rules_for(balance)
    )
    monkeypatch.setattr(dashboard.plan, "rules_for", doubled)
    assert "+24: Each address of concern" in " ".join(dict(dashboard.plan.reading_guide())["What the score adds up"])


def test_every_pattern_has_words_and_the_scoring_ones_are_the_reasons_words():
    from dashboard.plan import pattern_in_words, pattern_words
    from geo.plan.priority import RULES

    words = pattern_words()
    assert list(words) == [
        f"{p} hot spot"
        for p in (
            "new",
            "consecutive",
            "intensifying",
            "persistent",
            "diminishing",
            "sporadic",
            "oscillating",
            "historical",
        )
    ]
    reasons = {r.reason for r in RULES if isinstance(r.reason, str)}
    assert {words[f"{p} hot spot"] for p in ("new", "persistent", "sporadic")} <= reasons
    assert pattern_in_words("persistent hot spot") == words["persistent hot spot"]
    assert pattern_in_words("new cold spot").startswith("new cold: the mirror of a new hot spot")
    assert pattern_in_words("no pattern detected") == "no pattern over the months"
    assert pattern_in_words(None).startswith("not classified") and pattern_in_words(float("nan")).startswith("not")
