"""The Door-knock page: pick a target, see its homes nearest first, and take the files only after a logged reason.

One app session for the module, on a small synthetic store (one flagged address, one closure order, six homes).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.store import Store
from geo.store.importer import import_path
from tests.conftest import drop_store, patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
LAT, LNG = 51.45, -2.59
# 0.0003 deg of latitude is about 33 m, 0.0006 about 67 m, 0.0012 about 133 m
FLAGGED = f"ref,address,lat,lng,first_flagged,status\n000010000037,12 Elm Road,{LAT},{LNG},2026-11-20,open\n"
CLOSURES = f"ref,address,lat,lng,granted,expiry\nC-9,1 Far Lane,{LAT + 0.02},{LNG},2026-11-03,2027-02-03\n"
PROPERTIES = (
    "ref,address,uprn,lat,lng\n"
    f"P1,12 Elm Road,10000037,{LAT},{LNG}\n"  # the flagged home: its UPRN without the leading zeros
    f"P2,14 Elm Road,10000038,{LAT + 0.0003},{LNG}\n"
    f"P3,<b>16</b> Elm Road,10000039,{LAT + 0.0006},{LNG}\n"
    f"P4,30 Elm Road,10000040,{LAT + 0.0012},{LNG}\n"
    f"P5,2 Far Lane,10000041,{LAT + 0.0203},{LNG}\n"
)


@pytest.fixture(scope="module")
def page(tmp_path_factory, new_store):
    folder = tmp_path_factory.mktemp("doorknock")
    url = store_url(folder / "dk.sqlite", template=new_store)
    store = Store(url)
    for kind, text in (("flagged", FLAGGED), ("closures", CLOSURES), ("properties", PROPERTIES)):
        path = folder / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        assert import_path(store, kind, path, synthetic=True).stored >= 1  # synthetic: the open demo mode
    store.dispose()
    with pytest.MonkeyPatch.context() as mp:
        import dashboard.context

        mp.setitem(dashboard.context.PAGE_SPECS, "doorknock", ("pages/doorknock.py", "Door-knock", ":material/home:"))
        mp.setenv("NESTWATCH_DATABASE_URL", url)
        app = AppTest.from_file(str(APP), default_timeout=patience(30))
        app.run()
        app.selectbox(key="auth_view_as").set_value("inspector").run()
        app.switch_page("pages/doorknock.py").run()
        assert not app.exception
        yield app, url
    drop_store(url)


def _table(app):
    [frame] = [df.value for df in app.dataframe if "why" in df.value.columns]
    return frame


def test_the_flagged_address_lists_its_neighbours_nearest_first_without_itself(page):
    app, _url = page
    picker = app.selectbox(key="dk_target")
    assert picker.options[0].startswith("address of concern flagged 20 Nov 2026 · 12 Elm Road")
    frame = _table(app)
    assert frame["address"].tolist() == ["14 Elm Road", "<b>16</b> Elm Road"]  # as text; 30 Elm Road is 133 m
    assert frame["#"].tolist() == [1, 2] and frame["why"].tolist() == ["within 100 m"] * 2
    assert 30 <= frame["distance (m)"].iloc[0] <= 36 and 64 <= frame["distance (m)"].iloc[1] <= 70
    app.select_slider(key="dk_radius").set_value(150).run()
    assert _table(app)["address"].tolist() == ["14 Elm Road", "<b>16</b> Elm Road", "30 Elm Road"]
    app.selectbox(key="dk_target").set_value(1).run()  # the closure order far away: its one neighbour
    assert _table(app)["address"].tolist() == ["2 Far Lane"]
    app.selectbox(key="dk_target").set_value(0)
    app.select_slider(key="dk_radius").set_value(100).run()
    assert not app.exception


def test_the_files_wait_for_a_reason_and_each_is_logged_before_it_is_built(page, monkeypatch):
    from streamlit.elements.widgets import button

    import dashboard.doorknock

    app, url = page
    handed: dict[str, object] = {}
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **options):
        handed[str(file_name)] = data
        return original(coordinates, data, proto, mimetype, file_name, **options)

    monkeypatch.setattr(button, "marshall_file", record)
    built: list[str] = []
    for name in ("doorknock_html", "doorknock_csv"):
        real = getattr(dashboard.doorknock, name)
        monkeypatch.setattr(
            dashboard.doorknock, name, lambda *a, _n=name, _r=real, **k: built.append(_n) or _r(*a, **k)
        )
    app.run()
    assert [b.disabled for b in app.get("download_button")] == [True, True]
    app.text_input(key="dk_reason").set_value("joint visit AppTest").run()
    assert [b.disabled for b in app.get("download_button")] == [False, False] and built == []
    html, csv = handed["doorknock-000010000037.html"], handed["doorknock-000010000037.csv"]
    assert callable(html) and callable(csv)
    store = Store(url)
    try:
        assert store.audit(action="export").empty  # drawn with live buttons: nothing logged, nothing built
        page_bytes = html()
        [entry] = store.audit(action="export").to_dict("records")
        assert (entry["reason"], entry["target"], entry["rows"]) == (
            "joint visit AppTest",
            "export:doorknock-000010000037.html",
            2,
        )
        assert b"OFFICIAL-SENSITIVE" in page_bytes and b"&lt;b&gt;16&lt;/b&gt; Elm Road" in page_bytes
        assert b"12 Elm Road</td>" not in page_bytes
        assert csv().decode("utf-8-sig").splitlines()[0].startswith("addressee,address_1")
        assert len(store.audit(action="export")) == 2 and built == ["doorknock_html", "doorknock_csv"]
    finally:
        store.dispose()
