"""Every page runs in Streamlit's AppTest without an exception, and says which kind of figures it shows."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.store import Store
from tests.conftest import count_calls, patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="module")
def demo_db(demo_town):
    return demo_town


@pytest.fixture(scope="module")
def release(demo_db):
    """The demo store's release, made here on its own (the same data gives the same release)."""
    from geo.publish.release import release_for

    store = Store(demo_db)
    try:
        return release_for(store)
    finally:
        store.dispose()


#: What each page says about its figures: the published release, or exact counts.
PUBLISHED, EXACT = "Published figures", "Exact figures"


def _captions(app) -> str:
    return " ".join(c.value for c in app.caption)


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_db))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return AppTest.from_file(str(APP), default_timeout=patience(30))


def test_overview_shows_the_demo_banner_and_counts(app):
    app.run()
    assert not app.exception
    assert "Synthetic demo data" in app.warning[0].value
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Flagged addresses"] == "41"  # exact: the analyst's overview (the demo makes 41)
    assert metrics["Wards / estates"] == "8 / 5"
    assert EXACT in _captions(app) and PUBLISHED not in _captions(app)


def test_rejects_page_lists_the_quarantine(app):
    app.run()
    app.switch_page("pages/data_quality.py").run()
    assert not app.exception
    assert any("Rejected rows (40)" in s.value for s in app.subheader)


def test_empty_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", store_url(tmp_path / "empty.sqlite"))
    at = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    assert not at.exception
    assert "No incidents loaded yet" in at.info[0].value


def _ward_incidents(at) -> int:
    table = at.dataframe[0].value
    numbers = table["incidents"].str.removeprefix("≈ ").str.replace(",", "")  # a rounded count is marked "≈ "
    return int(pd.to_numeric(numbers, errors="coerce").fillna(0).sum())


def test_patrol_and_trends_run_and_filters_change_what_is_computed(app):
    app.run()
    app.switch_page("pages/patrol.py").run()
    assert not app.exception
    assert any("Where to go" in s.value for s in app.subheader)
    ranked = app.dataframe[0].value
    assert len(ranked) == 10 and ranked["why"].str.contains("hot spot (99 %)", regex=False).any()
    app.switch_page("pages/trends.py").run()
    assert not app.exception
    year = _ward_incidents(app)
    app.select_slider(key="f_months").set_value(("2026-08", "2026-10")).run()
    assert not app.exception
    quarter = _ward_incidents(app)
    assert 0 < quarter < year  # a narrower month range counts fewer incidents


def test_cabinet_view_shows_no_addresses(app):
    app.run()
    app.switch_page("pages/trends.py").run()
    shown = " ".join(str(df.value.to_dict()) for df in app.dataframe)
    assert "Nestwick (synthetic)," not in shown  # demo addresses end with the town name


def _as(_app, role: str):
    """A fresh session (NESTWATCH_DB is already set by the fixture) viewing as ``role``."""
    app = AppTest.from_file(str(APP), default_timeout=patience(30))
    app.run()
    app.selectbox(key="auth_view_as").set_value(role).run()
    assert not app.exception
    return app


def _menu(app) -> list[str]:
    return [e.value for e in app.sidebar if getattr(e, "type", "") == "page_link"]


def test_each_role_gets_only_its_pages(app):
    assert _menu(_as(app, "inspector")) == [
        *("Overview", "Patrol planner", "Patrols", "Check in", "Door-knock lists", "Review queue"),
        *("County lines", "Trends", "Outcomes"),  # open (demo) mode: the inspector view has the intel permission
    ]
    assert _menu(_as(app, "analyst"))[-2:] == ["Load data", "Imports and rejects"]
    assert _menu(_as(app, "cabinet")) == ["Overview", "Trends", "Outcomes"]
    assert _menu(_as(app, "presentation")) == ["Outcomes"]
    assert sorted(_menu(_as(app, "admin"))) == ["Audit log", "Users"]


def test_a_page_the_role_may_not_open_stops_before_reading_data(app):
    app = _as(app, "cabinet")
    app.switch_page("pages/patrol.py").run()
    assert not app.exception
    assert any("cannot open this page" in e.value for e in app.error) or not any(
        "Where to go" in s.value for s in app.subheader
    )
    assert not any("Where to go" in s.value for s in app.subheader)


