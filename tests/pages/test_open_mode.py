"""Open mode (no sign-in) only while the store has never held real data; the banner only over synthetic data.

Each AppTest is one browser session: a reload, a new tab or another browser is
a new AppTest. Every store that is, or ever was, real is tried in a fresh
session and must be refused with no page, no "View as" and no demo banner,
however its files are named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from geo.demo import remove_demo
from geo.store import Store
from geo.store.importer import delete_import, import_path
from tests.conftest import ONE_WARD as WARD
from tests.conftest import patience, police_csv, police_row, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
BANNER = "Synthetic demo data"
REFUSED = "no users are set up"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Point the app at a store; no users file unless a test writes one."""

    def point(db: str, *, users: Path | None = None) -> None:
        monkeypatch.setenv("NESTWATCH_DB", db)
        monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
        monkeypatch.setenv("NESTWATCH_USERS", str(users or tmp_path / "no-users.toml"))

    return point


def session() -> AppTest:
    """A new browser session (what a reload, a new tab or a fresh browser context is), run once."""
    at = AppTest.from_file(str(APP), default_timeout=patience(60))
    at.run()
    assert not at.exception
    return at


def is_open(at: AppTest) -> bool:
    return bool(at.get("page_link")) and bool([s for s in at.selectbox if s.key == "auth_view_as"])


def is_refused(at: AppTest) -> bool:
    refused = any(REFUSED in e.value for e in at.error)
    return refused and not at.get("page_link") and not [s for s in at.selectbox if s.key == "auth_view_as"]


def banner(at: AppTest) -> bool:
    return any(BANNER in w.value for w in at.warning)


@pytest.fixture
def demo_copy(demo_town, tmp_path) -> str:
    return store_url(tmp_path / "demo.sqlite", template=demo_town)


