"""The Outcomes page: the same published figures as the report pack, period and area from the URL, per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.plan.outcomes import outcomes_for
from geo.publish.published import publish
from geo.publish.report import effect_lines, report_to_html
from geo.store import Store
from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="module")
def demo_db(demo_town):
    return demo_town


def _open(demo_db, monkeypatch, role: str, **params: str) -> AppTest:
    monkeypatch.setenv("NESTWATCH_DB", demo_db)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    app = AppTest.from_file(str(APP), default_timeout=patience(60))
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.selectbox(key="auth_view_as").set_value(role).run()
    if role != "presentation":  # its only page, opened at once
        app.switch_page("pages/outcomes.py").run()
    assert not app.exception, app.exception
    return app


def test_the_page_shows_the_published_figures_the_report_prints(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-05", "to": "2026-04", "area": "X05000003"})
    store = Store(demo_db)
    pack = publish(outcomes_for(store, start="2025-05", end="2026-04", area="X05000003"))
    store.dispose()
    shown = {m.label: m.value for m in app.metric}
    assert shown == {f.label: f.now_text for f in pack.figures}
    assert app.title[0].value.endswith(pack.area_name) and "Millbrook" in pack.area_name
    page = report_to_html(pack)
    for figure in pack.figures:
        assert figure.now_text in page
    assert pack.effect.sentence in [i.value for i in app.info]
    assert all(line in [c.value for c in app.caption] for line in effect_lines(pack)[1:])
    assert app.query_params["from"] == ["2025-05"] or app.query_params["from"] == "2025-05"


def test_the_closure_evaluation_reads_as_the_report_prints_it(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-11", "to": "2026-10"})
    store = Store(demo_db)
    pack = publish(outcomes_for(store, start="2025-11", end="2026-10"))
    store.dispose()
    assert pack.effect.used == 2  # the two orders granted in the year with six months either side
    lines = effect_lines(pack)
    assert lines[0] in [i.value for i in app.info]
    # displacement in words, the peak note, the notes: each line once, in the order the report prints them
    assert any(line.startswith("Displacement: ") for line in lines[1:]) and pack.effect.texts["peak"] in lines
    warnings = [w.value for w in app.warning if w.value in lines]  # the demo banner is a warning too
    on_screen = [c.value for c in app.caption if c.value in lines] + warnings
    assert sorted(on_screen) == sorted(lines[1:])
    assert (pack.effect.texts["peak"] in warnings) == bool(pack.effect.shown.peak)


def test_orders_sited_at_a_peak_are_a_warning_on_the_page(demo_db):
    import dataclasses

    from dashboard.outcomes import effect_notes
    from geo.publish.published import publish_effect
    from geo.stats.evaluate import Effect

    store = Store(demo_db)
    pack = publish(outcomes_for(store, start="2025-11", end="2026-10"))
    store.dispose()
    # 40 reports in the six months before the before-window, 100 in it: (100 - 40) / sqrt(140) = 5.1 > 1.96
    peaked = dataclasses.replace(
        pack, effect=publish_effect(Effect(2, 0, 100, 50, 40, 30, 200, 180, earlier=40, earlier_before=100), months=6)
    )
    notes = effect_notes(peaked)
    assert [n.text for n in notes if n.peak] == [peaked.effect.texts["peak"]]
    assert "sited at a peak" in peaked.effect.texts["peak"]
    assert not any(n.peak for n in effect_notes(pack))  # the demo's year: 125 before the window, 105 in it


def test_every_count_on_the_screen_is_suppressed_or_rounded(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "presentation")
    values = [m.value for m in app.metric]
    assert len(values) == 7
    for value in values:
        number = value.replace(",", "")
        assert value == "fewer than 5" or (number.isdigit() and int(number) % 5 == 0), value
    table = app.dataframe[0].value
    for value in [*table["ASB reports"], *table["previous period"]]:
        assert value == "fewer than 5" or int(value.replace(",", "")) % 5 == 0, value
    captions = " ".join(c.value for c in app.caption)
    assert "Synthetic demo data" in captions and "fewer than 5" in captions


def test_presentation_screen_has_no_downloads_and_no_other_page(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "presentation")
    assert not app.get("download_button") and not app.text_input
    assert [e.value for e in app.get("page_link")] == ["Outcomes"]
    cabinet = _open(demo_db, monkeypatch, "cabinet")
    assert len(cabinet.get("download_button")) == 2  # the report pack, PDF and HTML


def test_the_report_pack_waits_for_a_reason_and_each_download_is_logged(demo_db, monkeypatch):
    from streamlit.elements.widgets import button

    import geo.publish.report

    handed: dict[str, tuple[object, bool]] = {}  # file name -> what the button gave Streamlit, disabled?
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **options):
        handed[str(file_name)] = (data, bool(options.get("disabled")))
        return original(coordinates, data, proto, mimetype, file_name, **options)

    monkeypatch.setattr(button, "marshall_file", record)
    built: list[str] = []
    for name in ("report_to_pdf", "report_to_html"):
        real = getattr(geo.publish.report, name)
        monkeypatch.setattr(geo.publish.report, name, lambda *a, _n=name, _r=real, **k: built.append(_n) or _r(*a, **k))

    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-05", "to": "2026-04"})
    assert all(b.disabled for b in app.get("download_button"))
    app.text_input(key="o_reason").set_value("partnership meeting AppTest").run()
    assert not any(b.disabled for b in app.get("download_button"))
    assert built == []  # drawn twice, with the buttons live: nothing built
    [pdf] = [n for n in handed if n.endswith(".pdf")]
    [page] = [n for n in handed if n.endswith(".html")]
    assert handed[pdf][0]().startswith(b"%PDF")
    assert handed[page][0]().startswith(b"<!DOCTYPE html>")
    assert built == ["report_to_pdf", "report_to_html"]
    store = Store(demo_db)
    log = store.audit(action="export")
    store.dispose()
    entries = log[log["reason"] == "partnership meeting AppTest"]
    assert sorted(entries["target"]) == sorted([f"export:{page}", f"export:{pdf}"])
    assert set(entries["role"]) == {"cabinet"} and all('"personal": false' in d for d in entries["detail"])


def test_a_bookmarked_period_that_does_not_exist_falls_back_to_the_last_twelve_months(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "1999-01", "to": "nonsense", "area": "<script>"})
    assert app.title[0].value.endswith("Whole town")
    assert "2025-11 to 2026-10" in app.caption[0].value
