"""The patrol figures read the same on the report's PDF and HTML, the slides and the page (one function's lines)."""

from __future__ import annotations

import dataclasses
import html

import numpy as np

from dashboard.slides import slides, slides_html
from geo.publish.patrol_figures import MINUTES_LABEL, patrol_lines
from geo.publish.published import published_outcomes
from geo.publish.report import figure_rows, patrol_section, report_to_html, report_to_pdf
from tests.plan.test_patrol_evaluation_store import town  # noqa: F401  (the fixture: one ward, one patrolled place)
from tests.publish.test_report import pdf_text, squash


def test_one_set_of_patrol_lines_in_pdf_html_and_slides(town):  # noqa: F811
    pack = published_outcomes(town, start="2024-07", end="2024-07")
    assert pack.patrols is not None
    lines = patrol_section(pack)
    assert lines == patrol_lines(pack.patrols) and lines[0].startswith(f"{MINUTES_LABEL}: about 10 minutes")
    assert ("patrol_minutes", MINUTES_LABEL, "≈ 10 minutes", "no patrol log", "no comparison") in figure_rows(pack)
    page, pdf = report_to_html(pack), squash(pdf_text(report_to_pdf(pack)))
    for line in lines:
        assert html.escape(line) in page and squash(line) in pdf
    slide = next(s for s in slides(pack) if s.kind == "patrols")
    assert (slide.big, slide.lines) == ("≈ 10 minutes", tuple(lines[:2]))
    assert html.escape(lines[1]) in slides_html(pack)


def test_no_patrol_log_no_patrol_section(store, write):
    import json

    from geo.store.importer import import_path
    from tests.conftest import ONE_WARD, police_csv, police_row

    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    assert import_path(store, "incidents", write("i.csv", police_csv(police_row(month="2024-07")))).stored == 1
    pack = published_outcomes(store, start="2024-07", end="2024-07")
    assert pack.patrols is None and patrol_section(pack) == []
    assert all(row[0] != "patrol_minutes" for row in figure_rows(pack))
    assert all(s.kind != "patrols" for s in slides(pack))


def test_a_period_before_the_patrol_log_has_no_patrol_figures(town):  # noqa: F811
    """The log starts on 3 July 2024: June has no patrol log, which is not "no patrols"."""
    pack = published_outcomes(town, start="2024-05", end="2024-06")
    assert pack.patrols is None and all(row[0] != "patrol_minutes" for row in figure_rows(pack))


def test_the_evaluation_is_the_towns_on_an_area_page_with_the_same_noise(town, monkeypatch):  # noqa: F811
    """An area's page shows the town's evaluation with the town's noise: one draw per count, whatever is asked."""
    from geo.publish import patrol_figures
    from geo.publish.patrol_figures import publish_patrols

    monkeypatch.setattr(patrol_figures, "min_places", lambda: 1)  # the fixture patrols one place
    [ward] = town.read("wards")["code"].tolist()
    kw = {"start": "2024-07", "end": "2024-07", "previous": ("2024-06", "2024-06")}
    whole, one = publish_patrols(town, area=None, **kw), publish_patrols(town, area=ward, **kw)
    assert whole is not None and one is not None and whole.shown is not None
    np.testing.assert_equal(dataclasses.astuple(one.shown), dataclasses.astuple(whole.shown))  # NaN: suppressed
    prefix = "Across the whole town (the patrols are evaluated together), "
    assert one.evaluation == prefix + whole.evaluation[:1].lower() + whole.evaluation[1:]
