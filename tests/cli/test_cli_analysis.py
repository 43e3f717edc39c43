"""The statistics' shared options: which incidents count, and the plan's own options."""

from __future__ import annotations

import pytest

from geo.cli import build_parser
from geo.cli._analysis import args_to_filters, check_plan_options
from geo.core.errors import InputError, OptionError
from geo.stats.aggregate import Filters


def _filters(*argv: str) -> Filters:
    return args_to_filters(build_parser().parse_args(["hotspots", *argv]))


def test_anti_social_behaviour_by_default_and_all_for_every_category():
    assert _filters() == Filters(categories=("Anti-social behaviour",))
    assert _filters("--category", "all").categories is None
    assert _filters("--category", "Drugs", "--category", "all").categories is None
    assert _filters("--category", "Drugs", "--category", "Robbery").categories == ("Drugs", "Robbery")
    assert _filters("--from", "2024-01", "--to", "2024-03", "--source", "housing") == Filters(
        month_from="2024-01", month_to="2024-03", categories=("Anti-social behaviour",), sources=("housing",)
    )


def test_a_category_that_can_never_match_is_an_option_error_listing_the_accepted():
    with pytest.raises(OptionError) as caught:
        _filters("--category", "Drugs", "--category", "asb")  # stored categories are police.uk's exact names
    message = str(caught.value)
    assert message.startswith("unknown category 'asb'; expected 'all' or one of: Anti-social behaviour, ")
    assert "Violence and sexual offences" in message and caught.value.option == "--category"
    assert not isinstance(caught.value, InputError)


@pytest.mark.parametrize("as_of", [None, "2024-01-31", "2024-02-29"])
def test_plan_options_accepted(as_of):
    check_plan_options(top=0, as_of=as_of)


@pytest.mark.parametrize(
    ("top", "as_of", "words"),
    [
        (-1, None, "--top must be 0 or more, not -1"),
        (10, "2024-02-30", "not '2024-02-30'"),  # no such day
        (10, "2023-02-29", "not '2023-02-29'"),  # not a leap year
        (10, "31/01/2024", "--as-of must be a day YYYY-MM-DD"),
        (10, "2024-01", "--as-of must be a day YYYY-MM-DD"),
        (10, "20240131", "--as-of must be a day YYYY-MM-DD"),  # ISO basic form: compared as text it would misorder
    ],
)
def test_plan_options_refused(top, as_of, words):
    with pytest.raises(OptionError, match=words):
        check_plan_options(top=top, as_of=as_of)


# --------------------------------------------------------------------------- emerging: which rule, from when


def test_emerging_trend_rule_is_an_option_defaulting_to_complete():
    parse = build_parser().parse_args
    assert parse(["emerging"]).trend == "complete"
    assert parse(["emerging", "--trend", "esri"]).trend == "esri"
    with pytest.raises(SystemExit):
        parse(["emerging", "--trend", "Esri"])  # argparse refuses a rule it does not know


