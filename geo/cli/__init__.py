"""The batch command line: ``python -m geo …`` for analysts and cron.

Each command is a :class:`~geo.cli._command.Command` record (name, help, a
function adding its arguments, one running it) defined in its group's module:

==========================  ================================================================
``geo.cli._imports``        import, rejects, delete-import, demo
``geo.cli._admin``          status, migrate, export-all, import-all, users
``geo.cli._audit``          audit verify
``geo.cli._analysis``       the cube statistics (hotspots, emerging, priority, concentration), analyse
``geo.cli._areas``          areas (incidents per ward or estate, as Trends and Outcomes count them)
``geo.cli._evaluate``       evaluate (closure orders, warrants, patrol areas: treatment, ring, control)
``geo.cli._plan``           plan (a week's patrol dose: slots, briefing sheet, tasking CSV)
``geo.cli._dosage``         dosage (planned against delivered minutes per place, from the patrol log)
``geo.cli._doorknock``      doorknock (the homes around a case address, for letters and door-knocking)
``geo.cli._review``         review (the early-warning queue of addresses, for the weekly meeting)
``geo.cli._report``         report
==========================  ================================================================

:data:`COMMANDS` lists them in ``--help`` order; :func:`main` parses and runs
the one named. A new cube statistic is one entry in ``_analysis.STATISTICS``
(its block is placed here whole); another command is one ``Command`` in its
group plus its place below.

Exit codes: 0 when the command ran (an import with rejected rows included),
2 when the input cannot be read at all, the arguments are wrong, the store
cannot be written (read-only, disk full) or the machine runs out of memory,
with a one-line message on stderr and never a traceback; 1 for a bug (one
line too, never SQL or its parameters; the traceback with ``NESTWATCH_DEBUG=1``);
130 when interrupted. Every message is one printable line of bounded length
(:func:`geo.core.errors.one_line`): what a file holds never floods the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from geo.cli import _admin, _analysis, _areas, _audit, _doorknock, _dosage, _evaluate, _imports, _plan, _report, _review
from geo.cli._command import Command
from geo.core.errors import NestwatchError, one_line

__all__ = ["COMMANDS", "USER_ERRORS", "Command", "build_parser", "main"]

#: Every command, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        _imports.IMPORT,
        _imports.REJECTS,
        _admin.EXPORT_ALL,
        _admin.IMPORT_ALL,
        _admin.MIGRATE,
        _imports.DELETE_IMPORT,
        _imports.DEMO,
        _admin.STATUS,
        _analysis.ANALYSE,
        *_analysis.STATISTICS,
        *_areas.COMMANDS,
        _admin.USERS,
        _evaluate.EVALUATE,
        _plan.PLAN,
        _dosage.DOSAGE,
        _doorknock.DOORKNOCK,
        *_review.COMMANDS,
        *_report.COMMANDS,
        *_audit.COMMANDS,
    )
}

#: Failures the person running the command can fix (our errors, a missing or unreadable file):
#: exit code 2 and one line. Anything else is a bug.
USER_ERRORS: tuple[type[Exception], ...] = (NestwatchError, OSError, UnicodeError)


#: What running out of memory means for the person who ran the command.
OUT_OF_MEMORY = (
    "the machine ran out of memory: nothing from an unfinished import was stored; "
    "import a smaller file (an archive in parts) or ask for a shorter period"
)


def bug_text(exc: BaseException) -> str:
    """A bug's class and message, without what a database error carries: its SQL and parameters.

    SQLAlchemy's message holds the statement and the row it was writing
    (personal data from the file); the driver's own first line says what failed.
    """
    orig = getattr(exc, "orig", None)
    if orig is not None and hasattr(exc, "statement"):
        first = (str(orig).splitlines() or [""])[0]
        return f"{exc.__class__.__name__}: {orig.__class__.__name__}: {first}"
    return f"{exc.__class__.__name__}: {exc}"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per entry of :data:`COMMANDS` (separate so tests and docs can read it)."""
    p = argparse.ArgumentParser(prog="python -m geo", description="Nestwatch batch commands.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_arguments(sub.add_parser(command.name, help=command.help))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except USER_ERRORS as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError:  # too big a file or period for this machine: not a bug, and an import is one transaction
        print(f"error: {OUT_OF_MEMORY}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so in one line; the traceback on request
        if os.environ.get("NESTWATCH_DEBUG"):
            raise
        print(f"internal error: {one_line(bug_text(exc))} (NESTWATCH_DEBUG=1 shows more)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing from the unfinished import was stored", file=sys.stderr)
        return 130
