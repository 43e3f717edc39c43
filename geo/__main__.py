"""The batch command line: ``python -m geo …`` for analysts and cron.

Exit codes: 0 when the command ran (an import with rejected rows included),
2 when the input cannot be read at all or the arguments are wrong, with a
one-line message on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from geo.errors import NestwatchError
from geo.schema import IMPORT_KINDS


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so that tests and docs can inspect it)."""
    p = argparse.ArgumentParser(prog="python -m geo", description="Nestwatch batch commands.")
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import a file, folder or zip archive")
    imp.add_argument("kind", choices=IMPORT_KINDS)
    imp.add_argument("path")
    _db(imp)
    imp.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=HEADING",
        help="map a canonical column to a heading in the file (repeatable)",
    )
    imp.add_argument("--source", help="source label for partner incident files (e.g. housing)")
    imp.add_argument(
        "--coords",
        choices=("auto", "wgs84", "bng"),
        default="auto",
        help="coordinates are lat/lng (wgs84) or British National Grid (bng); default: detect",
    )
    imp.add_argument("--crs", help="override a boundary file's CRS, e.g. EPSG:27700")
    imp.add_argument("--code-column", help="boundary attribute holding the code")
    imp.add_argument("--name-column", help="boundary attribute holding the name")
    imp.add_argument("--layer", help="GeoPackage layer")

    rej = sub.add_parser("rejects", help="print quarantined rows with reasons as CSV")
    _db(rej)
    rej.add_argument("--kind", choices=(*IMPORT_KINDS, "victim_counts"))

    demo = sub.add_parser("demo", help="load the synthetic demo town")
    _db(demo)
    demo.add_argument("--if-empty", action="store_true", help="only when nothing is imported yet")

    st = sub.add_parser("status", help="what the store holds")
    _db(st)
    return p


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="SQLAlchemy URL or SQLite path (default: NESTWATCH_DB or data/)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except NestwatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, UnicodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so in one line; the traceback on request
        if os.environ.get("NESTWATCH_DEBUG"):
            raise
        print(f"internal error: {exc.__class__.__name__}: {exc} (NESTWATCH_DEBUG=1 shows more)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing from the unfinished import was stored", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from geo.store import Store

    store = Store(args.db)
    if args.command == "import":
        from geo.importer import import_path

        mapping = {}
        for item in args.map:
            canon, sep, heading = item.partition("=")
            if not sep:
                print(f"error: --map expects COLUMN=HEADING, got {item!r}", file=sys.stderr)
                return 2
            mapping[canon.strip()] = heading.strip()
        result = import_path(
            store,
            args.kind,
            args.path,
            mapping=mapping or None,
            source=args.source,
            coords=args.coords,
            crs=args.crs,
            code_column=args.code_column,
            name_column=args.name_column,
            layer=args.layer,
        )
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            print(result.summary())
            for reason, n in result.reasons.items():
                print(f"  rejected {n:>7}: {reason}")
            for note in result.notes:
                print(f"  note: {note}")
        return 0
    if args.command == "rejects":
        kinds = {"victims": None}.get(args.kind, args.kind)
        frame = store.rejects(kind=kinds)
        if args.kind == "victims":
            frame = frame[frame["kind"].isin(["victims", "victim_counts"])]
        frame.to_csv(sys.stdout, index=False)
        return 0
    if args.command == "demo":
        from geo.demo import load_demo

        if args.if_empty and not store.is_empty():
            print("store already holds data: demo not loaded")
            return 0
        results = load_demo(store)
        for r in results:
            print(r.summary())
        return 0
    if args.command == "status":
        print(json.dumps({"url": _safe_url(store.url), "counts": store.counts(), "months": store.months()}))
        return 0
    raise AssertionError(args.command)  # argparse guarantees one of the above


def _safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
