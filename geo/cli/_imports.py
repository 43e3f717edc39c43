"""Commands that put data in the store or take imports out: import, rejects, delete-import, demo (and demo --remove).

An import's options are parsed into one :class:`~geo.store.importer.ImportOptions`,
the same object the upload page fills, so both refuse the same things.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from geo.cli._command import Command, add_db, open_store, os_user
from geo.core.errors import OptionError
from geo.core.schema import COORD_MODES, IMPORT_KINDS

if TYPE_CHECKING:
    from geo.store.importer import ImportOptions

#: ``--coords`` choices (from the schema, so that ``--help`` does not load the whole import stack).
COORD_CHOICES = COORD_MODES


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("path")
    add_db(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=HEADING",
        help="map a canonical column to a heading in the file (repeatable)",
    )
    p.add_argument("--source", help="source label for partner incident files (e.g. housing)")
    p.add_argument(
        "--coords",
        choices=COORD_CHOICES,
        default="auto",
        help="coordinates are lat/lng (wgs84) or British National Grid (bng); default: detect",
    )
    p.add_argument("--crs", help="override a boundary file's CRS, e.g. EPSG:27700")
    p.add_argument("--code-column", help="boundary attribute holding the code")
    p.add_argument("--name-column", help="boundary attribute holding the name")
    p.add_argument("--layer", help="GeoPackage layer")
    p.add_argument("--unit", help="patrols from a GPX track: the call sign or team it is of (never a name)")


def pairs_to_mapping(pairs: list[str]) -> dict[str, str]:
    """``--map COLUMN=HEADING`` values as a mapping (spaces around either side dropped).

    Raises
    ------
    OptionError
        For a value without ``=``, which argparse cannot see.
    """
    mapping = {}
    for item in pairs:
        canon, sep, heading = item.partition("=")
        if not sep:
            raise OptionError(f"--map expects COLUMN=HEADING, got {item!r}", option="--map")
        mapping[canon.strip()] = heading.strip()
    return mapping


def args_to_import_options(args: argparse.Namespace) -> ImportOptions:
    """The import's options from the command line (judged by :meth:`ImportOptions.check` on import)."""
    from geo.store.importer import ImportOptions

    return ImportOptions(
        mapping=pairs_to_mapping(args.map) or None,
        source=args.source,
        coords=args.coords,
        crs=args.crs,
        code_column=args.code_column,
        name_column=args.name_column,
        layer=args.layer,
        unit=args.unit,
    )


def _import(args: argparse.Namespace) -> int:
    from geo.store import audit
    from geo.store.importer import import_path

    options = args_to_import_options(args)  # a bad --map is refused before the store is touched
    store = open_store(args)
    result = import_path(store, args.kind, args.path, options)
    audit.record_import(store, result, user=os_user(), role="cli")
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(result.summary())
        for reason, n in result.reasons.items():
            print(f"  rejected {n:>7}: {reason}")
        for note in result.notes:
            print(f"  note: {note}")
    return 0


def _rejects_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--kind", choices=(*IMPORT_KINDS, "victim_counts"))


def _rejects(args: argparse.Namespace) -> int:
    store = open_store(args)
    # "victims" means both shapes a partner may send (people, or counts per area)
    frame = store.rejects(kind=None if args.kind == "victims" else args.kind)
    if args.kind == "victims":
        frame = frame[frame["kind"].isin(["victims", "victim_counts"])]
    frame.to_csv(sys.stdout, index=False)
    return 0


def _delete_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("import_id", type=int, help="the import's id (see `status --imports`)")
    p.add_argument("--reason", required=True, help="why: data shared in error, an erasure request...")


def _delete(args: argparse.Namespace) -> int:
    from geo.store.importer import delete_import

    store = open_store(args)
    removed = delete_import(store, args.import_id, user=os_user(), role="cli", reason=args.reason)
    print(json.dumps({"import_id": args.import_id, "removed": removed}))
    return 0


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--if-empty", action="store_true", help="only when nothing is imported yet")
    what.add_argument(
        "--remove",
        action="store_true",
        help="delete every demo import (audited), so that real data can be loaded; real imports are untouched",
    )


def _demo(args: argparse.Namespace) -> int:
    from geo.demo import load_demo, remove_demo

    store = open_store(args)
    if args.remove:
        removed = remove_demo(store, user=os_user(), role="cli")
        if not removed:
            print("no synthetic demo imports in this store: nothing removed")
        for r in removed:
            rows = sum(n for kind, n in r.removed.items() if kind != "rejects")
            print(f"removed import {r.import_id} ({r.file}): {rows} rows, {r.removed.get('rejects', 0)} rejected rows")
        return 0
    if args.if_empty and not store.is_empty():
        print("store already holds data: demo not loaded")
        return 0
    for result in load_demo(store):
        print(result.summary())
    return 0


IMPORT = Command(
    name="import", help="import a file, folder or zip archive", add_arguments=_import_arguments, run=_import
)
REJECTS = Command(
    name="rejects", help="print quarantined rows with reasons as CSV", add_arguments=_rejects_arguments, run=_rejects
)
DELETE_IMPORT = Command(
    name="delete-import",
    help="erase what one import stored and quarantined (audited)",
    add_arguments=_delete_arguments,
    run=_delete,
)
DEMO = Command(
    name="demo", help="load the synthetic demo town (or --remove it)", add_arguments=_demo_arguments, run=_demo
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (IMPORT, REJECTS, DELETE_IMPORT, DEMO)
