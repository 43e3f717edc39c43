"""Which rows are the same row: content keys, and refs that come back within one file.

Why a module of its own: the content key is what makes re-imports idempotent,
and it is pinned across versions (if it changed, every stored row would change
key and re-imports would duplicate data); a ref that repeats with different
content is rejected the same way for every kind, whether the rows are a pandas
frame or the incidents path's arrow columns. The hashing itself is
:mod:`geo.core.keys`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.core.arrowtext import TextColumn
from geo.core.keys import frame_to_hash, hash_rows, repeated, strings_to_hash
from geo.core.schema import Kind
from geo.validate._verdict import Rejector


class IncidentColumns:
    """Validated incident columns (text or numbers) and their source rows."""

    def __init__(self, columns: dict[str, TextColumn | np.ndarray], rows: np.ndarray, *, ref_again: np.ndarray) -> None:
        self.columns = columns
        self.rows = rows
        self.ref_again = ref_again  # rows whose (non-blank) ref another row has too

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self, positions: np.ndarray) -> pd.DataFrame:
        """A few rows as a pandas frame with ``_row`` (for detailed comparisons)."""
        data = {
            c: v.take(positions) if isinstance(v, TextColumn) else pd.Series(v[positions])
            for c, v in self.columns.items()
        }
        return pd.DataFrame(data).assign(_row=self.rows[positions])


def content_keys(frame: pd.DataFrame, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit key per row (two int64) from its canonical content.

    For incidents the n-th repeat of identical content gets a different key
    (identical police.uk rows are separate incidents, and all are kept), while
    re-importing the same rows, from any file, yields the same keys. The
    kind's ``mutable_columns`` (an incident's outcome) are not part of the key.
    """
    cols = [c for c in kind.column_names if c != "geometry" and c not in kind.mutable_columns]
    if not len(frame):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return hash_rows(frame, columns=cols, repeats_distinct=kind.repeats_are_distinct)


def reject_repeated_refs(out: pd.DataFrame | IncidentColumns, kind: Kind, rej: Rejector) -> None:
    """Reject a ref that comes back with different content within one file.

    A kind without refs is judged by its key columns instead (its
    :attr:`~geo.core.schema.Kind.identity`: a population's code and year), so
    two numbers for one ward and year cannot both be kept.

    A later row whose content is identical is a separate incident for
    police.uk-style data (kept) and a duplicate record for every other kind
    (rejected, naming the row it repeats). Refs are hashed first so that only
    the (usually few) rows whose ref repeats are compared in detail.
    """
    names = kind.identity  # the ref, or the key columns of a kind without refs (a count's area and month)
    if not names:
        return
    col = names[0]
    if isinstance(out, pd.DataFrame):
        key = identity_key(out, names)
        live = np.flatnonzero(rej.ok & (key != "").to_numpy() if kind.ref_column else rej.ok)  # a blank ref is none
        if len(live) < 2:
            return
        ref_hash, _ = strings_to_hash(key.iloc[live])
    else:
        ref = out.columns[col]
        assert isinstance(ref, TextColumn)
        live = np.flatnonzero(rej.ok & out.ref_again)  # a ref given once cannot repeat among the live rows
        if len(live) < 2:
            return
        ref_hash = ref.hashes()[0][live]  # the same hash, already worked out for the content keys
    candidate = repeated(ref_hash)  # rows whose ref hash comes back
    if not candidate.any():
        return
    rows = live[candidate]
    sub = out.iloc[rows] if isinstance(out, pd.DataFrame) else out.frame(rows)
    content, _ = frame_to_hash(sub, [c for c in kind.column_names if c != "geometry"])
    said = list(zip(*(sub[c].tolist() for c in names), strict=True))  # each row's identity, as its reason says it
    sub = pd.DataFrame({"ref": identity_key(sub, names).to_numpy(), "row": sub["_row"].to_numpy(), "h": content})
    sub = sub.assign(pos=rows, said=said)
    first = sub.drop_duplicates("ref", keep="first").set_index("ref")
    later = sub[sub.duplicated("ref", keep="first")]
    if later.empty:
        return
    f = first.loc[later["ref"].to_numpy()]
    is_same = f["h"].to_numpy() == later["h"].to_numpy()
    keep = is_same & kind.repeats_are_distinct
    later, f, is_same = later[~keep], f[~keep], is_same[~keep]
    reason = np.full(len(out), "", dtype=object)
    mask = np.zeros(len(out), dtype=bool)
    mask[later["pos"].to_numpy()] = True
    reason[later["pos"].to_numpy()] = [
        f"duplicate of row {first_row}"
        if same_content
        else f"{kind.identity_text(values, verb=('repeats', 'repeat'))} row {first_row} with different content"
        for values, first_row, same_content in zip(later["said"], f["row"], is_same, strict=True)
    ]
    rej.reject(mask, col, reason)


def identity_key(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    """Each row's identity as one text: the ref itself, or the key columns' values joined by a unit separator."""
    if len(names) == 1:
        return frame[names[0]].astype("str")
    parts = [frame[c].astype("str") for c in names]
    return pd.Series(
        ["\x1f".join(values) for values in zip(*(p.tolist() for p in parts), strict=True)],
        index=frame.index,
        dtype="str",
    )
