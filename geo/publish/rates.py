"""Rates per 1,000 residents, from published counts only.

A count per area says where most happened; a rate says where a resident is
most likely to meet it, which is what a cabinet member comparing a small ward
with a large one needs. The rate is worked out from the count as published
(already protected, suppressed and rounded: :mod:`geo.publish.privacy`), never
from the stored count: the population is public, so a rate from the published
count tells a reader nothing the count did not, while a rate from the true
count would give the true count back (rate × population ÷ 1,000). Where the
count is hidden the rate is hidden too, and where there is no population (no
estimate for the area, or none living there) there is no rate.

The population for a period is read by :func:`geo.store.read_population`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NOT_SHOWN", "NO_POPULATION", "PER", "per_thousand", "rate_text", "rate_texts"]

#: Residents per rate: "per 1,000 residents".
PER = 1000
#: How a rate reads where its count is hidden (suppressed) or there is none to show.
NOT_SHOWN = "not shown"
#: How a rate reads where the count is shown but the area has no population figure (or nobody living there).
NO_POPULATION = "no population figure"


def per_thousand(shown: pd.Series, population: pd.Series) -> pd.Series:
    """Published count per area ÷ residents × 1,000; NaN where the count is hidden or there is no population.

    Parameters
    ----------
    shown
        Published counts indexed by area code: NaN where suppressed, rounded
        otherwise, 0 exact (as :func:`geo.publish.privacy.suppress` gives them).
    population
        Residents indexed by area code (``read_population(...)["population"]``).
        Areas it lacks, and areas of 0 or fewer (or missing) residents, get no rate.

    Returns
    -------
    pandas.Series
        Float, on ``shown``'s index and name: the rate, unrounded (round it
        only to show it, with :func:`rate_text`).
    """
    counts = pd.to_numeric(shown, errors="coerce").astype(float)
    people = pd.to_numeric(population, errors="coerce").astype(float)
    people = people[~people.index.duplicated(keep="first")].reindex(counts.index)
    usable = people.where(people > 0)  # NaN for missing, zero or negative: no one to divide by
    rate = counts / usable * PER
    return pd.Series(rate.to_numpy(dtype=float), index=shown.index, name=shown.name)


def rate_text(rate: float) -> str:
    """A rate as printed: one decimal, half up (``12.5``, ``1,234.6``); :data:`NOT_SHOWN` for NaN.

    Half up, as the published counts round: a rate of 0.25 reads 0.3, not
    the 0.2 of Python's round-half-even.
    """
    if rate is None or not np.isfinite(rate):
        return NOT_SHOWN
    # (1e-9: 1005 / 4000 * 1000 is 251.24999999999997 in floating point, a tie that must round up to 251.3)
    tenths = np.floor(float(rate) * 10 + 0.5 + 1e-9)
    return f"{tenths / 10:,.1f}"


def rate_texts(shown: pd.Series, population: pd.Series) -> pd.Series:
    """Per area, :func:`rate_text` of :func:`per_thousand`, saying *why* where there is no rate.

    :data:`NOT_SHOWN` where the count is hidden; :data:`NO_POPULATION` where
    the count is shown but the area has no population to divide by (so the
    reader does not take a missing estimate for a suppressed figure).
    """
    rates = per_thousand(shown, population)
    counts = pd.to_numeric(shown, errors="coerce")
    texts = [
        NO_POPULATION if not np.isfinite(r) and np.isfinite(c) else rate_text(r)
        for r, c in zip(rates.to_numpy(dtype=float), counts.to_numpy(dtype=float), strict=True)
    ]
    return pd.Series(texts, index=shown.index, name=shown.name, dtype="str")
