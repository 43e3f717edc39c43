"""``python -m geo review``: the early-warning review queue as the weekly meeting's agenda (CSV).

The queue names addresses and what partners noticed there, so ``--reason`` is
required and the export is in the audit log, with it, *before* the file is
written. Each rule's hit count over the last 12 months is printed (stderr)
beside its words, so the partnership sees a rule that raises too many
addresses, or none (the rules: :mod:`geo.plan._review_rules`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from geo.cli._command import Command, add_db, log_personal_export, open_store
from geo.core.errors import OptionError


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the agenda: one row per address, heaviest first")
    p.add_argument("--reason", required=True, help="why the agenda is taken (logged before the file is written)")
    p.add_argument(
        "--as-of", type=_day, metavar="YYYY-MM-DD", help="the queue's day (default: the newest stored signal's date)"
    )


def _run(args: argparse.Namespace) -> int:
    from geo.plan.review import hits_words, review_for
    from geo.publish.review import review_csv

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise OptionError(f"{out}: the agenda is written as .csv", option="--out")
    reason = (args.reason or "").strip()
    if not reason:
        raise OptionError("the review queue names addresses: give a --reason", option="--reason")
    store = open_store(args)
    review = review_for(store, today=dt.date.today(), as_of=args.as_of)
    detail = {"list": "review", "as_of": str(review.as_of or "")}
    log_personal_export(store, str(out), rows=len(review.queue), reason=reason, detail=detail)
    out.write_bytes(review_csv(review.queue))
    print(f"{out}: {len(review.queue)} addresses to review ({review.basis})", file=sys.stderr)
    print(hits_words(review.hits), file=sys.stderr)
    return 0


REVIEW = Command(
    name="review",
    help="the early-warning review queue: addresses whose partner signals meet a rule, for the weekly meeting",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (REVIEW,)
