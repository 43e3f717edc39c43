"""The Outcomes page: the same published figures as the report pack, period and area from the URL, per role.

Every count on the screen is the label of a sum of the protected release's cells, checked against
sums of :attr:`Release.cells` rows made here (pandas on the cells frame), for every role.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from geo.plan.outcomes import FIGURES, Period, outcomes_for
from geo.publish.privacy import suppress_labels
from geo.publish.published import PROTECTION_NOTE, published_outcomes
from geo.publish.release import Release, release_for
from geo.publish.report import effect_lines, report_to_html
from geo.store import Store
from tests.conftest import patience

APP = Path(__file__).resolve().parents[2] / "app.py"
ASB = "Anti-social behaviour"
#: What each headline adds up in the release, and whether it is read at the period's last month (a stock).
CELLS = {
    "asb": ("incidents", False),
    "people_safeguarded": ("people_safeguarded", False),
    "orders_secured": ("orders_secured", False),
    "orders_active": ("orders_active", True),
    "flagged_opened": ("flagged_opened", False),
    "flagged_resolved": ("flagged_resolved", False),
    "quiet_addresses": ("quiet_addresses", True),
}


@pytest.fixture(scope="module")
def demo_db(demo_town):
    return demo_town


@pytest.fixture(scope="module")
def release(demo_db) -> Release:
    """The demo store's release, made here on its own (the same data gives the same release)."""
    store = Store(demo_db)
    try:
        return release_for(store)
    finally:
        store.dispose()


def release_sum(release: Release, measure: str, *, layer: str, area: str, months: list[str], asb: bool) -> int:
    c = release.cells
    rows = c[(c["measure"] == measure) & (c["layer"] == layer) & (c["area"] == area) & c["month"].isin(months)]
    return int(rows[rows["category"] == ASB]["value"].sum() if asb else rows["value"].sum())


def figure_sums(release: Release, period: Period, area: str | None) -> dict[str, int]:
    """Each headline's release sum for the period and area (None: the town), added up here."""
    layer, code = ("town", "") if area is None else (release.areas.set_index("code").loc[area, "layer"], area)
    out = {}
    for key, (measure, stock) in CELLS.items():
        months = [period.end] if stock else period.months
        out[key] = release_sum(release, measure, layer=layer, area=code, months=months, asb=key == "asb")
    return out


def screen_labels(release: Release, period: Period, area: str | None) -> dict[str, str]:
    """The metric labels the page must show: ``FIGURES`` label -> the release sum as the presentation rule prints it."""
    sums = figure_sums(release, period, area)
    labels = {FIGURES[k]: suppress_labels([v])[0] for k, v in sums.items()}
    if period.end < str(release.quiet_from):
        labels[FIGURES["quiet_addresses"]] = "not enough data"
    return labels


def area_labels(release: Release, period: Period, layer: str) -> dict[str, tuple[str, str]]:
    """Area name -> (ASB now, ASB in the period before) as labels of release sums."""
    out = {}
    for code, name in release.areas[release.areas["layer"] == layer][["code", "name"]].itertuples(index=False):
        now, before = (
            release_sum(release, "incidents", layer=layer, area=code, months=p.months, asb=True)
            for p in (period, period.previous)
        )
        out[name] = (suppress_labels([now])[0], suppress_labels([before])[0])
    return out


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


def test_the_page_shows_the_published_figures_the_report_prints(demo_db, monkeypatch, release):
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-05", "to": "2026-04", "area": "X05000003"})
    store = Store(demo_db)
    pack = published_outcomes(store, start="2025-05", end="2026-04", area="X05000003", release=release)
    exact = outcomes_for(store, start="2025-05", end="2026-04", area="X05000003")
    store.dispose()
    shown = {m.label: m.value for m in app.metric}
    assert shown == {f.label: f.now_text for f in pack.figures}
    # each is the label of the ward's release sum, added up here; the ward table beside the map likewise
    period = Period("2025-05", "2026-04")
    assert shown == screen_labels(release, period, "X05000003")
    table = app.dataframe[0].value.set_index("area")
    want = area_labels(release, period, "ward")
    assert {k: (r["ASB reports"], r["previous period"]) for k, r in table.iterrows()} == want
    # and the check could fail: some figure's release sum is not its exact count
    sums = figure_sums(release, period, "X05000003")
    assert any(exact.figures[k].now != v for k, v in sums.items() if exact.figures[k].now is not None)
    assert app.title[0].value.endswith(pack.area_name) and "Millbrook" in pack.area_name
    page = report_to_html(pack)
    for figure in pack.figures:
        assert figure.now_text in page
    assert pack.effect.sentence in [i.value for i in app.info]
    assert all(line in [c.value for c in app.caption] for line in effect_lines(pack)[1:])
    assert app.query_params["from"] == ["2025-05"] or app.query_params["from"] == "2025-05"


