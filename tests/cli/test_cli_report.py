"""The report command's files: the format follows the suffix, anything else is refused first; its figures are
the protected release's, as every other published figure."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from geo.cli import main
from geo.cli._report import outputs_to_formats
from geo.core.errors import OptionError
from geo.publish.privacy import suppress_labels
from geo.publish.release import release_for
from geo.stats.aggregate import month_range
from geo.store import Store

#: What each headline row adds up in the release, and whether it is read at the period's last month.
CELLS = {
    "asb": ("incidents", False),
    "people_safeguarded": ("people_safeguarded", False),
    "orders_secured": ("orders_secured", False),
    "orders_active": ("orders_active", True),
    "flagged_opened": ("flagged_opened", False),
    "flagged_resolved": ("flagged_resolved", False),
}


def test_suffix_gives_the_format_in_the_order_given():
    assert outputs_to_formats("pack.PDF", "page.htm") == [(Path("pack.PDF"), "pdf"), (Path("page.htm"), "html")]
    assert outputs_to_formats("pack.html", None) == [(Path("pack.html"), "html")]


@pytest.mark.parametrize(("out", "html", "option"), [("pack.docx", None, "--out"), ("pack.pdf", "page.txt", "--html")])
def test_another_suffix_is_an_option_error_naming_the_option(out, html, option):
    with pytest.raises(OptionError, match=r"the report is written as \.pdf or \.html") as caught:
        outputs_to_formats(out, html)
    assert caught.value.option == option


def _figure_rows(page: str) -> dict[str, list[str]]:
    """``data-figure`` -> the row's cells as text (the report marks each headline row so)."""
    rows = {}
    for key, body in re.findall(r'<tr data-figure="([a-z_]+)">(.*?)</tr>', page, flags=re.S):
        rows[key] = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)
        ]
    return rows


@pytest.mark.parametrize(
    ("area", "months", "before"),
    [
        ("XEST002", ("2025-11", "2026-10"), ("2024-11", "2025-10")),
        (None, ("2024-11", "2025-04"), ("2024-05", "2024-10")),
    ],
)
def test_the_command_prints_the_release_s_sums_for_the_area_and_months(demo_town, tmp_path, area, months, before):
    store = Store(demo_town)
    try:
        release = release_for(store)
    finally:
        store.dispose()
    page = tmp_path / "pack.html"
    where = ["--area", area] if area else []
    assert main(["report", "--db", demo_town, "--from", months[0], "--to", months[1], *where, "--out", str(page)]) == 0
    rows = _figure_rows(page.read_text(encoding="utf-8"))
    c = release.cells
    layer, code = ("town", "") if area is None else ("estate", area)
    for key, (measure, stock) in CELLS.items():
        shown = []
        for first, last in (months, before):
            picked = [last] if stock else month_range(first, last)
            cells = c[(c["measure"] == measure) & (c["layer"] == layer) & (c["area"] == code) & c["month"].isin(picked)]
            if key == "asb":
                cells = cells[cells["category"] == "Anti-social behaviour"]
            shown.append(suppress_labels([int(cells["value"].sum())])[0])
        assert rows[key][1:3] == shown, key
    year = int(months[1][:4])
    assert rows["closure_effect"][0].endswith(f"orders granted in {year} (previous: {year - 1})")
