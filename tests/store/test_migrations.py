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
from tests.conftest import police_csv, police_row, store_url


def _snapshot(store: Store) -> dict[str, pd.DataFrame]:
    out = {kind: store.read(kind) for kind in ("incidents", "closures", "victims", "flagged")}
    for kind in ("wards", "estates"):
        b = store.read_boundaries(kind)
        out[kind] = pd.DataFrame({"code": b["code"], "name": b["name"], "wkb": b.geometry.to_wkb()})
    out["rejects"] = store.rejects()
    out["audit"] = store.audit()
    out["imports"] = store.imports().drop(columns=["deleted_at"])
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
