"""Text columns in arrow, stripped, parsed and hashed once per distinct value.

Why a module of its own: incidents, the bulk kind (a force-year is a million
rows), are validated column-wise straight from the arrow table the reader
built, and police.uk columns repeat a few thousand values (months, categories,
snap points, LSOAs) a million times. These helpers keep such text as arrow, a
dictionary of distinct values and a code per row, and work on its buffers
directly, so that no Python string is made per row. They know nothing of
kinds, checks or reasons.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.keys import as_string_array, dictionary_parts, strings_to_hash

_SAMPLE = 4096  # rows looked at to decide whether a column repeats its values


class TextColumn:
    """A text column (surrounding blanks stripped) as distinct values and a code per row.

    Checks, parsing and hashing run once per distinct value and are spread to
    the rows through the codes: police.uk columns repeat a few thousand values
    (months, categories, snap points, LSOAs) over a million rows. A column
    whose values hardly repeat (refs) keeps one value per row (``codes`` None).
    """

    __slots__ = ("_hashes", "codes", "values")

    def __init__(self, values: pa.Array, codes: np.ndarray | None) -> None:
        self.values = values
        self.codes = codes
        self._hashes: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, column: pa.Array | pa.ChunkedArray | pd.Series, *, distinct: bool | None = None) -> TextColumn:
        """The stripped text of ``column``; ``distinct`` None decides from the first rows."""
        if isinstance(column, pd.Series):
            column = as_string_array(column)
        if pa.types.is_dictionary(column.type) and not column.null_count:  # encoded while reading
            return cls._encoded(column)
        if column.null_count:
            column = pc.fill_null(column, "")
        if column.type != pa.string():
            column = column.cast(pa.string())
        if distinct is None:
            sample = column.slice(0, _SAMPLE)
            distinct = len(sample) > 0 and pc.count_distinct(sample).as_py() <= len(sample) // 2
        if not distinct:
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
            return cls(strip_blanks(column), None)
        return cls._encoded(pc.dictionary_encode(column))

    @classmethod
    def _encoded(cls, column: pa.ChunkedArray | pa.DictionaryArray) -> TextColumn:
        dictionary, indices = dictionary_parts(column)
        if dictionary.type != pa.string():
            dictionary = dictionary.cast(pa.string())
        return cls(strip_blanks(dictionary), indices.to_numpy(zero_copy_only=False))

    @classmethod
    def constant(cls, value: str, n: int) -> TextColumn:
        return cls(pa.array([value.strip()], pa.string()), np.zeros(n, np.int32))

    def __len__(self) -> int:
        return len(self.values) if self.codes is None else len(self.codes)

    def spread(self, per_value: np.ndarray) -> np.ndarray:
        """A value per distinct value -> a value per row."""
        return per_value if self.codes is None else per_value[self.codes]

    def distinct(self) -> pd.Series:
        return pd.Series(self.values, dtype="str")

    def blank(self) -> np.ndarray:
        return self.spread(pc.equal(self.values, "").to_numpy(zero_copy_only=False))

    def map(self, fn: Callable[[pd.Series], pd.Series]) -> TextColumn:
        """New text from ``fn`` on the distinct values (a Series of str in, of str out)."""
        return TextColumn(pa.array(fn(self.distinct()).astype("str"), type=pa.string()), self.codes)

    def where(self, mask: np.ndarray, other: TextColumn) -> TextColumn:
        """This text where ``mask``, ``other`` elsewhere."""
        n = len(self)
        own = self.codes if self.codes is not None else np.arange(n)
        theirs = (other.codes if other.codes is not None else np.arange(n)) + len(self.values)
        return TextColumn(pa.concat_arrays([self.values, other.values]), np.where(mask, own, theirs))

    def at(self, mask: np.ndarray) -> np.ndarray:
        """The text of the rows in ``mask`` (object array)."""
        if self.codes is None:
            return self.values.filter(pa.array(mask)).to_numpy(zero_copy_only=False)
        return self.values.to_numpy(zero_copy_only=False)[self.codes[mask]]

    def hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the two 64-bit hashes of :func:`geo.core.keys.strings_to_hash`, computed once per value."""
        h1, h2, *_ = self.hash_parts()
        return self.spread(h1), self.spread(h2)

    def hash_parts(self) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The hashes per distinct value and the codes (:func:`geo.core.keys.combine_hashes` spreads them)."""
        if self._hashes is None:
            self._hashes = strings_to_hash(self.values)
        return self._hashes if self.codes is None else (*self._hashes, self.codes)

    def series(self, index: pd.Index) -> pd.Series:
        """Every row's text as a str Series on ``index``."""
        values = self.values if self.codes is None else self.values.take(pa.array(self.codes))
        return pd.Series(values, index=index, dtype="str")

    def take(self, rows: np.ndarray) -> pd.Series:
        """The text of ``rows`` as a str Series."""
        codes = rows if self.codes is None else self.codes[rows]
        return pd.Series(self.values.take(pa.array(codes)), dtype="str")

    def arrow(self) -> pa.Array:
        """Per row, for storage: dictionary-encoded unless the values hardly repeat."""
        if self.codes is None:
            return self.values
        return pa.DictionaryArray.from_arrays(pa.array(self.codes.astype(np.int32, copy=False)), self.values)


def strip_blanks(values: pa.Array) -> pa.Array:
    """Surrounding blanks removed, as ``str.strip`` on pandas' arrow strings does.

    No copy when no value starts or ends with a byte that could be a blank
    (ASCII white space, or any non-ASCII byte: Unicode has blanks too), which is
    the rule for police.uk files and saves copying a million refs.
    """
    data_buf = values.buffers()[2]
    if not len(values) or data_buf is None:
        return values
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    full = offsets[1:] > offsets[:-1]
    for edge in (data[offsets[:-1][full]], data[offsets[1:][full] - 1]):
        if ((edge >= 0x80) | ((edge >= 0x09) & (edge <= 0x0D)) | ((edge >= 0x1C) & (edge <= 0x20))).any():
            return pc.utf8_trim_whitespace(values)
    return values


def to_float(values: pa.Array) -> np.ndarray:
    """Text to float64, NaN where blank or not a number.

    pyarrow's cast is ten times faster than ``pd.to_numeric`` on strings; it
    refuses the whole column at the first bad value, so bad columns take the
    slow path, which finds them row by row.
    """
    try:
        nums = pc.cast(pc.if_else(pc.equal(values, ""), None, values), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(values, dtype="str"), errors="coerce").to_numpy(dtype=float)
    return nums.to_numpy(zero_copy_only=False)


def plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded, for pandas and for callers that expect plain text."""
    schema = pa.schema(
        [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    )
    return table.cast(schema) if schema != table.schema else table
