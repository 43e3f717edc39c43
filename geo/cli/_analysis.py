"""The statistics as commands: hotspots, emerging, priority, concentration (over the count cube).

Every cube statistic shares one path: the same options (``--db --res --k --from
--to --category --source --out``), the same study area and count cube, one CSV
table out and one summary line on stderr. What differs is data: a
:func:`statistic` entry with a function adding the statistic's own options and
one answering with its table and line (and, if its options need judging
beyond argparse, a check). Adding a statistic is one entry in :data:`STATISTICS`;
:mod:`geo.cli` lists them in ``--help`` in this order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from geo.cli._command import Command, add_db, open_store, write_csv
from geo.core.errors import OptionError
from geo.core.schema import ASB, INCIDENT_CATEGORIES

if TYPE_CHECKING:
    import pandas as pd

    from geo.plan.analysis import Pass
    from geo.stats.aggregate import Cube, Filters

#: A statistic's answer: its table (written as CSV) and one line for stderr, from the request's analysis pass.
Answer = Callable[["Pass", argparse.Namespace], "tuple[pd.DataFrame, str]"]

ALL_CATEGORIES = "all"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def add_cube_options(p: argparse.ArgumentParser, *, out: bool = True) -> None:
    """The options every cube statistic takes, first in its ``--help`` (``out``: with ``--out`` for one CSV)."""
    add_db(p)
    p.add_argument("--res", type=int, default=9, help="H3 resolution 6-11 (default 9, about 0.1 km2 a cell)")
    p.add_argument("--k", type=int, default=1, help="neighbourhood rings for Gi* (default 1)")
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month (default: first in the data)")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month (default: last in the data)")
    p.add_argument(
        "--category",
        action="append",
        metavar="C",
        help='incident category, repeatable (default "Anti-social behaviour"; "all" for every category)',
    )
    p.add_argument("--source", action="append", metavar="S", help="incident source, repeatable (default: all)")
    if out:
        p.add_argument("--out", default="-", help="CSV file to write (default: standard output)")


def add_choice(
    p: argparse.ArgumentParser, flag: str, *, words: Mapping[str, str], default: str, lead: str, tail: str
) -> None:
    """An option whose values are named rules, each explained in ``--help`` from the policy's own words.

    The choices and their words come from one table (``TREND_RULES``, ``BALANCES``), so
    the help can never list a rule the code does not have, or miss one it does.
    """
    explained = "; ".join(f"{name}: {text}" for name, text in words.items())
    p.add_argument(flag, choices=list(words), default=default, help=f"{lead}: {explained} ({tail})")


def args_to_filters(args: argparse.Namespace) -> Filters:
    """Which incidents count, from ``--from/--to/--category/--source``.

    Raises
    ------
    OptionError
        For a category that is not a police.uk crime type (stored incidents
        carry only those, so it could never match), naming the accepted ones;
        :class:`~geo.stats.aggregate.Filters` itself refuses a month that is not ``YYYY-MM``.
    """
    from geo.stats.aggregate import Filters

    cats = args.category or [ASB]
    unknown = [c for c in cats if c != ALL_CATEGORIES and c not in INCIDENT_CATEGORIES]
    if unknown:
        raise OptionError(
            f"unknown category {unknown[0]!r}; expected {ALL_CATEGORIES!r} or one of: {', '.join(INCIDENT_CATEGORIES)}",
            option="--category",
        )
    return Filters(
        month_from=args.month_from,
        month_to=args.month_to,
        categories=None if ALL_CATEGORIES in cats else tuple(cats),
        sources=tuple(args.source) if args.source else None,
    )


def statistic(
    *,
    name: str,
    help: str,
    add_options: Callable[[argparse.ArgumentParser], None],
    answer: Answer,
    check: Callable[[argparse.Namespace], None] | None = None,
) -> Command:
    """A command for a statistic over the count cube: the shared options and path, then ``answer``.

    Parameters
    ----------
    name, help
        As ``--help`` shows them.
    add_options
        Adds the statistic's own options (listed after the shared ones).
    answer
        Computes the table and the summary line from the analysis pass (study
        area, cube and every statistic, each computed once) and the parsed arguments.
    check
        Refuses (:class:`~geo.core.errors.OptionError`) values of the statistic's own
        options that argparse cannot judge, before the store is opened and the cube
        counted (minutes on a national file); the shared options are checked here.
    """

    def add_arguments(p: argparse.ArgumentParser) -> None:
        add_cube_options(p)
        add_options(p)

    def run(args: argparse.Namespace) -> int:

        filters = args_to_filters(args)
        if check is not None:
            check(args)
        run = open_pass(args, filters=filters)
        table, line = answer(run, args)
        write_csv(table, args.out)
        print(line, file=sys.stderr)
        return 0

    return Command(name=name, help=help, add_arguments=add_arguments, run=run)


def open_pass(args: argparse.Namespace, *, filters: Filters) -> Pass:
    """The analysis pass for the shared options (``--db --res --k`` and the filters); refuses an empty cube."""
    from geo.plan import analysis

    run = analysis.Pass(open_store(args), res=args.res, k=args.k, filters=filters)
    if not run.cube.months:
        raise OptionError("no incidents match the filters")
    return run


def _span(cube: Cube) -> str:
    return f"{cube.months[0]}..{cube.months[-1]}"


def _no_options(_p: argparse.ArgumentParser) -> None:
    pass


# --------------------------------------------------------------------------- hotspots


def _hotspots(run: Pass, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    table = run.hotspots()
    hot = int((table["gi_bin"] > 0).sum())
    return table, f"{len(table)} cells at res {args.res}, {_span(run.cube)}: {hot} hot spots (FDR)"


# --------------------------------------------------------------------------- emerging


def _emerging_options(p: argparse.ArgumentParser) -> None:
    from geo.stats.emerging import DEFAULT_TREND, TREND_RULES

    p.add_argument("--time-steps", type=int, default=1, help="months of temporal neighbourhood (default 1)")
    add_choice(
        p,
        "--trend",
        words=TREND_RULES,
        default=DEFAULT_TREND,
        lead="which months the Mann-Kendall trend reads",
        tail=f"default {DEFAULT_TREND}; at least 10 months in the trend, as Esri requires",
    )


def _emerging_check(args: argparse.Namespace) -> None:
    if args.time_steps < 0:
        raise OptionError(f"--time-steps must be 0 or more, not {args.time_steps}", option="--time-steps")


def _emerging(run: Pass, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    from geo.plan import analysis

    table = run.emerging(time_steps=args.time_steps, trend=args.trend)
    counts = table["category"].value_counts()
    found = ", ".join(f"{n} {c}" for c, n in counts.items() if c != "no pattern detected") or "no patterns"
    rule = analysis.describe_trend(run.cube.months, trend=args.trend, time_steps=args.time_steps)
    return table, f"{found} in {_span(run.cube)}; trend rule {args.trend}: {rule}"


# --------------------------------------------------------------------------- priority


def _priority_options(p: argparse.ArgumentParser) -> None:
    from geo.plan.priority import BALANCES, DEFAULT_BALANCE

    p.add_argument("--top", type=int, default=10, help="how many cells to visit (default 10)")
    p.add_argument("--as-of", help="plan date YYYY-MM-DD (default: end of the last month)")
    add_choice(
        p,
        "--balance",
        words={name: b.label.lower() for name, b in BALANCES.items()},
        default=DEFAULT_BALANCE,
        lead="established hot spots against emerging ones",
        tail=f"default {DEFAULT_BALANCE}: of two hot spots alike the busier first; README 'Patrol priority' says why",
    )


def _priority_check(args: argparse.Namespace) -> None:
    check_plan_options(top=args.top, as_of=args.as_of)


def check_plan_options(*, top: int, as_of: str | None) -> None:
    """Refuse a plan the options cannot mean.

    Case dates are compared with ``as_of`` as ``YYYY-MM-DD`` text, so another
    spelling of a day would give a plan for the wrong day rather than an error.

    Raises
    ------
    OptionError
        For a negative ``top`` or an ``as_of`` that is not a real ``YYYY-MM-DD`` day.
    """
    if top < 0:
        raise OptionError(f"--top must be 0 or more, not {top}", option="--top")
    if as_of is not None:
        try:
            valid = bool(_DAY.fullmatch(as_of)) and dt.date.fromisoformat(as_of) is not None
        except ValueError:
            valid = False
        if not valid:
            raise OptionError(f"--as-of must be a day YYYY-MM-DD, not {as_of!r}", option="--as-of")


def _priority(run: Pass, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    from geo.plan.priority import counted

    ranked, _scored, length = run.priority(top=args.top, as_of=args.as_of, balance=args.balance)
    line = f"{len(ranked)} cells to visit, tour {length / 1000:.1f} km ({_span(run.cube)}; balance {args.balance})"
    return ranked.rename(columns={"count": counted(run.cube).label}), line


# --------------------------------------------------------------------------- concentration


def _concentration_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lookback", type=int, default=3, help="months used to choose hotspots (default 3)")
    p.add_argument("--area", type=float, default=0.05, help="share of cells chosen (default 0.05)")


def _concentration(run: Pass, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    import pandas as pd

    from geo.plan import analysis

    cube = run.cube

    summary = analysis.concentration_summary(cube, lookback=args.lookback, area_fraction=args.area)
    backtest, share_in_top, gini = summary["backtest"], summary["share_in_top"], summary["gini"]
    assert isinstance(backtest, pd.DataFrame) and isinstance(share_in_top, dict) and isinstance(gini, float)
    table = backtest.assign(month=lambda f: [cube.months[i] for i in f["month_index"]])
    shares = ", ".join(f"top {k:.0%}: {v:.0%}" for k, v in share_in_top.items())
    return table, f"{shares}; Gini {gini:.2f}; {_backtest_words(backtest, lookback=args.lookback)}"


def _backtest_words(backtest: pd.DataFrame, *, lookback: int) -> str:
    """The backtest in one clause, naming the area actually flagged (ties at the cut are all flagged)."""
    from geo.stats.concentration import summary

    if backtest.empty:
        return f"backtest: no month after the first {lookback} to score"
    head = summary(backtest)
    cells, share = backtest["n_chosen"], backtest["area_share"]
    flagged = (
        f"{cells.iloc[0]} cells ({share.iloc[0]:.1%} of the area)"
        if cells.nunique() == 1
        else f"{cells.min()}-{cells.max()} cells ({share.min():.1%}-{share.max():.1%} of the area)"
    )
    return (
        f"backtest over {head['months_scored']} month{'' if head['months_scored'] == 1 else 's'}: "
        f"mean PAI {head['mean_pai']:.2f} "
        f"with {flagged} flagged a month against {backtest['n_allowed'].iloc[0]} allowed "
        "(every cell tied at the cut is flagged; the PAI uses the area flagged)"
    )


#: The cube statistics, in ``--help`` order. A new one is one more entry here.
STATISTICS = (
    statistic(
        name="hotspots",
        help="Gi* hot and cold spots per H3 cell over the period (CSV)",
        add_options=_no_options,
        answer=_hotspots,
    ),
    statistic(
        name="emerging",
        help="emerging hot spot pattern and Mann-Kendall trend per cell (CSV)",
        add_options=_emerging_options,
        answer=_emerging,
        check=_emerging_check,
    ),
    statistic(
        name="priority",
        help="cells where hotspots and case data meet, ranked, with a visiting order (CSV)",
        add_options=_priority_options,
        answer=_priority,
        check=_priority_check,
    ),
    statistic(
        name="concentration",
        help="share of incidents in the top cells, Gini, and the monthly hotspot backtest (CSV)",
        add_options=_concentration_options,
        answer=_concentration,
    ),
)


# --------------------------------------------------------------------------- analyse

#: What ``analyse`` writes: file -> the statistic whose table it holds (each as its own command writes it).
ANALYSE_FILES = {"hotspots.csv": "hotspots", "emerging.csv": "emerging", "priority.csv": "priority"}
SUMMARY_FILE = "summary.json"


def _analyse_arguments(p: argparse.ArgumentParser) -> None:
    add_cube_options(p, out=False)
    _emerging_options(p)
    _priority_options(p)
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help=f"folder to write {', '.join(ANALYSE_FILES)} and {SUMMARY_FILE} into (made if missing)",
    )


def _analyse(args: argparse.Namespace) -> int:
    """One pass (one study area, one cube), every table written as its own command writes it, and a summary."""
    import json
    import resource
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    start = time.perf_counter()
    filters = args_to_filters(args)
    _emerging_check(args)
    _priority_check(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out must be a folder, and {out} is a file", option="--out")
    run = open_pass(args, filters=filters)
    out.mkdir(parents=True, exist_ok=True)
    lines: dict[str, str] = {}
    written: dict[str, int] = {}
    answers = {s.name: a for s, a in zip(STATISTICS, _ANSWERS, strict=True)}

    def write(table: pd.DataFrame, path: Path) -> None:
        t = time.perf_counter()
        write_csv(table, str(path))
        run.timings["write"] = run.timings.get("write", 0.0) + time.perf_counter() - t

    # each table is written by one writer thread while the next is computed (the statistics are numpy
    # work that releases the interpreter, so the two share the cores); every write is waited for below
    with ThreadPoolExecutor(max_workers=1) as writer:
        writes = []
        for file, name in ANALYSE_FILES.items():
            try:
                table, line = answers[name](run, args)
            except OptionError as exc:  # emerging patterns on under 10 months: the other tables still stand
                lines[name] = f"not written: {exc}"
                (out / file).unlink(missing_ok=True)  # never leave an older run's table beside this run's
                print(f"{name}: {lines[name]}", file=sys.stderr)
                continue
            writes.append(writer.submit(write, table, out / file))
            lines[name], written[file] = line, len(table)
            print(f"{name}: {line}", file=sys.stderr)
        for done in writes:
            done.result()  # a write that failed (a full disk) fails the command, with its own message
    cube = run.cube
    summary: dict[str, Any] = {
        "options": {
            "res": args.res,
            "k": args.k,
            "from": cube.months[0],
            "to": cube.months[-1],
            "categories": list(filters.categories) if filters.categories is not None else ALL_CATEGORIES,
            "sources": list(filters.sources) if filters.sources is not None else "all",
            "trend": args.trend,
            "time_steps": args.time_steps,
            "top": args.top,
            "as_of": args.as_of,
            "balance": args.balance,
        },
        "cells": len(run.area),
        "months": len(cube.months),
        "incidents": {
            "counted": int(cube.counts.sum()),
            "outside_study_area": cube.outside,
            "without_location": cube.no_location,
        },
        "tables": {file: {"rows": written[file]} for file in written},
        "lines": lines,
        "seconds": {stage: round(s, 3) for stage, s in run.timings.items()}
        | {"total": round(time.perf_counter() - start, 3)},
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    took = ", ".join(f"{stage} {s:.2f}" for stage, s in summary["seconds"].items())
    print(f"{len(run.area):,} cells, {summary['incidents']['counted']:,} incidents; seconds: {took}", file=sys.stderr)
    return 0


_ANSWERS = (_hotspots, _emerging, _priority, _concentration)  # STATISTICS' answers, in its order

ANALYSE = Command(
    name="analyse",
    help="hotspots, emerging and priority in one pass (one study area, one cube): CSVs and summary.json",
    add_arguments=_analyse_arguments,
    run=_analyse,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (*STATISTICS, ANALYSE)