def test_the_closure_evaluation_reads_as_the_report_prints_it(demo_db, monkeypatch, release):
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-01", "to": "2025-12"})
    store = Store(demo_db)
    pack = published_outcomes(store, start="2025-01", end="2025-12", release=release)
    store.dispose()
    assert pack.effect_year == 2025 and pack.effect.used == 7  # the orders granted in 2025, all measured
    lines = effect_lines(pack)
    assert lines[0] in [i.value for i in app.info]
    assert lines[0].startswith("About 5 closure orders granted in 2025 across the whole town could be measured.")
    captions = [c.value for c in app.caption]
    # "+4 points" explained: what the points are, and which way is better
    assert pack.effect_trend_words in captions and "percentage points" in pack.effect_trend_words
    # displacement in words, the peak note, the notes: each line once, in the order the report prints them
    assert any(line.startswith("Displacement: ") for line in lines[1:]) and pack.effect.texts["peak"] in lines
    warnings = [w.value for w in app.warning if w.value in lines]  # the demo banner is a warning too
    on_screen = [c.value for c in app.caption if c.value in lines] + warnings
    assert sorted(on_screen) == sorted(lines[1:])
    assert (pack.effect.texts["peak"] in warnings) == bool(pack.effect.shown.peak)


def test_a_year_with_too_few_orders_says_so_and_shows_no_count(demo_db, monkeypatch):
    """The last twelve months end in 2026, when 2 orders were granted: the comparison is not published."""
    app = _open(demo_db, monkeypatch, "cabinet", **{"from": "2025-11", "to": "2026-10"})
    [sentence] = [i.value for i in app.info if "closure orders" in i.value.lower()]
    assert sentence.startswith("Fewer than 5 closure orders granted in 2026 could be measured")
    captions = [c.value for c in app.caption]
    assert not any(c.startswith(("Displacement:", "Near the interventions")) for c in captions)
    assert not any(c.startswith("Against the orders granted") for c in captions)  # nothing to compare: not said
    assert not any("sited at a peak" in w.value for w in app.warning)


def test_orders_sited_at_a_peak_are_a_warning_on_the_page(demo_db, release):
    import dataclasses

    from dashboard.outcomes import effect_notes
    from geo.publish.published import publish_effect
    from geo.stats.evaluate import Effect

    store = Store(demo_db)
    pack = published_outcomes(store, start="2025-01", end="2025-12", release=release)
    store.dispose()
    # 40 reports in the six months before the before-window, 100 in it: (100 - 40) / sqrt(140) = 5.1 > 1.96
    peaked = dataclasses.replace(
        pack, effect=publish_effect(Effect(2, 0, 100, 50, 40, 30, 200, 180, earlier=40, earlier_before=100), months=6)
    )
    notes = effect_notes(peaked)
    assert [n.text for n in notes if n.peak] == [peaked.effect.texts["peak"]]
    assert "sited at a peak" in peaked.effect.texts["peak"]
    # 2025's orders: 466 reports in their six months before, 562 in the six before that (exact; a count
    # perturbed by at most 2 either way): no peak
    assert not any(n.peak for n in effect_notes(pack))


def test_every_count_on_the_screen_is_suppressed_or_rounded(demo_db, monkeypatch, release):
    app = _open(demo_db, monkeypatch, "presentation")
    values = [m.value for m in app.metric]
    assert len(values) == 7
    for value in values:
        number = value.removeprefix("≈ ").replace(",", "")  # a rounded count is marked "≈ ", 0 is exact
        assert value == "fewer than 5" or (number.isdigit() and int(number) % 5 == 0), value
        assert value.startswith("≈ ") or value in ("0", "fewer than 5"), value
    table = app.dataframe[0].value
    for value in [*table["ASB reports"], *table["previous period"]]:
        assert value == "fewer than 5" or int(value.removeprefix("≈ ").replace(",", "")) % 5 == 0, value
    # and each is the release's: the town over the last twelve months, its wards
    period = Period("2025-11", "2026-10")
    assert {m.label: m.value for m in app.metric} == screen_labels(release, period, None)
    rows = {k: (r["ASB reports"], r["previous period"]) for k, r in table.set_index("area").iterrows()}
    assert rows == area_labels(release, period, "ward")
    captions = " ".join(c.value for c in app.caption)
    assert "Synthetic demo data" in captions and "fewer than 5" in captions
    assert f"How these figures are protected: {PROTECTION_NOTE}" in captions