@pytest.mark.parametrize(
    "case",
    [
        ("complete", "2025-12", "trend rule complete: trend over 2025-12..2026-10, 11 months with a complete"),
        ("esri", "2025-11", "trend rule esri: trend over 2025-11..2026-10, every month (12) as Esri's"),
    ],
)
def test_emerging_names_its_rule_and_first_month_in_the_csv_and_the_summary(demo_town, tmp_path, capsys, case):
    import pandas as pd

    from geo.cli import main

    trend, first, words = case

    out = tmp_path / "e.csv"
    assert main(["emerging", "--db", demo_town, "--from", "2025-11", "--trend", trend, "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"cell": str, "trend_from": str})
    assert list(table.columns[-2:]) == ["trend_rule", "trend_from"]
    assert set(table["trend_rule"]) == {trend} and set(table["trend_from"]) == {first}
    err = capsys.readouterr().err
    assert words in err and "in 2025-11..2026-10" in err
    if trend == "complete":
        assert "(2025-11 left out)" in err


@pytest.mark.parametrize(
    ("argv", "gives"),
    [
        (["--from", "2026-02"], "gives 8, 2026-03..2026-10: the complete-months rule leaves out 2026-02"),
        (["--from", "2026-01"], "gives 9, 2026-02..2026-10"),  # 10 months of data, 9 in the trend
        (["--from", "2026-02", "--trend", "esri"], "gives 9, 2026-02..2026-10. Choose a longer range"),
        (["--from", "2025-12", "--time-steps", "2"], "leaves out 2025-12, 2026-01, whose neighbourhoods lack"),
    ],
)
def test_emerging_with_fewer_than_ten_months_in_the_trend_says_so_instead_of_classifying(
    demo_town, tmp_path, capsys, argv, gives
):
    from geo.cli import main

    out = tmp_path / "e.csv"
    assert main(["emerging", "--db", demo_town, *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Emerging hot spot patterns are not classified: Esri's method needs at least 10 months" in err
    assert gives in err and "Traceback" not in err
    assert not out.exists()  # no categories written


def test_emerging_ten_months_are_enough_for_the_esri_rule(demo_town, tmp_path):
    from geo.cli import main

    assert (
        main(["emerging", "--db", demo_town, "--from", "2026-01", "--trend", "esri", "--out", str(tmp_path / "e")]) == 0
    )


def test_emerging_refuses_negative_time_steps_before_counting():
    from geo.cli import _analysis

    with pytest.raises(OptionError, match="--time-steps must be 0 or more"):
        _analysis._emerging_check(build_parser().parse_args(["emerging", "--time-steps", "-1"]))


def test_concentration_reports_the_area_actually_flagged(demo_town, tmp_path, capsys):
    import pandas as pd

    from geo.cli import main

    out = tmp_path / "c.csv"
    assert main(["concentration", "--db", demo_town, "--from", "2025-11", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"month": str})
    assert list(table.columns) == [
        "month_index",
        "n_allowed",
        "n_chosen",
        "hits",
        "total",
        "hit_rate",
        "area_share",
        "pai",
        "month",
    ]
    n_cells = round(table["n_chosen"].iloc[0] / table["area_share"].iloc[0])
    assert (table["n_allowed"] == -(-5 * n_cells // 100)).all()  # top 5 %, rounded up to whole cells
    assert ((table["area_share"] * n_cells).round(9) == table["n_chosen"]).all()  # the PAI's area is the flagged one
    assert ((table["pai"] * table["area_share"] - table["hit_rate"]).abs() < 1e-12).all()
    assert table["month"].tolist()[0] == "2026-02"  # 3 months of lookback before the first scored month
    err = capsys.readouterr().err
    assert f"against {table['n_allowed'].iloc[0]} allowed" in err
    assert "every cell tied at the cut is flagged; the PAI uses the area flagged" in err
    lo, hi = table["n_chosen"].min(), table["n_chosen"].max()
    assert (f"{lo}-{hi} cells" if lo != hi else f"{lo} cells") in err


def test_concentration_words_when_nothing_is_scored():
    import pandas as pd

    from geo.cli._analysis import _backtest_words
    from geo.stats.concentration import BACKTEST_COLUMNS

    assert _backtest_words(pd.DataFrame(columns=list(BACKTEST_COLUMNS)), lookback=3) == (
        "backtest: no month after the first 3 to score"
    )
    one = pd.DataFrame([[3, 2, 2, 5, 10, 0.5, 0.2, 2.5]], columns=list(BACKTEST_COLUMNS))
    assert _backtest_words(one, lookback=3).startswith(
        "backtest over 1 month: mean PAI 2.50 with 2 cells (20.0% of the area) flagged a month against 2 allowed"
    )


# --------------------------------------------------------------------------- analyse


@pytest.fixture(scope="module")
def analysed(demo_town, tmp_path_factory):
    """``analyse`` on the demo town, and each single command's CSV beside it (the same options)."""
    from geo.cli import main

    out = tmp_path_factory.mktemp("analyse")
    argv = ["--db", demo_town, "--from", "2024-01", "--k", "2"]
    assert main(["analyse", *argv, "--top", "7", "--balance", "emerging", "--out", str(out / "run")]) == 0
    for name, extra in (("hotspots", []), ("emerging", []), ("priority", ["--top", "7", "--balance", "emerging"])):
        assert main([name, *argv, *extra, "--out", str(out / f"{name}.csv")]) == 0
    return out


def test_analyse_writes_each_table_byte_for_byte_as_its_own_command(analysed):
    for name in ("hotspots", "emerging", "priority"):
        assert (analysed / "run" / f"{name}.csv").read_bytes() == (analysed / f"{name}.csv").read_bytes(), name


def test_the_priority_csv_names_each_place_after_its_cell_and_the_other_tables_do_not(analysed):
    import pandas as pd

    plan = pd.read_csv(analysed / "priority.csv", dtype=str, keep_default_na=False)
    assert list(plan.columns[:3]) == ["rank", "cell", "place"]
    assert (plan["place"] != "").all() and not plan["place"].str.contains(r"[0-9]").any()
    for name in ("hotspots", "emerging"):
        assert "place" not in pd.read_csv(analysed / f"{name}.csv", nrows=1).columns


def test_analyse_summary_says_what_was_counted_how_long_each_stage_took_and_the_peak(analysed, demo_town):
    import json

    import pandas as pd

    from geo.store import Store

    summary = json.loads((analysed / "run" / "summary.json").read_text(encoding="utf-8"))
    hot = pd.read_csv(analysed / "hotspots.csv")
    store = Store(demo_town)
    asb = store.read("incidents", columns=["month", "category"])
    store.dispose()
    # every ASB incident from 2024-01 on lies in the demo town (the hotspot table's counts add up to them)
    expected = int(((asb["category"] == "Anti-social behaviour") & (asb["month"] >= "2024-01")).sum())
    assert summary["incidents"]["counted"] == int(hot["count"].sum()) == expected
    assert summary["cells"] == len(hot) and summary["months"] == 34  # 2024-01..2026-10
    assert summary["options"]["k"] == 2
    assert summary["options"]["from"] == "2024-01" and summary["options"]["to"] == "2026-10"
    assert summary["options"]["balance"] == "emerging" and summary["options"]["top"] == 7
    assert summary["tables"] == {
        "hotspots.csv": {"rows": len(hot)},
        "emerging.csv": {"rows": len(hot)},
        "priority.csv": {"rows": 7},
    }
    stages = summary["seconds"]
    assert {
        "study area",
        "cube",
        "weights",
        "hotspots",
        "emerging",
        "cases",
        "places",
        "priority",
        "write",
        "total",
    } <= set(stages)
    assert all(v >= 0 for v in stages.values()) and stages["total"] >= max(v for k, v in stages.items() if k != "total")
    assert 50 < summary["peak_memory_mb"] < 100_000


def test_analyse_on_a_short_range_writes_what_it_can_and_says_why_emerging_is_missing(demo_town, tmp_path, capsys):
    import json

    from geo.cli import main

    out = tmp_path / "run"
    out.mkdir()
    (out / "emerging.csv").write_text("from an older run")
    assert main(["analyse", "--db", demo_town, "--from", "2026-03", "--out", str(out)]) == 0
    assert not (out / "emerging.csv").exists()  # an older run's patterns never sit beside this run's tables
    assert (out / "hotspots.csv").exists() and (out / "priority.csv").exists()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["lines"]["emerging"].startswith("not written: Emerging hot spot patterns are not classified")
    assert "emerging.csv" not in summary["tables"]
    assert "emerging: not written: Emerging hot spot patterns" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--out", "{file}"], "--out must be a folder, and {file} is a file"),
        (["--out", "{dir}", "--top", "-1"], "--top must be 0 or more"),
        (["--out", "{dir}", "--time-steps", "-1"], "--time-steps must be 0 or more"),
        (["--out", "{dir}", "--from", "2031-01"], "no incidents match the filters"),
    ],
)
def test_analyse_refuses_what_it_cannot_do_in_one_line(demo_town, tmp_path, capsys, argv, words):
    from geo.cli import main

    file = tmp_path / "taken.txt"
    file.write_text("x")
    fill = {"file": str(file), "dir": str(tmp_path / "run")}
    assert main(["analyse", "--db", demo_town, *(a.format(**fill) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words.format(**fill) in err and "Traceback" not in err
    assert not (tmp_path / "run" / "summary.json").exists()


def test_the_statistics_run_on_a_read_only_store(demo_town, tmp_path, capsys):
    """The study area is kept in the store when it can be; a store that cannot take the write still answers."""
    from geo.cli import main
    from tests.conftest import TEST_SERVER, store_url
    from tests.store.test_dberrors import read_only_file

    if TEST_SERVER:
        pytest.skip("a read-only file is a SQLite case (PostgreSQL's is a role without INSERT)")
    db = tmp_path / "ro.sqlite"
    store_url(db, template=demo_town)
    with read_only_file(db):
        assert main(["analyse", "--db", str(db), "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "priority.csv").exists()
