"""Glue for the Patrols page: plan a week's dose, take the briefing, see planned against delivered, and did it work.

The loop the College of Policing's hot-spots guide names (targeting, tasking,
tracking, testing) on one page for the inspector:

* **plan** (:func:`make_plan`): the places of the patrol planner's ranking, each
  given visits per week × minutes per visit at random times inside the team's
  shifts (:func:`geo.plan.schedule.plan_week`), saved for the week
  (:func:`geo.store.patrols.save_plan`) so that what is delivered can be set
  against it, and a briefing to print or hand to the tasking system;
* **delivered** (:func:`dosage`): the week's stays from the patrol log (GPS pings,
  GPX tracks, check-ins) beside the plan, per place (:func:`geo.plan.dosage.dosage_for`);
* **did it work** (:func:`evaluation`): patrolled places against matched
  unpatrolled ones (:func:`geo.plan.patrol_evaluation.evaluate_patrols`).

Every value reaches the page under a plain heading and in words: no stored
column name, no H3 id where a place has a name, times in UK time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.checkin import LONDON, week_of
from dashboard.context import get_store
from dashboard.view import View

if TYPE_CHECKING:
    from geo.plan.dosage import Dosage
    from geo.plan.patrol_evaluation import PatrolEvaluation
    from geo.plan.schedule import WeekPlan

#: What the shifts box starts with: an example of every form the grammar takes (a range, a day, past midnight).
DEFAULT_SHIFTS = "Mon-Fri 14:00-22:00; Sat 18:00-02:00"
SHIFTS_HELP = (
    "UK time, one part per shift pattern, separated by semicolons: days (Mon-Fri, Sat, Mon,Wed,Fri or daily), "
    "a space, then start-end on the 24-hour clock. An end before the start runs past midnight: "
    "`Mon-Fri 14:00-22:00; Sat 18:00-02:00`."
)
TEAMS_HELP = "The teams that share the places, separated by commas (Team 1, Team 2): each gets its own route."
SEED_HELP = "The same seed gives the same times again (a sheet can be printed twice); another seed, other times."
NO_LOG = "No patrol log for this week yet: import GPS pings or GPX tracks on Load data, or use Check in."
NO_PLAN = "No plan saved for this week: plan it above, and its places and minutes show here."


def next_monday(today: dt.date | None = None) -> dt.date:
    """The Monday after ``today`` (UK time; a Monday gives the one a week later): the week a plan is made for."""
    day = today or dt.datetime.now(LONDON).date()
    return week_of(day) + dt.timedelta(days=7)


def parse_teams(text: str) -> tuple[str, ...]:
    """The teams typed, trimmed, duplicates dropped; ``("Team 1",)`` when none."""
    teams = tuple(dict.fromkeys(" ".join(t.split()) for t in (text or "").split(",") if t.strip()))
    return teams or ("Team 1",)


def make_plan(
    view: View,
    *,
    week: dt.date,
    shifts: str,
    teams: str,
    visits: int,
    minutes: int,
    seed: int,
    top: int,
    user: str,
    role: str,
) -> tuple[WeekPlan, int]:
    """Plan ``week`` for the view's places and save it; the plan and its saved id.

    ``week`` is any day of the week (its Monday is planned). The places are the view's
    ranking (months, categories, hexagon size); ``shifts`` as :func:`geo.plan.schedule.parse_shifts`
    reads them. Raises :class:`~geo.core.errors.OptionError` with the message to show on a bad input.
    """
    from geo.plan.schedule import Dose, plan_week
    from geo.store.patrols import save_plan

    store = get_store()
    plan = plan_week(
        store,
        week=week,
        shifts=shifts,
        dose=Dose(visits_per_week=int(visits), minutes=int(minutes)),
        seed=int(seed),
        teams=parse_teams(teams),
        top=int(top),
        res=view.res,
        filters=view.filters,
    )
    plan_id = save_plan(store, plan.slots, week=plan.week, user=user, options=plan.options, role=role)
    return plan, plan_id


def saved_slots(week: dt.date) -> pd.DataFrame | None:
    """The saved plan's slots for ``week``'s Monday (None when none was saved); read each run: a plan saved
    in another session or from the command line shows at once."""
    from geo.store.patrols import read_plan

    return read_plan(get_store(), week=week_of(week))


def slots_table(slots: pd.DataFrame) -> pd.DataFrame:
    """The week's plan as the page lists it: one row per stop of each team's round, in route order.

    Columns ``Team, Stop, Place, Visits (UK time), Minutes, Why this place``: the place with its ward
    ("On or near Beacon Court · Millbrook"), the visits' days and times ("Mon 30 Nov 08:12 · Wed 02 Dec
    15:40"), the minutes a visit, and the reason (once per place, not once per visit).
    """
    local = pd.to_datetime(slots["start"], utc=True).dt.tz_convert(LONDON)
    frame = slots.assign(_t=local, _when=local.dt.strftime("%a %d %b %H:%M"))
    teams = {t: i for i, t in enumerate(dict.fromkeys(slots["team"].astype(str)))}
    frame = frame.assign(_team=frame["team"].astype(str).map(teams)).sort_values(
        ["_team", "order", "_t"], kind="stable"
    )
    grouped = frame.groupby(["_team", "order"], sort=True)
    first = grouped.first()
    ward = first["ward"].fillna("").astype(str).replace("", "outside the wards")
    return pd.DataFrame(
        {
            "Team": first["team"].astype(str).to_numpy(),
            "Stop": first.index.get_level_values("order").astype(int),
            "Place": (first["place"].astype(str) + " · " + ward).to_numpy(),
            "Visits (UK time)": grouped["_when"].agg(" · ".join).to_numpy(),
            "Minutes": first["minutes"].astype(int).to_numpy(),
            "Why this place": first["reason"].fillna("").astype(str).to_numpy(),
        }
    )


def plan_summary(slots: pd.DataFrame) -> str:
    """ "30 visits of 15 minutes at 10 places for Team 1 and Team 2 (450 minutes)." """
    teams = list(dict.fromkeys(slots["team"].astype(str)))
    names = teams[0] if len(teams) == 1 else ", ".join(teams[:-1]) + " and " + teams[-1]
    minutes = sorted(set(slots["minutes"].astype(int)))
    each = f" of {minutes[0]} minutes" if len(minutes) == 1 else ""
    n, places = len(slots), slots["cell"].nunique()
    return (
        f"{n} visit{'s' if n != 1 else ''}{each} at {places} place{'s' if places != 1 else ''} for {names} "
        f"({int(slots['minutes'].sum())} minutes)."
    )


# --------------------------------------------------------------------------- delivered


def plan_stamp(week: dt.date) -> str:
    """A short stamp of the saved plan for ``week`` (a new plan changes it): part of the dosage cache's key,
    since saving a plan is not an import and leaves the data version as it was."""
    slots = saved_slots(week)
    if slots is None:
        return "none"
    return hashlib.sha256(pd.util.hash_pandas_object(slots.astype(str), index=False).to_numpy().tobytes()).hexdigest()[
        :16
    ]


@st.cache_data(show_spinner="Measuring what was delivered…", max_entries=16)
def _dosage(url: str, version: str, *, stamp: str, role: str, start: dt.date, end: dt.date, res: int) -> Dosage:
    from geo.plan.dosage import dosage_for

    return dosage_for(get_store(), start=start, end=end, res=res)


def dosage(week: dt.date, *, role: str, res: int) -> Dosage:
    """Planned against delivered for ``week`` (Monday to Sunday), per place, with the week's stays."""
    store = get_store()
    monday = week_of(week)
    end = monday + dt.timedelta(days=6)
    return _dosage(store.url, store.data_version(), stamp=plan_stamp(monday), role=role, start=monday, end=end, res=res)


