"""``python -m geo plan``: a week's patrol plan with its dose, as the printable briefing or the tasking CSV.

The places are the priority list's top (the same pass as ``python -m geo
priority``); each gets ``--visits`` visits of ``--minutes`` at random times
inside ``--shifts`` (:mod:`geo.plan.schedule`), ``--seed`` making the sheet
repeatable. ``--out`` ending ``.html`` writes the A4 briefing (one page per
team), ``.csv`` the one-row-per-visit CSV (:mod:`geo.publish.briefing`).

The sheet is OFFICIAL-SENSITIVE (it names places of concern and why), so
``--reason`` is required and the export is in the audit log, with it, before
the file is written, like every other export. Every plan made is saved in the
store (:func:`geo.store.patrols.save_plan`,
the week's newest plan winning, with an audit entry): the dosage table and the
check-in page compare what was delivered with the plan, so a sheet handed out
but not saved would leave them comparing with nothing. A ``--week`` that is
not a Monday means the week it falls in, and stderr says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from geo.cli._analysis import add_choice, add_cube_options, args_to_filters
from geo.cli._command import Command, log_personal_export, open_store, os_user
from geo.core.days import check_day
from geo.core.errors import OptionError

FORMATS = {".html": "html", ".htm": "html", ".csv": "csv"}


def _arguments(p: argparse.ArgumentParser) -> None:
    from geo.plan.priority import BALANCES, DEFAULT_BALANCE

    add_cube_options(p, out=False)
    p.add_argument("--week", required=True, metavar="YYYY-MM-DD", help="a day of the week to plan (its Monday is used)")
    p.add_argument(
        "--shifts",
        required=True,
        metavar="TEXT",
        help='the teams\' shifts, e.g. "Mon-Fri 14:00-22:00; Sat 18:00-02:00"',
    )
    p.add_argument(
        "--out", required=True, metavar="plan.html|plan.csv", help="the briefing (.html) or tasking CSV (.csv)"
    )
    p.add_argument(
        "--reason", required=True, help="why the sheet is taken (OFFICIAL-SENSITIVE: logged before it is written)"
    )
    p.add_argument("--teams", default="Team 1", help='team call signs, comma-separated (default "Team 1"); never names')
    p.add_argument("--top", type=int, default=10, help="how many places (default 10)")
    p.add_argument("--visits", type=int, default=3, help="visits a week to each place (default 3)")
    p.add_argument("--minutes", type=int, default=15, help="minutes a visit (default 15: the Koper curve's 10-15)")
    p.add_argument("--seed", type=int, default=0, help="sheet number: the same seed gives the same times (default 0)")
    add_choice(
        p,
        "--balance",
        words={name: b.label.lower() for name, b in BALANCES.items()},
        default=DEFAULT_BALANCE,
        lead="established hot spots against emerging ones",
        tail=f"default {DEFAULT_BALANCE}",
    )


def _week(text: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise OptionError(f"--week must be a day YYYY-MM-DD, not {text!r}", option="--week") from None
    return check_day(day, option="--week")


def _format(out: str) -> str:
    suffix = out[out.rfind(".") :].lower() if "." in out else ""
    if suffix not in FORMATS:
        raise OptionError(f"--out must end .html (the briefing) or .csv (the tasking CSV), not {out!r}", option="--out")
    return FORMATS[suffix]


def _run(args: argparse.Namespace) -> int:
    from geo.plan.schedule import Dose, parse_shifts, plan_week
    from geo.publish.briefing import briefing_csv, briefing_html
    from geo.store.patrols import save_plan

    filters = args_to_filters(args)
    week, kind = _week(args.week), _format(args.out)
    shifts = parse_shifts(args.shifts)
    dose = Dose(visits_per_week=args.visits, minutes=args.minutes)
    teams = [t.strip() for t in args.teams.split(",")]
    if args.seed < 0:
        raise OptionError(f"--seed must be 0 or more, not {args.seed}", option="--seed")
    reason = " ".join((args.reason or "").split())
    if not reason:
        raise OptionError(
            "a briefing names places of concern and why (OFFICIAL-SENSITIVE): give a --reason", option="--reason"
        )
    store = open_store(args)
    plan = plan_week(
        store,
        week=week,
        shifts=shifts,
        dose=dose,
        seed=args.seed,
        teams=teams,
        top=args.top,
        res=args.res,
        k=args.k,
        filters=filters,
        balance=args.balance,
    )
    plan_id = save_plan(store, plan.slots, week=plan.week, user=os_user(), options=plan.options, role="cli")
    detail = {"export": "briefing", "format": kind, "plan": plan_id, "week": plan.week.isoformat()}
    log_personal_export(store, args.out, rows=len(plan.slots), reason=reason, detail=detail)
    data = briefing_html(plan).encode("utf-8") if kind == "html" else briefing_csv(plan)
    Path(args.out).write_bytes(data)
    print(
        f"plan {plan_id} saved for the week beginning {plan.week:%Y-%m-%d}: {len(plan.teams)} team(s), "
        f"{len(plan.places)} places, {len(plan.slots)} visits of {dose.minutes} min; {args.out} written",
        file=sys.stderr,
    )
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


PLAN = Command(
    name="plan",
    help="a week's patrol plan with its dose: the A4 briefing (.html) or the tasking CSV (.csv); saved in the store",
    add_arguments=_arguments,
    run=_run,
)

#: This group's commands (their places in ``--help`` are set by :data:`geo.cli.COMMANDS`).
COMMANDS = (PLAN,)
