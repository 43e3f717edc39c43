"""The patrol-priority policy as data: every rule that adds points (:data:`RULES`) and the balances (:data:`BALANCES`).

Why a table: the score is what an inspector is asked to trust at a briefing, so
each part of it is one entry here with its name, its points, any cap, the
feature columns it reads, the exact words the inspector reads for it and a
``help`` line saying why it counts. A partnership changes a weight by changing
an entry; adding a kind of case data to the plan adds its entries here and its
feature function in :mod:`geo.plan.priority`. A test checks every entry is
documented, and the README's priority section names every rule.

How the table is applied (:func:`apply_rules`), per cell and in table order:
``units = rule.units(columns)``, capped at ``rule.cap``; the cell gains
``rule.points * units`` and, where ``units`` is not 0, the rule's words join the
cell's reasons (``"; "`` between them). A rule marked ``only_if_scored`` (the
incidents here) adds to a cell only once an earlier rule has given it points.
Every rule is one vectorised function over whole feature columns: a force's
study area is a few hundred thousand cells.

The hot spot's own cell and its neighbours
------------------------------------------
Gi* measures a cell's neighbourhood (the cell and its ring), so a cell with no
incident at all can be a 99 % hot spot because the cells around it are busy.
Sending a patrol to stand there is not what the statistic means. So the hot
spot and emerging-pattern rules count only for a cell with incidents of its
own in the period; a cell with none gets the few points of ``beside_hot`` and
says so: "0 ASB incidents here in Jan–Mar 2024; next to a hot spot (99 %)".

The balance: established hot spots or emerging ones
---------------------------------------------------
The choice that moves the list most is how much a place's *trend* counts
against its *volume*. An established hot spot (persistent, with a very high
Gi* z, e.g. a city centre at z ≈ 20) holds far more ASB than an emerging one
(new or intensifying, z 4–6), and hot-spot patrol trials found their effects
at such stable, busy places; an emerging one is where a problem is still
small enough to stop. :data:`BALANCES` names three settings, each a set of
points for the rules that weigh the two (:data:`BALANCED_RULES`: the Gi*
class over the whole period, which is an established place's strength, the
emerging patterns, and the incidents here; every other rule, the case data
among them, is the same in all three):

* ``established``: hot spot 30/20/10 (99/95/90 %), persistent 20,
  new/consecutive/intensifying 5, and 4 points for every doubling of the
  incidents here;
* ``both`` (the default, the points written in :data:`RULES`): hot spot
  30/20/10, persistent and new/consecutive/intensifying 15 each, 2 points per
  doubling. Between two hot spots of the same confidence the trend then counts
  for nothing either way and the busier place ranks first; an emerging place
  passes an established one on its case data (flagged addresses, closures,
  victims), not on its trend. This is the default because, before this choice
  existed, an intensifying cell of 80 incidents outranked a persistent one of
  600 (15 + log 81 against 10 + log 601 points), which left a force's city
  centre out of its top 10: a plan that misses most of the ASB should be
  someone's choice, not the default;
* ``emerging``: new/consecutive/intensifying 30, persistent 5, hot spot
  15/10/5, 1 point per doubling: an emerging pattern outweighs the whole
  period's Gi* class, so a place that is only now getting hot (not yet a hot
  spot over the whole period) comes before an established one without case
  data, for a partnership that patrols its established places anyway and
  wants the list to show what is new.

Worked example (the issue's real force, 12 months, both cells hot at 99 %): a
persistent cell of 255 incidents and an intensifying cell of 31 score, under
``both``, 30 + 15 + 2 × log2(256) = 61 and 30 + 15 + 2 × log2(32) = 55; under
``established`` 30 + 20 + 4 × 8 = 82 and 30 + 5 + 4 × 5 = 55; under
``emerging`` 15 + 5 + 8 = 28 and 15 + 30 + 5 = 50.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from geo.core.errors import OptionError

#: Feature columns by name, one value per cell (numpy arrays; ``emerging`` and the indicator columns are objects).
Columns = Mapping[str, np.ndarray]
#: The words of a rule for the cells at ``rows`` (positions), when they depend on the cell.
Words = Callable[[Columns, np.ndarray], Sequence[str]]

ASB = "Anti-social behaviour"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def months_to_words(months: Sequence[str]) -> str:
    """The period of ``YYYY-MM`` months in words: "Mar 2024", "Jan–Mar 2024", "Nov 2023–Feb 2024".

    Only the first and the last month are read (a cube's months run without a
    gap); no months at all is "the period".
    """
    if not len(months):
        return "the period"

    def one(month: str) -> tuple[str, str]:
        year, number = str(month).split("-")
        return _MONTHS[int(number) - 1], year

    (m1, y1), (m2, y2) = one(months[0]), one(months[-1])
    if (m1, y1) == (m2, y2):
        return f"{m1} {y1}"
    return f"{m1}–{m2} {y2}" if y1 == y2 else f"{m1} {y1}–{m2} {y2}"


@dataclass(frozen=True)
class Counted:
    """What a plan's incident count counts: which categories, over which months.

    Attributes
    ----------
    categories
        The incident categories the count holds (those with any incident), in
        any order; ``()`` says nothing about them ("incidents").
    months
        The ``YYYY-MM`` months it covers, first to last.
    """

    categories: tuple[str, ...] = ()
    months: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        """The months in words (:func:`months_to_words`)."""
        return months_to_words(self.months)

    @property
    def kind(self) -> str:
        """The word before "incidents": "ASB" for anti-social behaviour alone, the category for one other, else ""."""
        if len(self.categories) != 1:
            return ""
        (only,) = self.categories
        return "ASB" if only == ASB else only[:1].lower() + only[1:]

    def incidents(self, n: int) -> str:
        """``n`` incidents in words: "1 ASB incident", "412 ASB incidents", "0 incidents"."""
        noun = "incident" if n == 1 else "incidents"
        return f"{n} {self.kind} {noun}" if self.kind else f"{n} {noun}"

    @property
    def label(self) -> str:
        """The heading of the count column: "ASB incidents, Jan–Mar 2024"; several categories are named in brackets.

        More than three are "incidents (5 categories)", so a heading stays a heading.
        """
        if self.kind:
            return f"{self.kind} incidents, {self.period}"
        names = sorted("ASB" if c == ASB else c for c in self.categories)  # none, or two or more
        if not names:
            return f"incidents, {self.period}"
        which = ", ".join(names) if len(names) <= 3 else f"{len(names)} categories"
        return f"incidents ({which}), {self.period}"


@dataclass(frozen=True)
class Rule:
    """One way a cell earns points, and the words the inspector reads for it.

    Attributes
    ----------
    name
        Key of the rule (also its name in the README and in :data:`POINTS`).
    reads
        The feature columns ``units`` reads (checked against the features a plan has).
    points
        Points per unit.
    units
        How many units each cell has, from whole columns (0 where the rule does not apply).
    reason
        The words added to a cell's reasons where it has units: fixed text, a
        function of the cell's features (:data:`Words`), or None for a rule
        that only adjusts the score.
    help
        Why the rule counts, in a sentence for the partnership.
    cap
        At most this many units count (None: no cap).
    only_if_scored
        Applied only to a cell that earlier rules have already given points.
    """

    name: str
    reads: tuple[str, ...]
    points: float
    units: Callable[[Columns], np.ndarray]
    reason: str | Words | None
    help: str
    cap: int | None = None
    only_if_scored: bool = False

    def words(self, columns: Columns, rows: np.ndarray) -> Sequence[str]:
        """The words for the cells at ``rows`` (empty for a rule without words)."""
        if self.reason is None:
            return [""] * len(rows)
        if isinstance(self.reason, str):
            return [self.reason] * len(rows)
        return self.reason(columns, rows)


# --------------------------------------------------------------------------- vectorised units


# Each is a small value rather than a closure, so that the rule table stays data (it compares, prints and
# copies) and the arithmetic runs when a plan is scored, not when the module is imported. A units function may
# return booleans (True is one unit).


@dataclass(frozen=True)
class _Number:
    """The cell's ``column`` as it is (a count of addresses, people or orders)."""

    column: str

    def __call__(self, columns: Columns) -> np.ndarray:
        return np.asarray(columns[self.column])