def plan_res(slots: pd.DataFrame | None, default: int) -> int:
    """The hexagon size the saved plan was made at (its places are cells of that size)."""
    if slots is None or slots.empty or "res" not in slots:
        return default
    return int(pd.to_numeric(slots["res"]).mode().iloc[0])


def delivered_places(table: pd.DataFrame) -> pd.DataFrame:
    """The places the chart and list show: planned ones, and any other place with a visit (passes alone left out).

    Sorted by planned minutes, then delivered, most first. ``place`` is never blank (a hexagon's id
    where the dosage table has no name).
    """
    planned = pd.to_numeric(table["planned_minutes"], errors="coerce").fillna(0)
    visits = pd.to_numeric(table["visits"], errors="coerce").fillna(0)
    shown = table[(planned > 0) | (visits > 0)].copy()
    shown["planned_minutes"] = planned[shown.index]
    shown["minutes"] = pd.to_numeric(shown["minutes"], errors="coerce").fillna(0)
    blank = shown["place"].fillna("").astype(str).str.strip() == ""
    if blank.any():
        from geo.space.hexes import cells_to_strings

        ids = cells_to_strings(shown.loc[blank, "cell"].to_numpy(dtype="uint64"))
        shown.loc[blank, "place"] = [f"hexagon {c} (not planned)" for c in ids]
    return shown.sort_values(["planned_minutes", "minutes"], ascending=False, kind="stable").reset_index(drop=True)


