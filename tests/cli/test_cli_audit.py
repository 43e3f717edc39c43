"""``python -m geo audit verify``: exit 0 and the head to write down, or exit 1 and the first bad entry.

Run through the :data:`geo.cli._audit.AUDIT` command record with a parser built
from it, as :func:`geo.cli.build_parser` builds every command's.
"""

from __future__ import annotations

import argparse
import re

import pytest
import sqlalchemy as sa

from geo.cli._audit import AUDIT
from geo.core.errors import OptionError
from geo.store import audit


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo")
    AUDIT.add_arguments(parser.add_subparsers(dest="command", required=True).add_parser(AUDIT.name, help=AUDIT.help))
    return AUDIT.run(parser.parse_args([AUDIT.name, *argv]))


@pytest.fixture
def logged(store):
    for target in ("layer:flagged", "layer:wards", "cell:89"):
        audit.record(store, user="ana", role="analyst", action="view_layer", target=target, rows=3)
    return store


def _hashes(store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT entry_hash FROM audit ORDER BY id")).scalars())


def test_an_intact_log_exits_0_with_one_line_naming_the_count_and_the_head(logged, capsys):
    assert run("verify", "--db", logged.url) == 0
    out, err = capsys.readouterr()
    assert out == f"audit chain verified: 3 entries, head {_hashes(logged)[-1]}\n" and err == ""
    assert re.fullmatch(r"audit chain verified: 3 entries, head [0-9a-f]{64}\n", out)


def test_a_changed_entry_exits_1_naming_it(logged, capsys):
    with logged.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit SET target = 'layer:nothing' WHERE id = 2"))
    assert run("verify", "--db", logged.url) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("audit chain broken at entry 2: it was changed after it was written")
    assert len(err.strip().splitlines()) == 1


def test_the_expected_head_catches_a_log_cut_short(logged, capsys):
    first, _second, last = _hashes(logged)
    assert run("verify", "--db", logged.url, "--expect-head", first) == 0
    assert capsys.readouterr().out.strip().endswith("the expected head is entry 1, 2 entries since")
    with logged.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit WHERE id = 3"))
    assert run("verify", "--db", logged.url) == 0  # what is left is a valid chain
    capsys.readouterr()
    assert run("verify", "--db", logged.url, "--expect-head", last) == 1
    assert f"no entry has the expected head {last}" in capsys.readouterr().err


def test_an_expected_head_that_is_not_a_hash_is_an_option_error(logged):
    with pytest.raises(OptionError, match="64 hexadecimal digits"):  # geo.cli.main: one line, exit 2
        run("verify", "--db", logged.url, "--expect-head", "yesterday's")


def test_verify_is_the_one_subcommand_and_needs_naming(capsys):
    with pytest.raises(SystemExit):
        run()
    assert "verify" in capsys.readouterr().err


def test_the_command_is_registered_with_python_minus_m_geo(tmp_path, capfd):
    """Through the real entry point an intact log exits 0; through the same ``main()`` an edit exits 1 naming it.

    (The second in this process, ``tests/cli/in_process.py``: a new interpreter would add 2-3 s and nothing the
    first call has not shown, since ``python -m geo`` exits with what ``main()`` returns.)
    """
    from geo.store import Store
    from tests.cli import in_process
    from tests.conftest import cli, store_url

    url = store_url(tmp_path / "cli.sqlite")
    store = Store(url)
    for target in ("layer:flagged", "layer:closures"):
        audit.record(store, user="ana", role="analyst", action="view_layer", target=target)
    ok = cli("audit", "verify", db=url)
    assert ok.returncode == 0 and ok.stdout.startswith("audit chain verified: 2 entries, head "), ok.stderr
    table = store.tables["audit"]
    with store.engine.begin() as conn:
        first = conn.execute(sa.select(sa.func.min(table.c.id))).scalar_one()
        conn.execute(sa.update(table).where(table.c.id == first).values(rows=99))
    broken = in_process.run(capfd, "audit", "verify", db=url)
    assert broken.returncode == 1 and f"entry {first}" in broken.stderr and "internal error" not in broken.stderr
    store.dispose()
