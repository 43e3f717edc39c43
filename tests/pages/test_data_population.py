"""The Load data page takes a ward population table (ONS mid-year estimates) like every other kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import upload
from geo.store import Store
from tests.conftest import patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"

#: ONS's ward estimates as exported from the mid-2020 sheet, with the year added (the sheet's name holds it).
ONS = (
    b"Ward Code 1,Ward Name 1,Mid-year,All Ages\r\n"
    b'E05001979,Ashley,2020,"19,325"\r\n'
    b"E05001980,Avonmouth,2020,20146\r\n"
    b"E05001981,Bedminster,2020,-1\r\n"
)


@pytest.fixture
def url(tmp_path) -> str:
    """The page's store: one URL (on PostgreSQL each store_url call makes a new database)."""
    return store_url(tmp_path / "empty.sqlite")


@pytest.fixture
def page(url, monkeypatch) -> AppTest:
    monkeypatch.setenv("NESTWATCH_DB", url)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=patience(60))
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def test_the_page_offers_population_and_says_what_it_expects(page):
    page.selectbox(key="data_kind").set_value("population").run()
    assert not page.exception
    assert page.selectbox(key="data_kind").format_func("population") == upload.KIND_LABELS["population"]
    cols = page.dataframe[0].value.set_index("column")
    assert list(cols.index) == ["code", "population", "year"] and (cols["required"] == "yes").all()
    assert (
        "wardcode1" in cols.loc["code", "accepted headings"]
        and "allages" in cols.loc["population", "accepted headings"]
    )
    rules = [c.value for c in page.caption if "Headings match" in c.value]
    assert rules and "Coordinates" not in rules[0] and "loaded ward or estate code" in rules[0]


def test_an_ons_population_csv_is_mapped_imported_and_reported(page, url):
    page.selectbox(key="data_kind").set_value("population").run()
    page.file_uploader(key="data_file").set_value(("mid-2020-wards.csv", ONS, "text/csv")).run()
    assert not page.exception
    # every column found from ONS's own headings, no coordinates asked for
    picked = {s.key: s.value for s in page.selectbox if s.key and s.key.startswith("data_opt_map_population_")}
    assert picked == {
        "data_opt_map_population_code": "Ward Code 1",
        "data_opt_map_population_population": "All Ages",
        "data_opt_map_population_year": "Mid-year",
    }
    assert not [r for r in page.radio if r.key == "data_opt_coords"]
    assert not page.button(key="data_import").disabled
    page.button(key="data_import").click().run()
    assert not page.exception and not page.error
    assert {m.label: m.value for m in page.metric} == {
        "Rows": "3",
        "Stored": "2",
        "Rejected": "1",
        "Already present": "0",
    }
    [reasons] = [t.value for t in page.table]
    assert reasons.index.tolist() == ["population is negative"]
    notes = " ".join(c.value for c in page.caption)
    assert "no ward or estate boundaries are stored yet" in notes  # the codes cannot be matched: said, not refused
    store = Store(url)
    try:
        assert sorted(store.read("population").values.tolist()) == [
            ["E05001979", 19325, 2020],
            ["E05001980", 20146, 2020],
        ]
    finally:
        store.dispose()
    page.button(key="data_import").click().run()  # the same file again: nothing new
    assert {m.label: m.value for m in page.metric}["Already present"] == "2"
