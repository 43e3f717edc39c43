"""``python -m geo audit verify``: check the audit log's hash chain and print the head to write down.

The audit log (DPA 2018 s.62) is a hash chain (:mod:`geo.store.audit`). ``verify``
recomputes it and prints one line: ``audit chain verified: N entries, head H``
(exit 0), or the first entry that is not what was written (exit 1, so cron
mails it). The chain has no key, so whoever can write to the store can also
recompute it after an edit; ``--expect-head H``, with a head written down
earlier somewhere the store's administrators cannot change, catches that
and a log cut short at the end. ``audit`` has subcommands of its own, listed
as :data:`AUDIT_COMMANDS` the way the top level lists commands.

Verifying is not logged as a consultation: it reads hashes, and an entry per
check would move the head each time it was written down.
"""

from __future__ import annotations

import argparse
import sys

from geo.cli._command import Command, add_db, command_group, open_store


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument(
        "--expect-head",
        metavar="HASH",
        help="also fail unless the chain contains this head (printed by an earlier verify, kept off this machine)",
    )


def _verify(args: argparse.Namespace) -> int:
    from geo.store import audit

    check = audit.verify_chain(open_store(args), expect_head=args.expect_head)
    if check.ok:
        print(check.message)
        return 0
    print(check.message, file=sys.stderr)
    return 1


#: ``audit`` subcommands, in ``audit --help`` order.
AUDIT_COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            name="verify",
            help="recompute the audit log's hash chain: exit 0 and its head, or 1 and the first bad entry",
            add_arguments=_verify_arguments,
            run=_verify,
        ),
    )
}


AUDIT = command_group(name="audit", help="the audit log's hash chain (verify)", commands=AUDIT_COMMANDS)

#: This group's commands, in the order ``--help`` lists them.
COMMANDS = (AUDIT,)
