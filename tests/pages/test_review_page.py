"""The Review page: the queue in plain words, three decisions each with a reason, the agenda logged before it exists.

One app session for the module, on a small synthetic store: three homes, a repairs export and a complaints log.
The tests run in order (flag, then dismiss, then book), each on what the one before left.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.publish.review import REVIEW_HEADINGS
from geo.store import Store
from geo.store.importer import import_path
from geo.store.review import read_decisions
from tests.conftest import drop_store, patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
LAT, LNG = 51.45, -2.59
PROPERTIES = (
    "ref,address,uprn,lat,lng\n"
    f"P1,12 Elm Road,000010000037,{LAT},{LNG}\n"
    f"P2,=HYPERLINK(1) Elm Road,10000038,{LAT + 0.001},{LNG}\n"
    f"P3,16 Elm Road,10000039,{LAT + 0.002},{LNG}\n"
)
REPAIRS = (
    "Job No,Job Description,Date Raised,Property Ref\n"
    "J1,Lock change - lost keys,2026-09-01,P1\n"
    "J2,Re-key,2026-10-20,P1\n"
    "J3,Front door repair,2026-10-01,P3\n"
)
COMPLAINTS = (
    "Case Ref,Complaint Type,Date Reported,Property Ref\n"
    "A1,Noise nuisance,2026-09-25,P2\n"
    "A2,Comings and goings,2026-10-10,P2\n"
    "A3,Shouting,2026-10-30,P2\n"
)


@pytest.fixture(scope="module")
def page(tmp_path_factory, new_store):
    folder = tmp_path_factory.mktemp("review")
    url = store_url(folder / "rv.sqlite", template=new_store)
    store = Store(url)
    for kind, name, text in (
        ("properties", "homes", PROPERTIES),
        ("signals", "repairs", REPAIRS),
        ("signals", "complaints", COMPLAINTS),
    ):
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        assert import_path(store, kind, path, synthetic=True).stored == 3  # synthetic: the open demo mode
    store.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NESTWATCH_DATABASE_URL", url)
        app = AppTest.from_file(str(APP), default_timeout=patience(30))
        app.run()
        app.selectbox(key="auth_view_as").set_value("inspector").run()
        app.switch_page("pages/review.py").run()
        assert not app.exception
        yield app, url, folder
    drop_store(url)


def _queue(app):
    [frame] = [t.value for t in app.table if "Why it is here" in t.value.columns]
    return frame


def _buttons(app):
    return {b.key: b for b in app.button if str(b.key).startswith("rv_")}


def test_the_queue_lists_each_address_meeting_a_rule_in_plain_words(page):
    app, _url, _folder = page
    frame = _queue(app)
    assert frame["Address"].tolist() == ["=HYPERLINK(1) Elm Road", "12 Elm Road"]  # newest signal first
    assert frame["Why it is here"].tolist() == [
        "3 or more neighbour complaints in 60 days",
        "2 or more lock changes in 90 days",
    ]
    assert set(frame.columns) - {"#"} <= set(REVIEW_HEADINGS.values())  # headings, never column names
    assert "Latitude" not in frame.columns and frame["Latest signal"].tolist() == ["30 Oct 2026", "20 Oct 2026"]
    assert any("signals up to 30 Oct 2026" in c.value for c in app.caption)
    [rules] = [df.value for df in app.dataframe if "Rule" in df.value.columns]
    assert rules["On the queue"].tolist() == [1, 1, 0]
    assert all(b.disabled for b in _buttons(app).values())  # no reason yet


def test_flag_stores_the_address_with_its_indicators_and_takes_it_off_the_queue(page):
    app, url, _folder = page
    app.selectbox(key="rv_address").set_value("uprn:10000037").run()
    assert any("lock change 20 Oct 2026" in m.value for m in app.markdown)
    app.text_input(key="rv_reason").set_value("agreed at the partnership meeting").run()
    assert not any(b.disabled for b in _buttons(app).values())
    _buttons(app)["rv_flagged"].click().run()
    assert not app.exception
    assert [s.value for s in app.success] == [
        "12 Elm Road is flagged as an address of concern (ref P1). It has left the queue."
    ]
    assert _queue(app)["Address"].tolist() == ["=HYPERLINK(1) Elm Road"]
    store = Store(url)
    try:
        [flag] = store.read("flagged").to_dict("records")
        assert (flag["ref"], flag["address"], flag["indicators"], flag["status"]) == (
            "P1",
            "12 Elm Road",
            "lock_changes",
            "open",
        )
        [entry] = store.audit(action="review").to_dict("records")
        assert entry["reason"] == "agreed at the partnership meeting" and entry["role"] == "inspector"
        assert "Elm" not in str(entry) and "10000037" not in str(entry)
    finally:
        store.dispose()
    assert app.text_input(key="rv_reason").value == ""  # the next decision needs its own reason


def test_dismiss_hides_the_address_until_a_new_signal_arrives(page):
    app, url, folder = page
    app.selectbox(key="rv_address").set_value("uprn:10000038")
    app.text_input(key="rv_reason").set_value("family dispute, known to housing").run()
    _buttons(app)["rv_dismissed"].click().run()
    assert next(s.value for s in app.success).endswith("is dismissed: it comes back if a new signal arrives there.")
    assert not any("Why it is here" in t.value.columns for t in app.table)
    assert any("No address meets a rule" in i.value for i in app.info)
    store = Store(url)
    try:
        path = folder / "more.csv"
        path.write_text("Case Ref,Complaint Type,Date Reported,Property Ref\nA4,Loud music,2026-10-31,P2\n")
        assert import_path(store, "signals", path, synthetic=True).stored == 1
    finally:
        store.dispose()
    app.run()
    assert _queue(app)["Address"].tolist() == ["=HYPERLINK(1) Elm Road"]


def test_a_booked_visit_stays_on_the_queue_with_its_status(page):
    app, url, _folder = page
    app.selectbox(key="rv_address").set_value("uprn:10000038")
    app.text_input(key="rv_reason").set_value("PCSO and housing officer, Thursday").run()
    _buttons(app)["rv_booked"].click().run()
    assert not app.exception
    frame = _queue(app)
    assert frame["Status"].str.startswith("joint visit booked").tolist() == [True]
    store = Store(url)
    try:
        assert read_decisions(store)["action"].tolist() == ["flagged", "dismissed", "booked"]
    finally:
        store.dispose()


def test_the_agenda_waits_for_a_reason_and_is_logged_before_it_is_built(page, monkeypatch):
    from streamlit.elements.widgets import button

    app, url, _folder = page
    handed: dict[str, object] = {}
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **options):
        handed[str(file_name)] = data
        return original(coordinates, data, proto, mimetype, file_name, **options)

    monkeypatch.setattr(button, "marshall_file", record)
    app.run()
    assert [b.disabled for b in app.get("download_button")] == [True]
    app.text_input(key="rv_export_reason").set_value("weekly meeting").run()
    build = handed["review-2026-10-31.csv"]
    store = Store(url)
    try:
        assert store.audit(action="export").empty
        body = build().decode("utf-8-sig")  # type: ignore[operator]
        [entry] = store.audit(action="export").to_dict("records")
        assert (entry["reason"], entry["rows"]) == ("weekly meeting", 1)
        assert body.splitlines()[0].startswith("Address,Property ref,UPRN")
        assert "'=HYPERLINK(1) Elm Road" in body  # a formula is never handed to a spreadsheet
    finally:
        store.dispose()


def test_roles_without_point_data_cannot_open_the_page():
    from geo.access.roles import ROLES, can

    assert [r for r in ROLES if can(ROLES[r], "page:review")] == ["inspector", "analyst"]
    assert all(ROLES[r].point_data for r in ROLES if can(ROLES[r], "page:review"))
