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
from typing import TYPE_CHECKING

from geo.core.errors import NestwatchError
from geo.core.schema import IMPORT_KINDS

if TYPE_CHECKING:
    from geo.store import Store


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

    exp = sub.add_parser("export-all", help="back up every table, the quarantine and the audit log to a folder")
    _db(exp)
    exp.add_argument("folder", help="a new or empty folder (CSV, GeoPackage and manifest.json with checksums)")
    res = sub.add_parser("import-all", help="restore a folder written by export-all into an empty store")
    _db(res)
    res.add_argument("folder")

    mig = sub.add_parser("migrate", help="bring the store's schema up to date (also done on every start)")
    _db(mig)

    dele = sub.add_parser("delete-import", help="erase what one import stored and quarantined (audited)")
    _db(dele)
    dele.add_argument("import_id", type=int, help="the import's id (see `status --imports`)")
    dele.add_argument("--reason", required=True, help="why: data shared in error, an erasure request...")

    demo = sub.add_parser("demo", help="load the synthetic demo town")
    _db(demo)
    demo.add_argument("--if-empty", action="store_true", help="only when nothing is imported yet")

    st = sub.add_parser("status", help="what the store holds")
    _db(st)
    st.add_argument("--imports", action="store_true", help="print the import log as CSV instead")

    for name, help_ in (
        ("hotspots", "Gi* hot and cold spots per H3 cell over the period (CSV)"),
        ("emerging", "emerging hot spot pattern and Mann-Kendall trend per cell (CSV)"),
        ("priority", "cells where hotspots and case data meet, ranked, with a visiting order (CSV)"),
        ("concentration", "share of incidents in the top cells, Gini, and the monthly hotspot backtest (CSV)"),
    ):
        a = sub.add_parser(name, help=help_)
        _analysis(a)
        if name == "priority":
            a.add_argument("--top", type=int, default=10, help="how many cells to visit (default 10)")
            a.add_argument("--as-of", help="plan date YYYY-MM-DD (default: end of the last month)")
        if name == "emerging":
            a.add_argument("--time-steps", type=int, default=1, help="months of temporal neighbourhood (default 1)")
        if name == "concentration":
            a.add_argument("--lookback", type=int, default=3, help="months used to choose hotspots (default 3)")
            a.add_argument("--area", type=float, default=0.05, help="share of cells chosen (default 0.05)")

    us = sub.add_parser("users", help="local users and single sign-on roles (the users file)")
    us_sub = us.add_subparsers(dest="users_command", required=True)
    add = us_sub.add_parser("add", help="add a user (the password is asked for, or read from NESTWATCH_PASSWORD)")
    add.add_argument("name")
    add.add_argument("--role", required=True)
    add.add_argument("--replace", action="store_true", help="change the role or password of an existing user")
    rm = us_sub.add_parser("remove", help="remove a user")
    rm.add_argument("name")
    us_sub.add_parser("list", help="list users and their roles (never passwords)")
    oidc = us_sub.add_parser("oidc", help="give a single sign-on e-mail a role (--role none removes it)")
    oidc.add_argument("email")
    oidc.add_argument("--role", required=True)

    imp_ = sub.add_parser("impact", help="ASB before and after each closure order, against the rest of the town (CSV)")
    _db(imp_)
    imp_.add_argument("--radius", type=float, default=200.0, help="metres around the premises (default 200)")
    imp_.add_argument("--months", type=int, default=6, help="months before and after (default 6)")
    imp_.add_argument("--out", default="-", help="CSV file to write (default: standard output)")

    rep = sub.add_parser("report", help="the outcomes report pack (published figures only): PDF, or HTML")
    _db(rep)
    rep.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month (default: first in the data)")
    rep.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month (default: last in the data)")
    rep.add_argument("--area", metavar="CODE", help="a ward or estate code (default: the whole town)")
    rep.add_argument("--out", required=True, metavar="FILE", help="FILE.pdf, or FILE.html for the one-file HTML page")
    rep.add_argument("--html", metavar="FILE", help="also write the HTML page to FILE")
    return p


def _analysis(p: argparse.ArgumentParser) -> None:
    _db(p)
    p.add_argument("--res", type=int, default=9, help="H3 resolution 6-11 (default 9, about 0.1 km2 a cell)")
    p.add_argument("--k", type=int, default=1, help="neighbourhood rings for Gi* (default 1)")
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month (default: first in the data)")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month (default: last in the data)")
    p.add_argument(
        "--category",
        action="append",
        metavar="C",
        help='incident category, repeatable (default "Anti-social behaviour"; "all" for every category)',
    )
    p.add_argument("--source", action="append", metavar="S", help="incident source, repeatable (default: all)")
    p.add_argument("--out", default="-", help="CSV file to write (default: standard output)")


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


