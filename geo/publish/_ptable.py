"""The perturbation table: how a base cell's true count becomes the count that is published.

This is cell-key perturbation as the ONS used it for Census 2021 outputs. Every
record carries a fixed random *record key* (0 to 255); a cell's *cell key* is
the sum of its records' keys modulo 256, so it is uniform, and the same records
always give the same key. The table below maps (true count, cell key) to the
published count: the same cell gets the same noise every time it is asked for,
so asking again, or through another page, tells nothing new.

Each row is a distribution in 256ths (one share per cell key), chosen so that

* a zero stays zero (no records: no one to disclose; this is the ONS rule too);
* no count from 1 to 4 is ever published as itself, and 1 and 2 are never
  published at all: a published value says "0 to 3", "1, 2, 4 or 5" and so on,
  never one number (see :data:`SOURCES` below for what each published value can come from);
* every row has mean equal to its true count (to within 1/256), so sums of many
  cells (a ward over a year, the town) carry no bias, only a small spread;
* from 5 up the noise is -2..+2 with shares 26, 64, 76, 64, 26 (variance 1.31):
  a count of 5 or more is published as itself with probability 76/256 = 0.30.

The table is public (it is printed in SECURITY.md): the protection comes from the
record keys, which are secret, not from hiding the table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Cell keys run 0..255.
KEYS = 256

#: Rows for true counts 0..4: published count -> share of cell keys (in 256ths).
SMALL_ROWS: dict[int, dict[int, int]] = {
    0: {0: 256},
    1: {0: 171, 3: 85},  # mean 255/256 = 0.996
    2: {0: 102, 3: 103, 4: 51},  # mean (309 + 204)/256 = 2.004
    3: {0: 77, 4: 128, 5: 51},  # mean (512 + 255)/256 = 2.996
    4: {3: 154, 5: 51, 6: 51},  # mean (462 + 255 + 306)/256 = 3.996
}
#: From 5 up: added noise -> share of cell keys (in 256ths); symmetric, so unbiased.
LARGE_ROW: dict[int, int] = {-2: 26, -1: 64, 0: 76, 1: 64, 2: 26}
#: The first true count that uses :data:`LARGE_ROW`.
LARGE_FROM = 5


def _row_to_keys(row: dict[int, int]) -> np.ndarray:
    """One row as 256 published values, in cell-key order (key k gets the value whose share covers k)."""
    shares = list(row.items())
    if sum(s for _, s in shares) != KEYS:
        raise ValueError(f"a perturbation row must share out all {KEYS} cell keys: {row}")
    return np.repeat(np.array([v for v, _ in shares], dtype=np.int64), [s for _, s in shares])


#: ``TABLE[c, key]`` is the published count (c < 5) or the noise added (c = 5 row) for a cell key.
TABLE = np.vstack([*(_row_to_keys(SMALL_ROWS[c]) for c in range(LARGE_FROM)), _row_to_keys(LARGE_ROW)])


def perturb(values: npt.ArrayLike, cell_keys: npt.ArrayLike) -> np.ndarray:
    """Published counts from true counts and their cell keys (0..255), elementwise.

    Vectorised: one table lookup per cell, no Python per cell.
    """
    v = np.asarray(values, dtype=np.int64)
    k = np.asarray(cell_keys, dtype=np.int64) % KEYS
    if (v < 0).any():
        raise ValueError("counts cannot be negative")
    row = np.minimum(v, LARGE_FROM)
    looked = TABLE[row, k]
    return np.where(v >= LARGE_FROM, v + looked, looked)


def sources(published: int) -> list[int]:
    """The true counts that can be published as ``published``: never a single small one.

    Small counts can fall to 0 (a 3 is published as 0 for 77 keys in 256), so the
    search runs to at least :data:`LARGE_FROM`; from 5 up the noise is at most 2.
    """
    out = []
    for c in range(max(published + 3, LARGE_FROM)):
        if c < LARGE_FROM:
            if published in SMALL_ROWS[c]:
                out.append(c)
        elif published - c in LARGE_ROW:
            out.append(c)
    return out


#: What each published value from 0 to 8 can have been: the table's promise, checked by a test.
SOURCES: dict[int, list[int]] = {p: sources(p) for p in range(9)}
