"""The outcomes report pack as a command: published figures only, as PDF or one-file HTML.

Every file written is audited as an export (aggregates only, so nothing
personal leaves, but the log says who took which period and area).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli._command import Command, add_db, open_store, os_user
from geo.core.errors import OptionError

#: Suffix -> the format written; anything else is refused before the store is read.
FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def _report_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month (default: first in the data)")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month (default: last in the data)")
    p.add_argument("--area", metavar="CODE", help="a ward or estate code (default: the whole town)")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.pdf, or FILE.html for the one-file HTML page")
    p.add_argument("--html", metavar="FILE", help="also write the HTML page to FILE")


def outputs_to_formats(out: str, html: str | None) -> list[tuple[Path, str]]:
    """The files to write and each one's format, from ``--out`` and ``--html``, in that order.

    Raises
    ------
    OptionError
        For a file whose suffix is neither ``.pdf`` nor ``.html``/``.htm``.
    """
    paths = [Path(out), *([Path(html)] if html else [])]
    for path, option in zip(paths, ("--out", "--html"), strict=False):
        if path.suffix.lower() not in FORMATS:
            raise OptionError(f"{path}: the report is written as .pdf or .html", option=option)
    return [(path, FORMATS[path.suffix.lower()]) for path in paths]


def _report(args: argparse.Namespace) -> int:
    from geo.publish.published import published_outcomes
    from geo.publish.report import report_pictures, report_to_html, report_to_pdf
    from geo.store import audit

    outputs = outputs_to_formats(args.out, args.html)  # a wrong suffix is refused before the store is opened
    store = open_store(args)
    span = store.months()
    start = args.month_from or (span[0] if span else None)
    end = args.month_to or (span[1] if span else None)
    published = published_outcomes(store, start=start or "", end=end or "", area=args.area)
    pictures = report_pictures(published)
    for path, fmt in outputs:
        if fmt == "pdf":
            path.write_bytes(report_to_pdf(published, pictures=pictures))
        else:
            path.write_text(report_to_html(published, pictures=pictures), encoding="utf-8")
        audit.record(
            store,
            user=os_user(),
            role="cli",
            action="export",
            target=f"export:{path.name}",
            detail={
                "report": "outcomes",
                "format": fmt,
                "from": published.period.start,
                "to": published.period.end,
                "area": args.area or "town",
            },
        )
        print(f"{path}: {published.area_name}, {published.period.label()}", file=sys.stderr)
    return 0


REPORT = Command(
    name="report",
    help="the outcomes report pack (published figures only): PDF, or HTML",
    add_arguments=_report_arguments,
    run=_report,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (REPORT,)
