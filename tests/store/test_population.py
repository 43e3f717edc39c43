"""Residents per area: imported with exact accounting, idempotent, and read for a period by the nearest mid-year."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.core.errors import OptionError
from geo.store import read_population
from geo.store.importer import delete_import, import_path
from geo.store.population import nearest_year

HEAD = "Ward 2023 Code,Year,Total\r\n"  # ONS's headings from mid-2021 on (plus the year the sheet's name gives)


def wards_file(write, *codes: str):
    """A ward GeoJSON of one small triangle per code, in Bristol."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": f"Ward {code}"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [-2.6 + i / 100, 51.4],
                        [-2.595 + i / 100, 51.4],
                        [-2.595 + i / 100, 51.41],
                        [-2.6 + i / 100, 51.4],
                    ]
                ],
            },
        }
        for i, code in enumerate(codes)
    ]
    return write("wards.geojson", json.dumps({"type": "FeatureCollection", "features": features}))


# --------------------------------------------------------------------------- import


def test_every_row_is_stored_or_rejected_and_a_re_import_changes_nothing(store, write):
    text = HEAD + (
        "E05000001,2022,9000\r\n"
        "E05000002,2022,8000\r\n"
        "E05000002,2022,8100\r\n"  # the same ward and year with another number: rejected
        "E05000003,2022,-1\r\n"  # rejected
    )
    path = write("pop.csv", text)
    first = import_path(store, "population", path)
    assert (first.rows, first.stored, first.rejected, first.already_present) == (4, 2, 2, 0)
    again = import_path(store, "population", path)
    assert (again.rows, again.stored, again.rejected, again.already_present) == (4, 0, 2, 2)
    assert store.count("population") == 2 and len(store.rejects(kind="population")) == 2  # the quarantine too
    stored = store.read("population").sort_values("code")
    assert stored.values.tolist() == [["E05000001", 9000, 2022], ["E05000002", 8000, 2022]]
    assert store.rejects(kind="population")["row"].tolist() == [4, 5]


def test_a_ward_and_year_stored_with_another_number_is_refused_naming_the_stored_row(store, write):
    import_path(store, "population", write("a.csv", HEAD + "E05000001,2022,9000\r\nE05000002,2022,8000\r\n"))
    later = import_path(
        store,
        "population",
        write("b.csv", HEAD + "E05000001,2022,9050\r\nE05000001,2023,9100\r\nE05000002,2022,8000\r\n"),
    )
    # the revised 2022 figure clashes with a.csv's row 2; 2023 is new; the unchanged row is already present
    assert (later.rows, later.stored, later.rejected, later.already_present) == (3, 1, 1, 1)
    [reject] = store.rejects(kind="population").to_dict("records")
    assert reject["row"] == 2 and reject["column"] == "Ward 2023 Code"
    assert reject["reason"].startswith("code 'E05000001' and year 2022 are already stored with different content (")
    assert reject["reason"].endswith("a.csv, row 2)")
    assert sorted(store.read("population").values.tolist()) == [
        ["E05000001", 9000, 2022],
        ["E05000001", 9100, 2023],
        ["E05000002", 8000, 2022],
    ]


def test_codes_no_stored_ward_or_estate_has_are_noted_and_stored(store, write):
    import_path(store, "wards", wards_file(write, "E05000001", "E05000002"))
    text = HEAD + "E05000001,2022,9000\r\nE05009998,2022,100\r\nE05009999,2022,200\r\nE05009999,2023,210\r\n"
    result = import_path(store, "population", write("pop.csv", text))
    assert result.stored == 4  # warned, not refused: the boundaries may come later
    [note] = [n for n in result.notes if "no stored ward" in n]
    assert note.endswith(
        "pop.csv: 2 codes match no stored ward or estate: E05009998, E05009999 (stored all the same; they "
        "take no part in figures per area until boundaries with those codes are loaded)"
    )
    logged = json.loads(store.imports().query("kind == 'population'")["notes"].iloc[0])
    assert any("E05009998, E05009999" in n for n in logged)  # the import log keeps it too


def test_a_population_import_is_erased_with_its_import(store, write):
    import_path(store, "population", write("pop.csv", HEAD + "E05000001,2022,9000\r\nE05000001,2022,-5\r\n"))
    removed = delete_import(store, 1, user="ana", role="analyst", reason="shared in error")
    assert removed == {"population": 1, "rejects": 1}
    assert read_population(store, months=("2022-01", "2022-12")).empty


# --------------------------------------------------------------------------- read for a period


@pytest.mark.parametrize(
    ("years", "month", "year"),
    [
        ([2021, 2023], "2022-12", 2023),  # June 2021 is 18 months away, June 2023 six
        ([2021, 2023], "2022-03", 2021),  # 9 months against 15
        ([2022, 2023], "2022-12", 2022),  # six months either way: the earlier, the year the month is in
        ([2023, 2022], "2023-01", 2023),  # 7 against 5, whatever order the years come in
        ([2019], "2026-10", 2019),  # the only one
    ],
)
def test_the_nearest_mid_year_to_a_month(years, month, year):
    assert nearest_year(years, month) == year


def test_each_code_gets_the_stored_year_nearest_the_period_s_end(store, write):
    text = HEAD + (
        "A,2021,1000\r\nA,2023,1100\r\n"  # for a period ending 2022-12: 2023 (6 months) over 2021 (18)
        "B,2022,2000\r\nB,2023,2100\r\n"  # a tie, 6 and 6: 2022
        "C,2019,3000\r\n"  # only 2019: used, and the year says so
    )
    import_path(store, "population", write("pop.csv", text))
    pop = read_population(store, months=("2022-01", "2022-12"))
    assert pop.index.name == "code" and list(pop.columns) == ["population", "year"]
    assert pop.reset_index().values.tolist() == [["A", 1100, 2023], ["B", 2000, 2022], ["C", 3000, 2019]]
    # the first month does not matter: a period ending in March 2022 takes 2021 for A (9 months against 15)
    assert read_population(store, months=("2020-04", "2022-03")).loc["A"].tolist() == [1000, 2021]


def test_no_population_stored_reads_as_an_empty_frame_of_the_same_shape(store):
    pop = read_population(store, months=("2024-01", "2024-12"))
    assert pop.empty and list(pop.columns) == ["population", "year"] and pop.index.name == "code"
    assert (pop["population"].dtype, pop["year"].dtype) == ("int64", "int64")


@pytest.mark.parametrize(
    ("months", "words"),
    [
        (("2024-01", "2024-13"), "last month of the period must be YYYY-MM, not '2024-13'"),
        (("24-01", "2024-12"), "first month of the period must be YYYY-MM"),
        (("2024-06", "2024-01"), "the period starts (2024-06) after it ends (2024-01)"),
    ],
)
def test_a_period_that_is_not_months_is_an_option_error(store, months, words):
    with pytest.raises(OptionError) as caught:
        read_population(store, months=months)
    assert words in str(caught.value) and caught.value.option == "months"


def test_the_read_is_a_frame_the_rate_takes(store, write):
    """``read_population(...)["population"]`` is what :func:`geo.publish.rates.per_thousand` divides by."""
    from geo.publish.rates import per_thousand

    import_path(store, "population", write("pop.csv", HEAD + "A,2024,2000\r\nB,2024,400\r\n"))
    pop = read_population(store, months=("2024-01", "2024-12"))["population"]
    rates = per_thousand(pd.Series({"A": 10.0, "B": 5.0}), pop)
    assert rates.tolist() == [5.0, 12.5]  # 10 / 2000 * 1000 and 5 / 400 * 1000
