"""``python -m geo areas``: the exact table from the points, the published one from the protected release.

The published table is checked against sums of :attr:`Release.cells` rows made here (pandas on the
cells frame, not :meth:`Release.totals`), shown by the presentation rule.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.core.schema import ASB
from geo.plan.areas import area_table
from geo.publish.privacy import suppress, suppress_labels
from geo.publish.release import Release
from geo.stats.aggregate import month_range
from geo.store import Store


def release_sums(release: Release, layer: str, months: list[str], categories: tuple[str, ...] | None) -> pd.Series:
    """Incidents per area code of ``layer`` over ``months`` (and ``categories``), added up from the cells here."""
    c = release.cells
    rows = c[(c["measure"] == "incidents") & (c["layer"] == layer) & c["month"].isin(months)]
    if categories is not None:
        rows = rows[rows["category"].isin(categories)]
    codes = release.areas.loc[release.areas["layer"] == layer, "code"]
    return rows.groupby("area")["value"].sum().reindex(codes, fill_value=0)


def _run(capsys, *argv: str, text: bool = False) -> tuple[pd.DataFrame, str]:
    """The command's CSV (``text``: every cell as written, for the published labels) and its summary line."""
    assert main(["areas", *argv]) == 0
    out = capsys.readouterr()
    if text:
        return pd.read_csv(io.StringIO(out.out), dtype=str, keep_default_na=False), out.err
    return pd.read_csv(io.StringIO(out.out), dtype={"code": str}), out.err


def test_the_exact_table(demo_town, capsys):
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


def _labels(values: pd.Series) -> list[str]:
    return suppress_labels(values.to_numpy())


@pytest.mark.parametrize("layer", ["wards", "estates"])
def test_the_published_table_is_the_release_s_sums_shown(demo_town, capsys, release, layer):
    args = ["--db", demo_town, "--from", "2026-05", "--to", "2026-10", "--layer", layer, "--published"]
    shown, line = _run(capsys, *args, text=True)
    lay = layer[:-1]
    now = release_sums(release, lay, month_range("2026-05", "2026-10"), (ASB,))
    before = release_sums(release, lay, month_range("2025-11", "2026-04"), (ASB,))
    assert shown["code"].tolist() == now.index.tolist()  # every area, in the boundaries' order, none twice
    assert shown["count"].tolist() == _labels(now)
    assert shown["previous"].tolist() == _labels(before)
    # the change from the shown values only, empty where one is hidden or the earlier is zero
    a, b = suppress(now.to_numpy()), suppress(before.to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(np.isfinite(a) & np.isfinite(b) & (b > 0), a / b - 1, np.nan)
    got = pd.to_numeric(shown["change"].replace("", np.nan)).to_numpy(float)
    whole = np.sign(change) * np.floor(np.abs(change) * 100 + 0.5) / 100  # whole percent, half away from 0
    np.testing.assert_allclose(got, whole, atol=1e-9)
    word = {"wards": "8 wards", "estates": "5 estates"}[layer]
    assert line.startswith(f"{word}, 2026-05..2026-10: published form (sums of the protected release")
    # the table could tell the release from the exact counts: some area's sum differs from its true count
    store = Store(demo_town)
    exact = area_table(store, layer=layer, start="2026-05", end="2026-10", categories=(ASB,))
    store.dispose()
    assert (exact.table.set_index("code")["count"].reindex(now.index) != now).any()


def test_published_categories_are_sums_over_them_and_a_source_is_refused(demo_town, capsys, release):
    months = ["--from", "2026-10", "--to", "2026-10"]
    two = ["--category", "Burglary", "--category", "Drugs"]
    shown, _ = _run(capsys, "--db", demo_town, *months, *two, "--published", text=True)
    assert shown["count"].tolist() == _labels(release_sums(release, "ward", ["2026-10"], ("Burglary", "Drugs")))
    every, _ = _run(capsys, "--db", demo_town, *months, "--category", "all", "--published", text=True)
    assert every["count"].tolist() == _labels(release_sums(release, "ward", ["2026-10"], None))
    # the release is protected per category, not per source: a source filter would be a new, unprotected sum
    assert main(["areas", "--db", demo_town, *months, "--source", "police.uk", "--published"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1 and "Traceback" not in err.err
    assert "--source cannot be used with --published" in err.err


def test_options_are_checked(demo_town, capsys):
    assert main(["areas", "--db", demo_town, "--from", "2026-05", "--to", "2026-01"]) == 2
    assert "error: month range is empty: 2026-05 is after 2026-01" in capsys.readouterr().err
    assert main(["areas", "--db", demo_town, "--from", "2026-05", "--to", "2026-06", "--category", "asb"]) == 2
    assert "unknown category 'asb'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["areas", "--db", demo_town, "--from", "2026-05"])  # --to is required
