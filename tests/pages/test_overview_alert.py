"""The Overview's "New address of concern" alert: this week's flags by their nearest hot spot, point-data roles only.

One app session on a copy of the demo town with one more address flagged a day before the town's last day (the
demo's "today", :data:`geo.demo.DEMO_END`), beside the demo's own new flag.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from geo.demo import DEMO_END
from geo.store import Store
from geo.store.importer import import_path
from tests.conftest import drop_store, patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="module")
def overview(tmp_path_factory, demo_town):
    folder = tmp_path_factory.mktemp("alert")
    url = store_url(folder / "alert.sqlite", template=demo_town)
    store = Store(url)
    first = store.read("flagged").iloc[0]  # beside one of the demo's flagged addresses, so near its hot spots
    day = (DEMO_END.date() - dt.timedelta(days=1)).isoformat()
    path = folder / "new.csv"
    path.write_text(
        "ref,address,lat,lng,first_flagged,status\n"
        f"NEW-1,<img src=x onerror=alert(1)> 5 Alert Row,{first['lat']},{first['lng']},{day},open\n",
        encoding="utf-8",
    )
    assert import_path(store, "flagged", path, synthetic=True).stored == 1
    store.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NESTWATCH_DATABASE_URL", url)
        app = AppTest.from_file(str(APP), default_timeout=patience(60))
        app.run()
        app.selectbox(key="auth_view_as").set_value("inspector").run()
        assert not app.exception
        yield app, url, (float(first["lat"]), float(first["lng"]))
    drop_store(url)


def _alerts(app) -> list[str]:
    return [w.value for w in app.warning if "of concern" in w.value]


def test_an_inspector_sees_the_new_flag_with_its_nearest_hot_spot_and_cabinet_does_not(overview):
    from dashboard.alerts import hot_cells, hot_view
    from geo.space.hexes import cells_to_latlng, strings_to_cells

    app, url, (lat, lng) = overview
    [alert] = _alerts(app)
    assert alert.startswith("**New addresses of concern** (first flagged in the last 7 days)")  # two: plural
    assert "\\<img src=x onerror=alert(1)\\>" in alert  # escaped for Markdown: shown as text, never as HTML
    assert "flagged 29 Oct 2026" in alert  # the demo's own new flag, two days before its last day
    alert = next(line for line in alert.splitlines() if "Alert Row" in line)  # the hot spot of the one imported here
    # the nearest hot cell by brute force over every hot cell's centre
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NESTWATCH_DATABASE_URL", url)
        view = hot_view()
        assert view is not None
        hot = hot_cells(view)
    clat, clng = cells_to_latlng(strings_to_cells(hot["cell"].to_numpy()))
    tr = Transformer.from_crs(4326, 27700, always_xy=True)
    x0, y0 = tr.transform(lng, lat)
    dists = [math.hypot(x - x0, y - y0) for x, y in zip(*tr.transform(clng, clat), strict=True)]
    best = min(range(len(dists)), key=dists.__getitem__)
    assert f"nearest hot spot {hot['place'].iloc[best]}" in alert.replace("\\", "")
    assert f"{dists[best]:,.0f} m away" in alert
    app.selectbox(key="auth_view_as").set_value("cabinet").run()
    assert not app.exception and _alerts(app) == []