def _loaded(release) -> dict[str, int]:
    """Incidents, flagged addresses and closure orders stored, as sums of the release's ``all`` cells (made here)."""
    c = release.cells
    every = c[c["layer"] == "all"]
    return {
        "Incidents": int(every.loc[every["measure"] == "incidents", "value"].sum()),
        "Flagged addresses": int(every.loc[every["measure"] == "flagged_opened", "value"].sum()),
        "Closure orders": int(every.loc[every["measure"] == "orders_secured", "value"].sum()),
    }


def _chart(app) -> pd.DataFrame:
    """The data of the page's one chart (Overview's incidents per month), as the browser gets it."""
    import pyarrow as pa

    [chart] = app.get("vega_lite_chart")
    [data] = chart.proto.datasets
    frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
    return frame.set_axis(["month", "kind", "value"], axis=1)


def test_cabinet_overview_and_sidebar_show_the_release_and_trends_no_hexagons(app, demo_db, release):
    from geo.publish.privacy import suppress, suppress_labels

    app = _as(app, "cabinet")
    loaded = _loaded(release)
    labels = dict(zip(loaded, suppress_labels(list(loaded.values())), strict=True))
    metrics = {m.label: m.value for m in app.metric}
    assert {k: metrics[k] for k in labels} == labels
    sidebar = [c.value for c in app.sidebar.caption]
    assert f"{labels['Incidents']} incidents · 8 wards · 5 estates" in sidebar  # no flagged or closures: no point data
    assert PUBLISHED in _captions(app) and EXACT not in _captions(app)
    # the chart: each month's ASB and other crime, the release's cells shown (gaps where small)
    c = release.cells
    every = c[(c["layer"] == "all") & (c["measure"] == "incidents")]
    asb = every["category"] == "Anti-social behaviour"
    for kind, rows in (("Anti-social behaviour", every[asb]), ("Other crime", every[~asb])):
        want = rows.groupby("month")["value"].sum()
        got = _chart(app).query("kind == @kind").set_index("month")["value"].reindex(want.index)
        np.testing.assert_array_equal(got.to_numpy(), suppress(want.to_numpy()), err_msg=kind)
    # the release is not the truth (else this test could not tell exact figures from published ones)
    store = Store(demo_db)
    exact = {"Incidents": store.count("incidents"), "Flagged addresses": store.count("flagged")}
    exact["Closure orders"] = store.count("closures")
    store.dispose()
    assert exact != loaded
    app.switch_page("pages/trends.py").run()
    assert not app.exception
    assert not any("Emerging hot spots" in s.value for s in app.subheader)


@pytest.fixture
def downloads(monkeypatch) -> dict[str, tuple[object, bool]]:
    """What each download button handed Streamlit, by file name: ``(data, disabled)``.

    AppTest has no media store and cannot press a download button; calling
    the recorded callable is what Streamlit does on the click.
    """
    from streamlit.elements.widgets import button

    seen: dict[str, tuple[object, bool]] = {}
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **options):
        seen[str(file_name)] = (data, bool(options.get("disabled")))
        return original(coordinates, data, proto, mimetype, file_name, **options)

    monkeypatch.setattr(button, "marshall_file", record)
    return seen


def _exports(db: str, reason: str) -> list[dict]:
    store = Store(db)
    log = store.audit(action="export")
    store.dispose()
    return log[log["reason"] == reason].to_dict("records")


