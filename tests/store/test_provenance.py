"""Which data is the synthetic demo town: the import log's flag over live imports, never a file name.

The dashboard's open mode and its "synthetic demo data" banner follow these
answers, so every way a store could be mistaken for the demo is tried here: a
real file named like a demo file, deleted demo imports beside real ones, a real
import slipped in beside the demo, two imports racing each other.
"""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

import geo.store.importer
from geo.core.errors import NestwatchError, StoreError
from geo.store import Store
from geo.store.importer import delete_import, import_path
from geo.store.provenance import (
    MixedDataError,
    Provenance,
    provenance,
    store_has_held_real,
    store_holds_real,
    store_is_synthetic,
)
from tests.conftest import ONE_WARD as WARD
from tests.conftest import police_csv, police_row, store_url


def _police(write, name: str = "a.csv", **row: str):
    return write(name, police_csv(police_row(**row)))


def _answers(store: Store) -> tuple[bool, bool, bool]:
    return store_is_synthetic(store), store_holds_real(store), store_has_held_real(store)


def _delete(store: Store, import_id: int) -> None:
    delete_import(store, import_id, user="ana", role="analyst", reason="test")


def test_an_empty_store_is_neither():
    assert Provenance(0, 0, 0).is_synthetic is False


def test_a_store_with_nothing_imported_is_neither_synthetic_nor_real(store):
    assert provenance(store) == Provenance(synthetic=0, real=0, real_ever=0)
    assert _answers(store) == (False, False, False)


def test_the_flag_is_written_on_the_import_line_and_decides(store, write):
    import_path(store, "incidents", _police(write), synthetic=True)
    assert store.imports()["synthetic"].tolist() == [True]
    assert provenance(store) == Provenance(synthetic=1, real=0, real_ever=0)
    assert _answers(store) == (True, False, False)


@pytest.mark.parametrize(
    "name", ["demo_wards.geojson", "data/demo-synthetic/wards.geojson", "demo-synthetic/demo_wards.geojson"]
)
def test_a_real_file_named_like_the_demo_is_real(store, write, name):
    """The old test read file names: an upload called demo_wards.geojson opened a real store."""
    import_path(store, "wards", write(name, json.dumps(WARD)), label=name)
    assert store.imports()["file"].tolist() == [name]
    assert _answers(store) == (False, True, True)


def test_a_file_of_another_name_marked_synthetic_is_synthetic(store, write):
    import_path(store, "wards", write("wards.geojson", json.dumps(WARD)), synthetic=True)
    assert _answers(store) == (True, False, False)


def test_only_live_imports_count_for_what_is_shown(store, write):
    import_path(store, "incidents", _police(write), synthetic=True)
    _delete(store, 1)
    assert _answers(store) == (False, False, False)  # the demo came and went: nothing is loaded
    import_path(store, "incidents", _police(write, "real.csv", month="2024-02"))
    assert _answers(store) == (False, True, True)


def test_an_erased_real_import_still_counts_as_having_held_real_data(store, write):
    """Its file name stays in the import log and its erasure in the audit log: real, if no longer data."""
    import_path(store, "incidents", _police(write))
    _delete(store, 1)
    assert provenance(store) == Provenance(synthetic=0, real=0, real_ever=1)
    assert _answers(store) == (False, False, True)


def test_a_real_import_that_stored_nothing_is_still_real(store, write):
    """Its rows are in the quarantine (real rejects), and its line in the import log."""
    result = import_path(store, "incidents", _police(write, lat="", lng=""))
    assert (result.stored, result.rejected) == (0, 1)
    assert _answers(store) == (False, True, True)


def test_a_re_import_recognised_by_its_bytes_is_marked_as_the_import_it_repeats(store, write, monkeypatch):
    """The demo loaded twice: the second time the file is not read, and its line is the demo's too."""
    path = _police(write)
    import_path(store, "incidents", path, synthetic=True)
    monkeypatch.setattr(geo.store.importer, "read_csv_kind", lambda *_a, **_k: pytest.fail("the file was read"))
    again = import_path(store, "incidents", path, synthetic=True)
    assert (again.stored, again.already_present) == (0, 1)
    assert store.imports()["synthetic"].tolist() == [True, True]
    assert provenance(store) == Provenance(synthetic=2, real=0, real_ever=0)


# --------------------------------------------------------------------------- mixing is refused


def test_real_data_into_the_demo_is_refused_before_the_file_is_read(store, write, tmp_path):
    import_path(store, "incidents", _police(write), synthetic=True)
    with pytest.raises(MixedDataError) as caught:
        import_path(store, "incidents", tmp_path / "no such file.csv")  # an InputError if it were read
    message = str(caught.value)
    assert "synthetic demo town" in message and "`python -m geo demo --remove`" in message
    assert "fresh store" in message and "Traceback" not in message and "SELECT" not in message
    assert isinstance(caught.value, StoreError) and isinstance(caught.value, NestwatchError)
    assert len(store.imports()) == 1 and store.count("incidents") == 1