def _strong_indicators(columns: Columns) -> np.ndarray:
    """Distinct strong indicators among the cell's open flagged addresses (only where there are some)."""
    n = np.array([len(keys) for keys in columns["strong_indicators"]])
    return np.where(np.asarray(columns["flagged_open"]) != 0, n, 0)


def _here(columns: Columns) -> np.ndarray:
    """True for a cell with incidents of its own in the period (the hot spot rules' condition)."""
    return np.asarray(columns["count"]) > 0


@dataclass(frozen=True)
class _HotHere:
    """A cell whose Gi* class is ``level`` and that has incidents of its own."""

    level: int

    def __call__(self, columns: Columns) -> np.ndarray:
        return (np.asarray(columns["gi_bin"]) == self.level) & _here(columns)


@dataclass(frozen=True)
class _PatternHere:
    """A cell whose emerging pattern is ``category`` and that has incidents of its own."""

    category: str

    def __call__(self, columns: Columns) -> np.ndarray:
        return (np.asarray(columns["emerging"]) == self.category) & _here(columns)


def _beside_hot(columns: Columns) -> np.ndarray:
    """A Gi* hot spot (any confidence) with no incident of its own: its neighbours made it hot."""
    return (np.asarray(columns["gi_bin"]) > 0) & ~_here(columns)


