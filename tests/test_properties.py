"""Invariants under arbitrary input: the accounting always adds up, re-imports change nothing."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.core.errors import InputError
from geo.core.schema import POLICE_UK_HEADER
from geo.store import Store
from geo.store.importer import import_path

SAMPLES = ["", "NA", "0", "51.45", "-2.59", "2024-01", "Anti-social behaviour", "Drugs", "x,y", '"q"', "00123"]
SAMPLES += ["a\nb", "c\r\nd"]
cell = st.one_of(
    st.sampled_from(
        [
            "",
            "NA",
            "0",
            "51.45",
            "-2.59",
            "2024-01",
            "Anti-social behaviour",
            "Drugs",
            "x,y",
            '"q"',
            "00123",
            "a\nb",
            "c\r\nd",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ue000"), max_size=12),
)
row = st.lists(cell, min_size=10, max_size=14)


def to_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(POLICE_UK_HEADER)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def new_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new store's file (migrated, empty, disposed): each example copies it instead of migrating its own (~0.25 s)."""
    path = tmp_path_factory.mktemp("new_store") / "new.sqlite"
    store = Store(path)
    assert store.is_empty()
    store.dispose()  # the WAL folded into the file: a copy is the whole store
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=15))
def test_every_row_is_stored_rejected_or_already_present(new_store_file, rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.csv"
        path.write_bytes(to_csv(rows))
        store = Store(shutil.copy(new_store_file, Path(tmp) / "h.sqlite"))
        try:
            try:
                first = import_path(store, "incidents", path)
            except InputError:
                return  # e.g. every line blank: refused as a whole, nothing stored
            assert first.rows == len(rows)
            assert first.rows == first.stored + first.rejected + first.already_present
            assert store.count("incidents") == first.stored
            again = import_path(store, "incidents", path)
            assert again.rows == first.rows
            assert (again.stored, again.rejected) == (0, first.rejected)
            assert store.count("incidents") == first.stored
        finally:
            store.dispose()
