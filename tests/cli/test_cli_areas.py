"""``python -m geo areas``: the exact and the published tables, from the same counts."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo.cli import main
from geo.core.schema import ASB
from geo.plan.areas import area_table
from geo.publish.areas import publish_area_table
from geo.store import Store


def _run(capsys, *argv: str) -> tuple[pd.DataFrame, str]:
    assert main(["areas", *argv]) == 0
    out = capsys.readouterr()
    return pd.read_csv(io.StringIO(out.out), dtype={"code": str}), out.err


def test_exact_and_published_tables(demo_town, capsys):
    args = ["--db", demo_town, "--from", "2026-05", "--to", "2026-10"]
    exact, line = _run(capsys, *args)
    assert exact.columns.tolist() == ["code", "name", "count", "previous", "change"]
    store = Store(demo_town)
    want = area_table(store, layer="wards", start="2026-05", end="2026-10", categories=(ASB,))
    store.dispose()
    assert exact["count"].tolist() == want.table["count"].tolist()
    assert exact["previous"].tolist() == want.table["previous"].tolist()
    assert (exact["change"] - (exact["count"] / exact["previous"] - 1)).abs().max() < 5e-5  # rounded to 4 places
    assert line.startswith("8 wards, 2026-05..2026-10 against 2025-11..2026-04; Anti-social behaviour: ")
    assert f"{exact['count'].sum():,} incidents in a ward" in line

    shown, line = _run(capsys, *args, "--published", "--layer", "estates")
    store = Store(demo_town)
    raw = area_table(store, layer="estates", start="2026-05", end="2026-10", categories=(ASB,))
    store.dispose()
    pub = publish_area_table(raw.table, compared=True)
    assert shown["count"].astype(str).tolist() == pub["count_text"].str.replace(",", "").tolist()
    assert "published form" in line and "an estate" in line
    assert all(c % 5 == 0 for c in pd.to_numeric(shown["count"], errors="coerce").dropna())


def test_options_are_checked(demo_town, capsys):
    assert main(["areas", "--db", demo_town, "--from", "2026-05", "--to", "2026-01"]) == 2
    assert "error: month range is empty: 2026-05 is after 2026-01" in capsys.readouterr().err
    assert main(["areas", "--db", demo_town, "--from", "2026-05", "--to", "2026-06", "--category", "asb"]) == 2
    assert "unknown category 'asb'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["areas", "--db", demo_town, "--from", "2026-05"])  # --to is required
