"""What a command is, and the few helpers every command group shares.

A command is data (:class:`Command`): its name, its help line, a function that
adds its arguments and one that runs it. The groups (``_imports``, ``_admin``,
``_analysis``, ``_report``) each define theirs; :mod:`geo.cli` lists them in
``--help`` order and dispatches by name, so a new command is one entry in one
group and needs no branch anywhere else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from geo.store import Store


@dataclass(frozen=True, kw_only=True)
class Command:
    """One ``python -m geo`` subcommand.

    Attributes
    ----------
    name
        The word typed after ``python -m geo``.
    help
        The line ``--help`` shows beside the name (required: a command nobody can find is no use).
    add_arguments
        Adds the command's arguments to its subparser, in the order ``<command> --help`` lists them.
    run
        Does the work from the parsed arguments and returns the exit code; raises
        :class:`~geo.core.errors.NestwatchError` (or ``OSError``) for :func:`geo.cli.main`
        to turn into one line and exit code 2.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def command_group(*, name: str, help: str, commands: Mapping[str, Command]) -> Command:
    """A command whose work is one of ``commands`` (``users add``, ``audit verify``), chosen by the next word.

    Each subcommand is a :class:`Command` like the top level's, so a group adds
    its subparsers and dispatches by name the same way :mod:`geo.cli` does.
    """
    dest = f"{name}_command"

    def add_arguments(p: argparse.ArgumentParser) -> None:
        sub = p.add_subparsers(dest=dest, required=True)
        for command in commands.values():
            command.add_arguments(sub.add_parser(command.name, help=command.help))

    def run(args: argparse.Namespace) -> int:
        return commands[getattr(args, dest)].run(args)

    return Command(name=name, help=help, add_arguments=add_arguments, run=run)


def add_db(p: argparse.ArgumentParser) -> None:
    """The ``--db`` option every command that reads or writes the store takes."""
    p.add_argument("--db", help="SQLAlchemy URL or SQLite path (default: NESTWATCH_DB or data/)")


def open_store(args: argparse.Namespace) -> Store:
    """The store ``--db`` names (opening it applies pending migrations)."""
    from geo.store import Store

    return Store(args.db)


def write_csv(frame: pd.DataFrame, out: str) -> None:
    """Write ``frame`` as the CSV an analyst opens, to the file ``out`` or, for ``-``, standard output.

    The file keeps its byte-order mark so that Excel reads it as UTF-8; a pipe
    gets none, because ``cut`` and ``awk`` would see it as part of the first heading.
    """
    from geo.publish.export import frame_to_csv_bytes

    data = frame_to_csv_bytes(frame)
    if out == "-":
        sys.stdout.buffer.write(data.removeprefix("\ufeff".encode()))
    else:
        with open(out, "wb") as fh:
            fh.write(data)


def os_user() -> str:
    """Who ran the command, for the audit log."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def log_personal_export(store: Store, out: str, *, rows: int, reason: str, detail: Mapping[str, object]) -> None:
    """The audit entry of a file of personal or OFFICIAL-SENSITIVE data, written before the file is.

    Why before: a file that exists always has its entry (if writing then
    fails, the entry records an attempt). ``reason`` is required by the log
    for such an export; ``out`` is named by its file name only.
    """
    from pathlib import Path

    from geo.store import audit

    audit.record(
        store,
        user=os_user(),
        role="cli",
        action="export",
        target=f"export:{Path(out).name}",
        rows=rows,
        reason=reason,
        personal=True,
        detail=dict(detail),
    )


def safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
