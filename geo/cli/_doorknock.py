"""``python -m geo doorknock``: the homes around a flagged address, closure order or warrant, to knock on and write to.

``--out list.html`` writes the printable list (one A4 page per target),
``--out list.csv`` the neighbour letter's mail merge (:mod:`geo.publish.doorknock`).
Both name homes near an address of concern, so ``--reason`` is required and
the export is in the audit log, with it, *before* the file is written: a file
that exists has its entry (if writing then fails the entry records an attempt).
Without ``--target`` every open flagged address, closure order (and
``--interventions`` row) gets its page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from geo.cli._command import Command, add_db, log_personal_export, open_store
from geo.core.errors import OptionError

#: Suffix -> the file written; anything else is refused before the store is read.
FORMATS = {".html": "html", ".htm": "html", ".csv": "csv"}


def _arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--target", metavar="REF", help="the ref of one flagged address, closure order or warrant")
    p.add_argument("--radius", type=float, default=100.0, help="metres around each target (default 100)")
    p.add_argument(
        "--interventions", metavar="FILE.csv", help="warrants and the like: a CSV with columns ref,date,lat,lng"
    )
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.html (printable list) or FILE.csv (mail merge)")
    p.add_argument("--reason", required=True, help="why the list is taken (logged before the file is written)")


def _run(args: argparse.Namespace) -> int:
    from geo.plan.neighbours import check_radius, doorknock_for
    from geo.publish.doorknock import doorknock_csv, doorknock_html

    out = Path(args.out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise OptionError(f"{out}: the list is written as .html or .csv", option="--out")
    reason = (args.reason or "").strip()
    if not reason:
        raise OptionError(
            "a door-knock list names homes near an address of concern: give a --reason", option="--reason"
        )
    radius = check_radius(args.radius)
    store = open_store(args)
    targets, neighbours = doorknock_for(store, target=args.target, radius_m=radius, interventions=args.interventions)
    detail = {"list": "doorknock", "format": fmt, "targets": len(targets), "radius_m": radius}
    log_personal_export(store, str(out), rows=len(neighbours), reason=reason, detail=detail)
    if fmt == "html":
        made = f"{dt.date.today():%d %b %Y}".lstrip("0")
        out.write_text(doorknock_html(neighbours, radius_m=radius, made=made), encoding="utf-8")
    else:
        out.write_bytes(doorknock_csv(neighbours))
    print(
        f"{out}: {len(neighbours)} homes around {len(targets)} target(s), within {radius:g} m or same block",
        file=sys.stderr,
    )
    return 0


DOORKNOCK = Command(
    name="doorknock",
    help="homes around a flagged address, closure order or warrant: printable list (HTML) or mail merge (CSV)",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (DOORKNOCK,)
