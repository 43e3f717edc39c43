"""The presentation rule for published figures: "fewer than N" and rounding to N.

This is the last step, not the protection. What these functions are given is
already a sum of the protected release's cells (:mod:`geo.publish.release`):
rounding each view on its own cannot protect exact counts, because every label
bounds its count to an interval and enough overlapping views intersect those
intervals down to single values (SECURITY.md). On top of the release, counts
from 1 to ``threshold - 1`` are shown as "fewer than N" and every other count
is rounded to a multiple of N (zero stays zero), and everything derived for
these roles (changes, rates, town averages) is computed from the shown values.

The threshold is ``NESTWATCH_SUPPRESS_BELOW`` (default 5, as the partnership
asked: 1-4 shown as "fewer than 5"); the ONS rule would be 10.
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.errors import OptionError


def threshold() -> int:
    """The suppression threshold N (counts 1..N-1 hidden, others rounded to a multiple of N).

    Raises :class:`~geo.core.errors.OptionError` when ``NESTWATCH_SUPPRESS_BELOW`` is not a whole
    number of 2 or more: the setting is wrong, not any data.
    """
    return setting_number("NESTWATCH_SUPPRESS_BELOW", default=5, minimum=2)


def setting_number(name: str, *, default: int, minimum: int) -> int:
    """A whole-number setting from the environment, at least ``minimum``; an OptionError names the setting."""
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(f"{name} must be a whole number, not {raw!r}", option=name) from None
    if value < minimum:
        raise OptionError(f"{name} must be {minimum} or more, not {value}", option=name)
    return value


def label() -> str:
    """How a suppressed count reads: ``"fewer than 5"``."""
    return f"fewer than {threshold()}"


def suppress(values: np.ndarray | pd.Series | list, *, below: int | None = None) -> np.ndarray:
    """Counts safe to publish: NaN where ``0 < count < below``, others rounded to a multiple of ``below``."""
    n = below or threshold()
    v = np.asarray(values, dtype=float)
    out = np.floor(v / n + 0.5) * n  # round half up: 2.5 -> 5 whatever numpy's banker's rounding would do
    out[(v > 0) & (v < n)] = np.nan
    return out


def suppress_labels(values: np.ndarray | pd.Series | list, *, below: int | None = None) -> list[str]:
    """Like :func:`suppress`, as text for tables and tooltips."""
    n = below or threshold()
    return [f"fewer than {n}" if np.isnan(v) else f"{int(v):,}" for v in suppress(values, below=n)]


def safe_change(now_shown: npt.ArrayLike, before_shown: npt.ArrayLike) -> np.ndarray:
    """Fractional change between two periods, from *shown* (already suppressed) values.

    NaN when either side is suppressed or the earlier one is zero: a
    percentage over a tiny base both discloses and misleads (1 -> 3 is +200 %).
    """
    now = np.asarray(now_shown, dtype=float)
    before = np.asarray(before_shown, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = now / before - 1
    change[~np.isfinite(now) | ~np.isfinite(before) | (before == 0)] = np.nan
    return change