def _counted(columns: Columns) -> Counted:
    """What ``count`` counts: the plan's one :class:`Counted`, held in the 0-d ``counted`` column."""
    counted = columns.get("counted")
    return Counted() if counted is None else counted.item()


_CONFIDENCE = {3: "99 %", 2: "95 %", 1: "90 %"}


def _beside_words(columns: Columns, rows: np.ndarray) -> list[str]:
    """Words like "0 ASB incidents here in Jan–Mar 2024; next to a hot spot (99 %)": the plan's
    categories and months, then the confidence of the cell's Gi* class."""
    counted = _counted(columns)
    here = f"{counted.incidents(0)} here in {counted.period}"
    return [f"{here}; next to a hot spot ({_CONFIDENCE[int(b)]})" for b in np.asarray(columns["gi_bin"])[rows]]


def _doublings(columns: Columns) -> np.ndarray:
    """``log2(1 + count)``: how many times the incidents here double from 1 (1 → 1, 3 → 2, 7 → 3, 255 → 8)."""
    return np.log2(1 + np.maximum(np.asarray(columns["count"]), 0))


def _incidents_words(columns: Columns, rows: np.ndarray) -> list[str]:
    """Words like "412 ASB incidents here in Jan–Mar 2024": the cell's count, the plan's categories and months."""
    counted = _counted(columns)
    return [f"{counted.incidents(int(n))} here in {counted.period}" for n in np.asarray(columns["count"])[rows]]


def _flagged_words(columns: Columns, rows: np.ndarray) -> list[str]:
    """How many open flagged addresses, then their indicators: "2 open flagged addresses: visitors at odd
    hours, lock changes", or "1 open flagged address" (no colon and no list when they have no indicators)."""
    flagged, indicators = np.asarray(columns["flagged_open"]), np.asarray(columns["indicators"])
    out = []
    for i in rows:
        n, text = int(flagged[i]), indicators[i]
        out.append(f"{n} open flagged {'address' if n == 1 else 'addresses'}{f': {text}' if text else ''}")
    return out


_HOT = (
    "Gi* hot spot after the false discovery rate correction, at {} confidence, in a cell with incidents of its "
    "own: ASB clusters here. Its points depend on the balance."
)
_EMERGING = "Emerging hot spot pattern: {}; only in a cell with incidents of its own."
_BALANCED = " Its points depend on the balance."

