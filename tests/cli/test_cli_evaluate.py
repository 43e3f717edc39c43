"""``python -m geo evaluate``: exactly the JSON keys, a CSV row per intervention, bad options and files in one line.

The command is run through :func:`geo.cli.main` (errors become exit code 2
and one line, as for every command), as :data:`geo.cli.COMMANDS` registers it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import geo.cli
from geo.cli._evaluate import EVALUATE
from geo.stats.evaluate import SUMMARY_FIELDS
from geo.store.importer import import_path
from tests.conftest import ONE_WARD, police_csv, police_row

HERE = (51.45, -2.59)


@pytest.fixture
def main():
    assert geo.cli.COMMANDS["evaluate"] is EVALUATE
    return lambda *argv: geo.cli.main(["evaluate", *argv])


@pytest.fixture
def db(store, write):
    """One ward; 4 ASB at the order in February, 1 in April; 2 and 5 in the ring; 10 and 12 in the control."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1

    def rows(dlat: float, month: str, n: int) -> list[str]:
        return [police_row(month=month, lat=str(HERE[0] + dlat), lng=str(HERE[1]))] * n

    incidents = [
        *rows(0, "2024-01", 1),
        *rows(0, "2024-02", 4),
        *rows(0, "2024-04", 1),
        *rows(0.003, "2024-02", 2),  # 334 m: ring
        *rows(0.003, "2024-04", 5),
        *rows(0.005, "2024-02", 10),  # 556 m: control
        *rows(0.005, "2024-04", 12),
        *rows(0, "2024-05", 1),
    ]
    assert import_path(store, "incidents", write("i.csv", police_csv(*incidents))).stored == len(incidents)
    closures = (
        "ref,address,lat,lng,granted,expiry,status\n"
        f"C1,1 Park St,{HERE[0]},{HERE[1]},2024-03-10,2024-06-10,active\n"
        f"C2,2 Park St,{HERE[0]},{HERE[1]},2024-05-02,2024-08-02,active\n"
    )
    assert import_path(store, "closures", write("c.csv", closures)).stored == 2
    return store.url


def test_json_prints_exactly_the_agreed_keys_with_null_for_nan(main, db, capsys):
    assert main("--interventions", "closures", "--months", "1", "--json", "--db", db) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert (
        list(result)
        == list(SUMMARY_FIELDS)
        == [
            "interventions_used",
            "interventions_skipped",
            "treatment_before",
            "treatment_after",
            "ring_before",
            "ring_after",
            "control_before",
            "control_after",
            "relative_change",
            "ci_low",
            "ci_high",
            "wdq",
        ]
    )
    counts = [result[k] for k in SUMMARY_FIELDS[:8]]
    assert counts == [1, 1, 4, 1, 2, 5, 10, 12]
    assert result["relative_change"] == pytest.approx((1 / 4) / (12 / 10) - 1)  # -0.79
    # WDQ = (5/12 - 2/10) / (1/12 - 4/10) = 0.216667 / -0.316667 = -0.684211
    assert result["wdq"] == pytest.approx(-0.684211, abs=1e-6)
    assert "too few incidents to say" in err.lower()
    assert main("--interventions", "closures", "--months", "3", "--json", "--db", db) == 0
    nothing = json.loads(capsys.readouterr().out)
    assert nothing["interventions_used"] == 0 and nothing["relative_change"] is None and nothing["wdq"] is None


def test_out_writes_one_row_per_intervention_with_the_same_fields(main, db, tmp_path, capsys):
    out = tmp_path / "eval.csv"
    assert main("--interventions", "closures", "--months", "1", "--out", str(out), "--db", db) == 0
    assert capsys.readouterr().out == ""  # the CSV went to the file
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert table.columns.tolist() == ["ref", "date", "included", "skip_reason", *SUMMARY_FIELDS]
    assert table["ref"].tolist() == ["C1", "C2"]
    first = table.iloc[0]
    assert [int(first[k]) for k in SUMMARY_FIELDS[:8]] == [1, 0, 4, 1, 2, 5, 10, 12]
    assert table.iloc[1]["skip_reason"] == "window outside the data" and table.iloc[1]["treatment_before"] == ""
    assert main("--interventions", "closures", "--months", "1", "--db", db) == 0  # neither: the CSV on stdout
    assert capsys.readouterr().out.startswith("ref,date,included,skip_reason,interventions_used")


def test_a_file_of_interventions_and_another_category(main, db, write, capsys):
    path = write("patrols.csv", f"ref,date,lat,lng\nP1,2024-03-20,{HERE[0]},{HERE[1]}\n")
    assert main("--interventions", str(path), "--months", "1", "--json", "--category", "Drugs", "--db", db) == 0
    assert json.loads(capsys.readouterr().out)["treatment_before"] == 0  # no drugs reports were stored
    assert main("--interventions", str(path), "--months", "1", "--json", "--category", "all", "--db", db) == 0
    assert json.loads(capsys.readouterr().out)["treatment_before"] == 4


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--radius", "0"], "the radius must be more than 0 metres"),
        (["--radius", "400", "--ring", "400"], "the ring (400 m) must reach further than the radius (400 m)"),
        (["--ring", "100"], "must reach further"),
        (["--months", "0"], "the window must be at least 1 month"),
        (["--category", "asb"], "unknown category 'asb'"),
        (["--json", "--out", "-"], "--json prints to standard output"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(main, db, capsys, argv, words):
    assert main("--interventions", "closures", *argv, "--db", db) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_a_bad_file_names_its_row_and_column(main, db, write, capsys):
    path = write("warrants.csv", "ref,date,lat,lng\nW1,2024-03-20,51.45,-2.59\nW2,20/03/2024,51.45,-2.59\n")
    assert main("--interventions", str(path), "--db", db) == 2
    err = capsys.readouterr().err
    assert err == "error: warrants.csv, row 3, column 'date': not a day YYYY-MM-DD: '20/03/2024'\n"
    assert main("--interventions", str(path.with_name("missing.csv")), "--db", db) == 2
    assert "missing.csv" in capsys.readouterr().err
