"""Exports open as plain text in spreadsheets."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.publish.export import FORMULA_STARTS, frame_to_csv_bytes, neutralise_formulas


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"a": ["=1+1", "+44", "-2", "@SUM(A1)", "ok", "a=b"], "n": [1, 2, 3, 4, 5, 6]})
    out = neutralise_formulas(frame)
    assert out["a"].tolist() == ["'=1+1", "'+44", "'-2", "'@SUM(A1)", "ok", "a=b"]
    back = pd.read_csv(io.BytesIO(frame_to_csv_bytes(frame)), encoding="utf-8-sig")
    assert back["a"].iloc[0] == "'=1+1" and back["n"].tolist() == [1, 2, 3, 4, 5, 6]


CELLS = st.one_of(
    st.none(),
    st.integers(-9, 9),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.tuples(st.integers()),
    st.text(alphabet="=+-@\t\r a1é", max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CELLS, max_size=12), st.booleans())
def test_neutralising_is_the_per_cell_rule_on_mixed_columns(values, arrow):
    """Every text cell starting a formula gets an apostrophe, and nothing else changes (numbers starting with
    a minus, tuples, blanks included); the rule worked cell by cell is the reference."""
    column = pd.Series(values, dtype=object)
    if arrow and all(v is None or isinstance(v, str) for v in values):
        column = column.astype("string[pyarrow]")
    out = neutralise_formulas(pd.DataFrame({"c": column}))["c"].astype(object).tolist()
    expected = ["'" + v if isinstance(v, str) and v[:1] in FORMULA_STARTS else v for v in column.astype(object)]
    assert len(out) == len(expected)
    for got, want in zip(out, expected, strict=True):
        assert got is want or got == want or (pd.isna(got) and pd.isna(want))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(width=32),
            st.integers(-(2**40), 2**40),
            st.booleans(),
            st.text(alphabet='ab,"\n=-', max_size=3),
        ),
        max_size=15,
    )
)
def test_csv_bytes_are_pandas_to_csv_of_the_neutralised_frame(rows):
    """Spelling floats before writing is a speed-up, never a change: the bytes equal pandas' own writer's."""
    frame = pd.DataFrame(rows, columns=["f", "f32", "i", "b", "t"]).astype({"f32": "float32"})
    want = neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")
    assert frame_to_csv_bytes(frame) == want