#: The priority policy, in the order its points are added and its words read. The points are those of the
#: default balance (``both``); :func:`rules_for` gives another balance's (:data:`BALANCES`).
RULES: tuple[Rule, ...] = (
    Rule("hot_3", ("gi_bin", "count"), 30, _HotHere(3), "hot spot (99 %)", _HOT.format("99 %")),
    Rule("hot_2", ("gi_bin", "count"), 20, _HotHere(2), "hot spot (95 %)", _HOT.format("95 %")),
    Rule("hot_1", ("gi_bin", "count"), 10, _HotHere(1), "hot spot (90 %)", _HOT.format("90 %")),
    Rule(
        "beside_hot",
        ("gi_bin", "count", "counted"),
        5,
        _beside_hot,
        _beside_words,
        "A Gi* hot spot (any confidence) with no incident of its own in the period: its neighbours made it hot, "
        "so it gets a few points and the hot spot and pattern rules do not apply.",
    ),
    Rule(
        "emerging_new",
        ("emerging", "count"),
        15,
        _PatternHere("new hot spot"),
        "new: hot for the first time in the latest month",
        _EMERGING.format("hot in the latest month and never before") + _BALANCED,
    ),
    Rule(
        "emerging_consecutive",
        ("emerging", "count"),
        15,
        _PatternHere("consecutive hot spot"),
        "consecutive: hot in an unbroken run of the latest months, not before",
        _EMERGING.format("one unbroken run of hot months up to the latest") + _BALANCED,
    ),
    Rule(
        "emerging_intensifying",
        ("emerging", "count"),
        15,
        _PatternHere("intensifying hot spot"),
        "intensifying: hot in 90 % of months or more, and getting hotter",
        _EMERGING.format("hot in 90 % of months or more and getting hotter") + _BALANCED,
    ),
    Rule(
        "emerging_persistent",
        ("emerging", "count"),
        15,
        _PatternHere("persistent hot spot"),
        "persistent: hot in 90 % of months or more, with no trend",
        _EMERGING.format("hot in 90 % of months or more, with no trend (an established hot spot)") + _BALANCED,
    ),
    Rule(
        "emerging_sporadic",
        ("emerging", "count"),
        5,
        _PatternHere("sporadic hot spot"),
        "sporadic: hot on and off, and in the latest month",
        _EMERGING.format("hot on and off, and in the latest month"),
    ),
    Rule(
        "emerging_oscillating",
        ("emerging", "count"),
        5,
        _PatternHere("oscillating hot spot"),
        "oscillating: hot in the latest month, a cold spot in an earlier one",
        _EMERGING.format("hot in the latest month, a cold spot in an earlier one"),
    ),
    Rule(
        "flagged_each",
        ("flagged_open", "indicators"),
        12,
        _Number("flagged_open"),
        _flagged_words,
        "Each address of concern (possible cuckooing) open on the plan date; more than three add no more.",
        cap=3,
    ),
    Rule(
        "strong_indicator",
        ("flagged_open", "strong_indicators"),
        4,
        _strong_indicators,
        None,  # listed in the words of flagged_each
        "Each distinct strong cuckooing indicator (visitors at odd hours, lock changes, tenant not seen / never "
        "alone) among the cell's open flagged addresses.",
    ),
    Rule(
        "victim_each",
        ("victims_nearby",),
        4,
        _Number("victims_nearby"),
        "safeguarded victims nearby",
        "Each safeguarded person living in the cell or next to it, up to three; their homes are never shown.",
        cap=3,
    ),
    Rule(
        "closure_active",
        ("closures_active",),
        6,
        _Number("closures_active"),
        "closure order in force (watch for displacement)",
        "Each closure order in force on the plan date: ASB may move to the streets around the premises.",
    ),
    Rule(
        "closure_recent",
        ("closures_recent",),
        8,
        _Number("closures_recent"),
        "closure order ended recently (watch for a return)",
        "Each closure order that ended in the 6 months before the plan date: the problem may come back.",
    ),
    Rule(
        "incidents_here",
        ("count", "counted"),
        2,
        _doublings,
        _incidents_words,
        "Points for every doubling of the incidents in the cell itself (log2(1 + count): 1 incident 1 unit, "
        "3 → 2, 7 → 3, 255 → 8), only for a cell that already scored: a busy place outranks a quiet one with "
        "the same reasons. Its points depend on the balance.",
        only_if_scored=True,
    ),
)

#: The rules whose points a balance sets (every other rule scores the same in every balance).
BALANCED_RULES: tuple[str, ...] = (
    "hot_3",
    "hot_2",
    "hot_1",
    "emerging_new",
    "emerging_consecutive",
    "emerging_intensifying",
    "emerging_persistent",
    "incidents_here",
)


@dataclass(frozen=True)
class Balance:
    """One setting of "established hot spots ↔ emerging ones": four numbers that set :data:`BALANCED_RULES`.

    Attributes
    ----------
    name
        The value of ``--balance`` and of the page's control.
    label
        What the page's control says.
    help
        What the setting puts first, in a sentence.
    hot
        Points of a 99 % Gi* hot spot over the whole period (95 % and 90 % get two thirds and a third).
    emerging
        Points of a new, consecutive or intensifying hot spot.
    persistent
        Points of a persistent hot spot.
    per_doubling
        Points for every doubling of the incidents in the cell.
    """

    name: str
    label: str
    help: str
    hot: float
    emerging: float
    persistent: float
    per_doubling: float

    @property
    def points(self) -> Mapping[str, float]:
        """Rule name -> points per unit, for every rule of :data:`BALANCED_RULES`."""
        return {
            "hot_3": self.hot,
            "hot_2": self.hot * 2 / 3,
            "hot_1": self.hot / 3,
            "emerging_new": self.emerging,
            "emerging_consecutive": self.emerging,
            "emerging_intensifying": self.emerging,
            "emerging_persistent": self.persistent,
            "incidents_here": self.per_doubling,
        }