@pytest.mark.parametrize("role", ["inspector", "analyst"])
def test_every_role_gets_the_same_published_figures_and_is_told_so(demo_db, monkeypatch, release, role):
    params = {"from": "2025-05", "to": "2026-04", "area": "XEST005", "layer": "estate"}
    app = _open(demo_db, monkeypatch, role, **params)
    period = Period("2025-05", "2026-04")
    assert {m.label: m.value for m in app.metric} == screen_labels(release, period, "XEST005")
    rows = {k: (r["ASB reports"], r["previous period"]) for k, r in app.dataframe[0].value.set_index("area").iterrows()}
    assert rows == area_labels(release, period, "estate")
    captions = [c.value for c in app.caption]
    assert any("Published figures, the same for every role" in c for c in captions)
    assert any(c.startswith(f"How these figures are protected: {PROTECTION_NOTE}") for c in captions)


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


def test_each_figure_says_what_its_change_means_and_is_coloured_by_it(demo_db, monkeypatch, release):
    """The last twelve months: people safeguarded fell, which is neither good nor bad: grey, not red."""
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    app = _open(demo_db, monkeypatch, "presentation")
    store = Store(demo_db)
    pack = published_outcomes(store, start="2025-11", end="2026-10", release=release)
    store.dispose()
    captions = [c.value for c in app.caption]
    colours = {"good": MetricProto.MetricColor.GREEN, "bad": MetricProto.MetricColor.RED}
    colours["neutral"] = MetricProto.MetricColor.GRAY
    for metric, figure in zip(app.metric, pack.figures, strict=True):
        assert metric.label == figure.label and figure.words in captions
        if figure.tone != "none":
            assert metric.proto.color == colours[figure.tone], figure.key
    safe = pack.figure("people_safeguarded")
    # a change in people safeguarded is shown grey with its reading, whichever way it went: the shown counts carry
    # the store's noise (its release secret is drawn when the store is made), so the direction is the noise's
    assert safe.tone == "neutral" and safe.previous > 0
    if np.isfinite(safe.now) and safe.now != safe.previous:
        assert ("more people safeguarded" in safe.words) == (safe.now > safe.previous), safe.words
    assert app.metric[1].proto.delta.endswith("neither good nor bad")


def test_the_slides_toggle_shows_only_the_slides_and_goes_in_the_url(demo_db, monkeypatch, release):
    app = _open(demo_db, monkeypatch, "presentation")
    assert len(app.metric) == 7 and app.toggle(key="o_slides").value is False
    app.toggle(key="o_slides").set_value(True).run()
    assert not app.exception
    assert app.query_params["slides"] in ("1", ["1"])
    assert not app.metric and not app.get("dataframe")  # one screen: the slides, nothing under them
    [frame] = app.get("iframe")
    page = frame.proto.srcdoc
    store = Store(demo_db)
    pack = published_outcomes(store, start="2025-11", end="2026-10", release=release)
    store.dispose()
    for figure in pack.figures:  # every headline figure is on a slide, as the pack prints it
        assert f'<p class="big">{figure.now_text}</p>' in page
    assert "PageDown" in page and "Synthetic demo data" in page.split("<footer>")[1]
    app.toggle(key="o_slides").set_value(False).run()
    assert len(app.metric) == 7 and app.query_params["slides"] in ("0", ["0"])


def test_a_bookmark_with_slides_opens_the_slides(demo_db, monkeypatch):
    app = _open(demo_db, monkeypatch, "cabinet", **{"slides": "1", "from": "2025-05", "to": "2026-04"})
    assert not app.metric and len(app.get("iframe")) == 1 and app.toggle(key="o_slides").value is True
    app.toggle(key="o_slides").set_value(False).run()  # out of the slides: the page, its period kept
    assert not app.exception and len(app.metric) == 7 and not app.get("iframe")
    assert app.select_slider(key="o_months").value == ("2025-05", "2026-04")
