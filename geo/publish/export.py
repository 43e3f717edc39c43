"""Files that leave the building: CSV that spreadsheets open as plain text.

A cell starting with ``= + - @`` (or a tab/carriage return) is run as a formula
by Excel and LibreOffice; quarantined rows are untrusted input, so such cells
get a leading apostrophe (the OWASP "CSV injection" advice).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype(object)
            # first characters compared in one vectorised step; only the few candidates are then
            # checked for being text (a number -5 reads "-5" but is not a formula in a CSV)
            first = s.astype("string").str[:1]
            candidates = np.flatnonzero(first.isin(FORMULA_STARTS).fillna(False).to_numpy(dtype=bool))
            risky = np.zeros(len(s), dtype=bool)
            risky[candidates] = [isinstance(v, str) for v in s.iloc[candidates]]
            if risky.any():
                out[col] = s.where(~risky, "'" + s.astype(str))
    return out


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents right), formulas neutralised.

    The bytes are pandas' ``to_csv`` of the frame; float64 columns are first
    spelled as pandas spells them (Python's shortest ``repr``, blank for NaN),
    because pandas' writer spends about twice as long per float as ``repr``
    itself, and a national hot spot table has millions of them.
    """
    return _floats_as_text(neutralise_formulas(frame)).to_csv(index=False).encode("utf-8-sig")


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each float64 column as the text ``to_csv`` writes for it (NaN blank, ``inf`` as is)."""
    floats = [c for c in frame.columns if frame[c].dtype == np.float64]
    if not floats:
        return frame
    out = frame.copy()
    for c in floats:
        values = out[c].to_numpy()
        text = np.array(list(map(repr, values.tolist())), dtype=object)
        text[np.isnan(values)] = ""
        out[c] = text
    return out
