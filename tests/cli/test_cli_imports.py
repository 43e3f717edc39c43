"""The import command's options: ``--map`` pairs and the one ImportOptions the page also builds."""

from __future__ import annotations

import pytest

from geo.cli import build_parser
from geo.cli._imports import COORD_CHOICES, args_to_import_options, pairs_to_mapping
from geo.core.errors import InputError, OptionError
from geo.store.importer import COORD_MODES, ImportOptions


def test_map_pairs_drop_spaces_around_both_sides_and_keep_spaces_inside():
    assert pairs_to_mapping([" ref = Case Ref ", "lat=Y"]) == {"ref": "Case Ref", "lat": "Y"}
    assert pairs_to_mapping(["note=a=b"]) == {"note": "a=b"}  # only the first = splits
    assert pairs_to_mapping([]) == {}


def test_a_map_pair_without_equals_is_an_option_error():
    with pytest.raises(OptionError, match="COLUMN=HEADING, got 'Case Ref'") as caught:
        pairs_to_mapping(["ref=Case Ref", "Case Ref"])
    assert caught.value.option == "--map" and not isinstance(caught.value, InputError)


def test_the_command_line_fills_the_same_options_object_as_the_page():
    args = build_parser().parse_args(
        ["import", "wards", "w.gpkg", "--layer", "wards", "--crs", "EPSG:27700", "--code-column", "C"]
    )
    assert args_to_import_options(args) == ImportOptions(layer="wards", crs="EPSG:27700", code_column="C")
    args = build_parser().parse_args(["import", "flagged", "f.csv", "--map", "ref=Id", "--coords", "bng"])
    assert args_to_import_options(args) == ImportOptions(mapping={"ref": "Id"}, coords="bng")


def test_coords_choices_are_the_importers_modes():
    """Spelt out in the CLI so that --help stays fast; they must not drift apart."""
    assert COORD_CHOICES == COORD_MODES


# --------------------------------------------------------------------------- demo and demo --remove


@pytest.fixture
def demo_db(demo_town, tmp_path):
    from tests.conftest import store_url

    return store_url(tmp_path / "demo.sqlite", template=demo_town)


def test_demo_remove_deletes_the_demo_and_says_what_went(demo_db, capsys):
    from geo.cli import main
    from geo.store import Store

    assert main(["demo", "--remove", "--db", demo_db]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 13 and lines[0].startswith("removed import 1 (data/boundaries/demo_wards.geojson): 8 rows")
    assert lines[2].startswith("removed import 3 (data/demo-synthetic/incidents.csv): ")
    store = Store(demo_db)
    deletions = store.audit(action="delete")
    assert len(deletions) == 14 and set(deletions["role"]) == {"cli"}  # thirteen imports and the saved plans
    assert "plans:all" in set(deletions["target"])
    assert set(deletions["reason"]) == {"removing the synthetic demo town"}
    assert store.is_empty() is False and store.imports()["deleted_at"].notna().all()
    store.dispose()
    assert main(["demo", "--remove", "--db", demo_db]) == 0
    assert capsys.readouterr().out.strip() == "no synthetic demo imports in this store: nothing removed"


def test_real_data_into_the_demo_exits_2_naming_demo_remove_then_goes_in_after_it(demo_db, tmp_path, capsys):
    from geo.cli import main
    from tests.conftest import police_csv, police_row

    path = tmp_path / "real.csv"
    path.write_text(police_csv(police_row()))
    assert main(["import", "incidents", str(path), "--db", demo_db]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "`python -m geo demo --remove`" in captured.err and "fresh store" in captured.err
    assert main(["demo", "--remove", "--db", demo_db]) == 0
    assert main(["import", "incidents", str(path), "--db", demo_db]) == 0
    assert "1 stored" in capsys.readouterr().out


def test_the_demo_into_a_real_store_exits_2(tmp_path, capsys):
    from geo.cli import main
    from tests.conftest import police_csv, police_row, store_url

    db = store_url(tmp_path / "real.sqlite")
    path = tmp_path / "real.csv"
    path.write_text(police_csv(police_row()))
    assert main(["import", "incidents", str(path), "--db", db]) == 0
    capsys.readouterr()
    assert main(["demo", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "holds real data" in err and "fresh store" in err and len(err.strip().splitlines()) == 1
    assert main(["demo", "--remove", "--db", db]) == 0  # nothing of the demo here, and nothing real is touched
    assert "nothing removed" in capsys.readouterr().out


def test_remove_and_if_empty_do_not_go_together():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--remove", "--if-empty"])


# --------------------------------------------------------------------------- import population


@pytest.fixture
def command(capfd):
    """``python -m geo ARGS --db DB`` run in this process (tests/cli/in_process.py)."""
    import functools

    from tests.cli import in_process

    return functools.partial(in_process.run, capfd)


def test_import_population_counts_every_row_and_a_second_run_stores_nothing(tmp_path, write, command):
    import json

    db = tmp_path / "s.sqlite"
    path = write("mye.csv", "Ward Code 1,Mid-year,All Ages\r\nE05000001,2022,9000\r\nE05000002,2022,-4\r\n")
    out = command("import", "population", str(path), db=db)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith("mye.csv: 2 rows, 1 stored, 1 rejected, 0 already present")
    assert "rejected       1: population is negative" in out.stdout
    assert "no ward or estate boundaries are stored yet" in out.stdout  # the codes cannot be matched: noted
    again = command("import", "population", str(path), "--json", db=db)
    counts = json.loads(again.stdout)
    assert (counts["stored"], counts["rejected"], counts["already_present"]) == (0, 1, 1)
    rejects = command("rejects", "--kind", "population", db=db)
    assert rejects.returncode == 0 and "population is negative: -4" in rejects.stdout
    status = command("status", db=db)
    assert json.loads(status.stdout)["counts"]["population"] == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("Ward Code 1,All Ages\r\nE05000001,9000\r\n", "cannot find column(s) ['year'] for population"),
        ("", "empty"),
    ],
)
def test_a_population_file_that_cannot_be_read_is_exit_2_and_one_line(tmp_path, write, command, content, says):
    out = command("import", "population", str(write("bad.csv", content)), db=tmp_path / "s.sqlite")
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
