"""export-all / import-all: every table, the quarantine and the audit log round-trip, checked by manifest."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.errors import InputError, OptionError, StoreError
from geo.demo import load_demo
from geo.store import Store, audit
from geo.store._segments import blob_to_keys, parquet_to_table
from geo.store._tables import REJECT_TABLE, SEGMENT_TABLE
from geo.store.backup import export_all, import_all, read_manifest
from geo.store.importer import delete_import, import_path
from tests.conftest import drop_store, store_url


def _dump(store: Store) -> dict[str, pd.DataFrame]:
    """Every table as rows; segment tables decoded (their blob bytes are an encoding detail)."""
    out = {}
    with store.engine.connect() as conn:
        for name, table in store.tables.items():
            if name in (SEGMENT_TABLE, REJECT_TABLE):
                parts = []
                for imp, keys, data in conn.execute(
                    sa.select(table.c.import_id, table.c["keys"], table.c.data).order_by(table.c.id)
                ):
                    body = parquet_to_table([data]).to_pandas()
                    parts.append(
                        pd.concat([pd.DataFrame(blob_to_keys(keys)).add_prefix("key_").assign(imp=imp), body], axis=1)
                    )
                out[name] = pd.concat(parts, ignore_index=True)
            else:
                rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
                out[name] = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in table.columns])
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    url = store_url(tmp_path_factory.mktemp("backup") / "source.sqlite")
    store = Store(url)
    load_demo(store)
    flagged = int(store.imports().query("kind == 'flagged'")["id"].iloc[0])
    delete_import(store, flagged, user="ana", role="analyst", reason="erasure request")
    audit.record(store, user="ina", role="inspector", action="view_cell", target="cell:89", rows=2)
    yield store
    store.dispose()
    drop_store(url)


def test_export_then_import_gives_back_every_table(source, tmp_path):
    summary = export_all(source, tmp_path / "b")
    assert summary.rows["incidents"] == source.count("incidents") == 10_974
    assert summary.rows["rejects"] == len(source.rejects()) == 40
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "b")
    before, after = _dump(source), _dump(target)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name, check_dtype=False)
    # the restored store behaves: keys survived, so the same file is already present; ids continue
    again = import_path(target, "closures", "data/demo-synthetic/closures.csv")
    assert (again.stored, again.already_present) == (0, 15)
    assert target.imports()["id"].max() == source.imports()["id"].max() + 1
    target.dispose()


def test_a_second_export_of_the_restored_store_is_byte_identical(source, tmp_path):
    export_all(source, tmp_path / "one")
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "one")
    export_all(target, tmp_path / "two")
    one, two = read_manifest(tmp_path / "one"), read_manifest(tmp_path / "two")
    csvs = {n: m["sha256"] for n, m in one["files"].items() if n.endswith(".csv")}
    assert csvs == {n: m["sha256"] for n, m in two["files"].items() if n.endswith(".csv")}
    assert one["rows"] == two["rows"]
    target.dispose()


def test_a_changed_file_is_refused_before_anything_is_written(source, tmp_path):
    export_all(source, tmp_path / "b")
    with (tmp_path / "b" / "audit.csv").open("a") as f:
        f.write("999,2026-01-01,x,x,view_audit,x,,,{}\n")  # a forged log line
    target = Store(store_url(tmp_path / "target.sqlite"))
    with pytest.raises(InputError, match=r"audit\.csv: checksum does not match") as caught:
        import_all(target, tmp_path / "b")
    assert caught.value.file == str(tmp_path / "b" / "audit.csv")  # the file at fault, by name
    assert target.is_empty() and target.audit().empty
    target.dispose()


def test_restore_only_into_an_empty_store_and_export_only_into_an_empty_folder(source, tmp_path, store):
    export_all(source, tmp_path / "b")
    with pytest.raises(OptionError, match="not empty: export-all writes a fresh folder") as caught:
        export_all(source, tmp_path / "b")
    assert caught.value.option == "folder" and not isinstance(caught.value, InputError)
    import_all(store, tmp_path / "b")
    with pytest.raises(StoreError, match="empty store only"):
        import_all(store, tmp_path / "b")
    with pytest.raises(InputError, match=r"no manifest\.json") as caught:
        import_all(store, tmp_path)
    assert caught.value.file == str(tmp_path)


def test_the_manifest_lists_every_file_with_rows_and_the_schema(source, tmp_path):
    export_all(source, tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in (tmp_path / "b").iterdir()} - {"manifest.json"}
    assert manifest["revision"] == "0003" and manifest["rows"]["audit"] == len(source.audit())
    assert manifest["rows"]["flagged"] == 0  # erased by the deletion, and stays erased in the backup


def test_the_commands_round_trip(source, tmp_path, capsys):
    from geo.cli import main

    assert main(["export-all", str(tmp_path / "b"), "--db", source.url]) == 0
    assert "10974 incidents" in capsys.readouterr().out.replace(",", "")
    url = store_url(tmp_path / "t.sqlite")
    assert main(["import-all", str(tmp_path / "b"), "--db", url]) == 0
    assert Store(url).count("incidents") == 10_974