def test_plan_exports_need_a_reason_build_on_the_click_and_log_each_one(app, demo_db, downloads, monkeypatch):
    import dashboard.plan

    built = count_calls(monkeypatch, dashboard.plan, "plan_to_csv", "plan_to_geojson", "plan_to_html")
    app = _as(app, "inspector")
    app.switch_page("pages/patrol.py").run()
    files = ("patrol-plan.csv", "patrol-plan.geojson", "patrol-plan.html")
    assert all(app.download_button(key=k).disabled for k in ("p_csv", "p_geojson", "p_html"))
    assert all(downloads[f][1] for f in files) and all(callable(downloads[f][0]) for f in files)
    app.text_input(key="p_reason").set_value("Monday briefing AppTest").run()
    assert not any(app.download_button(key=k).disabled for k in ("p_csv", "p_geojson", "p_html"))
    assert not any(downloads[f][1] for f in files)
    assert built == dict.fromkeys(built, 0)  # two page runs with the buttons drawn, nothing built
    assert _exports(demo_db, "Monday briefing AppTest") == []
    csv_bytes = downloads["patrol-plan.csv"][0]()  # the click on "Patrol plan (CSV)"
    assert csv_bytes.decode("utf-8-sig").startswith("visit_order,rank,cell")
    page = downloads["patrol-plan.html"][0]()
    assert page.startswith(b"<!doctype html>") and page.count(b"<tr>") == 11  # heading + 10 places
    assert built == {"plan_to_csv": 1, "plan_to_geojson": 0, "plan_to_html": 1}
    entries = _exports(demo_db, "Monday briefing AppTest")
    assert sorted(e["target"] for e in entries) == ["export:patrol-plan.csv", "export:patrol-plan.html"]
    assert {(e["user"], e["role"], e["rows"]) for e in entries} == {("demo", "inspector", 10)}
    log = Store(demo_db).audit(action="view_layer")
    assert {"layer:flagged", "layer:closures"} <= set(log["target"])


def test_local_sign_in_grants_the_role_and_refusals_are_audited(demo_db, tmp_path, monkeypatch):
    from geo.access.users import add_user

    users = tmp_path / "users.toml"
    add_user(users, "alice", "correct-horse-battery", role="cabinet")
    monkeypatch.setenv("NESTWATCH_USERS", str(users))
    monkeypatch.setenv("NESTWATCH_DB", str(demo_db))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    assert not at.exception and not at.get("page_link")  # nothing but the sign-in form
    at.text_input(key="auth_user").set_value("alice")
    at.text_input(key="auth_password").set_value("wrong password!")
    at.button[0].click().run()
    assert any("wrong password" in e.value for e in at.error)
    at.text_input(key="auth_password").set_value("correct-horse-battery")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.get("page_link")] == ["Overview", "Trends", "Outcomes"]
    log = Store(demo_db).audit(user="alice")
    assert log["action"].tolist()[:2] == ["sign_in", "sign_in_refused"]  # newest first
    assert log["role"].iloc[0] == "cabinet"


def test_users_cli_adds_lists_and_refuses_weak_passwords(tmp_path, monkeypatch, capsys):
    from geo.cli import main

    monkeypatch.setenv("NESTWATCH_USERS", str(tmp_path / "u.toml"))
    monkeypatch.setenv("NESTWATCH_PASSWORD", "correct-horse-battery")
    assert main(["users", "add", "bob", "--role", "inspector"]) == 0
    assert main(["users", "list"]) == 0
    assert "bob\tinspector" in capsys.readouterr().out
    monkeypatch.setenv("NESTWATCH_PASSWORD", "short")
    assert main(["users", "add", "carol", "--role", "cabinet"]) == 2
    assert "too short" in capsys.readouterr().err
    assert "correct-horse" not in (tmp_path / "u.toml").read_text()


def test_rejects_download_needs_a_reason_and_each_click_is_audited(app, demo_db, downloads, monkeypatch):
    import geo.publish.export

    built = count_calls(monkeypatch, geo.publish.export, "frame_to_csv_bytes")
    app.run()
    app.switch_page("pages/data_quality.py").run()
    assert app.download_button(key="download_rejects").disabled
    assert downloads["nestwatch-rejects.csv"][1]
    app.text_input(key="rejects_reason").set_value("fixing the feed AppTest").run()
    assert not app.download_button(key="download_rejects").disabled
    assert built["frame_to_csv_bytes"] == 0 and _exports(demo_db, "fixing the feed AppTest") == []
    click = downloads["nestwatch-rejects.csv"][0]
    rows = pd.read_csv(io.BytesIO(click()), encoding="utf-8-sig")
    assert len(rows) == 40 and {"kind", "file", "row", "column", "reason"} <= set(rows.columns)
    click()  # a second download of the same file is a second disclosure
    entries = _exports(demo_db, "fixing the feed AppTest")
    assert [(e["target"], e["rows"], e["user"], e["role"]) for e in entries] == [
        ("export:rejects.csv", 40, "demo", "analyst")
    ] * 2
    assert all('"personal": true' in e["detail"] for e in entries)