@pytest.mark.parametrize("kind", ["incidents", "wards"])
def test_each_real_kind_is_refused_beside_the_demo_and_nothing_is_kept(store, write, kind):
    import_path(store, "incidents", _police(write), synthetic=True)
    before = store.counts()
    path = _police(write, "b.csv", month="2024-05") if kind == "incidents" else write("w.geojson", json.dumps(WARD))
    with pytest.raises(MixedDataError, match="demo --remove"):
        import_path(store, kind, path)
    assert store.counts() == before and len(store.imports()) == 1 and _answers(store) == (True, False, False)


def test_the_demo_into_a_store_with_real_data_is_refused(store, write):
    import_path(store, "incidents", _police(write))
    with pytest.raises(MixedDataError, match="holds real data") as caught:
        import_path(store, "incidents", _police(write, "d.csv", month="2024-03"), synthetic=True)
    assert "fresh store" in str(caught.value)
    assert len(store.imports()) == 1 and _answers(store) == (False, True, True)


def test_the_demo_into_a_store_that_held_real_data_is_refused(store, write):
    import_path(store, "incidents", _police(write))
    _delete(store, 1)
    with pytest.raises(MixedDataError, match="has held real data"):
        import_path(store, "incidents", _police(write, "d.csv", month="2024-03"), synthetic=True)


def test_after_the_demo_is_deleted_real_data_may_come_in(store, write):
    import_path(store, "incidents", _police(write), synthetic=True)
    _delete(store, 1)
    assert import_path(store, "incidents", _police(write)).stored == 1  # the same rows, now as real data
    assert _answers(store) == (False, True, True)


def test_the_store_checks_again_inside_its_own_transaction(store, write, monkeypatch):
    """Were the importer's early check passed (another import committed just after it), the store still refuses."""
    import_path(store, "incidents", _police(write), synthetic=True)
    monkeypatch.setattr(geo.store.importer, "refuse_mixing", lambda *_a, **_k: None)
    with pytest.raises(MixedDataError):
        import_path(store, "incidents", _police(write, "b.csv", month="2024-06"))
    assert len(store.imports()) == 1 and store.count("incidents") == 1


def test_a_file_of_the_demo_imported_again_as_real_is_refused_by_the_store_too(store, write, monkeypatch):
    """With the importer's own checks off, the demo's line never stands for a real import: the store refuses."""
    path = _police(write)
    import_path(store, "incidents", path, synthetic=True)
    monkeypatch.setattr(geo.store.importer, "refuse_mixing", lambda *_a, **_k: None)
    with pytest.raises(MixedDataError):
        import_path(store, "incidents", path)
    assert store.imports()["synthetic"].tolist() == [True]


def test_a_real_import_and_the_demo_racing_into_an_empty_store_never_both_land(tmp_path, write, monkeypatch):
    """Both pass the early check together; the write lock lets one in, and the other then finds it there."""
    url = store_url(tmp_path / "race.sqlite")
    stores = [Store(url), Store(url)]  # two processes' worth of connections
    both_checked = threading.Barrier(2, timeout=60)
    early = geo.store.importer.provenance

    def checked_together(store: Store) -> Provenance:
        held = early(store)
        both_checked.wait()  # neither writes before both have read an empty store
        return held

    monkeypatch.setattr(geo.store.importer, "provenance", checked_together)
    outcome: dict[str, BaseException | None] = {}

    def run(name: str, store: Store, synthetic: bool) -> None:
        try:
            import_path(store, "incidents", _police(write, f"{name}.csv", month="2024-07"), synthetic=synthetic)
            outcome[name] = None
        except BaseException as exc:  # handed to the test thread below
            outcome[name] = exc

    threads = [
        threading.Thread(target=run, args=("demo", stores[0], True)),
        threading.Thread(target=run, args=("real", stores[1], False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(outcome) == {"demo", "real"}
    refused = [name for name, exc in outcome.items() if exc is not None]
    assert len(refused) == 1 and isinstance(outcome[refused[0]], MixedDataError), outcome
    log = stores[0].imports()
    assert len(log) == 1 and bool(log["synthetic"].iloc[0]) == (refused == ["real"])
    for s in stores:
        s.dispose()


def test_a_forged_mix_shows_no_banner(store, write):
    """A store mixed by hand (or by a build before the check): any live real import means real."""
    import_path(store, "incidents", _police(write))
    import_path(store, "incidents", _police(write, "b.csv", month="2024-02"))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE imports SET synthetic = :t WHERE id = 1"), {"t": True})
    assert provenance(store) == Provenance(synthetic=1, real=1, real_ever=1)
    assert _answers(store) == (False, True, True)


@pytest.mark.parametrize("synthetic", [True, False])
def test_the_mark_survives_export_all_and_import_all(tmp_path, write, synthetic):
    """A restored demo stays the demo (open, with its banner), and a restored real store stays real."""
    from geo.store import export_all, import_all

    source = Store(store_url(tmp_path / "source.sqlite"))
    import_path(source, "incidents", _police(write), synthetic=synthetic)
    export_all(source, tmp_path / "backup")
    restored = Store(store_url(tmp_path / "restored.sqlite"))
    import_all(restored, tmp_path / "backup")
    assert provenance(restored) == provenance(source)
    assert restored.imports()["synthetic"].tolist() == [synthetic]
    source.dispose()
    restored.dispose()
