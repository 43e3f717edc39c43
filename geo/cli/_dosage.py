"""``python -m geo dosage``: the saved plan's minutes per place against the minutes the patrols delivered.

One call (:func:`geo.plan.dosage.dosage_for`) gives the Patrols page and this
command their numbers; the stay rules are :mod:`geo.space.stays`'s. ``--out``
writes one row per place (:data:`geo.plan.dosage.DOSAGE_COLUMNS`; ``cell`` in
h3's text form, the planned columns blank when no plan was saved for the days,
minutes to two decimals); ``--json`` prints the totals
(:data:`geo.plan.dosage.TOTAL_FIELDS`, null where there is no plan to compare
with). With neither, the CSV goes to standard output. A sentence in words
always goes to stderr, with any notes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys

from geo.cli._command import Command, add_db, open_store, write_csv
from geo.core.days import check_day
from geo.core.errors import OptionError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(option: str, text: str) -> dt.date:
    """A ``YYYY-MM-DD`` day, or a one-line error naming the option."""
    try:
        day = dt.date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise OptionError(f"{option} must be a day YYYY-MM-DD, not {text!r}", option=option)
    return check_day(day, option=option)


def _arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--from", dest="from_day", required=True, metavar="YYYY-MM-DD", help="first day (UK date)")
    p.add_argument("--to", dest="to_day", required=True, metavar="YYYY-MM-DD", help="last day, inclusive (UK date)")
    p.add_argument("--res", type=int, default=9, help="H3 resolution of the plan's places (default 9)")
    p.add_argument("--out", help="CSV file, one row per place (default: standard output unless --json)")
    p.add_argument("--json", action="store_true", help="print the totals as JSON on standard output")


def _run(args: argparse.Namespace) -> int:
    from geo.plan.dosage import dosage_for
    from geo.space.hexes import cells_to_strings

    start, end = _day("--from", args.from_day), _day("--to", args.to_day)
    if start > end:  # before the store is opened: a typo costs no migration check
        raise OptionError(f"--from {start} is after --to {end}: no days to count", option="--from")
    if args.json and args.out == "-":
        raise OptionError("--json prints to standard output: give --out a file name", option="--out")
    dosage = dosage_for(open_store(args), start=start, end=end, res=args.res)
    if args.out or not args.json:
        table = dosage.table.assign(
            cell=cells_to_strings(dosage.table["cell"].to_numpy()), minutes=dosage.table["minutes"].round(2)
        )
        write_csv(table, args.out or "-")
    totals = dosage.totals
    if args.json:
        print(json.dumps({k: _rounded(k, v) for k, v in totals.items()}, allow_nan=False))
    print(_sentence(totals, start=start, end=end), file=sys.stderr)
    for note in dosage.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _rounded(key: str, value: float | int | None) -> float | int | None:
    """Minutes to two decimals, the share to four (a float's last digits mean nothing here)."""
    if isinstance(value, float):
        return round(value, 4 if key == "delivered_share" else 2)
    return value


def _sentence(totals: dict[str, float | int | None], *, start: dt.date, end: dt.date) -> str:
    """The totals in one line of words."""
    days = f"{start}" if start == end else f"{start} to {end}"
    done = (
        f"{_count(totals['visits'], 'visit')} ({totals['minutes']:.0f} unit-minutes) at "
        f"{_count(totals['places_visited'], 'place')} and {_count(totals['passes'], 'pass', 'passes')}"
    )
    if totals["planned_minutes"] is None:
        return f"{days}: {done}; no plan was saved to compare with"
    share = totals["delivered_share"]
    part = f" ({share:.0%})" if share is not None else ""
    return (
        f"{days}: {totals['minutes_at_planned_places']:.0f} of {totals['planned_minutes']} planned minutes "
        f"delivered{part} at {_count(totals['planned_places'], 'planned place')}; {done} in all"
    )


def _count(n: float | int | None, one: str, many: str | None = None) -> str:
    """A count in words: "1 visit", "3 visits"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


DOSAGE = Command(
    name="dosage",
    help="patrol dose: planned visits and minutes per place against the stays of the GPS pings (CSV or JSON)",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (DOSAGE,)