def test_the_audit_log_copy_and_the_ward_table_wait_for_a_reason_and_are_logged(app, demo_db, downloads):
    admin = _as(app, "admin")
    admin.switch_page("pages/audit.py").run()
    assert not admin.exception and admin.download_button(key="audit_download").disabled
    admin.text_input(key="audit_reason").set_value("subject access AppTest").run()
    assert not admin.download_button(key="audit_download").disabled
    copy = pd.read_csv(io.BytesIO(downloads["nestwatch-audit.csv"][0]()), encoding="utf-8-sig")
    assert {"at", "user", "action", "target", "reason"} <= set(copy.columns) and len(copy) > 0
    [entry] = _exports(demo_db, "subject access AppTest")
    assert (entry["target"], entry["role"]) == ("export:audit.csv", "admin") and '"personal": true' in entry["detail"]

    cabinet = _as(app, "cabinet")
    cabinet.switch_page("pages/trends.py").run()
    assert not cabinet.exception and cabinet.download_button(key="t_download").disabled
    cabinet.text_input(key="t_reason").set_value("ward briefing AppTest").run()
    [name] = [n for n in downloads if n.startswith("nestwatch-wards-")]
    table = pd.read_csv(io.BytesIO(downloads[name][0]()), encoding="utf-8-sig", dtype=str)
    shown = cabinet.dataframe[0].value
    assert list(table.columns) == ["ward", "incidents", "per 1,000 residents", "previous period", "change"]
    assert table["ward"].tolist() == shown["ward"].tolist()  # the screen's rows, in its order
    assert table["incidents"].tolist() == shown["incidents"].tolist()  # the labels the screen shows
    assert all(v == "fewer than 5" or int(v.removeprefix("≈ ").replace(",", "")) % 5 == 0 for v in table["incidents"])
    [entry] = _exports(demo_db, "ward briefing AppTest")
    assert (entry["target"], entry["role"], entry["rows"]) == ("export:trends-wards.csv", "cabinet", len(shown))

    inspector = _as(app, "inspector")
    inspector.switch_page("pages/trends.py").run()
    assert not inspector.get("download_button")  # the ward summary export is the cabinet's (roles.py)


def test_an_admin_changes_a_role_with_a_reason_and_it_is_audited(demo_db, tmp_path, monkeypatch):
    from geo.access.users import add_user, list_users

    users = tmp_path / "users.toml"
    add_user(users, "root", "administrator-pass", role="admin")
    add_user(users, "bob", "inspector-passphrase", role="inspector")
    monkeypatch.setenv("NESTWATCH_USERS", str(users))
    monkeypatch.setenv("NESTWATCH_DB", str(demo_db))
    at = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    at.text_input(key="auth_user").set_value("root")
    at.text_input(key="auth_password").set_value("administrator-pass")
    at.button[0].click().run()
    assert sorted(e.value for e in at.get("page_link")) == ["Audit log", "Users"]
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_who").set_value("bob")
    at.selectbox(key="users_role").set_value("cabinet").run()
    assert at.button(key="users_change").disabled  # no reason, no change
    at.text_input(key="users_reason").set_value("moved to the council liaison post").run()
    at.button(key="users_change").click().run()
    assert not at.exception and dict(list_users(users))["bob"] == "cabinet"
    entry = Store(demo_db).audit(action="role_change").iloc[0]
    assert (entry["user"], entry["target"], entry["reason"]) == (
        "root",
        "user:bob",
        "moved to the council liaison post",
    )


