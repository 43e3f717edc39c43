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

How a published number reads is decided here once, for every screen, the report
pack and the command line (:func:`count_text`, :func:`percent_text`):

- a rounded count carries the mark :data:`APPROX` ("≈ 10,975"), so no reader
  takes it for an exact figure; zero is exact and reads "0"; a suppressed count
  reads "fewer than 5";
- a change between published counts is a whole percent ("-38%", "+12%"): the
  counts are rounded to 5, so a decimal would be false precision. A change that
  is not zero but rounds to 0 % reads "+<1%" / "-<1%", never "+0%", which would
  say "no change" when the figures did move.
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


#: The mark of a rounded published count: ``"≈ 10,975"``.
APPROX = "≈ "


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
    return [count_text(v, below=n) for v in suppress(values, below=n)]


def count_text(shown: float, *, below: int | None = None) -> str:
    """One *shown* (already suppressed) count as it is printed: ``"fewer than 5"``, ``"0"`` or ``"≈ 1,235"``.

    NaN is a suppressed count; zero stays exact; anything else has been rounded
    to a multiple of the threshold, and says so.
    """
    if not np.isfinite(shown):
        return f"fewer than {below or threshold()}"
    return "0" if shown == 0 else f"{APPROX}{int(shown):,}"


def whole_percent(x: npt.ArrayLike) -> np.ndarray:
    """Published changes (fractions) rounded to a whole percent, half away from zero: ``-0.3452`` -> ``-0.35``.

    The number a published table carries beside :func:`percent_text`'s words, so a spreadsheet shows no
    more precision than the screen (changes of counts rounded to 5 have none to give). NaN stays NaN.
    """
    arr = np.asarray(x, dtype=float)
    return np.sign(arr) * np.floor(np.abs(arr) * 100 + 0.5 + 1e-9) / 100


def percent_text(x: float) -> str:
    """A published change as a whole percent: ``"-38%"``, ``"+12%"``; ``"+<1%"`` when it rounds to 0 but is not 0.

    Half a percent rounds away from zero (``0.125`` -> ``+13%``), as a reader rounds by hand.
    """
    if x == 0:
        return "0%"
    whole = round(abs(float(whole_percent(x))) * 100)
    sign = "-" if x < 0 else "+"
    return f"{sign}<1%" if whole == 0 else f"{sign}{whole}%"


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
