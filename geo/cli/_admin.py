"""Commands that look after the store and who may sign in: status, migrate, export-all, import-all, users.

None of these touches an analysis; they are for whoever runs the service.
``users`` has subcommands of its own, listed as :data:`USER_COMMANDS` the same
way the top level lists :class:`~geo.cli._command.Command`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from geo.cli._command import Command, add_db, command_group, open_store, os_user, safe_url
from geo.core.errors import OptionError

if TYPE_CHECKING:
    from geo.store.backup import BackupSummary


def _status_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--imports", action="store_true", help="print the import log as CSV instead")


def _status(args: argparse.Namespace) -> int:
    from geo.store import migrations

    store = open_store(args)
    if args.imports:
        store.imports().to_csv(sys.stdout, index=False)
        return 0
    with store.engine.connect() as conn:
        revision = migrations.current(conn)
    status = {"url": safe_url(store.url), "backend": store.engine.dialect.name, "schema": revision}
    print(json.dumps(status | {"counts": store.counts(), "months": store.months()}))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    """Upgrade without opening a :class:`~geo.store.Store` (which would upgrade on its own and say nothing)."""
    import sqlalchemy as sa

    from geo.store import migrations, resolve_url

    url = resolve_url(args.db)
    engine = sa.create_engine(url)
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"{safe_url(url)}: already at revision {after}")
    else:
        print(f"{safe_url(url)}: upgraded from {before or 'an empty database'} to revision {after}")
    return 0


def _export_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("folder", help="a new or empty folder (CSV, GeoPackage and manifest.json with checksums)")


def _restore_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("folder")


def _export_all(args: argparse.Namespace) -> int:
    from geo.store.backup import export_all

    return _backup_summary("exported to", export_all(open_store(args), args.folder))


def _import_all(args: argparse.Namespace) -> int:
    from geo.store.backup import import_all

    return _backup_summary("restored from", import_all(open_store(args), args.folder))


def _backup_summary(done: str, summary: BackupSummary) -> int:
    """One line for either direction of a backup: where, which schema, how many rows of each table."""
    counts = ", ".join(f"{n:,} {name}" for name, n in summary.rows.items())
    print(f"{done} {summary.folder} (schema {summary.revision or 'unknown'}): {counts}")
    return 0


# --------------------------------------------------------------------------- users


def _user_add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--role", required=True)
    p.add_argument("--replace", action="store_true", help="change the role or password of an existing user")


def _user_add(args: argparse.Namespace) -> int:
    import getpass

    from geo.access import users

    path = users.users_path()
    password = os.environ.get("NESTWATCH_PASSWORD") or getpass.getpass(f"Password for {args.name}: ")
    users.add_user(path, args.name, password, role=args.role, replace=args.replace)
    print(f"{args.name} can now sign in as {args.role} ({path})")
    return 0


def _user_remove_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")


def _user_remove(args: argparse.Namespace) -> int:
    from geo.access import users

    print(f"{args.name} removed" if users.remove_user(users.users_path(), args.name) else f"no user {args.name}")
    return 0


def _no_arguments(_p: argparse.ArgumentParser) -> None:
    pass


def _user_list(_args: argparse.Namespace) -> int:
    from geo.access import users

    for name, role in users.list_users(users.users_path()):
        print(f"{name}\t{role}")
    return 0


def _user_oidc_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("email")
    p.add_argument("--role", required=True)


def _user_oidc(args: argparse.Namespace) -> int:
    from geo.access import users

    users.set_oidc_role(users.users_path(), args.email, None if args.role == "none" else args.role)
    print(f"{args.email}: {args.role}")
    return 0


def _user_intel_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("name")
    on = p.add_mutually_exclusive_group(required=True)
    on.add_argument("--on", action="store_true", help="give the intel permission (inspectors and analysts only)")
    on.add_argument("--off", action="store_true", help="take it away")
    p.add_argument("--reason", required=True, help="why (the change is in the audit log with it)")


def _user_intel(args: argparse.Namespace) -> int:
    from geo.access import users
    from geo.store import audit

    reason = (args.reason or "").strip()
    if not reason:
        raise OptionError("giving or taking away the intel permission needs a --reason", option="--reason")
    store = open_store(args)  # the store first: a change that cannot be logged is not made
    old = users.set_intel(users.users_path(), args.name, bool(args.on))
    detail = {"intel": "on" if args.on else "off", "was": "on" if old else "off"}
    audit.record(
        store, user=os_user(), role="cli", action="intel_change", target=f"user:{args.name.strip().lower()}",
        reason=reason, detail=detail,
    )  # fmt: skip
    print(f"{args.name}: intel {'on' if args.on else 'off'} (was {'on' if old else 'off'})")
    return 0


#: ``users`` subcommands, in ``users --help`` order.
USER_COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            name="add",
            help="add a user (the password is asked for, or read from NESTWATCH_PASSWORD)",
            add_arguments=_user_add_arguments,
            run=_user_add,
        ),
        Command(name="remove", help="remove a user", add_arguments=_user_remove_arguments, run=_user_remove),
        Command(
            name="list",
            help="list users and their roles (never passwords)",
            add_arguments=_no_arguments,
            run=_user_list,
        ),
        Command(
            name="oidc",
            help="give a single sign-on e-mail a role (--role none removes it)",
            add_arguments=_user_oidc_arguments,
            run=_user_oidc,
        ),
        Command(
            name="intel",
            help="give a local inspector or analyst the intel permission (groups and county lines), or take it away",
            add_arguments=_user_intel_arguments,
            run=_user_intel,
        ),
    )
}


STATUS = Command(name="status", help="what the store holds", add_arguments=_status_arguments, run=_status)
MIGRATE = Command(
    name="migrate",
    help="bring the store's schema up to date (also done on every start)",
    add_arguments=add_db,
    run=_migrate,
)
EXPORT_ALL = Command(
    name="export-all",
    help="back up every table, the quarantine and the audit log to a folder",
    add_arguments=_export_arguments,
    run=_export_all,
)
IMPORT_ALL = Command(
    name="import-all",
    help="restore a folder written by export-all into an empty store",
    add_arguments=_restore_arguments,
    run=_import_all,
)
USERS = command_group(
    name="users", help="local users and single sign-on roles (the users file)", commands=USER_COMMANDS
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (STATUS, MIGRATE, EXPORT_ALL, IMPORT_ALL, USERS)