def test_an_analyst_deletes_an_import_with_a_reason_and_it_is_audited(demo_db, tmp_path, monkeypatch):
    copy = store_url(tmp_path / "copy.sqlite", template=demo_db)
    monkeypatch.setenv("NESTWATCH_DB", str(copy))
    app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    app.switch_page("pages/data_quality.py").run()
    assert not app.exception
    store = Store(copy)
    flagged_import = int(store.imports().query("kind == 'flagged'")["id"].iloc[0])
    app.selectbox(key="delete_import").set_value(flagged_import).run()
    assert app.button(key="delete_go").disabled  # no reason, no confirmation
    app.text_input(key="delete_reason").set_value("shared in error").run()
    assert app.button(key="delete_go").disabled
    app.checkbox(key="delete_confirm").check().run()
    app.button(key="delete_go").click().run()
    assert not app.exception
    assert any("deleted: 41 flagged" in s.value for s in app.success), [s.value for s in app.success]
    assert store.count("flagged") == 0
    log = store.audit(action="delete")
    assert len(log) == 1 and (log["user"].iloc[0], log["reason"].iloc[0]) == ("demo", "shared in error")
    options = app.selectbox(key="delete_import").options
    assert options and not any(o.startswith(f"#{flagged_import} ") for o in options)  # deleted: no longer offered
    store.dispose()


def _shown_counts(app) -> list[str]:
    """Every count a page shows in a metric or a table column of counts, as the browser gets it."""
    values = [m.value for m in app.metric if m.label != "Wards / estates"]  # boundaries, not people or events
    for df in app.dataframe:
        table = df.value
        for column in table.columns:
            if column in ("incidents", "previous period", "flagged", "closures", "victims", "count"):
                values += [str(v) for v in table[column]]
    return values


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    """One local user per role (argon2 hashing is slow on purpose: done once)."""
    from geo.access.roles import ROLES
    from geo.access.users import add_user

    path = tmp_path_factory.mktemp("users") / "users.toml"
    for name in ROLES:
        add_user(path, f"{name}-user", f"{name}-passphrase-long", role=name)
    return path


@pytest.mark.parametrize("role", ["inspector", "analyst", "team", "cabinet", "presentation", "admin"])
def test_every_page_runs_for_its_roles_and_refuses_the_others(demo_db, users_file, monkeypatch, role):
    from geo.access.roles import INTEL_PAGES, PAGES, ROLES
    from geo.publish.privacy import threshold

    monkeypatch.setenv("NESTWATCH_USERS", str(users_file))
    monkeypatch.setenv("NESTWATCH_DB", str(demo_db))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    app = AppTest.from_file(str(APP), default_timeout=patience(30)).run()
    app.text_input(key="auth_user").set_value(f"{role}-user")
    app.text_input(key="auth_password").set_value(f"{role}-passphrase-long")
    app.button[0].click().run()
    assert not app.exception and not app.error
    allowed = ROLES[role].pages
    checked = told = 0
    for page in PAGES:
        try:
            app.switch_page(f"pages/{page}.py")
        except ValueError:  # not even registered with st.navigation for this role (or, without intel, this user)
            assert page not in allowed or page in INTEL_PAGES, (role, page)
            continue
        app.run()
        assert not app.exception, (role, page, app.exception)
        refused = any("cannot open this page" in e.value for e in app.error)
        assert refused == (page not in allowed), (role, page)
        if page in KIND_OF_FIGURES and page in allowed:  # the page says which kind of figures it shows
            says = KIND_OF_FIGURES[page](ROLES[role].suppress)
            other = EXACT if says == PUBLISHED else PUBLISHED
            assert says in _captions(app) and other not in _captions(app), (role, page)
            told += 1
        if ROLES[role].suppress and page in allowed:
            n = threshold()
            for value in _shown_counts(app):
                number = value.removeprefix("≈ ").replace(",", "")  # rounded counts are marked, 0 is not
                assert value == f"fewer than {n}" or (number.isdigit() and int(number) % n == 0), (page, value)
                checked += 1
    if ROLES[role].suppress and "trends" in allowed:
        assert checked > 10  # the ward table's counts were seen, so the check can fail
    assert told == len(set(KIND_OF_FIGURES) & set(allowed)), (role, told)


#: Page -> which words it must use about its figures, given whether the role sees published figures only:
#: Trends and Outcomes are published for everyone, Overview follows the role, the patrol plan is exact.
KIND_OF_FIGURES = {
    "overview": lambda published_only: PUBLISHED if published_only else EXACT,
    "trends": lambda published_only: PUBLISHED,
    "outcomes": lambda published_only: PUBLISHED,
    "patrol": lambda published_only: EXACT,
}
