"""``python -m geo plan``: the briefing or the CSV written, the plan saved, bad options refused in words.

Until :data:`geo.cli.COMMANDS` registers it the command is run from its own parser (``PLAN.add_arguments``
and ``PLAN.run``, as :func:`geo.cli.main` would call them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

import pandas as pd
import pytest

from geo.cli._plan import PLAN
from geo.core.errors import OptionError
from geo.store.importer import import_path
from geo.store.patrols import read_plan
from tests.conftest import ONE_WARD, police_csv, police_row

HERE = (51.45, -2.59)


@pytest.fixture
def town(store, write):
    """One ward; 20 ASB incidents at HERE and 6 at each of six points around it: a hot spot and its ring."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    rows = [police_row(month="2024-02", lat=str(HERE[0]), lng=str(HERE[1]))] * 20
    for dlat, dlng in [(0.003, 0), (-0.003, 0), (0, 0.004), (0, -0.004), (0.0015, 0.003), (-0.0015, -0.003)]:
        at = {"lat": f"{HERE[0] + dlat:.6f}", "lng": f"{HERE[1] + dlng:.6f}"}
        rows += [police_row(month="2024-02", **at, location="On or near Elm Close")] * 6
    assert import_path(store, "incidents", write("i.csv", police_csv(*rows))).stored == 56
    return store


def run(store, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="geo plan")
    PLAN.add_arguments(parser)
    reason = [] if "--reason" in argv else ["--reason", "weekly tasking"]
    return PLAN.run(parser.parse_args([*argv, *reason, "--db", store.url]))


def test_the_briefing_is_written_and_the_plan_saved(town, tmp_path, capsys):
    out = tmp_path / "plan.html"
    shifts = "Mon-Fri 14:00-22:00; Sat 18:00-02:00"
    assert (
        run(
            town,
            "--week",
            "2024-03-06",
            "--shifts",
            shifts,
            "--out",
            str(out),
            "--teams",
            "B21, B22",
            "--top",
            "4",
            "--seed",
            "5",
        )
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="page">') == 2 and "Patrol briefing: B22" in page
    err = capsys.readouterr().err
    assert "saved for the week beginning 2024-03-04: 2 team(s), 4 places, 12 visits of 15 min" in err
    assert "is not a Monday" in err and "police.uk gives no time of day" in err
    saved = read_plan(town, week=dt.date(2024, 3, 4))
    assert saved is not None and len(saved) == 12 and set(saved["team"]) == {"B21", "B22"}
    [entry] = town.audit(action="export").to_dict("records")  # OFFICIAL-SENSITIVE: the reason is logged
    assert (entry["target"], entry["reason"], entry["rows"]) == ("export:plan.html", "weekly tasking", 12)


def test_a_briefing_is_not_written_without_a_reason(town, tmp_path):
    out = tmp_path / "plan.html"
    with pytest.raises(OptionError, match="give a --reason"):
        run(town, "--week", "2024-03-04", "--shifts", "Mon-Fri 14:00-22:00", "--out", str(out), "--reason", "  ")
    assert not out.exists() and town.audit(action="export").empty


def test_the_csv_is_the_same_plan_for_the_same_seed(town, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    common = [
        "--week",
        "2024-03-04",
        "--shifts",
        "Mon-Fri 14:00-22:00",
        "--visits",
        "2",
        "--minutes",
        "10",
        "--top",
        "5",
    ]
    assert run(town, *common, "--out", str(a), "--seed", "9") == 0
    assert run(town, *common, "--out", str(b), "--seed", "9") == 0
    first = pd.read_csv(a, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(first, pd.read_csv(b, encoding="utf-8-sig"))
    assert len(first) == 5 * 2 and (first["minutes"] == 10).all()
    assert len(read_plan(town, week=dt.date(2024, 3, 4))) == 10  # the newest saved plan of the week


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"--shifts": "Mon-Fri 14:00-2200"}, "shift 1 'Mon-Fri 14:00-2200': '2200' is not a time HH:MM"),
        ({"--shifts": "Mon-Fri 14:00-22:00; Fri 20:00-23:00"}, "shifts overlap: Fri 14:00-22:00 and Fri 20:00-23:00"),
        ({"--out": "plan.pdf"}, "--out must end .html (the briefing) or .csv"),
        ({"--week": "4 March 2024"}, "--week must be a day YYYY-MM-DD"),
        ({"--week": "9999-12-31"}, "--week must be a day from 1990 to 2199, not 9999-12-31"),
        ({"--week": "0001-01-01"}, "--week must be a day from 1990 to 2199, not 0001-01-01"),
        ({"--minutes": "90"}, "minutes must be a whole number 1-60"),
    ],
)
def test_bad_options_are_refused_naming_what_is_wrong(store, tmp_path, change, words):
    args = {"--week": "2024-03-04", "--shifts": "Mon-Fri 14:00-22:00", "--out": str(tmp_path / "p.html")} | change
    with pytest.raises(OptionError) as err:
        run(store, *[x for pair in args.items() for x in pair])
    assert words in str(err.value)
    assert read_plan(store, week=dt.date(2024, 3, 4)) is None  # nothing saved