def _real(store: Store, tmp_path: Path, name: str = "asb.csv", **row: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(police_csv(police_row(**row)))
    import_path(store, "incidents", path, label=name)


# --------------------------------------------------------------------------- stores that stay open


def test_the_demo_town_opens_without_sign_in_under_the_banner(demo_town, env):
    env(demo_town)
    at = session()
    assert is_open(at) and banner(at)


def test_an_empty_store_opens_without_the_banner(tmp_path, env):
    env(store_url(tmp_path / "empty.sqlite"))
    at = session()
    assert is_open(at) and not banner(at)


def test_after_demo_remove_the_store_opens_without_the_banner_and_offers_the_uploader(demo_copy, env):
    store = Store(demo_copy)
    remove_demo(store, user="ana", role="cli")
    store.dispose()
    env(demo_copy)
    at = session()
    assert is_open(at) and not banner(at)
    at.switch_page("pages/data.py").run()
    assert not at.exception and len(at.file_uploader) == 1


# --------------------------------------------------------------------------- real stores are refused


def _plain_file(store: Store, tmp_path: Path) -> None:
    _real(store, tmp_path)


def _named_like_the_demo_wards(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "demo_wards.geojson"
    path.write_text(json.dumps(WARD))
    import_path(store, "wards", path, label="data/boundaries/demo_wards.geojson")


def _in_a_demo_folder(store: Store, tmp_path: Path) -> None:
    _real(store, tmp_path, "data/demo-synthetic/incidents.csv")


def _erased(store: Store, tmp_path: Path) -> None:
    _real(store, tmp_path)
    delete_import(store, 1, user="ana", role="analyst", reason="shared in error")


def _rejected_only(store: Store, tmp_path: Path) -> None:
    _real(store, tmp_path, lat="", lng="")  # nothing stored, one real row in the quarantine


def _mixed_by_hand(store: Store, tmp_path: Path) -> None:
    _real(store, tmp_path)
    _real(store, tmp_path, "b.csv", month="2024-02")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE imports SET synthetic = :t WHERE id = 1"), {"t": True})


@pytest.mark.parametrize(
    "make",
    [_plain_file, _named_like_the_demo_wards, _in_a_demo_folder, _erased, _rejected_only, _mixed_by_hand],
)
def test_a_store_that_holds_or_held_real_data_refuses_a_new_session(tmp_path, env, make):
    db = store_url(tmp_path / "real.sqlite")
    store = Store(db)
    make(store, tmp_path)
    env(db)
    at = session()
    assert is_refused(at) and not banner(at)
    at.run()  # the same session again: still refused, and the refusal was logged once
    assert is_refused(at)
    refusals = store.audit(action="sign_in_refused")
    assert refusals[["user", "target"]].values.tolist() == [["(no sign-in)", "open"]]
    store.dispose()


def test_the_demo_after_its_imports_were_deleted_beside_real_ones_is_refused(demo_copy, tmp_path, env):
    """The old rule read every import line's name, deleted ones too: deleting the demo changes nothing now."""
    store = Store(demo_copy)
    remove_demo(store, user="ana", role="cli")
    _real(store, tmp_path)
    store.dispose()
    env(demo_copy)
    at = session()
    assert is_refused(at) and not banner(at)


def test_a_demo_store_with_a_users_file_asks_for_a_sign_in(demo_town, tmp_path, env):
    from geo.access.users import add_user

    users = tmp_path / "users.toml"
    add_user(users, "alice", "correct-horse-battery", role="analyst")
    env(demo_town, users=users)
    at = session()
    assert [t.key for t in at.text_input] == ["auth_user", "auth_password"]
    assert not at.get("page_link") and not banner(at)


# --------------------------------------------------------------------------- open sessions when real data arrives


def test_the_session_that_loads_the_first_real_file_keeps_going_until_it_reloads(tmp_path, env):
    db = store_url(tmp_path / "first.sqlite")
    env(db)
    at = session()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("incidents").run()
    at.file_uploader(key="data_file").set_value(("asb.csv", police_csv(police_row()).encode(), "text/csv")).run()
    at.button(key="data_import").click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Stored"] == "1"  # it sees the report of what it loaded
    assert any("stays open until it is reloaded" in w.value for w in at.warning) and not banner(at)
    at.run()
    assert is_open(at)
    assert is_refused(session())  # the reload: a new session


def test_an_open_session_is_refused_once_someone_else_loads_real_data(tmp_path, env):
    db = store_url(tmp_path / "cli.sqlite")
    env(db)
    at = session()
    assert is_open(at)
    store = Store(db)
    _real(store, tmp_path)  # from the command line, say
    store.dispose()
    at.run()
    assert is_refused(at)
    at.run()  # and it stays refused: the open session is gone from its state
    assert is_refused(at)


def test_an_open_demo_session_is_refused_when_the_demo_makes_way_for_real_data(demo_copy, tmp_path, env):
    env(demo_copy)
    at = session()
    assert is_open(at) and banner(at)
    store = Store(demo_copy)
    remove_demo(store, user="ana", role="cli")
    at.run()
    assert is_open(at) and not banner(at)  # nothing is loaded now
    _real(store, tmp_path)
    store.dispose()
    at.run()
    assert is_refused(at) and not banner(at)


# --------------------------------------------------------------------------- Load data in the demo town


def test_load_data_in_the_demo_says_to_remove_it_first_and_offers_no_uploader(demo_copy, env):
    env(demo_copy)
    at = session()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    for kind in ("incidents", "flagged", "wards", "estates"):
        at.selectbox(key="data_kind").set_value(kind).run()
        assert not at.exception, kind
        [warning] = [w.value for w in at.warning if "demo --remove" in w.value]
        assert warning.startswith("This store holds the synthetic demo town") and "fresh store" in warning
        assert len(at.file_uploader) == 0 and not [b for b in at.button if b.key in ("data_import", "draw_save")]
    store = Store(demo_copy)
    assert len(store.imports()) == 13 and store.imports()["synthetic"].all()
    store.dispose()
