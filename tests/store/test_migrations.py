"""Schema migrations: a store made by an older version upgrades in place without losing a row."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from geo.core.errors import StoreError
from geo.demo import load_demo
from geo.store import Store, migrations
from geo.store._tables import METADATA
from geo.store.importer import delete_import, import_path
from geo.store.provenance import MixedDataError, store_has_held_real, store_holds_real, store_is_synthetic
from tests.conftest import police_csv, police_row, store_url


def _snapshot(store: Store) -> dict[str, pd.DataFrame]:
    out = {kind: store.read(kind) for kind in ("incidents", "closures", "victims", "flagged")}
    for kind in ("wards", "estates"):
        b = store.read_boundaries(kind)
        out[kind] = pd.DataFrame({"code": b["code"], "name": b["name"], "wkb": b.geometry.to_wkb()})
    out["rejects"] = store.rejects()
    out["audit"] = store.audit()
    out["imports"] = store.imports().drop(columns=["deleted_at", "synthetic"])  # columns added by 0002 and 0004
    return out


def _not_postgis(obj, name, kind, *_) -> bool:
    """PostGIS's own table and the generated geometry columns (revision 0003) are not in the code's metadata."""
    return not (name in {"spatial_ref_sys", "geom"} or str(name).endswith("_geom"))


def test_head_constant_matches_the_revisions():
    assert migrations.script_head() == migrations.HEAD


def test_a_new_store_is_at_head_and_matches_the_code(store):
    with store.engine.connect() as conn:
        assert migrations.current(conn) == migrations.HEAD
        ctx = MigrationContext.configure(conn, opts={"include_object": _not_postgis})
        with warnings.catch_warnings():  # SQLAlchemy does not know PostGIS's geometry type, which is ignored
            warnings.simplefilter("ignore")
            assert compare_metadata(ctx, METADATA) == []  # the revisions build exactly what the code declares


def test_a_store_at_the_first_revision_upgrades_without_loss(tmp_path):
    url = store_url(tmp_path / "old.sqlite")
    store = Store(url)
    load_demo(store)
    before = _snapshot(store)
    store.dispose()
    migrations.downgrade(sa.create_engine(url), "0001")  # the schema as the first release left it
    with sa.create_engine(url).connect() as conn:
        assert "deleted_at" not in {c["name"] for c in sa.inspect(conn).get_columns("imports")}
    reopened = Store(url)  # opening upgrades
    with reopened.engine.connect() as conn:
        assert migrations.current(conn) == migrations.HEAD
    after = _snapshot(reopened)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)
    delete_import(reopened, 1, user="ana", role="analyst", reason="the new column works")
    reopened.dispose()


def test_an_old_demo_store_counts_as_real_after_the_upgrade(tmp_path):
    """Revision 0004 guesses nothing from file names: imports made before it are real (fails closed)."""
    url = store_url(tmp_path / "olddemo.sqlite")
    store = Store(url)
    load_demo(store)
    assert store_is_synthetic(store)
    store.dispose()
    migrations.downgrade(sa.create_engine(url), "0003")  # the demo as a store made before the flag existed
    reopened = Store(url)
    log = reopened.imports()
    assert (
        len(log) == 13 and log["file"].str.contains("demo").all()
    )  # wards ... victims, population  # its files are still named like the demo's
    assert not log["synthetic"].any()
    assert not store_is_synthetic(reopened) and store_holds_real(reopened) and store_has_held_real(reopened)
    with pytest.raises(MixedDataError, match="fresh store"):  # nor can the demo be loaded again on top
        load_demo(reopened)
    reopened.dispose()


def test_revision_0004_downgrades_and_upgrades_again(tmp_path, write):
    url = store_url(tmp_path / "r4.sqlite")
    store = Store(url)
    import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    store.dispose()
    engine = sa.create_engine(url)
    migrations.downgrade(engine, "0003")
    with engine.connect() as conn:
        assert "synthetic" not in {c["name"] for c in sa.inspect(conn).get_columns("imports")}
    assert migrations.upgrade(engine) == ("0003", migrations.HEAD)
    engine.dispose()
    reopened = Store(url)
    assert reopened.imports()["synthetic"].tolist() == [False]
    reopened.dispose()


def test_a_store_made_before_migrations_existed_is_taken_as_the_baseline(tmp_path, write):
    url = store_url(tmp_path / "pre.sqlite")
    engine = sa.create_engine(url)
    migrations.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))  # as the builds before Alembic left it
    engine.dispose()
    store = Store(url)
    assert import_path(store, "incidents", write("a.csv", police_csv(police_row()))).stored == 1
    with store.engine.connect() as conn:
        assert migrations.current(conn) == migrations.HEAD
    store.dispose()


def test_a_store_from_a_newer_version_is_refused_clearly(tmp_path):
    url = store_url(tmp_path / "new.sqlite")
    Store(url).dispose()
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="9999"):
        Store(url)


def test_the_migrate_command_reports_the_revision(tmp_path, capsys):
    from geo.cli import main

    assert main(["migrate", "--db", str(tmp_path / "m.sqlite")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"to revision {migrations.HEAD}")
    assert main(["migrate", "--db", str(tmp_path / "m.sqlite")]) == 0
    assert "already at revision" in capsys.readouterr().out


def test_status_names_the_backend_and_the_schema_revision(store, capsys):
    import json

    from geo.cli import main

    assert main(["status", "--db", store.url]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["schema"] == migrations.HEAD and status["backend"] == store.engine.dialect.name


# --------------------------------------------------------------------------- 0005: the audit log's hash chain


def _audit_chain(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        columns = 'id, prev_hash, entry_hash, action, at, detail, reason, role, rows, target, "user"'
        rows = conn.execute(sa.text(f"SELECT {columns} FROM audit ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _audited_store(url: str, write) -> None:
    """Entries of every kind of writer, then 20,000 more in one INSERT (more than one batch of the backfill)."""
    from geo.store import audit

    store = Store(url)
    result = import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    audit.record_import(store, result, user="cli", role="cli")
    audit.record(store, user="bo", role="viewer", action="sign_in", target="app")  # rows NULL
    audit.record(store, user="root", role="admin", action="role_change", target="user:bo", reason="café rota ü")
    delete_import(store, result.files[0]["import_id"], user="ana", role="analyst", reason="shared in error")
    many = [
        {
            "at": f"2024-01-01T00:00:{i % 60:02d}.000000+00:00",
            "user": "u",
            "role": "r",
            "action": "view_cell",
            "target": f"cell:{i}",
            "rows": i,
        }
        for i in range(20_000)
    ]
    with store.engine.begin() as conn:
        conn.execute(store.tables["audit"].insert(), many)
    store.dispose()


@pytest.mark.parametrize("old", ["0003", "0004"])
def test_the_upgrade_chains_an_old_audit_log_as_the_writers_would_have(tmp_path, write, old):
    import hashlib
    import json

    from geo.store import audit

    url = store_url(tmp_path / "chain.sqlite")
    _audited_store(url, write)
    written = _audit_chain(url)  # as the writers chained it
    migrations.downgrade(sa.create_engine(url), old)
    with sa.create_engine(url).connect() as conn:
        assert not {"prev_hash", "entry_hash"} & {c["name"] for c in sa.inspect(conn).get_columns("audit")}
    reopened = Store(url)  # opening upgrades, and the upgrade backfills
    backfilled = _audit_chain(url)
    assert backfilled == written and len(backfilled) == 20_004
    prev = "0" * 64  # the chain worked out again here, from the documented recipe
    for entry_id, stored_prev, stored, *content in backfilled[:5]:
        fields = dict(zip(("action", "at", "detail", "reason", "role", "rows", "target", "user"), content, strict=True))
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert (stored_prev, stored) == (prev, hashlib.sha256((prev + text).encode("ascii")).hexdigest()), entry_id
        prev = stored
    check = audit.verify_chain(reopened)
    assert check.ok and check.entries == 20_004 and check.head == written[-1][2]
    reopened.dispose()


def test_an_edit_made_before_the_upgrade_is_chained_but_a_head_written_down_earlier_catches_it(tmp_path, write):
    """What 0005's docstring says: the chain vouches for old entries from the upgrade on, no earlier."""
    from geo.store import audit

    url = store_url(tmp_path / "edited.sqlite")
    _audited_store(url, write)
    head = _audit_chain(url)[-1][2]
    engine = sa.create_engine(url)
    migrations.downgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit SET reason = 'routine' WHERE action = 'delete'"))
    engine.dispose()
    reopened = Store(url)
    assert audit.verify_chain(reopened).ok
    assert not audit.verify_chain(reopened, expect_head=head).ok
    reopened.dispose()


# --------------------------------------------------------------------------- 0006: the release secret


def test_revision_0006_adds_the_secret_table_empty_and_the_secret_is_made_on_first_use(tmp_path, write):
    url = store_url(tmp_path / "r6.sqlite")
    store = Store(url)
    import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    store.dispose()
    engine = sa.create_engine(url)
    migrations.downgrade(engine, "0005")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("release_secret")
    assert migrations.upgrade(engine) == ("0005", migrations.HEAD)  # an existing store is not skipped
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM release_secret")).scalar_one() == 0  # nothing backfilled
    engine.dispose()
    reopened = Store(url)
    secret = reopened.release_secret()
    assert len(secret) == 32 and reopened.release_secret() == secret
    assert len(reopened.read("incidents", keys=True)) == 1
    reopened.dispose()
