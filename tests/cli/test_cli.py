"""The batch command line: each exit code once through a real subprocess, as cron runs it; the rest in this process.

A new ``python -m geo`` costs 2-3 s of imports, so the other checks call the
same ``main()`` here (``tests/cli/in_process.py``: the same exit code, stdout
and stderr, captured at the file descriptors).
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pandas as pd

from tests.cli import in_process
from tests.conftest import cli, police_csv, police_row

ROOT = Path(__file__).resolve().parents[2]


def test_import_json_accounting_and_exit_codes(tmp_path, write, capfd):
    db = tmp_path / "cli.sqlite"
    path = write("a.csv", police_csv(police_row(), police_row(lng="", lat=""), police_row()))
    out = cli("import", "incidents", str(path), "--json", db=db)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {k: result[k] for k in ("rows", "stored", "rejected", "already_present")} == {
        "rows": 3,
        "stored": 2,
        "rejected": 1,
        "already_present": 0,
    }
    rejects = in_process.run(capfd, "rejects", db=db)
    assert rejects.returncode == 0, rejects.stderr
    frame = pd.read_csv(io.StringIO(rejects.stdout), dtype=str)
    assert frame[["row", "column"]].values.tolist() == [["3", "Latitude"]]


def test_unreadable_input_exits_2_with_one_line(tmp_path, write, capfd):
    db = tmp_path / "cli.sqlite"
    in_this_process = functools.partial(in_process.run, capfd)
    for path, run in (
        (write("empty.csv", ""), cli),  # exit code 2 and the one line as the shell sees them
        (tmp_path / "missing.csv", in_this_process),
        (write("x.csv", b"PK\x03\x04junk"), in_this_process),
    ):
        out = run("import", "incidents", str(path), db=db)
        assert out.returncode == 2
        assert out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
        assert path.name in out.stderr


def test_bad_mapping_argument(tmp_path, write, capfd):
    path = str(write("f.csv", "a\r\n1\r\n"))
    out = in_process.run(capfd, "import", "flagged", path, "--map", "nonsense", db=tmp_path / "d.sqlite")
    assert out.returncode == 2 and "COLUMN=HEADING" in out.stderr


def test_imports_are_audited(tmp_path, write):
    from geo.cli import main
    from geo.store import Store

    db = str(tmp_path / "a.sqlite")
    path = write("2024-01-x-street.csv", police_csv(police_row(), police_row(lat="", lng="")))
    assert main(["import", "incidents", str(path), "--db", db]) == 0
    log = Store(db).audit(action="import")
    assert len(log) == 1 and log["rows"].iloc[0] == 2 and log["role"].iloc[0] == "cli"
    assert '"rejected": 1' in log["detail"].iloc[0]


# --------------------------------------------------------------------------- the registry


def test_every_registered_command_is_in_help_with_its_help_text(capsys):
    import pytest

    from geo.cli import COMMANDS, main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps long help lines
    for name, command in COMMANDS.items():
        assert command.name == name
        assert command.help.strip(), f"{name} has no help text"
        assert f"{name} {' '.join(command.help.split())}" in shown


def test_help_lists_the_commands_in_their_documented_order():
    """The order users have seen since the first release (and the README documents): kept by the registry."""
    from geo.cli import COMMANDS

    assert list(COMMANDS) == [
        "import",
        "rejects",
        "export-all",
        "import-all",
        "migrate",
        "delete-import",
        "demo",
        "status",
        "analyse",
        "hotspots",
        "emerging",
        "priority",
        "concentration",
        "areas",
        "users",
        "evaluate",
        "plan",
        "dosage",
        "doorknock",
        "review",
        "report",
        "audit",
    ]


def test_every_group_command_is_registered_exactly_once():
    from geo.cli import (
        COMMANDS,
        _admin,
        _analysis,
        _areas,
        _audit,
        _doorknock,
        _dosage,
        _evaluate,
        _imports,
        _plan,
        _report,
        _review,
    )

    groups = (_imports, _admin, _analysis, _areas, _evaluate, _plan, _dosage, _doorknock, _review, _report, _audit)
    grouped = [c for group in groups for c in group.COMMANDS]
    assert sorted(c.name for c in grouped) == sorted(COMMANDS)
    assert all(COMMANDS[c.name] is c for c in grouped)


def test_every_users_subcommand_has_help():
    from geo.cli._admin import USER_COMMANDS

    assert list(USER_COMMANDS) == ["add", "remove", "list", "oidc", "intel"]
    assert all(c.help.strip() for c in USER_COMMANDS.values())


def test_a_new_statistic_is_one_entry(monkeypatch, tmp_path, capsys):
    """A statistic made by ``statistic()`` gets the shared options and path; registering it is one dict entry."""
    import geo.cli
    from geo.cli._analysis import statistic

    def options(p):
        p.add_argument("--top-n", type=int, default=2)

    def answer(_store, cube, args):
        return pd.DataFrame({"cell": [1, 2, 3][: args.top_n]}), f"{len(cube.months)} months"

    new = statistic(name="toy", help="a toy statistic", add_options=options, answer=answer)
    monkeypatch.setitem(geo.cli.COMMANDS, "toy", new)
    parser = geo.cli.build_parser()
    args = parser.parse_args(["toy", "--top-n", "1", "--res", "8", "--category", "all"])
    assert (args.top_n, args.res, args.k, args.category, args.out) == (1, 8, 1, ["all"], "-")
    # it runs the shared path: no boundaries in a fresh store is the shared path's one-line refusal
    assert geo.cli.main(["toy", "--db", str(tmp_path / "t.sqlite")]) == 2
    assert capsys.readouterr().err.startswith("error: no ward or estate boundaries")


# --------------------------------------------------------------------------- exit codes


def _raising(exc: BaseException):
    from geo.cli import Command

    def run(_args):
        raise exc

    return Command(name="boom", help="raises", add_arguments=lambda p: None, run=run)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_each_user_error_class_exits_2_with_one_line(monkeypatch, capsys):
    import pytest

    import geo.cli
    from geo.core.errors import InputError, OptionError, StoreError

    cases = [
        (InputError("no such file or folder", file="a.csv"), "error: a.csv: no such file or folder"),
        (OptionError("--res must be 6-11, not 99", option="--res"), "error: --res must be 6-11, not 99"),
        (StoreError("database is locked"), "error: database is locked"),
        (FileNotFoundError(2, "No such file or directory"), "error: [Errno 2] No such file or directory"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "error: 'utf-8' codec can't decode"),
    ]
    for exc, start in cases:
        monkeypatch.setitem(geo.cli.COMMANDS, "boom", _raising(exc))
        assert geo.cli.main(["boom"]) == 2, exc
        captured = capsys.readouterr()
        assert captured.out == "" and _one_line(captured.err).startswith(start)
    monkeypatch.setitem(geo.cli.COMMANDS, "boom", _raising(KeyboardInterrupt()))
    assert geo.cli.main(["boom"]) == 130
    assert _one_line(capsys.readouterr().err).startswith("interrupted:")
    with pytest.raises(SystemExit) as done:  # argparse's own usage errors stay argparse's (exit 2)
        geo.cli.main(["hotspots", "--res", "x"])
    assert done.value.code == 2


def test_a_bug_exits_1_with_one_line_and_the_traceback_on_request(monkeypatch, capsys):
    import pytest

    import geo.cli

    monkeypatch.setitem(geo.cli.COMMANDS, "boom", _raising(ZeroDivisionError("division by zero")))
    monkeypatch.delenv("NESTWATCH_DEBUG", raising=False)
    assert geo.cli.main(["boom"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line == "internal error: ZeroDivisionError: division by zero (NESTWATCH_DEBUG=1 shows more)"
    monkeypatch.setenv("NESTWATCH_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        geo.cli.main(["boom"])


def test_bad_option_values_argparse_cannot_see_exit_2_with_one_line(tmp_path, write, capsys):
    """Each is refused by our code, in words naming the option and what it accepts."""
    from geo.cli import main

    db = str(tmp_path / "empty.sqlite")
    f = str(write("f.csv", "ref\r\n1\r\n"))
    cases = [
        (["import", "flagged", f, "--map", "ref"], "--map expects COLUMN=HEADING, got 'ref'"),
        (["import", "flagged", f, "--map", "reference=ref"], "unknown column 'reference'"),
        (["hotspots", "--from", "jan"], "must be YYYY-MM, not 'jan'"),
        (["hotspots", "--to", "2024-13"], "must be YYYY-MM, not '2024-13'"),
        (["hotspots", "--category", "Anti social"], "unknown category 'Anti social'; expected 'all' or one of: "),
        (["priority", "--as-of", "31/01/2024"], "--as-of must be a day YYYY-MM-DD, not '31/01/2024'"),
        (["priority", "--top", "-3"], "--top must be 0 or more, not -3"),
        (["report", "--out", "pack.docx"], "pack.docx: the report is written as .pdf or .html"),
    ]
    for argv, words in cases:
        assert main([*argv, "--db", db]) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and words in _one_line(captured.err), (argv, captured.err)


def test_a_resolution_out_of_range_exits_2_with_one_line(tmp_path, capsys):
    """--res is judged where cells are made, after the boundaries are read: so the store needs wards."""
    from geo.cli import main

    db = str(tmp_path / "cli.sqlite")
    assert main(["import", "wards", str(ROOT / "data" / "boundaries" / "demo_wards.geojson"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["hotspots", "--res", "99", "--db", db]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "between 6 and 11, not 99" in _one_line(captured.err)
