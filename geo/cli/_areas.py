"""``python -m geo areas``: incidents per ward or estate, exactly as Trends and Outcomes count them.

One row per area of the layer (zeros included): ``code, name, count,
previous, change``, where ``previous`` is the same number of months just
before ``--from`` and ``change`` the fraction ``count / previous - 1``.
``--published`` prints the form a cabinet member sees: sums of the protected
release (:mod:`geo.publish.release`), suppressed and rounded, in the pages'
words ("fewer than 5"), and the change computed from those shown values (empty
when one of them is hidden or the earlier is zero). The rule for
"an incident in an area" is :mod:`geo.stats.areas`.
"""

from __future__ import annotations

import argparse
import sys

from geo.cli._analysis import ALL_CATEGORIES, args_to_filters
from geo.cli._command import Command, add_db, open_store, write_csv
from geo.core.errors import OptionError
from geo.core.schema import ASB


def _arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM", required=True, help="first month of the period")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", required=True, help="last month of the period")
    p.add_argument("--layer", choices=["wards", "estates"], default="wards", help="which areas (default wards)")
    p.add_argument(
        "--category",
        action="append",
        metavar="C",
        help=f'incident category, repeatable (default "{ASB}"; "{ALL_CATEGORIES}" for every category)',
    )
    p.add_argument("--source", action="append", metavar="S", help="incident source, repeatable (default: all)")
    p.add_argument(
        "--published",
        action="store_true",
        help="the published form: small counts suppressed, others rounded, changes from shown values",
    )
    p.add_argument("--out", default="-", help="CSV file to write (default: standard output)")


def _run(args: argparse.Namespace) -> int:
    from geo.plan.areas import LAYERS, area_table
    from geo.publish.areas import publish_area_table, released_areas
    from geo.publish.privacy import whole_percent
    from geo.publish.release import release_for

    filters = args_to_filters(args)
    if args.published:
        if filters.sources is not None:
            raise OptionError(
                "--source cannot be used with --published: the published release is protected per category, "
                "not per source",
                option="source",
            )
        released = released_areas(
            release_for(open_store(args)),
            layer=args.layer,
            start=args.month_from,
            end=args.month_to,
            categories=filters.categories,
        )
        shown = publish_area_table(released.table, compared=released.compared)
        # counts as the pages print them ("fewer than 5", "no earlier data"); the change as a number
        # computed from those shown values (empty when one is hidden): "+27%" would reach a spreadsheet as text
        out = shown[["code", "name", "count_text", "previous_text"]].set_axis(
            ["code", "name", "count", "previous"], axis=1
        )
        out["change"] = whole_percent(shown["change"])  # whole percent, as the published words say it
        write_csv(out, args.out)
        print(
            f"{len(out)} {LAYERS[args.layer]}s, {released.months[0]}..{released.months[-1]}: published form "
            "(sums of the protected release, small counts suppressed, others rounded)",
            file=sys.stderr,
        )
        return 0
    result = area_table(
        open_store(args),
        layer=args.layer,
        start=args.month_from,
        end=args.month_to,
        categories=filters.categories,
        sources=filters.sources,
    )
    exact = result.table
    out = exact.assign(change=exact["change"].round(4))
    if result.compared:
        out["previous"] = out["previous"].astype("int64")
    write_csv(out, args.out)
    word = LAYERS[args.layer]
    against = (
        f"against {result.previous_months[0]}..{result.previous_months[-1]}"
        if result.compared
        else "no comparison (no incident data covers the months before)"
    )
    what = "every category" if filters.categories is None else ", ".join(filters.categories)
    print(
        f"{len(exact)} {word}s, {result.months[0]}..{result.months[-1]} {against}; {what}: "
        f"{int(exact['count'].sum()):,} incidents in {'an' if word[0] in 'aeiou' else 'a'} {word}",
        file=sys.stderr,
    )
    return 0


AREAS = Command(
    name="areas",
    help="incidents per ward or estate for a period and the period before (the Trends and Outcomes counts, CSV)",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (AREAS,)
