"""``python -m geo dosage``: a CSV row per place, the totals as JSON, bad days in one line.

The command's own parser and run (:data:`geo.cli._dosage.DOSAGE`) are driven
directly, as :func:`geo.cli.main` would after parsing; expected figures are
worked by hand from the pings below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json

import h3
import pandas as pd
import pytest

from geo.cli._dosage import DOSAGE
from geo.core.errors import OptionError
from geo.store.importer import import_path

RES = 9
HOME = h3.latlng_to_cell(51.45, -2.59, RES)
AT = h3.cell_to_latlng(HOME)


def dosage(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="geo dosage")
    DOSAGE.add_arguments(parser)
    return DOSAGE.run(parser.parse_args(argv))


@pytest.fixture
def db(store, write):
    """B21 at HOME 10:00-10:04 on 2 March (a 4-minute visit), A7 one ping there at 10:02 (a pass)."""
    pings = "".join(f"B21,2026-03-02T10:0{m}:00Z,{AT[0]!r},{AT[1]!r}\n" for m in (0, 2, 4))
    pings += f"A7,2026-03-02T10:02:00Z,{AT[0]!r},{AT[1]!r}\n"
    assert import_path(store, "patrols", write("p.csv", "unit,time,lat,lng\n" + pings)).stored == 4
    return store.url


def test_json_prints_the_totals_with_null_where_no_plan_was_saved(db, tmp_path, capsys):
    out = tmp_path / "dosage.csv"
    assert dosage("--from", "2026-03-02", "--to", "2026-03-08", "--out", str(out), "--json", "--db", db) == 0
    printed, err = capsys.readouterr()
    assert json.loads(printed) == {
        "planned_visits": None,
        "planned_minutes": None,
        "visits": 1,
        "minutes": 4.0,
        "passes": 1,
        "planned_places": None,
        "places_visited": 1,
        "minutes_at_planned_places": None,
        "delivered_share": None,
    }
    assert "1 visit (4 unit-minutes) at 1 place and 1 pass; no plan was saved" in err
    assert "note: no plan was saved for 2026-03-02 to 2026-03-08" in err
    table = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table.to_dict("records") == [
        {
            "cell": HOME,
            "place": f"near {AT[0]:.4f}° N, {-AT[1]:.4f}° W",
            "planned_visits": "",
            "planned_minutes": "",
            "visits": "1",
            "minutes": "4.0",
            "passes": "1",
        }
    ]


def test_without_out_or_json_the_csv_goes_to_standard_output(db, capsys):
    assert dosage("--from", "2026-03-03", "--to", "2026-03-03", "--db", db) == 0
    printed, err = capsys.readouterr()
    assert pd.read_csv(io.StringIO(printed)).columns.tolist() == [
        "cell",
        "place",
        "planned_visits",
        "planned_minutes",
        "visits",
        "minutes",
        "passes",
    ]
    assert "2026-03-03: 0 visits (0 unit-minutes) at 0 places and 0 passes" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--from", "2026-3-2", "--to", "2026-03-02"), "--from must be a day YYYY-MM-DD, not '2026-3-2'"),
        (("--from", "2026-03-02", "--to", "2026-02-30"), "--to must be a day YYYY-MM-DD, not '2026-02-30'"),
        (("--from", "0001-01-01", "--to", "2026-03-02"), "--from must be a day from 1990 to 2199, not 0001-01-01"),
        (("--from", "2026-03-02", "--to", "9999-12-31"), "--to must be a day from 1990 to 2199, not 9999-12-31"),
        (
            ("--from", "2026-03-09", "--to", "2026-03-02"),
            "--from 2026-03-09 is after --to 2026-03-02: no days to count",
        ),
        (("--from", "2026-03-02", "--to", "2026-03-02", "--json", "--out", "-"), "give --out a file name"),
    ],
)
def test_bad_options_are_one_clear_error_before_the_store_is_opened(tmp_path, argv, message):
    db = tmp_path / "never.sqlite"
    with pytest.raises(OptionError, match=message):
        dosage(*argv, "--db", str(db))
    assert not db.exists()


def test_with_a_saved_plan_the_totals_give_the_share_of_planned_minutes_delivered(db, store, capsys):
    from geo.store.patrols import save_plan

    slot = {"week": dt.date(2026, 3, 2), "team": "Team 1", "order": 1, "cell": h3.str_to_int(HOME), "res": RES}
    slot |= {"place": "Beacon Court", "ward": "", "minutes": 15, "reason": "hot spot"}
    slots = pd.DataFrame([slot]).assign(start=pd.Timestamp("2026-03-02 10:00", tz="Europe/London"))
    save_plan(store, slots, week=dt.date(2026, 3, 2), user="inspector", options={})
    assert dosage("--from", "2026-03-02", "--to", "2026-03-08", "--json", "--db", db) == 0
    printed, err = capsys.readouterr()
    totals = json.loads(printed)
    assert (totals["planned_visits"], totals["planned_minutes"], totals["minutes"]) == (1, 15, 4.0)
    assert totals["delivered_share"] == round(4 / 15, 4)  # 0.2667
    assert "4 of 15 planned minutes delivered (27%) at 1 planned place; 1 visit" in err
