"""The patrol-priority policy as data: every rule that adds points, in one table (:data:`RULES`).

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
ASB-count tie-break) adds to a cell only once an earlier rule has given it
points, and has no words. Every rule is one vectorised function over whole
feature columns: a force's study area is a few hundred thousand cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

#: Feature columns by name, one value per cell (numpy arrays; ``emerging`` and the indicator columns are objects).
Columns = Mapping[str, np.ndarray]
#: The words of a rule for the cells at ``rows`` (positions), when they depend on the cell.
Words = Callable[[Columns, np.ndarray], Sequence[str]]


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


def _is(column: str, value: object) -> Callable[[Columns], np.ndarray]:
    """1 for a cell whose ``column`` is ``value``, else 0."""

    def units(columns: Columns) -> np.ndarray:
        return (np.asarray(columns[column]) == value).astype(np.int64)

    return units


def _number(column: str) -> Callable[[Columns], np.ndarray]:
    """The cell's ``column`` as it is (a count of addresses, people or orders)."""

    def units(columns: Columns) -> np.ndarray:
        return np.asarray(columns[column], dtype=np.int64)

    return units


def _strong_indicators(columns: Columns) -> np.ndarray:
    """Distinct strong indicators among the cell's open flagged addresses (only where there are some)."""
    strong = columns["strong_indicators"]
    n = np.fromiter(map(len, strong), dtype=np.int64, count=len(strong))
    return np.where(np.asarray(columns["flagged_open"]) != 0, n, 0)


def _log_count(columns: Columns) -> np.ndarray:
    """``log(1 + ASB count)``: a few points at most, so that it breaks ties and never outranks a reason."""
    count = np.asarray(columns["count"])
    return np.where(count > 0, np.log1p(np.maximum(count, 0)), 0.0)


def _flagged_words(columns: Columns, rows: np.ndarray) -> list[str]:
    """How many open flagged addresses, then their indicators: "2 open flagged addresses: visitors at odd
    hours, lock changes", or "1 open flagged address" (no colon and no list when they have no indicators)."""
    flagged = np.asarray(columns["flagged_open"])[rows]
    indicators = np.asarray(columns["indicators"], dtype=object)[rows]
    return [
        f"{int(n)} open flagged {'address' if n == 1 else 'addresses'}{f': {text}' if text else ''}"
        for n, text in zip(flagged, indicators, strict=True)
    ]


_HOT = "Gi* hot spot after the false discovery rate correction, at {} confidence: ASB clusters here."
_EMERGING = "Emerging hot spot pattern: {}. The trend over the months counts, not just the total."

#: The priority policy, in the order its points are added and its words read.
RULES: tuple[Rule, ...] = (
    Rule("hot_3", ("gi_bin",), 30, _is("gi_bin", 3), "hot 99 %", _HOT.format("99 %")),
    Rule("hot_2", ("gi_bin",), 20, _is("gi_bin", 2), "hot 95 %", _HOT.format("95 %")),
    Rule("hot_1", ("gi_bin",), 10, _is("gi_bin", 1), "hot 90 %", _HOT.format("90 %")),
    Rule(
        "emerging_new",
        ("emerging",),
        15,
        _is("emerging", "new hot spot"),
        "new",
        _EMERGING.format("hot in the latest month and never before"),
    ),
    Rule(
        "emerging_consecutive",
        ("emerging",),
        15,
        _is("emerging", "consecutive hot spot"),
        "consecutive",
        _EMERGING.format("one unbroken run of hot months up to the latest"),
    ),
    Rule(
        "emerging_intensifying",
        ("emerging",),
        15,
        _is("emerging", "intensifying hot spot"),
        "intensifying",
        _EMERGING.format("hot in 90 % of months or more and getting hotter"),
    ),
    Rule(
        "emerging_persistent",
        ("emerging",),
        10,
        _is("emerging", "persistent hot spot"),
        "persistent",
        _EMERGING.format("hot in 90 % of months or more, with no trend"),
    ),
    Rule(
        "emerging_sporadic",
        ("emerging",),
        5,
        _is("emerging", "sporadic hot spot"),
        "sporadic",
        _EMERGING.format("hot on and off, and in the latest month"),
    ),
    Rule(
        "emerging_oscillating",
        ("emerging",),
        5,
        _is("emerging", "oscillating hot spot"),
        "oscillating",
        _EMERGING.format("hot in the latest month, a cold spot in an earlier one"),
    ),
    Rule(
        "flagged_each",
        ("flagged_open", "indicators"),
        12,
        _number("flagged_open"),
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
        _number("victims_nearby"),
        "safeguarded victims nearby",
        "Each safeguarded person living in the cell or next to it, up to three; their homes are never shown.",
        cap=3,
    ),
    Rule(
        "closure_active",
        ("closures_active",),
        6,
        _number("closures_active"),
        "closure order in force (watch for displacement)",
        "Each closure order in force on the plan date: ASB may move to the streets around the premises.",
    ),
    Rule(
        "closure_recent",
        ("closures_recent",),
        8,
        _number("closures_recent"),
        "closure order ended recently (watch for a return)",
        "Each closure order that ended in the 6 months before the plan date: the problem may come back.",
    ),
    Rule(
        "count_log",
        ("count",),
        1.0,
        _log_count,
        None,
        "log(1 + the cell's ASB count), only for a cell that already scored: breaks ties, a few points at most.",
        only_if_scored=True,
    ),
)

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
        if not len(rows):
            continue
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
