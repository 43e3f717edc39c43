"""The early-warning rules and weights, as data: what puts an address on the review queue and how high.

The partnership tunes these (``python -m geo review`` prints each rule's hit
count over the last 12 months beside its words, so a rule that raises too many
addresses, or none, shows). Each is a :class:`ReviewRule`; the queue
(:mod:`geo.plan.review`) reads nothing else.

Why these three (issue 18, GUIDE section 7): keys handed to a gang show as
repeated lock changes; the gang's trade as neighbours' complaints; and two
different kinds of signal close together (a repair and a complaint, a no-access
visit and needles) are what one person joining up the systems would notice.

The window
----------
A rule is met **on a day** when the signals dated in the ``days`` days up to
and including it meet the count: a signal dated ``days`` days before counts,
one dated ``days + 1`` before does not. So two lock changes on 3 Jan and 3 Apr
2026 (90 days apart) meet "2 lock changes in 90 days" on 3 Apr; on 3 Jan and
4 Apr (91 days) they do not. The queue shows the rules met on its day (the
newest stored signal's date unless asked otherwise); the hit counts, the
addresses that met each rule on some day of the 12 months up to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.core.signals import FAMILY_WORDS


@dataclass(frozen=True)
class ReviewRule:
    """One early-warning rule.

    Attributes
    ----------
    key
        Its name in the CSV and the audit log.
    days
        The window's length (see the module docstring).
    at_least
        How many signals (or, with ``distinct``, how many different families) meet it.
    families
        The signal families counted (:data:`geo.core.signals.FAMILY_WORDS`); empty counts every family.
    distinct
        Count different families instead of signals ("two kinds within 30 days").
    """

    key: str
    days: int
    at_least: int
    families: tuple[str, ...] = ()
    distinct: bool = False

    @property
    def words(self) -> str:
        """The rule as the page and the agenda say it: "2 or more lock changes in 90 days"."""
        if self.distinct:
            return f"{self.at_least} or more different kinds of signal within {self.days} days"
        if len(self.families) == 1:
            name = FAMILY_WORDS[self.families[0]][1]
        else:
            name = " or ".join(FAMILY_WORDS[f][1] for f in self.families) if self.families else "signals"
        return f"{self.at_least} or more {name} in {self.days} days"


#: The rules, in the order the queue and the agenda list them.
RULES: tuple[ReviewRule, ...] = (
    ReviewRule("lock_changes", days=90, at_least=2, families=("lock",)),
    ReviewRule("complaints", days=60, at_least=3, families=("complaint",)),
    ReviewRule("two_kinds", days=30, at_least=2, distinct=True),
)

#: Points added to an address's weight: per rule met, and for each piece of context around it.
WEIGHTS: dict[str, int] = {
    "rule": 2,  # each rule met
    "hot": 2,  # in or next to a Gi* hot spot (significant after FDR, z > 0)
    "emerging": 1,  # in or next to an emerging hot spot (new, consecutive or intensifying)
    "closure": 1,  # within CLOSURE_M of a closure order granted in the last CLOSURE_DAYS days
}

#: The emerging hot spot categories that count as "emerging" (Esri's growing patterns).
EMERGING_CATEGORIES: tuple[str, ...] = ("new hot spot", "consecutive hot spot", "intensifying hot spot")
#: How near a closure order counts (metres, British National Grid): displacement goes next door.
CLOSURE_M = 100.0
#: How recent a closure order counts (days before the queue's day, by its granted date).
CLOSURE_DAYS = 365
#: How far back the hit counts look (days up to the queue's day).
HIT_DAYS = 365
