"""Files that leave the building: CSV that spreadsheets open as plain text.

A cell starting with ``= + - @`` (or a tab/carriage return) is run as a formula
by Excel and LibreOffice; quarantined rows are untrusted input, so such cells
get a leading apostrophe (the OWASP "CSV injection" advice).
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype(object)
            risky = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            out[col] = s.where(~risky, "'" + s.astype(str))
    return out


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents right), formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")