#: The balances, from established hot spots to emerging ones (the module docstring says why each scores as it does).
BALANCES: Mapping[str, Balance] = MappingProxyType(
    {
        "established": Balance(
            "established",
            "Established hot spots first",
            "Persistent, busy places first: hot spots over the whole period 30/20/10 points (99/95/90 %), "
            "persistent 20, new/consecutive/intensifying 5, 4 points for every doubling of the incidents here.",
            hot=30,
            emerging=5,
            persistent=20,
            per_doubling=4,
        ),
        "both": Balance(
            "both",
            "Both together",
            "Trend and volume together: hot spots 30/20/10 points, persistent and new/consecutive/intensifying "
            "15 each, 2 points for every doubling of the incidents here, so between hot spots of the same "
            "confidence the busier one ranks first and case data decide the rest.",
            hot=30,
            emerging=15,
            persistent=15,
            per_doubling=2,
        ),
        "emerging": Balance(
            "emerging",
            "Emerging hot spots first",
            "New, consecutive and intensifying hot spots first: 30 points each, persistent 5, hot spots over the "
            "whole period 15/10/5, 1 point for every doubling of the incidents here.",
            hot=15,
            emerging=30,
            persistent=5,
            per_doubling=1,
        ),
    }
)

#: The balance a plan uses unless asked otherwise (the points written in :data:`RULES`).
DEFAULT_BALANCE = "both"


def rules_for(balance: str = DEFAULT_BALANCE, rules: Sequence[Rule] = RULES) -> tuple[Rule, ...]:
    """The policy with ``balance``'s points for :data:`BALANCED_RULES` (every other rule as it is).

    Raises
    ------
    OptionError
        For a balance that is not one of :data:`BALANCES`, naming them.
    """
    if balance not in BALANCES:
        raise OptionError(f"balance must be one of {', '.join(BALANCES)}, not {balance!r}", option="--balance")
    points = BALANCES[balance].points
    return tuple(replace(r, points=points[r.name]) if r.name in points else r for r in rules)


#: Rule name -> points per unit, read-only (change a weight in :data:`RULES`).
POINTS: Mapping[str, float] = MappingProxyType({r.name: r.points for r in RULES})


def apply_rules(columns: Columns, *, n: int, rules: Sequence[Rule] = RULES) -> tuple[np.ndarray, np.ndarray]:
    """Score every cell and spell out why: ``(score, reasons)``, unrounded, reasons joined with ``"; "``.

    Parameters
    ----------
    columns
        Every column the rules read, one value per cell.
    n
        The number of cells.
    rules
        The policy (the default is :data:`RULES`; a test passes variants).
    """
    score = np.zeros(n)
    reasons = np.full(n, "", dtype=object)
    for rule in rules:
        units = rule.units(columns)
        if rule.cap is not None:
            units = np.minimum(units, rule.cap)
        if rule.only_if_scored:
            units = np.where(score > 0, units, 0)
        score += rule.points * units
        if rule.reason is None:
            continue
        rows = np.flatnonzero(units != 0)
        words = np.asarray(rule.words(columns, rows), dtype=object)
        before = reasons[rows]
        reasons[rows] = np.where(before == "", words, before + "; " + words)
    return score, reasons


def policy_to_markdown(rules: Sequence[Rule] = RULES) -> str:
    """The policy as a Markdown table (rule, points, cap, reads, words, why), for the README and briefings."""
    lines = ["| rule | points | cap | reads | the inspector reads | why |", "|---|---|---|---|---|---|"]
    for r in rules:
        if r.reason is None:
            words = "(no words of its own)"
        elif isinstance(r.reason, str):
            words = f'"{r.reason}"'
        else:
            words = " ".join((r.reason.__doc__ or "").split())
        cap = "" if r.cap is None else str(r.cap)
        reads = ", ".join(f"`{c}`" for c in r.reads)
        lines.append(f"| `{r.name}` | {r.points:g} | {cap} | {reads} | {words} | {r.help} |")
    return "\n".join(lines)


def balances_to_markdown(balances: Mapping[str, Balance] = BALANCES) -> str:
    """The balances as a Markdown table (points of each balanced rule, what it puts first), for the README."""
    head = " | ".join(f"`{name}`" for name in BALANCED_RULES)
    lines = [f"| balance | page | {head} | puts first |", "|---|---|" + "---|" * len(BALANCED_RULES) + "---|"]
    for b in balances.values():
        points = " | ".join(f"{b.points[name]:g}" for name in BALANCED_RULES)
        default = " (default)" if b.name == DEFAULT_BALANCE else ""
        lines.append(f"| `{b.name}`{default} | {b.label} | {points} | {b.help} |")
    return "\n".join(lines)
