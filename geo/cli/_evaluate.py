"""``python -m geo evaluate``: closure orders, warrants or patrol areas against the incidents around them.

One engine (:func:`geo.stats.evaluate.evaluate`, through
:func:`geo.plan.evaluation.evaluate_store`) gives the Outcomes page, the report
pack and this command their numbers. ``--json`` prints exactly
:data:`geo.stats.evaluate.SUMMARY_FIELDS` (distinct incidents; NaN as null);
``--out`` writes one row per intervention with the same fields, its date and
whether it was included (and if not, why). With neither, the CSV goes to
standard output. A sentence in words always goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

from geo.cli._analysis import args_to_filters
from geo.cli._command import Command, add_db, open_store, write_csv
from geo.core.errors import OptionError


def _arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument(
        "--interventions",
        required=True,
        metavar="closures|FILE.csv",
        help="'closures' (the stored closure orders) or a CSV file with columns ref,date,lat,lng",
    )
    p.add_argument("--radius", type=float, default=200.0, help="metres around each intervention (default 200)")
    p.add_argument(
        "--ring", type=float, default=400.0, help="outer edge of the displacement ring, metres (default 400)"
    )
    p.add_argument("--months", type=int, default=6, help="whole months before and after (default 6)")
    p.add_argument(
        "--category",
        action="append",
        metavar="C",
        help='incident category, repeatable (default "Anti-social behaviour"; "all" for every category)',
    )
    p.add_argument("--json", action="store_true", help="print the combined result as JSON on standard output")
    p.add_argument("--out", help="CSV file, one row per intervention (default: standard output unless --json)")
    p.set_defaults(month_from=None, month_to=None, source=None)  # the shared category check reads these


def _run(args: argparse.Namespace) -> int:
    from geo.plan.evaluation import evaluate_store
    from geo.stats.evaluate import SUMMARY_FIELDS, check_options

    categories = args_to_filters(args).categories
    check_options(radius_m=args.radius, ring_m=args.ring, months=args.months)
    if args.json and args.out == "-":
        raise OptionError("--json prints to standard output: give --out a file name", option="--out")
    result = evaluate_store(
        open_store(args),
        interventions=args.interventions,
        categories=categories,
        radius_m=args.radius,
        ring_m=args.ring,
        months=args.months,
    )
    table = result.interventions.assign(
        interventions_used=result.interventions["included"].astype(int),
        interventions_skipped=(~result.interventions["included"]).astype(int),
    )
    table = table[["ref", "date", "included", "skip_reason", *SUMMARY_FIELDS]]
    if args.out or not args.json:
        write_csv(table, args.out or "-")
    if args.json:
        print(json.dumps(result.summary(), allow_nan=False))
    print(result.sentence(), file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


EVALUATE = Command(
    name="evaluate",
    help="closure orders, warrants or patrol areas: ASB before and after, ring and control (CSV or JSON)",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (EVALUATE,)
