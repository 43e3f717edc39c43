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
