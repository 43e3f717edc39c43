"""Loading an evaluation from the store: interventions from closures or a checked CSV, the study area, the span."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely

from geo.core.errors import InputError, OptionError, StoreError
from geo.plan.evaluation import evaluate_store, load_interventions, load_study_area, read_interventions
from geo.store.importer import import_path
from tests.conftest import ONE_WARD, police_csv, police_row

HERE = (51.45, -2.59)  # inside ONE_WARD (-2.60..-2.58, 51.44..51.46)


def rows(lat: float, month: str, n: int, category: str = "Anti-social behaviour") -> list[str]:
    return [police_row(month=month, lat=str(lat), lng=str(HERE[1]), category=category)] * n


@pytest.fixture
def town(store, write):
    """One ward; ASB at the intervention, 334 m north of it (ring), 556 m north (control), and outside the ward."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    incidents = [
        *rows(HERE[0], "2024-01", 1),  # the data's first month
        *rows(HERE[0], "2024-02", 4),  # treatment, before (window 1: February)
        *rows(HERE[0], "2024-03", 3),  # the month itself
        *rows(HERE[0], "2024-04", 1),  # treatment, after (April)
        *rows(HERE[0], "2024-02", 9, category="Drugs"),  # another category
        *rows(HERE[0] + 0.003, "2024-02", 2),  # 0.003 deg of latitude = 334 m: the ring
        *rows(HERE[0] + 0.003, "2024-04", 5),
        *rows(HERE[0] + 0.005, "2024-02", 10),  # 556 m: control
        *rows(HERE[0] + 0.005, "2024-04", 12),
        *rows(51.47, "2024-02", 7),  # outside the ward: not in the study area
        *rows(HERE[0], "2024-05", 1),  # the data's last month
    ]
    assert import_path(store, "incidents", write("i.csv", police_csv(*incidents))).stored == len(incidents)
    closures = (
        "ref,address,lat,lng,granted,expiry,status\n"
        f"C1,1 Park St,{HERE[0]},{HERE[1]},2024-03-10,2024-06-10,active\n"
        f"C2,2 Park St,{HERE[0]},{HERE[1]},2024-05-02,2024-08-02,active\n"  # after-window June: past the data
    )
    assert import_path(store, "closures", write("c.csv", closures)).stored == 2
    return store


def test_closures_evaluated_by_hand(town):
    ev = evaluate_store(town, interventions="closures", months=1)
    assert ev.summary() | {"relative_change": None, "ci_low": None, "ci_high": None, "wdq": None} == {
        "interventions_used": 1,
        "interventions_skipped": 1,
        "treatment_before": 4,
        "treatment_after": 1,
        "ring_before": 2,
        "ring_after": 5,
        "control_before": 10,  # the 7 outside the ward are not control
        "control_after": 12,
        "relative_change": None,
        "ci_low": None,
        "ci_high": None,
        "wdq": None,
    }
    assert ev.summary()["relative_change"] == pytest.approx((1 / 4) / (12 / 10) - 1)
    assert ev.interventions["skip_reason"].tolist() == ["", "window outside the data"]
    assert ev.span == ("2024-01", "2024-05")


def test_a_csv_of_interventions_and_every_category(town, write):
    path = write("warrants.csv", f"\ufeffRef,Date,Lat,Lng\r\nW-1,2024-03-15,{HERE[0]},{HERE[1]}\r\n")
    ev = evaluate_store(town, interventions=str(path), categories=None, months=1)
    assert (ev.effect.used, ev.effect.treatment_before, ev.effect.treatment_after) == (1, 13, 1)  # 4 ASB + 9 drugs
    frame = pd.DataFrame({"ref": ["X"], "date": ["2024-03-01"], "lat": [HERE[0]], "lng": [HERE[1]]})
    assert evaluate_store(town, interventions=frame, months=1).effect.treatment_before == 4


def test_study_area_and_closures_as_loaded(town):
    area = load_study_area(town)
    assert area is not None and area.contains(shapely.Point(HERE[1], HERE[0]))
    got = load_interventions(town, "closures")
    assert got.columns.tolist() == ["ref", "date", "lat", "lng"] and got["date"].tolist()[0] == "2024-03-10"


def test_an_empty_store_and_bad_options_are_refused(store):
    with pytest.raises(StoreError, match="no incidents are stored"):
        evaluate_store(store)
    with pytest.raises(OptionError) as caught:
        evaluate_store(store, radius_m=300, ring_m=300)
    assert caught.value.option == "ring"
    assert load_study_area(store) is None


@pytest.mark.parametrize(
    ("text", "row", "column", "words"),
    [
        ("ref,date,lat\nA,2024-01-01,51.4\n", None, "lng", "no 'lng' column"),
        ("ref,when,lat,lng\nA,2024-01-01,51.4,-2.5\n", None, "date", "no 'date' column"),
        ("ref,date,lat,lng\nA,2024-01-01,51.4,-2.5\nB,2024-02-30,51.4,-2.5\n", 3, "date", "not a day YYYY-MM-DD"),
        ("ref,date,lat,lng\nA,01/02/2024,51.4,-2.5\n", 2, "date", "not a day YYYY-MM-DD: '01/02/2024'"),
        ("ref,date,lat,lng\nA,,51.4,-2.5\n", 2, "date", "not a day"),
        ("ref,date,lat,lng\nA,2024-01-01,north,-2.5\n", 2, "lat", "latitude is not a number"),
        ("ref,date,lat,lng\nA,2024-01-01,51.4,\n", 2, "lng", "longitude is not a number"),
        ("ref,date,lat,lng\nA,2024-01-01,48.85,2.35\n", 2, "lat", "latitude outside Great Britain"),
        ("ref,date,lat,lng\nA,2024-01-01,51.4,5.0\n", 2, "lng", "longitude outside Great Britain"),
        ("ref,date,lat,lng\nA,2024-01-01,-2.5,51.4\n", 2, "lat", "appear swapped"),
        ("ref,date,lat,lng\nA,2024-01-01,0,0\n", 2, "lat", "outside Great Britain"),
        ("ref,date,lat,lng\nA,2024-01-01,358000,173000\n", 2, "lat", "outside Great Britain"),
        ("ref,date,lat,lng\n ,2024-01-01,51.4,-2.5\n", 2, "ref", "the ref is blank"),
        ("ref,date,lat,lng\nA,2024-01-01,51.4\n", 2, None, "fields"),
        ("ref,date,lat,lng\n", None, None, "no data rows"),
    ],
)
def test_a_bad_interventions_file_names_the_file_row_and_column(write, text, row, column, words):
    with pytest.raises(InputError) as caught:
        read_interventions(write("bad.csv", text))
    err = caught.value
    assert (err.file, err.row, err.column) == ("bad.csv", row, column)
    assert words in err.message


def test_a_good_interventions_file_in_cp1252_with_extra_columns(write):
    text = "note,REF ,date,lat,lng\r\nCafé,W-1,2024-03-15, 51.45 ,-2.59\r\n,W-2,2024-04-01,51.46,-2.58\r\n"
    got = read_interventions(write("ok.csv", text, encoding="cp1252"))
    assert got.to_dict("list") == {
        "ref": ["W-1", "W-2"],
        "date": ["2024-03-15", "2024-04-01"],
        "lat": [51.45, 51.46],
        "lng": [-2.59, -2.58],
    }
