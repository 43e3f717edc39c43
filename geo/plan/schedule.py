"""The plan with a dose: which places each team visits in a week, how often, for how long, and when.

Hot-spot patrol works when the dose is right (GUIDE section 7, the College of
Policing's hot spots guide): visits of 10-15 minutes (the Koper curve) at
random, intermittent times, a few times a week, rather than one long stay or a
drive-by. So a plan is, for each place of the priority list
(:func:`geo.plan.analysis.priority_table`), :class:`Dose` visits of so many
minutes, each at a start time drawn at random inside the team's shifts
(:func:`parse_shifts`) by a seeded generator, so the same seed gives the same
sheet and a new seed a new one. The rules every plan keeps (tests pin them):

* every visit lies wholly inside one shift (overnight shifts run past midnight);
* a place never has two visits in the same clock hour, and its visits fall on
  different days while the shifts have days to spare;
* a team's visits never overlap, with :data:`TRAVEL_MINUTES` between one visit's
  end and the next one's start to get there;
* where partner incidents have a time of day, a place's visits lean towards
  the hours its incidents happen (:func:`hot_hours`; police.uk has no times,
  and the plan then says so: :data:`NO_TIMES`).

Times are Europe/London wall-clock times, stored tz-aware: in the week the
clocks change, the draw works on real minutes (a Sunday of 23 or 25 hours), so
no slot falls in an hour that does not exist. The places are shared between
teams by cutting the round through all of them (:func:`geo.space.tour.visiting_order`)
into stretches of neighbouring places, one per team, each with its own round.

:func:`plan_week` is the one call the command line and the Patrols page make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.plan._hours import HOT_HOUR_COLUMNS, NO_TIMES, hot_hours, hot_words, weight_matrix
from geo.plan._shifts import DAY_NAMES, LONDON, Shift, Shifts, parse_shifts, week_monday
from geo.plan._slots import draw_starts, timeline
from geo.space.hexes import cells_to_latlng, strings_to_cells
from geo.space.tour import haversine_m, visiting_order

if TYPE_CHECKING:
    from geo.stats.aggregate import Filters
    from geo.store import Store

__all__ = ["DAY_NAMES", "HOT_HOUR_COLUMNS", "LONDON", "NO_TIMES", "ROUTE_COLUMNS", "SLOT_COLUMNS", "TRAVEL_MINUTES"]
__all__ += ["Dose", "Shift", "Shifts", "WeekPlan", "hot_hours", "parse_shifts", "plan_week", "week_monday"]
__all__ += ["week_plan", "week_routes"]

#: One row per planned visit (what :func:`geo.store.patrols.save_plan` stores and the briefing prints).
SLOT_COLUMNS = ["week", "team", "order", "cell", "res", "place", "ward", "start", "minutes", "reason"]
#: One row per stop of each team's round.
ROUTE_COLUMNS = ["team", "order", "cell", "place", "ward", "lat", "lng", "leg_m"]
#: Minutes between the end of a team's visit and the start of its next: walking or driving to the next place.
TRAVEL_MINUTES = 10
#: Most visits a week to one place: each needs a clock hour of its own.
MAX_VISITS = 28


@dataclass(frozen=True)
class Dose:
    """How much patrol each place gets in a week: visits, and minutes per visit.

    Three visits of 15 minutes by default: the Koper curve finds 10-15 minutes
    the effective stay (longer adds little; shorter is a drive-by), and random,
    intermittent visits keep the deterrence going between them.

    Raises
    ------
    OptionError
        For visits outside 1..28 or minutes outside 1..60 (a visit of more than an
        hour is not a hot-spot visit, and every visit has a clock hour of its own).
    """

    visits_per_week: int = 3
    minutes: int = 15

    def __post_init__(self) -> None:
        for name, value, top in (("visits_per_week", self.visits_per_week, MAX_VISITS), ("minutes", self.minutes, 60)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= top:
                raise OptionError(
                    f"{name.replace('_', ' ')} must be a whole number 1-{top}, not {value!r}", option=name
                )

    def __str__(self) -> str:
        visits = "1 visit" if self.visits_per_week == 1 else f"{self.visits_per_week} visits"
        return f"{visits} a week of {self.minutes} minutes to each place"


@dataclass(frozen=True, eq=False)
class WeekPlan:
    """A week's plan: the slots and everything the briefing and the Patrols page say about them.

    Attributes
    ----------
    week
        The Monday the plan's week begins.
    slots
        :data:`SLOT_COLUMNS`, one row per visit, by team then start time.
    places
        The priority list's places (its columns, ``cell`` as int) with ``team``,
        ``order`` (stop on the team's round) and ``reason``.
    route
        :data:`ROUTE_COLUMNS`, each team's round in order; ``route_m`` each round's length in metres.
    hot_hours, hot_hours_known
        :data:`HOT_HOUR_COLUMNS` of the places, and whether any of their incidents had a time of day.
    notes
        Sentences the sheet and the page show (the Monday rule, hot hours or their absence).
    options
        What made the plan, as plain values (stored with a saved plan).
    """

    week: dt.date
    shifts: Shifts
    dose: Dose
    seed: int
    teams: tuple[str, ...]
    res: int
    slots: pd.DataFrame
    places: pd.DataFrame
    route: pd.DataFrame
    route_m: dict[str, float]
    hot_hours: pd.DataFrame
    hot_hours_known: bool
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    counted: str = "incidents"


def week_plan(
    places: pd.DataFrame,
    *,
    week: dt.date,
    shifts: Shifts | str,
    dose: Dose = Dose(),
    seed: int = 0,
    teams: Sequence[str] = ("Team 1",),
    hot_hours: pd.DataFrame | None = None,
    travel_minutes: int = TRAVEL_MINUTES,
) -> pd.DataFrame:
    """Random visit times for every place, inside the shifts, by the module's rules.

    Parameters
    ----------
    places
        The places in priority order: ``cell`` (H3, text or int) and, when present,
        ``place``, ``ward`` (or ``ward_name``), ``reasons`` (or ``reason``), ``lat``, ``lng``.
    week
        A day of the week planned; a day that is not a Monday means its week (:func:`week_monday`).
    shifts
        :class:`Shifts` or their text (:func:`parse_shifts`).
    seed
        The draw's seed (a ``numpy`` Generator of its own; the global one is never touched).
    teams
        Team names (call signs or team names, never an officer's name): the places are shared out
        as neighbouring stretches of one round (:func:`week_routes`).
    hot_hours
        ``cell, hour, weight`` (:func:`hot_hours`): a place's visits lean to its heavy hours.
    travel_minutes
        Minutes a team needs between one visit's end and its next visit's start.

    Returns
    -------
    pd.DataFrame
        :data:`SLOT_COLUMNS`, ``start`` tz-aware Europe/London, by team (in ``teams`` order) then start.

    Raises
    ------
    OptionError
        For bad shifts, teams, seed or places, or a dose that does not fit the shifts.
    """
    return _week(
        places, week=week, shifts=shifts, dose=dose, seed=seed, teams=teams, hot=hot_hours, travel=travel_minutes
    )[0]


def week_routes(places: pd.DataFrame, *, teams: Sequence[str] = ("Team 1",)) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each team's places and round: :data:`ROUTE_COLUMNS` and each round's length in metres.

    The round through all the places (from the first, the top priority) is cut into
    ``len(teams)`` stretches of neighbouring places, as equal in number as can be
    (the first teams take one more); each stretch gets its own short round
    (:func:`geo.space.tour.visiting_order`), setting out from its highest-priority place.
    No randomness: the same places and teams always give the same routes.
    """
    frame = _places(places)
    names = _teams(teams, len(frame))
    whole = visiting_order(frame["lat"].to_numpy(), frame["lng"].to_numpy()).order
    parts, lengths = [], {}
    for name, stretch in zip(names, np.array_split(whole, len(names)), strict=True):
        mine = np.sort(stretch)  # priority order: the round sets out from the team's top place
        tour = visiting_order(frame["lat"].to_numpy()[mine], frame["lng"].to_numpy()[mine])
        stops = frame.iloc[mine[tour.order]].reset_index(drop=True)
        lat, lng = stops["lat"].to_numpy(), stops["lng"].to_numpy()
        leg = np.r_[0.0, haversine_m(lat[:-1], lng[:-1], lat[1:], lng[1:])] if len(stops) else np.zeros(0)
        parts.append(stops.assign(team=name, order=np.arange(1, len(stops) + 1), leg_m=leg, _index=mine[tour.order]))
        lengths[name] = tour.length_m
    route = pd.concat(parts, ignore_index=True)
    return route, lengths


def _week(
    places: pd.DataFrame,
    *,
    week: dt.date,
    shifts: Shifts | str,
    dose: Dose,
    seed: int,
    teams: Sequence[str],
    hot: pd.DataFrame | None,
    travel: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Slots, routes (with ``_index`` into the places) and round lengths."""
    if not isinstance(dose, Dose):
        raise OptionError(f"dose must be a Dose, not {dose!r}", option="dose")
    shifts = parse_shifts(shifts) if isinstance(shifts, str) else shifts
    if not isinstance(shifts, Shifts) or not shifts.shifts:
        raise OptionError("shifts must be Shifts or their text", option="shifts")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(f"seed must be a whole number 0 or more, not {seed!r}", option="seed")
    if isinstance(travel, bool) or not isinstance(travel, int | np.integer) or not 0 <= travel <= 240:
        raise OptionError(f"travel minutes must be a whole number 0-240, not {travel!r}", option="travel_minutes")
    monday, _note = week_monday(week)
    frame = _places(places)
    route, lengths = week_routes(frame, teams=teams)
    line = timeline(shifts.windows(monday), week=pd.Timestamp(monday), minutes=dose.minutes)
    cells = frame["cell"].to_numpy(dtype=np.int64)
    team_places = [route.loc[route["team"] == t, "_index"].to_numpy(dtype=np.int64) for t in route["team"].unique()]
    starts = draw_starts(
        line,
        team_places=team_places,
        visits=dose.visits_per_week,
        minutes=dose.minutes,
        travel=int(travel),
        weights=weight_matrix(hot, cells),
        rng=np.random.default_rng(int(seed)),
        names=frame["place"].to_numpy(dtype=object),
    )
    reason = _reasons(frame, hot)
    stop = route.set_index("_index")
    which = np.repeat(np.arange(len(frame)), dose.visits_per_week)
    slots = pd.DataFrame(
        {
            "week": monday,
            "team": stop.loc[which, "team"].to_numpy(dtype=object),
            "order": stop.loc[which, "order"].to_numpy(dtype=np.int64),
            "cell": cells[which],
            "res": _res(cells)[which],
            "place": frame["place"].to_numpy(dtype=object)[which],
            "ward": frame["ward"].to_numpy(dtype=object)[which],
            "start": line.to_times(starts.ravel()).as_unit("ns"),
            "minutes": np.int64(dose.minutes),
            "reason": reason[which],
        }
    )
    rank = {name: i for i, name in enumerate(route["team"].unique())}
    slots = slots.assign(_team=slots["team"].map(rank)).sort_values(["_team", "start", "order"], kind="stable")
    return slots.drop(columns="_team").reset_index(drop=True)[SLOT_COLUMNS], route, lengths


def _places(places: pd.DataFrame) -> pd.DataFrame:
    """The places with ``cell`` (int64), ``place``, ``ward``, ``reason``, ``lat``, ``lng``, in the order given."""
    if not isinstance(places, pd.DataFrame) or "cell" not in places.columns:
        raise OptionError("places must be a table with a cell column (the priority list)", option="places")
    if not len(places):
        raise OptionError("no places to plan: the priority list is empty", option="places")
    out = places.reset_index(drop=True).copy()
    raw = out["cell"]
    try:
        cells = (
            strings_to_cells(raw.astype(str).to_numpy())
            if raw.dtype == object or pd.api.types.is_string_dtype(raw)
            else raw.to_numpy(dtype=np.uint64)
        ).astype(np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise OptionError(f"places: a cell is not an H3 cell ({exc})", option="places") from None
    if (cells <= 0).any():
        raise OptionError("places: every place needs an H3 cell", option="places")
    if len(np.unique(cells)) != len(cells):
        raise OptionError("places: a cell is listed twice", option="places")
    out["cell"] = cells
    text = {
        "place": _text(out, "place"),
        "ward": _text(out, "ward_name") if "ward_name" in out else _text(out, "ward"),
        "reason": _text(out, "reason") if "reason" in out else _text(out, "reasons"),
    }
    out = out.assign(**text)
    out["place"] = out["place"].where(out["place"] != "", pd.Series(raw.astype(str).to_numpy()))
    if not {"lat", "lng"} <= set(out.columns):
        lat, lng = cells_to_latlng(cells.astype(np.uint64))
        out = out.assign(lat=lat, lng=lng)
    return out


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[column].astype(object)
    return values.where(values.notna(), "").astype(str).str.strip()


def _teams(teams: Sequence[str], n: int) -> list[str]:
    if isinstance(teams, str):
        teams = [teams]
    names = [str(t).strip() if isinstance(t, str) else t for t in teams]
    if not names:
        raise OptionError("give at least one team", option="teams")
    bad = [t for t in names if not isinstance(t, str) or not t or len(t) > 100 or not t.isprintable()]
    if bad:
        raise OptionError(f"a team needs a name of 1-100 printable characters, not {bad[0]!r}", option="teams")
    if len(set(names)) != len(names):
        raise OptionError("a team is named twice", option="teams")
    if len(names) > n:
        raise OptionError(f"{len(names)} teams for {n} places: give fewer teams or more places", option="teams")
    return names


def _res(cells: np.ndarray) -> np.ndarray:
    """Each H3 cell's resolution, from bits 52-55 of its index (the H3 index format)."""
    return ((np.asarray(cells, dtype=np.int64) >> 52) & 0xF).astype(np.int64)


def _reasons(frame: pd.DataFrame, hot: pd.DataFrame | None) -> np.ndarray:
    """Why each place is on the plan: the priority list's reasons, then its hot hours in words."""
    why = frame["reason"].to_numpy(dtype=object).copy()
    if hot is None or not len(hot) or "incidents" not in hot:
        return why
    for i, cell in enumerate(frame["cell"].to_numpy(dtype=np.int64)):
        words = hot_words(hot, int(cell))
        if words:
            why[i] = f"{why[i]}; {words}" if why[i] else words
    return why


# --------------------------------------------------------------------------- from the store


def plan_week(
    store: Store,
    *,
    week: dt.date,
    shifts: Shifts | str,
    dose: Dose = Dose(),
    seed: int = 0,
    teams: Sequence[str] = ("Team 1",),
    top: int = 10,
    res: int = 9,
    k: int = 1,
    filters: Filters | None = None,
    balance: str | None = None,
    travel_minutes: int = TRAVEL_MINUTES,
) -> WeekPlan:
    """The week's plan from the store: the priority list, the hot hours, the slots and routes.

    The places are the ``top`` of :func:`geo.plan.analysis.priority_table` for
    ``filters`` (default: anti-social behaviour, every month) at resolution
    ``res``, with case records as they stand on the plan's Monday; the hot
    hours come from the same incidents, those with a time of day.

    Raises
    ------
    OptionError
        For bad options, no incidents matching the filters, no place that scores,
        or a dose that does not fit the shifts.
    """
    from geo.plan import analysis
    from geo.plan.priority import DEFAULT_BALANCE, counted
    from geo.stats.aggregate import Filters as _Filters

    monday, monday_note = week_monday(week)
    shifts = parse_shifts(shifts) if isinstance(shifts, str) else shifts
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise OptionError(f"top must be a whole number 1 or more, not {top!r}", option="top")
    filters = filters or _Filters(categories=(analysis.ASB,))
    balance = balance or DEFAULT_BALANCE
    run = analysis.Pass(store, res=res, k=k, filters=filters)
    if not run.cube.months:
        raise OptionError("no incidents match the filters: nothing to plan from")
    ranked, _scored, _length = run.priority(top=top, as_of=monday.isoformat(), balance=balance)
    if not len(ranked):
        raise OptionError("no place scores for these filters, so there is no place to plan visits to")
    ranked = ranked.assign(ward=_ward_names(store, ranked["ward"]))
    frame = _places(ranked)
    hot = _store_hot_hours(store, filters, cells=frame["cell"].to_numpy(dtype=np.int64), res=res)
    slots, route, lengths = _week(
        frame, week=monday, shifts=shifts, dose=dose, seed=seed, teams=teams, hot=hot, travel=travel_minutes
    )
    stops = route.set_index("_index")
    places = frame.assign(team=stops["team"].sort_index().to_numpy(), order=stops["order"].sort_index().to_numpy())
    places = places.assign(reason=_reasons(frame, hot))
    known = bool(len(hot))
    notes = [n for n in (monday_note, _hot_note(hot, len(frame)) if known else NO_TIMES) if n]
    team_names = tuple(str(t) for t in route["team"].unique())
    options: dict[str, Any] = {
        "shifts": str(shifts),
        "visits_per_week": dose.visits_per_week,
        "minutes": dose.minutes,
        "seed": int(seed),
        "teams": list(team_names),
        "top": top,
        "res": res,
        "k": k,
        "balance": balance,
        "travel_minutes": int(travel_minutes),
        "month_from": filters.month_from,
        "month_to": filters.month_to,
        "categories": list(filters.categories) if filters.categories else None,
        "sources": list(filters.sources) if filters.sources else None,
    }
    return WeekPlan(
        week=monday,
        shifts=shifts,
        dose=dose,
        seed=int(seed),
        teams=team_names,
        res=res,
        slots=slots,
        places=places,
        route=route.drop(columns="_index")[ROUTE_COLUMNS],
        route_m=lengths,
        hot_hours=hot,
        hot_hours_known=known,
        notes=notes,
        options=options,
        counted=counted(run.cube).label,
    )


def _ward_names(store: Store, codes: pd.Series) -> np.ndarray:
    """Each ward code as its name (the code when the name is unknown; "outside the wards" for none)."""
    wards = store.read("wards")
    names = pd.Series(wards["name"].astype(str).to_numpy(), index=wards["code"].astype(str).to_numpy())
    names = names[~names.index.duplicated()]
    code = codes.astype(object).where(codes.notna(), "").astype(str)
    found = code.map(names)
    out = found.where(found.notna() & (found.astype(str).str.strip() != ""), code)
    return out.where(out != "", "outside the wards").to_numpy(dtype=object)


def _store_hot_hours(store: Store, filters: Filters, *, cells: np.ndarray, res: int) -> pd.DataFrame:
    """:func:`hot_hours` of the stored incidents the filters keep (those with a time of day count)."""
    from geo.stats.aggregate import filters_to_mask

    incidents = store.read_table(
        "incidents",
        columns=["lat", "lng", "month", "category", "source", "time"],
        months=(filters.month_from, filters.month_to),
        dictionary=("month", "category", "source"),
    )
    if not incidents.num_rows:
        return hot_hours(incidents, cells=cells, res=res)
    keep = filters_to_mask(incidents, filters)
    return hot_hours(incidents.filter(keep), cells=cells, res=res)


def _hot_note(hot: pd.DataFrame, n: int) -> str:
    timed = int(hot["incidents"].sum())
    at = hot["cell"].nunique()
    return (
        f"Hot hours: {timed} of these places' incidents have a time of day (partner records; police.uk gives no "
        f"time of day), at {at} of the {n} places; their visits lean towards the hours those incidents happened."
    )