def dosage_frame(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`delivered_places` under plain headings (minutes rounded to whole ones)."""
    shown = delivered_places(table)
    planned_visits = pd.to_numeric(shown["planned_visits"], errors="coerce")
    return pd.DataFrame(
        {
            "Place": shown["place"].astype(str),
            "Planned visits": planned_visits.fillna(0).astype(int),
            "Planned minutes": shown["planned_minutes"].round(0).astype(int),
            "Visits made": pd.to_numeric(shown["visits"], errors="coerce").fillna(0).astype(int),
            "Minutes delivered": shown["minutes"].round(0).astype(int),
            "Drive-bys (passes)": pd.to_numeric(shown["passes"], errors="coerce").fillna(0).astype(int),
        }
    )


def totals_words(table: pd.DataFrame) -> str:
    """The week in one sentence: delivered of planned minutes, visits, passes."""
    planned = pd.to_numeric(table["planned_minutes"], errors="coerce").fillna(0).sum()
    delivered = pd.to_numeric(table["minutes"], errors="coerce").fillna(0).sum()
    visits = int(pd.to_numeric(table["visits"], errors="coerce").fillna(0).sum())
    passes = int(pd.to_numeric(table["passes"], errors="coerce").fillna(0).sum())
    head = f"{delivered:.0f} minutes delivered"
    if planned > 0:
        head += f" of {planned:.0f} planned ({100 * delivered / planned:.0f} %)"
    return (
        f"{head}, in {visits} visit{'s' if visits != 1 else ''}; {passes} drive-by{'s' if passes != 1 else ''} "
        "(passes under 2 minutes) as well."
    )


#: The chart's two bars per place.
BAR_ORDER = ("Planned", "Delivered")
BAR_COLOURS = ("#b0bec5", "#00695c")


def dosage_chart(table: pd.DataFrame) -> alt.Chart:
    """A horizontal pair of bars per place: planned minutes (grey) and delivered minutes (green)."""
    shown = delivered_places(table)
    order = shown["place"].astype(str).tolist()
    long = pd.concat(
        [
            pd.DataFrame({"place": order, "bar": BAR_ORDER[0], "minutes": shown["planned_minutes"].round(0)}),
            pd.DataFrame({"place": order, "bar": BAR_ORDER[1], "minutes": shown["minutes"].round(0)}),
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("place:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("bar:N", sort=list(BAR_ORDER)),
            x=alt.X("minutes:Q", title="Minutes this week"),
            color=alt.Color(
                "bar:N",
                title=None,
                scale=alt.Scale(domain=list(BAR_ORDER), range=list(BAR_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("place:N", title="Place"),
                alt.Tooltip("bar:N", title="Minutes"),
                alt.Tooltip("minutes:Q", title="How many", format=".0f"),
            ],
        )
        .properties(height=max(90, 34 * len(order)))
    )


# --------------------------------------------------------------------------- did it work


@st.cache_data(show_spinner="Comparing patrolled places with matched ones…", max_entries=8)
def _evaluation(url: str, version: str, *, stamp: str, role: str, start: dt.date, end: dt.date, res: int) -> Any:
    from geo.plan.patrol_evaluation import evaluate_patrols

    return evaluate_patrols(get_store(), start=start, end=end, res=res)


def evaluation(start: dt.date, end: dt.date, *, role: str, res: int) -> PatrolEvaluation:
    """Patrolled places against matched unpatrolled ones from ``start`` to ``end`` (whole days)."""
    store = get_store()
    stamp = plan_stamp(week_of(start))
    return _evaluation(store.url, store.data_version(), stamp=stamp, role=role, start=start, end=end, res=res)
