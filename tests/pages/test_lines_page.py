"""The County lines page: only with the intel permission, every look audited without a name, the demo's two lines.

The demo town's lines are planted (:mod:`geo.demo._lines`): the Dee line moves east, Kay stays put.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.store import Store
from tests.conftest import drop_store, patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def demo_copy(demo_town, tmp_path):
    url = store_url(tmp_path / "lines.sqlite", template=demo_town)
    yield url
    drop_store(url)


def _menu(app) -> list[str]:
    return [e.value for e in app.sidebar if getattr(e, "type", "") == "page_link"]


def test_the_inspector_view_of_the_demo_lists_both_lines_and_audits_each_look(demo_copy, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DATABASE_URL", demo_copy)
    app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    app.selectbox(key="auth_view_as").set_value("inspector").run()
    assert "County lines" in _menu(app)
    app.switch_page("pages/lines.py").run()
    assert not app.exception
    [summary] = [t.value for t in app.table if "Group or line" in t.value.columns]
    assert summary["Group or line"].tolist() == ["Dee Line", "Kay"]  # "the 'DEE' line" and "Dee line" are one
    dee = summary.iloc[0]
    assert (dee["Addresses"], dee["Live now"], dee["New in 30 days"]) == (11, 8, 1)
    assert dee["Footprint"].startswith("moving: its centre has moved") and "east" in dee["Footprint"]
    assert summary.iloc[1]["Footprint"].startswith("stable")
    app.selectbox(key="ln_line").set_value("Kay").run()
    [records] = [t.value for t in app.table if "Record" in t.value.columns]
    assert records["Record"].tolist() == ["flagged address"] * 3 and set(records["Last seen"]) == {"still live"}
    store = Store(demo_copy)
    try:
        log = store.audit(action="view_intel")
        assert sorted(log["target"]) == ["lines:detail:1", "lines:detail:2", "lines:summary"]
        assert not log.astype(str).apply(lambda c: c.str.contains("Dee|Kay")).any().any()  # no line named
    finally:
        store.dispose()


def test_other_roles_never_get_the_page(demo_copy, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DATABASE_URL", demo_copy)
    app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    for role in ("cabinet", "team", "presentation", "admin"):
        app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
        app.selectbox(key="auth_view_as").set_value(role).run()
        assert "County lines" not in _menu(app)
        try:
            app.switch_page("pages/lines.py").run()
        except ValueError:  # not registered for this role at all
            continue
        assert not app.exception
        assert not any("Group or line" in t.value.columns for t in app.table), role  # refused or sent elsewhere


def test_a_signed_in_inspector_needs_the_intel_permission(demo_copy, tmp_path, monkeypatch):
    from geo.access.users import add_user, set_intel

    users = tmp_path / "users.toml"
    add_user(users, "ines", "inspector passphrase long", role="inspector")
    monkeypatch.setenv("NESTWATCH_USERS", str(users))
    monkeypatch.setenv("NESTWATCH_DATABASE_URL", demo_copy)

    def signed_in() -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
        app.text_input(key="auth_user").set_value("ines")
        app.text_input(key="auth_password").set_value("inspector passphrase long")
        app.button[0].click().run()
        assert not app.exception and not app.error
        return app

    app = signed_in()
    assert "Review queue" in _menu(app) and "County lines" not in _menu(app)
    with pytest.raises(ValueError):
        app.switch_page("pages/lines.py")
    set_intel(users, "ines", True)
    app = signed_in()
    assert "County lines" in _menu(app)
    app.switch_page("pages/lines.py").run()
    assert not app.exception and any("Group or line" in t.value.columns for t in app.table)
