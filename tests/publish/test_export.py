"""Exports open as plain text in spreadsheets."""

from __future__ import annotations

import io

import pandas as pd

from geo.publish.export import frame_to_csv_bytes, neutralise_formulas


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"a": ["=1+1", "+44", "-2", "@SUM(A1)", "ok", "a=b"], "n": [1, 2, 3, 4, 5, 6]})
    out = neutralise_formulas(frame)
    assert out["a"].tolist() == ["'=1+1", "'+44", "'-2", "'@SUM(A1)", "ok", "a=b"]
    back = pd.read_csv(io.BytesIO(frame_to_csv_bytes(frame)), encoding="utf-8-sig")
    assert back["a"].iloc[0] == "'=1+1" and back["n"].tolist() == [1, 2, 3, 4, 5, 6]
