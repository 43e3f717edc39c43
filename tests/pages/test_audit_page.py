"""The Audit log page says whether the hash chain holds, and names the first entry that does not."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from geo.store import Store, audit
from tests.conftest import patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"


def _admin_page(db: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("NESTWATCH_DB", db)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=patience(30))
    at.run()
    at.selectbox(key="auth_view_as").set_value("admin").run()  # open mode: view as the administrator
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    return at


def test_an_untouched_log_is_verified_and_an_edited_entry_is_named(tmp_path, monkeypatch):
    db = store_url(tmp_path / "audit.sqlite")
    store = Store(db)
    for i in range(3):
        audit.record(store, user=f"user{i}", role="inspector", action="view_layer", target="layer:flagged")
    at = _admin_page(db, monkeypatch)
    entries = len(store.audit())  # the three above, and the page's own view_audit entries before its check
    assert entries >= 4
    [ok] = [s.value for s in at.success if s.value.startswith("Audit chain verified")]
    assert f"{entries:,} entries" in ok
    assert not at.error

    with store.engine.begin() as conn:  # someone with the database's password edits history
        table = store.tables["audit"]
        first = conn.execute(sa.select(sa.func.min(table.c.id))).scalar_one()
        conn.execute(sa.update(table).where(table.c.id == first).values(user="nobody"))
    at.run()
    assert not [s for s in at.success if s.value.startswith("Audit chain verified")]
    errors = [e.value for e in at.error]
    assert any(e.startswith(f"Audit chain broken at entry {first}") for e in errors), errors
    store.dispose()
