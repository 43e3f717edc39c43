"""The quarantine's row format: ``file, row, column, reason, raw``.

Why a module of its own: readers reject rows that cannot be split into fields,
validators reject rows that fail a check, and the store, its segments and
backups keep and export them, all in this one shape. ``raw`` holds the row
exactly as the file had it, a JSON object of its cells as text.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.keys import as_string_array, dictionary_parts

REJECT_COLUMNS = ("file", "row", "column", "reason", "raw")


def rows_to_json(frame: pd.DataFrame | pa.Table, *, columns: list[str] | None = None) -> list[str]:
    """Each row as a JSON object of its cells as text (the quarantine keeps rows this way).

    ``frame`` may be an arrow table of text columns (the file as read), with
    the same result. See :func:`json_rows`.
    """
    return json_rows(frame, columns=columns).to_pylist()


def json_rows(frame: pd.DataFrame | pa.Table, *, columns: list[str] | None = None) -> pa.Array:
    """:func:`rows_to_json` as an arrow array (no Python string per row).

    Built column-wise: each distinct value is encoded once and the pieces are
    joined by pyarrow, because a force-year can reject tens of thousands of
    rows and ``json.dumps`` per row would dominate the import.
    """
    names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    heads = [c for c in (columns or names) if c != "_row"]
    if not len(frame):
        return pa.array([], pa.string())
    if not heads:
        return pa.array(["{}"] * len(frame), pa.string())
    parts: list[pa.Array | str] = []
    for i, h in enumerate(heads):
        codes = None
        if isinstance(frame, pa.Table):
            column = frame.column(h)
            if pa.types.is_dictionary(column.type) and column.num_chunks and not column.null_count:
                # a police.uk column as read: encode each distinct value once
                dictionary, codes = dictionary_parts(column)
                values = as_string_array(dictionary)
            else:
                values = as_string_array(column)
        else:
            col = frame[h]
            if not isinstance(col.dtype, pd.StringDtype):
                col = col.astype(object).where(col.notna(), "").astype(str)
            values = as_string_array(col)
        key = ("{" if i == 0 else ", ") + json.dumps(h, ensure_ascii=False) + ": "
        if _needs_escapes(values):
            py = values.to_numpy(zero_copy_only=False)
            table = {v: key + json.dumps(v, ensure_ascii=False) for v in pd.unique(py)}
            encoded = pa.array([table[v] for v in py], type=pa.string())
        else:
            encoded = pc.binary_join_element_wise(key + '"', values, '"', "")
        parts.append(encoded if codes is None else encoded.take(codes))
    return pc.binary_join_element_wise(*parts, "}", "")


def _needs_escapes(values: pa.Array) -> bool:
    """Whether any value holds a quote, a backslash or a control character (JSON must escape them)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    if values.buffers()[2] is None or offsets[-1] == offsets[0]:
        return False
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return bool(((data < 0x20) | (data == 0x22) | (data == 0x5C)).any())


def empty_rejects() -> pd.DataFrame:
    """A rejects frame with no rows but the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in REJECT_COLUMNS})


def concat_rejects(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack rejects frames, sorted by row; empty frames are fine."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_rejects()
    if len(frames) == 1:  # usually validation's own rejects, already in row order: no copy
        out = frames[0][list(REJECT_COLUMNS)]
        rows = out["row"].to_numpy()
        if out["row"].dtype == np.int64 and (rows[1:] >= rows[:-1]).all():
            return out.reset_index(drop=True)
    out = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    out["row"] = out["row"].astype("int64")
    return out.sort_values("row", kind="stable", ignore_index=True)
