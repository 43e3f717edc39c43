"""The outcome of validation: the first failing reason of each row, and the result.

Why a module of its own: every validator (the column-wise incidents path, the
other point and count kinds, boundaries) records its verdicts the same way and
hands the store the same :class:`Validated` result, so both live here, apart
from any one kind's checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from geo.core.arrowtext import plain_strings
from geo.core.rejects import REJECT_COLUMNS, empty_rejects, json_rows
from geo.ingest.boundaries import RawBoundaries
from geo.ingest.readers import RawTable


@dataclass
class Validated:
    """Outcome of validating one raw table.

    ``table`` holds canonical typed columns plus ``_row`` (source row) and
    ``_k1``/``_k2``, a 128-bit content key that makes re-imports idempotent,
    for every row; ``ok`` marks the accepted ones (None: all). The accepted
    rows are only copied out when asked for, because at a million rows that
    copy is a noticeable part of an import and the store can do without it.

    Incidents come as an arrow table (``arrow``; repeated text stays
    dictionary-encoded all the way into the store's Parquet segments) and
    ``table`` is built from it only when asked for; the other kinds as a
    pandas ``frame``. ``ref_hash`` is the 64-bit hash of each row's ref
    (0 for a blank ref), worked out once while hashing the content keys.
    """

    kind: str
    file: str
    frame: pd.DataFrame | None
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    raw: RawTable | RawBoundaries | None = None
    headings: dict[str, str] = field(default_factory=dict)
    ok: np.ndarray | None = None
    arrow: pa.Table | None = None
    ref_hash: np.ndarray | None = None

    @property
    def original(self) -> pd.DataFrame:
        """The rows as the file had them, plus ``_row`` (built only when asked for)."""
        return self.raw.original if self.raw is not None else pd.DataFrame()

    @cached_property
    def table(self) -> pd.DataFrame:
        """Every row, canonical columns plus ``_row``, ``_k1``, ``_k2``."""
        if self.frame is not None:
            return self.frame
        assert self.arrow is not None
        return plain_strings(self.arrow).to_pandas()

    @cached_property
    def accepted(self) -> pd.DataFrame:
        """The accepted rows only, renumbered from 0."""
        return self.table if self.ok is None else self.table[self.ok].reset_index(drop=True)

    @cached_property
    def positions(self) -> np.ndarray:
        """Positions in ``table`` of the accepted rows."""
        n = self.arrow.num_rows if self.arrow is not None else len(self.table)
        return np.arange(n) if self.ok is None else np.flatnonzero(self.ok)

    def data(self) -> pa.Table:
        """``table`` as arrow (no copy for incidents)."""
        if self.arrow is not None:
            return self.arrow
        return pa.Table.from_pandas(self.table, preserve_index=False)

    def values(self, column: str, rows: np.ndarray | None = None) -> np.ndarray:
        """One column of ``table`` (at ``rows``, positions in ``table``) as numpy; numbers without a copy."""
        if self.arrow is None:
            values = self.table[column].to_numpy()
            return values if rows is None else values[rows]
        col = self.arrow.column(column)
        if rows is not None:
            col = col.take(pa.array(rows))
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        return col.to_numpy()


class Rejector:
    """Collects the first failing reason per row, vectorised."""

    def __init__(self, n: int, heading: dict[str, str]) -> None:
        # None until a row is rejected: only rejected rows' entries are ever read
        self.reason = np.empty(n, dtype=object)
        self.column = np.empty(n, dtype=object)
        self.heading = heading
        self._bad = np.zeros(n, dtype=bool)

    @property
    def ok(self) -> np.ndarray:
        return ~self._bad

    def reject(
        self,
        mask: np.ndarray | pd.Series,
        column: str,
        reason: str | np.ndarray | Callable[[np.ndarray], Any],
    ) -> None:
        """Give ``reason`` to rows in ``mask`` that have none yet.

        ``reason`` may be a callable taking the final mask and returning the
        reasons for just those rows, so that row-specific messages are only
        built for the (usually few) rows that fail.
        """
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        if callable(reason):
            self.reason[mask] = reason(mask)
        elif isinstance(reason, np.ndarray):
            self.reason[mask] = reason[mask]
        else:
            self.reason[mask] = reason
        self.column[mask] = self.heading.get(column, column)
        self._bad |= mask


def rejects_frame(raw: RawTable, mask: np.ndarray, rej: Rejector) -> pd.DataFrame:
    """The rows in ``mask`` as the quarantine keeps them: reason, column and the file's own cells."""
    if not mask.any():
        return empty_rejects()
    positions = np.flatnonzero(mask)
    return pd.DataFrame(
        {
            "file": raw.file,
            "row": raw.rows[positions],
            "column": rej.column[mask],
            "reason": rej.reason[mask],
            "raw": pd.Series(json_rows(raw.take(positions)), dtype="str"),  # the file's own cells
        }
    )[list(REJECT_COLUMNS)]
