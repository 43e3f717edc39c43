"""One count per area, everywhere: ``geo areas``, Trends, Outcomes (page and published), the PDF and the HTML.

Issue #14 found Trends and Outcomes giving different ASB counts for every
ward of the demo (Trends gave each H3 cell to the ward holding most of it,
Outcomes tested the incident's point). Every surface now reads the same
counts; this test asks each of them for the same months and compares them
ward by ward and estate by estate, exact and published.
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest

from geo.cli import main
from geo.core.schema import ASB
from geo.store import Store

START, END = "2025-11", "2026-04"  # six months, with the six before them stored
LAYERS = {"wards": "ward", "estates": "estate"}


@pytest.fixture(scope="module")
def pack(demo_town):
    from geo.publish.report import build_report

    store = Store(demo_town)
    try:
        yield build_report(store, start=START, end=END)
    finally:
        store.dispose()


def _cli(capsys, demo_town: str, layer: str, *extra: str) -> pd.DataFrame:
    argv = ["areas", "--db", demo_town, "--from", START, "--to", END, "--layer", layer, "--category", ASB]
    assert main([*argv, *extra]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False).set_index("code")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.mark.parametrize("layer", list(LAYERS))
def test_every_surface_gives_each_area_the_same_count(pack, demo_town, capsys, monkeypatch, layer):
    from dashboard.outcomes import areas_frame
    from dashboard.trends import area_table
    from dashboard.view import View
    from geo.plan.outcomes import outcomes_for

    word = LAYERS[layer]
    # exact: the command against the operational Outcomes figures
    exact = _cli(capsys, demo_town, layer)
    store = Store(demo_town)
    try:
        operational = outcomes_for(store, start=START, end=END).areas
    finally:
        store.dispose()
    operational = operational[operational["layer"] == word].set_index("code")
    assert exact["count"].astype(int).to_dict() == operational["asb"].to_dict()
    assert exact["previous"].astype(int).to_dict() == operational["asb_previous"].to_dict()

    # published: the command, the report pack's figures, the Outcomes page's table and Trends
    shown = _cli(capsys, demo_town, layer, "--published")
    published = pack.published.areas[pack.published.areas["layer"] == word].set_index("code")
    assert shown["count"].to_dict() == published["asb_text"].to_dict()
    assert shown["previous"].to_dict() == published["asb_previous_text"].to_dict()
    page = areas_frame(pack.published, word).set_index("area")
    assert page["ASB reports"].to_dict() == published.set_index("name")["asb_text"].to_dict()
    assert page["change"].to_dict() == published.set_index("name")["change_text"].to_dict()
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    trends = area_table(View(month_from=START, month_to=END, categories=(ASB,), layer=layer)).set_index("code")
    assert trends["shown_now"].to_dict() == published["asb_text"].to_dict()
    assert trends["shown_before"].to_dict() == published["asb_previous_text"].to_dict()
    assert trends["change_text"].to_dict() == published["change_text"].to_dict()

    # the PDF and the HTML print the same row for every area
    text = _pdf_text(pack.pdf)
    for row in published.itertuples():
        assert f"{row.name} {word} {row.asb_text} {row.asb_previous_text} {row.change_text}" in text
        values = (word, row.asb_text, row.asb_previous_text, row.change_text)
        cells = f'<th scope="row">{html.escape(row.name)}</th>' + "".join(
            f'<td class="n">{html.escape(v)}</td>' for v in values
        )
        assert cells in pack.html