def _users(args: argparse.Namespace) -> int:
    import getpass

    from geo.access import users

    path = users.users_path()
    if args.users_command == "add":
        password = os.environ.get("NESTWATCH_PASSWORD") or getpass.getpass(f"Password for {args.name}: ")
        users.add_user(path, args.name, password, role=args.role, replace=args.replace)
        print(f"{args.name} can now sign in as {args.role} ({path})")
    elif args.users_command == "remove":
        print(f"{args.name} removed" if users.remove_user(path, args.name) else f"no user {args.name}")
    elif args.users_command == "list":
        for name, role in users.list_users(path):
            print(f"{name}\t{role}")
    else:
        users.set_oidc_role(path, args.email, None if args.role == "none" else args.role)
        print(f"{args.email}: {args.role}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from geo.store import migrations, resolve_url

    url = resolve_url(args.db)
    engine = sa.create_engine(url)
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"{_safe_url(url)}: already at revision {after}")
    else:
        print(f"{_safe_url(url)}: upgraded from {before or 'an empty database'} to revision {after}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "users":  # needs no store
        return _users(args)
    if args.command == "migrate":
        return _migrate(args)
    from geo.store import Store

    store = Store(args.db)
    if args.command == "import":
        from geo.store.importer import import_path

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
        from geo.store import audit

        audit.record_import(store, result, user=_os_user(), role="cli")
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
    if args.command in ("export-all", "import-all"):
        from geo.store.backup import export_all, import_all

        summary = (export_all if args.command == "export-all" else import_all)(store, args.folder)
        done = "exported to" if args.command == "export-all" else "restored from"
        counts = ", ".join(f"{n:,} {name}" for name, n in summary.rows.items())
        print(f"{done} {summary.folder} (schema {summary.revision or 'unknown'}): {counts}")
        return 0
    if args.command == "delete-import":
        from geo.store.importer import delete_import

        removed = delete_import(store, args.import_id, user=_os_user(), role="cli", reason=args.reason)
        print(json.dumps({"import_id": args.import_id, "removed": removed}))
        return 0
    if args.command == "status" and args.imports:
        store.imports().to_csv(sys.stdout, index=False)
        return 0
    if args.command == "status":
        from geo.store import migrations

        with store.engine.connect() as conn:
            revision = migrations.current(conn)
        status = {"url": _safe_url(store.url), "backend": store.engine.dialect.name, "schema": revision}
        print(json.dumps(status | {"counts": store.counts(), "months": store.months()}))
        return 0
    if args.command in ("hotspots", "emerging", "priority", "concentration", "impact"):
        return _analyse(store, args)
    if args.command == "report":
        return _report(store, args)
    raise AssertionError(args.command)  # argparse guarantees one of the above


def _report(store: Store, args: argparse.Namespace) -> int:
    """Write the report pack; each file written is audited as an export (aggregates only: not personal)."""
    from pathlib import Path

    from geo.core.errors import InputError
    from geo.plan.outcomes import outcomes_for
    from geo.publish.published import publish
    from geo.publish.report import report_pictures, report_to_html, report_to_pdf
    from geo.store import audit

    outputs = [Path(args.out), *([Path(args.html)] if args.html else [])]
    for path in outputs:
        if path.suffix.lower() not in (".pdf", ".html", ".htm"):
            raise InputError(f"{path}: the report is written as .pdf or .html")
    span = store.months()
    start = args.month_from or (span[0] if span else None)
    end = args.month_to or (span[1] if span else None)
    published = publish(outcomes_for(store, start=start or "", end=end or "", area=args.area))
    pictures = report_pictures(published)
    for path in outputs:
        fmt = "pdf" if path.suffix.lower() == ".pdf" else "html"
        if fmt == "pdf":
            path.write_bytes(report_to_pdf(published, pictures=pictures))
        else:
            path.write_text(report_to_html(published, pictures=pictures), encoding="utf-8")
        audit.record(
            store,
            user=_os_user(),
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


def _analyse(store: Store, args: argparse.Namespace) -> int:
    import pandas as pd

    from geo.plan import analysis
    from geo.publish.export import frame_to_csv_bytes
    from geo.stats.aggregate import Filters

    def write(frame: pd.DataFrame) -> None:
        data = frame_to_csv_bytes(frame)
        if args.out == "-":
            sys.stdout.buffer.write(data.removeprefix("\ufeff".encode()))
        else:
            with open(args.out, "wb") as fh:
                fh.write(data)

    if args.command == "impact":
        result = analysis.impact(store, radius_m=args.radius, months=args.months)
        write(result.orders)
        print(result.sentence(), file=sys.stderr)
        return 0
    cats = args.category or [analysis.ASB]
    filters = Filters(
        month_from=args.month_from,
        month_to=args.month_to,
        categories=None if "all" in cats else tuple(cats),
        sources=tuple(args.source) if args.source else None,
    )
    area = analysis.load_area(store, res=args.res)
    cube = analysis.load_cube(store, area, filters=filters)
    if not cube.months:
        print("error: no incidents match the filters", file=sys.stderr)
        return 2
    span = f"{cube.months[0]}..{cube.months[-1]}"
    if args.command == "hotspots":
        table = analysis.hotspot_table(cube, k=args.k)
        write(table)
        hot = int((table["gi_bin"] > 0).sum())
        print(f"{len(table)} cells at res {args.res}, {span}: {hot} hot spots (FDR)", file=sys.stderr)
    elif args.command == "emerging":
        table = analysis.emerging_table(cube, k=args.k, time_steps=args.time_steps)
        write(table)
        counts = table["category"].value_counts()
        print(", ".join(f"{n} {c}" for c, n in counts.items() if c != "no pattern detected"), file=sys.stderr)
    elif args.command == "priority":
        ranked, _scored, length = analysis.priority_table(
            cube, analysis.load_cases(store), k=args.k, top=args.top, as_of=args.as_of
        )
        write(ranked)
        print(f"{len(ranked)} cells to visit, tour {length / 1000:.1f} km ({span})", file=sys.stderr)
    else:
        summary = analysis.concentration_summary(cube, lookback=args.lookback, area_fraction=args.area)
        bt = summary["backtest"].assign(month=lambda f: [cube.months[i] for i in f["month_index"]])
        write(bt)
        shares = ", ".join(f"top {k:.0%}: {v:.0%}" for k, v in summary["share_in_top"].items())
        print(f"{shares}; Gini {summary['gini']:.2f}", file=sys.stderr)
    return 0


def _os_user() -> str:
    """Who ran the command, for the audit log."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _safe_url(url: str) -> str:
    """A URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
